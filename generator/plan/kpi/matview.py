"""``storage: materialized_view``: a KPI's site caches as plain materialized views (docs/storage.md).

The views live in the private schema, each with a unique index (which ``REFRESH MATERIALIZED VIEW
CONCURRENTLY`` needs and the site reads use), and are read through the same private definer
functions and exposed views as an incremental KPI's rollups, so the exposed API does not depend on
the storage.  The network table stays a table: its ``hidden`` flags are written by the suppression
rules, which a materialized view cannot hold.  One refresh function (``templates/sql/kpi/matview.sql.j2``)
sets the watermark, refreshes the views and rebuilds the network cells; its cost follows the whole
history, which is what the incremental storage avoids and what bench B2 compares it with.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...catalog import Column, DbObject, Function, Grant, Index, MaterializedView
from ...sqlquote import literal
from ..bodies import macro
from ..database import service_policy
from .common import ACTOR_TYPE, GROUP

if TYPE_CHECKING:
    from .common import KpiPlan

TEMPLATE = "sql/kpi/matview.sql.j2"
#: KPI types that can be stored as materialized views (resolve refuses the others, E322)
TYPES = ("count", "distinct_actors", "percentile", "rolling")


def _view(k: KpiPlan, name: str, query: str, columns: tuple[Column, ...], comment: str,
          reads: tuple[str, ...] = ()) -> MaterializedView:
    return MaterializedView(k.n.priv, name, query, columns, comment=literal(comment),
                            grants=(Grant("all", ("service_role",)),), reads=reads, group=GROUP, origin=k.origin)


def _unique(k: KpiPlan, pattern: str, view: str, columns: str) -> Index:
    return Index(k.n.priv, k.sql(pattern), f"{k.n.priv}.{view}", columns, unique=True, group=GROUP, origin=k.origin)


def objects(k: KpiPlan) -> list[DbObject]:
    """The views (in refresh order), their indexes, the network table and the refresh function."""
    p = k.n.priv
    key = (Column("site_id", "uuid", not_null=True), Column("period", "date", not_null=True)) + k.dim_columns()
    out: list[DbObject] = []
    views: list[str] = []
    if k.type in ("count", "distinct_actors"):
        out.append(_view(k, k.facts, macro(TEMPLATE, "facts", k, p),
                         key + (Column("actor_hash", ACTOR_TYPE), Column("network_id", "uuid")),
                         f"KPI {k.name} (materialized view): the distinct actors of each cell."))
        out.append(_unique(k, "kpi_{}_mv_facts_key", k.facts, f"(site_id, period{k.dim_cols}, actor_hash, network_id)"))
        out.append(k.index("kpi_{}_mv_facts_net_idx", k.facts, f"(network_id, period{k.dim_cols})"))
        views.append(k.facts)
    if k.type == "percentile":
        out.append(_view(k, k.values_table, macro(TEMPLATE, "values", k, p),
                         key + (Column("actor_hash", ACTOR_TYPE), Column("event_key", "uuid"),
                                Column("occurred_at", "timestamptz"), Column("measure", "double precision"),
                                Column("network_id", "uuid")),
                         f"KPI {k.name} (materialized view): one measured value per event."))
        out.append(_unique(k, "kpi_{}_mv_values_key", k.values_table, "(site_id, event_key, occurred_at)"))
        out.append(k.index("kpi_{}_mv_values_net_idx", k.values_table, f"(network_id, period{k.dim_cols})"))
        views.append(k.values_table)
    reads = tuple(f"{p}.{v}" for v in views)
    if k.type == "rolling":
        reads = (f"{p}.{k.src}", f"{p}.{k.base_facts}")
    cols = key + ((Column("network_id", "uuid"),) if k.type == "count" else ()) + \
        tuple(Column(c.name, c.type) for c in k.value_columns())
    out.append(_view(k, k.rollup, macro(TEMPLATE, "rollup", k, p), cols,
                     f"KPI {k.name} (materialized view): {k.kpi.description}", reads))
    unique = f"(site_id, period{k.dim_cols}{', network_id' if k.type == 'count' else ''})"
    out.append(_unique(k, "kpi_{}_mv_key", k.rollup, unique))
    views.append(k.rollup)
    k.matviews = views
    net = k.net_table()
    out += [net, service_policy(p, net.name, GROUP, k.origin)]
    out.append(Function(p, k.refresh_fn, (), "bigint", macro(TEMPLATE, "refresh", k, p).strip("\n") + "\n",
                        language="plpgsql", volatility="volatile", security="definer",
                        comment=literal(f"Refreshes KPI {k.name}'s materialized views and network cells; "
                                        "run by its pg_cron job."),
                        grants=(Grant("execute", ("service_role",)),),
                        calls=tuple(f"{c}()" for c in k.inputs_refresh), group=GROUP, origin=k.origin))
    return out
