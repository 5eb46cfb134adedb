"""The generated SQL applied to a real PostgreSQL with pg_cron.

- the migrations apply from scratch, and the declarative schemas/ files give the
  very same catalog (relations, columns, indexes, constraints, policies,
  functions, grants, cron jobs, reference rows);
- both are re-runnable: applying again changes nothing (catalog, secret, jobs,
  stored events);
- nothing outside analytics/analytics_private changes, except pg_cron jobs and
  the extensions the SQL needs;
- the Supabase linter rules (tests/splinter.py) report nothing, also after a
  month of partition maintenance;
- the pg_cron jobs exist, their commands run, and the partition job keeps the
  partitions (and the rows in the default partition) right.
"""

from __future__ import annotations

import difflib
import json
import re
import uuid
from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest
from dbutil import OWNED_SCHEMAS, as_caller, claims, reset_cron_db
from splinter import lint

from generator.sqlquote import short_name

pytestmark = pytest.mark.db

SCHEMAS = list(OWNED_SCHEMAS)
#: the maintenance jobs (generator.plan.database.core_jobs); the KPI refresh jobs come from the
#: taxonomy (fixture expected_jobs)
CORE_JOBS = ("analytics_event_partitions", "analytics_purge_event_keys", "analytics_purge_rejections",
             "analytics_purge_cron_history")


def job_names(expected_jobs) -> list[str]:
    return [name for name, _, _ in expected_jobs]



# --------------------------------------------------------------------------- #
# Catalog snapshots
# --------------------------------------------------------------------------- #

_OURS = "n.nspname in ('analytics', 'analytics_private')"

SNAPSHOT_QUERIES: dict[str, str] = {
    "schemas": """
        select n.nspname, n.nspowner::regrole::text, array(select x::text from unnest(n.nspacl) x order by 1)::text,
               pg_catalog.obj_description(n.oid, 'pg_namespace')
        from pg_catalog.pg_namespace n where {ours} order by 1
    """,
    "default_acl": """
        select n.nspname, d.defaclrole::regrole::text, d.defaclobjtype, array(select x::text from unnest(d.defaclacl) x order by 1)::text
        from pg_catalog.pg_default_acl d join pg_catalog.pg_namespace n on n.oid = d.defaclnamespace
        where {ours} order by 1, 2, 3
    """,
    "relations": """
        select n.nspname, c.relname, c.relkind, c.relpersistence, c.relowner::regrole::text,
               c.relrowsecurity, c.relforcerowsecurity, c.reloptions::text, array(select x::text from unnest(c.relacl) x order by 1)::text,
               c.relispartition, pg_catalog.pg_get_expr(c.relpartbound, c.oid),
               case when c.relkind = 'p' then pg_catalog.pg_get_partkeydef(c.oid) end,
               pg_catalog.obj_description(c.oid, 'pg_class')
        from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where {ours} and c.relkind not in ('i', 'I')
        order by 1, 2
    """,
    "columns": """
        select n.nspname, c.relname, a.attnum, a.attname,
               pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,
               pg_catalog.pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated,
               array(select x::text from unnest(a.attacl) x order by 1)::text, pg_catalog.col_description(c.oid, a.attnum)
        from pg_catalog.pg_attribute a
        join pg_catalog.pg_class c on c.oid = a.attrelid
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        left join pg_catalog.pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
        where {ours} and a.attnum > 0 and not a.attisdropped
        order by 1, 2, 3
    """,
    "indexes": """
        select schemaname, tablename, indexname, indexdef from pg_catalog.pg_indexes
        where schemaname in ('analytics', 'analytics_private') order by 1, 2, 3
    """,
    "constraints": """
        select n.nspname, c.relname, k.conname, k.contype, pg_catalog.pg_get_constraintdef(k.oid),
               k.convalidated
        from pg_catalog.pg_constraint k
        join pg_catalog.pg_class c on c.oid = k.conrelid
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where {ours} order by 1, 2, 3
    """,
    "policies": """
        select schemaname, tablename, policyname, permissive, roles::text, cmd, qual, with_check
        from pg_catalog.pg_policies
        where schemaname in ('analytics', 'analytics_private') order by 1, 2, 3
    """,
    "triggers": """
        select t.tgrelid::regclass::text, t.tgname, pg_catalog.pg_get_triggerdef(t.oid)
        from pg_catalog.pg_trigger t
        join pg_catalog.pg_class c on c.oid = t.tgrelid
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where {ours} and not t.tgisinternal order by 1, 2
    """,
    "functions": """
        select p.oid::regprocedure::text, p.prokind, l.lanname, p.prosecdef, p.provolatile,
               p.proleakproof, p.proisstrict, p.proconfig::text,
               pg_catalog.pg_get_function_result(p.oid), p.proowner::regrole::text,
               array(select x::text from unnest(p.proacl) x order by 1)::text, pg_catalog.md5(p.prosrc),
               pg_catalog.obj_description(p.oid, 'pg_proc')
        from pg_catalog.pg_proc p
        join pg_catalog.pg_namespace n on n.oid = p.pronamespace
        join pg_catalog.pg_language l on l.oid = p.prolang
        where {ours} order by 1
    """,
    "types": """
        select n.nspname, t.typname, t.typtype, t.typowner::regrole::text, array(select x::text from unnest(t.typacl) x order by 1)::text
        from pg_catalog.pg_type t join pg_catalog.pg_namespace n on n.oid = t.typnamespace
        where {ours} order by 1, 2
    """,
    "cron_jobs": """
        select jobname, schedule, command, database, username, active
        from cron.job order by jobname
    """,
    "extensions": """
        select e.extname, n.nspname from pg_catalog.pg_extension e
        join pg_catalog.pg_namespace n on n.oid = e.extnamespace order by 1
    """,
    "reference_rows": """
        select 'tiers', pg_catalog.md5(pg_catalog.string_agg(t::text, '|' order by t.name))
        from analytics.tiers t
        union all
        select 'event_types', pg_catalog.md5(pg_catalog.string_agg(e::text, '|' order by e.id))
        from analytics.event_types e
        union all
        select 'secrets', pg_catalog.string_agg(s.name || ':' || pg_catalog.length(s.value), ',')
        from analytics_private.secrets s
    """,
}


