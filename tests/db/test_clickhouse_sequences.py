"""Funnels (all three order modes), retention and rolling windows on ClickHouse (chdb), cell by cell
against the Python reference (tests/db/kpi_reference.py), on a dense stream built so that steps
follow each other, share events and happen at the same instant, and so that many network cells
pass the k rule (their values are then compared too, not only their suppression).

The events go straight into ClickHouse's event table (the incremental views fire as they would on
an ingestion run; the ingestion itself is tested in test_clickhouse.py).
"""

from __future__ import annotations

import json
import random
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import chutil  # noqa: E402
import kpi_reference as ref  # noqa: E402
from test_kpis import NETWORKS, SITES, TAXONOMY, VALUE_COLUMNS, Generator, _norm, network_of  # noqa: E402

from generator.compiler import compile_taxonomy  # noqa: E402

pytestmark = pytest.mark.db

TRIAL, CREATED, LOGGED, CONVERTED = ("practitioner.trial_started", "practitioner.protocol_created",
                                     "practitioner.protocol_logged", "practitioner.trial_converted")
SIGNUP, FEATURE = "system.signup_completed", "consumer.feature_used"

KPIS = """
kpis:
""" + "".join(f"""
  - name: trial_path_{order}
    description: Trials that create a protocol, log sessions and convert ({order}).
    type: funnel
    owner: qa
    order: {order}
    window: 5 days
    by: [tier]
    steps:
      - {{name: started, events: [{TRIAL}]}}
      - {{name: built_or_logged, events: [{CREATED}, {LOGGED}]}}
      - {{name: logged, events: [{LOGGED}]}}
      - {{name: converted_or_built, events: [{CONVERTED}, {CREATED}]}}
    refresh: "0 * * * *"

  - name: repeat_logging_{order}
    description: Sessions logged and logged again within 2 days ({order}).
    type: funnel
    owner: qa
    order: {order}
    window: 2 days
    by: [logging_mode]
    steps:
      - {{name: logged, events: [{LOGGED}]}}
      - {{name: logged_again, events: [{LOGGED}]}}
      - {{name: logged_or_built, events: [{LOGGED}, {CREATED}]}}
    refresh: "0 * * * *"
""" for order in ("ordered", "strict", "any")) + f"""
  - name: weekly_trial_retention
    description: Of the actors who started a trial in a week, those logging a session in the following weeks.
    type: retention
    owner: qa
    cohort: {{events: [{TRIAL}], grain: week}}
    returning: {{events: [{LOGGED}, {CREATED}]}}
    periods: 5
    refresh: "0 * * * *"

  - name: monthly_signup_retention
    description: Of the actors who signed up in a month, those using a feature in the following months.
    type: retention
    owner: qa
    cohort: {{events: [{SIGNUP}], grain: month}}
    returning: {{events: [{FEATURE}, {LOGGED}]}}
    periods: 2
    refresh: "0 * * * *"

  - name: daily_practitioners
    description: Distinct actors with a practitioner event per day, by tier.
    type: distinct_actors
    owner: qa
    events: [practitioner.*]
    grain: day
    by: [tier]
    refresh: "0 * * * *"

  - name: daily_sessions
    description: Sessions logged per day.
    type: count
    owner: qa
    events: [{LOGGED}]
    grain: day
    refresh: "0 * * * *"

  - name: practitioners_5d
    description: Distinct practitioners over the 5 days ending each day, by tier.
    type: rolling
    owner: qa
    kpi: daily_practitioners
    window: 5 days
    refresh: "0 * * * *"

  - name: sessions_1w
    description: Sessions logged over the week ending each day.
    type: rolling
    owner: qa
    kpi: daily_sessions
    window: 1 week
    refresh: "0 * * * *"
"""


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    import shutil

    root = tmp_path_factory.mktemp("ch_sequences") / "taxonomy"
    root.mkdir()
    for item in ("project.yaml", "tiers.yaml"):
        shutil.copy(TAXONOMY / item, root / item)
    shutil.copytree(TAXONOMY / "events", root / "events")
    (root / "kpis").mkdir()
    (root / "kpis" / "sequences.yaml").write_text(KPIS, encoding="utf-8")
    comp = compile_taxonomy(root)
    assert comp.ok, [str(d) for d in comp.errors]
    return comp


