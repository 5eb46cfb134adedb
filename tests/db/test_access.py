"""Who may do what: the RLS and grant matrix of every relation and function in
analytics and analytics_private (enumerated from the catalog), for each API
caller, and site isolation of the stored events.

Callers connect like PostgREST does: as the login role ``authenticator`` and
``set local role`` with the JWT claims of the request (dbutil.as_caller).

The matrix runs twice (fixture ``any_db``): on the migrated database as is, and
on one where Supabase's custom-schema default privileges were set before the
migration ran (grants to anon/authenticated/service_role on everything new).

The KPI layer is part of the matrix: what the KPI objects must be is derived from
the compiled taxonomy (fixture ``kpi_catalog``), never listed by hand. What callers
actually read through those objects is in test_kpi_access.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import dbutil
import psycopg
import pytest
from dbutil import LOGIN_ROLE, as_caller, claims
from psycopg import errors, sql

pytestmark = pytest.mark.db

SITE_A = uuid.UUID("a0000000-0000-4000-8000-00000000000a")
SITE_B = uuid.UUID("b0000000-0000-4000-8000-00000000000b")
SITE_N = uuid.UUID("c0000000-0000-4000-8000-00000000000c")
USER_A = uuid.UUID("a1111111-1111-4111-8111-11111111111a")
USER_B = uuid.UUID("b2222222-2222-4222-8222-22222222222b")
USER_N = uuid.UUID("c3333333-3333-4333-8333-33333333333c")
NETWORK = uuid.UUID("d4444444-4444-4444-8444-44444444444d")

CALLERS: dict[str, tuple[str, dict]] = {
    "anon": ("anon", {"role": "anon"}),
    "authenticated_site_a": ("authenticated", claims(SITE_A, "practitioner", USER_A)),
    "authenticated_site_b": ("authenticated", claims(SITE_B, "clinic", USER_B)),
    "authenticated_network": ("authenticated", claims(SITE_N, "network", USER_N, NETWORK)),
    # reach the same objects as every authenticated caller; the site reads return them no rows
    # (privacy.site_read_tiers; rows per tier are checked in test_kpi_access.py)
    "authenticated_consumer": ("authenticated", claims(SITE_A, "consumer", USER_A)),
    "authenticated_malformed_claims": ("authenticated", {
        "sub": "user-42", "role": "authenticated",
        "app_metadata": {"site_id": {"id": 1}, "tier": ["clinic"], "network_id": 7}}),
    "service_role": ("service_role", {"role": "service_role"}),
}

REFERENCE_TABLES = {("analytics", "tiers"), ("analytics", "event_types")}
ALL_ACTIONS = ("select", "insert", "update", "delete")


def expected_relation_access(schema: str, name: str, kind: str, role: str,
                             kpi_views: set[str]) -> dict[str, bool | None]:
    """select/insert/update/delete -> allowed?  None: not decided by the contract.
    ``kpi_views``: the exposed KPI and network views the taxonomy defines."""
    service = role == "service_role"
    if schema == "analytics_private":
        # nothing private is reachable by the API roles; service_role manages it (the KPI
        # network tables included: they are plain tables kept by the refresh functions)
        return {"select": service, "insert": service, "update": service, "delete": service}
    if (schema, name) in REFERENCE_TABLES:
        return {"select": True, "insert": service, "update": service, "delete": service}
    if name in kpi_views:
        # KPI and network views: read by authenticated and service_role, never anon,
        # never written (not even by service_role: they read definer functions)
        return {"select": role != "anon", "insert": False, "update": False, "delete": False}
    # anything else exposed is unexpected: test_relation_matrix fails on it first
    return {"select": False if role == "anon" else None,
            "insert": False if not service else None,
            "update": False if not service else None,
            "delete": False if not service else None}


def kpi_function_access(kpi_catalog) -> dict[str, dict[str, bool]]:
    """signature -> role -> may execute, for every KPI function the taxonomy implies."""
    read = {"anon": False, "authenticated": True, "service_role": True}
    service_only = {"anon": False, "authenticated": False, "service_role": True}
    out = {signature: read for signature in kpi_catalog.between.values()}
    out.update({signature: read for signature in kpi_catalog.live.values()})
    out.update({signature: read for signature in kpi_catalog.live_definers.values()})
    out.update({signature: read for signature in kpi_catalog.freshness})
    for signatures in kpi_catalog.read_definers.values():
        out.update({signature: read for signature in signatures})
    out.update({signature: service_only for signature in kpi_catalog.refresh.values()})
    out.update({signature: service_only for signature in kpi_catalog.helpers})
    out.update({signature: service_only for signature in kpi_catalog.suppressors})
    return out


def is_kpi_function(signature: str) -> bool:
    name = signature.split(".", 1)[1]
    return name.startswith(("kpi_", "network_", "refresh_kpi_"))


def expected_function_access(signature: str, definer: bool, role: str, allow_anon: bool,
                             kpi_functions: dict[str, dict[str, bool]]) -> bool | None:
    known = {
        "analytics.track_events(jsonb)": {"anon": allow_anon, "authenticated": True, "service_role": True},
        "analytics_private.track_events(jsonb)": {"anon": allow_anon, "authenticated": True, "service_role": True},
        "analytics.plan_version()": {"anon": True, "authenticated": True, "service_role": True},
        "analytics_private.ensure_event_partitions(integer)": {
            "anon": False, "authenticated": False, "service_role": True},
        **kpi_functions,
    }
    if signature in known:
        return known[signature][role]
    if role == "anon":
        return False
    if role == "authenticated":
        # the only definer code authenticated may run is the ingest entry point and the
        # KPI read functions (invoker helpers such as the payload checks would be harmless)
        return False if definer else None
    return None


def _allowed(conn: psycopg.Connection, statement: sql.Composable) -> bool:
    """Run ``statement`` in a savepoint: False on a privilege (or RLS) error, or when
    the relation cannot take the statement at all; True when it ran or failed only
    after the privilege check (a NOT NULL violation and the like)."""
    try:
        with conn.transaction():
            conn.execute(statement)
        return True
    except errors.InsufficientPrivilege:
        return False
    except (errors.ObjectNotInPrerequisiteState, errors.FeatureNotSupported, errors.WrongObjectType):
        return False  # e.g. a view that is not updatable
    except psycopg.Error:
        return True


def _relations(conn) -> list[tuple[str, str, str, str]]:
    rows = conn.execute(
        """
        select n.nspname, c.relname, c.relkind,
               (select a.attname from pg_attribute a
                 where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
                 order by a.attnum limit 1)
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname in ('analytics', 'analytics_private') and c.relkind in ('r', 'p', 'v', 'm', 'f')
        order by 1, 2
        """
    ).fetchall()
    return [tuple(r) for r in rows]


def _functions(conn) -> list[tuple[int, str, bool, str]]:
    with conn.transaction():
        conn.execute("set local search_path = ''")
        rows = conn.execute(
            """
            select p.oid, p.oid::regprocedure::text, p.prosecdef, n.nspname
            from pg_proc p join pg_namespace n on n.oid = p.pronamespace
            where n.nspname in ('analytics', 'analytics_private')
            order by 2
            """
        ).fetchall()
    return [tuple(r) for r in rows]


@pytest.fixture
def login(pg_cluster, any_db) -> Iterator[psycopg.Connection]:
    with pg_cluster.connect(user=LOGIN_ROLE) as conn:
        yield conn


@pytest.mark.parametrize("caller", sorted(CALLERS))
def test_relation_matrix(any_db, login, kpi_catalog, caller):
    role, jwt = CALLERS[caller]
    relations = _relations(any_db)
    names = {(s, n) for s, n, _, _ in relations}
    assert REFERENCE_TABLES <= names
    assert ("analytics_private", "events") in names and ("analytics_private", "events_default") in names
    assert sum(1 for s, n in names if n.startswith("events_2")) >= 1  # monthly partitions are checked too
    # exactly the reference tables and every KPI's site and network view are exposed
    kpi_views = kpi_catalog.exposed_relations()
    exposed = {n for s, n in names if s == "analytics"}
    assert exposed == {n for _, n in REFERENCE_TABLES} | kpi_views
    assert {n for s, n, k, _ in relations if s == "analytics" and n in kpi_views and k != "v"} == set()
    # every KPI's rollup, facts/values/steps/... tables and network table are in the matrix;
    # no materialized view is left (network tables are kept incrementally)
    private = {(n, k) for s, n, k, _ in relations if s == "analytics_private"}
    assert {(n, "r") for n in kpi_catalog.private_relations()} <= private
    assert {n for n, k in private if k == "m"} == set()
    assert {n for n, _ in private if n.startswith("kpi_")} == kpi_catalog.private_relations()

    wrong = []
    for schema, name, kind, first_col in relations:
        rel = sql.Identifier(schema, name)
        col = sql.Identifier(first_col)
        statements = {
            "select": sql.SQL("select 1 from {} limit 1").format(rel),
            "insert": sql.SQL("insert into {} default values").format(rel),
            "update": sql.SQL("update {} set {} = {} where false").format(rel, col, col),
            "delete": sql.SQL("delete from {} where false").format(rel),
        }
        expected = expected_relation_access(schema, name, kind, role, kpi_views)
        with as_caller(login, role, jwt) as _:
            for action, statement in statements.items():
                want = expected[action]
                if want is None:
                    continue
                got = _allowed(login, statement)
                if got != want:
                    wrong.append(f"{role} {action} {schema}.{name} ({kind}): allowed={got}, expected {want}")
    assert not wrong, "\n" + "\n".join(wrong)


@pytest.mark.parametrize("role", ["anon", "authenticated", "service_role"])
def test_function_matrix(any_db, compiled, kpi_catalog, role):
    allow_anon = compiled.taxonomy.project.allow_anon
    functions = _functions(any_db)
    signatures = {s for _, s, _, _ in functions}
    assert {"analytics.track_events(jsonb)", "analytics.plan_version()",
            "analytics_private.track_events(jsonb)", "analytics_private.payload_problem(text,jsonb)",
            "analytics_private.ensure_event_partitions(integer)"} <= signatures
    kpi_functions = kpi_function_access(kpi_catalog)
    # every KPI function the taxonomy implies exists, and there is no other KPI-looking one
    assert {s for s in signatures if is_kpi_function(s)} == set(kpi_functions)
    definer_of = {s: d for _, s, d, _ in functions}
    read_definers = {f for fns in kpi_catalog.read_definers.values() for f in fns}
    read_definers |= set(kpi_catalog.live_definers.values()) | {kpi_catalog.freshness[1]}
    assert all(definer_of[s] for s in read_definers), "KPI read functions must be SECURITY DEFINER"
    exposed = [*kpi_catalog.between.values(), *kpi_catalog.live.values(), kpi_catalog.freshness[0]]
    assert not any(definer_of[s] for s in exposed), \
        "the exposed KPI functions must be SECURITY INVOKER wrappers"
    wrong = []
    executable_definers = []
    for oid, signature, definer, schema in functions:
        got = any_db.execute(
            "select has_schema_privilege(%s, %s, 'USAGE') and has_function_privilege(%s, %s, 'EXECUTE')",
            (role, schema, role, oid),
        ).fetchone()[0]
        if got and definer:
            executable_definers.append(signature)
        want = expected_function_access(signature, definer, role, allow_anon, kpi_functions)
        if want is not None and got != want:
            wrong.append(f"{role} execute {signature} (definer={definer}): allowed={got}, expected {want}")
    assert not wrong, "\n" + "\n".join(wrong)
    if role == "anon":
        assert executable_definers == ([] if not allow_anon else ["analytics_private.track_events(jsonb)"])
    if role == "authenticated":
        # the ingest entry point and the KPI read functions, all in the private schema
        assert sorted(executable_definers) == sorted({"analytics_private.track_events(jsonb)"} | read_definers)


@pytest.mark.parametrize("caller", sorted(CALLERS))
def test_rpc_calls(any_db, login, compiled, caller):
    """What PostgREST's /rpc would do for each caller."""
    role, jwt = CALLERS[caller]
    allow_anon = compiled.taxonomy.project.allow_anon
    may_track = role != "anon" or allow_anon
    with as_caller(login, role, jwt):
        assert _allowed(login, sql.SQL("select analytics.plan_version()")), f"{role} plan_version"
        assert _allowed(login, sql.SQL("select analytics.track_events('[]')")) == may_track, \
            f"{role} track_events"
        assert _allowed(login, sql.SQL("select analytics_private.track_events('[]')")) == may_track, \
            f"{role} analytics_private.track_events"
        if role != "service_role":
            private = ["select analytics_private.ensure_event_partitions(0)"]
            if role == "anon":
                private += ["select analytics_private.payload_problem('system.screen_loaded', '{}')",
                            "select analytics_private.is_timestamp('2026-01-01T00:00:00Z')"]
            for statement in private:
                assert not _allowed(login, sql.SQL(statement)), f"{role}: {statement}"


