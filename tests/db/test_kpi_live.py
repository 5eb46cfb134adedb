"""The real-time site reads (``analytics.kpi_<name>_live(from, to)``): the rollup plus the tail of
events its refresh has not folded in yet.

Compared with the plain-Python reference (tests/db/kpi_reference.py) over every event, with events
not yet refreshed (before any refresh, after one, with late events, duplicates and a transaction
that commits out of order), for the KPI types the live path is exact for (count, distinct_actors,
percentile and ratios of them). Rolling windows, funnels and retention return their refreshed
cells with the time of that refresh. Site isolation and the readers' tiers hold as on the other
reads; no test here measures time.
"""

from __future__ import annotations

import json
import re
import sys
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from dbutil import apply_sql_files, as_caller, claims

sys.path.insert(0, str(Path(__file__).resolve().parent))
import kpi_reference as ref  # noqa: E402
from test_kpis import SITES, TAXONOMY, Generator, insert, network_of, refresh_all, today  # noqa: E402

from generator.compiler import compile_taxonomy  # noqa: E402
from generator.sqlquote import short_name  # noqa: E402

pytestmark = pytest.mark.db

EXACT = ("count", "distinct_actors", "percentile")
#: the requested periods leave some stored and some tail cells outside (events go 35 days back)
DAYS = 20


@pytest.fixture(scope="module")
def compiled():
    comp = compile_taxonomy(TAXONOMY)
    assert comp.ok, [str(d) for d in comp.errors]
    schema = {p.rsplit("/", 1)[1]: text for p, text in comp.files.items() if p.startswith("supabase/schemas/")}
    return comp.taxonomy, schema


@pytest.fixture
def db(cron_db, compiled, tmp_path):
    paths = []
    for name, text in sorted(compiled[1].items()):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    apply_sql_files(cron_db, paths)
    return cron_db


def is_exact(tax, kpi) -> bool:
    if kpi.type == "ratio":
        return all(is_exact(tax, tax.kpi(k)) for k in (kpi.numerator, kpi.denominator))
    return kpi.type in EXACT


def _norm(v):
    if isinstance(v, Decimal | float):
        return round(float(v), 9)
    return v


def read_live(conn, fn: str, site: str, lo: date, hi: date, tier: str = "clinic") -> tuple[dict, set]:
    """{(site, period, *dims): values} and the set of as_of values of one live read as ``tier`` at ``site``."""
    with as_caller(conn, "authenticated", claims(site, tier, uuid.uuid4(), network_of(site))) as cur:
        cur.execute(f"select * from analytics.{fn}(%s, %s)", (lo, hi))
        names = [d.name for d in cur.description]
        rows = cur.fetchall()
    assert names[-1] == "as_of", names
    values = [n for n in names if n in ("value", "n", "numerator", "denominator", "step_name", "actors", "conversion",
                                        "step_conversion", "cohort_actors", "retained", "rate")
              or (n.startswith("p") and n[1:2].isdigit())]
    dims = [n for n in names if n not in values and n not in ("site_id", "period", "as_of")]
    order = ["numerator", "denominator", "value"] if "numerator" in names else values
    out, as_of = {}, set()
    for row in rows:
        rec = dict(zip(names, row, strict=True))
        assert str(rec["site_id"]) == site, f"{fn}: site {site} saw {rec['site_id']}"
        out[(site, rec["period"]) + tuple(rec[d] for d in dims)] = tuple(_norm(rec[n]) for n in order)
        as_of.add(rec["as_of"])
    return out, as_of


def check_live(conn, tax, events: list[dict], *, exact_only: bool = False) -> int:
    """Every site's live reads against the reference over ``events``; returns the cells compared."""
    t = today(conn)
    lo = t - timedelta(days=DAYS)
    problems, compared = [], 0
    before = conn.execute("select statement_timestamp()").fetchone()[0]
    for kpi in tax.kpis:
        exact = is_exact(tax, kpi)
        if exact_only and not exact:
            continue
        fn = short_name(f"kpi_{kpi.name}_live")
        if exact:
            expected = {k: tuple(_norm(x) for x in v) for k, v in ref.site_values(tax, kpi, events, t).items()
                        if lo <= k[1] <= t}
        got: dict = {}
        for site in SITES if exact else SITES[:3]:
            cells, as_of = read_live(conn, fn, site, lo, t)
            got.update(cells)
            if exact and cells:
                assert len(as_of) == 1 and min(as_of) >= before, (kpi.name, as_of, before)
            if not exact:
                # the refreshed cells, as the (from, to) read gives them, as of the KPI's last refresh
                with as_caller(conn, "authenticated", claims(site, "clinic", uuid.uuid4())) as cur:
                    between = cur.execute(f"select * from analytics.{short_name(f'kpi_{kpi.name}_between')}(%s, %s)",
                                          (lo, t)).fetchall()
                    live_rows = cur.execute(f"select * from analytics.{fn}(%s, %s)", (lo, t)).fetchall()
                refreshed = conn.execute("select max(refreshed_at) from analytics_private.kpi_watermarks where kpi = %s",
                                         (kpi.sql_name,)).fetchone()[0]
                assert sorted(r[:-1] for r in live_rows) == sorted(between), kpi.name
                if kpi.type != "ratio":
                    assert {r[-1] for r in live_rows} <= {refreshed}, kpi.name
        if exact:
            compared += len(expected)
            if got != expected:
                diff = [(k, expected.get(k), got.get(k)) for k in sorted(set(got) | set(expected), key=str)
                        if got.get(k) != expected.get(k)]
                problems.append(f"{fn}: {len(diff)} cells differ, e.g. {diff[:3]}")
    assert not problems, "\n".join(problems)
    return compared