#: (days ago, tier, [(site, depth) of the actors who stop early]) and the actors the network view
#: shows per step (None: hidden)
CRAFTED_STOPS = (
    # bands 1-2: 2 actors (adjacent: hidden); 1-3: 4 (hidden); 1-4: 6 at 6 sites (shown)
    (50, "practitioner", [(0, 1), (1, 1), (2, 2), (3, 2), (4, 3), (5, 3)]),
    # bands 1-2: 2; 1-3: 4; 1-4: 5 actors at 5 sites, 4 after removing one site: hidden
    (50, "clinic", [(0, 1), (1, 1), (2, 2), (3, 2), (4, 3)]),
    # band 1-2: 5 actors at 5 sites: enough between adjacent shown steps
    (51, "clinic", [(0, 1), (1, 1), (2, 1), (3, 1), (4, 1)]),
)
CRAFTED = {(50, "practitioner"): [12, None, None, 6], (50, "clinic"): [11, None, None, None],
           (51, "clinic"): [11, 6, 6, 6]}


#: days ago of the crafted retention cohorts (weeks with no other trial)
WHOLE_COHORT, LAPSED_FEW = 60, 74


def _stream(tax) -> list[dict]:
    """Per actor a few bursts of practitioner events hours apart (some at one instant), sign-ups and
    feature use across months: most actors of most sites take some steps, so network cells fill."""
    rnd = random.Random(12)
    gen = Generator(tax, seed=12)
    now = datetime.now(UTC).replace(microsecond=0)
    out = []

    def ev(site, actor, tier, event_id, at):
        out.append({"site": site, "network": network_of(site), "actor": actor, "tier": tier, "event_id": event_id,
                    "occurred_at": at, "payload": gen.payload(event_id), "key": str(uuid.UUID(int=rnd.getrandbits(122), version=4))})

    for s, site in enumerate(SITES):
        for a in range(3 if s in (5, 11, 12) else 9):
            actor = f"actor-{s}-{a}"
            tier = rnd.choice(["practitioner", "clinic"])
            if rnd.random() < 0.8:
                ev(site, actor, tier, SIGNUP, now - timedelta(days=rnd.randint(0, 70), hours=rnd.randint(0, 23)))
            for _ in range(rnd.randint(0, 4)):
                ev(site, actor, tier, FEATURE, now - timedelta(days=rnd.randint(0, 70)))
            for _burst in range(rnd.randint(1, 4)):
                t = now - timedelta(days=rnd.randint(0, 40), hours=rnd.randint(0, 23), minutes=rnd.randint(0, 59))
                for _ in range(rnd.randint(1, 7)):
                    event_id = rnd.choices([TRIAL, CREATED, LOGGED, CONVERTED], [3, 3, 5, 2])[0]
                    ev(site, actor, tier, event_id, t)
                    if rnd.random() < 0.2:  # another event at the very same instant
                        ev(site, actor, tier, rnd.choice([CREATED, LOGGED]), t)
                    t += timedelta(hours=rnd.choice([0, 1, 5, 20, 30, 60]))
    # Network entry cells where the drop-outs, not the step counts, are small (network A, 50 and 51
    # days ago): 6 actors F0-F5 at sites 0-5 finish; the others stop after the step given. Every step
    # has k actors at k sites, so only funnel.sql.j2's band rules hide anything (CRAFTED: what the
    # network view shows per step).
    path = [TRIAL, CREATED, LOGGED, CONVERTED]
    for days, tier, stops in CRAFTED_STOPS:
        start = (now - timedelta(days=days)).replace(hour=10, minute=0, second=0)
        for s, depth in [(s, 4) for s in range(6)] + stops:
            actor = f"band-{days}-{tier}-{s}-{depth}"
            for i in range(depth):
                ev(SITES[s], actor, tier, path[i], start + timedelta(hours=i))
    # Two network trial cohorts (network A) where retention.sql.j2's own rules decide: WHOLE_COHORT,
    # 10 actors at 5 sites, all active in their first week, one in the next: that week is hidden, and
    # as the cohort has only 5 sites every week is; LAPSED_FEW, 12 actors at 6 sites, 10 active in
    # the next week: the 2 who lapsed are fewer than k, so that week is hidden.
    for days, n_sites, next_week in ((WHOLE_COHORT, 5, 1), (LAPSED_FEW, 6, 10)):
        start = (now - timedelta(days=days)).replace(hour=9, minute=0, second=0)
        start -= timedelta(days=start.weekday())  # a Monday: both events in the cohort's week
        for i in range(2 * n_sites):
            site, actor = SITES[i % n_sites], f"cohort-{days}-{i}"
            ev(site, actor, "practitioner", TRIAL, start)
            ev(site, actor, "practitioner", LOGGED, start + timedelta(hours=1))
            if i < next_week:
                ev(site, actor, "practitioner", LOGGED, start + timedelta(days=7))
    return [e for e in out if e["occurred_at"] <= now]


