"""sqlglot for the ClickHouse target: every view's and incremental view's query, parsed in the
ClickHouse dialect and qualified against the ClickHouse catalog (tables' and views' columns).

The same check ``generator/sqlcheck.py`` makes for PostgreSQL: an unknown or ambiguous column is
E922 at generate time, naming the KPI, instead of an error when the DDL is applied.  The
statements around the queries (CREATE ... REFRESH, DEFINER, engines) are beyond sqlglot's
ClickHouse grammar; ClickHouse's own parser checks them in tests/db/test_clickhouse.py.
"""

from __future__ import annotations

import re

import sqlglot
from sqlglot.errors import OptimizeError, ParseError, SchemaError
from sqlglot.optimizer.qualify import qualify
from sqlglot.schema import MappingSchema

from .diagnostics import Diagnostic
from .plan.clickhouse.catalog import ChCatalog, ChMaterializedView, ChTable, ChView
from .sqlcheck import Shapes


def check(catalog: ChCatalog, released: dict[str, dict] | None = None) -> list[Diagnostic]:
    """E922 problems of the views' queries; with ``released`` (the lock's ClickHouse catalog), only of
    the views new or changed since and of those naming a changed table or view, as the PostgreSQL
    check does (the rest was checked when it was released)."""
    only = _changed(catalog, released)
    schema: dict[str, dict[str, dict[str, str]]] = {}
    for t in catalog.of(ChTable):
        schema.setdefault(t.database, {})[t.name] = {c.name: "String" for c in t.columns}
    for v in catalog.of(ChView):
        schema.setdefault(v.database, {})[v.name] = {name: "String" for name, _t in v.columns}
    mapping = MappingSchema(schema, dialect="clickhouse")  # normalised once, not per query
    # KPIs of one kind differ only in their names: each shape is qualified once, as the PostgreSQL check does
    shapes = Shapes(schema, {o.origin[4:] for o in catalog.objects if o.origin.startswith("kpi:")}, _problems)
    out = []
    for obj in catalog.of(ChMaterializedView) + catalog.of(ChView):
        if only is not None and obj.key not in only:
            continue
        if isinstance(obj, ChMaterializedView):
            if obj.refresh:  # reads postgresql(): its columns are PostgreSQL's export view's (tested on chdb)
                continue
            query = obj.query.replace("{source}", obj.source or "")
        else:
            query = obj.query
        for problem in shapes.check(query, mapping):
            out.append(Diagnostic("E922", f"ClickHouse {obj.key} ({obj.origin}): {problem}"))
    return out


def _changed(catalog: ChCatalog, released: dict[str, dict] | None) -> set[str] | None:
    """Keys of the objects to check: new or changed against the released snapshot, plus every view
    whose query or source names a changed table or view (its columns may have moved). None: all."""
    if not released:
        return None
    changed = {o.key for o in catalog.objects if (released.get(o.key) or {}).get("parts") != o.digests()}
    names = {o.name for o in catalog.objects
             if o.key in changed and isinstance(o, (ChTable, ChView, ChMaterializedView))}
    if names:
        pattern = re.compile(r"\b(" + "|".join(map(re.escape, sorted(names))) + r")\b")
        for o in catalog.of(ChMaterializedView) + catalog.of(ChView):
            text = o.query + " " + (getattr(o, "source", None) or "") + " " + (getattr(o, "target", None) or "")
            if pattern.search(text):
                changed.add(o.key)
    return changed


def _problems(query: str, schema: MappingSchema, _variables: dict[str, str] | None = None) -> list[str]:
    """sqlglot's verdict on one query: its first line when it fails to parse or qualify."""
    try:
        qualify(sqlglot.parse_one(query, read="clickhouse"), schema=schema, dialect="clickhouse",
                validate_qualify_columns=True)
    except (ParseError, OptimizeError, SchemaError) as exc:
        return [str(exc).splitlines()[0]]
    return []
