"""ClickHouse migrations: the ClickHouse catalog's difference from the release recorded in the lock.

The same rules as the PostgreSQL side (docs/architecture.md, generator/delta.py), kept simple:

| change | migration |
| --- | --- |
| new object | created; a new KPI aggregate (cache) also filled from the event table |
| new column of a table | ``ALTER TABLE ... ADD COLUMN IF NOT EXISTS`` |
| KPI aggregate (cache) shape | its view dropped, the table dropped and created again, refilled from the event table, the view created |
| view or materialized view definition | dropped and created again |
| reference rows | inserted (the table replaces equal rows); members that left a set are deleted |
| object removed | dropped, where allowed (caches, their views, private views) |

Source tables (the event table, readers) are additive: a dropped or retyped column, or a removed
source table, is a DeltaError (E930), as on PostgreSQL.  The lock's ``clickhouse`` entry keeps the
released catalog (digests per part) and the SHA-256 of every released migration.
"""

from __future__ import annotations

import jinja2

from .chprint import ChStep, print_steps
from .delta import DeltaError
from .diagnostics import Diagnostic, Span
from .migrations import VERSION_FORMAT, sha256
from .plan.clickhouse.catalog import ChCatalog, ChColumn, ChMaterializedView, ChRows, ChTable, ChView, Variant

MIGRATIONS_DIR = "clickhouse/migrations"
SCHEMA_FILE = "clickhouse/schema.sql"
CLUSTER_FILE = "clickhouse/cluster.sql"


def delta(released: dict[str, dict], catalog: ChCatalog) -> list[ChStep]:
    objects = catalog.by_key()
    events = next(t for t in catalog.of(ChTable) if t.name == "events")
    ingest = next(v for v in catalog.of(ChMaterializedView) if v.refresh)
    rebuilt: set[str] = set()
    pre: list[ChStep] = []
    steps: list[ChStep] = []
    for key, obj in objects.items():
        old = released.get(key)
        if old is None:
            steps.append(ChStep("create", obj))
            if isinstance(obj, ChTable) and obj.role == "cache" and obj.rebuild:
                # a KPI added to a running deployment starts from the stored history, not empty (its
                # event sets are inserted before it: catalog order)
                steps.append(ChStep("backfill", obj, events=events.qualified, ingest=f"{ingest.database}.{ingest.name}"))
            continue
        changed = {part for part, digest in obj.digests().items() if old.get("parts", {}).get(part) != digest}
        if not changed:
            continue
        if isinstance(obj, ChTable):
            old_cols = old.get("columns", {})
            new_cols = {c.name: c.type for c in obj.columns}
            lost = [c for c in old_cols if c not in new_cols or old_cols[c] != new_cols[c]]
            if obj.role == "cache" and (lost or "shape" in changed or "columns" in changed):
                rebuilt.add(obj.qualified)
                pre.append(ChStep("drop", obj))
                steps += [ChStep("create", obj), ChStep("backfill", obj, events=events.qualified,
                                                         ingest=f"{ingest.database}.{ingest.name}")]
                continue
            if lost or "shape" in changed:
                raise DeltaError(f"ClickHouse table {obj.qualified} would lose or retype columns "
                                 f"({', '.join(lost) or 'engine or key'}); source tables only gain columns")
            for c in obj.columns:
                if c.name not in old_cols:
                    steps.append(ChStep("add_column", obj, column=ChColumn(c.name, c.type)))
        elif isinstance(obj, ChRows):
            # members that left the set (a wildcard no longer matching) go first, then the set is re-inserted
            keep = ", ".join(v[1] for v in obj.values)
            table = ChTable(*obj.table.split("."), (), "ReplacingMergeTree", "tuple()", role="reference")
            steps.append(ChStep("delete_rows", table, where=f"set_name = {obj.values[0][0]} AND event_id NOT IN ({keep})"))
            steps.append(ChStep("create", obj))
        elif isinstance(obj, (ChView, ChMaterializedView)):
            pre.append(ChStep("drop", obj))
            steps.append(ChStep("create", obj))
    # an incremental view over a rebuilt table is recreated after it (and after its backfill)
    for view in catalog.of(ChMaterializedView):
        if view.target in rebuilt and not any(s.obj is view for s in steps):
            pre.append(ChStep("drop", view))
            steps.append(ChStep("create", view))
    for key, old in released.items():
        if key in objects:
            continue
        kind = old.get("kind")
        if kind == "table" and old.get("role") == "source":
            raise DeltaError(f"ClickHouse source table {key.split(' ', 1)[1]} would be dropped")
        if kind in ("table", "view", "materialized view"):
            db, _, name = key.split(" ")[-1].partition(".")
            stub = (ChTable(db, name, (), "MergeTree", "tuple()", role=old.get("role", "cache"),
                            shard_key="cityHash64(site_id)" if old.get("role") == "cache" else None)
                    if kind == "table" else ChView(db, name, "") if kind == "view"
                    else ChMaterializedView(db, name, "", "", source="-"))
            steps.append(ChStep("drop", stub))
    # views before tables they read: drops first (views, then caches), then creates in catalog order
    pre.sort(key=lambda s: 0 if s.obj.kind != "table" else 1)
    return pre + steps