def _row(e: dict) -> str:
    return json.dumps({
        "event_id": e["event_id"], "site_id": e["site"], "network_id": e["network"], "actor_hash": e["actor"],
        "actor_tier": e["tier"], "occurred_at": e["occurred_at"].strftime("%Y-%m-%d %H:%M:%S.%f"),
        "received_at": e["occurred_at"].strftime("%Y-%m-%d %H:%M:%S.%f"), "idempotency_key": e["key"],
        "plan_version": "test", "payload": json.dumps(e["payload"]), "ingest_xid": 1})


@pytest.fixture(scope="module")
def ch(compiled):
    conn = chutil.connection()
    chutil.reset(conn)
    for stmt in chutil.statements(compiled.files["clickhouse/schema.sql"]):
        if "REFRESH EVERY" not in stmt:  # the ingestion from PostgreSQL: not used here
            conn.query(stmt)
    events = _stream(compiled.taxonomy)
    for i in range(0, len(events), 300):  # several blocks, as several ingestion runs would insert
        conn.query("INSERT INTO analytics_private.events FORMAT JSONEachRow\n"
                   + "\n".join(_row(e) for e in events[i:i + 300]))
    return conn, events


def _kpis(tax, *types):
    return [k for k in tax.kpis if k.type in types]


def _read(conn, view: str, key_first: tuple[str, ...]) -> dict[tuple, tuple]:
    out = {}
    for rec in chutil.rows(conn, f"SELECT * FROM analytics.{view} SETTINGS output_format_json_quote_64bit_integers = 0"):
        vals = [c for c in rec if c in VALUE_COLUMNS]
        dims = [c for c in rec if c not in vals and c not in key_first + ("suppressed",)]
        key = tuple(chutil.as_date(rec[c]) if c == "period" else rec[c] for c in key_first)
        out[key + tuple(rec[d] for d in dims)] = tuple(_norm(rec[c]) for c in vals) + (
            (bool(rec["suppressed"]),) if "suppressed" in rec else ())
    return out