def snapshot(conn: psycopg.Connection) -> dict[str, list[tuple]]:
    """The catalog facts of our two schemas (and the cron jobs), search_path
    emptied so every name prints schema-qualified."""
    out: dict[str, list[tuple]] = {}
    with conn.transaction():
        conn.execute("set local search_path = ''")
        for name, query in SNAPSHOT_QUERIES.items():
            out[name] = [tuple(r) for r in conn.execute(query.format(ours=_OURS)).fetchall()]
    return out


def outside_snapshot(conn: psycopg.Connection) -> dict[str, list[tuple]]:
    """Everything in the database that is not ours: relations, functions, schemas,
    policies, grants and default privileges outside analytics/analytics_private
    (pg_catalog, information_schema, pg_toast and pg_cron's own schema excluded)."""
    skip = "('analytics', 'analytics_private', 'pg_catalog', 'information_schema', 'pg_toast', 'cron')"
    queries = {
        "schemas": f"select nspname, array(select x::text from unnest(nspacl) x order by 1)::text from pg_namespace where nspname not in {skip} "
        "and nspname not like 'pg_temp%' and nspname not like 'pg_toast_temp%' order by 1",
        "relations": "select n.nspname, c.relname, c.relkind, array(select x::text from unnest(c.relacl) x order by 1)::text, c.relrowsecurity "
        "from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        f"where n.nspname not in {skip} and n.nspname not like 'pg_%' order by 1, 2",
        "functions": "select p.oid::regprocedure::text, array(select x::text from unnest(p.proacl) x order by 1)::text, md5(p.prosrc), p.proconfig::text "
        f"from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname not in {skip} "
        "order by 1",
        "policies": f"select * from pg_policies where schemaname not in {skip} order by 1, 2, 3",
        "default_acl": "select defaclrole::regrole::text, defaclnamespace::regnamespace::text, "
        "defaclobjtype, array(select x::text from unnest(defaclacl) x order by 1)::text from pg_default_acl "
        "where defaclnamespace = 0 or defaclnamespace::regnamespace::text not in "
        "('analytics', 'analytics_private') order by 1, 2, 3",
        "roles": "select rolname, rolsuper, rolinherit, rolcanlogin, rolbypassrls, rolconfig::text "
        "from pg_roles order by 1",
        "database": "select datname, array(select x::text from unnest(datacl) x order by 1)::text from pg_database order by 1",
        "db_settings": "select setdatabase, setrole, setconfig::text from pg_db_role_setting order by 1, 2",
    }
    out = {}
    with conn.transaction():
        conn.execute("set local search_path = ''")
        for name, q in queries.items():
            out[name] = [tuple(r) for r in conn.execute(q).fetchall()]
    return out