@pytest.mark.parametrize("caller", sorted(CALLERS))
def test_kpi_reads_and_rpc_calls(any_db, login, kpi_catalog, caller):
    """Every KPI and network view and every KPI function, as each caller would reach
    them through PostgREST (reads of the views, /rpc of the functions), plus the private
    KPI relations and functions, which only service_role may reach."""
    role, jwt = CALLERS[caller]
    reader = role != "anon"
    wrong = []

    def check(statement: str, want: bool) -> None:
        got = _allowed(login, sql.SQL(statement))
        if got != want:
            wrong.append(f"{caller}: {statement}: allowed={got}, expected {want}")

    pub, priv = kpi_catalog.pub, kpi_catalog.priv
    with as_caller(login, role, jwt):
        for kpi in kpi_catalog.kpis:
            check(f"select * from {pub}.{kpi_catalog.site_views[kpi]}", reader)
            check(f"select * from {pub}.{kpi_catalog.network_views[kpi]}", reader)
            between = kpi_catalog.between[kpi].removesuffix("(date,date)")
            check(f"select * from {between}('2020-01-01', '2030-12-31')", reader)
        for kpi in kpi_catalog.stored:
            for table in kpi_catalog.private_tables[kpi] + (kpi_catalog.net[kpi],):
                check(f"select 1 from {priv}.{table} limit 1", role == "service_role")
            if role != "service_role":  # service_role's refresh is tested in test_kpi_access.py
                check(f"select {kpi_catalog.refresh[kpi]}", False)
            for_caller, between, cells = kpi_catalog.read_definers[kpi]
            check(f"select * from {for_caller}", reader)
            check(f"select * from {between.removesuffix('(date,date)')}('2020-01-01', '2030-12-31')", reader)
            check(f"select * from {cells}", reader)
        check(f"select 1 from {priv}.{kpi_catalog.watermarks} limit 1", role == "service_role")
        check(f"select {priv}.kpi_caller_site()", role == "service_role")
        check(f"select {priv}.kpi_caller_reads_network()", role == "service_role")
        check(f"select {priv}.kpi_caller_network()", role == "service_role")
        check(f"select {priv}.kpi_funnel_depths('{{1}}', array[now()], array[gen_random_uuid()], 2, "
              "interval '1 day', 'ordered')",
              role == "service_role")
        check(f"select {priv}.kpi_actors_but_one(array[gen_random_uuid()], array[0::bigint])",
              role == "service_role")
        assert kpi_catalog.suppressors
        for fn in kpi_catalog.suppressors:  # with no (network, period): changes nothing
            check(f"select {fn.removesuffix('(uuid[],date[])')}('{{}}', '{{}}')", role == "service_role")
    assert not wrong, "\n" + "\n".join(wrong)


