"""Worked examples for kpis.md: a handful of events at one site and the cells they produce.

Every KPI type gets one, built from the taxonomy so that a new KPI documents itself: the
payloads are the events' first examples with the KPI's filter values written in, the actors'
tiers are the first tiers allowed to send the event (and allowed by the KPI), and the times sit
on one Monday (``EXAMPLE_DAY``) so that its day, week and month cells all start on or before it.

The expected cells follow from the KPI's documented semantics, worked out here in plain Python
(count the events, count the actors, take ``percentile_disc``, divide).  They are not copied from
the database: ``tests/db/test_docs_examples.py`` sends the documented events into a real
database and reads the documented cells back, so the page and the SQL cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..model import Event, Kpi, Selection, Taxonomy
from .kpi.percentile import pct_name

EXAMPLE_DAY = dt.date(2026, 1, 5)  # a Monday
PERIOD_START = {"day": dt.date(2026, 1, 5), "week": dt.date(2026, 1, 5), "month": dt.date(2026, 1, 1)}


@dataclass(frozen=True)
class ExampleEvent:
    actor: str
    tier: str
    occurred_at: str
    event_id: str
    payload: str  # JSON


@dataclass(frozen=True)
class Cell:
    """One documented value: the cell's key columns, the value column and the value as printed."""

    key: tuple[tuple[str, str], ...]  # (column, value), period first
    column: str
    value: str


@dataclass(frozen=True)
class Example:
    events: tuple[ExampleEvent, ...]
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class _Sent:
    """An example event before printing: who sent what, when."""

    actor: str
    tier: str
    at: dt.datetime
    event: Event
    payload: dict[str, Any]

    def printed(self) -> ExampleEvent:
        return ExampleEvent(self.actor, self.tier, self.at.strftime("%Y-%m-%dT%H:%M:%SZ"), self.event.id,
                            payload_json(self.payload))


def payload_json(value: Any) -> str:
    """A payload as the docs print it (sorted keys, UTF-8 kept)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC)


def _number(value: Decimal | int | float) -> str:
    """A value as the page prints it: integers plainly, fractions to at most four decimals."""
    if isinstance(value, int) or (isinstance(value, Decimal) and value == value.to_integral_value()):
        return str(int(value))
    text = f"{float(value):.4f}".rstrip("0")
    return text[:-1] if text.endswith(".") else text


class _Builder:
    """Builds the events a selection matches and evaluates count/distinct KPIs over them."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy

    def sender(self, sel: Selection) -> tuple[Event, dict[str, Any], str] | None:
        """The selection's first event, a payload it matches, and a tier that may send it."""
        event = self.taxonomy.event(sel.events[0]) if sel.events else None
        if event is None:
            return None
        payload = dict(event.examples[0]) if event.examples else {}
        for name, values in sel.where:
            payload[name] = values[0]
        senders = [t.name for t in self.taxonomy.tiers
                   if not t.system and self.taxonomy.can_send(t.name, event.tier)]
        tier = next((t for t in senders if not sel.tiers or t in sel.tiers), None)
        return (event, payload, tier) if tier else None

    @staticmethod
    def matches(sel: Selection, sent: _Sent) -> bool:
        return (sent.event.id in sel.events and (not sel.tiers or sent.tier in sel.tiers)
                and all(sent.payload.get(name) in values for name, values in sel.where))

    def shape(self, kpi: Kpi) -> Kpi:
        """The KPI whose dimensions a rolling KPI's cells carry: its base's."""
        base = self.taxonomy.kpi(kpi.base or "") if kpi.type == "rolling" else None
        return base or kpi

    @staticmethod
    def dims(kpi: Kpi, sent: _Sent) -> tuple[tuple[str, str], ...] | None:
        out = []
        for name in kpi.by:
            if name == "tier":
                out.append((name, sent.tier))
            elif name in sent.payload and not isinstance(sent.payload[name], (list, dict)):
                out.append((name, _text(sent.payload[name])))
            else:
                return None
        return tuple(out)

    def value(self, kpi: Kpi, sent: list[_Sent], day: dt.date, dims: tuple[tuple[str, str], ...]) -> int | None:
        """A count, distinct-actors or rolling KPI's value in the cell of ``day`` with ``dims``."""
        if kpi.type == "rolling":
            base = self.taxonomy.kpi(kpi.base or "")
            days = _window_days(kpi.window)
            if base is None or base.type not in ("count", "distinct_actors") or days is None:
                return None
            first = day - dt.timedelta(days=days - 1)
            inside = [s for s in sent if first <= s.at.date() <= day]
            return self._measure(base, inside, dims)
        if kpi.type not in ("count", "distinct_actors") or kpi.grain not in PERIOD_START:
            return None
        inside = [s for s in sent if _period(kpi.grain, s.at.date()) == _period(kpi.grain, day)]
        return self._measure(kpi, inside, dims)

    def _measure(self, kpi: Kpi, sent: list[_Sent], dims: tuple[tuple[str, str], ...]) -> int | None:
        if kpi.selection is None:
            return None
        hits = [s for s in sent if self.matches(kpi.selection, s) and self.dims(kpi, s) == dims]
        return len(hits) if kpi.type == "count" else len({s.actor for s in hits})

    def three_events(self, kpi: Kpi, day: dt.date, early_day: dt.date | None = None,
                     actors: tuple[str, str, str] = ("A", "A", "B")) -> list[_Sent] | None:
        """Actor A twice and actor B once (count 3, distinct actors 2), or the three ``actors`` given.
        ``early_day`` moves the first event there (a rolling window that reaches back)."""
        source = kpi if kpi.selection else self.taxonomy.kpi(kpi.base or "")
        if source is None or source.selection is None:
            return None
        found = self.sender(source.selection)
        if found is None:
            return None
        event, payload, tier = found
        first_day = early_day or day
        return [_Sent(actors[0], tier, _at(first_day, 9), event, payload),
                _Sent(actors[1], tier, _at(day, 10), event, payload), _Sent(actors[2], tier, _at(day, 11), event, payload)]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _period(grain: str, day: dt.date) -> dt.date:
    if grain == "week":
        return day - dt.timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day