def test_live_reads_match_the_reference_with_events_not_yet_refreshed(db, compiled):
    tax = compiled[0]
    gen = Generator(tax, seed=31)
    events = gen.events(600)
    dense = gen.events(120)
    for e in dense:  # a busy percentile cell, partly stored and partly in the tail
        e.update(event_id="system.api_request_completed", site=SITES[0], network=network_of(SITES[0]),
                 payload=dict(gen.payload("system.api_request_completed"), endpoint="track_events"),
                 occurred_at=datetime.now(UTC) - timedelta(days=2))
    # 1. nothing refreshed yet: the whole store is the tail
    insert(db, events + dense[:60])
    events += dense[:60]
    assert check_live(db, tax, events, exact_only=True) > 0
    # 2. refreshed, then new events, late events (old timestamps arriving now) and duplicates arrive
    refresh_all(db, tax)
    batch = gen.events(250) + gen.events(60, days_back=30) + dense[60:]
    dupes = [dict(e) for e in gen.rnd.sample(events, 40)]  # the store keeps the first delivery only
    insert(db, batch + dupes)
    events += batch
    compared = check_live(db, tax, events)
    # 3. folding the tail in changes no live cell
    refresh_all(db, tax)
    assert check_live(db, tax, events, exact_only=True) == compared


def test_an_out_of_order_commit_is_counted_once(db, compiled, pg_cluster):
    """A transaction older than the refresh's bound commits after the refresh: it is in the tail (its
    ingest_xid is past the watermark), not in the rollup, and counted exactly once."""
    tax = compiled[0]
    gen = Generator(tax, seed=37)
    first, second = gen.events(200), gen.events(200)
    with pg_cluster.connect(autocommit=False) as slow:
        insert(slow, first)  # older xid, still open
        insert(db, second)  # newer xid, commits first
        refresh_all(db, tax)  # folds in nothing at or past the open transaction
        check_live(db, tax, second, exact_only=True)
        slow.commit()
    check_live(db, tax, first + second, exact_only=True)
    refresh_all(db, tax)
    check_live(db, tax, first + second, exact_only=True)