def assert_same(a: dict, b: dict, what: str) -> None:
    if a == b:
        return
    lines = []
    for section in sorted(set(a) | set(b)):
        if a.get(section) != b.get(section):
            left = [repr(r) for r in a.get(section, [])]
            right = [repr(r) for r in b.get(section, [])]
            lines.append(f"--- section {section}")
            lines.extend(difflib.unified_diff(left, right, lineterm="", n=0))
    raise AssertionError(f"{what}:\n" + "\n".join(lines[:200]))


def lint_findings(conn) -> list[str]:
    return [f"{f.rule} {f.object}: {f.detail}" for f in lint(conn, SCHEMAS)]


def _month_start(today: date, months: int) -> date:
    y, m = divmod(today.month - 1 + months, 12)
    return date(today.year + y, m + 1, 1)


def _utc_today() -> date:
    return datetime.now(UTC).date()


def partitions(conn) -> dict[str, str]:
    return dict(
        conn.execute(
            """
            select c.relname, pg_catalog.pg_get_expr(c.relpartbound, c.oid)
            from pg_catalog.pg_inherits i join pg_catalog.pg_class c on c.oid = i.inhrelid
            where i.inhparent = 'analytics_private.events'::regclass
            """
        ).fetchall()
    )


def partition_bounds_utc(conn) -> dict[str, tuple[datetime, datetime]]:
    """Range partitions of events -> (from, to) as UTC datetimes, whatever the
    session time zone was when they were made."""
    rows = conn.execute(
        r"""
        select c.relname,
               (regexp_match(pg_catalog.pg_get_expr(c.relpartbound, c.oid),
                             'FROM \(''([^'']+)''\) TO \(''([^'']+)''\)'))
        from pg_catalog.pg_inherits i join pg_catalog.pg_class c on c.oid = i.inhrelid
        where i.inhparent = 'analytics_private.events'::regclass and c.relname <> 'events_default'
        """
    ).fetchall()
    out = {}
    for name, (lo, hi) in rows:
        lo_ts, hi_ts = conn.execute(
            "select %s::timestamptz, %s::timestamptz", (lo, hi)
        ).fetchone()
        out[name] = (lo_ts.astimezone(UTC), hi_ts.astimezone(UTC))
    return out


def expected_partition_names(ahead: int) -> set[str]:
    today = _utc_today()
    return {f"events_{_month_start(today, i):%Y_%m}" for i in range(ahead + 1)}


# --------------------------------------------------------------------------- #
# 1. Applying the SQL
# --------------------------------------------------------------------------- #


def test_expected_jobs_are_the_core_jobs_plus_one_per_stored_kpi(expected_jobs, kpi_catalog, compiled):
    """What the other tests expect, checked against the contract itself: the four
    maintenance jobs and one refresh job per non-ratio KPI, on the KPI's schedule."""
    kpis = {k.name: k for k in compiled.taxonomy.kpis}
    stored = [k for k in kpis.values() if k.type != "ratio"]
    assert set(kpi_catalog.stored) == {k.name for k in stored}
    want = {name: None for name in CORE_JOBS}
    for kpi in stored:
        want[short_name(f"analytics_refresh_{kpi.name}")] = (kpi.refresh, f"select {kpi_catalog.refresh[kpi.name]}")
    got = {name: (schedule, command) for name, schedule, command in expected_jobs}
    assert sorted(got) == sorted(want)
    for name, schedule_command in want.items():
        if schedule_command is not None:
            assert got[name] == schedule_command, name


