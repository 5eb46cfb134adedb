"""Helpers shared by the database tests (the fixtures themselves are in conftest.py).

Import them as ``from dbutil import as_caller, apply_sql_files, claims`` (tests/
is put on ``sys.path`` by tests/conftest.py).

What the fixtures provide (see conftest.py for the details):

- ``pg_cluster`` (session; one private cluster per xdist worker), with ``.host``,
  ``.port``, ``.user`` (superuser), ``.dbname`` (the pg_cron database),
  ``.dsn(dbname=None, user=None)`` and
  ``.connect(dbname=None, autocommit=True, user=None)``.
- ``cron_db`` (function): an autocommit superuser connection to ``pg_cluster.dbname``
  after :func:`reset_cron_db`.

Supabase stand-ins (:data:`STANDINS_SQL`) are made by the fixtures, never by the
generated SQL: roles ``anon``, ``authenticated``, ``service_role`` (NOLOGIN,
service_role BYPASSRLS), ``authenticator`` (LOGIN NOINHERIT, member of the three,
like PostgREST's login role), schema ``auth`` with ``auth.jwt()``, ``auth.uid()``,
``auth.role()``, and schema ``extensions`` holding pgcrypto.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from os import PathLike
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

# Roles that exist on Supabase and that the generated SQL grants to (never creates).
API_ROLES = ("anon", "authenticated", "service_role")
# The login role tests may connect as (pg_cluster.connect(user=LOGIN_ROLE)) and
# then `set role` to one of API_ROLES, like PostgREST does.
LOGIN_ROLE = "authenticator"

# Schemas the generated SQL owns; cron_db drops them before every test.
OWNED_SCHEMAS = ("analytics", "analytics_private")

# Idempotent: run on template1 at cluster start (so every database created later
# has the stand-ins) and again by reset_cron_db (repairs anything a test broke).
STANDINS_SQL = r"""
do $standins$
begin
  if not exists (select from pg_catalog.pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'authenticator') then
    create role authenticator login noinherit;
  end if;
end
$standins$;
grant anon, authenticated, service_role to authenticator;

create schema if not exists auth;
grant usage on schema auth to anon, authenticated, service_role;

