"""Plan the ClickHouse target: the same taxonomy and KPI plans, lowered to ClickHouse objects.

A second printer of one plan: the KPI planners (``generator/plan/kpi/``) already decided each
KPI's name, dimensions, event selection and value columns; this module maps them to ClickHouse:

- ``analytics_private.events``: ReplacingMergeTree, partitioned by month of ``occurred_at``,
  ordered ``(site_id, occurred_at, idempotency_key)`` for per-site time-range reads, with
  LowCardinality dimensions; fed by a refreshable materialized view from the PostgreSQL
  export view (``export.py``), exactly once (``ingest_select``);
- per event KPI (count, distinct_actors, percentile) an AggregatingMergeTree of states per
  (site, period, dimensions, network), kept by an incremental materialized view on the events;
- funnels, retention cohorts and rolling windows: ``sequences.py`` (per-actor sets evaluated at
  read time with the documented semantics; rolling windows merged from the base's daily states);
- ``analytics.kpi_<name>`` (the caller's sites) and ``analytics.network_<name>`` (the caller's
  network, hiding the cells PostgreSQL's network views hide: ``suppress.py``) read views,
  scoped by ``analytics_private.readers``: the ClickHouse login user mapped server-side to its
  site, network and tier (what the JWT claims are on Supabase).

Every name, type and expression is decided here; ``templates/clickhouse/`` prints.
"""

from __future__ import annotations

from ...model import Selection, Taxonomy
from ..kpi import plan_kpis
from ..kpi.common import EventKpi, filter_texts
from ..kpi.families import plan_covers
from ..kpi.percentile import PercentilePlan
from ..kpi.ratio import RatioPlan
from .catalog import ChCatalog, ChColumn, ChDatabase, ChMaterializedView, ChObject, ChRows, ChTable, ChView, quote
from .export import EXPORT_COLUMNS, EXPORT_VIEW
from .suppress import Suppression, caller_network, cell_key, needed, tail_hidden

#: KPI types with a ClickHouse lowering (funnel, retention and rolling: sequences.py)
STORED = ("count", "distinct_actors", "percentile")
SUPPORTED = STORED + ("ratio", "funnel", "retention", "rolling")
#: zero-padded width of the pushed-down xid literal: longer than any xid8, so it always starts with 0
XID_PAD = 21


def _grain(grain: str, tz: str) -> str:
    fn = {"day": "toDate", "week": "toMonday", "month": "toStartOfMonth"}[grain]
    return f"{fn}(occurred_at, {quote(tz)})"


def _payload_text(name: str) -> str:
    """PostgreSQL's ``payload ->> name`` on the JSON text: strings unquoted, other scalars as written,
    absent or JSON null as NULL."""
    key = quote(name)
    return (f"multiIf(JSONType(payload, {key}) = 'String', JSONExtractString(payload, {key}), "
            f"JSONType(payload, {key}) IN ('Null', 'None'), NULL, JSONExtractRaw(payload, {key}))")


class ChNames:
    def __init__(self, taxonomy: Taxonomy):
        project = taxonomy.project
        self.pub = project.public_schema
        self.priv = project.private_schema
        self.events = f"{self.priv}.events"
        self.sets = f"{self.priv}.kpi_event_sets"
        self.readers = f"{self.priv}.readers"
        self.connection = project.clickhouse_connection
        self.tz = project.timezone
        self.k = project.k_anonymity


