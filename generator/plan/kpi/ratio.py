"""``ratio``: two KPIs divided cell by cell at read time (the numerator's cells); nothing is stored."""

from __future__ import annotations

from ...catalog import Arg, DbObject, Grant, View
from ...sqlquote import literal
from ..bodies import macro
from .common import KpiPlan

READS = "sql/kpi/reads.sql.j2"


class RatioPlan(KpiPlan):
    type = "ratio"
    stored = False

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        num, den = self.plans[self.kpi.numerator], self.plans[self.kpi.denominator]
        self.set_dims(num.dims)
        self.num, self.den = num, den
        self.num_caller, self.den_caller = num.caller_fn, den.caller_fn
        self.num_between, self.den_between = num.between_fn, den.between_fn
        self.num_network, self.den_network = num.network_fn, den.network_fn
        self.num_live, self.den_live = num.live_fn, den.live_fn
        self.live = "exact" if num.live == den.live == "exact" else "refreshed"

    def read_columns(self) -> tuple[tuple[str, str], ...]:
        return (("numerator", "bigint"), ("denominator", "bigint"), ("value", "numeric"))

    def exposed(self, read_roles: tuple[str, ...], dates: tuple[Arg, ...]) -> list[DbObject]:
        p, pub = self.n.priv, self.n.pub
        grants = (Grant("select", read_roles),)
        site_calls = (f"{p}.{self.num_caller}()", f"{p}.{self.den_caller}()")
        between_calls = (f"{p}.{self.num_between}(date, date)", f"{p}.{self.den_between}(date, date)")
        net_calls = (f"{p}.{self.num_network}()", f"{p}.{self.den_network}()")
        live_calls = ((f"{p}.{self.num_live}(date, date)", f"{p}.{self.den_live}(date, date)") if self.live == "exact"
                      else between_calls + (f"{p}.kpi_freshness()",))
        return [
            View(pub, self.view, macro(READS, "ratio_site", self, p), self.view_columns(True),
                 comment=literal(f"KPI {self.name}: {self.kpi.description}"), grants=grants, reads=site_calls,
                 group="60_kpis", origin=self.origin),
            self.fn(pub, self.between_view, dates, self.returns(True), macro(READS, "ratio_site", self, p, True) + ";",
                    security="invoker", grants=read_roles, calls=between_calls,
                    comment=f"KPI {self.name} for the caller's own site, periods in [from, to]."),
            self.fn(pub, self.live_view, dates, self.returns_live(), macro("sql/kpi/live.sql.j2", "ratio" if self.live == "exact" else "ratio_refreshed", self, p),
                    security="invoker", grants=read_roles, calls=live_calls, comment=self.live_comment()),
            View(pub, self.network_view, macro(READS, "ratio_network", self, p), self.view_columns(False),
                 comment=literal(f"KPI {self.name} across the caller's network; small cells hidden."),
                 grants=grants, reads=net_calls, group="60_kpis", origin=self.origin),
        ]

    def stored_inputs(self) -> list[str]:
        return sorted(set(self.num.stored_inputs()) | set(self.den.stored_inputs()))

    def live_comment(self) -> str:
        return (f"KPI {self.name}, real time: its numerator's and denominator's live reads joined per cell, periods in "
                f"[from, to]; as_of is the older of theirs"
                if self.live == "exact" else
                f"KPI {self.name} for the caller's own site, periods in [from, to]: the refreshed cells of its numerator and "
                "denominator (one of them has no real-time tail, and a live side over a refreshed one could exceed "
                "one); as_of: the older of their last refreshes.")