-- Same shape as Supabase's: read the claims PostgREST puts in request.jwt.claims.
-- (Supabase's auth.jwt() returns null without claims; this one returns '{}'.)
create or replace function auth.jwt() returns jsonb
  language sql stable
as $$
  select coalesce(nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb,
                  '{}'::jsonb)
$$;

create or replace function auth.uid() returns uuid
  language sql stable
as $$
  select (nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb
          ->> 'sub')::uuid
$$;

create or replace function auth.role() returns text
  language sql stable
as $$
  select nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb ->> 'role'
$$;

grant execute on function auth.jwt(), auth.uid(), auth.role()
  to anon, authenticated, service_role;

create schema if not exists extensions;
create extension if not exists pgcrypto with schema extensions;
grant usage on schema extensions to anon, authenticated, service_role;

-- Supabase's defaults for the host application's schema: what the postgres
-- role creates in public is granted to the API roles.
grant usage on schema public to anon, authenticated, service_role;
alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
"""


def install_standins(conn: psycopg.Connection) -> None:
    """Create (or repair) the Supabase stand-ins in the connection's database."""
    conn.execute(STANDINS_SQL)


def ensure_pg_cron(conn: psycopg.Connection) -> str:
    """``create extension if not exists pg_cron`` (the generated migrations do this
    themselves; harness tests call this). Must be connected to ``pg_cluster.dbname``.
    Returns the installed extension version, e.g. ``'1.4-1'``."""
    conn.execute("create extension if not exists pg_cron")
    row = conn.execute("select extversion from pg_catalog.pg_extension where extname = 'pg_cron'").fetchone()
    assert row is not None
    return row[0]


def pg_cron_supports_seconds(conn: psycopg.Connection) -> bool:
    """True when the installed pg_cron (>= 1.5) accepts '[1-59] seconds' schedules."""
    row = conn.execute(
        "select default_version from pg_catalog.pg_available_extensions where name = 'pg_cron'"
    ).fetchone()
    if row is None:
        return False
    major, minor = (int(x) for x in row[0].split("-")[0].split(".")[:2])
    return (major, minor) >= (1, 5)


def reset_cron_db(conn: psycopg.Connection) -> None:
    """Bring the cron database back to the clean state every test starts from:
    drops the schemas the generated SQL owns (:data:`OWNED_SCHEMAS`), deletes all
    pg_cron jobs and their run history (when the extension exists), and re-applies
    the stand-ins. pg_cron itself, if created, is kept. Nothing else is touched:
    other objects a test creates live until the worker's session ends."""
    if not conn.autocommit:
        raise ValueError("reset_cron_db needs an autocommit connection")
    # A connection a previous test leaked while idle in a transaction would hold
    # locks that make the drops below wait; end it.
    conn.execute(
        """
        select pg_catalog.pg_terminate_backend(pid)
        from pg_catalog.pg_stat_activity
        where datname = pg_catalog.current_database()
          and pid <> pg_catalog.pg_backend_pid()
          and backend_type = 'client backend'
          and state in ('idle in transaction', 'idle in transaction (aborted)')
        """
    )
    conn.execute("set lock_timeout = '20s'")
    try:
        has_cron = conn.execute(
            "select exists (select from pg_catalog.pg_extension where extname = 'pg_cron')"
        ).fetchone()[0]
        if has_cron:  # first, so no refresh job starts while the schemas go
            conn.execute("delete from cron.job")
        for schema in OWNED_SCHEMAS:
            for attempt in range(5):  # a job that was already running may hold locks for a moment
                try:
                    conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(schema)))
                    break
                except (psycopg.errors.DeadlockDetected, psycopg.errors.LockNotAvailable):
                    if attempt == 4:
                        raise
                    time.sleep(0.5)
        if has_cron:
            conn.execute("delete from cron.job_run_details")
        install_standins(conn)
    finally:
        conn.execute("reset lock_timeout")


