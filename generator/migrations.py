"""Migrations: append the catalog difference from the released state, and guard the released history.

Released migrations are history: carried over verbatim and never rewritten.
``trackgen.lock.json`` records

- ``catalog``: per object, its kind, the taxonomy entity it came from, a digest
  per part of its definition and ``since``, the migration that introduced it;
- ``migrations``: per released migration file, its SHA-256 and a one-line
  summary, so ``check`` fails, naming the file, when history was edited.

A generate whose catalog equals the released one writes no migration.  Versions
follow Supabase's ``YYYYMMDDHHMMSS_<name>.sql``; the time is the caller's release
time (SOURCE_DATE_EPOCH or the last commit's), never the wall clock, and always
later than the last released migration.  The transactional change goes in one
file; each concurrent index build gets a file of its own after it, because the
Supabase CLI runs each file in one transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import jinja2

from . import delta as delta_mod
from .catalog import Catalog
from .diagnostics import Diagnostic, Span
from .jsonout import dumps_sorted_indented
from .legacy import legacy_snapshot
from .sqlprint import Step, print_steps

MIGRATIONS_DIR = "supabase/migrations"
LOCK_FILE = "trackgen.lock.json"
VERSION_FORMAT = "%Y%m%d%H%M%S"


@dataclass(frozen=True)
class Previous:
    """What an earlier generate left: its migrations (name -> text) and its lock."""

    migrations: dict[str, str] = field(default_factory=dict)
    lock: dict | None = None
    #: generated/clickhouse/migrations/ (name -> text), when the ClickHouse target is on
    clickhouse: dict[str, str] = field(default_factory=dict)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def integrity(previous: Previous, accept_edits: bool = False) -> list[Diagnostic]:
    """Released migrations must match their recorded digests (E940 edited, E941 unknown, E942 missing)."""
    recorded = (previous.lock or {}).get("migrations")
    if recorded is None or accept_edits:  # a lock from before digests were kept: they are recorded now
        return []
    out: list[Diagnostic] = []
    for name, text in sorted(previous.migrations.items()):
        path = f"{MIGRATIONS_DIR}/{name}"
        entry = recorded.get(name)
        if entry is None:
            out.append(Diagnostic("E941", f"{path} is not a released migration of the lock; migrations are written "
                                          "only by trackgen generate", Span(path, 1, 1, 1, 2),
                                  hint="delete it, or see docs/architecture.md (Repairing history)"))
        elif entry.get("sha256") != sha256(text):
            out.append(Diagnostic("E940", f"{path} was edited after release (its SHA-256 differs from the lock)",
                                  Span(path, 1, 1, 1, 2),
                                  hint="restore it with `git checkout`, or see docs/architecture.md (Repairing history)"))
    for name in sorted(set(recorded) - set(previous.migrations)):
        out.append(Diagnostic("E942", f"released migration {MIGRATIONS_DIR}/{name} is missing",
                              hint="restore it with `git checkout`; released migrations are never deleted"))
    return out


def next_versions(previous: Previous, release: datetime, count: int) -> list[str]:
    versions = sorted(name.split("_", 1)[0] for name in previous.migrations)
    candidate = release.astimezone(UTC).replace(microsecond=0, tzinfo=None)
    if versions:
        last = datetime.strptime(versions[-1], VERSION_FORMAT)
        candidate = max(candidate, last + timedelta(seconds=1))
    return [(candidate + timedelta(seconds=i)).strftime(VERSION_FORMAT) for i in range(count)]


def summary(d: delta_mod.Delta) -> str:
    """One line naming what the migration touches, by taxonomy entity."""
    kinds: dict[str, list[str]] = {}
    for entity in sorted(d.entities):
        kind, _, name = entity.partition(":")
        kinds.setdefault(kind, []).append(name or kind)
    parts = []
    if "event" in kinds:
        parts.append("events " + ", ".join(kinds["event"]))
    if "kpi" in kinds:
        parts.append("KPIs " + ", ".join(kinds["kpi"]))
    if "core" in kinds:
        parts.append("core objects")
    return "; ".join(parts) or "no change"


def plan(previous: Previous, catalog: Catalog, env: jinja2.Environment, *, plan_version: str, release: datetime,
         public_schema: str, private_schema: str, extra_lock: dict | None = None,
         accept_edits: bool = False) -> dict[str, str]:
    """Files for supabase/migrations/ plus the lock, keyed by output path.  Raises DeltaError."""
    out = {f"{MIGRATIONS_DIR}/{name}": text for name, text in previous.migrations.items()}
    lock = dict(previous.lock or {})
    released = lock.get("catalog")
    if released is None:
        released = legacy_snapshot(previous.migrations) if previous.migrations else {}
    recorded = {} if accept_edits else dict(lock.get("migrations") or {})
    for name, text in previous.migrations.items():  # first run with digests, or an accepted repair
        recorded.setdefault(name, {"sha256": sha256(text), "summary": "released before digests were kept"})
        if accept_edits and name in (lock.get("migrations") or {}):
            recorded[name]["summary"] = lock["migrations"][name].get("summary", "")
    d = delta_mod.plan(released, catalog, private_schema, public_schema)
    since = {key: entry.get("since") for key, entry in released.items() if not entry.get("legacy")}
    if not d.empty:
        versions = next_versions(previous, release, 1 + len(d.concurrent))
        line = summary(d)
        name = f"{versions[0]}_trackgen_{plan_version}.sql"
        files = [(name, d.steps, True, line)]
        for version, step in zip(versions[1:], d.concurrent, strict=True):
            index = step.obj.name.strip('"') if step.obj is not None else "index"
            files.append((f"{version}_trackgen_{plan_version}_index_{index}.sql", [step], False,
                          f"index {index}, built concurrently"))
        first = name
        for file_name, steps, in_transaction, text in files:
            header = (f"-- trackgen migration {file_name.split('_', 1)[0]}: {text}.\n"
                      "-- Generated from taxonomy/ as the difference from the released catalog. Do not edit."
                      + ("" if in_transaction else
                         "\n-- Runs outside a transaction: create index concurrently does not block writes."))
            body = (print_steps(env, steps, header=header, timeouts=True, exclusive=in_transaction) if steps
                    else header + "\n")
            out[f"{MIGRATIONS_DIR}/{file_name}"] = body
            recorded[file_name] = {"sha256": sha256(body), "summary": text}
        for key in catalog.by_key():
            if since.get(key) is None:
                since[key] = first
    snapshot = catalog.snapshot()
    for key, entry in snapshot.items():
        entry["since"] = since.get(key)
    lock.pop("schema_sha256", None)
    lock.pop("migration", None)
    lock["catalog"] = snapshot
    lock["migrations"] = dict(sorted(recorded.items()))
    lock["plan_version"] = plan_version
    lock.update(extra_lock or {})
    out[LOCK_FILE] = dumps_sorted_indented(dict(sorted(lock.items()))) + "\n"
    return out


__all__ = ["Previous", "plan", "integrity", "Step"]
