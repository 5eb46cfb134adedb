"""Migrations: append a new versioned migration when the declarative schema changed.

Migrations already emitted are history: they are carried over verbatim and never
rewritten.  ``trackgen.lock.json`` (in the output folder) records the digest of
the schema state the last migration brought, so a regeneration with no schema
change adds nothing and stays byte-identical.

Versions follow Supabase's ``YYYYMMDDHHMMSS_<name>.sql``.  Wall-clock time would
make output depend on when generate ran, so the version comes from the caller's
release time (the CLI passes SOURCE_DATE_EPOCH or the last commit's time) and is
always later than the previous migration.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

MIGRATIONS_DIR = "supabase/migrations"
LOCK_FILE = "trackgen.lock.json"
VERSION_FORMAT = "%Y%m%d%H%M%S"


@dataclass(frozen=True)
class Previous:
    """What an earlier generate left: its migrations (name -> text) and its lock."""

    migrations: dict[str, str] = field(default_factory=dict)
    lock: dict | None = None


def digest(schema_files: dict[str, str]) -> str:
    h = hashlib.sha256()
    for name in sorted(schema_files):
        h.update(name.encode() + b"\0" + schema_files[name].encode() + b"\0")
    return h.hexdigest()


def next_version(previous: Previous, release: datetime) -> str:
    versions = sorted(name.split("_", 1)[0] for name in previous.migrations)
    candidate = release.astimezone(UTC).replace(microsecond=0, tzinfo=None)
    if versions:
        last = datetime.strptime(versions[-1], VERSION_FORMAT)
        candidate = max(candidate, last + timedelta(seconds=1))
    return candidate.strftime(VERSION_FORMAT)


def migration_text(version: str, plan_version: str, schema_files: dict[str, str]) -> str:
    parts = [f"-- trackgen migration {version}: schema state for plan {plan_version}.\n"
             "-- Generated from taxonomy/; every statement is re-runnable and additive. Do not edit.\n"]
    for name in sorted(schema_files):
        parts.append(f"\n-- >>> supabase/schemas/{name}\n")
        parts.append(schema_files[name])
    return "".join(parts)


def plan(previous: Previous, schema_files: dict[str, str], plan_version: str, release: datetime,
         extra_lock: dict | None = None) -> dict[str, str]:
    """Files for supabase/migrations/ plus the lock, keyed by output path."""
    out = {f"{MIGRATIONS_DIR}/{name}": text for name, text in previous.migrations.items()}
    state = digest(schema_files)
    lock = dict(previous.lock or {})
    if lock.get("schema_sha256") != state or not previous.migrations:
        version = next_version(previous, release)
        name = f"{version}_trackgen_plan_{plan_version}.sql"
        out[f"{MIGRATIONS_DIR}/{name}"] = migration_text(version, plan_version, schema_files)
        lock["schema_sha256"] = state
        lock["migration"] = name
    lock["plan_version"] = plan_version
    lock.update(extra_lock or {})
    out[LOCK_FILE] = json.dumps(dict(sorted(lock.items())), indent=2, sort_keys=True) + "\n"
    return out
