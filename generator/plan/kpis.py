"""Plan the KPI layer: incremental rollups, refresh functions, cron jobs and the exposed views.

Every KPI that reads events (count, distinct_actors, percentile) keeps, in the
private schema:

- ``kpi_<name>_facts``: one row per (site, period, dimensions, actor), the
  distinct actors of each cell, inserted ``on conflict do nothing`` (idempotent);
- ``kpi_<name>``: the site rollup (count / distinct actors / percentiles) per
  (site, period, dimensions), upserted in the transaction that advances the
  KPI's watermark;
- ``kpi_<name>_net``: a private table across the sites of each network (value,
  distinct sites, distinct actors per (network_id, period, dimensions)), unique on
  (network_id, period, dimensions). It is maintained incrementally, not refreshed
  as a whole: after the site rollups, each refresh deletes and recomputes only the
  network cells its new rows touched (keys taken from the rows it wrote in this
  transaction, or from the base rows it read for rolling windows), reading the
  facts/values/steps tables through indexes that start with (network_id, period),
  so refresh cost grows with new events, not with history. Every event carries the
  network_id of the caller that sent it; rows of events without one belong to no
  network and are left out. Funnel attempts and retention cohort members belong to
  the network of their entry event (step 1, first cohort event); site rollups
  ignore networks. k-anonymity and complementary suppression stay at read time
  (``network_<name>_cells()``).

Refresh reads only events whose ``ingest_xid`` is in [watermark,
pg_snapshot_xmin(pg_current_snapshot())): every transaction below that bound has
ended, so rows that commit out of order are picked up by a later run, never
skipped. A per-KPI transaction advisory lock plus ``select ... for update`` on
the watermark row make concurrent or repeated runs safe.

Rolling KPIs use the same watermark scheme over their base KPI's rows (each
rollup row records the transaction that last wrote it). Ratios need no storage.
Python decides every name, expression and quote; the template loops and prints.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..diagnostics import Span
from ..model import Kpi, Selection, Taxonomy
from ..resolve import ROLLUP_COLUMNS as RESERVED_COLUMNS  # a dimension may not take these names (E313)
from ..sqlquote import ident, literal, short_name, text_array
from . import Artifact, PlanError
from .database import CronJob, base_context, job_prefix

PATH = "supabase/schemas/60_kpis.sql"
#: context keys naming the SQL objects of one KPI (for lint errors that point back at the YAML)
ORIGIN_KEYS = ("rollup", "facts", "net", "refresh_fn", "caller_fn", "between_fn", "network_fn", "view",
               "network_view", "between_view")
TEMPLATE = "sql/60_kpis.sql.j2"

BUILTIN = {"tier": ("tier", "e.actor_tier"), "event": ("event_id", "e.event_id")}


@dataclass(frozen=True)
class Dim:
    column: str  # quoted identifier
    expr: str  # SQL over events alias e
    type: str = "text"


def dims_of(kpi: Kpi) -> list[Dim]:
    out = []
    for name in kpi.by:
        if name == "site":  # every site-scoped row already carries site_id; network views drop it
            continue
        if name in BUILTIN:
            col, expr = BUILTIN[name]
        else:
            if name in RESERVED_COLUMNS:
                raise ValueError(f'KPI "{kpi.name}": dimension "{name}" clashes with a rollup column')
            col, expr = name, f"(e.payload ->> {literal(name)})"
        out.append(Dim(ident(col), expr))
    return out


def period_expr(grain: str, tz: str) -> str:
    return f"date_trunc({literal(grain)}, e.occurred_at at time zone {literal(tz)})::date"


def filter_expr(sel: Selection) -> str:
    parts = [f"e.event_id = any ({text_array(sel.events)})" if sel.events else "false"]
    if sel.tiers:
        parts.append(f"e.actor_tier = any ({text_array(sorted(sel.tiers))})")
    for name, values in sel.where:
        texts = sorted({("true" if v else "false") if isinstance(v, bool) else str(v) for v in values})
        parts.append(f"(e.payload ->> {literal(name)}) = any ({text_array(texts)})")
    return "\n      and ".join(parts)


def window_days(text: str) -> int:
    m = re.fullmatch(r"\s*(\d+)\s*(day|days|week|weeks)\s*", text or "")
    if not m:
        raise ValueError(f"cannot read window {text!r}")
    n = int(m.group(1))
    return n * 7 if m.group(2).startswith("week") else n


def pct_column(p: float) -> str:
    text = f"{p * 100:.6g}".replace(".", "_")
    return ident(f"p{text}")


def prefixed(alias: str, dims: list[Dim]) -> str:
    return "".join(f", {alias}.{d.column}" for d in dims)


def join_on(left: str, right: str, dims: list[Dim], extra: tuple[str, ...] = ("period",)) -> str:
    conds = [f"{left}.{c} = {right}.{c}" for c in extra]
    conds += [f"{left}.{d.column} is not distinct from {right}.{d.column}" for d in dims]
    return " and ".join(conds)


class _Names:
    def __init__(self, name: str):
        self.name = name

    def __call__(self, pattern: str) -> str:
        return ident(short_name(pattern.format(self.name)))


def _common(kpi: Kpi, taxonomy: Taxonomy, dims: list[Dim]) -> dict:
    n = _Names(kpi.sql_name)
    prefix = job_prefix(taxonomy)
    return {
        "name": kpi.sql_name,
        "type": kpi.type,
        "name_literal": literal(kpi.sql_name),
        "description": literal(kpi.description),
        "dims": dims,
        "dim_cols": "".join(f", {d.column}" for d in dims),
        "dim_decl": "".join(f", {d.column} {d.type}" for d in dims),
        "rollup": n("kpi_{}"),
        "facts": n("kpi_{}_facts"),
        "net": n("kpi_{}_net"),
        "refresh_fn": n("refresh_kpi_{}"),
        "caller_fn": n("kpi_{}_for_caller"),
        "between_fn": n("kpi_{}_between"),
        "network_fn": n("network_{}_cells"),
        "view": n("kpi_{}"),
        "between_view": n("kpi_{}_between"),
        "network_view": n("network_{}"),
        "job": short_name(prefix + "refresh_" + kpi.sql_name),
        "facts_key": n("kpi_{}_facts_key"),
        "rollup_key": n("kpi_{}_key"),
        "net_key": n("kpi_{}_net_key"),
        "facts_xid_idx": n("kpi_{}_facts_xid_idx"),
        "rollup_xid_idx": n("kpi_{}_xid_idx"),
        "policy": n("kpi_{}_service"),
        "facts_policy": n("kpi_{}_facts_service"),
        "lock_key": literal("trackgen.kpi." + kpi.sql_name),
        "join_dims": "".join(f" and f.{d.column} is not distinct from a.{d.column}" for d in dims),
        "order_dims": "".join(f', c.{d.column}' + (' collate "C"' if d.type == "text" else "") for d in dims),
        "r_dims": prefixed("r", dims),
        "f_dims": prefixed("f", dims),
        "fresh_dims": prefixed("fresh", dims),
        "t_dims": prefixed("t", dims),
        "v_dims": prefixed("v", dims),
        "d_dims": prefixed("d", dims),
        "keys_dims": prefixed("keys", dims),
        "keys_n": join_on("keys", "n", dims, ("site_id", "period")),
        "keys_d": join_on("keys", "d", dims, ("site_id", "period")),
        "group_by": ", ".join(str(i) for i in range(1, 3 + len(dims))),
        "net_group_by": ", ".join(str(i) for i in range(1, 3 + len(dims))),
        "net_policy": n("kpi_{}_net_service"),
        "net_val_decl": ", value bigint not null",
        "net_val_cols": ", value",
        "kdims": dims,  # the dimensions that, with (network_id, period), name a cell to recompute
        "b_dims": prefixed("b", dims),
        "x_dims": prefixed("x", dims),
        "facts_net_idx": n("kpi_{}_facts_net_idx"),
        "rollup_net_idx": n("kpi_{}_rollup_net_idx"),
        "vp_join": join_on("v", "p", dims, ("network_id", "period")),
        "val_decl": ", value bigint",
        "val_cols": ", value",
        "r_vals": ", r.value",
        "net_vals": ", r.value",
    }


def plan_kpis(taxonomy: Taxonomy) -> list[dict]:
    tz = taxonomy.project.timezone
    kpis = {k.sql_name: k for k in taxonomy.kpis}
    out: list[dict] = []
    # SQL needs dependencies first: event-reading KPIs, then rolling windows over them, then ratios
    stage = {"rolling": 1, "ratio": 2}
    for kpi in sorted(taxonomy.kpis, key=lambda k: (stage.get(k.type, 0), k.sql_name)):
        if kpi.type in ("count", "distinct_actors", "percentile"):
            assert kpi.selection is not None
            dims = dims_of(kpi)
            ctx = _common(kpi, taxonomy, dims)
            ctx.update(
                storage=True,
                grain=kpi.grain,
                period=period_expr(kpi.grain, tz),
                filter=filter_expr(kpi.selection),
                dim_exprs="".join(f", {d.expr} as {d.column}" for d in dims),
                dim_exprs_plain="".join(f", {d.expr}" for d in dims),
            )
            if kpi.type == "percentile":
                assert kpi.field
                cols = [pct_column(p) for p in kpi.percentiles]
                arr = "array[" + ", ".join(repr(float(p)) for p in kpi.percentiles) + "]::double precision[]"
                ctx.update(
                    field_expr=f"(e.payload ->> {literal(kpi.field)})::double precision",
                    field_present=f"jsonb_typeof(e.payload -> {literal(kpi.field)}) = 'number'",
                    pct_decl="".join(f", {c} double precision" for c in cols),
                    pct_cols="".join(f", {c}" for c in cols),
                    pct_set=", ".join(f"{c} = excluded.{c}" for c in cols),
                    pct_exprs="".join(f", (percentile_disc({arr}) within group (order by f.measure))[{i}] as {c}"
                                      for i, c in enumerate(cols, start=1)),
                    val_decl=", n bigint" + "".join(f", {c} double precision" for c in cols),
                    val_cols=", n" + "".join(f", {c}" for c in cols),
                    r_vals=", r.n" + "".join(f", r.{c}" for c in cols),
                    net_vals=", r.n" + "".join(f", r.{c}" for c in cols),
                    net_val_decl=", n bigint not null" + "".join(f", {c} double precision" for c in cols),
                    net_val_cols=", n" + "".join(f", {c}" for c in cols),
                    values=_Names(kpi.sql_name)("kpi_{}_values"),
                    values_cell_idx=_Names(kpi.sql_name)("kpi_{}_values_cell_idx"),
                    values_net_idx=_Names(kpi.sql_name)("kpi_{}_values_net_idx"),
                    values_key=_Names(kpi.sql_name)("kpi_{}_values_key"),
                    values_xid_idx=_Names(kpi.sql_name)("kpi_{}_values_xid_idx"),
                    values_policy=_Names(kpi.sql_name)("kpi_{}_values_service"),
                )
        elif kpi.type == "rolling":
            base = kpis[kpi.base]
            dims = dims_of(base)
            days = window_days(kpi.window or "")
            ctx = _common(kpi, taxonomy, dims)
            b = _Names(base.sql_name)
            ctx.update(
                storage=True,
                grain="day",
                base_type=base.type,
                base_facts=b("kpi_{}_facts"),
                base_rollup=b("kpi_{}"),
                base_name_literal=literal(base.sql_name),
                src=b("kpi_{}_facts") if base.type == "distinct_actors" else b("kpi_{}"),
                agg="count(distinct f.actor_hash)" if base.type == "distinct_actors" else "sum(f.value)::bigint",
                days=days,
                span=days - 1,
                tz=literal(tz),
            )
        elif kpi.type == "funnel":
            by = dims_of(kpi)
            step = Dim("step", "", "smallint")
            dims = by + [step]
            ctx = _common(kpi, taxonomy, dims)
            names = "array[" + ", ".join(literal(s.name) for s in kpi.steps) + "]::text[]"
            by_part = "".join(f", r.{d.column}" for d in by)
            w_site = f"over (partition by r.site_id, r.period{by_part} order by r.step)"
            w_net = f"over (partition by r.period{by_part} order by r.step)"
            vals = (", ({names})[r.step] as step_name, r.value as actors, "
                    "round(r.value::numeric / nullif(first_value(r.value) {w}, 0), 6) as conversion, "
                    "round(r.value::numeric / nullif(lag(r.value) {w}, 0), 6) as step_conversion")
            n = _Names(kpi.sql_name)
            ctx.update(
                storage=True,
                grain=kpi.grain,
                period_t=f"date_trunc({literal(kpi.grain)}, u.t at time zone {literal(tz)})::date",
                by=by,
                by_cols="".join(f", {d.column}" for d in by),
                by_decl="".join(f", {d.column} text" for d in by),
                by_nulls="".join(", null" for _ in by),
                by_exprs="".join(f", {d.expr}" for d in by),
                by_a="".join(f", a.{d.column}" for d in by),
                by_x="".join(f", x.{d.column}" for d in by),
                by_u="".join(f", u.{d.column}" for d in by),
                by_arrays="".join(f", array_agg(s.{d.column} order by s.occurred_at, s.step) as {d.column}" for d in by)
                + ", array_agg(s.network_id order by s.occurred_at, s.step) as network_id",
                by_seq="".join(f", seq.{d.column}" for d in by) + ", seq.network_id",
                by_unnest="".join(f", {d.column}" for d in by) + ", network_id",
                by_join="".join(f" and a.{d.column} is not distinct from c.{d.column}" for d in by),
                by_group=", ".join(str(i) for i in range(1, 5 + len(by))),
                cell_group=", ".join(str(i) for i in range(1, 4 + len(by))),
                n_steps=len(kpi.steps),
                window=f"interval {literal(kpi.window)}",
                order=literal(kpi.order),
                steps=[{"number": i, "filter": filter_expr(st.selection), "first": i == 1}
                       for i, st in enumerate(kpi.steps, start=1)],
                step_rows=n("kpi_{}_steps"), step_key=n("kpi_{}_steps_key"), step_actor_idx=n("kpi_{}_steps_actor_idx"),
                step_xid_idx=n("kpi_{}_steps_xid_idx"), step_policy=n("kpi_{}_steps_service"),
                actors=n("kpi_{}_actors"), actors_key=n("kpi_{}_actors_key"), actors_xid_idx=n("kpi_{}_actors_xid_idx"),
                actors_net_idx=n("kpi_{}_actors_net_idx"),
                kdims=by,
                actors_policy=n("kpi_{}_actors_service"),
                val_decl=", step_name text, actors bigint, conversion numeric, step_conversion numeric",
                r_vals=vals.format(names=names, w=w_site),
                net_vals=vals.format(names=names, w=w_net),
                r_dims=by_part + ", r.step",
            )
        elif kpi.type == "retention":
            assert kpi.cohort is not None and kpi.returning is not None
            dims = [Dim("period_number", "", "smallint")]
            ctx = _common(kpi, taxonomy, dims)
            n = _Names(kpi.sql_name)
            vals = ", r.cohort_actors, r.value as retained, round(r.value::numeric / nullif(r.cohort_actors, 0), 6) as rate"
            offset = ("(c.cohort + 7 * g.j)" if kpi.cohort_grain == "week"
                      else "(c.cohort + make_interval(months => g.j))::date")
            ctx.update(
                storage=True,
                grain=kpi.cohort_grain,
                period=period_expr(kpi.cohort_grain, tz),
                cohort_filter=filter_expr(kpi.cohort),
                returning_filter=filter_expr(kpi.returning),
                periods=kpi.periods,
                offset=offset,
                cohorts=n("kpi_{}_cohorts"), cohorts_key=n("kpi_{}_cohorts_key"),
                cohorts_xid_idx=n("kpi_{}_cohorts_xid_idx"), cohorts_policy=n("kpi_{}_cohorts_service"),
                cohorts_net_idx=n("kpi_{}_cohorts_net_idx"),
                kdims=[],
                net_val_decl=", cohort_actors bigint not null, value bigint not null",
                net_val_cols=", cohort_actors, value",
                active=n("kpi_{}_active"), active_key=n("kpi_{}_active_key"),
                active_xid_idx=n("kpi_{}_active_xid_idx"), active_policy=n("kpi_{}_active_service"),
                val_decl=", cohort_actors bigint, retained bigint, rate numeric",
                r_vals=vals, net_vals=vals,
            )
        else:  # ratio
            num, den = kpis[kpi.numerator], kpis[kpi.denominator]
            dims = dims_of(num if num.type != "rolling" else kpis[num.base])
            ctx = _common(kpi, taxonomy, dims)
            nn, dn = _Names(num.sql_name), _Names(den.sql_name)
            ctx.update(
                storage=False,
                num_caller=nn("kpi_{}_for_caller"), den_caller=dn("kpi_{}_for_caller"),
                num_between=nn("kpi_{}_between"), den_between=dn("kpi_{}_between"),
                num_network=nn("network_{}_cells"), den_network=dn("network_{}_cells"),
                nd_join=join_on("n", "d", dims),
                nd_join_site=join_on("n", "d", dims, ("site_id", "period")),
                coalesced_dims="".join(f", coalesce(n.{d.column}, d.{d.column}) as {d.column}" for d in dims),
                n_dims="".join(f", n.{d.column}" for d in dims),
            )
        ctx.update(_read_shape(kpi, ctx, today(taxonomy)))
        if ctx["storage"]:
            tables = [(ctx["rollup"], ctx["policy"])]
            if kpi.type in ("count", "distinct_actors"):
                tables.append((ctx["facts"], ctx["facts_policy"]))
            if kpi.type == "percentile":
                tables.append((ctx["values"], ctx["values_policy"]))
            if kpi.type == "retention":
                tables += [(ctx["cohorts"], ctx["cohorts_policy"]), (ctx["active"], ctx["active_policy"])]
            if kpi.type == "funnel":
                tables += [(ctx["step_rows"], ctx["step_policy"]), (ctx["actors"], ctx["actors_policy"])]
            tables.append((ctx["net"], ctx["net_policy"]))
            ctx["private_tables"] = [{"name": t, "policy": pol} for t, pol in tables]
            ctx["private_relations"] = [t for t, _ in tables]
        out.append(ctx)
    owners: dict[str, str] = {}
    for ctx in out:  # e.g. KPI "a" has kpi_a_facts, so a KPI named "a_facts" would collide
        for key in ("rollup", "facts", "net", "refresh_fn", "caller_fn", "between_fn", "network_fn", "network_view"):
            other = owners.setdefault(ctx[key], ctx["name"])
            if other != ctx["name"]:
                span = next((k.span for k in taxonomy.kpis if k.sql_name == ctx["name"]), None)
                raise PlanError("E314", f'KPIs "{other}" and "{ctx["name"]}" both need the SQL name {ctx[key]}', span)
    return out


def today(taxonomy: Taxonomy) -> str:
    """SQL for the current day in the project's time zone (rolling windows end there)."""
    return f"(now() at time zone {literal(taxonomy.project.timezone)})::date"


