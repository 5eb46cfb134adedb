"""The PostgreSQL side of the ClickHouse target: the export view ClickHouse ingests from.

ClickHouse's ``postgresql()`` table function pushes only simple comparisons down, so the part
of the contract that needs PostgreSQL's own knowledge lives here, in SQL PostgreSQL runs:

- the snapshot bound: only events whose writing transaction is older than every transaction
  still running (``ingest_xid < pg_snapshot_xmin(pg_current_snapshot())``) are exported, so an
  event committed late by a long transaction can never be skipped by a watermark that moved
  past it;
- the watermark column twice: ``ingest_xid`` keeps its xid8 type, so ClickHouse's pushed-down
  ``ingest_xid >= '<zero-padded number>'`` reaches PostgreSQL as an xid8 comparison that the
  event store's ``(ingest_xid)`` index serves; ``ingest_xid_number`` is the same value as a
  bigint, the column ClickHouse stores and computes with.

The view runs with its owner's rights (``security_invoker`` off) and is granted only to the
login role named in project.yaml (``clickhouse.reader_role``), when that role exists:
migrations never create roles.  It is a catalog object like any other, so enabling the target
adds it in the next delta migration.
"""

from __future__ import annotations

from ...catalog import DbObject, Grant, Origin, Statement, View
from ...model import Taxonomy
from ...sqlquote import ident, literal

GROUP = "70_clickhouse_export"
ORIGIN = Origin("core")
EXPORT_VIEW = "clickhouse_events"

#: (column, PostgreSQL expression over the events alias e) exported to ClickHouse, in order
EXPORT_COLUMNS = (
    ("event_id", "e.event_id"),
    ("site_id", "e.site_id"),
    ("network_id", "e.network_id"),
    ("actor_hash", "encode(e.actor_hash, 'hex')"),
    ("actor_tier", "e.actor_tier"),
    ("occurred_at", "e.occurred_at"),
    ("received_at", "e.received_at"),
    ("idempotency_key", "e.idempotency_key"),
    ("plan_version", "e.plan_version"),
    ("payload", "e.payload::text"),
    ("ingest_xid", "e.ingest_xid"),
    ("ingest_xid_number", "(e.ingest_xid::text)::bigint"),
)


def enabled(taxonomy: Taxonomy) -> bool:
    return "clickhouse" in taxonomy.project.targets


def plan(taxonomy: Taxonomy) -> list[DbObject]:
    """The export view and the guarded grant to ClickHouse's login role (nothing when the target is off)."""
    if not enabled(taxonomy):
        return []
    project = taxonomy.project
    priv = ident(project.private_schema)
    role = ident(project.clickhouse_reader_role)
    select = ",\n".join(f"    {expr} as {ident(name)}" for name, expr in EXPORT_COLUMNS)
    query = (f"  select\n{select}\n  from {priv}.events as e\n"
             "  where e.ingest_xid < pg_snapshot_xmin(pg_current_snapshot())")
    # service_role manages everything private (the access contract); the API roles get nothing
    view = View(priv, EXPORT_VIEW, query, tuple((n, "text") for n, _e in EXPORT_COLUMNS), security_invoker=False,
                grants=(Grant("all", ("service_role",)),),
                comment=literal("What ClickHouse ingests: committed events older than every running transaction "
                                "(read with its owner's rights; granted only to the ClickHouse login role)."),
                group=GROUP, origin=ORIGIN)
    grant = Statement(
        "clickhouse_reader_grants",
        "do $grant$\nbegin\n"
        f"  if exists (select from pg_catalog.pg_roles where rolname = {literal(project.clickhouse_reader_role)}) then\n"
        f"    grant usage on schema {priv} to {role};\n"
        f"    grant select on {priv}.{EXPORT_VIEW} to {role};\n"
        "  end if;\nend\n$grant$",
        comment=f"ClickHouse's login role ({project.clickhouse_reader_role}) reads the export view and nothing else; "
                "the role is made by the operator, never by a migration (re-run this after creating it)",
        group=GROUP, origin=ORIGIN)
    return [view, grant]