def _event_table(n: ChNames) -> ChTable:
    return ChTable(n.priv, "events", (
        ChColumn("event_id", "LowCardinality(String)"),
        ChColumn("site_id", "UUID"),
        ChColumn("network_id", "Nullable(UUID)"),
        ChColumn("actor_hash", "String", "hex of the keyed actor hash (HMAC-SHA256), never the user id"),
        ChColumn("actor_tier", "LowCardinality(String)"),
        ChColumn("occurred_at", "DateTime64(6, 'UTC')"),
        ChColumn("received_at", "DateTime64(6, 'UTC')"),
        ChColumn("idempotency_key", "UUID"),
        ChColumn("plan_version", "LowCardinality(Nullable(String))"),
        ChColumn("payload", "String", "the validated payload as JSON text"),
        ChColumn("ingest_xid", "UInt64", "the PostgreSQL writing transaction: the ingestion watermark"),
    ), "ReplacingMergeTree", "(site_id, occurred_at, idempotency_key)", "toYYYYMM(occurred_at)",
        comment="Accepted events, copied from the Supabase event store exactly once; one row per event.",
        shard_key="cityHash64(site_id)")


def ingest_select(n: ChNames) -> str:
    """The ingestion query: the export view's events from the watermark on, minus those already here.

    The watermark is the highest ``ingest_xid`` already stored, derived from the data itself, so
    it can never run ahead of what was written: a retry, or a restart after a run that stopped
    half-way (rows are appended in ``ingest_xid`` order by one insert stream), re-reads the last
    transaction and the anti-join on the event store's primary key drops what is already here.
    The lower bound reaches PostgreSQL as ``ingest_xid >= '000…N'``: an xid8 comparison served by
    the store's index there; here, the zero-padded text sorts below every exported xid, so the
    local re-check of the pushed-down condition keeps every row PostgreSQL sent.  The same bound
    on the bigint column keeps the result right where ClickHouse does not push the first one down
    (it then only costs a wider read)."""
    export_cols = {name for name, _expr in EXPORT_COLUMNS}
    assert {"ingest_xid", "ingest_xid_number"} <= export_cols
    casts = {c.name: c.type for c in _event_table(n).columns}
    cols = []
    for name, _expr in EXPORT_COLUMNS:
        if name == "ingest_xid":
            continue
        target = "ingest_xid" if name == "ingest_xid_number" else name
        cols.append(f"CAST(x.{name} AS {casts[target]}) AS {target}")
    select = ",\n      ".join(cols)
    # every column below is qualified: an alias of the SELECT list (ingest_xid) would otherwise
    # shadow the event table's column of the same name inside these subqueries
    last = f"(SELECT max(s.ingest_xid) FROM {n.events} AS s)"
    return (
        "SELECT *\nFROM (\n"
        f"    SELECT\n      {select}\n"
        f"    FROM postgresql({n.connection}, schema = {quote(n.priv)}, table = {quote(EXPORT_VIEW)}) AS x\n"
        f"    WHERE x.ingest_xid >= (SELECT leftPad(toString(max(s.ingest_xid)), {XID_PAD}, '0') FROM {n.events} AS s)\n"
        f"      AND x.ingest_xid_number >= {last}\n"
        ")\n"
        "WHERE (site_id, idempotency_key, occurred_at) NOT IN (\n"
        f"    SELECT h.site_id, h.idempotency_key, h.occurred_at FROM {n.events} AS h WHERE h.ingest_xid >= {last})\n"
        "ORDER BY ingest_xid\n"
        "SETTINGS max_threads = 1, max_insert_threads = 1")


def _selection_filter(n: ChNames, set_name: str, sel: Selection) -> str:
    parts = [f"event_id IN (SELECT event_id FROM {n.sets} WHERE set_name = {quote(set_name)})"]
    if sel.tiers:
        parts.append(f"actor_tier IN ({', '.join(quote(t) for t in sorted(sel.tiers))})")
    for name, values in sel.where:
        parts.append(f"{_payload_text(name)} IN ({', '.join(quote(t) for t in filter_texts(values))})")
    return "\n  AND ".join(parts)


