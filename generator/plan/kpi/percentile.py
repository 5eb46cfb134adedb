"""``percentile``: exact ``percentile_disc`` per cell over every measured value (kept per event)."""

from __future__ import annotations

from ...catalog import Column, DbObject
from ...sqlquote import ident, literal
from .common import ACTOR_TYPE, XID, EventKpi, key_order


def pct_name(p: float) -> str:
    text = f"{p * 100:.6g}".replace(".", "_")
    return f"p{text}"


def pct_column(p: float) -> str:
    return ident(pct_name(p))


class PercentilePlan(EventKpi):
    type = "percentile"

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        kpi = self.kpi
        assert kpi.field
        self.pcts = [pct_column(p) for p in kpi.percentiles]
        arr = "array[" + ", ".join(repr(float(p)) for p in kpi.percentiles) + "]::double precision[]"
        self.values_table = self.sql("kpi_{}_mv_values" if self.matview else "kpi_{}_values")
        self.field_expr = f"(e.payload ->> {literal(kpi.field)})::double precision"
        #: values rows (site_id, period, dimensions, actor_hash, event_key, occurred_at, ...) in the
        #: order of their unique key (site_id, event_key, occurred_at)
        self.values_order = key_order(("site_id", "period", *(d.column for d in self.dims), "actor_hash",
                                       "event_key", "occurred_at"), ("site_id", "event_key", "occurred_at"))
        self.field_present = f"jsonb_typeof(e.payload -> {literal(kpi.field)}) = 'number'"
        self.pct_set = ", ".join(f"{c} = excluded.{c}" for c in self.pcts)
        self.pct_exprs = "".join(f", (percentile_disc({arr}) within group (order by f.measure))[{i}] as {c}"
                                 for i, c in enumerate(self.pcts, start=1))
        self.val_cols = ", n" + "".join(f", {c}" for c in self.pcts)
        self.read_vals = ", r.n" + "".join(f", r.{c}" for c in self.pcts)
        #: per percentile, the flag hiding it when too few actors lie on either side of it (tails macro)
        self.tail_flags = [ident(pct_name(p) + "_hidden") for p in kpi.percentiles]
        self.tail_sets = list(zip(self.pcts, self.tail_flags, strict=True))
        self.tails = True
        self.net_vals = f", {self.masked('r.n')} as n" + "".join(
            f", {self.masked(f'r.{c}', f'r.{flag}')} as {c}" for c, flag in self.tail_sets)
        self.net_val_cols = self.val_cols
        self.member_table = self.values_table

    def value_columns(self) -> tuple[Column, ...]:
        return (Column("n", "bigint"),) + tuple(Column(c, "double precision") for c in self.pcts)

    def read_columns(self) -> tuple[tuple[str, str], ...]:
        return (("n", "bigint"),) + tuple((c, "double precision") for c in self.pcts)

    def net_value_columns(self) -> tuple[Column, ...]:
        return (Column("n", "bigint", not_null=True),) + tuple(Column(c, "double precision") for c in self.pcts)

    def net_extra_columns(self) -> tuple[Column, ...]:
        return tuple(Column(flag, "boolean", not_null=True, default="true") for flag in self.tail_flags)

    def cache_tables(self) -> list[DbObject]:
        return [
            self.cache(self.values_table, (Column("site_id", "uuid", not_null=True),
                                           Column("period", "date", not_null=True)) + self.dim_columns()
                       + (Column("actor_hash", ACTOR_TYPE, not_null=True), Column("event_key", "uuid", not_null=True),
                          Column("occurred_at", "timestamptz", not_null=True),
                          Column("measure", "double precision", not_null=True), Column("network_id", "uuid"), XID),
                       f"constraint {self.sql('kpi_{}_values_key')} unique (site_id, event_key, occurred_at)",
                       f"KPI {self.name}: one measured value per event."),
            self.index("kpi_{}_values_xid_idx", self.values_table, "(ingest_xid)"),
            self.index("kpi_{}_values_cell_idx", self.values_table, f"(site_id, period{self.dim_cols})"),
            self.index("kpi_{}_values_net_idx", self.values_table, f"(network_id, period{self.dim_cols})"),
        ]
