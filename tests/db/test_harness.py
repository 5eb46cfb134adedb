"""Tests of the database test harness itself (tests/conftest.py, tests/dbutil.py)."""

from __future__ import annotations

import os
import time
import uuid

import psycopg
import pytest
from dbutil import (
    API_ROLES,
    LOGIN_ROLE,
    SqlFileError,
    apply_sql_files,
    as_caller,
    claims,
    ensure_pg_cron,
    pg_cron_supports_seconds,
    reset_cron_db,
)
from psycopg import errors

pytestmark = pytest.mark.db

SITE = uuid.UUID("11111111-1111-4111-8111-111111111111")
USER = uuid.UUID("22222222-2222-4222-8222-222222222222")
NETWORK = uuid.UUID("33333333-3333-4333-8333-333333333333")


def test_cluster_is_private_with_pg_cron_preloaded(pg_cluster, cron_db):
    assert pg_cluster.port != 5432
    settings = dict(
        cron_db.execute(
            "select name, setting from pg_settings where name in "
            "('data_directory', 'shared_preload_libraries', 'cron.database_name',"
            " 'cron.use_background_workers', 'server_version_num', 'TimeZone')"
        ).fetchall()
    )
    assert os.path.realpath(settings["data_directory"]) == os.path.realpath(pg_cluster.datadir)
    assert "pg_cron" in settings["shared_preload_libraries"]
    assert settings["cron.database_name"] == pg_cluster.dbname
    assert settings["cron.use_background_workers"] == "on"
    assert settings["TimeZone"] == "UTC"
    assert int(settings["server_version_num"]) // 10000 == pg_cluster.major
    assert cron_db.info.dbname == pg_cluster.dbname
    assert cron_db.autocommit


def test_create_extension_pg_cron_and_schedule(cron_db):
    version = ensure_pg_cron(cron_db)
    major, minor = (int(x) for x in version.split("-")[0].split(".")[:2])
    assert (major, minor) >= (1, 4), version  # named jobs and cron.job_run_details

    jobid = cron_db.execute("select cron.schedule('harness_probe', '* * * * *', 'select 1')").fetchone()[0]
    rows = cron_db.execute("select jobid, jobname, schedule, command, database, active from cron.job").fetchall()
    assert rows == [(jobid, "harness_probe", "* * * * *", "select 1", cron_db.info.dbname, True)]

    # Re-scheduling the same name updates the job instead of adding one.
    again = cron_db.execute("select cron.schedule('harness_probe', '*/5 * * * *', 'select 2')").fetchone()[0]
    assert again == jobid
    assert cron_db.execute("select schedule, command from cron.job").fetchall() == [("*/5 * * * *", "select 2")]


def test_new_databases_get_standins_but_not_pg_cron(pg_cluster, cron_db):
    cron_db.execute("drop database if exists harness_other")
    cron_db.execute("create database harness_other")
    try:
        with pg_cluster.connect(dbname="harness_other") as other:
            with as_caller(other, "authenticated", claims(SITE, "clinic", USER)) as cur:
                assert cur.execute("select auth.uid()").fetchone()[0] == USER
            with pytest.raises(psycopg.Error, match=f"can only create extension in database {pg_cluster.dbname}"):
                other.execute("create extension pg_cron")
    finally:
        cron_db.execute("drop database harness_other with (force)")


def test_pgcrypto_hmac_in_extensions_schema(cron_db):
    digest = cron_db.execute("select encode(extensions.hmac('x', 'k', 'sha256'), 'hex')").fetchone()[0]
    # HMAC-SHA256(key='k', msg='x'), computed independently:
    import hashlib
    import hmac

    assert digest == hmac.new(b"k", b"x", hashlib.sha256).hexdigest()
    schema = cron_db.execute(
        "select n.nspname from pg_extension e join pg_namespace n on n.oid = e.extnamespace"
        " where e.extname = 'pgcrypto'"
    ).fetchone()[0]
    assert schema == "extensions"
    # Callable by the API roles too (usage on schema extensions).
    with as_caller(cron_db, "authenticated", claims(SITE, "clinic", USER)) as cur:
        assert cur.execute("select length(extensions.hmac('x', 'k', 'sha256'))").fetchone()[0] == 32


def test_roles_are_like_supabase(cron_db):
    rows = cron_db.execute(
        "select rolname, rolcanlogin, rolbypassrls, rolsuper from pg_roles"
        " where rolname in ('anon', 'authenticated', 'service_role', %s) order by rolname",
        (LOGIN_ROLE,),
    ).fetchall()
    assert rows == [
        ("anon", False, False, False),
        ("authenticated", False, False, False),
        (LOGIN_ROLE, True, False, False),
        ("service_role", False, True, False),
    ]


