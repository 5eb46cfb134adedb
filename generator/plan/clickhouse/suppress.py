"""Secondary suppression on ClickHouse: PostgreSQL's network-cell rules, computed when a view is read.

PostgreSQL hides a network cell for three reasons beyond the k rule (``generator/plan/kpi/families.py``,
``templates/sql/kpi/suppress.sql.j2``, ``percentile.sql.j2``):

- **families**: KPIs that are marginals of one another (``error_count`` and ``errors_by_code``)
  hide cells together, block by block, pass after pass until a whole pass hides nothing;
- **covers**: a week, a month (or a rolling window) holding a hidden finer cell is hidden too;
- **thin tails**: a percentile value with fewer than k actors (after removing any one site) at or
  above it, or at or below it, is null.

ClickHouse computes the same flags at read time, for the caller's network only, from the same
aggregate tables the views read (so a flag is never older than the value it hides):

- a family with group kinds gets one private view, ``analytics_private.kpi_<first member>_family``:
  every member's cells of one period gathered into arrays, and the fixed point computed by
  ``arrayFold`` over a bounded number of steps.  Each step applies one group kind to a snapshot of
  the flags, as PostgreSQL's one statement per kind does, the kinds in PostgreSQL's order; a pass
  that hides nothing leaves the flags unchanged, and every other pass hides at least one cell, so
  ``cells x kinds`` steps always reach PostgreSQL's fixed point (later steps change nothing);
- the (site, actor) pairs a block's hidden parts protect come from a ``groupUniqArray`` state
  (``actor_set``), kept only by the KPIs that are parts of a group kind;
- covers and tails are joins and array expressions in each network view.

Names, positions and the SQL text are decided here; the printer prints ``ChView`` queries as they are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import PlanError
from ..kpi.families import Family, GroupKind
from .catalog import ChView, quote

if TYPE_CHECKING:  # pragma: no cover
    from . import ChKpi, ChNames

#: the (site, actor) pairs of a cell: what the protection of hidden parts counts
PAIRS_TYPE = "Array(Tuple(UUID, String))"
NO_PAIRS = f"CAST([], '{PAIRS_TYPE}')"


def let(name: str, value: str, body: str) -> str:
    """``body`` with ``name`` bound to ``value``, evaluated once (ClickHouse lambdas have no let)."""
    return f"arrayMap({name} -> {body}, [{value}])[1]"


def actors_but_one(pairs: str, var: str = "pp") -> str:
    """PostgreSQL's ``kpi_actors_but_one`` over an array of distinct (site, actor) pairs: the distinct
    actors left after removing the one site whose removal leaves fewest.  Removing site s leaves
    every actor seen at another site, i.e. all actors minus those seen only at s, so the minimum over
    the pairs' sites equals PostgreSQL's count minus the largest number of actors seen at one site
    only (0 for no pairs, as ``max`` of nothing is coalesced to 0 there and arrayMin of [] is 0)."""
    body = (f"arrayMin(arrayMap(s -> length(arrayDistinct(arrayMap(x -> x.2, arrayFilter(x -> x.1 != s, {var})))), "
            f"arrayDistinct(arrayMap(x -> x.1, {var}))))")
    return let(var, pairs, body)


def pair_sites(pairs: str) -> str:
    return f"length(arrayDistinct(arrayMap(x -> x.1, {pairs})))"


def cell_key(dims: list[str]) -> str:
    """A cell's dimension values as one non-null key: PostgreSQL's caches store a missing payload
    value as '' (``MISSING``), which is also where it sorts (byte order, collate "C")."""
    if not dims:
        return "CAST([], 'Array(String)')"
    return "CAST([" + ", ".join(f"ifNull({d}, '')" for d in dims) + "], 'Array(String)')"


def caller_network(n: ChNames, tiers: tuple[str, ...] | list[str]) -> str:
    """The caller's network (NULL for an unknown user or a tier that may not read networks)."""
    allowed = ", ".join(quote(t) for t in tiers) or "NULL"
    return (f"(\n      SELECT anyOrNull(r.network_id) FROM {n.readers} AS r FINAL\n"
            f"      WHERE r.user_name = currentUser() AND r.tier IN ({allowed}))")


def _dims(plan) -> list[str]:
    return [d.column.strip('"') for d in plan.dims]


def _blk(var: str, positions: list[int]) -> str:
    """The block key of cell ``var`` (the listed 1-based positions of its key)."""
    if not positions:
        return "CAST([], 'Array(String)')"
    return "[" + ", ".join(f"ck[{var}][{p}]" for p in positions) + "]"


