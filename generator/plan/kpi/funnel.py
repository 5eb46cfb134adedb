"""``funnel``: per actor and site, an attempt starts at a step-1 event; ``ordered`` needs the later
steps in order within the window, ``strict`` as the very next funnel events, ``any`` in any order.
Cells are (site, period of the step-1 event, dimensions of the step-1 event, step)."""

from __future__ import annotations

from ...catalog import Column, DbObject
from ...sqlquote import literal
from .common import ACTOR_TYPE, PACKED_KEY, XID, Dim, KpiPlan, dims_of, join_on, key_order, prefixed


class FunnelPlan(KpiPlan):
    type = "funnel"
    #: 2: every step is met by a different, later event (one event no longer meets two steps);
    #: 3: the caches' indexes serve the windowed re-read and the suppression's per-actor probe (rebuilt
    #: rather than re-indexed in place: a plain CREATE INDEX on a live cache blocks its refresh's writes);
    #: 4: the actors' key leads with (site_id, period), so recounting a touched cell reads that cell (it
    #: read every row of the site through (site_id, actor_hash, ...): 2.5 s of a refresh at 10M events)
    generation = 4

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        kpi = self.kpi
        by = dims_of(kpi)
        self.by = by
        self.set_dims(by + [Dim("step", "", "smallint")], kdims=by)
        tz = self.tz
        names = "array[" + ", ".join(literal(s.name) for s in kpi.steps) + "]::text[]"
        by_part = "".join(f", r.{d.column}" for d in by)
        w_site = f"over (partition by r.site_id, r.period{by_part} order by r.step)"
        w_net = f"over (partition by r.period{by_part} order by r.step)"
        vals = (", ({names})[r.step] as step_name, {v} as actors, "
                "round({v}::numeric / nullif(first_value({v}) {w}, 0), 6) as conversion, "
                "round({v}::numeric / nullif(lag({v}) {w}, 0), 6) as step_conversion")
        self.period_t = f"date_trunc({literal(kpi.grain)}, u.t at time zone {literal(tz)})::date"
        # An actor's new step events can change only attempts anchored at most one window before the
        # earliest of them; re-reading from the start of that anchor's period (so every attempt of a
        # re-counted period is seen whole) keeps a refresh proportional to the window, not the history.
        self.since = (f"date_trunc({literal(kpi.grain)}, (min(x.occurred_at) - interval {literal(kpi.window)}) "
                      f"at time zone {literal(tz)}) at time zone {literal(tz)}")
        self.by_cols = "".join(f", {d.column}" for d in by)
        #: a backfill's attempt rows (site_id, actor_hash, period, by..., network_id, depth) in the order
        #: of their unique key (site_id, period, by..., actor_hash, network_id)
        by_names = tuple(d.column for d in by)
        self.actors_order = key_order(("site_id", "actor_hash", "period", *by_names, "network_id"),
                                      ("site_id", "period", *by_names, "actor_hash", "network_id"))
        self.by_nulls = "".join(", null" for _ in by)
        self.by_exprs = "".join(f", {d.expr}" for d in by)
        self.by_a = "".join(f", a.{d.column}" for d in by)
        self.by_x = "".join(f", x.{d.column}" for d in by)
        self.by_u = "".join(f", u.{d.column}" for d in by)
        self.by_arrays = ("".join(f", array_agg(s.{d.column} order by s.occurred_at, s.event_key, s.step) as {d.column}" for d in by)
                          + ", array_agg(s.network_id order by s.occurred_at, s.event_key, s.step) as network_id")
        self.by_seq = "".join(f", seq.{d.column}" for d in by) + ", seq.network_id"
        self.by_unnest = "".join(f", {d.column}" for d in by) + ", network_id"
        self.by_join = "".join(f" and a.{d.column} = c.{d.column}" for d in by)
        self.by_group = ", ".join(str(i) for i in range(1, 5 + len(by)))
        self.cell_group = ", ".join(str(i) for i in range(1, 4 + len(by)))
        self.n_steps = len(kpi.steps)
        self.window = f"interval {literal(kpi.window)}"
        self.order = literal(kpi.order)
        self.steps = [{"number": i, "first": i == 1,
                       "filter": self.sets.filter(f"{self.base_name}.step{i}", st.selection, self.origin)}
                      for i, st in enumerate(kpi.steps, start=1)]
        self.step_rows = self.sql("kpi_{}_steps")
        #: steps rows (site_id, actor_hash, step, occurred_at, event_key, ...) in their unique key's order
        self.steps_order = key_order(("site_id", "actor_hash", "step", "occurred_at", "event_key"),
                                     ("site_id", "actor_hash", "occurred_at", "event_key", "step"))
        self.actors = self.sql("kpi_{}_actors")
        self.read_vals = vals.format(names=names, w=w_site, v="r.value")
        # conversions from the shown steps only: a hidden step's value never enters a rate
        self.net_vals = vals.format(names=names, w=w_net, v=self.masked("r.value"))
        self.declare += [("fs_step", "integer"), ("fs_moved", "bigint"), ("fs_total", "bigint"),
                         ("fs_nets", "uuid[]"), ("fs_periods", "date[]"),
                         ("fs_next_nets", "uuid[]"), ("fs_next_periods", "date[]")]
        self.r_dims = "".join(", " + d.read("r") for d in by) + ", r.step"
        self.by_c2 = "".join(f", c2.{d.column}" for d in by)
        self.cell_group2 = ", ".join(str(i) for i in range(1, 3 + len(by)))
        self.net_val_cols = ", value"
        # Exact deltas (an incremental refresh): the rows of a touched actor in its site cell (any
        # network) and in its network cell (any site), and the changed rows of one site in a network cell.
        for alias in ("c", "o", "v", "g", "f", "d", "s"):
            setattr(self, f"by_{alias}", prefixed(alias, by))
        self.f_o = join_on("o", "f", by, ("site_id", "period", "actor_hash"))
        self.site_actor_o = join_on("o", "k", by, ("site_id", "period", "actor_hash"))
        self.net_actor_o = join_on("o", "k", by, ("network_id", "period", "actor_hash"))
        self.site_net_x = join_on("x", "s", by, ("site_id", "period", "network_id"))

    def read_columns(self) -> tuple[tuple[str, str], ...]:
        return (("step_name", "text"), ("actors", "bigint"), ("conversion", "numeric"), ("step_conversion", "numeric"))

    def same_cell(self, a: str, b: str) -> str:
        """Rows ``a`` and ``b`` of one network entry cell (network, period, dimensions)."""
        return join_on(a, b, self.by, ("network_id", "period"))

    def cache_tables(self) -> list[DbObject]:
        by_cols = tuple(Column(d.column, "text") for d in self.by)
        return [
            self.cache(self.step_rows, (Column("site_id", "uuid", not_null=True),
                                        Column("actor_hash", ACTOR_TYPE, not_null=True),
                                        Column("step", "smallint", not_null=True),
                                        Column("occurred_at", "timestamptz", not_null=True),
                                        Column("event_key", "uuid", not_null=True)) + by_cols
                       + (Column("network_id", "uuid"), XID),
                       # one key both dedups (an event has one actor) and reads an actor's events in time order
                       f"constraint {self.sql('kpi_{}_steps_key')} unique "
                       f"(site_id, actor_hash, occurred_at, event_key, step)",
                       f"KPI {self.name}: every event that matches a step, per actor."),
            self.index("kpi_{}_steps_xid_idx", self.step_rows, "(ingest_xid)"),
            self.cache(self.actors, (Column("site_id", "uuid", not_null=True),
                                     Column("actor_hash", ACTOR_TYPE, not_null=True),
                                     Column("period", "date", not_null=True)) + by_cols
                       + (Column("network_id", "uuid"), Column("depth", "smallint", not_null=True), XID),
                       f"constraint {self.sql('kpi_{}_actors_key')} unique nulls not distinct "
                       f"(site_id, period{self.by_cols}, actor_hash, network_id){PACKED_KEY}",
                       f"KPI {self.name}: per actor and entry cell, the deepest step reached."),
            self.index("kpi_{}_actors_xid_idx", self.actors, "(ingest_xid)"),
            # actor_hash last: the suppression's "no deeper row of this actor in the cell" probes it (without
            # it each probe read the whole cell, quadratic in a cell's actors: 3 s at 1M, minutes at 10M)
            self.index("kpi_{}_actors_net_idx", self.actors, f"(network_id, period{self.by_cols}, actor_hash)"),
        ]