def test_migrations_apply_from_scratch(cron_db, migrate, compiled, expected_jobs, kpi_catalog):
    assert cron_db.execute(
        "select count(*) from pg_namespace where nspname in ('analytics', 'analytics_private')"
    ).fetchone()[0] == 0
    migrate(cron_db, "migrations")
    tax = compiled.taxonomy
    counts = cron_db.execute(
        "select (select count(*) from analytics.tiers), (select count(*) from analytics.event_types),"
        " (select count(*) from analytics_private.secrets), (select count(*) from cron.job)"
    ).fetchone()
    assert counts == (len(tax.tiers), len(tax.events), 1, len(expected_jobs))
    # every non-ratio KPI starts with a watermark and a network table across sites (no matview)
    watermarks = [r[0] for r in cron_db.execute(
        "select kpi from analytics_private.kpi_watermarks where next_xid = '0' and refreshed_at is null"
        " order by 1")]
    assert watermarks == sorted(kpi_catalog.stored)
    matviews = [r[0] for r in cron_db.execute(
        "select matviewname from pg_matviews where schemaname = 'analytics_private' order by 1")]
    assert matviews == []
    nets = [r[0] for r in cron_db.execute(
        "select c.relname from pg_class c where c.relnamespace = 'analytics_private'::regnamespace"
        " and c.relkind = 'r' and c.relrowsecurity and c.relname = any(%s) order by 1",
        (list(kpi_catalog.net.values()),))]
    assert nets == sorted(kpi_catalog.net.values())
    # the reference table says what the taxonomy says
    rows = dict(cron_db.execute("select id, status from analytics.event_types").fetchall())
    assert rows == {e.id: e.status for e in tax.events}
    # one function per event plus the shared ones
    checks = cron_db.execute(
        "select count(*) from pg_proc where pronamespace = 'analytics_private'::regnamespace"
        " and proname like 'check\\_%'"
    ).fetchone()[0]
    assert checks == len(tax.events)
    # partitions for this month and partitions_ahead months after it, plus the default
    names = set(partitions(cron_db))
    assert names == expected_partition_names(tax.project.partitions_ahead) | {"events_default"}


def test_declarative_schemas_give_the_same_catalog_as_the_migrations(cron_db, migrate):
    migrate(cron_db, "migrations")
    from_migrations = snapshot(cron_db)
    reset_cron_db(cron_db)
    migrate(cron_db, "schemas")
    from_schemas = snapshot(cron_db)
    assert from_migrations["functions"], "snapshot saw no function: wrong schema filter?"
    assert_same(from_migrations, from_schemas, "migrations/ and schemas/ differ")


@pytest.mark.parametrize("which", ["migrations", "schemas"])
def test_applying_twice_is_harmless(cron_db, migrate, compiled, which):
    migrate(cron_db, which)
    before = snapshot(cron_db)
    secret = cron_db.execute("select value from analytics_private.secrets").fetchall()
    jobs = cron_db.execute("select jobid, jobname from cron.job order by 1").fetchall()
    site, sub = uuid.uuid4(), uuid.uuid4()
    now = datetime.now(UTC).isoformat()
    ev = next(e for e in compiled.taxonomy.events if e.id == "system.logout_completed")
    batch = [
        {"event_id": ev.id, "occurred_at": now, "idempotency_key": str(uuid.uuid4()),
         "payload": ev.examples[0]}
    ]
    with as_caller(cron_db, "authenticated", claims(site, "practitioner", sub), commit=True) as cur:
        [result] = cur.execute("select analytics.track_events(%s::jsonb)", (json.dumps(batch),)).fetchone()[0]
    assert result["status"] == "accepted", result

    migrate(cron_db, which)
    assert_same(before, snapshot(cron_db), f"second application of {which}/ changed the catalog")
    assert cron_db.execute("select value from analytics_private.secrets").fetchall() == secret
    assert cron_db.execute("select jobid, jobname from cron.job order by 1").fetchall() == jobs
    assert cron_db.execute(
        "select count(*) from analytics_private.events where site_id = %s", (site,)
    ).fetchone()[0] == 1
    assert cron_db.execute("select count(*) from analytics_private.event_keys").fetchone()[0] == 1


def test_migration_on_top_of_declarative_schemas_is_a_no_op(cron_db, migrate):
    migrate(cron_db, "schemas")
    before = snapshot(cron_db)
    migrate(cron_db, "migrations")
    assert_same(before, snapshot(cron_db), "migration after schemas/ changed the catalog")