#: the roles that create objects on Supabase (migrations and the SQL editor run as postgres;
#: platform code as supabase_admin); the cluster's superuser is postgres
CREATORS = ("postgres", "supabase_admin")


def _supabase_defaults_for(role: str) -> str:
    """Supabase's custom-schema default grants (dbutil.SUPABASE_DEFAULTS) made for ``role``."""
    return dbutil.SUPABASE_DEFAULTS.replace("alter default privileges in schema",
                                            f"alter default privileges for role {role} in schema")


def test_objects_created_later_in_our_schemas_are_not_open_to_api_roles(cron_db, migrate):
    """With Supabase's default grants in place for every creating role before migrating (as its
    custom-schema guide has a project do), a table, view, sequence or function that postgres or
    supabase_admin creates in analytics or analytics_private afterwards is granted to neither anon
    nor authenticated. (EXECUTE to PUBLIC on new functions is PostgreSQL's built-in default, which
    a per-schema default cannot take away: it is checked to be the only way in.)"""
    cron_db.execute("do $$ begin if not exists (select from pg_roles where rolname = 'supabase_admin') then"
                    " create role supabase_admin nologin; end if; end $$")
    for role in CREATORS:
        cron_db.execute(_supabase_defaults_for(role))
    migrate(cron_db)
    cron_db.execute("grant create on schema analytics, analytics_private to supabase_admin")
    made = []
    for role in CREATORS:
        cron_db.execute(f"set role {role}")
        try:
            for schema in ("analytics", "analytics_private"):
                name = f"{schema}.later_{role}"
                cron_db.execute(f"create table {name}_t (id int)")
                cron_db.execute(f"create view {name}_v as select 1 as n")
                cron_db.execute(f"create sequence {name}_s")
                cron_db.execute(f"create function {name}_f() returns int language sql security definer"
                                " set search_path = '' as 'select 1'")
                made.append(name)
        finally:
            cron_db.execute("reset role")
    wrong = []
    for name in made:
        for api_role in ("anon", "authenticated"):
            for suffix, check in (("_t", "has_table_privilege(%s, %s, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE')"),
                                  ("_v", "has_table_privilege(%s, %s, 'SELECT, INSERT, UPDATE, DELETE')"),
                                  ("_s", "has_sequence_privilege(%s, %s, 'USAGE, SELECT, UPDATE')")):
                if cron_db.execute(f"select {check}", (api_role, name + suffix)).fetchone()[0]:
                    wrong.append(f"{api_role} has privileges on {name + suffix}")
            explicit = cron_db.execute(
                "select count(*) from pg_proc p, aclexplode(p.proacl) a"
                " where p.oid = %s::regprocedure and a.grantee = %s::regrole",
                (name + "_f()", api_role)).fetchone()[0]
            if explicit:
                wrong.append(f"{api_role} is granted EXECUTE on {name}_f()")
        public_only = cron_db.execute(
            "select array_agg(a.grantee::regrole::text order by 1) from pg_proc p, aclexplode(p.proacl) a"
            " where p.oid = %s::regprocedure and a.privilege_type = 'EXECUTE'", (name + "_f()",)).fetchone()[0]
        if not set(public_only) <= {"-", "postgres", "supabase_admin", "service_role"}:
            wrong.append(f"{name}_f(): EXECUTE granted to {public_only}")
    assert wrong == []