def test_live_reads_are_site_isolated_and_need_a_reader_tier(db, compiled):
    tax = compiled[0]
    # this test decides when the KPIs are refreshed: a pg_cron run (some jobs are every minute)
    # between the tails below and their reads would fold them in
    db.execute("select cron.unschedule(jobid) from cron.job")
    gen = Generator(tax, seed=41)
    events = gen.events(300)
    insert(db, events)
    refresh_all(db, tax)
    t = today(db)
    lo = t - timedelta(days=DAYS)
    site_a, site_b = SITES[0], SITES[6]
    a_before = {k.name: read_live(db, short_name(f"kpi_{k.name}_live"), site_a, lo, t)[0] for k in tax.kpis}
    # site B's tail: new actors and events of every KPI's events, today
    tail_b = [dict(e, site=site_b, network=network_of(site_b), actor="b-" + e["actor"],
                   occurred_at=datetime.now(UTC) - timedelta(minutes=5)) for e in gen.events(200)]
    insert(db, tail_b)
    changed_b = 0
    for kpi in tax.kpis:
        fn = short_name(f"kpi_{kpi.name}_live")
        assert read_live(db, fn, site_a, lo, t)[0] == a_before[kpi.name], f"{fn}: site A saw site B's tail"
        b_now = read_live(db, fn, site_b, lo, t)[0]
        if is_exact(tax, kpi):
            expected = {k: tuple(_norm(x) for x in v) for k, v in ref.site_values(tax, kpi, events + tail_b, t).items()
                        if k[0] == site_b and lo <= k[1] <= t}
            assert b_now == expected, fn
            changed_b += bool(b_now)
        # tiers that may not read site KPIs (consumers) and callers without a site see nothing
        assert read_live(db, fn, site_b, lo, t, tier="consumer")[0] == {}, fn
        with as_caller(db, "authenticated", {"sub": str(uuid.uuid4()), "role": "authenticated"}) as cur:
            assert cur.execute(f"select count(*) from analytics.{fn}(%s, %s)", (lo, t)).fetchone()[0] == 0, fn
    assert changed_b
    # with site B's tail waiting, each live read's statement reads the store through the ingest_xid
    # index and the rollup through its (site_id, period) key: never a scan of either without its
    # index's leading column (planner told to avoid sequential scans: the test data are small). The
    # live functions run generic plans, made without the watermark: the tail's limit keeps them on it.
    db.execute("analyze analytics_private.events")
    for kpi in [k for k in tax.kpis if k.type in EXACT]:  # as a refresh leaves them (it analyses what it filled)
        db.execute(f"analyze analytics_private.{short_name(f'kpi_{kpi.name}')}")
    notices: list[str] = []
    db.add_notice_handler(lambda d: notices.append(d.message_primary or ""))
    for setting in ("load 'auto_explain'", "set auto_explain.log_min_duration = 0",
                    "set auto_explain.log_nested_statements = on", "set client_min_messages = log",
                    "set enable_seqscan = off"):
        db.execute(setting)
    db.execute("select pg_catalog.set_config('request.jwt.claims', %s, false)",
               (json.dumps(claims(site_b, "clinic", uuid.uuid4(), network_of(site_b))),))
    checked = 0
    for kpi in [k for k in tax.kpis if k.type in EXACT]:
        notices.clear()
        db.execute(f"select * from analytics.{short_name(f'kpi_{kpi.name}_live')}(%s, %s)", (lo, t))
        plan = next(n for n in notices if "with tail as materialized" in n)
        assert "Seq Scan on events" not in plan and "_ingest_xid_idx on events_" in plan, plan
        rollup = short_name(f"kpi_{kpi.name}")
        # a rollup of a handful of rows may rightly be read through any index (as in test_kpi_storage)
        rows = db.execute("select count(*) from analytics_private." + rollup).fetchone()[0]
        assert rows < 50 or re.search(rf"(Index|Index Only|Bitmap Index) Scan (using|on) {rollup}_key", plan), plan
        checked += rows >= 50
    assert checked  # the busiest rollups are big enough for the plan to matter
    db.execute("reset all")
    # freshness: every KPI a reader may read, with how its live read works; nothing for a consumer
    with as_caller(db, "authenticated", claims(site_a, "clinic", uuid.uuid4())) as cur:
        fresh = {k: (live, at) for k, live, at in cur.execute("select * from analytics.kpi_freshness()").fetchall()}
    assert set(fresh) == {k.sql_name for k in tax.kpis}
    assert {k for k, (live, _) in fresh.items() if live == "exact"} == {k.sql_name for k in tax.kpis if is_exact(tax, k)}
    assert all(at is not None for _, at in fresh.values())
    with as_caller(db, "authenticated", claims(site_a, "consumer", uuid.uuid4())) as cur:
        assert cur.execute("select count(*) from analytics.kpi_freshness()").fetchone()[0] == 0
    # a stalled refresh: more events past the watermark than a live read counts (every site's, in the
    # requested periods) -> the refreshed cells, as of the last refresh, for exact and refreshed KPIs alike
    from generator.plan.kpi.common import LIVE_TAIL_CAP
    flood = [dict(e, site=SITES[12], network=None, occurred_at=datetime.now(UTC) - timedelta(hours=1),
                  key=str(uuid.uuid4())) for e in gen.events(LIVE_TAIL_CAP + 1)]
    insert(db, flood)
    refreshed_at = dict(db.execute("select kpi, refreshed_at from analytics_private.kpi_watermarks").fetchall())
    seen = 0
    for kpi in [k for k in tax.kpis if k.type in EXACT]:
        fn = short_name(f"kpi_{kpi.name}_live")
        cells, as_of = read_live(db, fn, site_b, lo, t)  # site B's tail is no longer counted
        expected = {k: tuple(_norm(x) for x in v) for k, v in ref.site_values(tax, kpi, events, t).items()
                    if k[0] == site_b and lo <= k[1] <= t}
        assert cells == expected, f"{fn}: past the cap, a live read is the refreshed cells"
        assert as_of <= {refreshed_at[kpi.sql_name]}, (fn, as_of)
        seen += bool(cells)
    assert seen
    # anon may not call them; authenticated may not read the event store they read
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        with as_caller(db, "anon", None) as cur:
            cur.execute("select * from analytics.kpi_daily_active_actors_live(%s, %s)", (lo, t))
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        with as_caller(db, "authenticated", claims(site_a, "clinic", uuid.uuid4())) as cur:
            cur.execute("select * from analytics_private.events")
