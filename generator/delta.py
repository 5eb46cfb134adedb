"""Migrations as catalog differences: the steps that take the released catalog to the new one.

The lock records, per object, a digest of each part of its definition
(``Catalog.snapshot``).  Comparing part by part gives the smallest change:

- a new object is created; a table that exists gets only its new columns;
- a function whose body changed is replaced; when its signature or return type
  changed it is dropped and created again, together with the views that read it,
  inside the same transaction (no moment without the exposed view);
- a changed view is dropped and created again in the same transaction;
- grants, comments and policies are re-issued only where they changed;
- a cache table (a KPI's private rollups) whose shape changed is dropped and built
  again, with every other cache table of the same KPI, and the KPI's watermark is
  reset, so the next refresh rebuilds it from the event store;
- a private materialized view (a KPI stored as ``materialized_view``) whose query
  changed, or that reads a cache being rebuilt, is dropped first and created again;
- objects that left the catalog are dropped after everything else, where that is
  allowed: private functions, cache tables and materialized views, indexes,
  policies, cron jobs, wildcard memberships.  A KPI whose ``storage`` changes
  therefore gets its new caches built, its read functions replaced (the switch)
  and its old caches dropped, all in one migration.  Source data and the exposed API are never dropped:
  removing them raises ``DeltaError`` (the evolution rules refuse it earlier);
- an index on an existing source table is built ``concurrently`` in a migration
  file of its own, since ``create index concurrently`` cannot run inside the
  transaction the Supabase CLI wraps each file in.

An entry marked ``legacy`` (objects of migrations written before the catalog
existed, read back from their SQL) has unknown digests: every part counts as
changed, so the first catalog migration re-issues the whole state over it and
drops what the old layout had and the new one does not.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .catalog import Catalog, DbObject, Function, Index, MaterializedView, Policy, Table, View
from .sqlprint import Step


class DeltaError(Exception):
    """A change migrations may not make (a bug in the plan, or an evolution rule bypassed)."""


@dataclass
class Delta:
    steps: list[Step] = field(default_factory=list)  # one transactional migration
    concurrent: list[Step] = field(default_factory=list)  # each in a file of its own
    entities: set[str] = field(default_factory=set)  # taxonomy entities whose objects changed

    @property
    def empty(self) -> bool:
        return not self.steps and not self.concurrent


def _changed(obj: DbObject, old: dict) -> set[str]:
    was = old.get("parts") or {}
    return {part for part, digest in obj.digests().items() if was.get(part) != digest}


def _stub(key: str) -> DbObject | None:
    """A printable stand-in for an object that exists only in the released catalog (to drop it)."""
    kind, _, name = key.partition(" ")
    if kind == "table":
        schema, _, table = name.partition(".")
        return Table(schema, table, ())
    if kind == "index":
        schema, _, index = name.partition(".")
        return Index(schema, index, "", "")
    if kind == "function":
        qualified = name.partition("(")[0]
        schema, _, fn = qualified.partition(".")
        return _FunctionStub(schema, fn, (), "", "", signature_text=name)
    if kind == "view":
        schema, _, view = name.partition(".")
        return View(schema, view, "")
    if kind == "matview":
        schema, _, view = name.partition(".")
        return MaterializedView(schema, view, "")
    if kind == "policy":
        schema, table, policy = name.split(".", 2)
        return Policy(schema, table, policy, ())
    if kind == "cron":
        from .catalog import CronJob
        return CronJob(name, "", "")
    return None  # rows are deleted by key (_delete_row); other kinds are never dropped


@dataclass(frozen=True)
class _FunctionStub(Function):
    signature_text: str = ""

    @property
    def signature(self) -> str:
        return self.signature_text


def plan(previous: dict[str, dict], catalog: Catalog, private_schema: str, public_schema: str) -> Delta:
    """The steps from the released snapshot ``previous`` (``Catalog.snapshot`` form) to ``catalog``."""
    delta = Delta()
    new = catalog.by_key()
    tables = {o.qualified: o for o in catalog.of(Table)}

    # Cache tables to rebuild: every cache table of a KPI one of whose cache tables changed shape.
    rebuild_entities = set()
    for table in catalog.of(Table):
        old = previous.get(table.key)
        if old is not None and table.role == "cache" and _changed(table, old) & {"columns", "shape"}:
            rebuild_entities.add(table.origin.entity)
    rebuilt = {t.qualified for t in catalog.of(Table)
               if t.role == "cache" and t.origin.entity in rebuild_entities and t.key in previous}
    # Materialized views to build again: their query changed, or a cache they read is rebuilt (a table
    # cannot be dropped while a materialized view reads it). Dropped first, created in the body.
    rebuilt_mv = {m.qualified for m in catalog.of(MaterializedView) if m.key in previous
                  and ("definition" in _changed(m, previous[m.key]) or set(m.reads) & rebuilt)}

    # Functions to drop first: signature changed (same key) or gone; views reading them are recreated.
    dropped_functions: list[str] = []
    for fn in catalog.of(Function):
        old = previous.get(fn.key)
        if old is not None and "signature" in _changed(fn, old):
            dropped_functions.append(fn.key)
    removed = [k for k in previous if k not in new]
    for key in removed:
        kind = previous[key].get("kind")
        schema = key.split(" ", 1)[1].split(".", 1)[0]
        if kind in ("view", "function") and schema == public_schema:
            raise DeltaError(f"{key} would be dropped, but the exposed API is never dropped (deprecate instead)")
        if kind == "table" and previous[key].get("role") != "cache":
            raise DeltaError(f"{key} would be dropped, but it holds source data")
        if kind == "row" and not previous[key].get("removable"):
            raise DeltaError(f"{key} would be deleted, but controlled rows are never deleted (deprecate instead)")
        if kind == "function":
            dropped_functions.append(key)
    dropped_sigs = {k.split(" ", 1)[1] for k in dropped_functions}
    recreate_views = {v.key for v in catalog.of(View)
                      if any(r in dropped_sigs for r in v.reads)}
    recreate_views |= {k for k in removed if previous[k].get("kind") == "view"}
    for key, entry in previous.items():  # views of the released catalog that read a dropped function
        if entry.get("kind") == "view" and set(entry.get("reads") or ()) & dropped_sigs:
            recreate_views.add(key)

    first: list[Step] = []
    for key in sorted(recreate_views | {v.key for v in catalog.of(View)
                                        if v.key in previous and "definition" in _changed(v, previous[v.key])}):
        if key in previous:
            stub = new.get(key) or _stub(key)
            first.append(Step("drop", stub))
    for key in dropped_functions:
        obj = new.get(key) or _stub(key)
        first.append(Step("drop", obj))
    matviews = {m.qualified: m for m in catalog.of(MaterializedView)}
    for qualified in sorted(rebuilt_mv, reverse=True):  # a rolling KPI's view reads its base's: name order
        first.append(Step("drop", matviews[qualified]))
    for qualified in sorted(rebuilt):
        first.append(Step("drop", tables[qualified]))

    body: list[Step] = []
    for obj in catalog.objects:
        old = previous.get(obj.key)
        steps = _steps_for(obj, old, previous, rebuilt | rebuilt_mv, set(dropped_functions), recreate_views, tables)
        concurrent = [s for s in steps if s.action == "index_concurrently"]
        delta.concurrent += concurrent
        body += [s for s in steps if s.action != "index_concurrently"]
        if steps:
            delta.entities.add(obj.origin.entity)
    seen_rebuild: set[str] = set()
    for qualified in sorted(rebuilt):  # a KPI's caches share one statement (reset its watermark): run it once
        table = tables[qualified]
        if table.on_rebuild and table.on_rebuild not in seen_rebuild:
            seen_rebuild.add(table.on_rebuild)
            body.append(Step("rebuilt", table))

    last: list[Step] = []
    for key in sorted(removed, key=lambda k: _DROP_ORDER.get(previous[k].get("kind"), 9)):
        kind = previous[key].get("kind")
        if kind in ("function", "view"):
            continue  # dropped first
        if kind == "row":
            last.append(_delete_row(key, previous[key]))
            continue
        if kind == "index" and _dropped_with_table(previous[key], rebuilt, removed, rebuild_entities):
            continue
        stub = _stub(key)
        if stub is not None:
            last.append(Step("drop", stub))
            delta.entities.add(previous[key].get("origin", "core"))
    delta.steps = first + body + last
    for key in dropped_functions + sorted(recreate_views):
        delta.entities.add((new[key].origin.entity if key in new else previous.get(key, {}).get("origin")) or "core")
    return delta


def _dropped_with_table(entry: dict, rebuilt: set[str], removed: list[str], rebuild_entities: set[str]) -> bool:
    """Whether a removed index is already gone: its table was dropped (removed, or rebuilt first).

    Printing ``drop index`` for it would be noise in the reviewed diff (and a non-concurrent index
    drop, which squawk rightly flags).  Locks written before indexes recorded their table: a KPI's
    indexes are on its caches, which a rebuild of the KPI drops."""
    table = entry.get("table")
    if table is None:
        return entry.get("origin") in rebuild_entities
    return table in rebuilt or f"table {table}" in removed


_DROP_ORDER = {"cron": 0, "policy": 1, "index": 2, "matview": 3, "table": 4, "row": 5}


def _delete_row(key: str, entry: dict) -> Step:
    values = tuple(entry.get("values") or ())
    columns = tuple(entry.get("columns") or ())
    schema_table = key.split(" ", 1)[1].split("[", 1)[0]
    schema, _, table = schema_table.partition(".")
    return Step("delete_rows", schema=schema, table=table, columns=columns, values=(values,),
                key_columns=columns[: len(values)])


def _steps_for(obj: DbObject, old: dict | None, previous: dict, rebuilt: set[str], dropped: set[str],
               recreate_views: set[str], tables: dict[str, Table]) -> list[Step]:
    if isinstance(obj, Table):
        if old is None or obj.qualified in rebuilt:
            return [Step("create", obj)]
        changed = _changed(obj, old)
        steps: list[Step] = []
        if "columns" in changed and not obj.partition_of:  # a partition's columns are its parent's
            was = old.get("columns") or {}
            for column in obj.columns:
                if column.name not in was:
                    steps.append(Step("add_column", obj, column=column))
                elif was[column.name] != column.definition() and not old.get("legacy"):
                    raise DeltaError(f"{obj.key}: column {column.name} would change from {was[column.name]!r} to "
                                     f"{column.definition()!r}; columns of source tables are never retyped")
            gone = sorted(set(was) - {c.name for c in obj.columns})
            if gone and not old.get("legacy"):
                raise DeltaError(f"{obj.key}: columns {gone} would be dropped; source columns are never dropped")
        if "shape" in changed and not old.get("legacy"):
            raise DeltaError(f"{obj.key}: its keys or partitioning would change; source tables only gain columns")
        if "comment" in changed:
            steps.append(Step("table_comment", obj))
        if changed & {"grants", "rls"}:
            steps.append(Step("table_access", obj))
        return steps
    if isinstance(obj, MaterializedView):
        if old is None or obj.qualified in rebuilt:
            return [Step("create", obj)]
        return [Step("create", obj)] if _changed(obj, old) else []  # comment, grants: re-issued with it
    if isinstance(obj, Index):
        table = tables.get(obj.table)
        if obj.table in rebuilt and table is None:  # an index of a materialized view built again
            return [Step("create", obj)]
        if old is None or (table is not None and table.qualified in rebuilt):
            existing = table is not None and table.key in previous and table.qualified not in rebuilt
            if existing and table.role != "cache":
                if table.partition_by:
                    raise DeltaError(f"{obj.key}: a new index on the partitioned {table.qualified} must be built per "
                                     "partition by hand (see docs/architecture.md, Migrations)")
                return [Step("index_concurrently", obj)]
            return [Step("create", obj)]
        if old.get("legacy"):
            return []  # the old layout built it under this name, on a table that is kept
        if _changed(obj, old):
            if table is not None and table.role != "cache":
                raise DeltaError(f"{obj.key}: an index of a source table is never redefined; add a new one")
            return [Step("drop", obj), Step("create", obj)]
        return []
    if isinstance(obj, Policy):
        table = tables.get(f"{obj.schema}.{obj.table}")
        if old is None or _changed(obj, old) or (table is not None and table.qualified in rebuilt):
            return [Step("create", obj)]  # drop policy if exists + create: re-runnable, like every step
        return []
    if isinstance(obj, Function):
        if old is None or obj.key in dropped:
            return [Step("create", obj)]
        changed = _changed(obj, old)
        steps = []
        if "body" in changed:
            steps.append(Step("replace_function", obj))
        if changed & {"comment", "grants"}:
            steps.append(Step("function_extras", obj))
        return steps
    if isinstance(obj, View):
        if old is None or obj.key in recreate_views or "definition" in _changed(obj, old):
            return [Step("create", obj)]
        if _changed(obj, old):
            return [Step("view_extras", obj)]
        return []
    if old is None or _changed(obj, old):
        return [Step("create", obj)]
    return []

