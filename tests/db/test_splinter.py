"""Tests of the splinter re-implementation in tests/splinter.py, on a real
database: for every rule a deliberately bad object makes exactly that rule
fire on exactly that object, and a good twin produces no finding at all.

Good twins run twice: on the bare stand-ins (where only PostgreSQL's own
default applies: EXECUTE on new functions is granted to PUBLIC), and after
applying the default privileges Supabase's "Using custom schemas" guide tells
projects to set (ALL on new tables, routines and sequences to anon,
authenticated and service_role), applied here to both of our schemas as the
worst case. A good twin therefore revokes explicitly instead of relying on
grants being absent.

Uses the ``cron_db`` fixture from tests/conftest.py (function-scoped,
autocommit, roles anon/authenticated/service_role, schema auth with
auth.uid()/auth.jwt(), schemas analytics/analytics_private dropped first).
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import psycopg
import pytest
from dbutil import SUPABASE_DEFAULTS

try:
    from tests.splinter import Finding, lint
except ModuleNotFoundError:  # tests/ not importable as a package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from splinter import Finding, lint

pytestmark = pytest.mark.db

EXPOSED = "analytics"
PRIVATE = "analytics_private"
SCHEMAS = [EXPOSED, PRIVATE]


REVOKE_API = "from public, anon, authenticated"


def _drop_schemas(conn: psycopg.Connection) -> None:
    conn.execute(f"drop schema if exists {EXPOSED} cascade")
    conn.execute(f"drop schema if exists {PRIVATE} cascade")


@pytest.fixture
def db(cron_db):
    """cron_db with our two schemas created and nothing granted."""
    cron_db.execute(f"create schema {EXPOSED}; create schema {PRIVATE}")
    yield cron_db
    if not cron_db.closed:
        cron_db.execute("reset role")
        _drop_schemas(cron_db)


@pytest.fixture(params=["stand-ins", "supabase-defaults"])
def good_db(request, db):
    """For good twins: the bare stand-ins, and the same with Supabase defaults."""
    if request.param == "supabase-defaults":
        db.execute(SUPABASE_DEFAULTS)
    return db


def findings(conn) -> list[tuple[str, str]]:
    return [(f.rule, f.object) for f in lint(conn, SCHEMAS)]


def run(conn, sql: str) -> None:
    conn.execute(sql)


# A table in the exposed schema that satisfies every rule; several tests
# build on it.
GOOD_SITE_TABLE = f"""
create table {EXPOSED}.sites_seen (
    id bigint generated always as identity primary key,
    site_id uuid not null,
    actor_hash text not null
);
alter table {EXPOSED}.sites_seen enable row level security;
create policy sites_seen_read on {EXPOSED}.sites_seen
    for select to authenticated
    using (site_id = ((select auth.jwt()) -> 'app_metadata' ->> 'site_id')::uuid);
