"""Plan the core database objects: schemas, reference tables, the event store, payload checks, ingestion.

The result is catalog objects (``generator/catalog.py``), grouped by the
declarative file they are printed to (``supabase/schemas/<group>.sql``, applied in
name order).  Objects come in apply order: a table before its indexes and
policies, a function before the functions and views that call it.
"""

from __future__ import annotations

import hashlib
import json

from ..catalog import (
    Arg,
    Column,
    CronJob,
    DbObject,
    Extension,
    Function,
    Grant,
    Index,
    Origin,
    Policy,
    Row,
    Schema,
    Statement,
    Table,
)
from ..model import Taxonomy
from ..payload import payload_schema
from ..sqlquote import ident, jsonb_literal, literal, short_name, text_array
from .bodies import body
from .payload_checks import PLAIN_TIMESTAMP, RFC3339, event_checks

#: a uuid's layout as a LIKE pattern: 36 characters, hyphens at 9, 14, 19 and 24
UUID_SHAPE = "________-____-____-____-____________"
ENVELOPE_KEYS = ("event_id", "idempotency_key", "occurred_at", "payload", "plan_version")
#: roles besides the migrating one that create objects on Supabase (migrations and the SQL editor
#: run as postgres, platform code as supabase_admin): their default privileges in our schemas are
#: revoked from the API roles when they exist
CREATOR_ROLES = ("postgres", "supabase_admin")

SERVICE = ("service_role",)
SERVICE_ALL = (Grant("all", SERVICE),)


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


class Names:
    """The quoted schema names and role lists every planner needs."""

    def __init__(self, taxonomy: Taxonomy):
        project = taxonomy.project
        self.pub = ident(project.public_schema)
        self.priv = ident(project.private_schema)
        self.pub_name = project.public_schema
        self.priv_name = project.private_schema
        self.api_roles = ("anon", "authenticated")
        self.ingest_roles = (("anon",) if project.allow_anon else ()) + ("authenticated", "service_role")
        self.site_claim = claim_path(project.claims.site_id)
        self.tier_claim = claim_path(project.claims.tier)
        self.network_claim = claim_path(project.claims.network_id)

    def context(self) -> dict:
        """What body templates may print."""
        return {"pub": self.pub, "priv": self.priv, "pub_name": self.pub_name, "priv_name": self.priv_name,
                "api_roles": ", ".join(self.api_roles), "site_claim": self.site_claim,
                "tier_claim": self.tier_claim, "network_claim": self.network_claim}


CORE = Origin()


def service_policy(schema: str, table: str, group: str, origin: Origin = CORE) -> Policy:
    return Policy(schema, table, ident(short_name(table.strip('"') + "_service")), SERVICE,
                  group=group, origin=origin)


def _schemas(taxonomy: Taxonomy, n: Names) -> list[DbObject]:
    g = "00_schemas"
    name = taxonomy.project.name
    return [
        Extension("pgcrypto", "extensions", group=g),
        Extension("pg_cron", group=g),
        Schema(n.pub, literal(f"{name}: analytics exposed to the API (views, RPC)"),
               n.api_roles + SERVICE, group=g),
        # usage is needed to call the narrowly granted definer functions; no table here is granted to API roles
        Schema(n.priv, literal(f"{name}: analytics storage and definer code; never granted to API roles"),
               n.ingest_roles, group=g),
        # Supabase's guide for custom schemas grants ALL on new tables, sequences and functions to the
        # API roles; such defaults belong to the role that creates the objects, so they are revoked for
        # the migrating role and for each creating role that exists and that it may act for (others are
        # skipped, so this also applies without Supabase). PostgreSQL's own EXECUTE-to-PUBLIC on new
        # functions cannot be revoked per schema: every generated function revokes it itself.
        Statement("default_privileges", body("default_privileges", creator_roles=[
            {"ident": ident(r), "literal": literal(r)} for r in CREATOR_ROLES], **n.context()),
            "nothing created here later is reachable by default: every grant is explicit", group=g),
    ]


