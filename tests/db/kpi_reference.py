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


def of_network(events: list[dict], network: str | None) -> list[dict]:
    """The events a network view of ``network`` reads: those sent with that network_id
    (none for no network). Exact as long as each (site, actor) sends under one network:
    the database assigns funnel attempts and retention cohort members to the network of
    their entry event."""
    if network is None:
        return []
    return [ev for ev in events if ev.get("network") == network]


def network_values(tax: Taxonomy, kpi: Kpi, events: list[dict], today: date, k_anon: int,
                   network: str | None = None, *, all_networks: bool = False) -> dict[tuple, tuple]:
    """(period, *dims) -> value columns of analytics.network_<name> for a caller of ``network``,
    after suppression within that network (``all_networks``: pretend every event is of one network)."""
    if not all_networks:
        events = of_network(events, network)
    if kpi.type == "funnel":
        return funnel_network_values(tax, kpi, events, k_anon)
    if kpi.type == "retention":
        return retention_network_values(kpi, events, k_anon)
    if kpi.type == "ratio":
        num = network_values(tax, tax.kpi(kpi.numerator), events, today, k_anon, all_networks=True)
        den = network_values(tax, tax.kpi(kpi.denominator), events, today, k_anon, all_networks=True)
        return {k: (num[k][0], den[k][0], num[k][0] / den[k][0] if den[k][0] else None)
                for k in set(num) & set(den)}
    # per cell: value columns, sites, actors
    raw: dict[tuple, tuple] = {}
    if kpi.type == "rolling":
        base = tax.kpi(kpi.base)
        span = window_days(kpi.window) - 1
        spread: dict[tuple, dict] = defaultdict(lambda: {"actors": set(), "sites": set(), "n": 0})
        for k, c in cells(tax, base, events).items():
            for i in range(span + 1):
                day = k[1] + timedelta(days=i)
                if day > today:
                    continue
                s = spread[(day,) + k[2:]]
                s["actors"] |= c["actors"]
                s["sites"].add(k[0])
                s["n"] += c["n"]
        for key, s in spread.items():
            value = len(s["actors"]) if base.type == "distinct_actors" else s["n"]
            raw[key] = ((value,), len(s["sites"]), len(s["actors"]))
    else:
        merged: dict[tuple, dict] = defaultdict(lambda: {"actors": set(), "sites": set(), "n": 0, "values": []})
        for k, c in cells(tax, kpi, events).items():
            m = merged[k[1:]]
            m["actors"] |= c["actors"]
            m["sites"].add(k[0])
            m["n"] += c["n"]
            m["values"] += c["values"]
        for key, m in merged.items():
            if kpi.type == "count":
                vals = (m["n"],)
            elif kpi.type == "distinct_actors":
                vals = (len(m["actors"]),)
            else:
                vals = (m["n"],) + tuple(percentile_disc(m["values"], p) for p in kpi.percentiles)
            raw[key] = (vals, len(m["sites"]), len(m["actors"]))
    out = {}
    by_period: dict[date, list] = defaultdict(list)
    for key, (vals, sites, actors) in raw.items():
        by_period[key[0]].append((sites < k_anon or actors < k_anon, actors, sites, key, vals))
    for rows in by_period.values():
        rows.sort(key=lambda r: (not r[0], r[1], r[2], tuple("\uffff" if x is None else x for x in r[3][1:])))
        n_small = sum(1 for r in rows if r[0])
        for rn, (small, _a, _s, key, vals) in enumerate(rows, start=1):
            if small or (n_small == 1 and len(rows) > 1 and rn == 2):
                continue
            out[key] = vals
    return out


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


def funnel_network_values(tax: Taxonomy, kpi: Kpi, events: list[dict], k_anon: int) -> dict[tuple, tuple]:
    entries = funnel_entries(tax, kpi, events)
    raw: dict[tuple, dict] = defaultdict(lambda: {"actors": set(), "sites": set()})
    for (site, actor, per, *d), depth in entries.items():
        for step in range(1, len(kpi.steps) + 1):
            cell = raw[(per, *d, step)]
            if depth >= step:
                cell["actors"].add(actor)
                cell["sites"].add(site)
    visible = _suppress({key: ((len(c["actors"]),), len(c["sites"]), len(c["actors"])) for key, c in raw.items()},
                        k_anon)
    return _conversions(kpi, {key: vals[0] for key, vals in visible.items()})


def _suppress(raw: dict[tuple, tuple], k_anon: int) -> dict[tuple, tuple]:
    out = {}
    by_period: dict[date, list] = defaultdict(list)
    for key, (vals, sites, actors) in raw.items():
        by_period[key[0]].append((sites < k_anon or actors < k_anon, actors, sites, key, vals))
    for rows in by_period.values():
        rows.sort(key=lambda r: (not r[0], r[1], r[2], tuple("\uffff" if x is None else x for x in r[3][1:])))
        n_small = sum(1 for r in rows if r[0])
        for rn, (small, _a, _s, key, vals) in enumerate(rows, start=1):
            if small or (n_small == 1 and len(rows) > 1 and rn == 2):
                continue
            out[key] = vals
    return out


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


def retention_network_values(kpi: Kpi, events: list[dict], k_anon: int) -> dict[tuple, tuple]:
    cohort, active = retention_facts(kpi, events)
    raw: dict[tuple, dict] = defaultdict(lambda: {"members": set(), "kept": set(), "sites": set()})
    for (site, actor), c in cohort.items():
        for j in range(kpi.periods + 1):
            cell = raw[(c, j)]
            cell["members"].add(actor)
            if _add_periods(c, j, kpi.cohort_grain) in active.get((site, actor), ()):
                cell["kept"].add(actor)
                cell["sites"].add(site)
    visible = _suppress({key: ((len(c["members"]), len(c["kept"])), len(c["sites"]), len(c["kept"]))
                         for key, c in raw.items()}, k_anon)
    return {key: (m, kept, _rate(kept, m)) for key, (m, kept) in visible.items()}
