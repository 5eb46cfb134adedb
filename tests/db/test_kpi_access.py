"""Who reads what through the KPI layer, with data in it: the RLS/grant matrix of
tests/db/test_access.py extended to every KPI and network view the taxonomy defines.

A "world" of events is stored directly (as the superuser, into
analytics_private.events, with the actor hash computed the way track_events does)
for k+1 sites, one actor per caller tier at each site, each actor sending the
events every KPI reads (funnel steps in order, a minute apart), so that every KPI
has rows at every site and every network cell has enough sites and actors to be
shown. Then every refresh function runs (as the superuser, bases before rolling
windows). Callers, as PostgREST makes them (dbutil.as_caller):

- anon: reaches no KPI view, network view or KPI function at all;
- authenticated at site A and site B (clinic tier) and a network-tier caller: read
  every analytics.kpi_* view and kpi_*_between function, and see exactly their own
  site's rows; callers of a tier the KPI's site_read_tiers does not name (consumers
  and practitioners by default, no tier, an unknown one) get no rows from the same
  reads (Taxonomy.site_reader_tiers, checked per tier and per KPI); read the network
  views, which return rows
  only to the network reader tiers (Taxonomy.network_reader_tiers) and to
  service_role, zero rows to everyone else, and then only the cells of the network
  in the caller's app_metadata.network_id claim (two networks here, plus one site
  whose events carry no network and so are in no network view);
- nobody but service_role reaches a rollup/facts/_net relation, the watermarks or a
  refresh function.

What the objects are called is derived from the compiled taxonomy (fixture
``kpi_catalog`` in conftest.py).
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import psycopg
import pytest
from dbutil import LOGIN_ROLE, as_caller, claims, insert_events
from psycopg import errors, sql

pytestmark = pytest.mark.db

WIDE = ("2000-01-01", "2100-01-01")  # a _between range that holds every period
#: the value columns of the KPI views (besides percentile columns p50, p95, ...)
VALUE_COLUMNS = {"value", "n", "numerator", "denominator", "actors", "conversion", "step_conversion",
                 "cohort_actors", "retained", "rate"}


# --------------------------------------------------------------------------- #
# The world
# --------------------------------------------------------------------------- #


class World:
    def __init__(self, tax, catalog, base: datetime):
        self.tax = tax
        self.catalog = catalog
        self.base = base
        k = tax.project.k_anonymity
        # two networks over the same periods and cells: k+1 sites in net_a, k+2 in net_b (so their
        # aggregates differ), and one site whose callers carry no network_id claim
        self.net_a, self.net_b = uuid.uuid4(), uuid.uuid4()
        self.sites = [uuid.uuid4() for _ in range(k + 1)]
        self.sites_b = [uuid.uuid4() for _ in range(k + 2)]
        self.site_none = uuid.uuid4()
        self.network = {**{s: self.net_a for s in self.sites}, **{s: self.net_b for s in self.sites_b},
                        self.site_none: None}
        self.site_a, self.site_b, self.site_n = self.sites[:3]
        self.caller_tiers = [t.name for t in tax.tiers if not t.system]
        self.actors = [(site, str(uuid.uuid4()), tier) for site in self.network for tier in self.caller_tiers]

    def _payload(self, sel) -> tuple[str, dict]:
        event_id = sel.events[0]
        event = self.tax.event(event_id)
        payload = dict(event.examples[0]) if event.examples else {}
        for name, values in sel.where:
            payload[name] = values[0]
        return event_id, payload

    def events(self) -> list[dict]:
        """Per actor: one event of every plain selection at ``base``; the steps of every
        funnel at base + 1, 2, ... minutes."""
        timed = []
        for kpi in self.tax.kpis:
            for sel in (kpi.selection, kpi.cohort, kpi.returning):
                if sel is not None:
                    timed.append((0, *self._payload(sel)))
            for i, step in enumerate(kpi.steps, start=1):
                timed.append((i, *self._payload(step.selection)))
        out = []
        for site, actor, tier in self.actors:
            for minutes, event_id, payload in timed:
                net = self.network[site]
                out.append({"site": str(site), "network": str(net) if net else None, "actor": actor, "tier": tier, "event_id": event_id,
                            "occurred_at": (self.base + timedelta(minutes=minutes)).isoformat(),
                            "key": str(uuid.uuid4()), "payload": payload})
        return out

    def build(self, conn: psycopg.Connection) -> None:
        insert_events(conn, self.events())
        refresh_all(conn, self.catalog)


def refresh_all(conn: psycopg.Connection, catalog) -> None:
    for kpi in catalog.stored:  # bases before rolling windows
        conn.execute(f"select {catalog.refresh[kpi]}")


_worlds: dict[int, World] = {}


@pytest.fixture
def world(db, compiled, kpi_catalog) -> World:
    """Built once per migrated database (the shared ``db`` is re-migrated when a test of
    another module reset it in between; then the world is built again)."""
    oid = db.execute("select 'analytics_private.events'::regclass::oid").fetchone()[0]
    if oid not in _worlds:
        base = datetime.combine(datetime.now(UTC).date(), time(0, 0), tzinfo=UTC)
        w = World(compiled.taxonomy, kpi_catalog, base)
        w.build(db)
        _worlds.clear()
        _worlds[oid] = w
    return _worlds[oid]


def caller(world: World, who: str) -> tuple[str, dict | None]:
    return {
        "anon": ("anon", {"role": "anon"}),
        "site_a": ("authenticated", claims(world.site_a, "clinic", uuid.uuid4())),
        "site_b": ("authenticated", claims(world.site_b, "clinic", uuid.uuid4())),
        "network": ("authenticated", claims(world.site_n, "network", uuid.uuid4(), world.net_a)),
        "network_b": ("authenticated", claims(world.sites_b[0], "network", uuid.uuid4(), world.net_b)),
        "service_role": ("service_role", {"role": "service_role", "app_metadata": {"network_id": str(world.net_a)}}),
        "service_role_no_network": ("service_role", {"role": "service_role"}),
    }[who]


def own_site(world: World, who: str) -> uuid.UUID:
    return {"site_a": world.site_a, "site_b": world.site_b, "network": world.site_n}[who]


def read(conn, role: str, jwt: dict | None, statement: str, params=()) -> tuple[list[str], list[tuple]]:
    with as_caller(conn, role, jwt) as cur:
        cur.execute(statement, params or None)
        return [d.name for d in cur.description], cur.fetchall()


def denied(conn, role: str, jwt: dict | None, statement: str) -> bool:
    try:
        with as_caller(conn, role, jwt) as cur:
            cur.execute(statement)
    except errors.InsufficientPrivilege:
        return True
    return False


def between_call(signature: str) -> str:
    return f"select * from {signature.removesuffix('(date,date)')}(%s, %s)"


# --------------------------------------------------------------------------- #
# anon
# --------------------------------------------------------------------------- #


def test_anon_reaches_no_kpi_object(db, api, world, kpi_catalog):
    role, jwt = caller(world, "anon")
    pub, priv = kpi_catalog.pub, kpi_catalog.priv
    statements = []
    for kpi in kpi_catalog.kpis:
        statements += [f"select * from {pub}.{kpi_catalog.site_views[kpi]}",
                       f"select * from {pub}.{kpi_catalog.network_views[kpi]}",
                       between_call(kpi_catalog.between[kpi]).replace("%s", "'2000-01-01'")]
    for kpi in kpi_catalog.stored:
        statements += [f"select * from {priv}.{t}" for t in kpi_catalog.private_tables[kpi]]
        statements += [f"select * from {priv}.{kpi_catalog.net[kpi]}", f"select {kpi_catalog.refresh[kpi]}"]
        for_caller, between, cells = kpi_catalog.read_definers[kpi]
        statements += [f"select * from {for_caller}", f"select * from {cells}",
                       between_call(between).replace("%s", "'2000-01-01'")]
    statements += [f"select * from {priv}.{kpi_catalog.watermarks}"]
    statements += [f"select {h.split('(')[0]}()" for h in kpi_catalog.helpers if h.endswith("()")]
    reached = [s for s in statements if not denied(api, role, jwt, s)]
    assert reached == []


# --------------------------------------------------------------------------- #
# authenticated: site-scoped KPI views
# --------------------------------------------------------------------------- #


def _rows_by_key(names: list[str], rows: list[tuple], value_columns: set[str]) -> dict[tuple, tuple]:
    keys = [i for i, n in enumerate(names) if n not in value_columns]
    vals = [i for i, n in enumerate(names) if n in value_columns]
    out = {}
    for row in rows:
        key = tuple(row[i] for i in keys)
        assert key not in out, f"two rows for {key}"
        out[key] = tuple(row[i] for i in vals)
    return out


@pytest.mark.parametrize("who", ["site_a", "site_b", "network"])
def test_kpi_views_show_exactly_the_callers_own_site(db, api, world, kpi_catalog, who):
    role, jwt = caller(world, who)
    site = own_site(world, who)
    pub, priv = kpi_catalog.pub, kpi_catalog.priv
    today = db.execute("select (now() at time zone %s)::date", (world.tax.project.timezone,)).fetchone()[0]
    kpis = {k.name: k for k in world.tax.kpis}
    seen: dict[str, tuple[list[str], list[tuple]]] = {}
    wrong = []
    for name in kpi_catalog.kpis:
        view = kpi_catalog.site_views[name]
        names, rows = read(api, role, jwt, f"select * from {pub}.{view}")
        seen[name] = (names, rows)
        if not rows:
            wrong.append(f"{view}: no rows for the caller's own site")
        others = {r[names.index("site_id")] for r in rows} - {site}
        if others:
            wrong.append(f"{view}: a caller at {site} saw sites {others}")
        # the exposed _between function gives the same rows for a range holding every period
        _, b_rows = read(api, role, jwt, between_call(kpi_catalog.between[name]), WIDE)
        if Counter(b_rows) != Counter(rows):
            wrong.append(f"{kpi_catalog.between[name]}: differs from {view}")
        if name in kpi_catalog.net:  # stored: every own-site rollup row, nothing else
            rollup = kpi_catalog.private_tables[name][0]
            cond = " and period <= %s" if kpis[name].type == "rolling" else ""
            stored = db.execute(
                f"select count(*) from {priv}.{rollup} where site_id = %s{cond}",
                (site, today) if cond else (site,),
            ).fetchone()[0]
            if stored != len(rows):
                wrong.append(f"{view}: {len(rows)} rows, the rollup holds {stored} for the site")
    for name in kpi_catalog.kpis:  # ratios: one row per cell of either of their two KPIs
        kpi = kpis[name]
        if kpi.type != "ratio":
            continue
        names, rows = seen[name]
        key_cols = [n for n in names if n not in ("numerator", "denominator", "value")]
        want = set()
        for part in (kpi.numerator, kpi.denominator):
            p_names, p_rows = seen[part]
            want |= {tuple(r[p_names.index(c)] for c in key_cols) for r in p_rows}
        got = {tuple(r[names.index(c)] for c in key_cols) for r in rows}
        if got != want:
            wrong.append(f"{kpi_catalog.site_views[name]}: cells {got} != those of its KPIs {want}")
    assert not wrong, "\n" + "\n".join(wrong)


def test_user_metadata_does_not_move_the_caller_to_another_site(db, api, world, kpi_catalog):
    spoof = claims(world.site_a, "clinic", uuid.uuid4(),
                   user_metadata={"site_id": str(world.site_b), "tier": "network"})
    pub = kpi_catalog.pub
    wrong = []
    for name in kpi_catalog.kpis:
        names, rows = read(api, "authenticated", spoof, f"select * from {pub}.{kpi_catalog.site_views[name]}")
        sites = {r[names.index("site_id")] for r in rows}
        if sites != {world.site_a}:
            wrong.append(f"{kpi_catalog.site_views[name]}: sites {sites}")
        _, net_rows = read(api, "authenticated", spoof, f"select * from {pub}.{kpi_catalog.network_views[name]}")
        if net_rows:
            wrong.append(f"{kpi_catalog.network_views[name]}: {len(net_rows)} rows for a clinic-tier caller")
    assert not wrong, "\n" + "\n".join(wrong)


@pytest.mark.parametrize("site_claim", [None, "not-a-uuid", ""])
def test_caller_without_a_valid_site_reads_no_kpi_rows(db, api, world, kpi_catalog, site_claim):
    jwt = {"sub": str(uuid.uuid4()), "role": "authenticated", "app_metadata": {"tier": "clinic"}}
    if site_claim is not None:
        jwt["app_metadata"]["site_id"] = site_claim
    pub = kpi_catalog.pub
    nonempty = []
    for name in kpi_catalog.kpis:
        _, rows = read(api, "authenticated", jwt, f"select * from {pub}.{kpi_catalog.site_views[name]}")
        _, b_rows = read(api, "authenticated", jwt, between_call(kpi_catalog.between[name]), WIDE)
        if rows or b_rows:
            nonempty.append(name)
    assert nonempty == []


def _site_reads(api, kpi_catalog, jwt: dict) -> dict[str, int]:
    """Rows each site-scoped read returns to an authenticated caller with these claims: the exposed
    view and _between function of every KPI, and the private definer functions they read."""
    pub = kpi_catalog.pub
    out = {}
    for name in kpi_catalog.kpis:
        out[f"{pub}.{kpi_catalog.site_views[name]}"] = len(
            read(api, "authenticated", jwt, f"select * from {pub}.{kpi_catalog.site_views[name]}")[1])
        out[kpi_catalog.between[name]] = len(read(api, "authenticated", jwt, between_call(kpi_catalog.between[name]),
                                                  WIDE)[1])
    for name in kpi_catalog.stored:
        for_caller, between, _ = kpi_catalog.read_definers[name]
        out[for_caller] = len(read(api, "authenticated", jwt, f"select * from {for_caller}")[1])
        out[between] = len(read(api, "authenticated", jwt, between_call(between), WIDE)[1])
    return out


def _kpi_of(kpi_catalog, read_name: str) -> str:
    for name in kpi_catalog.kpis:
        names = {f"{kpi_catalog.pub}.{kpi_catalog.site_views[name]}", kpi_catalog.between[name],
                 *kpi_catalog.read_definers.get(name, ())}
        if read_name in names:
            return name
    raise KeyError(read_name)


@pytest.mark.parametrize("tier", ["consumer", "practitioner", "clinic", "network", "system", "admin", None])
def test_site_reads_return_rows_only_to_the_kpis_reader_tiers(db, api, world, kpi_catalog, tier):
    """privacy.site_read_tiers (and a KPI's own site_read_tiers): every site-scoped read, exposed or
    private, called with each tier's claims at a site that has rows for every KPI."""
    jwt = claims(world.site_a, tier or "", uuid.uuid4(), world.net_a)
    if tier is None:
        del jwt["app_metadata"]["tier"]
    got = _site_reads(api, kpi_catalog, jwt)
    assert len(got) == 2 * len(kpi_catalog.kpis) + 2 * len(kpi_catalog.stored)
    wrong = []
    for read_name, rows in sorted(got.items()):
        reader = tier in world.tax.site_reader_tiers(_kpi_of(kpi_catalog, read_name))
        if bool(rows) != reader:
            wrong.append(f"{read_name}: tier {tier!r} got {rows} rows, reader={reader}")
    assert not wrong, "\n" + "\n".join(wrong)


def test_site_read_tiers_default_to_clinic_and_above(world):
    """Both outcomes are exercised by the test above: the real taxonomy's readers."""
    tax = world.tax
    assert tax.project_site_reader_tiers == ("clinic", "network")
    assert {k.name: tax.site_reader_tiers(k.name) for k in tax.kpis} == {
        k.name: ("clinic", "network") for k in tax.kpis}


@pytest.mark.parametrize("where", ["user_metadata", "top_level"])
def test_site_reader_tier_cannot_be_spoofed(db, api, world, kpi_catalog, where):
    jwt = claims(world.site_a, "consumer", uuid.uuid4(), world.net_a)
    if where == "user_metadata":
        jwt["user_metadata"] = {"tier": "clinic"}
    else:
        jwt["tier"] = "clinic"
    got = _site_reads(api, kpi_catalog, jwt)
    assert {name: rows for name, rows in got.items() if rows} == {}


#: per-KPI overrides for the variant below: (KPI, site_read_tiers); the project keeps [clinic, network]
OVERRIDES = (
    ("protocol_loggers", ["practitioner", "clinic", "network"]),
    ("active_practitioners", ["practitioner", "clinic", "network"]),
    ("protocol_logging_adoption", ["network"]),  # a ratio narrower than both of its KPIs
    ("protocol_sessions_logged", ["practitioner"]),  # not even the project's tiers
    ("clinic_collaborators", []),  # nobody
)


def test_per_kpi_site_read_tiers_are_enforced(cron_db, api, tmp_path, catalog_of, pg_cluster):
    """A copy of the real taxonomy with the OVERRIDES, compiled and migrated into a fresh database:
    every site read, called with each tier's claims, returns rows exactly to the KPI's own readers
    (a ratio's own setting included, though its numerator and denominator allow more)."""
    import shutil

    from dbutil import apply_sql_files

    from generator.compiler import compile_taxonomy

    shutil.copytree(Path(__file__).resolve().parents[2] / "taxonomy", tmp_path / "taxonomy")
    adoption = tmp_path / "taxonomy" / "kpis" / "adoption.yaml"
    text = adoption.read_text(encoding="utf-8")
    for name, tiers in OVERRIDES:
        old = f"  - name: {name}\n"
        assert text.count(old) == 1, name
        text = text.replace(old, f"{old}    site_read_tiers: [{', '.join(tiers)}]\n")
    adoption.write_text(text, encoding="utf-8")
    result = compile_taxonomy(tmp_path / "taxonomy")
    assert result.ok, "\n".join(str(d) for d in result.errors)
    tax = result.taxonomy
    expected = {name: tuple(tiers) for name, tiers in OVERRIDES}
    expected["protocol_logging_adoption"] = ("network",)
    assert {name: tax.site_reader_tiers(name) for name in expected} == expected
    migrations = []
    for rel, body in sorted(result.files.items()):
        if rel.startswith("supabase/migrations/"):
            path = tmp_path / rel.split("/")[-1]
            path.write_text(body, encoding="utf-8")
            migrations.append(path)
    apply_sql_files(cron_db, migrations)
    cron_db.execute("reset lock_timeout; reset statement_timeout")
    catalog = catalog_of(tax)
    world = World(tax, catalog, datetime.combine(datetime.now(UTC).date(), time(0, 0), tzinfo=UTC))
    world.build(cron_db)
    wrong = []
    with pg_cluster.connect(user=LOGIN_ROLE) as login:
        for tier in ("consumer", "practitioner", "clinic", "network", None):
            jwt = claims(world.site_a, tier or "", uuid.uuid4(), world.net_a)
            if tier is None:
                del jwt["app_metadata"]["tier"]
            for read_name, rows in sorted(_site_reads(login, catalog, jwt).items()):
                reader = tier in tax.site_reader_tiers(_kpi_of(catalog, read_name))
                if bool(rows) != reader:
                    wrong.append(f"{read_name}: tier {tier!r} got {rows} rows, reader={reader}")
    assert not wrong, "\n" + "\n".join(wrong)


# --------------------------------------------------------------------------- #
# network views
# --------------------------------------------------------------------------- #


def _network_rows(api, role, jwt, kpi_catalog) -> dict[str, tuple[list[str], Counter]]:
    out = {}
    for name in kpi_catalog.kpis:
        names, rows = read(api, role, jwt, f"select * from {kpi_catalog.pub}.{kpi_catalog.network_views[name]}")
        out[name] = (names, Counter(rows))
    return out


def test_service_role_reads_every_network_view(db, api, world, kpi_catalog):
    """service_role passes the tier check but, like everyone, sees only the network of its
    network_id claim (none without one)."""
    role, jwt = caller(world, "service_role")
    got = _network_rows(api, role, jwt, kpi_catalog)
    empty = [kpi_catalog.network_views[n] for n, (_, rows) in got.items() if not rows]
    assert empty == [], "the world should show at least one cell in every network view"
    with_site = [kpi_catalog.network_views[n] for n, (names, _) in got.items()
                 if {"site_id", "network_id"} & set(names)]
    assert with_site == [], "network views aggregate across sites and have no site or network column"
    assert got == _network_rows(api, *caller(world, "network"), kpi_catalog)
    bare = _network_rows(api, *caller(world, "service_role_no_network"), kpi_catalog)
    assert {n: sum(rows.values()) for n, (_, rows) in bare.items() if rows} == {}


def test_network_views_are_scoped_to_the_callers_network(db, api, world, kpi_catalog):
    got_a = _network_rows(api, *caller(world, "network"), kpi_catalog)
    got_b = _network_rows(api, *caller(world, "network_b"), kpi_catalog)
    wrong = []
    for name in kpi_catalog.kpis:
        view = kpi_catalog.network_views[name]
        (names, rows_a), (_, rows_b) = got_a[name], got_b[name]
        if not rows_a or not rows_b:
            wrong.append(f"{view}: empty for one network")
        elif rows_a == rows_b:
            wrong.append(f"{view}: both networks see the same rows")
        # the same cells (same periods and dimensions) for both, with each network's own values
        keys = [i for i, n in enumerate(names) if n == "period" or n in ("step", "period_number")]
        if {tuple(r[i] for i in keys) for r in rows_a} != {tuple(r[i] for i in keys) for r in rows_b}:
            wrong.append(f"{view}: the networks' cells differ")
    # distinct actors per cell: each network counts only its own sites' actors
    for name, kpi in ((k.name, k) for k in world.tax.kpis if k.type == "distinct_actors" and not k.by):
        for who, sites in (("network", world.sites), ("network_b", world.sites_b)):
            names, rows = got_a[name] if who == "network" else got_b[name]
            actors = len(sites) * len([t for t in world.caller_tiers
                                       if not kpi.selection.tiers or t in kpi.selection.tiers])
            values = {r[names.index("value")] for r in rows}
            if values != {actors}:
                wrong.append(f"{kpi_catalog.network_views[name]}: {who} sees {values}, expected {actors}")
    # no claim, a malformed one, or a network with no data: nothing
    for network_id in (None, "not-a-uuid", str(uuid.uuid4())):
        jwt = claims(world.site_n, "network", uuid.uuid4())
        if network_id is not None:
            jwt["app_metadata"]["network_id"] = network_id
        rows = _network_rows(api, "authenticated", jwt, kpi_catalog)
        shown = {n: sum(r.values()) for n, (_, r) in rows.items() if r}
        if shown:
            wrong.append(f"network_id {network_id!r}: {shown}")
        for name in kpi_catalog.stored:
            _, cells = read(api, "authenticated", jwt, f"select * from {kpi_catalog.read_definers[name][2]}")
            if cells:
                wrong.append(f"{kpi_catalog.read_definers[name][2]}: network_id {network_id!r} got rows")
    assert not wrong, "\n" + "\n".join(wrong)


#: every tier of this taxonomy (checked by test_every_tier_is_checked), one it does not know, none
TIERS = ["consumer", "practitioner", "clinic", "network", "system", "admin", None]


def test_every_tier_is_checked(compiled, kpi_catalog):
    tiers = {t.name for t in compiled.taxonomy.tiers}
    assert tiers <= set(TIERS) and "admin" not in tiers
    assert kpi_catalog.network_reader_tiers == compiled.taxonomy.network_reader_tiers
    # both outcomes are exercised: some tiers read the network views, some do not
    assert set(kpi_catalog.network_reader_tiers) & tiers
    assert tiers - set(kpi_catalog.network_reader_tiers)


@pytest.mark.parametrize("tier", TIERS)
def test_network_views_return_rows_only_to_network_reader_tiers(db, api, world, kpi_catalog, tier):
    jwt = claims(world.site_a, tier or "", uuid.uuid4(), world.net_a)
    if tier is None:
        del jwt["app_metadata"]["tier"]
    reader = tier in kpi_catalog.network_reader_tiers
    reference = _network_rows(api, *caller(world, "service_role"), kpi_catalog)
    got = _network_rows(api, "authenticated", jwt, kpi_catalog)
    wrong = []
    for name in kpi_catalog.kpis:
        names, rows = got[name]
        want = reference[name][1] if reader else Counter()
        if reader and not want:
            wrong.append(f"{kpi_catalog.network_views[name]}: the reference is empty")
        if rows != want:
            wrong.append(f"{kpi_catalog.network_views[name]}: tier {tier!r} got {sum(rows.values())} rows,"
                         f" expected {sum(want.values())}")
    # the private cell functions the views read apply the same rule when called directly
    for name in kpi_catalog.stored:
        cells = kpi_catalog.read_definers[name][2]
        _, rows = read(api, "authenticated", jwt, f"select * from {cells}")
        if bool(rows) != reader:
            wrong.append(f"{cells}: tier {tier!r} got {len(rows)} rows")
    assert not wrong, "\n" + "\n".join(wrong)


@pytest.mark.parametrize("where", ["user_metadata", "top_level", "network_id_only"])
def test_network_tier_cannot_be_spoofed(db, api, world, kpi_catalog, where):
    jwt = claims(world.site_a, "practitioner", uuid.uuid4(), world.net_a)
    if where == "user_metadata":
        jwt["user_metadata"] = {"tier": "network"}
    elif where == "top_level":
        jwt["tier"] = "network"
    # network_id_only: a network_id in app_metadata alone does not make a network reader
    got = _network_rows(api, "authenticated", jwt, kpi_catalog)
    assert {kpi_catalog.network_views[n]: sum(rows.values()) for n, (_, rows) in got.items() if rows} == {}


# --------------------------------------------------------------------------- #
# private KPI objects
# --------------------------------------------------------------------------- #


def _a_column(table: str) -> str:
    """A column the private table has (a rolling window's runs are keyed by member, not by site)."""
    return "run_to" if table.endswith("_runs") else "site_id"


@pytest.mark.parametrize("who", ["site_a", "site_b", "network"])
def test_authenticated_reaches_no_private_kpi_relation_or_refresh(db, api, world, kpi_catalog, who):
    role, jwt = caller(world, who)
    priv = kpi_catalog.priv
    statements = [f"select * from {priv}.{kpi_catalog.watermarks}"]
    for kpi in kpi_catalog.stored:
        for table in kpi_catalog.private_tables[kpi]:
            statements += [f"select * from {priv}.{table}",
                           f"delete from {priv}.{table}",
                           f"update {priv}.{table} set {_a_column(table)} = {_a_column(table)}"]
        statements += [f"select * from {priv}.{kpi_catalog.net[kpi]}",
                       f"delete from {priv}.{kpi_catalog.net[kpi]}",
                       f"update {priv}.{kpi_catalog.net[kpi]} set network_id = network_id",
                       f"select {kpi_catalog.refresh[kpi]}"]
    statements += [f"select {h.split('(')[0]}()" for h in kpi_catalog.helpers if h.endswith("()")]
    reached = [s for s in statements if not denied(api, role, jwt, s)]
    assert reached == []


def test_service_role_reads_the_private_kpi_relations(db, api, world, kpi_catalog):
    role, jwt = caller(world, "service_role")
    priv = kpi_catalog.priv
    empty = []
    for kpi in kpi_catalog.stored:
        for relation in kpi_catalog.private_tables[kpi] + (kpi_catalog.net[kpi],):
            _, rows = read(api, role, jwt, f"select * from {priv}.{relation} where true limit 1")
            if not rows:
                empty.append(relation)
    assert empty == []


def test_service_role_can_run_every_refresh_function(db, api, world, kpi_catalog, compiled):
    """refresh_kpi_*() is granted to service_role (and only to it): running it must work
    when there is something new to refresh, not only when there is nothing to do."""
    fresh = World(compiled.taxonomy, kpi_catalog, world.base)
    insert_events(db, fresh.events())
    role, jwt = caller(world, "service_role")
    failed = []
    for kpi in kpi_catalog.stored:
        try:
            with as_caller(api, role, jwt) as cur:  # rolled back: the world stays as it was
                cur.execute(sql.SQL(f"select {kpi_catalog.refresh[kpi]}"))
        except psycopg.Error as e:
            failed.append(f"{kpi_catalog.refresh[kpi]}: {type(e).__name__}: {str(e).splitlines()[0]}")
    refresh_all(db, kpi_catalog)  # as the cron jobs do (the superuser), so later tests see it
    assert failed == [], "\n" + "\n".join(failed)


def test_network_views_list_hidden_cells_with_null_values(db, api, world, kpi_catalog, compiled):
    """Issue 9 (dashboards): a hidden cell is a row with null values and suppressed = true, the last
    column of every network view (a column and rows added to the exposed API: additive). Here a
    network of its own where a single actor at one site raised one error: hidden, yet listed."""
    tax = compiled.taxonomy
    k = tax.project.k_anonymity
    network, sites = uuid.uuid4(), [uuid.uuid4() for _ in range(k + 1)]
    event = next(e for e in tax.events if e.id == "system.error_occurred")
    at = datetime.combine(datetime.now(UTC).date(), time(6), tzinfo=UTC) - timedelta(days=1)
    insert_events(db, [{"site": str(sites[0]), "network": str(network), "actor": str(uuid.uuid4()),
                        "tier": "network", "event_id": event.id, "occurred_at": at.isoformat(),
                        "key": str(uuid.uuid4()), "payload": dict(event.examples[0])}])
    refresh_all(db, kpi_catalog)
    jwt = claims(sites[-1], "network", uuid.uuid4(), network)
    shape = db.execute("""
        select c.table_name, array_agg(c.column_name::text order by c.ordinal_position),
               array_agg(c.data_type::text order by c.ordinal_position)
        from information_schema.columns c
        where c.table_schema = %s and c.table_name = any(%s)
        group by c.table_name""", (kpi_catalog.pub, list(kpi_catalog.network_views.values()))).fetchall()
    assert len(shape) == len(kpi_catalog.network_views)
    wrong = [f"{view}: last column {cols[-1]} {types[-1]}" for view, cols, types in shape
             if (cols[-1], types[-1]) != ("suppressed", "boolean")]
    listed = {}
    for name in kpi_catalog.kpis:
        names, rows = read(api, "authenticated", jwt, f"select * from {kpi_catalog.pub}.{kpi_catalog.network_views[name]}")
        values = [i for i, n in enumerate(names) if n in VALUE_COLUMNS or (n[:1] == "p" and n[1:2].isdigit())]
        for row in rows:
            if row[-1] and any(row[i] is not None for i in values):
                wrong.append(f"{name}: hidden row with values {row}")
        listed[name] = rows
    assert not wrong, "\n" + "\n".join(wrong)
    for name in ("error_count", "errors_by_code"):
        rows = listed[name]
        assert len(rows) == 1 and rows[0][-1] is True, (name, rows)
        assert rows[0][0] == at.date()
