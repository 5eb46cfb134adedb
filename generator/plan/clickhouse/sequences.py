"""ClickHouse lowering of the KPIs that follow an actor over time: funnels, retention, rolling windows.

The same plans as PostgreSQL's (``generator/plan/kpi/{funnel,retention,rolling}.py``), printed a
second time. None of ClickHouse's built-in sequence functions is used, because none has the
documented semantics (docs/clickhouse.md, "Funnels, retention, rolling windows"):

- **funnel**: one ``AggregatingMergeTree`` row per (site, actor) keeps the set of the actor's
  funnel events (``groupUniqArrayState`` of (time, event key, step mask, network, dimensions); a
  set, so an event inserted twice counts once, as under the event store's key). The reads
  evaluate every attempt (one per step-1 event) with array functions: ``ordered`` and ``strict``
  by folding over the actor's distinct instants, ``any`` by Hall's condition over the events in
  the window (a matching that gives every step a different event), exactly as
  ``kpi_funnel_depth`` does on PostgreSQL;
- **retention**: one row per (site, actor) with the first cohort event (``minIfState`` of (time,
  network)) and the set of periods with a returning event (``groupUniqArrayIfState``); the
  cohort is the calendar period of the first cohort event, period N the cohort's N-th next;
- **rolling**: nothing stored; the base KPI's per-day ``uniqExact`` (or ``count``) states are
  merged over each trailing window at read time (each base day feeds the ``window`` days that
  end on or after it), which is exact for distinct actors where a sum of daily counts is not.

Network views list every cell, hidden ones with null values and ``suppressed = true``: funnels
and retention by PostgreSQL's own rule for them (funnel.sql.j2, retention.sql.j2: small steps
or periods, small drop-out bands or lapsed members, thin cohorts), evaluated per cell at read
time; rolling windows by the k rule of the other ClickHouse network views (fewer than k distinct
sites or actors). A funnel step's conversions use the shown steps only, as on PostgreSQL.
"""

from __future__ import annotations

import re
from itertools import combinations

from ...model import Taxonomy
from ..kpi.common import window_days
from ..kpi.funnel import FunnelPlan
from ..kpi.retention import RetentionPlan
from ..kpi.rolling import RollingPlan
from .catalog import ChColumn, ChMaterializedView, ChObject, ChRows, ChTable, ChView, quote
from .suppress import cell_key

#: type of one funnel event in the per-actor set (time, event key, step bits, network, dimensions...)
_TIME = "DateTime64(6, 'UTC')"


def _rate(num: str, den: str) -> str:
    """``round(num / den, 6)`` as PostgreSQL's numeric rounds it (half away from zero), NULL for a
    zero or NULL denominator: integer arithmetic, then one division (ClickHouse's ``round`` on
    Float64 rounds half to even)."""
    return f"if(coalesce({den}, 0) = 0, NULL, intDiv({num} * 2000000 + {den}, 2 * {den}) / 1000000)"


# -- sets of (site, actor, ...) tuples, as the PostgreSQL suppression rules count them ---------------


def _sites(pairs: str) -> str:
    return f"length(arrayDistinct(arrayMap(u -> tupleElement(u, 1), {pairs})))"


def _actors(pairs: str) -> str:
    return f"length(arrayDistinct(arrayMap(u -> tupleElement(u, 2), {pairs})))"


def _actors_but_one(pairs: str) -> str:
    """analytics_private.kpi_actors_but_one over distinct (site, actor, ...) tuples: the distinct actors
    left after removing the site holding the most actors seen at no other site."""
    alone = f"arrayFilter(u -> arrayCount(w -> tupleElement(w, 2) = tupleElement(u, 2), {pairs}) = 1, {pairs})"
    per_site = (f"arrayMap(z -> arrayCount(u -> tupleElement(u, 1) = z, {alone}), "
                f"arrayMap(u -> tupleElement(u, 1), {alone}))")
    return f"({_actors(pairs)} - arrayMax(arrayConcat([toUInt64(0)], {per_site})))"