def _read_shape(kpi: Kpi, ctx: dict, today_sql: str) -> dict:
    """How the read functions select a KPI: counts keep one rollup row per network and are summed
    back per site; rolling windows are cut at today so a window still filling is not shown."""
    count = kpi.type == "count"
    cap = f" and {{}}.period <= {today_sql}" if kpi.type == "rolling" else ""
    return {
        "rollup_extra_cols": ["network_id uuid"] if count else [],
        "rollup_key_extra": ", network_id" if count else "",
        "read_vals": ", sum(r.value)::bigint" if count else ctx.get("r_vals", ""),
        "read_group": f"\n  group by {ctx['group_by']}" if count else "",
        "period_cap_r": cap.format("r"),
        "period_cap_m": cap.format("m"),
    }


def jobs(taxonomy: Taxonomy, contexts: list[dict] | None = None) -> list[CronJob]:
    """One cron job per stored KPI, with the KPI's schedule."""
    priv = ident(taxonomy.project.private_schema)
    contexts = plan_kpis(taxonomy) if contexts is None else contexts
    kpis = {k.sql_name: k for k in taxonomy.kpis}
    return [CronJob(literal(c["job"]), literal(kpis[c["name"]].refresh),
                    literal(f"select {priv}.{c['refresh_fn']}()"),
                    f'incremental refresh of KPI "{c["name"]}" ({c["type"]})')
            for c in contexts if c["storage"]]


def context(taxonomy: Taxonomy, contexts: list[dict]) -> dict:
    return dict(base_context(taxonomy), kpis=contexts, k_anon=taxonomy.project.k_anonymity,
                read_roles="authenticated, service_role",
                network_tiers=text_array(taxonomy.network_reader_tiers))


def plan(taxonomy: Taxonomy) -> tuple[list[Artifact], list[CronJob]]:
    """The KPI schema file and the cron jobs that keep its rollups fresh (planned once)."""
    contexts = plan_kpis(taxonomy)
    ctx = context(taxonomy, contexts)
    origins: dict[str, Span] = {}
    spans = {k.sql_name: k.span for k in taxonomy.kpis if k.span is not None}
    for kpi_ctx in ctx["kpis"]:
        span = spans.get(kpi_ctx["name"])
        if span is None:
            continue
        for key in ORIGIN_KEYS:
            name = kpi_ctx.get(key)
            if isinstance(name, str):
                origins[name.strip('"')] = span
    return [Artifact(PATH, TEMPLATE, ctx, kind="sql", origins=origins)], jobs(taxonomy, contexts)