def test_auth_functions_read_claims_set_by_as_caller(cron_db):
    c = claims(SITE, "clinic", USER, NETWORK)
    assert c == {
        "sub": str(USER),
        "role": "authenticated",
        "aud": "authenticated",
        "app_metadata": {"site_id": str(SITE), "tier": "clinic", "network_id": str(NETWORK)},
    }
    with as_caller(cron_db, "authenticated", c) as cur:
        uid, jwt, role, current = cur.execute(
            "select auth.uid(), auth.jwt(), auth.role(), current_user"
        ).fetchone()
        assert uid == USER
        assert jwt == c
        assert role == "authenticated"
        assert current == "authenticated"
        site = cur.execute("select (auth.jwt() -> 'app_metadata' ->> 'site_id')::uuid").fetchone()[0]
        assert site == SITE
    # Rolled back: role and claims are gone.
    uid, jwt, current = cron_db.execute("select auth.uid(), auth.jwt(), current_user").fetchone()
    assert (uid, jwt, current) == (None, {}, "postgres")


def test_as_caller_without_claims(cron_db):
    with as_caller(cron_db, "anon") as cur:
        assert cur.execute("select auth.uid(), auth.jwt(), auth.role()").fetchone() == (None, {}, None)


def test_as_caller_rolls_back_unless_commit(cron_db):
    cron_db.execute("create schema analytics")
    cron_db.execute("create table analytics.t (v int)")
    cron_db.execute("grant usage on schema analytics to authenticated")
    cron_db.execute("grant select, insert on analytics.t to authenticated")
    with as_caller(cron_db, "authenticated", claims(SITE, "clinic", USER)) as cur:
        cur.execute("insert into analytics.t values (1)")
    assert cron_db.execute("select count(*) from analytics.t").fetchone()[0] == 0
    with as_caller(cron_db, "authenticated", claims(SITE, "clinic", USER), commit=True) as cur:
        cur.execute("insert into analytics.t values (2)")
    assert cron_db.execute("select array_agg(v) from analytics.t").fetchone()[0] == [2]
    # An error inside the block rolls back even with commit=True.
    with pytest.raises(errors.InsufficientPrivilege):
        with as_caller(cron_db, "authenticated", None, commit=True) as cur:
            cur.execute("insert into analytics.t values (3)")
            cur.execute("delete from analytics.t")
    assert cron_db.execute("select array_agg(v) from analytics.t").fetchone()[0] == [2]


def test_anon_cannot_read_ungranted_table(cron_db):
    cron_db.execute("create schema analytics")
    cron_db.execute("create table analytics.kpi (v int)")
    cron_db.execute("insert into analytics.kpi values (42)")
    cron_db.execute("grant usage on schema analytics to anon, authenticated")
    cron_db.execute("grant select on analytics.kpi to authenticated")
    with pytest.raises(errors.InsufficientPrivilege, match="permission denied"):
        with as_caller(cron_db, "anon", {"role": "anon"}) as cur:
            cur.execute("select * from analytics.kpi")
    with as_caller(cron_db, "authenticated", claims(SITE, "clinic", USER)) as cur:
        assert cur.execute("select v from analytics.kpi").fetchall() == [(42,)]


def test_service_role_bypasses_rls(cron_db):
    cron_db.execute("create schema analytics_private")
    cron_db.execute("create table analytics_private.ev (site_id uuid)")
    cron_db.execute("alter table analytics_private.ev enable row level security")
    cron_db.execute(
        "create policy own_site on analytics_private.ev for select to authenticated"
        " using (site_id = ((select auth.jwt()) -> 'app_metadata' ->> 'site_id')::uuid)"
    )
    cron_db.execute("insert into analytics_private.ev values (%s), (%s)", (SITE, uuid.uuid4()))
    cron_db.execute("grant usage on schema analytics_private to authenticated, service_role")
    cron_db.execute("grant select on analytics_private.ev to authenticated, service_role")
    with as_caller(cron_db, "authenticated", claims(SITE, "clinic", USER)) as cur:
        assert cur.execute("select site_id from analytics_private.ev").fetchall() == [(SITE,)]
    with as_caller(cron_db, "service_role", {"role": "service_role"}) as cur:
        assert cur.execute("select count(*) from analytics_private.ev").fetchone()[0] == 2