def test_site_views_of_every_funnel_mode_retention_and_rolling_equal_the_reference(ch, compiled):
    conn, events = ch
    tax = compiled.taxonomy
    today = datetime.now(UTC).date()
    kpis = _kpis(tax, "funnel", "retention", "rolling")
    assert len(kpis) == 10
    problems, deep = [], {}
    for kpi in kpis:
        expected = {k: tuple(_norm(x) for x in v) for k, v in ref.site_values(tax, kpi, events, today).items()}
        got = {}
        for site in SITES:
            conn.query(f"INSERT INTO analytics_private.readers VALUES (currentUser(), '{site}', NULL, 'clinic')")
            got.update(_read(conn, f"kpi_{kpi.sql_name}", ("site_id", "period")))
        if got != expected:
            diff = [(k, expected.get(k), got.get(k)) for k in set(got) | set(expected) if got.get(k) != expected.get(k)]
            problems.append(f"{kpi.name}: {len(diff)} of {len(expected)} cells differ, e.g. {diff[:3]}")
        if kpi.type == "funnel":
            deep[kpi.name] = sum(v[1] for key, v in expected.items() if key[-1] >= 3)
    assert not problems, "\n".join(problems)
    # the modes are exercised: actors reach the deep steps, and the modes disagree somewhere
    print("actors at step 3 or later:", deep)
    assert all(deep.values()), deep
    for family in ("trial_path", "repeat_logging"):
        assert deep[f"{family}_strict"] < deep[f"{family}_ordered"] <= deep[f"{family}_any"], deep


def _expected_network(tax, kpi, events, net, k, today) -> dict[tuple, tuple]:
    """The network view is PostgreSQL's: its own suppression rule for funnels and retention, and for
    rolling windows the k rule plus the covers (a window holding a hidden day of its base is hidden)."""
    return {key: tuple(_norm(x) for x in v) for key, v in ref.network_values(tax, kpi, events, today, k, net).items()}


def test_network_views_apply_postgresqls_rules_with_the_reference_values(ch, compiled):
    """Each network view cell equals the reference's (PostgreSQL's) network cell: hidden with null
    values where PostgreSQL hides it (the k rule, the funnel and retention rules, a rolling window's
    covers), otherwise the reference's value; funnel conversions from the shown steps only."""
    conn, events = ch
    tax = compiled.taxonomy
    k = tax.project.k_anonymity
    today = datetime.now(UTC).date()
    shown = hidden = 0
    for kpi in _kpis(tax, "funnel", "retention", "rolling"):
        for net, site in zip(NETWORKS, (SITES[0], SITES[6]), strict=True):
            conn.query(f"INSERT INTO analytics_private.readers VALUES (currentUser(), '{site}', '{net}', 'network')")
            got = _read(conn, f"network_{kpi.sql_name}", ("period",))
            expected = _expected_network(tax, kpi, events, net, k, today)
            diff = [(key, expected.get(key), got.get(key)) for key in set(got) | set(expected)
                    if got.get(key) != expected.get(key)]
            assert not diff, (kpi.name, len(diff), diff[:3])
            shown += sum(1 for v in got.values() if not v[-1])
            hidden += sum(1 for v in got.values() if v[-1])
    assert shown > 50 and hidden > 50, (shown, hidden)
    conn.query(f"INSERT INTO analytics_private.readers VALUES (currentUser(), '{SITES[0]}', '{NETWORKS[0]}', 'network')")
    got = _read(conn, "network_weekly_trial_retention", ("period",))
    for days, shown_weeks in ((WHOLE_COHORT, []), (LAPSED_FEW, [0])):
        week = (datetime.now(UTC) - timedelta(days=days)).date()
        week -= timedelta(days=week.weekday())
        assert [j for j in range(6) if not got[(week, j)][-1]] == shown_weeks, (days, got[(week, 0)])
    # the drop-out cells, in every mode (also part of the comparison above)
    for order in ("ordered", "strict", "any"):
        got = _read(conn, f"network_trial_path_{order}", ("period",))
        for (days, tier), steps in CRAFTED.items():
            day = (datetime.now(UTC) - timedelta(days=days)).date()
            assert [got[(day, tier, j)][1] for j in (1, 2, 3, 4)] == steps, (order, days, tier)
    print(f"network cells: {shown} shown, {hidden} hidden")
