"""``count``: accepted events per cell.  The site rollup keeps one row per network, so a network cell
is the sum of its sites' rows; site reads sum them back per site."""

from __future__ import annotations

from ...catalog import Column, DbObject, Index, Table
from .common import XID, EventKpi


class CountPlan(EventKpi):
    type = "count"

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        self.read_vals = ", sum(r.value)::bigint"
        self.read_group = f"\n  group by {self.group_by}"
        self.net_val_cols = ", value"

    def cache_tables(self) -> list[DbObject]:
        return self.facts_table()

    def rollup_table(self) -> Table:
        return self.cache(
            self.rollup, (Column("site_id", "uuid", not_null=True), Column("period", "date", not_null=True))
            + self.dim_columns() + (Column("network_id", "uuid"), Column("value", "bigint", not_null=True), XID),
            f"constraint {self.sql('kpi_{}_key')} unique nulls not distinct (site_id, period{self.dim_cols}, network_id)",
            self.kpi.description)

    def rollup_indexes(self) -> list[Index]:
        return super().rollup_indexes() + [self.index("kpi_{}_rollup_net_idx", self.rollup,
                                                      f"(network_id, period{self.dim_cols})")]