def _reference(taxonomy: Taxonomy, n: Names) -> list[DbObject]:
    g = "10_reference"
    read = (Grant("select", n.api_roles), Grant("all", SERVICE))
    tiers = Table(n.pub, "tiers", (
        Column("name", "text", check="name ~ '^[a-z][a-z0-9_]*$'"),
        Column("rank", "integer", not_null=True),
        Column("is_system", "boolean", not_null=True, default="false"),
        Column("description", "text", not_null=True),
    ), ("constraint tiers_pkey primary key (name)",), role="reference",
        comment=literal("Caller tiers, lowest rank first; system events are accepted from any tier."),
        grants=read, group=g)
    types = Table(n.pub, "event_types", (
        Column("id", "text", check=r"id ~ '^[a-z][a-z0-9_]*\.[a-z][a-z0-9]*(_[a-z0-9]+)+$'"),
        Column("tier", "text", not_null=True, references=f"{n.pub}.tiers (name)"),
        Column("description", "text", not_null=True),
        Column("owner", "text", not_null=True),
        Column("status", "text", not_null=True, check="status in ('active', 'deprecated')"),
        Column("schema_version", "text", not_null=True, check="schema_version ~ '^[1-9][0-9]*-[0-9]+-[0-9]+$'"),
        Column("replaced_by", "text", references=f"{n.pub}.event_types (id)"),
        Column("payload_schema", "jsonb", not_null=True),
    ), ("constraint event_types_pkey primary key (id)",), role="reference",
        comment=literal("Controlled event ids; events reference this table. Never deleted, only deprecated."),
        grants=read, group=g)
    out: list[DbObject] = [tiers, types, Index(n.pub, "event_types_tier_idx", f"{n.pub}.event_types", "(tier)", group=g)]
    for t in taxonomy.tiers:
        out.append(Row(n.pub, "tiers", ("name", "rank", "is_system", "description"),
                       (literal(t.name), str(t.rank), literal(t.system), literal(t.description)),
                       update=("rank", "is_system", "description"), group=g))
    columns = ("id", "tier", "description", "owner", "status", "schema_version", "replaced_by", "payload_schema")
    for e in taxonomy.events:
        out.append(Row(n.pub, "event_types", columns, (
            literal(e.id), literal(e.tier), literal(e.description), literal(e.owner), literal(e.status),
            literal(e.version), literal(e.replaced_by), jsonb_literal(payload_schema(taxonomy.project.name, e))),
            update=columns[2:], group=g, origin=Origin(f"event:{e.id}", e.span)))
    for table in ("tiers", "event_types"):
        out.append(Policy(n.pub, table, f"{table}_read", n.api_roles, "select", check=None, group=g))
        out.append(service_policy(n.pub, table, g))
    return out


def _event_store(taxonomy: Taxonomy, n: Names) -> list[DbObject]:
    g = "20_event_store"
    p = n.priv
    secrets = Table(p, "secrets", (Column("name", "text"), Column("value", "bytea", not_null=True)),
                    ("constraint secrets_pkey primary key (name)",),
                    comment=literal("Per-deployment secrets, made at migration time and never leaving the database."),
                    grants=SERVICE_ALL, group=g)
    events = Table(p, "events", (
        Column("event_id", "text", not_null=True, references=f"{n.pub}.event_types (id)"),
        Column("site_id", "uuid", not_null=True),
        Column("network_id", "uuid"),
        Column("actor_hash", "bytea", not_null=True),
        Column("actor_tier", "text", not_null=True, references=f"{n.pub}.tiers (name)"),
        Column("occurred_at", "timestamptz", not_null=True),
        Column("received_at", "timestamptz", not_null=True, default="now()"),
        Column("idempotency_key", "uuid", not_null=True),
        Column("plan_version", "text"),
        Column("payload", "jsonb", not_null=True),
        Column("ingest_xid", "xid8", not_null=True, default="pg_current_xact_id()",
               comment="the writing transaction: rollups read up to the oldest running one, so late commits are never skipped"),
    ), ("constraint events_pkey primary key (site_id, idempotency_key, occurred_at)",),
        partition_by="range (occurred_at)",
        comment=literal("Accepted events, one row each; partitioned by month, default partition catches the rest."),
        grants=SERVICE_ALL, group=g)
    default = Table(p, "events_default", events.columns, partition_of=f"{p}.events", grants=SERVICE_ALL, group=g)
    keys = Table(p, "event_keys", (
        Column("site_id", "uuid", not_null=True),
        Column("idempotency_key", "uuid", not_null=True),
        Column("occurred_at", "timestamptz", not_null=True),
    ), ("constraint event_keys_pkey primary key (site_id, idempotency_key)",),
        comment=literal("Idempotency: one row per client key and site, whatever the partition of the event."),
        grants=SERVICE_ALL, group=g)
    rejections = Table(p, "rejections", (
        Column("day", "date", not_null=True),
        Column("site_id", "uuid"),
        Column("event_id", "text", not_null=True),
        Column("reason", "text", not_null=True),
        Column("field", "text", not_null=True, default="''"),
        Column("rejected", "bigint", not_null=True, default="0"),
        Column("last_seen", "timestamptz", not_null=True, default="now()"),
    ), ("constraint rejections_counter_key unique nulls not distinct (day, site_id, event_id, reason, field)",),
        comment=literal("Rejections counted by day, site, event id and reason; payload values are never kept."),
        grants=SERVICE_ALL, group=g)
    out: list[DbObject] = [
        secrets,
        Row(p, "secrets", ("name", "value"), ("'actor_hmac_key'", "extensions.gen_random_bytes(32)"), group=g),
        events, default,
        Index(p, "events_site_time_idx", f"{p}.events", "(site_id, occurred_at)", group=g),
        Index(p, "events_event_time_idx", f"{p}.events", "(event_id, occurred_at)", group=g),
        Index(p, "events_ingest_xid_idx", f"{p}.events", "(ingest_xid)", group=g),
        keys,
        Index(p, "event_keys_time_idx", f"{p}.event_keys", "(occurred_at)", group=g),
        rejections,
    ]
    for table in ("event_keys", "events", "events_default", "rejections", "secrets"):
        out.append(service_policy(p, table, g))
    # defence in depth: even if select were granted one day, a caller would see only its own site
    out.append(Policy(p, "events", "events_own_site", ("authenticated",), "select",
                      f"site_id = ((select auth.jwt()) #>> {n.site_claim})::uuid", None, group=g))
    return out