def test_anon_reads_the_reference_tables(any_db, login, compiled):
    with as_caller(login, "anon", {"role": "anon"}) as cur:
        assert cur.execute("select count(*) from analytics.tiers").fetchone()[0] == len(compiled.taxonomy.tiers)
        assert cur.execute("select count(*) from analytics.event_types").fetchone()[0] == len(
            compiled.taxonomy.events)


def test_plan_version_is_the_generated_one(db, api, compiled):
    migration = next(p for p in compiled.files if p.startswith("supabase/migrations/"))
    with as_caller(api, "authenticated", CALLERS["authenticated_site_a"][1]) as cur:
        version = cur.execute("select analytics.plan_version()").fetchone()[0]
    assert version and version in migration


# --------------------------------------------------------------------------- #
# Site isolation
# --------------------------------------------------------------------------- #


def _event(event_id: str, payload: dict) -> dict:
    return {"event_id": event_id, "occurred_at": datetime.now(UTC).isoformat(),
            "idempotency_key": str(uuid.uuid4()), "payload": dict(payload)}


@pytest.fixture
def two_sites(db, api, send, examples):
    """Site A and site B each send events (as authenticated); returns the sites,
    their subs and how many each stored."""
    site_a, site_b = uuid.uuid4(), uuid.uuid4()
    user_a, user_b = uuid.uuid4(), uuid.uuid4()
    ids = ["clinic.member_invited", "practitioner.protocol_logged", "system.screen_loaded"]
    sent = {}
    for site, user, n in ((site_a, user_a, 2), (site_b, user_b, 3)):
        batch = [_event(i, examples[i]) for _ in range(n) for i in ids]
        result = send(api, claims(site, "clinic", user), batch)
        assert {r["status"] for r in result} == {"accepted"}
        sent[site] = len(batch)
    return {"a": (site_a, user_a), "b": (site_b, user_b), "sent": sent}


