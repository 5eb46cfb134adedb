"""``rolling``: per day, the base KPI over the window ending that day: distinct actors for a
``distinct_actors`` base (from its facts, not a sum of daily counts), the sum for a ``count`` base.
The refresh brings the base up to date first, in the same transaction, so it never lags it."""

from __future__ import annotations

from ...catalog import Index
from ...sqlquote import literal
from .common import KpiPlan, window_days


class RollingPlan(KpiPlan):
    type = "rolling"

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        base = self.plans[self.kpi.base]
        self.set_dims(base.dims)
        days = window_days(self.kpi.window or "")
        self.base_type = base.type
        self.base_facts = base.facts
        self.src = base.facts if base.type == "distinct_actors" else base.rollup
        self.agg = "count(distinct f.actor_hash)" if base.type == "distinct_actors" else "sum(f.value)::bigint"
        self.days = days
        self.span = days - 1
        self.inputs_refresh = [f"{self.n.priv}.{base.refresh_fn}"]
        self.read_vals = ", r.value"
        self.net_vals = f", {self.masked('r.value')} as value"
        self.net_val_cols = ", value"
        self.base_net = base.net
        self.member_table = base.facts
        self.member_period = f"m.period between p.period - {self.span} and p.period"
        # a window still filling (ending after today) is not shown
        today = f"(now() at time zone {literal(self.tz)})::date"
        self.period_cap_r = f" and r.period <= {today}"
        self.period_cap_m = f" and m.period <= {today}"
        self.today = today
        self.group_by_short = ", ".join(str(i) for i in range(1, 2 + len(self.dims)))  # key and dimensions
        self.tz_literal = literal(self.tz)
        self.declare.append(("last_day", "date"))

    def rollup_indexes(self) -> list[Index]:
        # the day rollover reads the windows of the previous refresh's day (rolling.sql.j2)
        return [self.index("kpi_{}_period_idx", self.rollup, "(period)")]

