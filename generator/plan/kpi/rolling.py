"""``rolling``: per day, the base KPI over the window ending that day: distinct actors for a
``distinct_actors`` base (from its facts, not a sum of daily counts), the sum for a ``count`` base.
The refresh brings the base up to date first, in the same transaction, so it never lags it."""

from __future__ import annotations

from ...catalog import Column, DbObject, Index
from ...sqlquote import literal
from .common import KpiPlan, key_order, window_days


class RollingPlan(KpiPlan):
    type = "rolling"
    #: 2: a distinct-actors window keeps its members' runs (rolling.sql.j2), built by a backfill;
    #: 3: an actor member is its cache key's 8 bytes (int8send of ACTOR_TYPE), not the 32-byte hash
    generation = 3

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
        #: a window over distinct actors is kept exactly incremental through its members' runs; a
        #: summed count recounts its touched windows (a window of daily sums is a few rows)
        self.runs = self.sql("kpi_{}_runs") if base.type == "distinct_actors" and not self.matview else None
        if self.runs:
            #: runs rows (kind, key, dimensions, member, run_from, run_to) in their primary key's order
            runs = ("kind", "key", *(d.column for d in self.dims), "member", "run_from", "run_to")
            self.runs_order = key_order(runs, runs)
            self.declare += [("rn_nets", "uuid[]"), ("rn_periods", "date[]")]

    def cache_tables(self) -> list[DbObject]:
        if not self.runs:
            return []
        return [
            self.cache(self.runs, (Column("kind", "smallint", not_null=True), Column("key", "uuid", not_null=True))
                       + self.dim_columns() + (Column("member", "bytea", not_null=True),
                                               Column("run_from", "date", not_null=True),
                                               Column("run_to", "date", not_null=True)),
                       f"constraint {self.sql('kpi_{}_runs_key')} primary key "
                       f"(kind, key{self.dim_cols}, member, run_from, run_to)",
                       f"KPI {self.name}: per member (0: an actor of a site, 1: an actor of a network, as "
                       f"int8send; 2: a site of a network, as uuid_send) and dimensions, each run of active days less than "
                       f"{self.days + 1} days apart; the member counts in the windows ending from run_from to "
                       f"run_to + {self.span}."),
            # the day rollover reads the runs still covering a window after the previous refresh's day
            self.index("kpi_{}_runs_to_idx", self.runs, "(run_to)"),
        ]

    def rollup_indexes(self) -> list[Index]:
        # the day rollover reads the windows of the previous refresh's day (rolling.sql.j2)
        return [self.index("kpi_{}_period_idx", self.rollup, "(period)")]