def plan(catalog: ChCatalog, env: jinja2.Environment, previous_files: dict[str, str], lock_entry: dict | None,
         release_version: str, cluster: str) -> tuple[dict[str, str], dict]:
    """Files under generated/clickhouse/ (state, cluster state, migrations for both layouts) and the lock's entry."""
    lock_entry = dict(lock_entry or {})
    released = lock_entry.get("catalog") or {}
    recorded = dict(lock_entry.get("migrations") or {})
    out = {f"{MIGRATIONS_DIR}/{name}": text for name, text in previous_files.items()}
    header = ("-- {what}\n-- Generated by trackgen from taxonomy/; do not edit. See docs/clickhouse.md.")
    all_steps = [ChStep("create", o) for o in catalog.objects]
    out[SCHEMA_FILE] = print_steps(env, catalog, all_steps, Variant(), header.format(
        what="ClickHouse, single node: the whole current state (re-runnable)."))
    out[CLUSTER_FILE] = print_steps(env, catalog, all_steps, Variant(cluster), header.format(
        what=f"ClickHouse, cluster {cluster}: shards of replicas, events and KPI aggregates sharded by site."))
    steps = delta(released, catalog)
    if steps:
        versions = sorted(name.split("_", 1)[0] for name in previous_files)
        version = release_version if not versions or release_version > versions[-1] else _after(versions[-1])
        name = f"{version}_trackgen.sql"
        body = print_steps(env, catalog, steps, Variant(), f"-- trackgen ClickHouse migration {version} (single node): "
                           "the difference from the released ClickHouse catalog.\n-- Generated; do not edit.")
        out[f"{MIGRATIONS_DIR}/{name}"] = body
        recorded[name] = {"sha256": sha256(body)}
        cluster_name = f"{version}_trackgen_cluster.sql"
        body = print_steps(env, catalog, steps, Variant(cluster),
                           f"-- trackgen ClickHouse migration {version} (cluster {cluster}): the same difference, "
                           "ON CLUSTER.\n-- Generated; do not edit.")
        out[f"{MIGRATIONS_DIR}/{cluster_name}"] = body
        recorded[cluster_name] = {"sha256": sha256(body)}
    lock_entry["catalog"] = catalog.snapshot()
    lock_entry["migrations"] = dict(sorted(recorded.items()))
    return out, lock_entry


def integrity(previous_files: dict[str, str], lock_entry: dict | None) -> list[Diagnostic]:
    """Released ClickHouse migrations must match their recorded digests (E940 edited, E942 missing)."""
    recorded = (lock_entry or {}).get("migrations") or {}
    out = []
    for name, entry in sorted(recorded.items()):
        path = f"{MIGRATIONS_DIR}/{name}"
        if name not in previous_files:
            out.append(Diagnostic("E942", f"released migration {path} is missing",
                                  hint="restore it with `git checkout`; released migrations are never deleted"))
        elif entry.get("sha256") != sha256(previous_files[name]):
            out.append(Diagnostic("E940", f"{path} was edited after release (its SHA-256 differs from the lock)",
                                  Span(path, 1, 1, 1, 2), hint="restore it with `git checkout`"))
    return out


def _after(version: str) -> str:
    from datetime import datetime, timedelta

    return (datetime.strptime(version, VERSION_FORMAT) + timedelta(seconds=1)).strftime(VERSION_FORMAT)
