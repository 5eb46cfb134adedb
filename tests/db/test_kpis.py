"""KPIs end to end: compile the real taxonomy plus the KPI layer (generator/plan/kpis.py), apply it to
the pg_cron database, feed synthetic events and compare every KPI view with a plain-Python
reference (tests/db/kpi_reference.py), through full and incremental refreshes, concurrent inserts,
out-of-order commits, site isolation, network suppression, cron jobs, index use and the linter.
"""

from __future__ import annotations

import random
import sys
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from dbutil import SUPABASE_DEFAULTS, apply_sql_files, as_caller, claims, insert_events

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import kpi_reference as ref  # noqa: E402
from splinter import lint as splinter_lint  # noqa: E402

from generator.catalog import CronJob  # noqa: E402
from generator.compiler import compile_taxonomy  # noqa: E402
from generator.plan.kpi import window_days  # noqa: E402
from generator.sqlquote import short_name  # noqa: E402

pytestmark = pytest.mark.db

ROOT = Path(__file__).resolve().parents[2]
TAXONOMY = ROOT / "taxonomy"
TIERS = ("consumer", "practitioner", "clinic", "network")
SITES = [str(uuid.UUID(int=0x5000 + i, version=4)) for i in range(13)]
#: two networks: A has sites 0-5, B sites 6-11 (both over the same periods and dimensions);
#: site 12 sends without a network_id claim, so its events are in no network view
NETWORKS = [str(uuid.UUID(int=0x6000 + i, version=4)) for i in range(2)]
NET_A, NET_B = NETWORKS
SMALL_SITES = {5, 11, 12}


def network_of(site: str) -> str | None:
    i = SITES.index(site)
    return NET_A if i < 6 else NET_B if i < 12 else None


# --------------------------------------------------------------------------- #
# Building and applying the SQL (normal compile output + the KPI artifact)
# --------------------------------------------------------------------------- #


@pytest.fixture(scope="module")
def compiled():
    """The generator's own output for the real taxonomy (schema files, KPI layer included)."""
    comp = compile_taxonomy(TAXONOMY)
    assert comp.ok, [str(d) for d in comp.errors]
    tax = comp.taxonomy
    jobs = [j for j in comp.catalog.of(CronJob) if 'refresh_' in j.name]
    schema = {p.rsplit("/", 1)[1]: text for p, text in comp.files.items() if p.startswith("supabase/schemas/")}
    assert "60_kpis.sql" in schema
    return tax, jobs, schema


@pytest.fixture
def db(cron_db, compiled, tmp_path):
    tax, _jobs, schema = compiled
    paths = []
    for name in sorted(schema):
        path = tmp_path / name
        path.write_text(schema[name], encoding="utf-8")
        paths.append(path)
    apply_sql_files(cron_db, paths)
    return cron_db


def supported(tax):
    return list(tax.kpis)


def refresh_all(conn, tax) -> None:
    kpis = supported(tax)
    for kpi in [k for k in kpis if k.type not in ("rolling", "ratio")] + [k for k in kpis if k.type == "rolling"]:
        fn = short_name(f"refresh_kpi_{kpi.name}")
        conn.execute(f"select analytics_private.{fn}()")


# --------------------------------------------------------------------------- #
# Synthetic events
# --------------------------------------------------------------------------- #


class Generator:
    def __init__(self, tax, seed: int = 7):
        self.tax = tax
        self.rnd = random.Random(seed)
        used = set()
        self.fields: dict[str, set[str]] = {}
        for kpi in supported(tax):
            for sel in [kpi.selection, kpi.cohort, kpi.returning] + [st.selection for st in kpi.steps]:
                if sel is not None:
                    used.update(sel.events)
        self.event_ids = sorted(used)
        # actors: 10 per site, some of them also active at a second site
        self.actors = []
        for s, site in enumerate(SITES):
            for a in range(3 if s in SMALL_SITES else 10):  # some sites are small
                sub = str(uuid.UUID(int=(s << 16) + a + 1, version=4))
                self.actors.append((site, sub, self.rnd.choice(TIERS)))
        self.actors += [(SITES[1], self.actors[0][1], self.actors[0][2]), (SITES[2], self.actors[1][1], "clinic")]

    def payload(self, event_id: str) -> dict:
        event = self.tax.event(event_id)
        payload = dict(event.examples[0]) if event.examples else {}
        for prop in event.properties:
            v = prop.value
            if v.enum:
                # skewed: the last enum value is rare, so some cells stay small
                weights = [10] * (len(v.enum) - 1) + [1]
                payload[prop.name] = self.rnd.choices(list(v.enum), weights)[0]
            elif v.type == "boolean":
                payload[prop.name] = self.rnd.random() < 0.5
            elif v.type == "integer" and prop.name.endswith("_ms"):
                payload[prop.name] = self.rnd.randint(1, 100000)
        return payload

    def events(self, n: int, days_back: int = 35, today: date | None = None) -> list[dict]:
        now = datetime.now(UTC)
        out = []
        for _ in range(n):
            site, sub, tier = self.rnd.choice(self.actors)
            event_id = self.rnd.choice(self.event_ids)
            when = now - timedelta(days=self.rnd.randint(0, days_back), seconds=self.rnd.randint(0, 86000))
            out.append({"site": site, "network": network_of(site), "actor": sub, "tier": tier, "event_id": event_id, "occurred_at": when,
                        "payload": self.payload(event_id), "key": str(uuid.UUID(int=self.rnd.getrandbits(122), version=4))})
        return out


def insert(conn, events: list[dict]) -> None:
    insert_events(conn, events, skip_duplicates=True)


# --------------------------------------------------------------------------- #
# Reading views and comparing
# --------------------------------------------------------------------------- #


VALUE_COLUMNS = ("value", "n", "numerator", "denominator", "step_name", "actors", "conversion", "step_conversion",
                 "cohort_actors", "retained", "rate")


def _norm(v):
    if isinstance(v, Decimal):
        return round(float(v), 9)
    if isinstance(v, float):
        return round(v, 9)
    return v


def read_site(conn, view: str, site: str) -> dict[tuple, tuple]:
    with as_caller(conn, "authenticated", claims(site, "clinic", uuid.uuid4())) as cur:
        cur.execute(f"select * from analytics.{view}")
        names = [d.name for d in cur.description]
        rows = cur.fetchall()
    out = {}
    for row in rows:
        rec = dict(zip(names, row, strict=False))
        assert str(rec["site_id"]) == site, f"{view}: site {site} saw {rec['site_id']}"
        value_names = [n for n in names if n in VALUE_COLUMNS or
                       (n.startswith("p") and n[1:2].isdigit())]
        dim_names = [n for n in names if n not in value_names and n not in ("site_id", "period")]
        key = (site, rec["period"]) + tuple(rec[d] for d in dim_names)
        order = ["numerator", "denominator", "value"] if "numerator" in names else value_names
        out[key] = tuple(_norm(rec[n]) for n in order)
    return out


def read_network(conn, view: str, network: str | None = NET_A, *, jwt: dict | None = None,
                 role: str = "authenticated") -> dict[tuple, tuple]:
    """The view as a network-tier caller whose network_id claim is ``network`` (None: no claim)."""
    jwt = jwt if jwt is not None else claims(SITES[0], "network", uuid.uuid4(), network)
    with as_caller(conn, role, jwt) as cur:
        cur.execute(f"select * from analytics.{view}")
        names = [d.name for d in cur.description]
        rows = cur.fetchall()
    assert "site_id" not in names and "network_id" not in names
    assert names[-1] == "suppressed"
    out = {}
    for row in rows:
        rec = dict(zip(names, row, strict=False))
        value_names = [n for n in names if n in VALUE_COLUMNS or
                       (n.startswith("p") and n[1:2].isdigit())]
        dim_names = [n for n in names if n not in value_names and n not in ("period", "suppressed")]
        order = ["numerator", "denominator", "value"] if "numerator" in names else value_names
        # a hidden cell is listed with null values (a funnel step keeps its name)
        assert not rec["suppressed"] or all(rec[n] is None for n in value_names if n != "step_name"), rec
        out[(rec["period"],) + tuple(rec[d] for d in dim_names)] = \
            tuple(_norm(rec[n]) for n in order) + (rec["suppressed"],)
    return out