def test_nothing_outside_our_schemas_changes(cron_db, migrate, expected_jobs):
    cron_db.execute("create extension if not exists pg_cron")
    before = outside_snapshot(cron_db)
    migrate(cron_db, "migrations")
    migrate(cron_db, "migrations")
    assert_same(before, outside_snapshot(cron_db), "the migration changed objects it does not own")
    jobs = [r[0] for r in cron_db.execute("select jobname from cron.job order by 1")]
    assert jobs == job_names(expected_jobs)


# --------------------------------------------------------------------------- #
# 2. Supabase linter
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("defaults", ["stand-ins", "supabase-defaults"])
def test_splinter_clean_after_migration_and_a_month_of_partitions(
    cron_db, migrate, compiled, supabase_defaults, kpi_catalog, defaults
):
    if defaults == "supabase-defaults":
        cron_db.execute(supabase_defaults)
    migrate(cron_db)
    # the linter sees the KPI layer too: every exposed view, network table and definer function
    views = {r[0] for r in cron_db.execute(
        "select viewname from pg_views where schemaname = 'analytics'")}
    assert views == kpi_catalog.exposed_relations()
    nets = {r[0] for r in cron_db.execute(
        "select tablename from pg_tables where schemaname = 'analytics_private'")} & set(kpi_catalog.net.values())
    assert nets == set(kpi_catalog.net.values())
    definers = {r[0] for r in cron_db.execute(
        "select p.oid::regprocedure::text from pg_proc p where p.prosecdef"
        " and p.pronamespace = 'analytics_private'::regnamespace")}
    assert {f for fns in kpi_catalog.read_definers.values() for f in fns} <= definers
    assert lint_findings(cron_db) == []
    ahead = compiled.taxonomy.project.partitions_ahead
    # a month later the daily job makes one more partition: the same as asking for one more now
    made = cron_db.execute(
        "select analytics_private.ensure_event_partitions(%s)", (ahead + 1,)
    ).fetchone()[0]
    assert made == 1
    assert lint_findings(cron_db) == []


# --------------------------------------------------------------------------- #
# 8. pg_cron
# --------------------------------------------------------------------------- #

_CRON_FIELD = r"(\*|\d+(-\d+)?)(/\d+)?(,(\*|\d+(-\d+)?)(/\d+)?)*"
_CRON_RE = re.compile(r"^" + r"\s+".join([_CRON_FIELD] * 5) + r"$")


def _scheduled_in_sql(sql_text: str) -> dict[str, tuple[str, str]]:
    """cron.schedule('name', 'schedule', 'command') calls in the generated SQL."""
    found = {}
    for m in re.finditer(r"cron\.schedule\(\s*'((?:[^']|'')*)'\s*,\s*'((?:[^']|'')*)'\s*,\s*'((?:[^']|'')*)'\s*\)",
                         sql_text):
        name, sched, cmd = (g.replace("''", "'") for g in m.groups())
        found[name] = (sched, cmd)
    return found


def test_cron_jobs_exist_with_their_schedules(fresh_db, compiled, pg_cluster, expected_jobs):
    rows = fresh_db.execute(
        "select jobname, schedule, command, database, username, active from cron.job order by jobname"
    ).fetchall()
    assert [r[0] for r in rows] == job_names(expected_jobs)
    assert [(r[0], r[1], r[2]) for r in rows] == list(expected_jobs)
    migration = "".join(t for p, t in compiled.files.items() if p.startswith("supabase/migrations/"))
    in_sql = _scheduled_in_sql(migration)
    for name, schedule, command, database, username, active in rows:
        assert _CRON_RE.match(schedule), (name, schedule)
        assert (schedule, command) == in_sql[name]
        assert database == pg_cluster.dbname
        assert username == "postgres"
        assert active
    # the partition job keeps partitions_ahead months
    cmd = {r[0]: r[2] for r in rows}["analytics_event_partitions"]
    assert "ensure_event_partitions" in cmd
    args = fresh_db.execute(
        "select pg_get_function_arguments('analytics_private.ensure_event_partitions(integer)'::regprocedure)"
    ).fetchone()[0]
    assert args == f"months_ahead integer DEFAULT {compiled.taxonomy.project.partitions_ahead}"


