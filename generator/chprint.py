"""Print the ClickHouse catalog (templates/clickhouse/catalog.sql.j2) for one layout (Variant)."""

from __future__ import annotations

from dataclasses import dataclass, field

import jinja2

from .plan.clickhouse.catalog import ChCatalog, ChColumn, ChObject, ChTable, Variant, quote


@dataclass(frozen=True)
class ChStep:
    action: str  # create | add_column | drop | backfill | delete_rows
    obj: ChObject
    column: ChColumn | None = None
    where: str = ""
    events: str = ""  # backfill: the event table of the layout
    ingest: str = ""  # backfill: the ingestion view to pause
    extra: dict = field(default_factory=dict)


def print_steps(env: jinja2.Environment, catalog: ChCatalog, steps: list[ChStep], variant: Variant, header: str) -> str:
    tables = {t.qualified: t for t in catalog.of(ChTable)}
    text = env.get_template("clickhouse/catalog.sql.j2").render(steps=steps, v=variant, tables=tables, header=header,
                                                                 quote=quote)
    return text if text.endswith("\n") else text + "\n"
