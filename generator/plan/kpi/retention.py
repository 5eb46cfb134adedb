"""``retention``: an actor's cohort is the period of its first cohort event; period N counts cohort
members with a returning event N periods later (period 0 is the cohort period itself)."""

from __future__ import annotations

from ...catalog import Column, DbObject
from .common import ACTOR_TYPE, XID, Dim, KpiPlan, key_order, period_expr


class RetentionPlan(KpiPlan):
    type = "retention"

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        kpi = self.kpi
        assert kpi.cohort is not None and kpi.returning is not None
        self.set_dims([Dim("period_number", "", "smallint")], kdims=[])
        self.grain = kpi.cohort_grain
        self.period = period_expr(kpi.cohort_grain, self.tz)
        #: cohorts (site_id, actor_hash, ...) and actives (site_id, actor_hash, period) in key order
        self.cohorts_order = key_order(("site_id", "actor_hash"), ("site_id", "actor_hash"))
        self.active_order = key_order(("site_id", "actor_hash", "period"), ("site_id", "actor_hash", "period"))
        self.cohort_filter = self.sets.filter(f"{self.base_name}.cohort", kpi.cohort, self.origin)
        self.returning_filter = self.sets.filter(f"{self.base_name}.returning", kpi.returning, self.origin)
        self.periods = kpi.periods
        self.offset = self.offset_of("c.cohort", "g.j")
        self.cohorts = self.sql("kpi_{}_cohorts")
        self.active = self.sql("kpi_{}_active")
        self.declare += [("moved_sites", "uuid[]"), ("moved_actors", f"{ACTOR_TYPE}[]"), ("moved_cohorts", "date[]"),
                         ("moved_networks", "uuid[]"), ("rt_nets", "uuid[]"), ("rt_periods", "date[]"),
                         ("rm_nets", "uuid[]"), ("rm_periods", "date[]")]
        vals = ", {c} as cohort_actors, {v} as retained, round({v}::numeric / nullif({c}, 0), 6) as rate"
        self.read_vals = vals.format(c="r.cohort_actors", v="r.value")
        self.net_vals = vals.format(c=self.masked("r.cohort_actors"), v=self.masked("r.value"))
        self.net_val_cols = ", cohort_actors, value"
        # per network cell, what the suppression reads besides sites and actors (retention.sql.j2)
        self.net_extra_cols = ", gone_actors, gone_sites, cohort_sites, but_one"

    def offset_of(self, cohort: str, j: str) -> str:
        """The period ``j`` periods after the cohort period ``cohort`` (SQL expressions)."""
        if self.kpi.cohort_grain == "week":
            return f"({cohort} + 7 * {j})"
        return f"({cohort} + make_interval(months => {j}))::date"

    def value_columns(self) -> tuple[Column, ...]:
        return (Column("cohort_actors", "bigint", not_null=True), Column("value", "bigint", not_null=True))

    net_value_columns = value_columns

    def net_extra_columns(self) -> tuple[Column, ...]:
        # members not retained (distinct actors, sites) per cell; the cohort's sites and actors left
        # after removing any one site, on each of its cells
        return tuple(Column(c, "bigint", not_null=True) for c in ("gone_actors", "gone_sites", "cohort_sites", "but_one"))

    def read_columns(self) -> tuple[tuple[str, str], ...]:
        return (("cohort_actors", "bigint"), ("retained", "bigint"), ("rate", "numeric"))

    def cache_tables(self) -> list[DbObject]:
        return [
            self.cache(self.cohorts, (Column("site_id", "uuid", not_null=True),
                                      Column("actor_hash", ACTOR_TYPE, not_null=True),
                                      Column("cohort", "date", not_null=True), Column("network_id", "uuid"), XID),
                       f"constraint {self.sql('kpi_{}_cohorts_key')} primary key (site_id, actor_hash)",
                       f"KPI {self.name}: each actor's cohort, the {self.grain} of its first cohort event at the site."),
            self.index("kpi_{}_cohorts_xid_idx", self.cohorts, "(ingest_xid)"),
            self.index("kpi_{}_cohorts_net_idx", self.cohorts, "(network_id, cohort)"),
            # a touched actor's other sites; another member keeping a site in a network cell
            self.index("kpi_{}_cohorts_actor_idx", self.cohorts, "(actor_hash)"),
            self.index("kpi_{}_cohorts_site_idx", self.cohorts, "(site_id, cohort, network_id)"),
            self.cache(self.active, (Column("site_id", "uuid", not_null=True),
                                     Column("actor_hash", ACTOR_TYPE, not_null=True),
                                     Column("period", "date", not_null=True), XID),
                       f"constraint {self.sql('kpi_{}_active_key')} primary key (site_id, actor_hash, period)",
                       f"KPI {self.name}: the {self.grain}s in which each actor had a returning event."),
            self.index("kpi_{}_active_xid_idx", self.active, "(ingest_xid)"),
        ]