def today(conn) -> date:
    return conn.execute("select (now() at time zone 'UTC')::date").fetchone()[0]


def check_all(conn, tax, events, *, network: bool = True) -> dict[str, tuple[int, int]]:
    """Compare every KPI view with the reference; returns {kpi: (site cells, visible network cells)}."""
    t = today(conn)
    problems = []
    sizes = {}
    for kpi in supported(tax):
        expected = {k: tuple(_norm(x) for x in v) for k, v in ref.site_values(tax, kpi, events, t).items()}
        sizes[kpi.name] = (len(expected), 0)
        got = {}
        for site in SITES:
            got.update(read_site(conn, f"kpi_{kpi.name}", site))
        if got != expected:
            missing = {k: v for k, v in expected.items() if got.get(k) != v}
            extra = {k: v for k, v in got.items() if expected.get(k) != v}
            problems.append(f"{kpi.name}: {len(missing)} expected cells differ/missing, e.g. "
                            f"{list(missing.items())[:2]}; got {list(extra.items())[:2]}")
        if network:
            shown = 0
            for net in NETWORKS:
                exp_net = {k: tuple(_norm(x) for x in v) for k, v in
                           ref.network_values(tax, kpi, events, t, tax.project.k_anonymity, net).items()}
                got_net = read_network(conn, f"network_{kpi.name}", net)
                shown += len(exp_net)
                if got_net != exp_net:
                    diff = [(k, exp_net.get(k), got_net.get(k)) for k in set(exp_net) ^ set(got_net)
                            | {k for k in exp_net if k in got_net and exp_net[k] != got_net[k]}]
                    problems.append(f"network_{kpi.name} ({net}): expected {len(exp_net)} cells, "
                                    f"got {len(got_net)}; diff e.g. {diff[:3]}")
            # no network claim (or a network without events): nothing
            if read_network(conn, f"network_{kpi.name}", None) or \
                    read_network(conn, f"network_{kpi.name}", str(uuid.uuid4())):
                problems.append(f"network_{kpi.name}: rows for a caller without a (known) network")
            sizes[kpi.name] = (len(expected), shown)
    assert not problems, "\n".join(problems)
    return sizes


# --------------------------------------------------------------------------- #
# Tests
# --------------------------------------------------------------------------- #


def test_full_then_incremental_refresh_matches_reference(db, compiled):
    tax = compiled[0]
    gen = Generator(tax)
    events = gen.events(1500)
    # a dense cell so percentiles are more than one or two values
    dense = gen.events(301)
    for e in dense:
        payload = dict(gen.payload("system.api_request_completed"), endpoint="track_events")
        e.update(event_id="system.api_request_completed", site=SITES[0], payload=payload,
                 occurred_at=datetime.now(UTC) - timedelta(days=2))
    events += dense
    insert(db, events)
    refresh_all(db, tax)
    check_all(db, tax, events)
    for round_ in range(3):
        batch = gen.events(300)
        batch += [dict(e) for e in gen.rnd.sample(events, 40)]  # duplicates: ignored by the store
        # late arrivals: old timestamps arriving now
        late = gen.events(60, days_back=30)
        insert(db, batch + late)
        events += batch + late
        refresh_all(db, tax)
        refresh_all(db, tax)  # running twice changes nothing
        sizes = check_all(db, tax, events, network=(round_ == 2))
    # the data exercise every KPI, and the network views show some cells and hide others
    assert all(site for site, _ in sizes.values()), sizes
    assert any(net for _, net in sizes.values()), sizes
    assert any(net < len({k[1:] for k in ref.site_values(tax, tax.kpi(n), events, today(db))})
               for n, (_, net) in sizes.items()), sizes
    print(sizes)


def test_day_rollover_fills_the_windows_since_the_last_refresh(db, compiled):
    """A rolling window moves on with no new event: the first refresh of a new day stores the windows
    ending on the days since the previous refresh (here: as if it ran three days ago), then adds the
    new facts."""
    tax = compiled[0]
    gen = Generator(tax, seed=11)
    events = gen.events(600)
    insert(db, events)
    refresh_all(db, tax)
    since = today(db) - timedelta(days=3)
    rolling = [k for k in supported(tax) if k.type == "rolling"]
    assert rolling
    for kpi in rolling:
        for table in (short_name(f"kpi_{kpi.name}"), short_name(f"kpi_{kpi.name}_net")):
            db.execute(f"delete from analytics_private.{table} where period > %s", (since,))
        db.execute("update analytics_private.kpi_watermarks set refreshed_at = now() - interval '3 days'"
                   " where kpi = %s", (kpi.name,))
    batch = gen.events(200) + gen.events(40, days_back=10)
    insert(db, batch)
    events += batch
    refresh_all(db, tax)
    check_all(db, tax, events)


def _net_rows(conn, tax) -> dict[str, dict[tuple, tuple]]:
    """kpi -> {(xmin, ctid): (network_id, period)} for every row of its private network table."""
    out = {}
    for kpi in supported(tax):
        if kpi.type == "ratio":
            continue
        net = short_name(f"kpi_{kpi.name}_net")
        rows = conn.execute(f"select xmin::text, ctid::text, network_id::text, period"
                            f" from analytics_private.{net}").fetchall()
        out[kpi.name] = {(x, c): (n, p) for x, c, n, p in rows}
    return out


def _touched_periods(kpi, tax, day: date) -> set[date] | None:
    """The network periods one event on ``day`` may touch (None: any, e.g. funnels, retention)."""
    if kpi.type == "rolling":
        days = window_days(kpi.window)
        return {day + timedelta(days=i) for i in range(days)}
    if kpi.type in ("count", "distinct_actors", "percentile"):
        return {ref.period(datetime(day.year, day.month, day.day, 12, tzinfo=UTC), kpi.grain)}
    return None


