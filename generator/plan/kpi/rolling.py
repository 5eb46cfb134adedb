"""``rolling``: per day, the base KPI over the window ending that day: distinct actors for a
``distinct_actors`` base (from its facts, not a sum of daily counts), the sum for a ``count`` base.
The refresh brings the base up to date first, in the same transaction, so it never lags it."""

from __future__ import annotations

from ...catalog import Column
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
        self.net_extra_cols = ", actors_but_one"
        self.base_net = base.net
        self.member_table = base.facts
        self.member_period = f"m.period between p.period - {self.span} and p.period"
        # A base cell hidden in the network view must not be narrowed by the windows over it: with a
        # distinct_actors base, a window holds at least that day's actors, so it is shown only with
        # k + 1 actors left after removing any one site (and k + 1 sites); with a count base, two
        # consecutive windows differ by one day entering and one leaving, so every window that
        # holds a hidden day, or whose predecessor does, is hidden. Applied when read, with the
        # base's current flags.
        reach = self.span if base.type == "distinct_actors" else self.span + 1
        dims_match = "".join(f" and b.{d.column} is not distinct from m.{d.column}" for d in self.dims)
        small = (f" and (m.actors_but_one <= {self.k_anon} or m.sites <= {self.k_anon})"
                 if base.type == "distinct_actors" else "")
        self.suppressed_expr = (f"(m.hidden or exists (select 1 from {self.n.priv}.{base.net} as b "
                                f"where b.network_id = m.network_id and b.period between m.period - {reach} and m.period"
                                f"{dims_match} and b.hidden){small})")
        # a window still filling (ending after today) is not shown
        today = f"(now() at time zone {literal(self.tz)})::date"
        self.period_cap_r = f" and r.period <= {today}"
        self.period_cap_m = f" and m.period <= {today}"

    def net_extra_columns(self) -> tuple[Column, ...]:
        return (Column("actors_but_one", "bigint", not_null=True),)