def test_login_role_can_switch_to_api_roles_only(pg_cluster, cron_db):
    with pg_cluster.connect(user=LOGIN_ROLE) as conn:
        for role in API_ROLES:
            with as_caller(conn, role, {"role": role}) as cur:
                assert cur.execute("select current_user").fetchone()[0] == role
        with pytest.raises(errors.InsufficientPrivilege):
            with as_caller(conn, "postgres") as cur:
                pass


def test_reset_cron_db_cleans_owned_schemas_and_jobs(cron_db):
    ensure_pg_cron(cron_db)
    cron_db.execute("create schema analytics")
    cron_db.execute("create schema analytics_private")
    cron_db.execute("create table analytics_private.x (v int)")
    cron_db.execute("select cron.schedule('leftover', '0 3 * * *', 'select 1')")
    cron_db.execute("drop function auth.uid()")  # a test that broke a stand-in
    reset_cron_db(cron_db)
    assert cron_db.execute(
        "select count(*) from pg_namespace where nspname in ('analytics', 'analytics_private')"
    ).fetchone()[0] == 0
    assert cron_db.execute("select count(*) from cron.job").fetchone()[0] == 0
    assert cron_db.execute("select count(*) from cron.job_run_details").fetchone()[0] == 0
    assert cron_db.execute("select auth.uid()").fetchone()[0] is None  # repaired


def test_reset_ends_leaked_idle_transactions(pg_cluster, cron_db):
    cron_db.execute("create schema analytics")
    cron_db.execute("create table analytics.t (v int)")
    leaked = pg_cluster.connect(autocommit=False)
    leaked.execute("select * from analytics.t")  # holds a lock, idle in transaction
    try:
        started = time.monotonic()
        reset_cron_db(cron_db)
        assert time.monotonic() - started < 10
        assert cron_db.execute("select to_regnamespace('analytics')").fetchone()[0] is None
    finally:
        leaked.close()


def test_apply_sql_files(cron_db, tmp_path):
    first = tmp_path / "0001_init.sql"
    first.write_text(
        "create schema analytics;\n"
        "create table analytics.t (v int, note text);\n"
        "create function analytics.f() returns int language plpgsql as $$\n"
        "begin return 1; end $$;\n"
        "insert into analytics.t values (1, '100% literal %s');\n"
    )
    second = tmp_path / "0002_more.sql"
    second.write_text("insert into analytics.t select analytics.f() + 1, null;\n")
    apply_sql_files(cron_db, [first, second])
    assert cron_db.execute("select v, note from analytics.t order by v").fetchall() == [
        (1, "100% literal %s"),
        (2, None),
    ]

    bad = tmp_path / "0003_bad.sql"
    bad.write_text("insert into analytics.t values (3, 'x');\n\nselect * from analytics.nope;\n")
    never = tmp_path / "0004_never.sql"
    never.write_text("insert into analytics.t values (4, 'x');\n")
    with pytest.raises(SqlFileError) as info:
        apply_sql_files(cron_db, [bad, never])
    message = str(info.value)
    assert str(bad) in message and "analytics.nope" in message and "line 3" in message
    # The failing file ran as one implicit transaction; the next file never ran.
    assert cron_db.execute("select array_agg(v order by v) from analytics.t").fetchone()[0] == [1, 2]


@pytest.mark.slow
def test_pg_cron_scheduler_runs_a_job(cron_db):
    ensure_pg_cron(cron_db)
    cron_db.execute("create schema analytics_private")
    cron_db.execute("create table analytics_private.cron_probe (ran_at timestamptz default now())")
    # pg_cron >= 1.5 has second intervals; 1.4 (Debian 12) runs at the next minute.
    schedule = "1 seconds" if pg_cron_supports_seconds(cron_db) else "* * * * *"
    jobid = cron_db.execute(
        "select cron.schedule('harness_scheduler_probe', %s,"
        " 'insert into analytics_private.cron_probe default values')",
        (schedule,),
    ).fetchone()[0]
    deadline = time.monotonic() + 75
    runs: list = []
    while time.monotonic() < deadline:
        runs = cron_db.execute(
            "select status, return_message from cron.job_run_details where jobid = %s", (jobid,)
        ).fetchall()
        if any(status in ("succeeded", "failed") for status, _ in runs):
            break
        time.sleep(0.5)
    assert runs, f"pg_cron did not run the job within 75 s (schedule {schedule!r})"
    assert ("succeeded", "INSERT 0 1") in runs, runs
    assert cron_db.execute("select count(*) from analytics_private.cron_probe").fetchone()[0] >= 1
