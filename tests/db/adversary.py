"""What a network-tier caller can infer about hidden cells: bounds propagation over what it reads.

The caller reads every network view of its network (values of shown cells; hidden cells are
listed, so it knows each exists) and its own site's rows (site views, ``_between``), including
events it sent itself. It knows how the KPIs relate (a total is the sum of its breakdown, a
funnel's steps only shrink, a rolling window holds at least each of its days' actors). Every cell
value is a variable; shown cells are fixed, hidden ones start at [max(own, 1), inf) (a listed
cell has at least one event or actor; at least the caller's own contribution). Linear relations
(``sum(a_i * v_i) >= c`` or ``= c``) tighten the bounds until nothing moves: interval
arithmetic, no integer programming. The pass mark of issue 9: every hidden cell's interval is at
least k wide, so no hidden value is determined, nor narrowed below k.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

INF = math.inf


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

    def _max(self, a: float, var) -> float:
        return a * self.hi[var] if a > 0 else a * self.lo[var]

    def _min(self, a: float, var) -> float:
        return a * self.lo[var] if a > 0 else a * self.hi[var]

    def solve(self, rounds: int = 500) -> None:
        for _ in range(rounds):
            moved = False
            for coeffs, const, eq in self.rows:
                senses = [(coeffs, const)] + ([({v: -a for v, a in coeffs.items()}, -const)] if eq else [])
                for cs, c in senses:  # sum(a v) >= c
                    for var, a in cs.items():
                        rest = sum(self._max(b, w) for w, b in cs.items() if w != var)
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

    def width(self, var) -> float:
        return self.hi[var] - self.lo[var]


def value_of(row: tuple | None):
    """The first value column of a view row (period, dims) -> (values..., suppressed), or None."""
    return None if row is None or row[-1] else row[0]


def narrow(bounds: Bounds, hidden: list, k: int) -> list[tuple]:
    """The hidden cells whose values the caller pins to an interval narrower than k."""
    bounds.solve()
    return [(var, bounds.lo[var], bounds.hi[var]) for var in hidden if bounds.width(var) < k]


def add_cells(bounds: Bounds, name: str, view: dict, own: dict, column: int = 0) -> list:
    """Variables (name, key) for every listed cell of a view: shown ones fixed, hidden ones bounded
    by what the caller sent itself. Returns the hidden variables."""
    hidden = []
    for key, row in view.items():
        var = (name, key)
        if row[-1]:
            bounds.unknown(var, max(own.get(key, 0), 1))
            hidden.append(var)
        else:
            bounds.known(var, row[column])
    return hidden


def cell(bounds: Bounds, var, own: float = 0.0):
    """A variable for a cell the view does not list (no event): zero. Listed ones exist already."""
    if var not in bounds.lo:
        bounds.known(var, 0)
    return var