def test_cron_job_commands_run(fresh_db, kpi_catalog):
    for name, command in fresh_db.execute("select jobname, command from cron.job order by 1").fetchall():
        try:
            with fresh_db.transaction():
                fresh_db.execute(command)
        except psycopg.Error as e:
            raise AssertionError(f"job {name}: {command!r} failed: {e}") from e
    # each KPI's job refreshed that KPI (its watermark moved)
    refreshed = [r[0] for r in fresh_db.execute(
        "select kpi from analytics_private.kpi_watermarks"
        " where refreshed_at is not null and next_xid > '0' order by 1")]
    assert refreshed == sorted(kpi_catalog.stored)
    assert lint_findings(fresh_db) == []


def test_partition_job_recreates_a_dropped_future_partition(fresh_db, compiled):
    ahead = compiled.taxonomy.project.partitions_ahead
    target = f"events_{_month_start(_utc_today(), 2):%Y_%m}"
    before = partitions(fresh_db)
    assert target in before
    fresh_db.execute(f"drop table analytics_private.{target}")
    assert target not in partitions(fresh_db)
    command = fresh_db.execute(
        "select command from cron.job where jobname = 'analytics_event_partitions'"
    ).fetchone()[0]
    fresh_db.execute(command)
    assert partitions(fresh_db) == before
    names = set(partitions(fresh_db))
    assert names == expected_partition_names(ahead) | {"events_default"}
    rls, acl = fresh_db.execute(
        "select relrowsecurity, array(select x::text from unnest(relacl) x order by 1)::text from pg_class where oid = %s::regclass",
        (f"analytics_private.{target}",),
    ).fetchone()
    assert rls
    assert "anon" not in acl and "authenticated" not in acl
    assert lint_findings(fresh_db) == []


def test_rows_in_default_partition_move_to_the_new_partition(fresh_db, compiled):
    ahead = compiled.taxonomy.project.partitions_ahead
    month = _month_start(_utc_today(), 6)
    part = f"events_{month:%Y_%m}"
    assert part not in partitions(fresh_db)
    site = uuid.uuid4()
    keys = [uuid.uuid4() for _ in range(3)]
    when = [
        datetime(month.year, month.month, 1, 0, 0, 0, tzinfo=UTC),
        datetime(month.year, month.month, 15, 12, 0, 0, tzinfo=UTC),
        datetime(month.year, month.month, 1, tzinfo=UTC) + timedelta(days=40),  # the month after
    ]
    for k, t in zip(keys, when, strict=False):
        fresh_db.execute(
            "insert into analytics_private.events (event_id, site_id, actor_hash, actor_tier, occurred_at,"
            " idempotency_key, payload) values ('system.logout_completed', %s, '\\x00', 'practitioner', %s, %s,"
            " '{\"logout_trigger\": \"manual\", \"session_minutes\": 1}')",
            (site, t, k),
        )
    in_default = lambda: fresh_db.execute(  # noqa: E731
        "select idempotency_key from analytics_private.events_default where site_id = %s order by occurred_at",
        (site,),
    ).fetchall()
    assert [r[0] for r in in_default()] == keys

    made = fresh_db.execute("select analytics_private.ensure_event_partitions(7)").fetchone()[0]
    assert made == 7 - ahead
    assert part in partitions(fresh_db)
    moved = fresh_db.execute(
        f"select idempotency_key from analytics_private.{part} where site_id = %s order by occurred_at",
        (site,),
    ).fetchall()
    assert [r[0] for r in moved] == keys[:2]
    # the row of month +7 moved to its own new partition; nothing is left behind
    assert in_default() == []
    assert fresh_db.execute(
        "select count(*) from analytics_private.events where site_id = %s", (site,)
    ).fetchone()[0] == 3
    # bounds: whole UTC months
    lo, hi = partition_bounds_utc(fresh_db)[part]
    assert lo == datetime(month.year, month.month, 1, tzinfo=UTC)
    nxt = _month_start(month, 1)
    assert hi == datetime(nxt.year, nxt.month, 1, tzinfo=UTC)
    assert lint_findings(fresh_db) == []


