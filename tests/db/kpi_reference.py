"""Plain-Python reference semantics of the compiled KPIs (tests/db/test_kpis.py compares against it).

An event is a dict: site (str uuid), actor (str: the caller's sub), tier, event_id,
occurred_at (aware datetime, UTC), payload (dict), key (str uuid), and optionally network
(str uuid or None: the caller's network_id claim). Duplicates
(same site, key, occurred_at) count once, like the event store's primary key.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from generator.model import Kpi, Selection, Taxonomy
from generator.plan.kpi import window_days


def dedup(events: list[dict]) -> list[dict]:
    seen: dict[tuple, dict] = {}
    for ev in events:
        seen.setdefault((ev["site"], ev["key"], ev["occurred_at"]), ev)
    return list(seen.values())


def period(ts: datetime, grain: str) -> date:
    d = ts.astimezone(UTC).date()
    if grain == "week":
        return d - timedelta(days=d.weekday())
    if grain == "month":
        return d.replace(day=1)
    return d


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def matches(sel: Selection, ev: dict) -> bool:
    if ev["event_id"] not in sel.events:
        return False
    if sel.tiers and ev["tier"] not in sel.tiers:
        return False
    for name, values in sel.where:
        if _text(ev["payload"].get(name)) not in {_text(v) for v in values}:
            return False
    return True


def dims(kpi: Kpi, ev: dict) -> tuple:
    out = []
    for name in kpi.by:
        if name == "site":
            continue
        if name == "tier":
            out.append(ev["tier"])
        elif name == "event":
            out.append(ev["event_id"])
        else:
            out.append(_text(ev["payload"].get(name)))
    return tuple(out)


def percentile_disc(values: list[float], p: float) -> float:
    """PostgreSQL's percentile_disc: the first value whose cumulative share reaches p."""
    ordered = sorted(values)
    row = max(1, math.ceil(p * len(ordered)))
    return ordered[row - 1]


def cells(tax: Taxonomy, kpi: Kpi, events: list[dict]) -> dict[tuple, dict]:
    """(site, period, *dims) -> {'actors': set, 'n': int, 'values': list} for an event-reading KPI."""
    out: dict[tuple, dict] = defaultdict(lambda: {"actors": set(), "n": 0, "values": []})
    assert kpi.selection is not None
    for ev in dedup(events):
        if not matches(kpi.selection, ev):
            continue
        if kpi.type == "percentile" and not isinstance(ev["payload"].get(kpi.field), (int, float)):
            continue
        cell = out[(ev["site"], period(ev["occurred_at"], kpi.grain)) + dims(kpi, ev)]
        cell["actors"].add(ev["actor"])
        cell["n"] += 1
        if kpi.type == "percentile":
            cell["values"].append(float(ev["payload"][kpi.field]))
    return out


def site_values(tax: Taxonomy, kpi: Kpi, events: list[dict], today: date) -> dict[tuple, tuple]:
    """(site, period, *dims) -> the value columns of analytics.kpi_<name>."""
    if kpi.type in ("count", "distinct_actors"):
        return {k: (c["n"] if kpi.type == "count" else len(c["actors"]),) for k, c in cells(tax, kpi, events).items()}
    if kpi.type == "percentile":
        return {k: (c["n"],) + tuple(percentile_disc(c["values"], p) for p in kpi.percentiles)
                for k, c in cells(tax, kpi, events).items()}
    if kpi.type == "rolling":
        base = tax.kpi(kpi.base)
        span = window_days(kpi.window) - 1
        base_cells = cells(tax, base, events)
        out: dict[tuple, tuple] = {}
        targets = {(k[0], k[1] + timedelta(days=i)) for k in base_cells for i in range(span + 1)}
        for site, day in targets:
            if day > today:
                continue
            acc: dict[tuple, set | int] = {}
            for k, c in base_cells.items():
                if k[0] == site and day - timedelta(days=span) <= k[1] <= day:
                    if base.type == "distinct_actors":
                        acc.setdefault(k[2:], set()).update(c["actors"])
                    else:
                        acc[k[2:]] = acc.get(k[2:], 0) + c["n"]
            for d, v in acc.items():
                out[(site, day) + d] = (len(v) if isinstance(v, set) else v,)
        return out
    if kpi.type == "funnel":
        return funnel_site_values(tax, kpi, events)
    if kpi.type == "retention":
        return retention_site_values(kpi, events)
    if kpi.type == "ratio":
        num = site_values(tax, tax.kpi(kpi.numerator), events, today)
        den = site_values(tax, tax.kpi(kpi.denominator), events, today)
        out = {}
        for k in set(num) | set(den):
            n, d = num.get(k, (0,))[0], den.get(k, (0,))[0]
            out[k] = (n, d, (n / d) if d else None)
        return out
    raise NotImplementedError(kpi.type)


