"""KPI families: published KPIs that are marginals of one another, suppressed together.

Two KPIs count the same thing when they read the same events with the same tier and field
filters, at the same grain, with the same measure: events (``count``, and a ``percentile``'s
``n`` when its field is required in every selected event), distinct actors
(``distinct_actors``), or a rolling window of the same length over such KPIs.  Their cells are
then sums of the cells of one finer table over the union of their dimensions, so a caller who
subtracts the visible cells of a breakdown from a total (``error_count`` minus
``errors_by_code``) gets the combined value of the hidden ones.  Such KPIs form a *family*,
and the hidden cells of a family are chosen together, per network and period.

The relations are computed here, in Python; ``templates/sql/kpi/suppress.sql.j2`` prints one
statement per :class:`GroupKind` and loops until nothing changes (tests/db/kpi_reference.py
runs the same algorithm).  A group is a *block*: the cells of one member that share the values
of a subset ``M`` of its dimensions, with their total: the cell of the member whose dimensions
are exactly ``M`` (``total``), or, when no member publishes it but the blocks of two members
both sum to it (dimensions ``(x, y)`` and ``(x, z)`` over ``(x)``), an unpublished total that
either member's shown cells would give away (``total is None``, with ``siblings``). A KPI with
no published or derivable total over its breakdown has no group: nothing to subtract from.
Windows, weeks and months over days are related across periods instead (:func:`plan_covers`).

The rule, per block, until a whole pass over every kind hides nothing more:

- the total is hidden and no part is: hide the smallest part (else the total is their sum);
- the total is known and some parts are hidden, but they are not *protected*: hide the smallest
  visible part; when none is left, hide the total (a published one), or, for an unpublished
  total, the smallest cell of every other member's block of it that hides nothing, so it cannot
  be derived there.

Hidden parts are protected when there are at least two, from at least k + 1 sites, with at
least k + (number of hidden parts) distinct actors left after removing any one site: a caller
knows its own site's contribution and that every listed cell has at least one actor, so the
values consistent with what it reads still span k.  "Smallest" is the fewest distinct actors,
then the fewest sites, then the dimension values in byte order.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

from ...catalog import Arg, Function, Grant
from ...model import Kpi, Selection, Taxonomy
from ...sqlquote import literal
from ..bodies import render
from .common import GROUP, Dim, KpiPlan, join_on, window_days

#: the types whose cells are additive marginals of one another (funnels and retention are
#: suppressed by rules of their own, in their templates)
FAMILY_TYPES = ("count", "distinct_actors", "percentile", "rolling")


def _selection_key(sel: Selection) -> tuple:
    where = tuple(sorted((name, tuple(sorted(("true" if v else "false") if isinstance(v, bool) else str(v)
                                                for v in values))) for name, values in sel.where))
    return tuple(sorted(sel.events)), tuple(sorted(sel.tiers)), where


def _field_always_present(taxonomy: Taxonomy, kpi: Kpi) -> bool:
    assert kpi.selection is not None
    for event_id in kpi.selection.events:
        event = taxonomy.event(event_id)
        prop = next((p for p in event.properties if p.name == kpi.field), None) if event else None
        if prop is None or not prop.required or prop.value.type not in ("integer", "number"):
            return False
    return True


def basis(plan: KpiPlan, plans: dict[str, KpiPlan], grain: bool = True) -> tuple | None:
    """What a KPI's cells count; KPIs with equal bases are marginals of one table (None: no family).
    ``grain=False``: the same but for the period length."""
    kpi = plan.kpi
    if plan.type in ("count", "percentile", "distinct_actors"):
        assert kpi.selection is not None
        if plan.type == "distinct_actors":
            measure: tuple = ("actors",)
        elif plan.type == "count" or _field_always_present(plan.taxonomy, kpi):
            measure = ("events",)
        else:  # n counts only the events that carry the field
            measure = ("events with", kpi.field)
        return measure + (_selection_key(kpi.selection),) + ((kpi.grain,) if grain else ())
    if plan.type == "rolling":
        base = plans[kpi.base or ""]
        inner = basis(base, plans)
        return None if inner is None else ("rolling", window_days(kpi.window or ""), inner)
    return None


@dataclass(frozen=True)
class GroupKind:
    """Blocks of ``part``'s cells sharing the values of ``block`` (a subset of its dimensions)."""

    part: KpiPlan
    block: tuple[Dim, ...]
    total: KpiPlan | None  # the member publishing the block totals; None: not published
    siblings: tuple[KpiPlan, ...] = ()  # unpublished total: the other members with blocks of it

    @property
    def block_names(self) -> tuple[str, ...]:
        return tuple(d.column for d in self.block)