revoke all on {EXPOSED}.sites_seen {REVOKE_API};
grant select on {EXPOSED}.sites_seen to authenticated;
"""


# ---------------------------------------------------------------------------
# the checker itself
# ---------------------------------------------------------------------------


def test_empty_schemas_have_no_findings(db):
    assert lint(db, SCHEMAS) == []


def test_needs_the_exposed_schema(db):
    with pytest.raises(ValueError):
        lint(db, [])


def test_findings_are_sorted_finding_objects(db):
    run(db, f"""
        create table {EXPOSED}.b_open (id int);
        create table {EXPOSED}.a_open (id int);
        create view {EXPOSED}.v as select 1 as x;
    """)
    result = lint(db, SCHEMAS)
    assert all(isinstance(f, Finding) for f in result)
    assert result == sorted(result, key=lambda f: (f.rule, f.object, f.detail))
    assert [(f.rule, f.object) for f in result] == [
        ("0010_security_definer_view", "analytics.v"),
        ("0013_rls_disabled_in_public", "analytics.a_open"),
        ("0013_rls_disabled_in_public", "analytics.b_open"),
    ]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result[0].rule = "changed"  # frozen


def test_other_schemas_are_ignored(db):
    db.execute("drop schema if exists splinter_elsewhere cascade")
    try:
        run(db, """
            create schema splinter_elsewhere;
            create table splinter_elsewhere.open (id int);
            create view splinter_elsewhere.v as select 1 as x;
            create function splinter_elsewhere.f() returns int
                language sql security definer as 'select 1';
        """)
        assert lint(db, SCHEMAS) == []
        # ... but the same objects are found when that schema is the exposed one
        assert {f.rule for f in lint(db, ["splinter_elsewhere"])} == {
            "0010_security_definer_view",
            "0011_function_search_path_mutable",
            "0013_rls_disabled_in_public",
            "0028_anon_security_definer_function_executable",
            "0029_authenticated_security_definer_function_executable",
        }
    finally:
        db.execute("drop schema if exists splinter_elsewhere cascade")


def test_search_path_is_restored(db):
    db.execute("set search_path = auth, public")
    lint(db, SCHEMAS)
    assert db.execute("show search_path").fetchone()[0] == "auth, public"


# ---------------------------------------------------------------------------
# 0003 auth_rls_initplan
# ---------------------------------------------------------------------------

RLS_TABLE = f"""
create table {EXPOSED}.t (id int, site_id uuid, actor uuid, claims jsonb);
alter table {EXPOSED}.t enable row level security;
"""


@pytest.mark.parametrize(
    "policy",
    [
        "using (site_id = (auth.jwt() -> 'app_metadata' ->> 'site_id')::uuid)",
        "with check (actor = auth.uid())",
        "using (claims = current_setting('request.jwt.claims', true)::jsonb)",
        # one wrapped call does not excuse a bare one (splinter would pass it)
        "using (actor = (select auth.uid()) or actor = auth.uid())",
        # wrapped in USING, bare in WITH CHECK
        "using (actor = (select auth.uid())) with check (actor = auth.uid())",
        # a sub-select around the whole expression deparses as
        # "( SELECT ((auth.jwt() -> ...": splinter's text match reports it too
        "using (site_id = (select (auth.jwt() -> 'app_metadata' ->> 'site_id')::uuid))",
    ],
)
def test_0003_bare_auth_call_in_policy(db, policy):
    run(db, RLS_TABLE + f"create policy p on {EXPOSED}.t for all {policy};")
    assert findings(db) == [("0003_auth_rls_initplan", "analytics.t policy p")]


def test_0003_found_whatever_the_callers_search_path(db):
    # with auth on the search_path PostgreSQL deparses auth.uid() as uid()
    run(db, RLS_TABLE + f"create policy p on {EXPOSED}.t using (actor = auth.uid());")
    db.execute("set search_path = auth, public")
    assert findings(db) == [("0003_auth_rls_initplan", "analytics.t policy p")]


def test_0003_detail_names_clause_and_calls(db):
    run(db, RLS_TABLE + f"""
        create policy p on {EXPOSED}.t for all
            using (actor = (select auth.uid()))
            with check (actor = auth.uid() and claims = auth.jwt());
    """)
    [finding] = lint(db, SCHEMAS)
    assert finding.detail.startswith("WITH CHECK clause calls auth.jwt(), auth.uid() ")


def test_0003_good_twin(good_db):
    run(good_db, RLS_TABLE + f"""
        create policy p_read on {EXPOSED}.t for select to authenticated
            using (site_id = ((select auth.jwt()) -> 'app_metadata' ->> 'site_id')::uuid);
        create policy p_write on {EXPOSED}.t for insert to authenticated
            with check (actor = (select auth.uid())
                        and claims = (select current_setting('request.jwt.claims', true))::jsonb);
        revoke all on {EXPOSED}.t {REVOKE_API};
        grant select, insert on {EXPOSED}.t to authenticated;
    """)
    assert findings(good_db) == []


# ---------------------------------------------------------------------------
# 0007 policy_exists_rls_disabled / 0008 rls_enabled_no_policy
# ---------------------------------------------------------------------------


def test_0007_policy_but_rls_disabled(db):
    # private schema, so that 0013 (exposed table without RLS) stays out of it
    run(db, f"""
        create table {PRIVATE}.t (id int);
        create policy p on {PRIVATE}.t using (true);
    """)
    assert findings(db) == [("0007_policy_exists_rls_disabled", "analytics_private.t")]


def test_0007_partitioned_table(db):
    run(db, f"""
        create table {PRIVATE}.events (id int, at date not null) partition by range (at);
        create policy p on {PRIVATE}.events using (true);
    """)
    assert findings(db) == [("0007_policy_exists_rls_disabled", "analytics_private.events")]


def test_0008_rls_enabled_without_policy(db):
    run(db, f"""
        create table {PRIVATE}.t (id int);
        alter table {PRIVATE}.t enable row level security;
    """)
    assert findings(db) == [("0008_rls_enabled_no_policy", "analytics_private.t")]


def test_0007_0008_good_twins(good_db):
    run(good_db, f"""
        -- RLS and a policy
        create table {PRIVATE}.with_policy (id int, site_id uuid);
        alter table {PRIVATE}.with_policy enable row level security;
        create policy p on {PRIVATE}.with_policy to service_role using (true);
        revoke all on {PRIVATE}.with_policy {REVOKE_API};
        -- owner-only table: no RLS, no policy, nothing granted
        create table {PRIVATE}.owner_only (id int);
        revoke all on {PRIVATE}.owner_only {REVOKE_API};
    """)
    assert findings(good_db) == []


# ---------------------------------------------------------------------------
# 0013 rls_disabled_in_public
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ddl",
    [
        "create table analytics.t (id int)",
        "create table analytics.t (id int, at date not null) partition by range (at)",
        # reported whether or not anon/authenticated can already select it
        "create table analytics.t (id int); grant select on analytics.t to authenticated",
    ],
)
def test_0013_exposed_table_without_rls(db, ddl):
    run(db, ddl)
    assert findings(db) == [("0013_rls_disabled_in_public", "analytics.t")]


def test_0013_good_twin(good_db):
    run(good_db, GOOD_SITE_TABLE + f"""
        -- a private table needs no RLS when nothing is granted on it
        create table {PRIVATE}.raw (id int);
        revoke all on {PRIVATE}.raw {REVOKE_API};
    """)
    assert findings(good_db) == []


# ---------------------------------------------------------------------------
# 0010 security_definer_view
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    ["", "with (security_invoker = false)", "with (security_invoker = off)",
     "with (security_barrier = true)"],
)
def test_0010_view_without_security_invoker(db, options):
    run(db, GOOD_SITE_TABLE + f"""
        create view {EXPOSED}.v {options} as select site_id from {EXPOSED}.sites_seen;
    """)
    assert findings(db) == [("0010_security_definer_view", "analytics.v")]


@pytest.mark.parametrize("value", ["true", "on", "yes", "1", "TRUE"])
def test_0010_good_twin(good_db, value):
    run(good_db, GOOD_SITE_TABLE + f"""
        create view {EXPOSED}.v with (security_invoker = {value}) as
            select site_id, count(*) as n from {EXPOSED}.sites_seen group by site_id;
        revoke all on {EXPOSED}.v {REVOKE_API};
        grant select on {EXPOSED}.v to authenticated;
        -- 0010 is about the exposed schema only
        create view {PRIVATE}.helper as select 1 as x;
        revoke all on {PRIVATE}.helper {REVOKE_API};
    """)
    assert findings(good_db) == []


# ---------------------------------------------------------------------------
# 0011 function_search_path_mutable
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ddl, obj",
    [
        ("create function analytics.f(n int) returns int language sql"
         " as 'select n + 1'", "analytics.f(integer)"),
        ("create function analytics_private.f() returns int language plpgsql"
         " as 'begin return 1; end'", "analytics_private.f()"),
        ("create procedure analytics_private.p() language sql as 'select 1'",
         "analytics_private.p()"),
        # a definer without search_path, unreachable by API roles: only 0011
        ("create function analytics.f() returns int language sql security definer"
         " as 'select 1'; revoke all on function analytics.f() from public",
         "analytics.f()"),
        # an aggregate cannot carry SET search_path, yet splinter (no prokind
        # filter) reports it: so do we, even with a clean support function
        ("create function analytics_private.add(s int, v int) returns int"
         " language sql immutable set search_path = '' as 'select s + v';"
         " create aggregate analytics_private.total(int)"
         " (sfunc = analytics_private.add, stype = int)",
         "analytics_private.total(integer)"),
    ],
)
def test_0011_function_without_search_path(db, ddl, obj):
    run(db, ddl)
    assert findings(db) == [("0011_function_search_path_mutable", obj)]


def test_0011_good_twin(good_db):
    existing = good_db.execute(
        "select extnamespace::regnamespace::text from pg_extension where extname = 'citext'"
    ).fetchone()
    if existing is not None:
        pytest.skip(f"citext already installed in {existing[0]}")
    run(good_db, f"""
        create function {EXPOSED}.f(n int) returns int language sql
            set search_path = '' as 'select n + 1';
        create function {PRIVATE}.g() returns int language plpgsql
            set search_path = pg_catalog, pg_temp as 'begin return 1; end';
        create procedure {PRIVATE}.p() language sql set search_path = '' as 'select 1';
        -- functions owned by an extension are not ours
        create extension citext schema {PRIVATE};
    """)
    assert findings(good_db) == []


# ---------------------------------------------------------------------------
# 0015 rls_references_user_metadata
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ddl, obj",
    [
        (RLS_TABLE + "create policy p on analytics.t using (site_id ="
         " ((select auth.jwt()) -> 'user_metadata' ->> 'site_id')::uuid)",
         "analytics.t policy p"),
        (RLS_TABLE + "create policy p on analytics.t for insert with check (site_id ="
         " ((select current_setting('request.jwt.claims', true))::jsonb"
         " -> 'user_metadata' ->> 'site_id')::uuid)",
         "analytics.t policy p"),
        ("create view analytics.v with (security_invoker = true) as"
         " select (select auth.jwt()) -> 'user_metadata' ->> 'tier' as tier",
         "analytics.v"),
        ("create materialized view analytics_private.mv as"
         " select '{}'::jsonb ->> 'raw_user_meta_data' as x with no data",
         "analytics_private.mv"),
        ("create function analytics_private.site() returns uuid language sql stable"
         " set search_path = ''"
         " as $$ select ((select auth.jwt()) -> 'user_metadata' ->> 'site_id')::uuid $$;"
         " revoke all on function analytics_private.site() from public",
         "analytics_private.site()"),
    ],
)
def test_0015_user_metadata_referenced(db, ddl, obj):
    run(db, ddl)
    assert findings(db) == [("0015_rls_references_user_metadata", obj)]


def test_0015_good_twin(good_db):
    run(good_db, GOOD_SITE_TABLE + f"""
        create view {EXPOSED}.my_tier with (security_invoker = true) as
            select (select auth.jwt()) -> 'app_metadata' ->> 'tier' as tier;
        revoke all on {EXPOSED}.my_tier {REVOKE_API};
        grant select on {EXPOSED}.my_tier to authenticated;
        create function {PRIVATE}.site() returns uuid language sql stable
            set search_path = ''
            as $$ select ((select auth.jwt()) -> 'app_metadata' ->> 'site_id')::uuid $$;
        revoke all on function {PRIVATE}.site() {REVOKE_API};
    """)
    assert findings(good_db) == []


# ---------------------------------------------------------------------------
# 0016 materialized_view_in_api
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "grant",
    [
        "grant select on analytics.mv to anon",
        "grant select on analytics.mv to authenticated",
        "grant select on analytics.mv to public",
        "grant select (n) on analytics.mv to authenticated",
    ],
)
def test_0016_materialized_view_selectable(db, grant):
    run(db, f"create materialized view {EXPOSED}.mv as select 1 as n; {grant}")
    assert findings(db) == [("0016_materialized_view_in_api", "analytics.mv")]


# ---------------------------------------------------------------------------
# 0028 / 0029 SECURITY DEFINER function executable by anon / authenticated
# ---------------------------------------------------------------------------

DEFINER = f"""
create function {EXPOSED}.count_sites() returns bigint
    language sql stable security definer set search_path = ''
    as 'select 42::bigint';