def _window_days(window: str | None) -> int | None:
    if not window:
        return None
    number, unit = window.split()
    per = {"day": 1, "days": 1, "week": 7, "weeks": 7}.get(unit)
    return int(number) * per if per else None


def _key(period: dt.date, dims: tuple[tuple[str, str], ...], *extra: tuple[str, str]) -> tuple[tuple[str, str], ...]:
    return (("period", period.isoformat()), *dims, *extra)


def _simple(kpi: Kpi, b: _Builder) -> Example | None:
    """count and distinct_actors: A twice and B once on one day.  rolling: the same over its base,
    with A's first event on an earlier day inside the window."""
    early = None
    if kpi.type == "rolling":
        days = _window_days(kpi.window)
        if days is None or days < 2:
            return None
        early = EXAMPLE_DAY - dt.timedelta(days=min(2, days - 1))
    sent = b.three_events(kpi, EXAMPLE_DAY, early)
    dims = b.dims(b.shape(kpi), sent[0]) if sent else None
    if sent is None or dims is None:
        return None
    value = b.value(kpi, sent, EXAMPLE_DAY, dims)
    if value is None:
        return None
    period = EXAMPLE_DAY if kpi.type == "rolling" else PERIOD_START[kpi.grain]
    return Example(tuple(s.printed() for s in sent), (Cell(_key(period, dims), "value", str(value)),))


def _ratio(kpi: Kpi, b: _Builder) -> Example | None:
    """The numerator's example events (A twice, B once) and the denominator's (C, A, B: C counts only
    in the denominator, on an earlier day where the denominator is a rolling window) together; the
    cell divides the two KPIs' values over all of them."""
    num, den = b.taxonomy.kpi(kpi.numerator or ""), b.taxonomy.kpi(kpi.denominator or "")
    if num is None or den is None:
        return None
    sent: list[_Sent] = []
    for part, actors in ((num, ("A", "A", "B")), (den, ("C", "A", "B"))):
        early = EXAMPLE_DAY - dt.timedelta(days=2) if part.type == "rolling" else None
        events = b.three_events(part, EXAMPLE_DAY, early, actors)
        if events is None:
            return None
        sent += [e for e in events if e not in sent]
    sent.sort(key=lambda s: (s.at, s.actor))
    dims = b.dims(b.shape(num), sent[0])
    if dims is None:
        return None
    top, bottom = b.value(num, sent, EXAMPLE_DAY, dims), b.value(den, sent, EXAMPLE_DAY, dims)
    if not top or not bottom:
        return None
    grain = num.grain if num.type != "rolling" else "day"
    key = _key(_period(grain, EXAMPLE_DAY), dims)
    return Example(tuple(s.printed() for s in sent),
                   (Cell(key, "numerator", str(top)), Cell(key, "denominator", str(bottom)),
                    Cell(key, "value", _number(Decimal(top) / Decimal(bottom)))))