def _partitions(taxonomy: Taxonomy, n: Names) -> list[DbObject]:
    g = "30_partitions"
    fn = Function(n.priv, "ensure_event_partitions",
                  (Arg("months_ahead", "integer", str(taxonomy.project.partitions_ahead)),), "integer",
                  body("ensure_event_partitions", **n.context()), language="plpgsql", volatility="volatile",
                  security="definer", settings=(("search_path", "''"), ("timezone", "'UTC'")),
                  comment=literal("Monthly event partitions, made ahead of time by a pg_cron job; rows that reached "
                                  "the default partition for a month move into the new partition."),
                  grants=(Grant("execute", SERVICE),), group=g)
    return [fn, Statement("first_partitions", f"select {n.priv}.ensure_event_partitions()",
                          "the partitions for this month and the next ones", group=g)]


def _payload_checks(taxonomy: Taxonomy, n: Names) -> list[DbObject]:
    g = "40_payload_checks"
    helper = {"language": "plpgsql", "volatility": "stable", "group": g}
    out: list[DbObject] = [
        Function(n.priv, "is_timestamp", (Arg("value", "text"),), "boolean", body("is_timestamp"), **helper),
        Function(n.priv, "is_date", (Arg("value", "text"),), "boolean", body("is_date"), **helper),
    ]
    checks = []
    for event in taxonomy.events:
        c = event_checks(event, check_function(event.id), n.priv)
        ctx = {"event_id": c.event_id, "id_literal": literal(c.event_id), "function": ident(c.function),
               "allowed_keys": c.allowed_keys, "segments": c.segments}
        checks.append(ctx)
        out.append(Function(n.priv, ctx["function"], (Arg("p", "jsonb"),), "text", body("payload_check", e=ctx),
                            comment=literal(f"Payload check of {event.id}: null when valid, else 'reason:field'."),
                            origin=Origin(f"event:{event.id}", event.span), **helper))
    out.append(Function(n.priv, "payload_problem", (Arg("event_id", "text"), Arg("p", "jsonb")), "text",
                        body("payload_problem", checks=checks, **n.context()),
                        comment=literal("Dispatch by event id; unknown ids never reach here."),
                        calls=tuple(f"{n.priv}.{c['function']}(jsonb)" for c in checks), **helper))
    return out


def _ingest(taxonomy: Taxonomy, n: Names) -> list[DbObject]:
    g = "50_ingest"
    project = taxonomy.project
    ctx = dict(n.context(), envelope_keys=text_array(ENVELOPE_KEYS), uuid_shape=literal(UUID_SHAPE),
               rfc3339_pattern=literal(RFC3339), plain_timestamp_pattern=literal(PLAIN_TIMESTAMP),
               max_batch=project.max_batch_size, max_payload_bytes=project.max_payload_bytes,
               max_past=interval(project.max_past), max_future=interval(project.max_future))
    ingest = (Grant("execute", n.ingest_roles),)
    # one generic plan per connection: its parameters never change the batch statement's shape.
    # The payload check is dispatched by payload_problem rather than a CASE inlined here, so a new
    # event adds a check and a dispatch line, not a rewrite of this function (the measured cost,
    # about 3% of B1, is within the bench's noise).
    # enable_nestloop off: the planner cannot know how many items a batch holds (it assumes 100, then
    # about 1 after the verdict's filters), so it joined the accepted keys to the inserted keys with a
    # nested loop that rescans one CTE per row of the other: 500 x 500 rows, a fifth of the call at 500
    # items. Hash joins cost the same at 1 item. Scoped to the call: the caller's session is untouched.
    private = Function(n.priv, "track_events", (Arg("events", "jsonb"),), "jsonb", body("track_events", **ctx),
                       language="plpgsql", volatility="volatile", security="definer",
                       settings=(("search_path", "''"), ("plan_cache_mode", "force_generic_plan"), ("enable_nestloop", "off")),
                       comment=literal("The privileged part of track_events: trusts only the JWT for site, tier and actor."),
                       grants=ingest, group=g,
                       calls=(f"{n.priv}.payload_problem(text, jsonb)", f"{n.priv}.is_timestamp(text)"))
    public = Function(n.pub, "track_events", (Arg("events", "jsonb"),), "jsonb",
                      f"  select {n.priv}.track_events(events);", volatility="volatile",
                      comment=literal("Send a batch of events: [{event_id, occurred_at, idempotency_key, payload, "
                                      "plan_version}]. Returns [{index, status, reason, field}] in input order."),
                      grants=ingest, group=g, calls=(private.signature,))
    version = Function(n.pub, "plan_version", (), "text", f"  select {literal(plan_version(taxonomy))}::text;",
                       volatility="immutable", comment=literal("The tracking plan version the database accepts."),
                       grants=(Grant("execute", n.api_roles + SERVICE),), group=g)
    # Counters written before only taxonomy names were kept: fold any other event id or field into
    # '<unknown>' (a no-op once done; counts are kept).
    scrub = Statement("fold_rejection_names", body("fold_rejection_names", **n.context()),
                      "rejection counters keep only names the taxonomy knows", group=g)
    return [private, public, version, scrub]


