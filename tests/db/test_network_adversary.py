"""Adversarial suite for the network views (issue 9): a network-tier caller crafts small groups in its
own network, injects events of its own, and tries to recover every hidden cell by differencing
what it can read: across dimensions and related KPIs of a family (a total and its breakdowns),
across periods (rolling windows, calendar weeks and months over days), along a funnel's steps
and a cohort's periods, with its own site's rows read through ``_between`` windows.

Each round is a new network (so rounds do not interfere) of k + 1 to k + 4 sites, with random
small, middling and large cells for every family of the real taxonomy that these events reach.
The caller is at a random site. The pass mark (tests/db/adversary.py): after bounds propagation
over everything it reads and its own contributions, every hidden cell's interval is at least k
wide; and every shown percentile has k actors from other sites on either side of it.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta

import pytest
from adversary import Bounds, Network, calendar_cover, cohorts, marginal, nested_steps, window_cover, within

pytestmark = pytest.mark.db

ROUNDS = 8
ERR, API, FEATURE = "system.error_occurred", "system.api_request_completed", "consumer.feature_used"
TIER_EVENTS = {"practitioner": "practitioner.dashboard_viewed", "clinic": "clinic.protocol_shared",
               "network": "network.dashboard_viewed"}
FUNNEL = "trial_activation_to_conversion"


class Payloads:
    """Each event's first example payload (overridden per call)."""

    def __init__(self, tax):
        self.tax = tax

    def payload(self, event_id: str) -> dict:
        return dict(self.tax.event(event_id).examples[0])


def refresh_all(conn, kpi_catalog) -> None:
    for kpi in kpi_catalog.stored:  # bases before rolling windows (any order works: test_kpis)
        conn.execute(f"select {kpi_catalog.refresh[kpi]}")


def _enum(tax, event_id: str, field: str) -> list[str]:
    prop = next(p for p in tax.event(event_id).properties if p.name == field)
    return list(prop.value.enum)


class Round:
    """One crafted network: who did what, on which days."""

    def __init__(self, tax, k: int, seed: int):
        self.rnd = rnd = random.Random(seed)
        self.tax, self.k = tax, k
        self.net = Network(Payloads(tax), rnd.randint(k + 1, k + 4))
        self.net.caller_site = rnd.choice(self.net.sites)
        self.n = len(self.net.sites)
        today = datetime.combine(datetime.now(UTC).date(), time(9), tzinfo=UTC)
        self.days = [today - timedelta(days=i) for i in (1, 2, 5)]
        self.serial = 0

    def group(self) -> list[int]:
        """The sites of one crafted cell: one or two (small), about k, or every site."""
        size = self.rnd.choice(["small", "small", "mid", "all"])
        count = {"small": self.rnd.randint(1, 2), "mid": self.k, "all": self.n}[size]
        return self.rnd.sample(range(self.n), count)

    def actor(self) -> str:
        self.serial += 1
        return f"a{self.serial}"

    def build(self) -> None:
        tax, net, rnd = self.tax, self.net, self.rnd
        for day in self.days:
            for code in rnd.sample(_enum(tax, ERR, "error_code"), 4):
                for site in self.group():
                    net.event(site, self.actor(), ERR, day, error_code=code)
            for endpoint in rnd.sample(_enum(tax, API, "endpoint"), 3):
                for site in self.group():
                    net.event(site, self.actor(), API, day, endpoint=endpoint, duration_ms=rnd.randint(5, 900))
            for feature in rnd.sample(_enum(tax, FEATURE, "feature"), 3):
                for site in self.group():
                    net.event(site, self.actor(), FEATURE, day, tier="consumer", feature=feature)
            for tier, event_id in TIER_EVENTS.items():
                for site in self.group():
                    net.event(site, self.actor(), event_id, day, tier=tier)
        steps = [s.selection.events[0] for s in tax.kpi(FUNNEL).steps]
        for day in self.days[:2]:
            for depth in (1, 2, 3, 4):
                for site in self.group():
                    actor = self.actor()
                    for i in range(depth):
                        net.event(site, actor, steps[i], day + timedelta(minutes=10 * i), tier="practitioner")

    def inject(self, conn) -> None:
        """The caller sends a few events of its own, back-dated onto the crafted days."""
        tax, rnd = self.tax, self.rnd
        for _ in range(3):
            day = rnd.choice(self.days)
            kind = rnd.choice(["err", "api", "feature", "tier"])
            if kind == "err":
                self.net.inject(conn, ERR, day, error_code=rnd.choice(_enum(tax, ERR, "error_code")))
            elif kind == "api":
                self.net.inject(conn, API, day, endpoint=rnd.choice(_enum(tax, API, "endpoint")), duration_ms=1)
            elif kind == "feature":
                self.net.inject(conn, FEATURE, day, feature=rnd.choice(_enum(tax, FEATURE, "feature")))
            else:
                self.net.inject(conn, TIER_EVENTS["network"], day)


