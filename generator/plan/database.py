"""Plan the database artifacts: the declarative schema files and the migrations.

``supabase/schemas/NN_<concern>.sql`` is the whole current state, split by
concern and ordered by its numeric prefix.  Every statement in it is written to
be re-runnable (``if not exists``, ``create or replace``, upserts, named cron
jobs), so a migration is simply that state, appended under a new version when
it changed; applying all migrations or the schema files gives the same catalog.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from ..model import Taxonomy
from ..payload import payload_schema
from ..sqlquote import ident, jsonb_literal, literal, short_name, text_array
from . import Artifact
from .payload_checks import RFC3339, UUID, event_checks

ENVELOPE_KEYS = ("event_id", "idempotency_key", "occurred_at", "payload", "plan_version")
PRIVATE_TABLES = ("event_keys", "events", "events_default", "rejections", "secrets")
#: roles besides the migrating one that create objects on Supabase (migrations and the SQL editor
#: run as postgres, platform code as supabase_admin): their default privileges in our schemas are
#: revoked from the API roles when they exist
CREATOR_ROLES = ("postgres", "supabase_admin")

#: (file, template) in apply order
SCHEMA_FILES = (
    ("00_schemas.sql", "sql/00_schemas.sql.j2"),
    ("10_reference.sql", "sql/10_reference.sql.j2"),
    ("20_event_store.sql", "sql/20_event_store.sql.j2"),
    ("30_partitions.sql", "sql/30_partitions.sql.j2"),
    ("40_payload_checks.sql", "sql/40_payload_checks.sql.j2"),
    ("50_ingest.sql", "sql/50_ingest.sql.j2"),
    ("90_cron.sql", "sql/90_cron.sql.j2"),
)


@dataclass(frozen=True)
class CronJob:
    name: str  # SQL literal
    schedule: str  # SQL literal
    command: str  # SQL literal
    comment: str


def claim_path(path: str) -> str:
    """'app_metadata.site_id' -> the SQL text[] literal for the #>> operator."""
    return literal("{" + ",".join(path.split(".")) + "}")


def interval(text: str) -> str:
    return f"interval {literal(text)}"


def plan_version(taxonomy: Taxonomy) -> str:
    """A short digest of what the client and the database must agree on: ids, versions, status."""
    summary = [(e.id, e.version, e.status) for e in taxonomy.events]
    return hashlib.sha256(json.dumps(summary).encode()).hexdigest()[:12]


def check_function(event_id: str) -> str:
    return short_name("check_" + event_id.replace(".", "__"))


def job_prefix(taxonomy: Taxonomy) -> str:
    return taxonomy.project.public_schema + "_"


def base_context(taxonomy: Taxonomy) -> dict:
    project = taxonomy.project
    api_roles = ["anon", "authenticated"]
    ingest_roles = (["anon"] if project.allow_anon else []) + ["authenticated", "service_role"]
    return {
        "pub": ident(project.public_schema),
        "priv": ident(project.private_schema),
        "pub_name": project.public_schema,
        "priv_name": project.private_schema,
        "api_roles": ", ".join(api_roles),
        "ingest_roles": ", ".join(ingest_roles),
        "site_claim": claim_path(project.claims.site_id),
        "tier_claim": claim_path(project.claims.tier),
        "network_claim": claim_path(project.claims.network_id),
    }