class ChKpi:
    """One event KPI on ClickHouse: its aggregate table, the view that keeps it and its two reads.

    The reads compare the site (network) column with a scalar subquery over ``readers`` (NULL for
    an unknown user or tier: no row), which ClickHouse folds to a constant before it reads, so the
    primary index selects the caller's site range: about 3x faster than an IN-subquery at 100k."""

    def __init__(self, plan: EventKpi, taxonomy: Taxonomy, n: ChNames, published: bool = True):
        self.plan = plan
        #: False: only the aggregate, which the network rules of published KPIs read (suppress.needed)
        self.published = published
        self.n = n
        kpi = plan.kpi
        self.base = plan.base_name
        self.table = f"{n.priv}.kpi_{self.base}"
        self.dims = [(d.column.strip('"'), self._dim_expr(d.column.strip('"'), d.expr)) for d in plan.dims]
        self.dim_names = [name for name, _e in self.dims]
        self.period = _grain(kpi.grain, n.tz)
        assert kpi.selection is not None
        self.where = _selection_filter(n, self.base, kpi.selection)
        self.percentiles: list[tuple[str, float]] = []
        if isinstance(plan, PercentilePlan):
            self.percentiles = [(c.strip('"'), p) for c, p in zip(plan.pcts, kpi.percentiles, strict=True)]
            key = quote(kpi.field or "")
            self.where += f"\n  AND JSONType(payload, {key}) IN ('Int64', 'UInt64', 'Double')"
            self.measure = f"JSONExtractFloat(payload, {key})"
        self.site_tiers = taxonomy.site_reader_tiers(kpi.sql_name)
        self.network_tiers = taxonomy.network_reader_tiers
        self.origin = f"kpi:{kpi.sql_name}"
        #: the secondary suppression rules (suppress.py), set by ``plan`` before ``objects``
        self.suppression: Suppression | None = None

    @staticmethod
    def _dim_expr(name: str, pg_expr: str) -> str:
        if pg_expr == "e.actor_tier":
            return "actor_tier"
        if pg_expr == "e.event_id":
            return "event_id"
        return _payload_text(name)

    def objects(self) -> list[ChObject]:
        n = self.n
        dim_cols = tuple(ChColumn(d, "LowCardinality(Nullable(String))") for d in self.dim_names)
        states = [ChColumn("events", "AggregateFunction(count)"),
                  ChColumn("actors", "AggregateFunction(uniqExact, String)")]
        state_exprs = ["countState() AS events", "uniqExactState(actor_hash) AS actors"]
        if self.percentiles:
            # each value with its actor: a percentile's thin tails count the actors on either side
            states.append(ChColumn("measures", "AggregateFunction(groupArray, Tuple(Float64, String))"))
            state_exprs.append(f"groupArrayState(({self.measure}, actor_hash)) AS measures")
        if self.suppression is not None and self.suppression.keeps_pairs(self):
            # the actors themselves: what a family's hidden parts protect (suppress.py)
            states.append(ChColumn("actor_set", "AggregateFunction(groupUniqArray, String)"))
            state_exprs.append("groupUniqArrayState(actor_hash) AS actor_set")
        key = ", ".join(["site_id", "period"] + self.dim_names + ["network_id"])
        table = ChTable(n.priv, f"kpi_{self.base}",
                        (ChColumn("site_id", "UUID"), ChColumn("period", "Date")) + dim_cols
                        + (ChColumn("network_id", "Nullable(UUID)"),) + tuple(states),
                        "AggregatingMergeTree", f"({key})", "toYYYYMM(period)",
                        (("allow_nullable_key", "1"),),
                        comment=f"KPI {self.plan.name}: aggregate states per site, period, dimensions and network.",
                        role="cache", shard_key="cityHash64(site_id)", origin=self.origin)
        group = ", ".join(["site_id", "period"] + self.dim_names + ["network_id"])
        dims_sel = "".join(f",\n  {expr} AS {name}" for name, expr in self.dims)
        query = (f"SELECT\n  site_id,\n  {self.period} AS period{dims_sel},\n  network_id,\n  "
                 + ",\n  ".join(state_exprs)
                 + f"\nFROM {{source}}\nWHERE {self.where}\nGROUP BY {group}")
        table = ChTable(**{**table.__dict__, "rebuild": query})
        mv = ChMaterializedView(n.priv, f"kpi_{self.base}_mv", table.qualified, query, source=n.events,
                                comment=f"Folds every inserted block of events into KPI {self.plan.name}.",
                                origin=self.origin)
        return [table, mv, self.site_view()] if self.published else [table, mv]

    def _values(self) -> tuple[list[str], list[tuple[str, str]]]:
        """Value expressions over the merged states of one cell, and the read columns (name, type)."""
        t = self.plan.type
        if t == "count":
            return ["countMerge(events) AS value"], [("value", "UInt64")]
        if t == "distinct_actors":
            return ["uniqExactMerge(actors) AS value"], [("value", "UInt64")]
        exprs = ["length(groupArrayMerge(measures)) AS n"]
        cols = [("n", "UInt64")]
        for name, p in self.percentiles:
            # PostgreSQL's percentile_disc: the first value whose cumulative share reaches p
            exprs.append(f"arraySort(arrayMap(x -> x.1, groupArrayMerge(measures)))"
                         f"[toUInt64(greatest(1, ceil({p!r} * n)))] AS {name}")
            cols.append((name, "Float64"))
        return exprs, cols

    def site_view(self) -> ChView:
        n = self.n
        values, cols = self._values()
        group = ", ".join(["site_id", "period"] + self.dim_names)
        tiers = ", ".join(quote(t) for t in self.site_tiers) or "NULL"
        query = (f"SELECT {group},\n  " + ",\n  ".join(values)
                 + f"\nFROM {self.table}\nWHERE site_id = (\n"
                 f"    SELECT anyOrNull(r.site_id) FROM {n.readers} AS r FINAL\n"
                 f"    WHERE r.user_name = currentUser() AND r.tier IN ({tiers}))\n"
                 f"GROUP BY {group}")
        columns = (("site_id", "UUID"), ("period", "Date")) + tuple((d, "Nullable(String)") for d in self.dim_names)
        return ChView(n.pub, f"kpi_{self.base}", query, columns + tuple(cols),
                      comment=f"KPI {self.plan.name} for the caller's own site.", origin=self.origin)

    def network_view(self) -> ChView:
        """The caller's network, every cell listed; hidden ones with null values and suppressed = true:
        behind fewer than k sites or actors, hidden with the KPI's family, or holding a hidden finer
        cell (``suppress.py``); a percentile with a thin tail is null alone, as on PostgreSQL."""
        n = self.n
        values, cols = self._values()
        group = ", ".join(["period"] + self.dim_names)
        extra = [f"{cell_key(self.dim_names)} AS cell_key"]
        if self.percentiles:
            extra.append("groupArrayArray(arrayMap(x -> (x.1, site_id, x.2), finalizeAggregation(measures))) "
                         "AS cell_values")
            extra += [f"{tail_hidden(name, n.k)} AS {name}_thin" for name, _p in self.percentiles]
        inner = (f"SELECT {group},\n    " + ",\n    ".join(values)
                 + ",\n    uniqExact(site_id) AS cell_sites,\n    uniqExactMerge(actors) AS cell_actors,\n    "
                 + ",\n    ".join(extra)
                 + f"\n  FROM {self.table}\n  WHERE network_id = {caller_network(n, self.network_tiers)}"
                 f"\n  GROUP BY {group}")
        joins, conds = self.suppression.joins(self) if self.suppression is not None else ([], [])
        hidden = "(" + " OR ".join([f"c.cell_sites < {n.k} OR c.cell_actors < {n.k}"] + conds) + ")"
        thin = {name: f"{name}_thin" for name, _p in self.percentiles}
        carried = ["period"] + self.dim_names + [name for name, _t in cols] + list(thin.values())
        cells = (", ".join(f"c.{c} AS {c}" for c in carried) + f",\n  {hidden} AS suppressed\n"
                 f"FROM (\n  {inner}) AS c" + "".join(f"\n{j}" for j in joins))
        masked = ",\n  ".join(
            f"if(suppressed{' OR ' + thin[name] if name in thin else ''}, NULL, {name}) AS {name}" for name, _t in cols)
        query = f"SELECT {group},\n  {masked},\n  suppressed\nFROM (\nSELECT {cells})"
        columns = (("period", "Date"),) + tuple((d, "Nullable(String)") for d in self.dim_names)
        return ChView(n.pub, f"network_{self.base}", query,
                      columns + tuple((c, f"Nullable({t})") for c, t in cols) + (("suppressed", "Bool"),),
                      comment=f"KPI {self.plan.name} across the caller's network; cells behind fewer than "
                              f"{n.k} sites or actors, or hidden with related cells as on PostgreSQL, are listed "
                              "with null values and suppressed = true.",
                      origin=self.origin)