# --------------------------------------------------------------------------- #
# What the caller can pin down
# --------------------------------------------------------------------------- #


def attack(conn, net: Network, k: int) -> tuple[list, list]:
    """(hidden cells, those pinned to fewer than k values) over every relation the caller knows."""
    b = Bounds()
    hidden: list = []

    def cells(kpi: str, column: str, floor: int = 1) -> dict:
        out, hid = net.cells(conn, b, kpi, column, floor)
        hidden.extend(hid)
        return out

    # families: a total and its breakdown
    for total, breakdown, column in (("error_count", "errors_by_code", "value"),
                                     ("api_request_count", "api_latency_ms", "n"),
                                     ("consumer_feature_users", "consumer_feature_users_by_feature", "value")):
        marginal(b, cells(total, "value"), cells(breakdown, column), lambda key: key[:1])
    # periods: days within rolling windows, calendar weeks and months
    daily = cells("daily_active_actors", "value")
    for outer, covering in (("active_actors_7d", window_cover(7)), ("active_actors_28d", window_cover(28)),
                            ("weekly_active_actors", calendar_cover("week")),
                            ("monthly_active_actors", calendar_cover("month"))):
        within(b, daily, cells(outer, "value"), covering)
    # a funnel's steps only shrink
    nested_steps(b, cells(FUNNEL, "actors", floor=0))
    # a cohort's retained actors are at most its size
    for kpi in ("protocol_logging_retention", "weekly_signup_retention", "monthly_signup_retention"):
        cohorts(conn, b, net, kpi, hidden)
    return hidden, b.narrow(hidden, k)


def shown_percentiles_have_k_on_each_side(conn, net: Network, events: list[dict], k: int) -> list:
    """Every shown percentile value has k actors from other sites at or above it and at or below it."""
    wrong = []
    for (day, endpoint), row in net.view(conn, "api_latency_ms").items():
        values = [(e["payload"]["duration_ms"], e["actor"]) for e in events
                  if e["event_id"] == API and e["payload"].get("endpoint") == endpoint
                  and e["occurred_at"].date() == day and e["site"] != net.caller_site]
        for col in ("p50", "p95", "p99"):
            v = row[col]
            if v is None:
                continue
            above = {a for m, a in values if m >= v}
            below = {a for m, a in values if m <= v}
            if len(above) < k or len(below) < k:
                wrong.append((day, endpoint, col, v, len(above), len(below)))
    return wrong


@pytest.mark.parametrize("seed", range(ROUNDS))
def test_no_hidden_cell_is_recovered(db, compiled, kpi_catalog, seed):
    tax = compiled.taxonomy
    k = tax.project.k_anonymity
    r = Round(tax, k, seed)
    r.build()
    events = list(r.net.events)
    r.net.store(db)
    refresh_all(db, kpi_catalog)
    hidden, narrow = attack(db, r.net, k)
    assert hidden, "the round should hide something"
    assert narrow == [], narrow
    assert shown_percentiles_have_k_on_each_side(db, r.net, events, k) == []
    # the caller injects events of its own and subtracts them
    r.inject(db)
    refresh_all(db, kpi_catalog)
    hidden, narrow = attack(db, r.net, k)
    assert narrow == [], narrow
    assert shown_percentiles_have_k_on_each_side(db, r.net, events, k) == []