def _interval(text: str) -> str:
    """A funnel window ("14 days", "5 minutes", "1 month") as a ClickHouse interval: added to the
    step-1 event's time like PostgreSQL's ``timestamptz + interval`` in UTC (months by the calendar)."""
    m = re.fullmatch(r"\s*([1-9][0-9]*)\s*(minute|hour|day|week|month)s?\s*", text)
    if not m:
        raise ValueError(f"cannot read window {text!r}")
    return f"toInterval{m.group(2).capitalize()}({m.group(1)})"


def _where(condition: str | None, indent: str) -> str:
    return f"\n{indent}WHERE {condition}" if condition else ""


def _reader(n, column: str, tiers: tuple[str, ...]) -> str:
    """The caller's site or network, as the existing views compare it (a constant before the read)."""
    listed = ", ".join(quote(t) for t in tiers) or "NULL"
    return (f"{column} = (\n      SELECT anyOrNull(r.{column}) FROM {n.readers} AS r FINAL\n"
            f"      WHERE r.user_name = currentUser() AND r.tier IN ({listed}))")


class _Seq:
    """What the three kinds share: names, reader tiers, dimension columns and the k rule."""

    def __init__(self, plan, taxonomy: Taxonomy, n):
        self.plan = plan
        self.n = n
        self.base = plan.base_name
        self.table = f"{n.priv}.kpi_{self.base}"
        self.site_tiers = taxonomy.site_reader_tiers(plan.kpi.sql_name)
        self.network_tiers = taxonomy.network_reader_tiers
        self.origin = f"kpi:{plan.kpi.sql_name}"

    def hidden(self, sites: str, actors: str) -> str:
        return f"({sites} < {self.n.k} OR {actors} < {self.n.k})"

    #: what hides a network cell beyond the k rule (funnels, retention: PostgreSQL's own rule for them)
    own_rule = ""

    def network_comment(self) -> str:
        return (f"KPI {self.plan.name} across the caller's network; cells behind fewer than {self.n.k} sites "
                f"or actors{self.own_rule} are listed with null values and suppressed = true.")