class ChRatio:
    """A ratio of two KPIs, divided cell by cell at read time over their read views (nothing stored):
    the site view inherits their site scoping, the network view hides a cell either side hides."""

    def __init__(self, plan: RatioPlan, n: ChNames):
        self.plan = plan
        self.n = n
        self.base = plan.base_name
        self.num, self.den = plan.num.base_name, plan.den.base_name
        self.dim_names = [d.column.strip('"') for d in plan.dims]
        self.origin = f"kpi:{plan.kpi.sql_name}"

    def objects(self) -> list[ChObject]:
        n = self.n
        key = ["site_id", "period"] + self.dim_names
        on = lambda a: " AND ".join(f"keys.{c} = {a}.{c}" for c in key)  # noqa: E731
        cols = ", ".join(key)
        site = (f"SELECT {', '.join(f'keys.{c} AS {c}' for c in key)},\n"
                "  coalesce(n.value, 0) AS numerator,\n  coalesce(d.value, 0) AS denominator,\n"
                "  if(coalesce(d.value, 0) = 0, NULL, numerator / denominator) AS value\n"
                f"FROM (SELECT {cols} FROM {n.pub}.kpi_{self.num}\n"
                f"      UNION DISTINCT SELECT {cols} FROM {n.pub}.kpi_{self.den}) AS keys\n"
                f"LEFT JOIN {n.pub}.kpi_{self.num} AS n ON {on('n')}\n"
                f"LEFT JOIN {n.pub}.kpi_{self.den} AS d ON {on('d')}")
        nkey = ["period"] + self.dim_names
        hidden = "(n.suppressed OR d.suppressed)"
        network = (f"SELECT {', '.join(f'n.{c} AS {c}' for c in nkey)},\n"
                   f"  if({hidden}, NULL, n.value) AS numerator,\n  if({hidden}, NULL, d.value) AS denominator,\n"
                   f"  if({hidden} OR d.value = 0, NULL, n.value / d.value) AS value,\n  {hidden} AS suppressed\n"
                   f"FROM {n.pub}.network_{self.num} AS n\n"
                   f"INNER JOIN {n.pub}.network_{self.den} AS d ON "
                   + " AND ".join(f"n.{c} = d.{c}" for c in nkey))
        values = (("numerator", "UInt64"), ("denominator", "UInt64"), ("value", "Nullable(Float64)"))
        dims = tuple((d, "Nullable(String)") for d in self.dim_names)
        return [
            ChView(n.pub, f"kpi_{self.base}", site, (("site_id", "UUID"), ("period", "Date")) + dims + values,
                   comment=f"KPI {self.plan.name} for the caller's own site: numerator over denominator.",
                   origin=self.origin),
            ChView(n.pub, f"network_{self.base}", network, (("period", "Date"),) + dims + values
                   + (("suppressed", "Bool"),),
                   comment=f"KPI {self.plan.name} across the caller's network; hidden where either side is.",
                   origin=self.origin),
        ]