#: the fold's accumulator: the flags, whether the current pass hid a cell, whether a pass hid none
FOLD_TYPE = "Tuple(Array(UInt8), UInt8, UInt8)"


def fold_step(step: str, kinds: int) -> str:
    """One fold step over ``acc``: group kind ``st % kinds`` applied to the flags (``step`` reads
    them as ``h``), until a whole pass hid nothing; after that the step returns ``acc`` unchanged
    without evaluating ``step`` (``if`` evaluates only the rows that take its branch), which is
    where PostgreSQL's loop exits."""
    first = f"st % {kinds} = 0"
    moved = f"(if({first}, 0, tupleElement(acc, 2)) OR nh != h)"
    body = let("h", "tupleElement(acc, 1)", let("nh", step, f"CAST((nh, {moved}, st % {kinds} = {kinds - 1} AND NOT {moved}), '{FOLD_TYPE}')"))
    return f"if(tupleElement(acc, 3) = 1, acc, {body})"


class ChFamily:
    """One PostgreSQL family whose members all have a ClickHouse aggregate, and its flags view."""

    def __init__(self, family: Family, kpis: dict[str, ChKpi], n: ChNames):
        self.family = family
        self.members = [kpis[p.name] for p in family.members]
        self.index = {p.name: i for i, p in enumerate(family.members, start=1)}
        self.n = n
        self.k = family.k
        self.name = f"kpi_{family.members[0].base_name}_family"
        self.qualified = f"{n.priv}.{self.name}"
        self.parts = {g.part.name for g in family.kinds}

    def _positions(self, plan, block: tuple[str, ...]) -> list[int]:
        dims = _dims(plan)
        return [dims.index(b) + 1 for b in block]

    def kind_sql(self, g: GroupKind) -> str:
        """One statement of suppress.sql.j2 as a function of the flags ``h``: every block's action from
        the snapshot ``h``, then the cells it hides."""
        k = self.k
        block = tuple(b.strip('"') for b in g.block_names)
        part = self.index[g.part.name]
        bp = _blk("i", self._positions(g.part, block))
        cells = "arrayEnumerate(cm)"
        hid = f"arrayFilter(i -> cm[i] = {part} AND h[i] AND {bp} = b, {cells})"
        n_shown = f"arrayCount(i -> cm[i] = {part} AND NOT h[i] AND {bp} = b, {cells})"
        if g.total is not None:
            tp = _blk("i", self._positions(g.total, block))
            tot = f"arrayExists(i -> cm[i] = {self.index[g.total.name]} AND h[i] AND {tp} = b, {cells})"
        else:
            tot = "0"
        pairs = "arrayDistinct(arrayFlatten(arrayMap(i -> cp[i], hid)))"
        enough = f"{pair_sites('hp')} > {k} AND {actors_but_one('hp')} >= {k} + length(hid)"
        protected = f"length(hid) >= 2 AND {let('hp', pairs, enough)}"
        act = (f"multiIf({tot}, if(length(hid) = 0, 1, 0), "
               f"length(hid) > 0 AND NOT ({protected}), if({n_shown} > 0, 1, 2), 0)")
        # the smallest visible part: fewest actors, then fewest sites, then the key in byte order
        pick = f"arraySort(i -> (ca[i], cs[i], ck[i]), arrayFilter(i -> cm[i] = {part} AND NOT h[i] AND {bp} = b, {cells}))[1]"
        per_block = let("hid", hid, f"(toUInt8({act}), toUInt64({pick}))")
        blocks = f"arrayDistinct(arrayMap(i -> {bp}, arrayFilter(i -> cm[i] = {part}, {cells})))"
        action = "tupleElement(ap[indexOf(bl, {key})], {n})"
        branches = [f"cm[i] = {part}", f"{action.format(key=bp, n=1)} = 1 AND {action.format(key=bp, n=2)} = i"]
        if g.total is not None:
            tp = _blk("i", self._positions(g.total, block))
            branches += [f"cm[i] = {self.index[g.total.name]}", f"{action.format(key=tp, n=1)} = 2"]
        for q in g.siblings:
            qpos = self._positions(q, block)
            qi, qj = _blk("i", qpos), _blk("j", qpos)
            qn = self.index[q.name]
            branches += [f"cm[i] = {qn}",
                         f"{action.format(key=qi, n=1)} = 2"
                         f" AND NOT arrayExists(j -> cm[j] = {qn} AND h[j] AND {qj} = {qi}, {cells})"
                         f" AND i = arraySort(j -> (ca[j], cs[j], ck[j]), arrayFilter(j -> cm[j] = {qn} AND {qj} = {qi}, {cells}))[1]"]
        hide = "multiIf(" + ", ".join(branches + ["0"]) + ")"
        return let("bl", blocks, let("ap", f"arrayMap(b -> {per_block}, bl)", f"arrayMap(i -> h[i] OR {hide}, {cells})"))

    def view(self) -> ChView:
        n, k = self.n, self.k
        selects = []
        for i, ck in enumerate(self.members, start=1):
            pairs = ("groupUniqArrayArray(arrayMap(a -> (site_id, a), finalizeAggregation(actor_set)))"
                     if ck.plan.name in self.parts else NO_PAIRS)
            group = ", ".join(["period"] + ck.dim_names)
            selects.append(
                f"  SELECT {i} AS m, period, {cell_key(ck.dim_names)} AS key, uniqExactMerge(actors) AS actors,\n"
                f"    uniqExact(site_id) AS sites, {pairs} AS pairs\n"
                f"  FROM {ck.table}\n  WHERE network_id = {caller_network(n, ck.network_tiers)}\n  GROUP BY {group}")
        kinds = [self.kind_sql(g) for g in self.family.kinds]
        if len(kinds) == 1:
            step = kinds[0]
        else:
            step = "multiIf(" + ", ".join(f"st % {len(kinds)} = {j}, {x}" for j, x in enumerate(kinds[:-1])) \
                   + f", {kinds[-1]})"
        names = "[" + ", ".join(quote(ck.plan.name) for ck in self.members) + "]"
        query = (
            f"SELECT {names}[tupleElement(z, 1)] AS kpi, period, tupleElement(z, 2) AS key, tupleElement(z, 3) AS hidden\n"
            "FROM (\n"
            "SELECT period, arrayJoin(arrayZip(cm, ck, flags)) AS z\n"
            "FROM (\n"
            "  SELECT period, arrayMap(c -> c.1, cells) AS cm, arrayMap(c -> c.2, cells) AS ck,\n"
            "    arrayMap(c -> c.3, cells) AS ca, arrayMap(c -> c.4, cells) AS cs, arrayMap(c -> c.5, cells) AS cp,\n"
            f"    tupleElement(arrayFold((acc, st) -> {fold_step(step, len(kinds))},\n"
            f"      range(length(cm) * {len(kinds)}),\n"
            f"      CAST((arrayMap(i -> cs[i] < {k} OR ca[i] < {k}, arrayEnumerate(cm)), 0, 0), '{FOLD_TYPE}')), 1)"
            " AS flags\n"
            "  FROM (\n  SELECT period, groupArray((m, key, actors, sites, pairs)) AS cells\n  FROM (\n"
            + "\n  UNION ALL\n".join(selects)
            + ")\n  GROUP BY period)))")
        return ChView(n.priv, self.name, query,
                      (("kpi", "String"), ("period", "Date"), ("key", "Array(String)"), ("hidden", "UInt8")),
                      comment=f"Which network cells of KPIs {', '.join(self.family.names)} are hidden with their "
                              "family, for the caller's network (PostgreSQL's suppression function, at read time).",
                      origin=self.members[0].origin)