def core_jobs(taxonomy: Taxonomy, extra_jobs: list[CronJob]) -> list[CronJob]:
    """The maintenance jobs, plus ``extra_jobs``; the history purge names every one of them exactly."""
    project = taxonomy.project
    priv = ident(project.private_schema)
    prefix = job_prefix(taxonomy)
    keep_keys = f"{interval(project.max_past)} + interval '1 day'"
    g = "90_cron"
    jobs = [
        CronJob(literal(prefix + "event_partitions"), literal("17 3 * * *"),
                literal(f"select {priv}.ensure_event_partitions()"),
                f"keep {project.partitions_ahead} monthly event partitions ready ahead of now", group=g),
        CronJob(literal(prefix + "purge_event_keys"), literal("43 3 * * *"),
                literal(f"delete from {priv}.event_keys where occurred_at < now() - ({keep_keys})"),
                "forget idempotency keys of events too old to be accepted again", group=g),
        CronJob(literal(prefix + "purge_rejections"), literal("29 3 * * *"),
                literal(f"delete from {priv}.rejections where day < "
                        f"((now() at time zone 'UTC') - {interval(project.rejections_retention)})::date"),
                f"keep {project.rejections_retention} of rejection counters (storage.rejections_retention)",
                group=g),
    ]
    purge_name = prefix + "purge_cron_history"
    names = sorted([job.name for job in jobs + list(extra_jobs)] + [literal(purge_name)])
    jobs.append(CronJob(
        literal(purge_name), literal("11 4 * * *"),
        literal("delete from cron.job_run_details where end_time < now() - "
                f"{interval(project.cron_history)} and jobid in "
                f"(select jobid from cron.job where jobname in ({', '.join(names)}))"),
        f"keep {project.cron_history} of run history, for this schema's jobs only", group=g))
    return jobs + list(extra_jobs)


def plan(taxonomy: Taxonomy) -> list[DbObject]:
    """The core objects, in apply order (the KPI layer and the cron jobs are added by the caller)."""
    n = Names(taxonomy)
    return (_schemas(taxonomy, n) + _reference(taxonomy, n) + _event_store(taxonomy, n)
            + _partitions(taxonomy, n) + _payload_checks(taxonomy, n) + _ingest(taxonomy, n))


#: the declarative files' headings, by group (file name without .sql)
GROUP_TITLES = {
    "00_schemas": "Schemas, extensions and default privileges of the analytics store.",
    "10_reference": "Controlled reference tables: tiers and event types, seeded from the taxonomy "
                    "(upserted, never deleted).",
    "20_event_store": "The event store: partitioned by month of occurred_at, written only by track_events; "
                      "actor_hash is HMAC-SHA256(user id, per-deployment secret).",
    "30_partitions": "Monthly partitions, created ahead of time by a pg_cron job.",
    "40_payload_checks": "Payload validation, one function per event, generated from the event's JSON Schema.",
    "50_ingest": "Ingestion: analytics.track_events(events jsonb) -> one result per input, in order.",
    "60_kpis": "KPIs: incremental private rollups, their refresh functions and the exposed reads.",
    "70_clickhouse_export": "The export view ClickHouse ingests from (targets: clickhouse; see docs/clickhouse.md).",
    "90_cron": "pg_cron jobs owned by this schema: one name per job, so re-running updates in place.",
}