# --------------------------------------------------------------------------- #
# Funnels
# --------------------------------------------------------------------------- #


def funnel_depth(seq: list[tuple], anchor: int, n_steps: int, window: timedelta, mode: str) -> int:
    """seq: (time, step, event key) per (event, step it matches), sorted; the depth of the attempt
    starting at seq[anchor] (a step-1 entry). Every step is met by a different event: ``ordered``,
    each strictly later than the previous step's; ``strict``, also at the first instant after it at
    which any funnel event happened; ``any``, by a matching of steps 2..d to distinct events other
    than the step-1 event, at or after it. All within ``window`` of the step-1 event."""
    start, _s, key = seq[anchor]
    stop = start + window
    if mode == "any":
        events: dict[tuple, set[int]] = defaultdict(set)
        for t, s, k in seq:
            if s >= 2 and start <= t <= stop and (t, k) != (start, key):
                events[(t, k)].add(s)
        depth = 1
        for d in range(2, n_steps + 1):
            if not _matching(list(events.values()), d):
                break
            depth = d
        return depth
    depth = 1
    instants = sorted({t for t, _s, _k in seq if start < t <= stop})
    for t in instants:
        if depth >= n_steps:
            break
        if any(s == depth + 1 for u, s, _k in seq if u == t):
            depth += 1
        elif mode == "strict":
            break
    return depth


def _matching(events: list[set[int]], d: int) -> bool:
    """Can steps 2..d each get a different event (augmenting paths, Kuhn)?"""
    owner: dict[int, int] = {}  # event index -> step

    def place(step: int, seen: set[int]) -> bool:
        for i, steps in enumerate(events):
            if step in steps and i not in seen:
                seen.add(i)
                if i not in owner or place(owner[i], seen):
                    owner[i] = step
                    return True
        return False

    return all(place(step, set()) for step in range(2, d + 1))


def _window(text: str) -> timedelta:
    return timedelta(days=window_days(text))


def funnel_entries(tax: Taxonomy, kpi: Kpi, events: list[dict]) -> dict[tuple, int]:
    """(site, actor, period, *dims) -> deepest step reached."""
    per_actor: dict[tuple, list] = defaultdict(list)
    for ev in dedup(events):
        for number, step in enumerate(kpi.steps, start=1):
            if matches(step.selection, ev):
                per_actor[(ev["site"], ev["actor"])].append(
                    (ev["occurred_at"], number, ev["key"], dims(kpi, ev) if number == 1 else None))
    out: dict[tuple, int] = {}
    for (site, actor), items in per_actor.items():
        items.sort(key=lambda x: (x[0], x[2], x[1]))
        seq = [(t, s, k) for t, s, k, _ in items]
        for i, (t, s, _k, d) in enumerate(items):
            if s != 1:
                continue
            key = (site, actor, period(t, kpi.grain)) + d
            out[key] = max(out.get(key, 0), funnel_depth(seq, i, len(kpi.steps), _window(kpi.window), kpi.order))
    return out


def _rate(num: int, den: int | None):
    if not den:
        return None
    return float((Decimal(num) / Decimal(den)).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP))


def _conversions(kpi: Kpi, counts: dict[tuple, int]) -> dict[tuple, tuple]:
    """counts: (*cell, step) -> actors, for the rows present; adds names and conversion rates."""
    groups: dict[tuple, list] = defaultdict(list)
    for key, n in counts.items():
        groups[key[:-1]].append((key[-1], n))
    out = {}
    for cell, rows in groups.items():
        rows.sort()
        first = rows[0][1]
        prev = None
        for step, n in rows:
            out[cell + (step,)] = (kpi.steps[step - 1].name, n, _rate(n, first), _rate(n, prev) if prev is not None else None)
            prev = n
    return out


def funnel_site_values(tax: Taxonomy, kpi: Kpi, events: list[dict]) -> dict[tuple, tuple]:
    entries = funnel_entries(tax, kpi, events)
    counts: dict[tuple, int] = {}
    for (site, _actor, per, *d), depth in entries.items():
        for step in range(1, len(kpi.steps) + 1):
            key = (site, per, *d, step)
            counts[key] = counts.get(key, 0) + (1 if depth >= step else 0)
    return _conversions(kpi, counts)