def core_jobs(taxonomy: Taxonomy, extra_jobs: list[CronJob]) -> list[CronJob]:
    """The maintenance jobs, plus ``extra_jobs``; the history purge names every one of them exactly."""
    project = taxonomy.project
    priv = ident(project.private_schema)
    prefix = job_prefix(taxonomy)
    keep_keys = f"{interval(project.max_past)} + interval '1 day'"
    jobs = [
        CronJob(literal(prefix + "event_partitions"), literal("17 3 * * *"),
                literal(f"select {priv}.ensure_event_partitions()"),
                f"keep {project.partitions_ahead} monthly event partitions ready ahead of now"),
        CronJob(literal(prefix + "purge_event_keys"), literal("43 3 * * *"),
                literal(f"delete from {priv}.event_keys where occurred_at < now() - ({keep_keys})"),
                "forget idempotency keys of events too old to be accepted again"),
        CronJob(literal(prefix + "purge_rejections"), literal("29 3 * * *"),
                literal(f"delete from {priv}.rejections where day < "
                        f"((now() at time zone 'UTC') - {interval(project.rejections_retention)})::date"),
                f"keep {project.rejections_retention} of rejection counters (storage.rejections_retention)"),
    ]
    purge_name = prefix + "purge_cron_history"
    names = sorted([job.name for job in jobs + list(extra_jobs)] + [literal(purge_name)])
    jobs.append(CronJob(
        literal(purge_name), literal("11 4 * * *"),
        literal("delete from cron.job_run_details where end_time < now() - "
                f"{interval(project.cron_history)} and jobid in "
                f"(select jobid from cron.job where jobname in ({', '.join(names)}))"),
        f"keep {project.cron_history} of run history, for this schema's jobs only"))
    return jobs + list(extra_jobs)


def schema_contexts(taxonomy: Taxonomy, extra_jobs: list[CronJob]) -> dict[str, dict]:
    project = taxonomy.project
    ctx = base_context(taxonomy)
    helpers = ctx["priv"]
    checks = []
    for event in taxonomy.events:
        c = event_checks(event, check_function(event.id), helpers)
        checks.append({"event_id": c.event_id, "id_literal": literal(c.event_id), "function": ident(c.function),
                       "allowed_keys": c.allowed_keys, "required": c.required, "properties": c.properties})
    return {
        "00_schemas.sql": dict(ctx, pub_comment=literal(f"{project.name}: analytics exposed to the API (views, RPC)"),
                               priv_comment=literal(f"{project.name}: analytics storage and definer code; never granted to API roles"),
                               creator_roles=[{"ident": ident(r), "literal": literal(r)} for r in CREATOR_ROLES]),
        "10_reference.sql": dict(
            ctx,
            tiers=[{"name": literal(t.name), "rank": t.rank, "system": literal(t.system),
                    "description": literal(t.description)} for t in taxonomy.tiers],
            event_types=[{"id": literal(e.id), "tier": literal(e.tier), "description": literal(e.description),
                          "owner": literal(e.owner), "status": literal(e.status), "version": literal(e.version),
                          "schema": jsonb_literal(payload_schema(project.name, e))} for e in taxonomy.events],
            replacements=[{"id": literal(e.id), "replaced_by": literal(e.replaced_by)}
                          for e in taxonomy.events if e.replaced_by]),
        "20_event_store.sql": dict(ctx, private_tables=list(PRIVATE_TABLES)),
        "30_partitions.sql": dict(ctx, partitions_ahead=project.partitions_ahead),
        "40_payload_checks.sql": dict(ctx, checks=checks),
        "50_ingest.sql": dict(
            ctx, envelope_keys=text_array(ENVELOPE_KEYS), uuid_pattern=literal(UUID),
            rfc3339_pattern=literal(RFC3339),
            max_batch=project.max_batch_size, max_payload_bytes=project.max_payload_bytes,
            max_past=interval(project.max_past), max_future=interval(project.max_future),
            plan_version=literal(plan_version(taxonomy))),
        "90_cron.sql": dict(ctx, jobs=core_jobs(taxonomy, extra_jobs)),
    }


def plan(taxonomy: Taxonomy, extra_jobs: list[CronJob] | None = None) -> list[Artifact]:
    contexts = schema_contexts(taxonomy, extra_jobs or [])
    origins = {check_function(e.id): e.span for e in taxonomy.events if e.span is not None}
    return [Artifact(f"supabase/schemas/{name}", template, contexts[name], kind="sql",
                     origins=origins if name == "40_payload_checks.sql" else {})
            for name, template in SCHEMA_FILES]