class ChFunnel(_Seq):
    """A funnel: per (site, actor) the set of its funnel events; attempts evaluated at read time."""

    own_rule = ", or whose drop-outs from the previous shown step are too few,"

    def __init__(self, plan: FunnelPlan, taxonomy: Taxonomy, n, selection_filter, grain, dim_expr):
        super().__init__(plan, taxonomy, n)
        kpi = plan.kpi
        self.steps = kpi.steps
        self.n_steps = len(kpi.steps)
        self.mode = kpi.order
        self.window = _interval(kpi.window or "")
        self.filters = [selection_filter(n, f"{self.base}.step{i}", st.selection)
                        for i, st in enumerate(kpi.steps, start=1)]
        self.sets = [(f"{self.base}.step{i}", st.selection) for i, st in enumerate(kpi.steps, start=1)]
        self.dims = [(d.column.strip('"'), dim_expr(d.column.strip('"'), d.expr)) for d in plan.by]
        self.dim_names = [name for name, _e in self.dims]
        self.period = grain(kpi.grain, n.tz).replace("occurred_at", "tupleElement(a, 1)")
        self.tuple_type = (f"Tuple({_TIME}, UUID, UInt16, Nullable(UUID)"
                           + "".join(", Nullable(String)" for _ in self.dims) + ")")

    # -- storage ------------------------------------------------------------------------------
    def objects(self) -> list[ChObject]:
        n = self.n
        mask = " + ".join(f"if({f}, {1 << i}, 0)" for i, f in enumerate(self.filters, start=1))
        first = self.filters[0]
        dims = "".join(f", if({first}, {expr}, NULL)" for _name, expr in self.dims)
        either = "\n   OR ".join(f"({f})" for f in self.filters)
        query = ("SELECT\n  site_id,\n  actor_hash,\n"
                 f"  groupUniqArrayState(CAST(tuple(occurred_at, idempotency_key, {mask}, network_id{dims}) "
                 f"AS {self.tuple_type})) AS events\n"
                 f"FROM {{source}}\nWHERE {either}\nGROUP BY site_id, actor_hash")
        table = ChTable(n.priv, f"kpi_{self.base}",
                        (ChColumn("site_id", "UUID"), ChColumn("actor_hash", "String"),
                         ChColumn("events", f"AggregateFunction(groupUniqArray, {self.tuple_type})",
                                  "the actor's funnel events: (time, event key, bit s set when it meets step s, "
                                  "network, step-1 dimensions)")),
                        "AggregatingMergeTree", "(site_id, actor_hash)",
                        comment=f"KPI {self.plan.name}: every funnel event per site and actor.",
                        role="cache", shard_key="cityHash64(site_id)", rebuild=query, origin=self.origin)
        mv = ChMaterializedView(n.priv, f"kpi_{self.base}_mv", table.qualified, query, source=n.events,
                                comment=f"Adds every inserted funnel event to KPI {self.plan.name}.",
                                origin=self.origin)
        return [table, mv, self.site_view(), self.network_view()]

    # -- attempts -----------------------------------------------------------------------------
    def _depth(self) -> tuple[list[str], str]:
        """Columns computed per (site, actor) before the attempts, and the depth of the attempt anchored
        at step-1 event ``a`` over them: kpi_funnel_depth's rules, one expression per mode.

        ``ordered``/``strict``: a fold over the actor's distinct instants ``ts`` (with ``tm``, the OR of
        the step bits of the events at each instant) after ``a`` and within the window: the next step's
        bit at an instant moves the attempt on; ``strict`` ends it at the first instant without it.
        ``any``: ``ms``, the step bits of the actor's events in the window other than ``a``; depth d is
        reached when every set of steps 2..d is met by at least as many events (Hall's condition for
        a matching that gives each step a different event), checked level by level up to the first
        that fails; the last, always failing level ([1]: no event has bit 0) makes the index of that
        first failure the depth."""
        stop = f"tupleElement(a, 1) + {self.window}"
        if self.mode == "any":
            levels = []
            for d in range(2, self.n_steps + 1):
                below = list(range(2, d))
                sets = sorted(sum(1 << s for s in sub) | (1 << d)
                              for r in range(len(below) + 1) for sub in combinations(below, r))
                levels.append("[" + ", ".join(str(x) for x in sets) + "]")
            levels.append("[1]")
            ms = ("arrayMap(e -> tupleElement(e, 3), arrayFilter(e -> tupleElement(e, 1) >= tupleElement(a, 1)"
                  f" AND tupleElement(e, 1) <= {stop}"
                  " AND NOT (tupleElement(e, 1) = tupleElement(a, 1) AND tupleElement(e, 2) = tupleElement(a, 2)), seq))")
            depth = ("arrayFirstIndex(need -> NOT arrayAll(x -> arrayCount(m -> bitAnd(m, x) != 0, ms) >= bitCount(x), need),\n"
                     f"          [{', '.join(levels)}])")
            return [f"{ms} AS ms"], depth
        strict = 1 if self.mode == "strict" else 0
        ts = "arrayDistinct(arrayMap(e -> tupleElement(e, 1), seq)) AS ts"
        tm = ("arrayMap(t -> arrayFold((acc, e) -> if(tupleElement(e, 1) = t, bitOr(acc, tupleElement(e, 3)), acc), "
              "seq, toUInt16(0)), arrayDistinct(arrayMap(e -> tupleElement(e, 1), seq))) AS tm")
        depth = ("tupleElement(arrayFold((acc, t, m) -> if(tupleElement(acc, 2) = 1 OR t <= tupleElement(a, 1)"
                 f" OR t > {stop} OR tupleElement(acc, 1) >= {self.n_steps}, acc,\n"
                 "            if(bitTest(m, tupleElement(acc, 1) + 1), (toUInt8(tupleElement(acc, 1) + 1), toUInt8(0)),"
                 f" (tupleElement(acc, 1), toUInt8({strict})))),\n"
                 "          ts, tm, (toUInt8(1), toUInt8(0))), 1)")
        return [ts, tm], depth

    def attempts(self, where: str | None) -> str:
        """One row per attempt: site, actor, the network, period and dimensions of its step-1 event, depth."""
        per_actor, depth = self._depth()
        dims = "".join(f",\n        tupleElement(a, {5 + i}) AS {name}" for i, name in enumerate(self.dim_names))
        ind = "\n" + " " * 24
        seq = (f"SELECT site_id, actor_hash, arraySort(groupUniqArrayMerge(events)) AS seq{ind}FROM {self.table}"
               f"{_where(where, ind[1:])}{ind}GROUP BY site_id, actor_hash")
        anchors = "arrayJoin(arrayFilter(e -> bitTest(tupleElement(e, 3), 1), seq)) AS a"
        if self.mode == "any":  # the window's other events are chosen per anchor
            rows = (f"SELECT site_id, actor_hash, a, {per_actor[0]}\n"
                    f"            FROM (SELECT site_id, actor_hash, seq, {anchors}\n"
                    f"                  FROM ({seq}))")
        else:  # the instants are the actor's, whatever the anchor
            rows = (f"SELECT site_id, actor_hash, a, {', '.join(per_actor)}\n"
                    f"            FROM (SELECT site_id, actor_hash, seq, {anchors}\n"
                    f"                  FROM ({seq}))")
        return (f"SELECT site_id, actor_hash, tupleElement(a, 4) AS network_id,\n        {self.period} AS period{dims},\n"
                f"        {depth} AS depth\n"
                f"      FROM ({rows})")

    def _names(self) -> str:
        return "[" + ", ".join(quote(s.name) for s in self.steps) + "]"

    # -- reads --------------------------------------------------------------------------------
    def site_view(self) -> ChView:
        n = self.n
        cell = ", ".join(["site_id", "period"] + self.dim_names)
        counts = f"arrayMap(j -> toUInt64(depth >= j), range(1, {self.n_steps + 1}))"
        query = (f"SELECT {cell},\n  toInt16(j) AS step,\n  {self._names()}[j] AS step_name,\n"
                 "  counts[j] AS actors,\n"
                 f"  {_rate('counts[j]', 'counts[1]')} AS conversion,\n"
                 f"  if(j = 1, NULL, {_rate('counts[j]', 'counts[j - 1]')}) AS step_conversion\n"
                 f"FROM (\n  SELECT {cell}, counts, arrayJoin(arrayEnumerate(counts)) AS j\n"
                 f"  FROM (\n    SELECT {cell}, sumForEach({counts}) AS counts\n"
                 f"    FROM (\n      SELECT {cell}, actor_hash, max(depth) AS depth\n"
                 f"      FROM (\n      {self.attempts(_reader(n, 'site_id', self.site_tiers))})\n"
                 f"      GROUP BY {cell}, actor_hash)\n"
                 f"    GROUP BY {cell}))")
        dims = tuple((d, "Nullable(String)") for d in self.dim_names)
        return ChView(n.pub, f"kpi_{self.base}", query,
                      (("site_id", "UUID"), ("period", "Date")) + dims
                      + (("step", "Int16"), ("step_name", "String"), ("actors", "UInt64"),
                         ("conversion", "Nullable(Float64)"), ("step_conversion", "Nullable(Float64)")),
                      comment=f"KPI {self.plan.name} for the caller's own site: actors reaching each step "
                              "of attempts starting in the period.",
                      origin=self.origin)

    def _hidden_steps(self) -> str:
        """Which steps of one network entry cell are hidden (1) or shown (0), from ``members``, its
        (site, actor, depth) tuples (depth: the actor's deepest attempt at that site): the rule of
        funnel.sql.j2 and of the reference's ``_funnel``.

        First the steps with fewer than k sites or actors. Then passes until nothing moves: for each
        shown step b with a shown step before it (a, the last one), the band of actors who reached a
        but not b (at any site) must be none or k actors at k sites when b follows a directly, and k
        actors after removing any one site at more than k sites when hidden steps lie between;
        otherwise b is hidden. Then, when a step after the last shown one is hidden, the actors who
        reached the last shown step must be k after removing any one site, at more than k sites, or
        it is hidden too. A pass that moves nothing is a fixpoint and every pass but the last moves a
        step, so n + 1 passes reach it (a fold over the passes; a fold over one-element arrays
        binds a and the last shown step)."""
        k, n_steps = self.n.k, self.n_steps
        at = lambda j: f"arrayFilter(x -> tupleElement(x, 3) >= {j}, members)"  # noqa: E731
        first = f"arrayMap(j -> toUInt8({_sites(at('j'))} < {k} OR {_actors(at('j'))} < {k}), range(1, {n_steps + 1}))"
        band = ("arrayFilter(x -> tupleElement(x, 3) >= a AND NOT has(arrayMap(y -> tupleElement(y, 2), "
                "arrayFilter(y -> tupleElement(y, 3) >= b, members)), tupleElement(x, 2)), members)")
        bad = (f"if(b = a + 1, {_actors(band)} > 0 AND ({_actors(band)} < {k} OR {_sites(band)} < {k}), "
               f"{_actors_but_one(band)} < {k} OR {_sites(band)} <= {k})")
        tail_bad = f"{_actors_but_one(at('t'))} < {k} OR {_sites(at('t'))} <= {k}"
        hide = lambda arr, i: f"arrayMap((v, i) -> if(i = {i}, toUInt8(1), v), {arr}, arrayEnumerate({arr}))"  # noqa: E731
        band_rule = (f"if(h1[b] = 1, h1, arrayFold((h2, a) -> if(a = 0 OR NOT ({bad}), h2, {hide('h2', 'b')}),\n"
                     "              [arrayLastIndex((v, i) -> v = 0 AND i < b, h1, arrayEnumerate(h1))], h1))")
        tail_rule = (f"arrayFold((h2, t) -> if(t = 0 OR t >= {n_steps} OR NOT ({tail_bad}), h2, {hide('h2', 't')}),\n"
                     "              [arrayLastIndex(v -> v = 0, h1)], h1)")
        one_pass = (f"arrayFold((h1, b) -> if(b <= {n_steps},\n            {band_rule},\n            {tail_rule}),\n"
                    f"          range(2, {n_steps + 2}), h)")
        return f"arrayFold((h, iteration) -> {one_pass},\n        range({n_steps + 1}), {first})"

    def network_view(self) -> ChView:
        n = self.n
        cell = ", ".join(["period"] + self.dim_names)
        reached = (f"arrayMap(j -> length(arrayDistinct(arrayMap(x -> tupleElement(x, 2), "
                   f"arrayFilter(x -> tupleElement(x, 3) >= j, members)))), range(1, {self.n_steps + 1}))")
        query = (f"SELECT {cell},\n  toInt16(j) AS step,\n  {self._names()}[j] AS step_name,\n"
                 "  shown[j] AS actors,\n"
                 f"  {_rate('shown[j]', 'shown[1]')} AS conversion,\n"
                 f"  if(j = 1, NULL, {_rate('shown[j]', 'shown[j - 1]')}) AS step_conversion,\n"
                 "  shown[j] IS NULL AS suppressed\n"
                 f"FROM (\n  SELECT {cell}, shown, arrayJoin(arrayEnumerate(shown)) AS j\n"
                 f"  FROM (\n    SELECT {cell}, arrayMap((c, hidden) -> if(hidden = 1, NULL, c), reached, hidden) AS shown\n"
                 f"    FROM (\n      SELECT {cell}, {reached} AS reached,\n        {self._hidden_steps()} AS hidden\n"
                 f"      FROM (\n        SELECT {cell}, groupArray((site_id, actor_hash, depth)) AS members\n"
                 f"        FROM (\n          SELECT {cell}, site_id, actor_hash, max(depth) AS depth\n"
                 f"          FROM (\n      {self.attempts(None)})\n"
                 f"          WHERE {_reader(n, 'network_id', self.network_tiers)}\n"
                 f"          GROUP BY {cell}, site_id, actor_hash)\n"
                 f"        GROUP BY {cell}))))")
        dims = tuple((d, "Nullable(String)") for d in self.dim_names)
        return ChView(n.pub, f"network_{self.base}", query,
                      (("period", "Date"),) + dims
                      + (("step", "Int16"), ("step_name", "String"), ("actors", "Nullable(UInt64)"),
                         ("conversion", "Nullable(Float64)"), ("step_conversion", "Nullable(Float64)"),
                         ("suppressed", "Bool")),
                      comment=self.network_comment(), origin=self.origin)