def plan(taxonomy: Taxonomy) -> ChCatalog:
    n = ChNames(taxonomy)
    project = taxonomy.project
    events = _event_table(n)
    out: list[ChObject] = [
        ChDatabase(n.priv, "tables, aggregates and the ingestion: never granted to readers"),
        ChDatabase(n.pub, "the read views"),
        events,
        ChTable(n.priv, "kpi_event_sets", (ChColumn("set_name", "String"), ChColumn("event_id", "String")),
                "ReplacingMergeTree", "(set_name, event_id)", comment="The events each KPI selection reads.",
                role="reference"),
        ChTable(n.priv, "readers", (ChColumn("user_name", "String"), ChColumn("site_id", "UUID"),
                                    ChColumn("network_id", "Nullable(UUID)"), ChColumn("tier", "LowCardinality(String)")),
                "ReplacingMergeTree", "user_name",
                comment="Who reads: each ClickHouse login user's site, network and tier (the JWT claims' "
                        "counterpart), written by the operator's provisioning; the last row per user wins.",
                role="reference"),
        ChMaterializedView(n.priv, "ingest_events", events.qualified, ingest_select(n),
                           refresh=f"EVERY {project.clickhouse_ingest_every} SECOND",
                           comment="Copies new events from the Supabase export view, exactly once."),
    ]
    kpis, ratios = [], []
    plans = plan_kpis(taxonomy)
    plan_covers(plans)  # once: the network rules (suppress.py) and the rolling windows read them
    lowered = {p.name for p in plans if p.type in STORED and p.kpi.status == "active" and isinstance(p, EventKpi)}
    kept = needed(plans, lowered, n.k)
    for p in plans:
        if p.type in STORED and (p.name in lowered or p.name in kept) and isinstance(p, EventKpi):
            kpis.append(ChKpi(p, taxonomy, n, published=p.name in lowered))
        elif isinstance(p, RatioPlan) and p.kpi.status == "active" and \
                {p.num.base_name, p.den.base_name} <= {k.base for k in kpis if k.published}:
            ratios.append(ChRatio(p, n))
    for k in kpis:
        sel = k.plan.kpi.selection
        assert sel is not None
        out.append(ChRows(f"{n.priv}.kpi_event_sets", k.base, ("set_name", "event_id"),
                          tuple((quote(k.base), quote(e)) for e in sorted(sel.events)), origin=k.origin))
    suppression = Suppression(plans, kpis, n)
    for k in kpis:
        k.suppression = suppression
        out += k.objects()
    # the network views after every aggregate: a family's flags view reads all of its members'
    out += suppression.views()
    out += [k.network_view() for k in kpis if k.published]
    for r in ratios:
        out += r.objects()
    out += _sequence_objects(taxonomy, n, plans, kpis, suppression)
    return ChCatalog(tuple(out))