def test_partitions_are_whole_utc_months(fresh_db):
    bounds = partition_bounds_utc(fresh_db)
    assert bounds
    for name, (lo, hi) in bounds.items():
        assert name == f"events_{lo:%Y_%m}"
        assert (lo.day, lo.hour, lo.minute) == (1, 0, 0), (name, lo)
        assert (hi.day, hi.hour, hi.minute) == (1, 0, 0), (name, hi)


@pytest.mark.parametrize("tz", ["America/New_York", "Pacific/Auckland"])
def test_partition_job_is_independent_of_the_session_time_zone(fresh_db, compiled, tz):
    """pg_cron's worker runs the job with the database's TimeZone setting, which a
    Supabase project may change (alter database ... set timezone). The partition
    bounds must stay whole UTC months, next to the ones made under UTC."""
    ahead = compiled.taxonomy.project.partitions_ahead
    with fresh_db.transaction():
        fresh_db.execute(f"set local timezone = '{tz}'")
        made = fresh_db.execute(
            "select analytics_private.ensure_event_partitions(%s)", (ahead + 2,)
        ).fetchone()[0]
    assert made == 2
    bounds = partition_bounds_utc(fresh_db)
    for name, (lo, hi) in bounds.items():
        assert (lo.day, lo.hour, lo.minute, hi.day, hi.hour, hi.minute) == (1, 0, 0, 1, 0, 0), (
            f"{name} made under TimeZone={tz} covers {lo.isoformat()} .. {hi.isoformat()}"
        )


def test_purge_event_keys_job_forgets_only_old_keys(fresh_db, compiled):
    site = uuid.uuid4()
    now = datetime.now(UTC)
    old, recent = uuid.uuid4(), uuid.uuid4()
    fresh_db.execute(
        "insert into analytics_private.event_keys (site_id, idempotency_key, occurred_at) values"
        " (%s, %s, %s), (%s, %s, %s)",
        (site, old, now - timedelta(days=30), site, recent, now - timedelta(days=1)),
    )
    command = fresh_db.execute(
        "select command from cron.job where jobname = 'analytics_purge_event_keys'"
    ).fetchone()[0]
    fresh_db.execute(command)
    left = [r[0] for r in fresh_db.execute(
        "select idempotency_key from analytics_private.event_keys where site_id = %s", (site,))]
    assert left == [recent]


def test_purge_cron_history_job_touches_only_our_jobs(fresh_db, expected_jobs):
    """The history purge must delete old run details of our jobs only; a host
    application's job whose name merely starts like ours keeps its history."""
    host_jobs = ["analytics-host-export", "analyticsxreport", "host_nightly"]
    for name in host_jobs:
        fresh_db.execute("select cron.schedule(%s, '0 1 * * *', 'select 1')", (name,))
    jobs = dict(fresh_db.execute("select jobname, jobid from cron.job").fetchall())
    old = datetime.now(UTC) - timedelta(days=30)
    recent = datetime.now(UTC) - timedelta(hours=1)
    for jobid in jobs.values():
        for t in (old, recent):
            fresh_db.execute(
                "insert into cron.job_run_details (jobid, runid, job_pid, database, username, command,"
                " status, return_message, start_time, end_time)"
                " values (%s, nextval('cron.runid_seq'), 1, current_database(), 'postgres', 'select 1',"
                " 'succeeded', '1 row', %s, %s)",
                (jobid, t, t),
            )
    command = fresh_db.execute(
        "select command from cron.job where jobname = 'analytics_purge_cron_history'"
    ).fetchone()[0]
    fresh_db.execute(command)
    left = {}
    for name, t in fresh_db.execute(
        "select j.jobname, d.end_time from cron.job_run_details d join cron.job j using (jobid)"
    ).fetchall():
        left.setdefault(name, []).append(t)
    assert set(job_names(expected_jobs)) <= set(jobs)
    for name in job_names(expected_jobs):
        assert len(left.get(name, [])) == 1, f"{name}: old history not purged or recent purged"
    for name in host_jobs:
        assert len(left.get(name, [])) == 2, (
            f"history of the host's job {name!r} was deleted by analytics_purge_cron_history"
        )
