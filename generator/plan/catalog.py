"""Plan the whole database as one catalog: core objects, the KPI layer, then every cron job."""

from __future__ import annotations

from ..catalog import Catalog
from ..model import Taxonomy
from . import database
from . import kpi as plan_kpi
from .clickhouse import export as clickhouse_export


def catalog(taxonomy: Taxonomy) -> Catalog:
    kpi_objects, kpi_jobs = plan_kpi.plan(taxonomy)
    return Catalog(tuple(database.plan(taxonomy) + kpi_objects + clickhouse_export.plan(taxonomy)
                         + database.core_jobs(taxonomy, kpi_jobs)))