# -- funnels, retention and rolling windows (sequences.py) ----------------------------------------


def _sequence_objects(taxonomy: Taxonomy, n: ChNames, plans: list, kpis: list[ChKpi],
                      suppression: Suppression) -> list[ChObject]:
    """The objects of the KPIs that follow an actor over time, after the event KPIs they may read
    (``plans`` with their covers set, as ``plan`` makes them)."""
    from ..kpi.funnel import FunnelPlan
    from ..kpi.retention import RetentionPlan
    from ..kpi.rolling import RollingPlan
    from .sequences import ChFunnel, ChRetention, ChRolling, event_set_rows

    stored = {k.plan.name: k for k in kpis}
    lowered: list = []
    for p in plans:
        if p.kpi.status != "active":
            continue
        if isinstance(p, FunnelPlan):
            lowered.append(ChFunnel(p, taxonomy, n, _selection_filter, _grain, ChKpi._dim_expr))
        elif isinstance(p, RetentionPlan):
            lowered.append(ChRetention(p, taxonomy, n, _selection_filter, _grain))
        elif isinstance(p, RollingPlan) and p.kpi.base in stored:
            lowered.append(ChRolling(p, taxonomy, n, stored[p.kpi.base], suppression))
    out: list[ChObject] = []
    for s in lowered:
        if not isinstance(s, ChRolling):
            out += event_set_rows(n, s)
    for s in lowered:
        out += s.objects()
    return out