"""


def test_0028_0029_public_execute_is_the_default(db):
    # PostgreSQL grants EXECUTE to PUBLIC on every new function
    run(db, DEFINER)
    assert findings(db) == [
        ("0028_anon_security_definer_function_executable", "analytics.count_sites()"),
        ("0029_authenticated_security_definer_function_executable",
         "analytics.count_sites()"),
    ]


def test_0028_definer_executable_by_anon(db):
    run(db, DEFINER + f"""
        revoke all on function {EXPOSED}.count_sites() from public;
        grant execute on function {EXPOSED}.count_sites() to anon;
    """)
    assert findings(db) == [
        ("0028_anon_security_definer_function_executable", "analytics.count_sites()")
    ]


def test_0029_definer_executable_by_authenticated(db):
    run(db, DEFINER + f"""
        revoke all on function {EXPOSED}.count_sites() from public;
        grant execute on function {EXPOSED}.count_sites() to authenticated;
    """)
    assert findings(db) == [
        ("0029_authenticated_security_definer_function_executable",
         "analytics.count_sites()")
    ]


def test_0028_0029_revoking_public_is_not_enough_on_supabase(db):
    # Supabase's default privileges grant EXECUTE to anon and authenticated
    # directly, so "revoke ... from public" alone leaves both in place.
    db.execute(SUPABASE_DEFAULTS)
    run(db, DEFINER + f"revoke all on function {EXPOSED}.count_sites() from public;")
    assert {rule for rule, _ in findings(db)} == {
        "0028_anon_security_definer_function_executable",
        "0029_authenticated_security_definer_function_executable",
    }


def test_0028_0029_0016_good_twin_definer_behind_invoker_wrapper(good_db):
    """The pattern DESIGN.md asks for: private materialized view, private
    SECURITY DEFINER reader, exposed SECURITY INVOKER wrapper granted to
    authenticated only. Lint-clean, and it works for authenticated."""
    run(good_db, f"""
        create materialized view {PRIVATE}.kpi_daily as
            select 1 as n, 'a'::text as tier;
        revoke all on {PRIVATE}.kpi_daily {REVOKE_API};

        create function {PRIVATE}.read_kpi() returns bigint
            language sql stable security definer set search_path = ''
            as 'select sum(n)::bigint from analytics_private.kpi_daily';
        revoke all on function {PRIVATE}.read_kpi() {REVOKE_API};
        grant usage on schema {PRIVATE} to authenticated;
        grant execute on function {PRIVATE}.read_kpi() to authenticated;

        create function {EXPOSED}.kpi_total() returns bigint
            language sql stable security invoker set search_path = ''
            as 'select analytics_private.read_kpi()';
        revoke all on function {EXPOSED}.kpi_total() {REVOKE_API};
        grant usage on schema {EXPOSED} to authenticated;
        grant execute on function {EXPOSED}.kpi_total() to authenticated;

        -- a definer may stay in the exposed schema if only service_role runs it
        create function {EXPOSED}.admin_refresh() returns void
            language sql security definer set search_path = '' as 'select';
        revoke all on function {EXPOSED}.admin_refresh() {REVOKE_API};
        grant execute on function {EXPOSED}.admin_refresh() to service_role;
    """)
    assert findings(good_db) == []

    good_db.execute("set role authenticated")
    try:
        assert good_db.execute(f"select {EXPOSED}.kpi_total()").fetchone() == (1,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            good_db.execute(f"select * from {PRIVATE}.kpi_daily")
    finally:
        good_db.execute("reset role")
    good_db.execute("set role anon")
    try:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            good_db.execute(f"select {EXPOSED}.kpi_total()")
    finally:
        good_db.execute("reset role")


# ---------------------------------------------------------------------------
# trackgen: nothing in the private schema accessible to anon / authenticated
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ddl",
    [
        "create table analytics_private.x (id int);"
        " grant select on analytics_private.x to authenticated",
        "create table analytics_private.x (id int, at date not null)"
        " partition by range (at); grant select on analytics_private.x to anon",
        "create table analytics_private.x (id int);"
        " grant select (id) on analytics_private.x to anon",
        "create table analytics_private.x (id int);"
        " grant insert on analytics_private.x to authenticated",
        "create view analytics_private.x as select 1 as n;"
        " grant select on analytics_private.x to public",
        "create materialized view analytics_private.x as select 1 as n;"
        " grant select on analytics_private.x to authenticated",
    ],
)
def test_private_relation_accessible(db, ddl):
    run(db, ddl)
    assert findings(db) == [
        ("trackgen_private_relation_accessible", "analytics_private.x")
    ]


def test_private_relation_detail_lists_roles_and_privileges(db):
    run(db, f"""
        create table {PRIVATE}.x (id int);
        grant select, delete on {PRIVATE}.x to anon;
        grant update (id) on {PRIVATE}.x to authenticated;
    """)
    [finding] = lint(db, SCHEMAS)
    assert "(anon: SELECT, DELETE; authenticated: UPDATE)" in finding.detail


def test_private_relation_supabase_defaults_expose_new_relations(db):
    # with Supabase's default privileges every new relation is granted to the
    # API roles: private objects must revoke explicitly
    db.execute(SUPABASE_DEFAULTS)
    run(db, f"create table {PRIVATE}.x (id int)")
    [finding] = lint(db, SCHEMAS)
    assert (finding.rule, finding.object) == (
        "trackgen_private_relation_accessible", "analytics_private.x")
    assert "anon: SELECT, INSERT, UPDATE, DELETE, TRUNCATE" in finding.detail


def test_private_relation_good_twin(good_db):
    run(good_db, f"""
        create table {PRIVATE}.events (id bigint, at date not null) partition by range (at);
        create table {PRIVATE}.events_2025_01 partition of {PRIVATE}.events
            for values from ('2025-01-01') to ('2025-02-01');
        revoke all on {PRIVATE}.events, {PRIVATE}.events_2025_01 {REVOKE_API};
        create view {PRIVATE}.recent as select id from {PRIVATE}.events;
        revoke all on {PRIVATE}.recent {REVOKE_API};
        create materialized view {PRIVATE}.rollup as select count(*) as n from {PRIVATE}.events;
        revoke all on {PRIVATE}.rollup {REVOKE_API};
    """)
    assert findings(good_db) == []