class ChRetention(_Seq):
    """Retention: per (site, actor) the first cohort event and the periods with a returning event."""

    own_rule = ", or whose lapsed members are too few (or all periods of a thin cohort),"

    def __init__(self, plan: RetentionPlan, taxonomy: Taxonomy, n, selection_filter, grain):
        super().__init__(plan, taxonomy, n)
        kpi = plan.kpi
        assert kpi.cohort is not None and kpi.returning is not None
        self.sets = [(f"{self.base}.cohort", kpi.cohort), (f"{self.base}.returning", kpi.returning)]
        self.cohort = selection_filter(n, self.sets[0][0], kpi.cohort)
        self.returning = selection_filter(n, self.sets[1][0], kpi.returning)
        self.period = grain(kpi.cohort_grain, n.tz)
        self.cohort_period = self.period.replace("occurred_at", "tupleElement(first_event, 1)")
        self.add = "addWeeks" if kpi.cohort_grain == "week" else "addMonths"
        self.periods = kpi.periods

    def objects(self) -> list[ChObject]:
        n = self.n
        first_type = f"Tuple({_TIME}, Nullable(UUID))"
        query = ("SELECT\n  site_id,\n  actor_hash,\n"
                 f"  minIfState(CAST(tuple(occurred_at, network_id) AS {first_type}), {self.cohort}) AS first_event,\n"
                 f"  countIfState({self.cohort}) AS cohort_events,\n"
                 f"  groupUniqArrayIfState({self.period}, {self.returning}) AS active\n"
                 f"FROM {{source}}\nWHERE ({self.cohort})\n   OR ({self.returning})\nGROUP BY site_id, actor_hash")
        table = ChTable(n.priv, f"kpi_{self.base}",
                        (ChColumn("site_id", "UUID"), ChColumn("actor_hash", "String"),
                         ChColumn("first_event", f"AggregateFunction(min, {first_type})",
                                  "time and network of the first cohort event"),
                         ChColumn("cohort_events", "AggregateFunction(count)",
                                  "cohort events seen (0: not a cohort member)"),
                         ChColumn("active", "AggregateFunction(groupUniqArray, Date)",
                                  "the periods with a returning event")),
                        "AggregatingMergeTree", "(site_id, actor_hash)",
                        comment=f"KPI {self.plan.name}: each actor's first cohort event and active periods, per site.",
                        role="cache", shard_key="cityHash64(site_id)", rebuild=query, origin=self.origin)
        mv = ChMaterializedView(n.priv, f"kpi_{self.base}_mv", table.qualified, query, source=n.events,
                                comment=f"Folds every inserted block of events into KPI {self.plan.name}.",
                                origin=self.origin)
        return [table, mv, self.site_view(), self.network_view()]

    def members(self, where: str | None) -> str:
        """One row per (cohort member, period number): its site, network, cohort and whether it returned."""
        return (f"SELECT site_id, actor_hash, network_id, cohort, j, has(active, {self.add}(cohort, j)) AS kept\n"
                f"    FROM (SELECT site_id, actor_hash, tupleElement(first_event, 2) AS network_id,\n"
                f"                 {self.cohort_period} AS cohort, active, arrayJoin(range(0, {self.periods + 1})) AS j\n"
                f"          FROM (SELECT site_id, actor_hash, minMerge(first_event) AS first_event,\n"
                f"                       groupUniqArrayMerge(active) AS active\n"
                f"                FROM {self.table}{_where(where, '                ')}\n"
                "                GROUP BY site_id, actor_hash\n"
                "                HAVING countMerge(cohort_events) > 0))")

    def site_view(self) -> ChView:
        n = self.n
        query = ("SELECT site_id, cohort AS period, toInt16(j) AS period_number,\n"
                 "  count() AS cohort_actors,\n  countIf(kept) AS retained,\n"
                 f"  {_rate('countIf(kept)', 'count()')} AS rate\n"
                 f"FROM (\n    {self.members(_reader(n, 'site_id', self.site_tiers))})\n"
                 "GROUP BY site_id, cohort, j")
        return ChView(n.pub, f"kpi_{self.base}", query,
                      (("site_id", "UUID"), ("period", "Date"), ("period_number", "Int16"),
                       ("cohort_actors", "UInt64"), ("retained", "UInt64"), ("rate", "Nullable(Float64)")),
                      comment=f"KPI {self.plan.name} for the caller's own site: per cohort and period number, "
                              "the cohort's size and the members retained.",
                      origin=self.origin)

    def network_view(self) -> ChView:
        """retention.sql.j2's rule per network cohort: a period is hidden when its retained members
        are fewer than k sites or actors, or its lapsed members some but fewer than k actors or
        sites; when any period is hidden and the cohort has fewer than k actors after removing any
        one site, or at most k sites, every period is (the reference's ``_retention``)."""
        n, k = self.n, self.n.k
        pairs = lambda cond: (f"arrayMap(x -> (tupleElement(x, 1), tupleElement(x, 2)), "  # noqa: E731
                              f"arrayFilter(x -> tupleElement(x, 3) = j AND {cond}, m))")
        periods = f"range(0, {self.periods + 1})"
        own = (f"arrayMap((kp, g) -> toUInt8({_sites('kp')} < {k} OR {_actors('kp')} < {k}\n"
               f"          OR ({_actors('g')} > 0 AND ({_actors('g')} < {k} OR {_sites('g')} < {k}))), kept, gone)")
        whole = f"arrayExists(h -> h = 1, own) AND ({_actors_but_one('members')} < {k} OR {_sites('members')} <= {k})"
        query = ("SELECT cohort AS period, toInt16(i - 1) AS period_number,\n"
                 "  if(hidden[i] = 1, NULL, size) AS cohort_actors,\n"
                 f"  if(hidden[i] = 1, NULL, {_actors('kept[i]')}) AS retained,\n"
                 f"  if(hidden[i] = 1, NULL, {_rate(_actors('kept[i]'), 'size')}) AS rate,\n"
                 "  hidden[i] = 1 AS suppressed\n"
                 "FROM (\n  SELECT cohort, size, kept, hidden, arrayJoin(arrayEnumerate(hidden)) AS i\n"
                 f"  FROM (\n    SELECT cohort, {_actors('members')} AS size, kept,\n"
                 f"      if({whole}, arrayMap(h -> toUInt8(1), own), own) AS hidden\n"
                 f"    FROM (\n      SELECT cohort, members, kept, {own} AS own\n"
                 "      FROM (\n        SELECT cohort,\n"
                 "          arrayDistinct(arrayMap(x -> (tupleElement(x, 1), tupleElement(x, 2)), m)) AS members,\n"
                 f"          arrayMap(j -> {pairs('tupleElement(x, 4)')}, {periods}) AS kept,\n"
                 f"          arrayMap(j -> {pairs('NOT tupleElement(x, 4)')}, {periods}) AS gone\n"
                 "        FROM (\n          SELECT cohort, groupArray((site_id, actor_hash, j, kept)) AS m\n"
                 f"          FROM (\n    {self.members(None)})\n"
                 f"          WHERE {_reader(n, 'network_id', self.network_tiers)}\n"
                 "          GROUP BY cohort)))))")
        return ChView(n.pub, f"network_{self.base}", query,
                      (("period", "Date"), ("period_number", "Int16"), ("cohort_actors", "Nullable(UInt64)"),
                       ("retained", "Nullable(UInt64)"), ("rate", "Nullable(Float64)"), ("suppressed", "Bool")),
                      comment=self.network_comment(), origin=self.origin)


