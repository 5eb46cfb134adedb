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

    def read_columns(self) -> tuple[tuple[str, str], ...]:
        return (("numerator", "bigint"), ("denominator", "bigint"), ("value", "numeric"))

    def exposed(self, read_roles: tuple[str, ...], dates: tuple[Arg, ...]) -> list[DbObject]:
        p, pub = self.n.priv, self.n.pub
        grants = (Grant("select", read_roles),)
        site_calls = (f"{p}.{self.num_caller}()", f"{p}.{self.den_caller}()")
        between_calls = (f"{p}.{self.num_between}(date, date)", f"{p}.{self.den_between}(date, date)")
        net_calls = (f"{p}.{self.num_network}()", f"{p}.{self.den_network}()")
        return [
            View(pub, self.view, macro(READS, "ratio_site", self, p), self.view_columns(True),
                 comment=literal(f"KPI {self.name}: {self.kpi.description}"), grants=grants, reads=site_calls,
                 group="60_kpis", origin=self.origin),
            self.fn(pub, self.between_view, dates, self.returns(True), macro(READS, "ratio_site", self, p, True) + ";",
                    security="invoker", grants=read_roles, calls=between_calls,
                    comment=f"KPI {self.name} for the caller's own site, periods in [from, to]."),
            View(pub, self.network_view, macro(READS, "ratio_network", self, p), self.view_columns(False),
                 comment=literal(f"KPI {self.name} across the caller's network; small cells hidden."),
                 grants=grants, reads=net_calls, group="60_kpis", origin=self.origin),
        ]