# --------------------------------------------------------------------------- #
# Retention
# --------------------------------------------------------------------------- #


def _add_periods(start: date, j: int, grain: str) -> date:
    if grain == "week":
        return start + timedelta(days=7 * j)
    month = start.month - 1 + j
    return start.replace(year=start.year + month // 12, month=month % 12 + 1)


def retention_facts(kpi: Kpi, events: list[dict]) -> tuple[dict, dict]:
    cohort: dict[tuple, date] = {}
    active: dict[tuple, set] = defaultdict(set)
    for ev in dedup(events):
        key = (ev["site"], ev["actor"])
        per = period(ev["occurred_at"], kpi.cohort_grain)
        if matches(kpi.cohort, ev):
            cohort[key] = min(cohort.get(key, per), per)
        if matches(kpi.returning, ev):
            active[key].add(per)
    return cohort, active


def retention_site_values(kpi: Kpi, events: list[dict]) -> dict[tuple, tuple]:
    cohort, active = retention_facts(kpi, events)
    members: dict[tuple, list] = defaultdict(list)
    for (site, actor), c in cohort.items():
        members[(site, c)].append(actor)
    out = {}
    for (site, c), actors in members.items():
        for j in range(kpi.periods + 1):
            target = _add_periods(c, j, kpi.cohort_grain)
            kept = sum(1 for a in actors if target in active.get((site, a), ()))
            out[(site, c, j)] = (len(actors), kept, _rate(kept, len(actors)))
    return out



# --------------------------------------------------------------------------- #
# Network views: the cells of one network, and which of them the view hides
# --------------------------------------------------------------------------- #
#
# A network cell keeps its (site, actor) pairs ("pairs"), from which its sites, actors and the
# actors left after removing any one site follow. Suppression (README, KPI section):
# - count, distinct_actors, percentile and rolling KPIs are suppressed with their family
#   (generator/plan/kpi/families.py decides the members and group kinds; ``_family`` below
#   re-implements the rule the SQL applies);
# - funnels and retention cohorts by their own rules (``_funnel``, ``_retention``);
# - a percentile value also needs k actors on either side of it (``_tail_hidden``);
# - a window, week or month holding a hidden day is also hidden when read (``_cover_rule``).


def actors_but_one(pairs) -> int:
    """Distinct actors of (site, actor) pairs after removing the site holding the most actors
    seen at no other site (analytics_private.kpi_actors_but_one)."""
    sites_of: dict[str, set] = defaultdict(set)
    for site, actor in pairs:
        sites_of[actor].add(site)
    alone: dict[str, int] = defaultdict(int)
    for sites in sites_of.values():
        if len(sites) == 1:
            alone[next(iter(sites))] += 1
    return len(sites_of) - max(alone.values(), default=0)


def _spread(pairs) -> tuple[int, int]:
    return len({s for s, _a in pairs}), len({a for _s, a in pairs})


def _small(pairs, k: int) -> bool:
    sites, actors = _spread(pairs)
    return sites < k or actors < k


def _none_last(key: tuple) -> tuple:
    return tuple((1, "") if x is None else (0, x) for x in key)


def of_network(events: list[dict], network: str | None) -> list[dict]:
    """The events a network view of ``network`` reads: those sent with that network_id
    (none for no network). Exact as long as each (site, actor) sends under one network:
    the database assigns funnel attempts and retention cohort members to the network of
    their entry event."""
    if network is None:
        return []
    return [ev for ev in events if ev.get("network") == network]


def _plain_cells(tax: Taxonomy, kpi: Kpi, events: list[dict]) -> dict[tuple, dict]:
    """(period, *dims) -> {pairs, n, values: [(measure, site, actor)]} across the network's sites."""
    out: dict[tuple, dict] = defaultdict(lambda: {"pairs": set(), "n": 0, "values": []})
    assert kpi.selection is not None
    for ev in dedup(events):
        if not matches(kpi.selection, ev):
            continue
        if kpi.type == "percentile" and not isinstance(ev["payload"].get(kpi.field), (int, float)):
            continue
        cell = out[(period(ev["occurred_at"], kpi.grain),) + dims(kpi, ev)]
        cell["pairs"].add((ev["site"], ev["actor"]))
        cell["n"] += 1
        if kpi.type == "percentile":
            cell["values"].append((float(ev["payload"][kpi.field]), ev["site"], ev["actor"]))
    return out


class NetworkState:
    """Every KPI's network cells for one network, with the hidden flags of the refresh."""

    def __init__(self, tax: Taxonomy, events: list[dict], today: date, k: int):
        from generator.plan.kpi import plan_kpis
        from generator.plan.kpi.families import plan_covers, plan_families

        self.tax, self.today, self.k = tax, today, k
        self.cells: dict[str, dict[tuple, dict]] = {}
        self.hidden: dict[str, dict[tuple, bool]] = {}
        self.tails: dict[str, dict[tuple, tuple[bool, ...]]] = {}
        plans = plan_kpis(tax)
        plan_covers(plans)
        self.plans = {p.name: p for p in plans}
        for kpi in tax.kpis:
            if kpi.type in ("count", "distinct_actors", "percentile"):
                self.cells[kpi.label] = _plain_cells(tax, kpi, events)
        for kpi in tax.kpis:
            if kpi.type == "rolling":
                self.cells[kpi.label] = self._rolling_cells(kpi)
        for family in plan_families(plans, k):
            self._family(family)
        for kpi in tax.kpis:
            if kpi.type == "percentile":
                self.tails[kpi.label] = {key: self._tail_hidden(kpi, c) for key, c in self.cells[kpi.label].items()}
            elif kpi.type == "funnel":
                self._funnel(kpi, events)
            elif kpi.type == "retention":
                self._retention(kpi, events)

    # -- cells ---------------------------------------------------------------------------------
    def _rolling_cells(self, kpi: Kpi) -> dict[tuple, dict]:
        span = window_days(kpi.window) - 1
        out: dict[tuple, dict] = defaultdict(lambda: {"pairs": set(), "n": 0})
        for (day, *d), c in self.cells[kpi.base].items():
            for i in range(span + 1):
                cell = out[(day + timedelta(days=i), *d)]
                cell["pairs"] |= c["pairs"]
                cell["n"] += c["n"]
        return out

    def _columns(self, name: str) -> list[str]:
        return [d.column.strip('"') for d in self.plans[name].dims]

    # -- families --------------------------------------------------------------------------------
    def _family(self, family) -> None:
        k = self.k
        for m in family.members:
            self.hidden[m.name] = {key: _small(c["pairs"], k) for key, c in self.cells[m.name].items()}
        periods = {key[0] for m in family.members for key in self.cells[m.name]}
        for per in sorted(periods):
            while True:
                moved = 0
                for g in family.kinds:
                    moved += self._apply_kind(g, per)
                if not moved:
                    break

    def _blocks(self, name: str, block_names: tuple[str, ...], per: date) -> dict[tuple, list[tuple]]:
        cols = self._columns(name)
        idx = [cols.index(b.strip('"')) for b in block_names]
        out: dict[tuple, list[tuple]] = defaultdict(list)
        for key in self.cells[name]:
            if key[0] == per:
                out[tuple(key[1 + i] for i in idx)].append(key)
        return out

    def _smallest(self, name: str, keys: list[tuple]) -> tuple:
        def order(key: tuple) -> tuple:
            # PostgreSQL's caches hold a missing payload value as '' (MISSING) and order by it in
            # byte order, so a missing value sorts first, as '' does (ClickHouse does the same)
            sites, actors = _spread(self.cells[name][key]["pairs"])
            return (actors, sites, tuple("" if x is None else x for x in key[1:]))
        return min(keys, key=order)

    def _apply_kind(self, g, per: date) -> int:
        """One statement of suppress.sql.j2: every block's action from one snapshot, then applied."""
        k = self.k
        part = g.part.name
        hidden = self.hidden[part]
        total = g.total.name if g.total else None
        total_cols = self._columns(total) if total else []
        block_cols = [b.strip('"') for b in g.block_names]
        to_hide: list[tuple[str, tuple]] = []
        for bkey, keys in sorted(self._blocks(part, g.block_names, per).items(), key=lambda kv: _none_last(kv[0])):
            shown = [x for x in keys if not hidden[x]]
            hid = [x for x in keys if hidden[x]]
            total_key = None
            if total:
                values = dict(zip(block_cols, bkey, strict=True))
                total_key = (per,) + tuple(values[c] for c in total_cols)
            total_hidden = bool(total and self.hidden[total].get(total_key, False))
            pairs = set().union(*(self.cells[part][x]["pairs"] for x in hid)) if hid else set()
            sites, _ = _spread(pairs)
            protected = len(hid) >= 2 and sites > k and actors_but_one(pairs) >= k + len(hid)
            act = None
            if total_hidden:
                act = "part" if not hid else None
            elif hid and not protected:
                act = "part" if shown else "total"
            if act == "part":
                to_hide.append((part, self._smallest(part, shown)))
            elif act == "total" and total:
                if total_key in self.cells[total] and not self.hidden[total][total_key]:
                    to_hide.append((total, total_key))
            elif act == "total":
                for q in g.siblings:
                    qblocks = self._blocks(q.name, g.block_names, per)
                    qkeys = qblocks.get(bkey, [])
                    if qkeys and not any(self.hidden[q.name][x] for x in qkeys):
                        to_hide.append((q.name, self._smallest(q.name, qkeys)))
        moved = 0
        for name, key in to_hide:
            if not self.hidden[name][key]:
                self.hidden[name][key] = True
                moved += 1
        return moved

    # -- percentiles ------------------------------------------------------------------------------
    def _tail_hidden(self, kpi: Kpi, cell: dict) -> tuple[bool, ...]:
        measures = [m for m, _s, _a in cell["values"]]
        out = []
        for p in kpi.percentiles:
            v = percentile_disc(measures, p)
            above = {(s, a) for m, s, a in cell["values"] if m >= v}
            below = {(s, a) for m, s, a in cell["values"] if m <= v}
            out.append(min(actors_but_one(above), actors_but_one(below)) < self.k)
        return tuple(out)

    # -- funnels ----------------------------------------------------------------------------------
    def _funnel(self, kpi: Kpi, events: list[dict]) -> None:
        k, n = self.k, len(kpi.steps)
        depth: dict[tuple, dict[tuple, int]] = defaultdict(dict)  # entry cell -> (site, actor) -> depth
        for (site, actor, per, *d), dep in funnel_entries(self.tax, kpi, events).items():
            depth[(per, *d)][(site, actor)] = dep
        cells, hidden = {}, {}
        for cell, rows in depth.items():
            reached = {j: {sa for sa, dep in rows.items() if dep >= j} for j in range(1, n + 1)}
            for j in range(1, n + 1):
                cells[cell + (j,)] = {"pairs": reached[j]}
            hide = {j: _small(reached[j], k) for j in range(1, n + 1)}
            while True:
                moved = 0
                for b in range(2, n + 1):
                    prev = [j for j in range(1, b) if not hide[j]]
                    if hide[b] or not prev:
                        continue
                    a = max(prev)
                    later = {actor for (_s, actor), dep in rows.items() if dep >= b}
                    band = {(s, actor) for (s, actor), dep in rows.items() if dep >= a and actor not in later}
                    sites, actors = _spread(band)
                    if b == a + 1:
                        bad = actors > 0 and (actors < k or sites < k)
                    else:
                        bad = actors_but_one(band) < k or sites <= k
                    if bad:
                        hide[b] = True
                        moved += 1
                shown = [j for j in range(1, n + 1) if not hide[j]]
                if shown and shown[-1] < n:
                    last = shown[-1]
                    tail = {sa for sa, dep in rows.items() if dep >= last}
                    if actors_but_one(tail) < k or _spread(tail)[0] <= k:
                        hide[last] = True
                        moved += 1
                if not moved:
                    break
            for j in range(1, n + 1):
                hidden[cell + (j,)] = hide[j]
        self.cells[kpi.label], self.hidden[kpi.label] = cells, hidden

    # -- retention --------------------------------------------------------------------------------
    def _retention(self, kpi: Kpi, events: list[dict]) -> None:
        k = self.k
        cohort, active = retention_facts(kpi, events)
        members: dict[date, set] = defaultdict(set)
        for (site, actor), c in cohort.items():
            members[c].add((site, actor))
        cells, hidden = {}, {}
        for c, pairs in members.items():
            hide = {}
            for j in range(kpi.periods + 1):
                target = _add_periods(c, j, kpi.cohort_grain)
                kept = {sa for sa in pairs if target in active.get(sa, ())}
                gone = pairs - kept
                cells[(c, j)] = {"pairs": kept, "members": pairs}
                g_sites, g_actors = _spread(gone)
                hide[j] = _small(kept, k) or (g_actors > 0 and (g_actors < k or g_sites < k))
            if any(hide.values()) and (actors_but_one(pairs) < k or _spread(pairs)[0] <= k):
                hide = dict.fromkeys(hide, True)
            for j, h in hide.items():
                hidden[(c, j)] = h
        self.cells[kpi.label], self.hidden[kpi.label] = cells, hidden

    # -- what the views return -----------------------------------------------------------------
    def _cover_rule(self, kpi: Kpi, key: tuple) -> bool:
        """A cell hidden when read because it holds a hidden finer cell (families.plan_covers)."""
        names = self._columns(kpi.name)
        for cover in self.plans[kpi.label].covers:
            fine = self._columns(cover.finer.name)
            for fkey, hidden in self.hidden[cover.finer.name].items():
                if not hidden or any(fkey[1 + fine.index(c)] != v for c, v in zip(names, key[1:], strict=True)):
                    continue
                if cover.days is not None:
                    inside = cover.days[0] <= (key[0] - fkey[0]).days <= cover.days[1]
                else:
                    inside = period(datetime(fkey[0].year, fkey[0].month, fkey[0].day, tzinfo=UTC), cover.grain) == key[0]
                if inside:
                    return True
        return False

    def view(self, kpi: Kpi) -> dict[tuple, tuple]:
        """(period, *dims) -> value columns (None where hidden) + (suppressed,)."""
        if kpi.type == "ratio":
            num, den = self.view(self.tax.kpi(kpi.numerator)), self.view(self.tax.kpi(kpi.denominator))
            out = {}
            for key in set(num) & set(den):
                s = num[key][-1] or den[key][-1]
                n, d = num[key][0], den[key][0]
                out[key] = (None, None, None, True) if s else (n, d, n / d if d else None, False)
            return out
        if kpi.type == "funnel":
            return self._funnel_view(kpi)
        out = {}
        for key, c in self.cells[kpi.label].items():
            if kpi.type == "rolling" and key[0] > self.today:
                continue
            s = self.hidden[kpi.label][key]
            if kpi.type in ("count", "distinct_actors", "percentile", "rolling"):
                s = s or self._cover_rule(kpi, key)
            if kpi.type == "retention":
                size, kept = len({a for _s, a in c["members"]}), len({a for _s, a in c["pairs"]})
                vals: tuple = (size, kept, _rate(kept, size))
            elif kpi.type == "percentile":
                measures = [m for m, _s, _a in c["values"]]
                vals = (c["n"],) + tuple(None if h else percentile_disc(measures, p)
                                         for p, h in zip(kpi.percentiles, self.tails[kpi.label][key], strict=True))
            elif kpi.type == "distinct_actors" or (kpi.type == "rolling" and
                                                   self.tax.kpi(kpi.base).type == "distinct_actors"):
                vals = (len({a for _s, a in c["pairs"]}),)
            else:
                vals = (c["n"],)
            out[key] = tuple(None for _ in vals) + (True,) if s else vals + (False,)
        return out

    def _shown_step(self, kpi: Kpi, cell: tuple, j: int) -> int | None:
        key = cell + (j,)
        return None if self.hidden[kpi.label][key] else len({a for _s, a in self.cells[kpi.label][key]["pairs"]})

    def _funnel_view(self, kpi: Kpi) -> dict[tuple, tuple]:
        out = {}
        for key in self.cells[kpi.label]:
            step, cell = key[-1], key[:-1]
            v = self._shown_step(kpi, cell, step)
            first = self._shown_step(kpi, cell, 1)
            prev = self._shown_step(kpi, cell, step - 1) if step > 1 else None
            out[key] = (kpi.steps[step - 1].name, v,
                        None if v is None else _rate(v, first),
                        None if v is None else _rate(v, prev),
                        self.hidden[kpi.label][key])
        return out


_STATES: dict[tuple, NetworkState] = {}


def network_state(tax: Taxonomy, events: list[dict], today: date, k_anon: int, network: str | None = None,
                  *, all_networks: bool = False) -> NetworkState:
    key = (id(tax), id(events), len(events), events[-1]["key"] if events else None, today, k_anon, network,
           all_networks)
    if key not in _STATES:
        _STATES.clear()
        _STATES[key] = NetworkState(tax, events if all_networks else of_network(events, network), today, k_anon)
    return _STATES[key]


def network_values(tax: Taxonomy, kpi: Kpi, events: list[dict], today: date, k_anon: int,
                   network: str | None = None, *, all_networks: bool = False) -> dict[tuple, tuple]:
    """(period, *dims) -> the columns of analytics.network_<name> for a caller of ``network``: value
    columns (None where hidden), then suppressed (``all_networks``: every event in one network)."""
    return network_state(tax, events, today, k_anon, network, all_networks=all_networks).view(kpi)