class Family:
    """One family: its members (sorted by name), its group kinds in the order the SQL applies them,
    and the SQL fragments the suppression template prints."""

    def __init__(self, members: list[KpiPlan], k_anon: int):
        self.members = sorted(members, key=lambda p: p.name)
        first = self.members[0]
        self.origin = first.origin
        self.fn = first.suppress_fn
        self.lock_key = literal("trackgen.kpi_family." + first.base_name)
        self.k = k_anon
        self.kinds = self._kinds()

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.members]

    def _kinds(self) -> list[GroupKind]:
        dims = {p.name: frozenset(d.column for d in p.dims) for p in self.members}
        # every dimension set a relation runs through: the members', their intersections, the period total
        sets = set(dims.values()) | {frozenset()}
        grew = True
        while grew:
            grew = False
            for a, b in combinations(sorted(sets, key=sorted), 2):
                if (a & b) not in sets:
                    sets.add(a & b)
                    grew = True
        ordered = sorted(sets, key=lambda s: (len(s), sorted(s)))
        out = []
        for part in self.members:
            mine = dims[part.name]
            for m in ordered:
                if not m <= mine:
                    continue
                publishers = [p for p in self.members if p is not part and dims[p.name] == m]
                block = tuple(d for d in part.dims if d.column in m)
                if publishers:
                    out += [GroupKind(part, block, total) for total in publishers]
                elif m != mine:
                    # an unpublished total matters only where another member's blocks sum to it too
                    siblings = tuple(p for p in self.members if p is not part and m < dims[p.name])
                    if siblings:
                        out.append(GroupKind(part, block, None, siblings))
        return out


def _cols(alias: str, dims: tuple[Dim, ...] | list[Dim]) -> str:
    return "".join(f", {alias}.{d.column}" for d in dims)


def _order(alias: str, dims: tuple[Dim, ...] | list[Dim]) -> str:
    return "".join(f", {alias}.{d.column}" + (' collate "C"' if d.type == "text" else "") for d in dims)


def _match(a: str, b: str, dims: tuple[Dim, ...] | list[Dim]) -> str:
    return join_on(a, b, list(dims), ("network_id", "period"))


def kind_sql(g: GroupKind) -> dict[str, object]:
    """The names and fragments ``templates/sql/kpi/suppress.sql.j2`` prints for one group kind."""
    part, block = g.part, g.block
    total = g.total
    return {
        "comment": (f"{part.name}: blocks by ({', '.join(g.block_names) or 'period'}), "
                    + (f"totals published by {total.name}" if total else "total not published")),
        "part_net": part.net,
        "c_dims": _cols("c", part.dims),
        "p_block": _cols("p", block),
        "b_block": _cols("b", block),
        "group_by": ", ".join(str(i) for i in range(1, 3 + len(block))),
        "member_table": part.member_table,
        "member_join": " and ".join(["m.network_id = p.network_id", part.member_period]
                                    + [f"m.{d.column} = p.{d.column}" for d in part.dims]),
        "total_net": total.net if total else None,
        "tot_b": _match("tot", "b", block),
        "s_b": _match("s", "b", block),
        "a_p": _match("a", "p", block),
        "p_dims": _cols("p", part.dims),
        "p_order": _order("p", part.dims),
        "c_pick": _match("c", "pick", part.dims),
        "c_a": _match("c", "a", block),
        "siblings": [{
            "net": q.net,
            "q_block": _cols("q", block),
            "q_dims": _cols("q", q.dims),
            "q_order": _order("q", q.dims),
            "a_q": _match("a", "q", block),
            "h_q": _match("h", "q", block),
            "c_pick": _match("c", f"pick{i}", q.dims),
        } for i, q in enumerate(g.siblings, start=1)],
    }


