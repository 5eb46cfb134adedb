"""A network-tier caller trying to recover hidden cells, and what it can infer (bounds propagation).

The caller reads every network view of its network (values of shown cells; hidden cells are
listed, so it knows each exists) and its own site's rows (site views and ``_between``), including
events it sent itself. It knows how the KPIs relate: a total is the sum of its breakdown
(families), a funnel's steps only shrink, a cohort's retained actors are at most its size, a
window or a calendar week holds every actor of each of its days (and at most their sum).

Every cell becomes a variable for the part the caller does not know: its value minus the
caller's own site's contribution (what the other sites contributed). Every relation above holds
for the other sites' parts alone, so the caller applies them there. Shown cells are fixed;
hidden ones start at [1, inf) when the caller contributed nothing (a listed cell has an event or
an actor), else [0, inf). Linear relations (``sum(a_i * v_i) >= c`` or ``= c``) tighten the
bounds until nothing moves: interval arithmetic, no integer programming. Issue 9's pass mark:
every hidden cell's interval is at least k wide.
"""

from __future__ import annotations

import json
import math
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from dbutil import as_caller, claims, insert_events

INF = math.inf
VALUE_COLUMNS = {"value", "n", "numerator", "denominator", "step_name", "actors", "conversion", "step_conversion",
                 "cohort_actors", "retained", "rate"}


@dataclass
class Bounds:
    lo: dict = field(default_factory=dict)
    hi: dict = field(default_factory=dict)
    rows: list = field(default_factory=list)  # (coeffs {var: a}, const, equality): sum(a v) >= const (or ==)

    def known(self, var, value: float) -> None:
        self.lo[var] = self.hi[var] = float(value)

    def unknown(self, var, lo: float = 0.0, hi: float = INF) -> None:
        self.lo[var], self.hi[var] = float(lo), float(hi)

    def at_least(self, coeffs: dict, const: float = 0.0) -> None:
        self.rows.append((coeffs, float(const), False))

    def equal(self, coeffs: dict, const: float = 0.0) -> None:
        self.rows.append((coeffs, float(const), True))

    def zero(self, var):
        """A cell no view lists (no event at all): nothing from the other sites."""
        if var not in self.lo:
            self.known(var, 0)
        return var

    def solve(self, rounds: int = 2000) -> None:
        for _ in range(rounds):
            moved = False
            for coeffs, const, eq in self.rows:
                senses = [(coeffs, const)] + ([({v: -a for v, a in coeffs.items()}, -const)] if eq else [])
                for cs, c in senses:  # sum(a v) >= c
                    for var, a in cs.items():
                        rest = sum(b * (self.hi[w] if b > 0 else self.lo[w]) for w, b in cs.items() if w != var)
                        if math.isinf(rest):
                            continue
                        bound = (c - rest) / a  # a v >= c - rest
                        if a > 0 and bound > self.lo[var] + 1e-9:
                            self.lo[var], moved = bound, True
                        elif a < 0 and bound < self.hi[var] - 1e-9:
                            self.hi[var], moved = bound, True
            if not moved:
                return
        raise AssertionError("bounds propagation did not settle")

    def narrow(self, hidden: list, k: int) -> list[tuple]:
        """The hidden cells the caller pins to an interval narrower than k, with their bounds."""
        self.solve()
        return [(var, self.lo[var], self.hi[var]) for var in hidden if self.hi[var] - self.lo[var] < k]


def _norm(v):
    return float(v) if isinstance(v, (Decimal, int, float)) and not isinstance(v, bool) else v