class ChRolling(_Seq):
    """A rolling window over a stored count or distinct_actors KPI: its daily states merged per window."""

    own_rule = ", or holding a hidden day of the KPI it rolls up (as on PostgreSQL),"

    def __init__(self, plan: RollingPlan, taxonomy: Taxonomy, n, base, suppression=None):
        super().__init__(plan, taxonomy, n)
        self.source = base  # the base's ChKpi
        #: the network rules beyond the k rule: a window holding a hidden day of its base's family
        #: (``plan.covers``, set by ``plan_covers``) is hidden too, as on PostgreSQL
        self.suppression = suppression
        self.days = window_days(plan.kpi.window or "")
        self.dim_names = base.dim_names
        self.merge = "uniqExactMerge(actors)" if plan.base_type == "distinct_actors" else "countMerge(events)"
        self.today = f"toDate(now(), {quote(n.tz)})"

    def _windows(self, key: str, where: str) -> str:
        """Each base row once per window it lies in: the days from its own to ``days - 1`` later, up to today."""
        dims = "".join(f", {d}" for d in self.dim_names)
        return (f"SELECT {key}, addDays(period, arrayJoin(range({self.days}))) AS day{dims}, actors, events\n"
                f"    FROM {self.source.table}\n    WHERE {where}")

    def objects(self) -> list[ChObject]:
        return [self.site_view(), self.network_view()]

    def site_view(self) -> ChView:
        n = self.n
        cell = ", ".join(["site_id", "day"] + self.dim_names)
        query = (f"SELECT site_id, day AS period{''.join(f', {d}' for d in self.dim_names)},\n"
                 f"  {self.merge} AS value\n"
                 f"FROM (\n    {self._windows('site_id', _reader(n, 'site_id', self.site_tiers))})\n"
                 f"WHERE day <= {self.today}\nGROUP BY {cell}")
        dims = tuple((d, "Nullable(String)") for d in self.dim_names)
        return ChView(n.pub, f"kpi_{self.base}", query,
                      (("site_id", "UUID"), ("period", "Date")) + dims + (("value", "UInt64"),),
                      comment=f"KPI {self.plan.name} for the caller's own site: the base KPI over the "
                              f"{self.days} days ending each day.",
                      origin=self.origin)

    def network_view(self) -> ChView:
        n = self.n
        cell = ", ".join(["day"] + self.dim_names)
        inner = (f"SELECT day AS period{''.join(f', {d}' for d in self.dim_names)},\n    {self.merge} AS value,\n"
                 "    uniqExact(site_id) AS cell_sites,\n    uniqExactMerge(actors) AS cell_actors,\n"
                 f"    {cell_key(self.dim_names)} AS cell_key\n"
                 f"  FROM (\n    {self._windows('site_id', _reader(n, 'network_id', self.network_tiers))})\n"
                 f"  WHERE day <= {self.today}\n  GROUP BY {cell}")
        joins, conds = ([], []) if self.suppression is None else \
            self.suppression.cover_joins(list(self.plan.covers), self.dim_names)
        hidden = "(" + " OR ".join([self.hidden("c.cell_sites", "c.cell_actors")] + conds) + ")"
        carried = ", ".join(f"c.{c} AS {c}" for c in ["period"] + self.dim_names + ["value"])
        query = (f"SELECT period{''.join(f', {d}' for d in self.dim_names)},\n"
                 f"  if(suppressed, NULL, value) AS value,\n  suppressed\n"
                 f"FROM (\nSELECT {carried},\n  {hidden} AS suppressed\nFROM (\n  {inner}) AS c"
                 + "".join(f"\n{j}" for j in joins) + ")")
        dims = tuple((d, "Nullable(String)") for d in self.dim_names)
        return ChView(n.pub, f"network_{self.base}", query,
                      (("period", "Date"),) + dims + (("value", "Nullable(UInt64)"), ("suppressed", "Bool")),
                      comment=self.network_comment(), origin=self.origin)


def event_set_rows(n, kpi_obj) -> list[ChRows]:
    """The event sets a funnel's steps or a retention's cohort and returning selections read."""
    out = []
    for set_name, sel in kpi_obj.sets:
        out.append(ChRows(f"{n.priv}.kpi_event_sets", set_name, ("set_name", "event_id"),
                          tuple((quote(set_name), quote(e)) for e in sorted(sel.events)), origin=kpi_obj.origin))
    return out