def family_function(family: Family, priv: str) -> Function:
    """The family's suppression function, called by every member's refresh with the (network, period)s it
    touched."""
    body = render("sql/kpi/suppress.sql.j2", fam=family, kinds=[kind_sql(g) for g in family.kinds], priv=priv,
                  k=family.k)
    return Function(priv, family.fn, (Arg("nets", "uuid[]"), Arg("periods", "date[]")), "void", body,
                    language="plpgsql", volatility="volatile", security="invoker",
                    comment=literal(f"Which network cells of KPIs {', '.join(family.names)} the views hide, "
                                    "for the given (network, period)s; see generator/plan/kpi/families.py."),
                    grants=(Grant("execute", ("service_role",)),), group=GROUP, origin=family.origin)


def plan_families(plans: list[KpiPlan], k_anon: int) -> list[Family]:
    """Group the stored additive KPIs by basis; sets each member's ``family``."""
    by_name = {p.name: p for p in plans}
    groups: dict[tuple, list[KpiPlan]] = {}
    for p in plans:
        if p.stored and p.type in FAMILY_TYPES:
            key = basis(p, by_name)
            if key is not None:
                groups.setdefault(key, []).append(p)
    families = sorted((Family(members, k_anon) for members in groups.values()), key=lambda f: f.names)
    for family in families:
        for p in family.members:
            p.family = family
    return families


# --------------------------------------------------------------------------- #
# Covers: a cell that holds every actor (or event) of finer cells
# --------------------------------------------------------------------------- #

#: coarser grain -> the finer grains whose periods nest in it, with the SQL of "b's period lies in m's"
NESTED = {
    "week": {"day": "b.period between m.period and m.period + 6"},
    "month": {"day": "b.period between m.period and (m.period + interval '1 month')::date - 1"},
}


@dataclass(frozen=True)
class Cover:
    """Cells of ``finer`` (with the covering KPI's dimensions, or more) that lie within a covering cell."""

    finer: KpiPlan
    period: str  # SQL over m (the covering cell) and b (a finer cell)
    days: tuple[int, int] | None  # a window: the finer cell's period, in days before m's (inclusive)
    grain: str | None  # a calendar period: the covering cell's grain


def plan_covers(plans: list[KpiPlan]) -> None:
    """Hide a cell, when read, if it holds a hidden finer cell.

    A rolling window holds every actor or event of each day of its base's family (with its
    dimensions or more) inside the window; a week or month those of the days of a KPI counting the
    same thing at a finer grain. A hidden day is then bounded by the windows and periods around it
    (distinct actors: at most the window's, at least the window's minus the shown days'), and with
    events two windows a day apart differ by one day entering and one leaving; so a window or
    period holding a hidden day is hidden too (a window over a count also when the day just
    before it is). Applied when the view is read, with the finer KPIs' current flags: hiding more
    never weakens what the families' groups protect. Sets each plan's ``covers`` and
    ``suppressed_expr``."""
    by_name = {p.name: p for p in plans}
    stored = [p for p in plans if p.stored and p.type in FAMILY_TYPES]
    keys = {p.name: basis(p, by_name) for p in stored}
    loose = {p.name: basis(p, by_name, grain=False) for p in stored}
    for c in stored:
        mine = {d.column for d in c.dims}
        covers: list[Cover] = []
        for f in stored:
            if f is c or f.type == "rolling" or not mine <= {d.column for d in f.dims}:
                continue
            if c.type == "rolling":
                base = next(p for p in stored if p.base_name == c.kpi.base)  # references hold sql_names
                if keys[f.name] == keys[base.name]:
                    reach = c.span + (0 if base.type == "distinct_actors" else 1)
                    covers.append(Cover(f, f"b.period between m.period - {reach} and m.period", (0, reach), None))
            elif loose[c.name] is not None and loose[f.name] == loose[c.name]:
                condition = NESTED.get(c.kpi.grain, {}).get(f.kpi.grain)
                if condition:
                    covers.append(Cover(f, condition, None, c.kpi.grain))
        c.covers = covers
        held = [f"exists (select 1 from {cv.finer.n.priv}.{cv.finer.net} as b where b.network_id = m.network_id"
                f" and {cv.period}"
                + "".join(f" and b.{d.column} = m.{d.column}" for d in c.dims)
                + " and b.hidden)" for cv in covers]
        c.suppressed_expr = "(" + " or ".join(["m.hidden"] + held) + ")" if held else "m.hidden"