def test_refresh_rewrites_only_the_network_cells_it_touched(db, compiled):
    """The network tables are kept cell by cell: a refresh rewrites (new xmin/ctid) only the
    rows of the (network, period, dimensions) cells its new events fall in, never the history."""
    tax = compiled[0]
    gen = Generator(tax, seed=23)
    events = gen.events(600)
    insert(db, events)
    refresh_all(db, tax)
    before = _net_rows(db, tax)
    assert sum(len(rows) for rows in before.values()) > 0
    # 1. a network never seen before, on one day, at new sites with new actors
    net_c = str(uuid.UUID(int=0x6000 + 99, version=4))
    day = (datetime.now(UTC) - timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    new_sites = {s: str(uuid.UUID(int=0x7000 + i, version=4)) for i, s in enumerate(SITES[:6])}
    fresh = []
    for e in gen.events(300):
        if e["site"] not in new_sites:
            continue
        fresh.append(dict(e, site=new_sites[e["site"]], network=net_c, actor="c-" + e["actor"],
                          occurred_at=day + timedelta(seconds=gen.rnd.randint(0, 3600))))
    assert fresh
    insert(db, fresh)
    events += fresh
    refresh_all(db, tax)
    refresh_all(db, tax)  # rolling windows read their base's rows once those have committed
    after = _net_rows(db, tax)
    rewritten = {n: [v for k, v in rows.items() if k not in after[n]] for n, rows in before.items()}
    assert {n: rows for n, rows in rewritten.items() if rows} == {}, "rows of untouched cells were rewritten"
    added = {n: {v for k, v in rows.items() if k not in before[n]} for n, rows in after.items()}
    assert {v[0] for rows in added.values() for v in rows} == {net_c}
    t = today(db)
    for kpi in supported(tax):
        expected = {k: tuple(_norm(x) for x in v) for k, v in
                    ref.network_values(tax, kpi, events, t, tax.project.k_anonymity, net_c).items()}
        assert read_network(db, f"network_{kpi.name}", net_c) == expected, kpi.name
    # 2. one more event in an existing cell of network A: only network A's rows of its periods change
    one = dict(events[0], site=SITES[0], network=NET_A, occurred_at=day, key=str(uuid.uuid4()))
    insert(db, [one])
    events.append(one)
    before = after
    refresh_all(db, tax)
    refresh_all(db, tax)
    after = _net_rows(db, tax)
    for kpi in supported(tax):
        if kpi.type == "ratio":
            continue
        changed = [v for k, v in before[kpi.name].items() if k not in after[kpi.name]]
        changed += [v for k, v in after[kpi.name].items() if k not in before[kpi.name]]
        assert {n for n, _ in changed} <= {NET_A}, kpi.name
        periods = _touched_periods(kpi, tax, day.date())
        if periods is not None:
            assert {p for _, p in changed} <= periods, kpi.name
    assert any(after[n] != before[n] for n in after)
    # and everything still matches the reference (check_all reads the sites of SITES only)
    check_all(db, tax, [e for e in events if e["network"] != net_c])


def test_out_of_order_commit_is_not_skipped(db, compiled, pg_cluster):
    tax = compiled[0]
    gen = Generator(tax, seed=11)
    first = gen.events(200)
    second = gen.events(200)
    with pg_cluster.connect(autocommit=False) as slow:
        insert(slow, first)  # older xid, still open
        insert(db, second)  # newer xid, commits first
        refresh_all(db, tax)
        slow.commit()
    refresh_all(db, tax)
    check_all(db, tax, first + second)


def test_concurrent_inserts_and_refreshes_lose_and_double_nothing(db, compiled, pg_cluster):
    tax = compiled[0]
    events: list[dict] = []
    lock = threading.Lock()
    errors: list[BaseException] = []
    stop = threading.Event()

    def writer(seed: int) -> None:
        gen = Generator(tax, seed=100 + seed)
        try:
            with pg_cluster.connect() as conn:
                for _ in range(8):
                    batch = gen.events(40)
                    insert(conn, batch)
                    with lock:
                        events.extend(batch)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    def refresher() -> None:
        try:
            with pg_cluster.connect() as conn:
                while not stop.is_set():
                    refresh_all(conn, tax)
        except BaseException as e:  # pragma: no cover
            errors.append(e)

    writers = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    refreshers = [threading.Thread(target=refresher) for _ in range(2)]
    for t in refreshers + writers:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    for t in refreshers:
        t.join()
    assert not errors, errors
    refresh_all(db, tax)
    check_all(db, tax, events)


def test_isolation_and_grants(db, compiled):
    tax = compiled[0]
    gen = Generator(tax, seed=3)
    insert(db, gen.events(400))
    refresh_all(db, tax)
    # a caller sees only its own site (read_site asserts it on every row) and something at all
    assert read_site(db, "kpi_daily_active_actors", SITES[0])
    # a caller without a site claim sees nothing
    with as_caller(db, "authenticated", {"sub": str(uuid.uuid4()), "role": "authenticated"}) as cur:
        cur.execute("select count(*) from analytics.kpi_daily_active_actors")
        assert cur.fetchone()[0] == 0
    for relation in ("analytics.kpi_daily_active_actors", "analytics.network_daily_active_actors",
                     "analytics_private.kpi_daily_active_actors", "analytics_private.kpi_daily_active_actors_net"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            with as_caller(db, "anon", None) as cur:
                cur.execute(f"select * from {relation}")
    for relation in ("analytics_private.kpi_daily_active_actors", "analytics_private.kpi_daily_active_actors_net",
                     "analytics_private.kpi_daily_active_actors_facts"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            with as_caller(db, "authenticated", claims(SITES[0], "clinic", uuid.uuid4())) as cur:
                cur.execute(f"select * from {relation}")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        with as_caller(db, "authenticated", claims(SITES[0], "clinic", uuid.uuid4())) as cur:
            cur.execute("select analytics_private.refresh_kpi_daily_active_actors()")


def test_network_views_suppress_small_cells(db, compiled):
    tax = compiled[0]
    k = tax.project.k_anonymity
    day = datetime.now(UTC) - timedelta(days=1)
    events = []

    def ev(site, actor, feature):
        return {"site": site, "network": network_of(site), "actor": actor, "tier": "consumer",
                "event_id": "consumer.feature_used", "occurred_at": day,
                "payload": {"feature": feature, "entry_point": "home_screen", "platform": "ios"},
                "key": str(uuid.uuid4())}

    a_sites, b_sites = SITES[:k], SITES[6:6 + k]
    assert {network_of(x) for x in a_sites} == {NET_A} and {network_of(x) for x in b_sites} == {NET_B}
    # network A, day D: goals (k sites, 2k actors) and reminders (k sites, k actors) would be shown on
    # their own, education_hub (2 sites) is hidden. Its hidden remainder needs k + 1 sites (a caller
    # knows its own site's share), which k sites cannot give: every feature is hidden, and so is the
    # day's total in consumer_feature_users (a marginal of the breakdown: same events, tiers, grain)
    for i, site in enumerate(a_sites):
        events.append(ev(site, f"a{i}", "goals"))
        events.append(ev(site, f"b{i}", "goals"))
        events.append(ev(site, f"c{i}", "reminders"))
    events.append(ev(a_sites[0], "x0", "education_hub"))
    events.append(ev(a_sites[1], "x1", "education_hub"))
    # network B, same day and features: every cell has k sites and k actors -> all shown. Counted across
    # both networks, A's education_hub cell would have k + 2 sites and be shown: suppression is per network
    for i, site in enumerate(b_sites):
        events.append(ev(site, f"ga{i}", "goals"))
        events.append(ev(site, f"ra{i}", "reminders"))
        events.append(ev(site, f"rb{i}", "reminders"))
        events.append(ev(site, f"ea{i}", "education_hub"))
    # no network: never counted anywhere
    events += [ev(SITES[12], f"n{i}", "education_hub") for i in range(k)]
    insert(db, events)
    refresh_all(db, tax)
    d = day.date()
    by_feature = "network_consumer_feature_users_by_feature"
    hidden = (None, True)
    # hidden cells are listed, with null values and suppressed = true
    assert read_network(db, by_feature, NET_A) == {(d, "goals"): hidden, (d, "reminders"): hidden,
                                                   (d, "education_hub"): hidden}
    assert read_network(db, by_feature, NET_B) == {(d, "goals"): (k, False), (d, "reminders"): (2 * k, False),
                                                   (d, "education_hub"): (k, False)}
    assert read_network(db, "network_consumer_feature_users", NET_A) == {(d,): hidden}
    assert read_network(db, "network_consumer_feature_users", NET_B) == {(d,): (4 * k, False)}
    # no network claim, a malformed one, another network: no rows
    assert read_network(db, by_feature, None) == {}
    assert read_network(db, by_feature, str(uuid.uuid4())) == {}
    bad = claims(SITES[0], "network", uuid.uuid4())
    bad["app_metadata"]["network_id"] = "not-a-uuid"
    assert read_network(db, by_feature, jwt=bad) == {}
    # service_role: only with a network claim, and then only that network
    assert read_network(db, by_feature, role="service_role", jwt={"role": "service_role"}) == {}
    assert read_network(db, by_feature, role="service_role",
                        jwt={"role": "service_role", "app_metadata": {"network_id": NET_B}}) == \
        read_network(db, by_feature, NET_B)
    # a non-reader tier with a network claim: nothing
    assert read_network(db, by_feature, jwt=claims(SITES[0], "clinic", uuid.uuid4(), NET_A)) == {}
    check_all(db, tax, events)


def test_cron_jobs_exist_and_run(db, compiled):
    tax, jobs, _ = compiled
    rows = db.execute("select jobname, schedule, command from cron.job where jobname like 'analytics_refresh_%' "
                      "order by jobname").fetchall()
    expected = sorted((j.name.strip("'"), j.schedule.strip("'"), j.command.strip("'")) for j in jobs)
    assert rows == expected
    names = {k.name for k in tax.kpis if k.type != "ratio"}
    assert {r[0] for r in rows} == {f"analytics_refresh_{n}" for n in names}
    insert(db, Generator(tax).events(100))
    for _name, _schedule, command in rows:
        db.execute(command)


def test_between_uses_the_site_period_index(db, compiled):
    tax = compiled[0]
    insert(db, Generator(tax).events(300))
    refresh_all(db, tax)
    notices: list[str] = []
    db.add_notice_handler(lambda d: notices.append(d.message_primary or ""))
    db.execute("load 'auto_explain'")
    db.execute("set auto_explain.log_min_duration = 0")
    db.execute("set auto_explain.log_nested_statements = on")
    db.execute("set client_min_messages = log")
    db.execute("set enable_seqscan = off")
    db.execute("select pg_catalog.set_config('request.jwt.claims', %s, false)",
               (__import__("json").dumps(claims(SITES[0], "clinic", uuid.uuid4())),))
    t = today(db)
    for kpi in supported(tax):
        if kpi.type == "ratio":
            continue
        notices.clear()
        db.execute(f"select * from analytics.kpi_{kpi.name}_between(%s, %s)", (t - timedelta(days=3), t))
        rollup = short_name(f"kpi_{kpi.name}")
        # the definer function's own statement, as auto_explain logs nested statements
        plans = [n for n in notices if f"from analytics_private.{rollup} as r" in n]
        assert plans, notices
        assert f"Index Scan using {rollup}_key on {rollup} r" in plans[0] or \
            f"Index Only Scan using {rollup}_key on {rollup} r" in plans[0] or \
            f"Bitmap Index Scan on {rollup}_key" in plans[0], plans[0]
    db.execute("reset all")


def test_network_cells_are_recomputed_through_network_period_indexes(db, compiled, pg_cluster):
    """The refresh reads the cells it recomputes through (network_id, period, ...) indexes and the
    cells it touched through the ingest_xid indexes: no statement of the network upkeep scans a table."""
    tax = compiled[0]
    gen = Generator(tax, seed=5)
    insert(db, gen.events(300))
    refresh_all(db, tax)
    insert(db, gen.events(100, days_back=3))
    kpis = {k.name: k for k in tax.kpis}
    source = {"count": ("rollup", "facts"), "distinct_actors": ("facts",), "percentile": ("values",),
              "funnel": ("actors",), "retention": ("cohorts",)}
    with pg_cluster.connect() as conn:  # a new session: no plan cached before the settings below
        notices: list[str] = []
        conn.add_notice_handler(lambda d: notices.append(d.message_primary or ""))
        conn.execute("load 'auto_explain'")
        conn.execute("set auto_explain.log_min_duration = 0")
        conn.execute("set auto_explain.log_nested_statements = on")
        conn.execute("set client_min_messages = log")
        # tiny test tables: make the planner show the plan it would pick for a large history, where a
        # handful of touched cells probe the big tables (nested loops over the cell index)
        for setting in ("enable_seqscan", "enable_hashjoin", "enable_mergejoin"):
            conn.execute(f"set {setting} = off")
        stored = [k for k in supported(tax) if k.type != "ratio"]
        for kpi in [k for k in stored if k.type != "rolling"] + [k for k in stored if k.type == "rolling"]:
            notices.clear()
            conn.execute(f"select analytics_private.{short_name(f'refresh_kpi_{kpi.name}')}()")
            net = short_name(f"kpi_{kpi.name}_net")
            upkeep = [n for n in notices if f"delete from analytics_private.{net} " in n
                      or f"insert into analytics_private.{net} " in n]
            exact = (kpi.type == "rolling" and kpis[kpi.base].type == "distinct_actors") or kpi.type == "funnel"
            if exact:  # one statement merges the new days into the runs (the actors' depths) and adds the difference
                assert len(upkeep) == 1, (kpi.name, notices)
            else:
                assert len(upkeep) == 2, (kpi.name, notices)  # the delete and the insert of the touched cells
            plans = upkeep
            # and every statement that reads or writes network cells, the suppression's included
            touching = [n for n in notices if "_net " in n and "Query Text: select analytics_private." not in n]
            assert len(touching) > 2, kpi.name
            for plan in touching:
                assert "Seq Scan" not in plan, plan
            if exact and kpi.type == "funnel":  # the new steps through their ingest_xid index; a touched
                # actor's rows of its site cell through the key, of its network cell through (network_id, ...)
                for index in (f"kpi_{kpi.name}_steps_xid_idx", f"kpi_{kpi.name}_actors_key",
                              f"kpi_{kpi.name}_actors_net_idx"):
                    assert short_name(index) in plans[0], (index, plans[0])
                continue
            if exact:  # the new facts through their ingest_xid index, the runs they reach through their key
                base = kpis[kpi.base]
                for index in (f"kpi_{base.name}_facts_xid_idx", f"kpi_{kpi.name}_runs_key"):
                    assert short_name(index) in plans[0], (index, plans[0])
                continue
            if kpi.type == "rolling":
                base = kpis[kpi.base]
                indexes = [f"kpi_{base.name}_facts_net_idx"] + ([f"kpi_{base.name}_rollup_net_idx"]
                                                                  if base.type == "count" else [])
            elif kpi.type == "retention":  # the difference of each touched actor, from its sites' cohorts
                indexes = [f"kpi_{kpi.name}_cohorts_actor_idx"]
                plans = plans if "Query Text: with p as" in plans[1] else plans[::-1]
            else:
                indexes = [f"kpi_{kpi.name}_{suffix}_net_idx" for suffix in source[kpi.type]]
            for index in indexes:
                assert short_name(index) in plans[1], (index, plans[1])

def test_splinter_is_silent(db):
    assert splinter_lint(db, ["analytics", "analytics_private"]) == []


def test_funnel_steps_in_order_within_window(db, compiled):
    tax = compiled[0]
    gen = Generator(tax, seed=5)
    kpi = tax.kpi("trial_activation_to_conversion")
    ids = [s.selection.events[0] for s in kpi.steps]
    base = datetime.now(UTC) - timedelta(days=6)
    events = []

    def ev(site, actor, event_id, at):
        return {"site": site, "network": network_of(site), "actor": actor, "tier": "practitioner",
                "event_id": event_id, "occurred_at": at,
                "payload": gen.payload(event_id), "key": str(uuid.uuid4())}

    for s, site in enumerate(SITES[:6]):  # network A
        for a in range(6):
            actor = f"f{s}-{a}"
            depth = 1 + (a % 4)  # how far this actor goes, in order
            for i in range(depth):
                events.append(ev(site, actor, ids[i], base + timedelta(hours=3 * i + a)))
        # out of order: logged before creating a protocol -> depth 2 when ordered (3 in any order)
        events.append(ev(site, f"o{s}", ids[0], base))
        events.append(ev(site, f"o{s}", ids[2], base + timedelta(hours=1)))
        events.append(ev(site, f"o{s}", ids[1], base + timedelta(hours=2)))
        # too slow: second step after the 30-day window
        events.append(ev(site, f"s{s}", ids[0], base - timedelta(days=40)))
        events.append(ev(site, f"s{s}", ids[1], base - timedelta(days=5)))
    first, late = events[: len(events) // 2], events[len(events) // 2:]
    insert(db, first)
    refresh_all(db, tax)
    check_all(db, tax, first)
    insert(db, late)  # later steps arrive after the first refresh
    refresh_all(db, tax)
    check_all(db, tax, events)
    depths = ref.funnel_entries(tax, kpi, events)
    assert {1, 2, 3, 4} <= set(depths.values())
    net = read_network(db, "network_trial_activation_to_conversion", NET_A)
    assert net and any(key[-1] == 4 for key in net), net
    assert read_network(db, "network_trial_activation_to_conversion", NET_B) == {}  # its sites: too few


def test_events_sent_through_track_events_reach_the_views(db, compiled):
    import json

    tax = compiled[0]
    site, sub = SITES[3], uuid.uuid4()
    example = dict(tax.event("consumer.feature_used").examples[0])
    now = datetime.now(UTC).isoformat()
    batch = [{"event_id": "consumer.feature_used", "occurred_at": now, "idempotency_key": str(uuid.uuid4()),
              "payload": example} for _ in range(2)]
    batch.append(dict(batch[0]))  # a retry of the first: a duplicate
    with as_caller(db, "authenticated", claims(site, "consumer", sub), commit=True) as cur:
        cur.execute("select analytics.track_events(%s::jsonb)", (json.dumps(batch),))
        statuses = [r["status"] for r in cur.fetchone()[0]]
    assert statuses == ["accepted", "accepted", "duplicate"]
    refresh_all(db, tax)
    t = today(db)
    assert read_site(db, "kpi_daily_active_actors", site) == {(site, t, "consumer"): (1,)}
    by_feature = read_site(db, "kpi_consumer_feature_users_by_feature", site)
    assert by_feature == {(site, t, example["feature"]): (1,)}
    assert read_site(db, "kpi_daily_active_actors", SITES[4]) == {}


def test_splinter_is_silent_even_with_supabase_default_privileges(cron_db, compiled, tmp_path):
    """Supabase's "custom schema" guide grants everything new to the API roles by default;
    every object of the KPI layer revokes explicitly, so nothing leaks."""
    _tax, _jobs, schema = compiled
    cron_db.execute(SUPABASE_DEFAULTS)
    paths = []
    for name in sorted(schema):
        path = tmp_path / name
        path.write_text(schema[name], encoding="utf-8")
        paths.append(path)
    apply_sql_files(cron_db, paths)
    assert splinter_lint(cron_db, ["analytics", "analytics_private"]) == []
    leaks = cron_db.execute("""
        select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'analytics_private' and c.relkind in ('r', 'p', 'v', 'm')
          and (has_table_privilege('anon', c.oid, 'select') or has_table_privilege('authenticated', c.oid, 'select'))
    """).fetchall()
    assert leaks == []
    anon_fns = cron_db.execute("""
        select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname in ('analytics', 'analytics_private') and p.proname like any (array['%kpi%', '%network%'])
          and has_function_privilege('anon', p.oid, 'execute')
    """).fetchall()
    assert anon_fns == []


@pytest.mark.slow
def test_pg_cron_itself_runs_a_kpi_refresh_job(db, compiled):
    """The scheduler, not the test, runs one KPI job: its run is recorded and the rollup advances."""
    tax, jobs, _schema = compiled
    kpi = tax.kpi("daily_active_actors")
    job_name = f"analytics_refresh_{kpi.name}"
    gen = Generator(tax)
    events = gen.events(40)
    insert(db, events)
    before = db.execute("select count(*) from analytics_private.kpi_daily_active_actors").fetchone()[0]
    assert before == 0
    db.execute("update cron.job set schedule = '* * * * *' where jobname = %s", (job_name,))
    jobid = db.execute("select jobid from cron.job where jobname = %s", (job_name,)).fetchone()[0]
    deadline = time.monotonic() + 75
    status = None
    while time.monotonic() < deadline:
        row = db.execute("select status, return_message from cron.job_run_details where jobid = %s "
                         "order by runid desc limit 1", (jobid,)).fetchone()
        if row and row[0] in ("succeeded", "failed"):
            status = row
            break
        time.sleep(1)
    assert status is not None, "pg_cron did not run the job within 75 s"
    assert status[0] == "succeeded", status
    after = db.execute("select count(*) from analytics_private.kpi_daily_active_actors").fetchone()[0]
    assert after > 0


# --------------------------------------------------------------------------- #
# A taxonomy of the real events with KPIs of a test's own (compiled once per module)
# --------------------------------------------------------------------------- #


def compile_with_kpis(tmp_path_factory, name: str, kpis_yaml: str):
    """The real project, tiers and events with ``kpis_yaml`` as the only KPI file: (taxonomy, schema files)."""
    import shutil

    root = tmp_path_factory.mktemp(name) / "taxonomy"
    root.mkdir()
    for item in ("project.yaml", "tiers.yaml"):
        shutil.copy(TAXONOMY / item, root / item)
    shutil.copytree(TAXONOMY / "events", root / "events")
    (root / "kpis").mkdir()
    (root / "kpis" / f"{name}.yaml").write_text(kpis_yaml, encoding="utf-8")
    comp = compile_taxonomy(root)
    assert comp.ok, [str(d) for d in comp.errors]
    schema = {p.rsplit("/", 1)[1]: text for p, text in comp.files.items() if p.startswith("supabase/schemas/")}
    return comp.taxonomy, schema


def apply_schema(conn, schema: dict[str, str], tmp_path) -> None:
    paths = []
    for name in sorted(schema):
        path = tmp_path / name
        path.write_text(schema[name], encoding="utf-8")
        paths.append(path)
    apply_sql_files(conn, paths)


SAME_EVENT_FUNNELS = """
kpis:
""" + "".join(f"""
  - name: repeat_logging_{order}
    description: Actors who log a protocol session and then log another one within 7 days ({order}).
    type: funnel
    owner: qa
    order: {order}
    window: 7 days
    steps:
      - {{name: logged, events: [practitioner.protocol_logged]}}
      - {{name: logged_again, events: [practitioner.protocol_logged]}}
    refresh: "0 * * * *"

  - name: third_logging_{order}
    description: Actors who log three protocol sessions within 7 days ({order}).
    type: funnel
    owner: qa
    order: {order}
    window: 7 days
    steps:
      - {{name: logged, events: [practitioner.protocol_logged]}}
      - {{name: logged_again, events: [practitioner.protocol_logged]}}
      - {{name: logged_third, events: [practitioner.protocol_logged, practitioner.protocol_created]}}
    refresh: "0 * * * *"
""" for order in ("ordered", "strict", "any"))


@pytest.fixture(scope="module")
def same_event_funnels(tmp_path_factory):
    return compile_with_kpis(tmp_path_factory, "same_event_funnels", SAME_EVENT_FUNNELS)


def test_funnel_step_is_met_by_a_different_event(cron_db, same_event_funnels, tmp_path):
    """Issue 9, finding 1: steps logged -> logged. Actor A logs once, actor B twice: step 2 has one
    actor (B) and conversion 0.5, whatever the order mode; one event never meets two steps."""
    tax, schema = same_event_funnels
    apply_schema(cron_db, schema, tmp_path)
    gen = Generator(tax, seed=9)
    site = SITES[0]
    day = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(days=3)

    def ev(actor, event_id, at):
        return {"site": site, "network": network_of(site), "actor": actor, "tier": "practitioner",
                "event_id": event_id, "occurred_at": at, "payload": gen.payload(event_id), "key": str(uuid.uuid4())}

    logged, created = "practitioner.protocol_logged", "practitioner.protocol_created"
    events = [ev("a", logged, day),
              ev("b", logged, day), ev("b", logged, day + timedelta(hours=2)),
              # C: two sessions, then a protocol created: the third step (logged or created) by a third event
              ev("c", logged, day), ev("c", logged, day + timedelta(hours=1)),
              ev("c", created, day + timedelta(hours=2)),
              # D: two events at the same instant are not one after the other (ordered, strict)
              ev("d", logged, day), ev("d", logged, day)]
    insert(cron_db, events)
    refresh_all(cron_db, tax)
    d = day.date()
    for order in ("ordered", "strict", "any"):
        got = read_site(cron_db, f"kpi_repeat_logging_{order}", site)
        second = 3 if order == "any" else 2  # any: D's two simultaneous events are two events
        assert got[(site, d, 1)][:2] == ("logged", 4), (order, got)
        assert got[(site, d, 2)][:3] == ("logged_again", second, second / 4), (order, got)
        third = read_site(cron_db, f"kpi_third_logging_{order}", site)
        assert third[(site, d, 3)][1] == 1, (order, third)  # only C: A, B and D have too few events
    check_all(cron_db, tax, events, network=False)


SHORT_WINDOW_FUNNELS = """
kpis:
""" + "".join(f"""
  - name: quick_relog_{order}
    description: Practitioners who create a protocol, then log sessions twice within 2 days ({order}).
    type: funnel
    owner: qa
    order: {order}
    window: 2 days
    steps:
      - {{name: created, events: [practitioner.protocol_created]}}
      - {{name: logged, events: [practitioner.protocol_logged]}}
      - {{name: logged_again, events: [practitioner.protocol_logged]}}
    refresh: "0 * * * *"
""" for order in ("ordered", "strict", "any"))


@pytest.fixture(scope="module")
def short_window_funnels(tmp_path_factory):
    return compile_with_kpis(tmp_path_factory, "short_window_funnels", SHORT_WINDOW_FUNNELS)


def test_funnel_refresh_rereads_one_window_and_stays_exact(cron_db, short_window_funnels, tmp_path):
    """A refresh re-evaluates an actor's attempts only from the period one window before its earliest
    new step event. Three actors with 30 days of history (a 2-day window), refreshed, then new events:
    recent ones, a late one 20 days back, and one that falls between two steps of a strict attempt
    (which ends it: a depth that goes down). After each refresh every cell equals the reference."""
    tax, schema = short_window_funnels
    apply_schema(cron_db, schema, tmp_path)
    gen = Generator(tax, seed=12)
    site = SITES[1]
    start = datetime.now(UTC).replace(hour=8, minute=0, second=0, microsecond=0) - timedelta(days=30)
    created, logged = "practitioner.protocol_created", "practitioner.protocol_logged"

    def ev(actor, event_id, at):
        return {"site": site, "network": network_of(site), "actor": actor, "tier": "practitioner",
                "event_id": event_id, "occurred_at": at, "payload": gen.payload(event_id), "key": str(uuid.uuid4())}

    rnd = random.Random(5)
    events = [ev(a, rnd.choice((created, logged, logged)), start + timedelta(hours=rnd.randrange(30 * 24)))
              for a in ("a", "b", "c") for _ in range(40)]
    insert(cron_db, events)
    refresh_all(cron_db, tax)
    check_all(cron_db, tax, events, network=False)
    # strict attempt of d: created, logged, logged one hour apart, 10 days ago
    d0 = start + timedelta(days=20)
    strict = [ev("d", created, d0), ev("d", logged, d0 + timedelta(hours=1)), ev("d", logged, d0 + timedelta(hours=2))]
    # e: created late on day x, logged early on day x + 1; its second log comes in the next batch,
    # so the attempt of day x gains a step from an event of day x + 1
    x = (start + timedelta(days=25)).replace(hour=22)
    strict += [ev("e", created, x), ev("e", logged, x + timedelta(hours=3))]
    insert(cron_db, strict)
    events += strict
    refresh_all(cron_db, tax)
    before = read_site(cron_db, "kpi_quick_relog_strict", site)
    assert before[(site, d0.date(), 3)][1] >= 1
    new = [ev("a", logged, datetime.now(UTC) - timedelta(hours=1)),
           ev("b", created, start + timedelta(days=10, minutes=7)),  # late: 20 days back
           ev("d", created, d0 + timedelta(minutes=90)),  # between d's two logs: ends the strict attempt
           ev("e", logged, x + timedelta(hours=5))]
    new += [ev(rnd.choice("abc"), rnd.choice((created, logged)), datetime.now(UTC) - timedelta(hours=rnd.randrange(48)))
            for _ in range(20)]
    insert(cron_db, new)
    events += new
    refresh_all(cron_db, tax)
    check_all(cron_db, tax, events, network=False)
    after = read_site(cron_db, "kpi_quick_relog_strict", site)
    assert after[(site, d0.date(), 3)][1] == before[(site, d0.date(), 3)][1] - 1
    for order in ("ordered", "strict", "any"):
        cells = read_site(cron_db, f"kpi_quick_relog_{order}", site)
        assert cells[(site, x.date(), 3)][1] >= 1, (order, cells.get((site, x.date(), 3)))


def _funnel_recount_differences(conn, kpi: str, steps: int) -> list[str]:
    """The cells an incremental refresh keeps by differences against a recount of the actors' rows:
    a site cell counts distinct actors reaching the step (over the actor's rows of every network), a
    network cell distinct actors and distinct sites (over the network's sites)."""
    priv = "analytics_private"
    actors, rollup, net = (short_name(f"kpi_{kpi}{s}") for s in ("_actors", "", "_net"))
    site_kept = set(conn.execute(f"select site_id, period, step, value from {priv}.{rollup}").fetchall())
    site_counted = set(conn.execute(
        f"select a.site_id, a.period, g.step::smallint, count(distinct a.actor_hash) filter (where a.depth >= g.step)"
        f" from {priv}.{actors} as a cross join generate_series(1, {steps}) as g (step) group by 1, 2, 3").fetchall())
    net_kept = set(conn.execute(f"select network_id, period, step, value, sites, actors from {priv}.{net}").fetchall())
    net_counted = set(conn.execute(
        f"select a.network_id, a.period, g.step::smallint,"
        f" count(distinct a.actor_hash) filter (where a.depth >= g.step),"
        f" count(distinct a.site_id) filter (where a.depth >= g.step),"
        f" count(distinct a.actor_hash) filter (where a.depth >= g.step)"
        f" from {priv}.{actors} as a cross join generate_series(1, {steps}) as g (step)"
        f" where a.network_id is not null group by 1, 2, 3").fetchall())
    return ([f"site {r}" for r in site_kept ^ site_counted] + [f"network {r}" for r in net_kept ^ net_counted])


def test_funnel_cells_kept_by_differences_equal_a_recount(cron_db, short_window_funnels, tmp_path):
    """The funnel refresh adds each touched actor's difference to its site and network cells instead of
    recounting them. After every refresh, over batches with late events, duplicates, strict attempts
    that lose a step, and a site whose events move to another network (so an actor has two rows in one
    site cell, and a network cell gains and loses sites), every site and network cell equals a recount
    of the actors' rows, and the site views equal the reference."""
    tax, schema = short_window_funnels
    apply_schema(cron_db, schema, tmp_path)
    gen = Generator(tax, seed=31)
    created, logged = "practitioner.protocol_created", "practitioner.protocol_logged"
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    rnd = random.Random(31)
    sites = SITES[:4] + SITES[6:8]
    moved = SITES[2]  # its events carry network B from the third batch on

    def ev(site, actor, at, network=None):
        return {"site": site, "network": network or network_of(site), "actor": actor, "tier": "practitioner",
                "event_id": rnd.choice((created, logged, logged)), "occurred_at": at,
                "payload": gen.payload(logged), "key": str(uuid.uuid4())}

    def batch(n, days, network_for_moved=None):
        out = []
        for _ in range(n):
            site = rnd.choice(sites)
            out.append(ev(site, f"actor{rnd.randrange(12)}", now - timedelta(hours=rnd.randrange(days * 24)),
                          network_for_moved if site == moved else None))
        return out

    events = batch(300, 20)
    insert(cron_db, events)
    refresh_all(cron_db, tax)
    names = [f"quick_relog_{order}" for order in ("ordered", "strict", "any")]
    for round_ in range(5):
        new = batch(60, 3, NET_B if round_ >= 2 else None) + batch(20, 15, NET_B if round_ >= 2 else None)
        new += [dict(e) for e in rnd.sample(events, 10)]  # duplicates: ignored by the store
        insert(cron_db, new)
        events += new
        refresh_all(cron_db, tax)
        for name in names:
            assert _funnel_recount_differences(cron_db, name, 3) == [], (round_, name)
    for name in names:  # the data reach what the differences must handle
        actors = short_name(f"kpi_{name}_actors")
        two = cron_db.execute(f"select count(*) from (select 1 from analytics_private.{actors}"
                              " group by site_id, period, actor_hash having count(*) > 1) as x").fetchone()[0]
        assert two > 0, name
        deep = cron_db.execute(f"select count(*) from analytics_private.{actors} where depth = 3").fetchone()[0]
        assert deep > 0, name
    check_all(cron_db, tax, events, network=False)


def test_funnel_suppression_follows_a_hidden_tail_down(cron_db, compiled, tmp_path):
    """The funnel's suppression runs in passes; a pass after the first re-reads only the cells the
    previous pass changed. Network A, one day: step 4 reached by one actor (hidden), steps 2 and 3
    by 10 actors at 5 of the network's 6 sites, step 1 by 12 more at all 6. The tail rule hides step 3
    (the actors who reached the last shown step: 5 sites), which makes step 2 the last shown step,
    whose tail (the same 5 sites) a second pass hides; step 1 stays shown."""
    tax, _, schema = compiled
    apply_schema(cron_db, schema, tmp_path)
    gen = Generator(tax, seed=41)
    kpi = "upgrade_funnel_consumer_to_clinic"
    steps = [s.selection.events[0] for s in tax.kpi(kpi).steps]
    day = (datetime.now(UTC) - timedelta(days=3)).replace(hour=6, minute=0, second=0, microsecond=0)

    def ev(site, actor, step, hours):
        return {"site": site, "network": network_of(site), "actor": actor, "tier": "consumer",
                "event_id": steps[step - 1], "occurred_at": day + timedelta(hours=hours),
                "payload": gen.payload(steps[step - 1]), "key": str(uuid.uuid4())}

    insert(cron_db, [ev(SITES[0], "early", 1, -240)])
    refresh_all(cron_db, tax)
    events = []
    for i, site in enumerate(SITES[:6]):
        for j in range(2):
            events.append(ev(site, f"one{i}{j}", 1, j))  # depth 1 at all 6 sites
            if i < 5:  # depth 3 at 5 sites
                events += [ev(site, f"three{i}{j}", n, n + j) for n in (1, 2, 3)]
    events.append(ev(SITES[0], "three00", 4, 10))  # one actor reaches step 4
    insert(cron_db, events)
    refresh_all(cron_db, tax)
    rows = cron_db.execute(f"select step, value, sites, actors, hidden from analytics_private.{short_name(f'kpi_{kpi}_net')}"
                           " where network_id = %s and period = %s order by step", (NET_A, day.date())).fetchall()
    assert [r[:4] for r in rows] == [(1, 22, 6, 22), (2, 10, 5, 10), (3, 10, 5, 10), (4, 1, 1, 1)], rows
    assert [r[4] for r in rows] == [False, True, True, True], rows


def test_one_pass_of_the_cron_jobs_in_any_order_gives_current_values(db, compiled):
    """Issue 9, finding 2: pg_cron runs jobs in no particular order. Whatever the order (rolling windows
    before their base, after it, shuffled), one pass of every refresh job's own command gives the
    reference values: a KPI that reads another never lags it."""
    tax = compiled[0]
    jobs = db.execute("select jobname, command from cron.job where jobname like 'analytics_refresh_%' "
                      "order by jobname").fetchall()
    kpis = {k.name: k for k in tax.kpis}
    rolling = {f"analytics_refresh_{k.name}" for k in kpis.values() if k.type == "rolling"}
    assert rolling and len(jobs) > len(rolling)
    rolling_first = sorted(jobs, key=lambda j: (j[0] not in rolling, j[0]))
    base_first = sorted(jobs, key=lambda j: (j[0] in rolling, j[0]))
    shuffled = list(jobs)
    random.Random(4).shuffle(shuffled)
    gen = Generator(tax, seed=31)
    events: list[dict] = []
    for order in (rolling_first, base_first, shuffled):
        batch = gen.events(250, days_back=10)
        insert(db, batch)
        events += batch
        for _name, command in order:
            db.execute(command)
        check_all(db, tax, events)


# --------------------------------------------------------------------------- #
# Disclosure control on network views (issue 9, findings 4-6): a caller who differences what it
# reads, and subtracts what it sent itself, pins no hidden cell to fewer than k values
# --------------------------------------------------------------------------- #


def _marginal_narrow(conn, net, k: int, total: str, breakdown: str, column: str) -> tuple[list, list]:
    """(hidden cells, those the caller pins to fewer than k values): total = sum of the breakdown."""
    from adversary import Bounds, marginal

    b = Bounds()
    tv, th = net.cells(conn, b, total, "value")
    bv, bh = net.cells(conn, b, breakdown, column)
    marginal(b, tv, bv, lambda key: key[:1])
    return th + bh, b.narrow(th + bh, k)


def test_suppression_is_coordinated_across_kpis_that_are_marginals(db, compiled):
    """Finding 4: error_count is errors_by_code summed over codes (same events, filters, tiers and
    grain). Two codes of one actor each are hidden; subtracting the shown codes from the total used
    to give their combined value exactly. Now their hidden remainder is widened, and where it cannot
    be, the total is hidden too; the same for api_request_count and api_latency_ms.n."""
    from adversary import Network

    tax = compiled[0]
    k = tax.project.k_anonymity
    net = Network(Generator(tax, seed=41), 8)
    day = datetime.now(UTC) - timedelta(days=1)
    err, api = "system.error_occurred", "system.api_request_completed"
    for site in range(8):
        net.event(site, f"t{site}", err, day, error_code="network_timeout")
        net.event(site, f"e{site}", api, day, endpoint="checkins")
        if site < 7:
            net.event(site, f"s{site}", err, day, error_code="server_error")
        if site < 6:
            net.event(site, f"v{site}", err, day, error_code="validation_failed")
    net.event(0, "victim-a", err, day, error_code="offline")
    net.event(1, "victim-b", err, day, error_code="rate_limited")
    net.event(2, "victim-c", api, day, endpoint="appointments")
    net.store(db)
    refresh_all(db, tax)
    for total, breakdown, column in (("error_count", "errors_by_code", "value"),
                                     ("api_request_count", "api_latency_ms", "n")):
        hidden, narrow = _marginal_narrow(db, net, k, total, breakdown, column)
        assert hidden, total  # the small cells are hidden ...
        assert narrow == [], total  # ... and not one can be pinned down
    d = day.date()
    assert net.view(db, "errors_by_code")[(d, "offline")]["suppressed"] is True
    assert net.view(db, "api_latency_ms")[(d, "appointments")]["suppressed"] is True


def test_injected_events_do_not_switch_complementary_suppression_off(db, compiled):
    """Finding 5: one victim (1 actor, 1 site) among large codes. The caller sends one back-dated event
    of its own with another code: under the old rule the day then hid two cells, no sibling was
    hidden, and total - shown - own = the victim's value. The hidden remainder now counts the other
    sites' actors only, so the caller's own event protects nothing."""
    from adversary import Network

    tax = compiled[0]
    k = tax.project.k_anonymity
    net = Network(Generator(tax, seed=43), 8)
    day = datetime.now(UTC) - timedelta(days=2)
    err = "system.error_occurred"
    for site in range(8):
        net.event(site, f"t{site}", err, day, error_code="network_timeout")
        net.event(site, f"s{site}", err, day, error_code="server_error")
    net.event(0, "victim", err, day, error_code="offline")
    net.store(db)
    refresh_all(db, tax)
    d = day.date()
    assert net.view(db, "errors_by_code")[(d, "offline")]["suppressed"] is True
    assert _marginal_narrow(db, net, k, "error_count", "errors_by_code", "value")[1] == []
    net.inject(db, err, day, error_code="rate_limited")  # a code nobody else used, on the victim's day
    refresh_all(db, tax)
    assert net.own(db, "errors_by_code", "value")[(d, "rate_limited")] == 1
    assert net.view(db, "errors_by_code")[(d, "rate_limited")]["suppressed"] is True
    hidden, narrow = _marginal_narrow(db, net, k, "error_count", "errors_by_code", "value")
    assert len(hidden) >= 2 and narrow == []


def test_a_percentile_is_shown_only_with_k_actors_on_either_side(db, compiled):
    """Finding 6: a cell of 12 actors at 12 sites. Its p99 (and p95) is the largest value, one actor's
    101 ms: hidden (null; the row and n stay). Its median has more than k actors on either side
    after removing any one site: shown."""
    from adversary import Network

    tax = compiled[0]
    net = Network(Generator(tax, seed=47), 12)
    day = datetime.now(UTC) - timedelta(days=1)
    api = "system.api_request_completed"
    for site in range(11):
        net.event(site, f"a{site}", api, day, endpoint="checkins", duration_ms=10 + site)
    net.event(11, "slow", api, day, endpoint="checkins", duration_ms=101)
    net.store(db)
    refresh_all(db, tax)
    row = net.view(db, "api_latency_ms")[(day.date(), "checkins")]
    assert (row["n"], row["suppressed"]) == (12, False)
    assert row["p50"] == 15.0  # the 6th of 12 values: 6 actors at or below, 7 at or above
    assert (row["p95"], row["p99"]) == (None, None), row


CROSSED_BREAKDOWNS = """
kpis:
  - name: errors_all
    description: Errors shown to callers per day.
    type: count
    owner: qa
    events: [system.error_occurred]
    grain: day
  - name: errors_all_again
    description: The same count under another name (a twin of errors_all).
    type: count
    owner: qa
    events: [system.error_occurred]
    grain: day
  - name: errors_by_code_surface
    description: Errors per day by code and surface.
    type: count
    owner: qa
    events: [system.error_occurred]
    by: [error_code, surface]
    grain: day
  - name: errors_by_code_severity
    description: Errors per day by code and severity.
    type: count
    owner: qa
    events: [system.error_occurred]
    by: [error_code, severity]
    grain: day
"""


@pytest.fixture(scope="module")
def crossed_breakdowns(tmp_path_factory):
    return compile_with_kpis(tmp_path_factory, "crossed_breakdowns", CROSSED_BREAKDOWNS)


def test_twins_and_crossed_breakdowns_are_suppressed_together(cron_db, crossed_breakdowns, tmp_path):
    """A family beyond the real taxonomy's: two KPIs publishing one total under two names, and two
    breakdowns (code x surface, code x severity) whose per-code totals nobody publishes but either
    gives away. The views equal the reference, and a reader of network A pins no hidden cell."""
    from adversary import Bounds, Network, marginal

    tax, schema = crossed_breakdowns
    apply_schema(cron_db, schema, tmp_path)
    gen = Generator(tax, seed=53)
    events = gen.events(900, days_back=3)
    # and a network where one code's surfaces are all small but its severity is one large cell: the
    # per-code total, published by neither breakdown, would follow from the severity cell
    crafted = Network(gen, 7)
    day = datetime.now(UTC) - timedelta(days=1)
    surfaces = ["web", "ios", "android", "api"]
    for site in range(7):
        crafted.event(site, f"x{site}", "system.error_occurred", day, error_code="offline",
                      surface=surfaces[site % 4], severity="error")
        for code in ("network_timeout", "server_error"):
            crafted.event(site, f"{code}{site}", "system.error_occurred", day, error_code=code, surface="web",
                          severity="warning")
    events += crafted.events
    crafted.store(cron_db)
    insert(cron_db, events[:900])
    refresh_all(cron_db, tax)
    check_all(cron_db, tax, events[:900])
    t = today(cron_db)
    for kpi in tax.kpis:
        expected = {key: tuple(_norm(x) for x in v) for key, v in
                    ref.network_values(tax, kpi, events, t, tax.project.k_anonymity, crafted.network).items()}
        assert read_network(cron_db, f"network_{kpi.name}", crafted.network) == expected, kpi.name
    severity = read_network(cron_db, "network_errors_by_code_severity", crafted.network)
    assert severity[(day.date(), "offline", "error")] == (None, True)  # hidden for the other breakdown
    k = tax.project.k_anonymity
    for network, site in ((NET_A, SITES[0]), (NET_B, SITES[8]), (crafted.network, crafted.sites[0])):
        reader = Network(gen, 1, network=network, sites=[site])
        b = Bounds()
        hidden: list = []
        views = {}
        for kpi in ("errors_all", "errors_all_again", "errors_by_code_surface", "errors_by_code_severity"):
            views[kpi], hid = reader.cells(cron_db, b, kpi, "value")
            hidden += hid
        marginal(b, views["errors_all"], views["errors_all_again"], lambda key: key)
        for part in ("errors_by_code_surface", "errors_by_code_severity"):
            marginal(b, views["errors_all"], views[part], lambda key: key[:1])
        # per code, the two breakdowns have one total: surface cells minus severity cells is zero
        per_code = {key[:2] for view in (views["errors_by_code_surface"], views["errors_by_code_severity"])
                    for key in view}
        for code in per_code:
            b.equal({**{v: 1 for key, v in views["errors_by_code_surface"].items() if key[:2] == code},
                     **{v: -1 for key, v in views["errors_by_code_severity"].items() if key[:2] == code}})
        assert hidden, network
        assert b.narrow(hidden, k) == [], network
