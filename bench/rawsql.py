"""B3's baseline: the same aggregate as a site read, computed from the raw event store.

Built from the KPI definitions (``generator.model.Kpi``), not from the generated
SQL, so it is an independent second answer: the bench also compares its rows
with the read's rows (a sanity check printed in the report). Written for the KPI
types whose raw form is one plain query: count, distinct_actors, percentile,
rolling and ratio of those. Funnels and retention need per-actor sequence logic;
they get no baseline (the report says so).
"""

from __future__ import annotations

from generator.model import Kpi, Selection, Taxonomy

from .cluster import PRIVATE

STORE = f"{PRIVATE}.events"
SUPPORTED = ("count", "distinct_actors", "percentile", "rolling", "ratio")


def _lit(value: object) -> str:
    if isinstance(value, bool):
        value = "true" if value else "false"
    return "'" + str(value).replace("'", "''") + "'"


def _array(values) -> str:
    return "array[" + ", ".join(_lit(v) for v in values) + "]::text[]"


def _dims(kpi: Kpi) -> list[tuple[str, str]]:
    """(column, expression) of each dimension, in the rollup's order."""
    out = []
    for name in kpi.by:
        if name == "site":
            continue
        if name == "tier":
            out.append(("tier", "e.actor_tier"))
        elif name == "event":
            out.append(("event_id", "e.event_id"))
        else:
            out.append((name, f"(e.payload ->> {_lit(name)})"))
    return out


def _filters(sel: Selection) -> list[str]:
    out = [f"e.event_id = any ({_array(sel.events)})"]
    if sel.tiers:
        out.append(f"e.actor_tier = any ({_array(sel.tiers)})")
    for field, values in sel.where:
        out.append(f"(e.payload ->> {_lit(field)}) = any ({_array(values)})")
    return out


def _grouped(kpi: Kpi, tz: str, measures: list[str]) -> str:
    """One row per (site, period, dims) of events of ``kpi`` in [from, to] periods."""
    assert kpi.selection is not None
    dims = _dims(kpi)
    period = f"date_trunc({_lit(kpi.grain)}, e.occurred_at at time zone {_lit(tz)})::date"
    cols = ", ".join(["e.site_id", f"{period} as period"] + [f"{expr} as {col}" for col, expr in dims] + measures)
    where = " and ".join(
        ["e.site_id = %(site)s::uuid",
         f"e.occurred_at >= (%(from)s::date)::timestamp at time zone {_lit(tz)}",
         f"e.occurred_at < ((%(to)s::date) + interval '1 {kpi.grain}')::timestamp at time zone {_lit(tz)}"]
        + _filters(kpi.selection))
    groups = ", ".join(str(i) for i in range(1, 3 + len(dims)))
    return (f"select * from (select {cols} from {STORE} as e where {where} group by {groups}) as g "
            "where g.period >= %(from)s::date and g.period <= %(to)s::date")


def query(tax: Taxonomy, kpi: Kpi) -> str | None:
    """The raw query for a site read of ``kpi`` (parameters site, from, to), or None."""
    tz = tax.project.timezone
    if kpi.type == "count":
        return _grouped(kpi, tz, ["count(*) as value"])
    if kpi.type == "distinct_actors":
        return _grouped(kpi, tz, ["count(distinct e.actor_hash) as value"])
    if kpi.type == "percentile" and kpi.field:
        value = f"(e.payload ->> {_lit(kpi.field)})::double precision"
        cols = ["count(*) as n"] + [
            f"percentile_disc({p}) within group (order by {value}) as p{i}" for i, p in enumerate(kpi.percentiles)]
        return _grouped(kpi, tz, cols)
    if kpi.type == "rolling" and kpi.base and kpi.window:
        base = tax.kpi(kpi.base)
        if base is None or base.selection is None or base.type not in ("count", "distinct_actors"):
            return None
        days = _window_days(kpi.window)
        dims = _dims(base)
        measure = "count(distinct e.actor_hash)" if base.type == "distinct_actors" else "count(*)"
        cols = ", ".join(["e.site_id", "d.day::date as period"] + [f"{expr} as {col}" for col, expr in dims]
                         + [f"{measure} as value"])
        where = " and ".join(
            ["e.site_id = %(site)s::uuid",
             f"e.occurred_at >= (d.day - interval '{days - 1} days') at time zone {_lit(tz)}",
             f"e.occurred_at < (d.day + interval '1 day') at time zone {_lit(tz)}"] + _filters(base.selection))
        groups = ", ".join(str(i) for i in range(1, 3 + len(dims)))
        return (f"select {cols} from generate_series(%(from)s::date, %(to)s::date, interval '1 day') as d (day) "
                f"join {STORE} as e on {where} group by {groups}")
    if kpi.type == "ratio" and kpi.numerator and kpi.denominator:
        num, den = tax.kpi(kpi.numerator), tax.kpi(kpi.denominator)
        if num is None or den is None:
            return None
        qn, qd = query(tax, num), query(tax, den)
        if qn is None or qd is None:
            return None
        keys = ["site_id", "period"] + [c for c, _ in _dims(num)]
        cols = ", ".join(keys)
        on_n = " and ".join(f"n.{k} is not distinct from k.{k}" for k in keys)
        on_d = " and ".join(f"d.{k} is not distinct from k.{k}" for k in keys)
        return (f"with n as ({qn}), d as ({qd}), k as (select {cols} from n union select {cols} from d) "
                f"select {', '.join('k.' + c for c in keys)}, coalesce(n.value, 0) as numerator, "
                f"coalesce(d.value, 0) as denominator, coalesce(n.value, 0)::numeric / nullif(d.value, 0) as value "
                f"from k left join n on {on_n} left join d on {on_d}")
    return None


def _window_days(text: str) -> int:
    n, unit = text.split()
    return int(n) * (7 if unit.startswith("week") else 1)


def kpi_of_read(tax: Taxonomy, read_name: str) -> Kpi | None:
    """The KPI whose name a read's name contains (the longest such name), or None."""
    hits = [k for k in tax.kpis if k.name in read_name]
    return max(hits, key=lambda k: len(k.name)) if hits else None


def normalise(rows: list[tuple]) -> list[tuple]:
    """Rows comparable across the read and the raw query (numbers rounded, text as is), sorted."""
    out = []
    for row in rows:
        norm = []
        for v in row:
            if isinstance(v, bool) or v is None:
                norm.append(v)
            elif isinstance(v, int | float) or type(v).__name__ == "Decimal":
                norm.append(round(float(v), 6))
            else:
                norm.append(str(v))
        out.append(tuple(norm))
    return sorted(out, key=repr)