def needed(plans: list, published: set[str], k_anon: int) -> set[str]:
    """Stored KPIs whose aggregates the network rules of published KPIs read although they are not
    published themselves (a deprecated version still suppressed with its successor on PostgreSQL):
    every member of a family with group kinds that has a published member, and the finer KPI of
    every cover of a published KPI (``plans`` with their covers set, ``plan_covers``)."""
    from ..kpi.families import plan_families

    out: set[str] = set()
    for family in plan_families(plans, k_anon):
        if family.kinds and any(p.name in published for p in family.members):
            out |= {p.name for p in family.members}
    for p in plans:
        if p.name in published:
            out |= {cv.finer.name for cv in p.covers}
    return out - published


class Suppression:
    """Every ClickHouse KPI's secondary rules: its family's flags view, its covers, and which
    aggregates keep actor sets (``plans`` with their covers set, ``plan_covers``)."""

    def __init__(self, plans: list, kpis: list[ChKpi], n: ChNames):
        from ..kpi.families import plan_families

        self.n = n
        by_name = {ck.plan.name: ck for ck in kpis}
        self.kpis = by_name
        self.families: list[ChFamily] = []
        self.family_of: dict[str, ChFamily] = {}
        for family in plan_families(plans, n.k):
            if not family.kinds or not any(p.name in by_name and by_name[p.name].published for p in family.members):
                continue
            missing = [p.name for p in family.members if p.name not in by_name]
            if missing:
                raise PlanError("E923", f"KPI family {', '.join(family.names)}: {', '.join(missing)} has no "
                                "ClickHouse aggregate, so ClickHouse cannot hide the family's network "
                                "cells as PostgreSQL does", None)
            fam = ChFamily(family, by_name, n)
            self.families.append(fam)
            for p in family.members:
                self.family_of[p.name] = fam
        self.covers = {name: list(ck.plan.covers) for name, ck in by_name.items() if ck.published}
        for covers in self.covers.values():
            for cv in covers:
                if cv.finer.name not in by_name:
                    raise PlanError("E923", f"KPI {cv.finer.name} has no ClickHouse aggregate, so "
                                    "ClickHouse cannot hide the cells of the KPIs covering it as PostgreSQL does", None)

    def keeps_pairs(self, ck: ChKpi) -> bool:
        fam = self.family_of.get(ck.plan.name)
        return fam is not None and ck.plan.name in fam.parts

    def views(self) -> list[ChView]:
        return [f.view() for f in self.families]

    def hidden_cells(self, ck: ChKpi) -> str:
        """(period, key) of ``ck``'s hidden network cells (its family's flags, without covers)."""
        fam = self.family_of.get(ck.plan.name)
        if fam is not None:
            return f"SELECT period, key FROM {fam.qualified} WHERE kpi = {quote(ck.plan.name)} AND hidden"
        k = self.n.k
        group = ", ".join(["period"] + ck.dim_names)
        return (f"SELECT period, {cell_key(ck.dim_names)} AS key FROM {ck.table}\n"
                f"    WHERE network_id = {caller_network(self.n, ck.network_tiers)}\n"
                f"    GROUP BY {group} HAVING uniqExact(site_id) < {k} OR uniqExactMerge(actors) < {k}")

    def joins(self, ck: ChKpi) -> tuple[list[str], list[str]]:
        """The joins a network view adds to its cells ``c`` and the conditions that hide a cell."""
        joins, hidden = [], []
        fam = self.family_of.get(ck.plan.name)
        if fam is not None:
            joins.append(f"LEFT JOIN (SELECT period, key, hidden FROM {fam.qualified} WHERE kpi = {quote(ck.plan.name)})"
                         " AS f ON f.period = c.period AND f.key = c.cell_key")
            hidden.append("f.hidden = 1")
        more_joins, more_hidden = self.cover_joins(self.covers.get(ck.plan.name, []), ck.dim_names)
        return joins + more_joins, hidden + more_hidden

    def cover_joins(self, covers: list, dim_names: list[str]) -> tuple[list[str], list[str]]:
        """The joins and conditions that hide a cell ``c`` (with ``c.period`` and ``c.cell_key``) holding
        a hidden cell of a finer KPI: a week or month its days, a rolling window the days it spans."""
        joins, hidden = [], []
        for i, cv in enumerate(covers, start=1):
            finer = self.kpis[cv.finer.name]
            fdims = finer.dim_names
            key = "[" + ", ".join(f"h.key[{fdims.index(d) + 1}]" for d in dim_names) + "]" if dim_names \
                else "CAST([], 'Array(String)')"
            if cv.days is not None:
                period = f"addDays(h.period, arrayJoin(range({cv.days[0]}, {cv.days[1] + 1})))"
            else:
                period = {"week": "toMonday(h.period)", "month": "toStartOfMonth(h.period)"}[cv.grain or ""]
            joins.append(f"LEFT JOIN (SELECT DISTINCT {period} AS period, {key} AS key, 1 AS hit\n"
                         f"  FROM ({self.hidden_cells(finer)}) AS h) AS cv{i}"
                         f" ON cv{i}.period = c.period AND cv{i}.key = c.cell_key")
            hidden.append(f"cv{i}.hit = 1")
        return joins, hidden


def tail_hidden(column: str, k: int) -> str:
    """A percentile value with fewer than k actors (after removing any one site) at or above it, or
    at or below it, over the cell's (measure, site, actor) triples ``cell_values``."""
    def side(op: str) -> str:
        return actors_but_one(f"arrayDistinct(arrayMap(x -> (x.2, x.3), arrayFilter(x -> x.1 {op} {column}, cell_values)))")
    return f"least({side('>=')}, {side('<=')}) < {k}"