def claims(
    site_id: uuid.UUID | str,
    tier: str,
    sub: uuid.UUID | str,
    network_id: uuid.UUID | str | None = None,
    *,
    role: str = "authenticated",
    user_metadata: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """JWT claims shaped like Supabase's: ``sub``, ``role`` and ``aud`` at the top
    level, the trusted attributes (``site_id``, ``tier``, ``network_id`` when given)
    under ``app_metadata``. ``user_metadata`` (user-editable on Supabase) is only
    present when passed, e.g. to show that policies ignore it."""
    app_metadata: dict[str, Any] = {"site_id": str(site_id), "tier": tier}
    if network_id is not None:
        app_metadata["network_id"] = str(network_id)
    result: dict[str, Any] = {
        "sub": str(sub),
        "role": role,
        "aud": "authenticated",
        "app_metadata": app_metadata,
    }
    if user_metadata is not None:
        result["user_metadata"] = user_metadata
    return result


@contextmanager
def as_caller(
    conn: psycopg.Connection,
    role: str,
    claims: dict[str, Any] | None = None,
    *,
    commit: bool = False,
) -> Iterator[psycopg.Cursor]:
    """Run the block as an API caller, the way PostgREST does: in a transaction,
    ``set local role <role>`` and ``set_config('request.jwt.claims', <json>, true)``.

    Yields a cursor. At exit the transaction is rolled back, or committed when
    ``commit=True`` (an exception always rolls back). Use an autocommit connection
    (as ``cron_db`` and ``pg_cluster.connect()`` give); on a connection already in a
    transaction this becomes a savepoint and the settings last until that outer
    transaction ends. ``claims=None`` sets no claims (an unauthenticated call).
    """
    tx = conn.transaction(force_rollback=not commit)
    with tx:
        cur = conn.cursor()
        try:
            cur.execute(sql.SQL("set local role {}").format(sql.Identifier(role)))
            cur.execute(
                "select pg_catalog.set_config('request.jwt.claims', %s, true)",
                (json.dumps(claims, sort_keys=True) if claims is not None else "",),
            )
            yield cur
        finally:
            cur.close()


class SqlFileError(RuntimeError):
    """A SQL file failed; the message names the file and the server's error."""

    def __init__(self, path: Path, error: psycopg.Error):
        diag = error.diag
        where = []
        if diag.sqlstate:
            where.append(f"SQLSTATE {diag.sqlstate}")
        if diag.statement_position:
            text = path.read_text(encoding="utf-8")
            pos = int(diag.statement_position)
            line = text.count("\n", 0, pos - 1) + 1
            where.append(f"line {line}")
        if diag.context:
            where.append(f"context: {diag.context.strip()}")
        detail = f" ({'; '.join(where)})" if where else ""
        super().__init__(f"{path}: {str(error).strip()}{detail}")
        self.path = path
        self.error = error


def apply_sql_files(conn: psycopg.Connection, paths: Iterable[str | PathLike[str]]) -> None:
    """Execute each SQL file in order, each as one batch (simple query protocol, so
    a file may hold many statements and its own ``begin``/``commit``). On an
    autocommit connection a multi-statement file runs as one implicit transaction,
    as Supabase's CLI runs each migration in a transaction (so
    ``create index concurrently`` only works in a file of its own).

    Raises :class:`SqlFileError` naming the file (and the line, when the server
    reports a position) on the first error; later files are not run.
    """
    for p in paths:
        path = Path(p)
        text = path.read_text(encoding="utf-8")
        try:
            # No parameters: psycopg sends the text as is (no %-placeholder parsing).
            conn.execute(text.encode("utf-8"))
        except psycopg.Error as e:
            if not conn.autocommit and conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                conn.rollback()
            raise SqlFileError(path, e) from e


#: What Supabase's "Using custom schemas" guide has a project run for a schema it
#: exposes. The generated SQL must stay safe when a project did this before migrating.
SUPABASE_DEFAULTS = """
create schema if not exists analytics;
create schema if not exists analytics_private;
grant usage on schema analytics, analytics_private to anon, authenticated, service_role;
alter default privileges in schema analytics, analytics_private
    grant all on tables to anon, authenticated, service_role;
alter default privileges in schema analytics, analytics_private
    grant all on routines to anon, authenticated, service_role;
alter default privileges in schema analytics, analytics_private
    grant all on sequences to anon, authenticated, service_role;
"""

_INSERT_EVENTS = """
insert into analytics_private.events
  (event_id, site_id, network_id, actor_hash, actor_tier, occurred_at, idempotency_key, payload)
select r.event_id, r.site, r.network,
       extensions.hmac(convert_to(r.actor, 'UTF8'),
                       (select s.value from analytics_private.secrets s where s.name = 'actor_hmac_key'), 'sha256'),
       r.tier, r.occurred_at, r.key, r.payload
from jsonb_to_recordset(%s::jsonb)
  as r (event_id text, site uuid, network uuid, actor text, tier text, occurred_at timestamptz, key uuid, payload jsonb)
"""


def insert_events(conn: psycopg.Connection, events: list[dict], *, skip_duplicates: bool = False) -> None:
    """Store events directly, as the superuser, with the same keyed actor hash track_events computes.

    Each event is a dict with site, network (or None), actor (the user id), tier, event_id,
    occurred_at (datetime or ISO text), key (uuid text) and payload. Much faster than
    track_events for building large KPI fixtures; ingestion itself is tested elsewhere.
    """
    import json

    rows = [dict(e, occurred_at=e["occurred_at"] if isinstance(e["occurred_at"], str) else e["occurred_at"].isoformat(),
                 network=e.get("network")) for e in events]
    conn.execute(_INSERT_EVENTS + (" on conflict do nothing" if skip_duplicates else ""), (json.dumps(rows),))


#: normalised catalog queries over the analytics schemas: what "the same database objects" means
_CATALOG_QUERIES = {
    "relations": """
        select n.nspname, c.relname, c.relkind, coalesce(c.reloptions::text, ''), c.relrowsecurity,
               coalesce(obj_description(c.oid, 'pg_class'), '')
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname in ('analytics', 'analytics_private') and c.relkind in ('r', 'p', 'v', 'm')""",
    "columns": """
        select n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               coalesce(pg_get_expr(d.adbin, d.adrelid), '')
        from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
        left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
        where n.nspname in ('analytics', 'analytics_private') and a.attnum > 0 and not a.attisdropped
          and c.relkind in ('r', 'p', 'v', 'm')""",
    "constraints": """
        select n.nspname, c.relname, k.conname, pg_get_constraintdef(k.oid)
        from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
        where n.nspname in ('analytics', 'analytics_private')""",
    "indexes": """
        select schemaname, tablename, indexname, indexdef from pg_indexes
        where schemaname in ('analytics', 'analytics_private')""",
    "functions": """
        select p.oid::regprocedure::text, pg_get_function_result(p.oid), md5(p.prosrc), p.prosecdef,
               p.provolatile, coalesce(p.proconfig::text, ''), coalesce(obj_description(p.oid, 'pg_proc'), '')
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname in ('analytics', 'analytics_private')""",
    "views": """
        select schemaname, viewname, md5(definition) from pg_views
        where schemaname in ('analytics', 'analytics_private')""",
    "policies": """
        select schemaname, tablename, policyname, permissive, roles::text, cmd, coalesce(qual, ''),
               coalesce(with_check, '') from pg_policies where schemaname in ('analytics', 'analytics_private')""",
    "relation_grants": """
        select n.nspname, c.relname, a.grantee::regrole::text, a.privilege_type
        from pg_class c join pg_namespace n on n.oid = c.relnamespace, aclexplode(c.relacl) a
        where n.nspname in ('analytics', 'analytics_private') and a.grantee <> 0""",
    "function_grants": """
        select p.oid::regprocedure::text, a.grantee::regrole::text, a.privilege_type
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace, aclexplode(p.proacl) a
        where n.nspname in ('analytics', 'analytics_private') and a.grantee <> 0""",
    "public_execute": """
        select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname in ('analytics', 'analytics_private') and has_function_privilege('public', p.oid, 'execute')""",
    "cron_jobs": "select jobname, schedule, command from cron.job where jobname like 'analytics%'",
    "tiers": "select name, rank, is_system, description from analytics.tiers",
    "event_types": """
        select id, tier, description, owner, status, schema_version, coalesce(replaced_by, ''), md5(payload_schema::text)
        from analytics.event_types""",
    "event_sets": "select set_name, event_id from analytics_private.kpi_event_sets",
}


def catalog_state(conn: psycopg.Connection) -> dict[str, set[tuple]]:
    """The analytics schemas' objects, grants, policies, cron jobs and reference rows, as sets of rows.

    Two databases with equal states have the same objects with the same definitions,
    whatever order of migrations built them (data in the event store and caches aside)."""
    out = {}
    for name, query in _CATALOG_QUERIES.items():
        try:
            out[name] = {tuple(str(v) for v in row) for row in conn.execute(query).fetchall()}
        except psycopg.errors.UndefinedTable:
            conn.rollback() if not conn.autocommit else None
            out[name] = set()
    return out


def catalog_differences(live: dict[str, set[tuple]], fresh: dict[str, set[tuple]]) -> list[str]:
    out = []
    for name in sorted(set(live) | set(fresh)):
        extra, missing = live.get(name, set()) - fresh.get(name, set()), fresh.get(name, set()) - live.get(name, set())
        for row in sorted(extra)[:5]:
            out.append(f"{name}: only in the migrated database: {row}")
        for row in sorted(missing)[:5]:
            out.append(f"{name}: only in the fresh database: {row}")
    return out