def _percentile(kpi: Kpi, b: _Builder) -> Example | None:
    """Four values of the field on one day (the event's example value times 1 to 4)."""
    found = b.sender(kpi.selection) if kpi.selection and kpi.field else None
    if found is None or kpi.grain not in PERIOD_START:
        return None
    event, payload, tier = found
    prop = next((p for p in event.properties if p.name == kpi.field), None)
    base = payload.get(kpi.field or "")
    if prop is None or not isinstance(base, (int, float)) or isinstance(base, bool) or base <= 0:
        return None
    values = [base * i for i in (1, 2, 3, 4)]
    if prop.value.maximum is not None and values[-1] > prop.value.maximum:
        return None
    sent = [_Sent(actor, tier, _at(EXAMPLE_DAY, 9 + i), event, {**payload, kpi.field: v})
            for i, (actor, v) in enumerate(zip("ABAB", values, strict=True))]
    dims = b.dims(kpi, sent[0])
    if dims is None:
        return None
    key = _key(PERIOD_START[kpi.grain], dims)
    cells = [Cell(key, "n", str(len(values)))]
    for p in kpi.percentiles:
        # percentile_disc: the smallest value whose cumulative share reaches p
        cells.append(Cell(key, pct_name(p), _number(values[max(math.ceil(p * len(values)) - 1, 0)])))
    return Example(tuple(s.printed() for s in sent), tuple(cells))


def _funnel(kpi: Kpi, b: _Builder) -> Example | None:
    """A completes every step an hour apart; B does step 1 only."""
    steps = [b.sender(step.selection) for step in kpi.steps]
    if any(s is None for s in steps) or len(steps) < 2:
        return None
    first_event, first_payload, first_tier = steps[0]  # type: ignore[misc]
    sent = [_Sent("A", tier, _at(EXAMPLE_DAY, 9 + i), event, payload)
            for i, (event, payload, tier) in enumerate(steps)]  # type: ignore[misc]
    sent.insert(1, _Sent("B", first_tier, _at(EXAMPLE_DAY, 9), first_event, first_payload))
    sent.sort(key=lambda s: (s.at, s.actor))
    dims = b.dims(kpi, sent[0])
    if dims is None:
        return None
    start = PERIOD_START.get(kpi.grain, EXAMPLE_DAY)
    first_key, last_key = _key(start, dims, ("step", "1")), _key(start, dims, ("step", str(len(steps))))
    return Example(tuple(s.printed() for s in sent),
                   (Cell(first_key, "actors", "2"), Cell(last_key, "actors", "1"),
                    Cell(last_key, "conversion", "0.5")))


def _retention(kpi: Kpi, b: _Builder) -> Example | None:
    """A and B join the cohort on one day; B returns the same day (period 0), A one period later."""
    cohort = b.sender(kpi.cohort) if kpi.cohort else None
    back = b.sender(kpi.returning) if kpi.returning else None
    if cohort is None or back is None or kpi.cohort_grain not in ("day", "week", "month") or kpi.periods < 1:
        return None
    later = {"day": EXAMPLE_DAY + dt.timedelta(days=1), "week": EXAMPLE_DAY + dt.timedelta(days=7),
             "month": EXAMPLE_DAY.replace(month=EXAMPLE_DAY.month + 1)}[kpi.cohort_grain]
    c_event, c_payload, c_tier = cohort
    r_event, r_payload, r_tier = back
    sent = [_Sent("A", c_tier, _at(EXAMPLE_DAY, 9), c_event, c_payload),
            _Sent("B", c_tier, _at(EXAMPLE_DAY, 10), c_event, c_payload),
            _Sent("B", r_tier, _at(EXAMPLE_DAY, 12), r_event, r_payload),
            _Sent("A", r_tier, _at(later, 9), r_event, r_payload)]
    start = _period(kpi.cohort_grain, EXAMPLE_DAY)
    zero, one = _key(start, (), ("period_number", "0")), _key(start, (), ("period_number", "1"))
    return Example(tuple(s.printed() for s in sent),
                   (Cell(zero, "cohort_actors", "2"), Cell(zero, "retained", "1"), Cell(one, "retained", "1"),
                    Cell(one, "rate", "0.5")))


BUILDERS = {"count": _simple, "distinct_actors": _simple, "rolling": _simple, "ratio": _ratio,
            "percentile": _percentile, "funnel": _funnel, "retention": _retention}


def worked_example(kpi: Kpi, taxonomy: Taxonomy) -> Example | None:
    """The KPI's worked example, or None where the taxonomy gives nothing to build one from (no
    example payload carrying a dimension, say)."""
    build = BUILDERS.get(kpi.type)
    return build(kpi, _Builder(taxonomy)) if build else None