def read_rows(conn, statement: str, jwt: dict, params=()) -> tuple[list[str], list[dict]]:
    with as_caller(conn, "authenticated", jwt) as cur:
        cur.execute(statement, params or None)
        names = [d.name for d in cur.description]
        return names, [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


class Network:
    """A network of new sites with events of a test's own, and a network-tier caller at one site."""

    def __init__(self, gen, n_sites: int, caller: int = -1, *, network: str | None = None,
                 sites: list[str] | None = None):
        self.gen = gen
        self.network = network or str(uuid.uuid4())
        self.sites = sites or [str(uuid.uuid4()) for _ in range(n_sites)]
        self.caller_site = self.sites[caller]
        self.caller_sub = str(uuid.uuid4())
        self.events: list[dict] = []

    def event(self, site: int, actor: str, event_id: str, at: datetime, tier: str = "network", **payload) -> dict:
        body = dict(self.gen.payload(event_id), **payload)
        ev = {"site": self.sites[site], "network": self.network, "actor": f"{self.network}/{actor}", "tier": tier,
              "event_id": event_id, "occurred_at": at, "payload": body, "key": str(uuid.uuid4())}
        self.events.append(ev)
        return ev

    def jwt(self) -> dict:
        return claims(self.caller_site, "network", self.caller_sub, self.network)

    def inject(self, conn, event_id: str, at: datetime, **payload) -> None:
        """The caller sends one event of its own through analytics.track_events (back-dated)."""
        batch = [{"event_id": event_id, "occurred_at": at.isoformat(), "idempotency_key": str(uuid.uuid4()),
                  "payload": dict(self.gen.payload(event_id), **payload)}]
        with as_caller(conn, "authenticated", self.jwt(), commit=True) as cur:
            cur.execute("select analytics.track_events(%s::jsonb)", (json.dumps(batch),))
            result = cur.fetchone()[0]
        assert [r["status"] for r in result] == ["accepted"], result

    def store(self, conn) -> None:
        insert_events(conn, self.events)
        self.events = []

    def view(self, conn, kpi: str) -> dict[tuple, dict]:
        """analytics.network_<kpi> for the caller: (period, *dims) -> row."""
        names, rows = read_rows(conn, f"select * from analytics.network_{kpi}", self.jwt())
        assert names[-1] == "suppressed", names
        dims = [n for n in names if n not in VALUE_COLUMNS and n not in ("period", "suppressed")
                and not (n.startswith("p") and n[1:2].isdigit())]
        return {(r["period"],) + tuple(r[d] for d in dims): r for r in rows}

    def own(self, conn, kpi: str, column: str) -> dict[tuple, float]:
        """The caller's own site's ``column`` per (period, *dims), read through kpi_<kpi>_between."""
        names, rows = read_rows(conn, f"select * from analytics.kpi_{kpi}_between(%s, %s)", self.jwt(),
                                (date(2000, 1, 1), date(2100, 1, 1)))
        dims = [n for n in names if n not in VALUE_COLUMNS and n not in ("site_id", "period")
                and not (n.startswith("p") and n[1:2].isdigit())]
        assert {r["site_id"] for r in rows} <= {uuid.UUID(self.caller_site)}
        return {(r["period"],) + tuple(r[d] for d in dims): _norm(r[column]) for r in rows}

    # -- the caller's unknowns --------------------------------------------------------------------
    def cells(self, conn, b: Bounds, kpi: str, column: str, floor: int = 1) -> tuple[dict, list]:
        """A variable per listed cell of the view: the other sites' part of ``column``. Returns
        (key -> variable, hidden variables)."""
        view, own = self.view(conn, kpi), self.own(conn, kpi, column)
        out, hidden = {}, []
        for key, row in view.items():
            var = (kpi, column, key)
            out[key] = var
            mine = own.get(key, 0)
            if row["suppressed"]:
                b.unknown(var, floor if mine == 0 else 0)
                hidden.append(var)
            else:
                b.known(var, _norm(row[column]) - mine)
        return out, hidden


# --------------------------------------------------------------------------- #
# The relations a caller knows, per kind of KPI
# --------------------------------------------------------------------------- #


def marginal(b: Bounds, total: dict, parts: dict, project) -> None:
    """total[key'] = sum of parts[key] over the keys with project(key) == key' (a family's marginal)."""
    blocks: dict[tuple, list] = {}
    for key, var in parts.items():
        blocks.setdefault(project(key), []).append(var)
    for key in set(blocks) | set(total):
        t = total.get(key) or b.zero(("absent", key, id(total)))
        b.equal({t: 1, **{v: -1 for v in blocks.get(key, [])}})


def nested_steps(b: Bounds, steps: dict) -> None:
    """A funnel's step j + 1 holds at most step j's actors (per entry cell)."""
    for key, var in steps.items():
        prev = key[:-1] + (key[-1] - 1,)
        if prev in steps:
            b.at_least({steps[prev]: 1, var: -1})


def within(b: Bounds, inner: dict, outer: dict, covering) -> None:
    """Distinct actors: each inner cell holds at most its covering outer cell's actors, and an outer
    cell at most the sum of the inner cells it covers. ``covering(inner key)`` lists outer keys."""
    held: dict[tuple, list] = {}
    for key, var in inner.items():
        for okey in covering(key):
            if okey in outer:
                b.at_least({outer[okey]: 1, var: -1})
                held.setdefault(okey, []).append(var)
    for okey, var in outer.items():
        b.at_least({**{v: 1 for v in held.get(okey, [])}, var: -1})


def window_cover(days: int):
    def covering(key: tuple) -> list[tuple]:
        return [(key[0] + timedelta(days=i),) + key[1:] for i in range(days)]
    return covering


def calendar_cover(grain: str):
    def covering(key: tuple) -> list[tuple]:
        d = key[0]
        start = d - timedelta(days=d.weekday()) if grain == "week" else d.replace(day=1)
        return [(start,) + key[1:]]
    return covering


def cohorts(conn, b: Bounds, net: Network, kpi: str, hidden: list) -> None:
    """Retention: each period's retained actors (a cell) are at most the cohort's size, which every
    shown row of the cohort publishes (a cohort with no shown row hides its size: a cell too)."""
    view = net.view(conn, kpi)
    own_size = net.own(conn, kpi, "cohort_actors")
    retained, hid = net.cells(conn, b, kpi, "retained", floor=0)
    hidden.extend(hid)
    for cohort in sorted({key[0] for key in view}):
        keys = [key for key in view if key[0] == cohort]
        mine = max((own_size.get(key, 0) for key in keys), default=0)
        shown = [view[key] for key in keys if not view[key]["suppressed"]]
        size = (kpi, "cohort_actors", cohort)
        if shown:
            b.known(size, _norm(shown[0]["cohort_actors"]) - mine)
        else:
            b.unknown(size, 1 if mine == 0 else 0)
            hidden.append(size)
        for key in keys:
            b.at_least({size: 1, retained[key]: -1})