def test_rows_carry_the_callers_site(db, two_sites):
    (site_a, _), (site_b, _) = two_sites["a"], two_sites["b"]
    counts = dict(db.execute(
        "select site_id, count(*) from analytics_private.events where site_id in (%s, %s) group by 1",
        (site_a, site_b),
    ).fetchall())
    assert counts == two_sites["sent"]
    hashes = dict(db.execute(
        "select site_id, array_agg(distinct actor_hash) from analytics_private.events"
        " where site_id in (%s, %s) group by 1",
        (site_a, site_b),
    ).fetchall())
    assert len(hashes[site_a]) == len(hashes[site_b]) == 1
    assert hashes[site_a] != hashes[site_b]


def test_service_role_sees_rows_by_site(db, api, two_sites):
    (site_a, _), (site_b, _) = two_sites["a"], two_sites["b"]
    with as_caller(api, "service_role", {"role": "service_role"}) as cur:
        counts = dict(cur.execute(
            "select site_id, count(*) from analytics_private.events where site_id in (%s, %s) group by 1",
            (site_a, site_b),
        ).fetchall())
    assert counts == two_sites["sent"]


@pytest.mark.parametrize("who", ["a", "b"])
def test_authenticated_cannot_read_events(db, api, two_sites, who):
    site, user = two_sites[who]
    for table in ("events", "events_default", "event_keys", "rejections", "secrets"):
        with pytest.raises(errors.InsufficientPrivilege):
            with as_caller(api, "authenticated", claims(site, "clinic", user)) as cur:
                cur.execute(sql.SQL("select * from {}").format(sql.Identifier("analytics_private", table)))


def test_site_policy_would_hide_other_sites_even_if_select_were_granted(db, api, two_sites):
    """Defence in depth: the events policy for authenticated filters by the
    site in app_metadata (never user_metadata)."""
    (site_a, user_a), (site_b, user_b) = two_sites["a"], two_sites["b"]
    with db.transaction(force_rollback=True):
        db.execute("grant usage on schema analytics_private to authenticated")
        db.execute("grant select on analytics_private.events to authenticated")
        for site, user, other in ((site_a, user_a, site_b), (site_b, user_b, site_a)):
            spoof = claims(site, "clinic", user, user_metadata={"site_id": str(other)})
            with as_caller(db, "authenticated", spoof) as cur:
                seen = dict(cur.execute(
                    "select site_id, count(*) from analytics_private.events group by 1"
                ).fetchall())
            assert seen == {site: two_sites["sent"][site]}
