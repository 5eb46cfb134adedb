"""Lower the KPIs to catalog objects: one planner class per KPI type, one module each.

Event-reading KPIs come first, then rolling windows over them, then ratios, so a
KPI's objects always follow those of the KPIs it reads.
"""

from __future__ import annotations

from ...catalog import Arg, Column, CronJob, DbObject, Function, Grant, Table
from ...model import Taxonomy
from ...sqlquote import literal, text_array
from .. import PlanError
from ..bodies import body
from ..database import Names, service_policy
from .common import ACTOR_TYPE, GROUP, EventSets, KpiPlan, window_days
from .count import CountPlan
from .distinct_actors import DistinctActorsPlan
from .families import family_function, plan_covers, plan_families
from .funnel import FunnelPlan
from .percentile import PercentilePlan
from .ratio import RatioPlan
from .retention import RetentionPlan
from .rolling import RollingPlan

PLANNERS: dict[str, type[KpiPlan]] = {
    "count": CountPlan, "distinct_actors": DistinctActorsPlan, "percentile": PercentilePlan,
    "rolling": RollingPlan, "funnel": FunnelPlan, "retention": RetentionPlan, "ratio": RatioPlan,
}
STAGE = {"rolling": 1, "ratio": 2}
READ_ROLES = ("authenticated", "service_role")

__all__ = ["plan", "plan_kpis", "window_days", "KpiPlan"]


def plan_kpis(taxonomy: Taxonomy, names: Names | None = None, sets: EventSets | None = None) -> list[KpiPlan]:
    """One planner per KPI, in dependency order; two KPIs needing one SQL name are an error (E314)."""
    names = names or Names(taxonomy)
    sets = sets or EventSets(names)
    plans: dict[str, KpiPlan] = {}
    for kpi in sorted(taxonomy.kpis, key=lambda k: (STAGE.get(k.type, 0), k.sql_name)):
        plans[kpi.sql_name] = PLANNERS[kpi.type](kpi, taxonomy, names, sets, plans)
    if sorted(plans) != sorted(k.sql_name for k in taxonomy.kpis):  # never drop a KPI while exiting 0
        raise PlanError("E903", f"generator bug: {len(taxonomy.kpis)} KPIs resolved but {len(plans)} planned", None)
    owners: dict[str, str] = {}
    for p in plans.values():  # e.g. KPI "a" has kpi_a_facts, so a KPI named "a_facts" would collide
        for attr in ("rollup", "facts", "net", "refresh_fn", "caller_fn", "between_fn", "live_fn", "network_fn", "network_view",
                     "suppress_fn"):
            name = getattr(p, attr)
            other = owners.setdefault(name, p.name)
            if other != p.name:
                raise PlanError("E314", f'KPIs "{other}" and "{p.name}" both need the SQL name {name}', p.kpi.span)
    return list(plans.values())


def _shared(taxonomy: Taxonomy, n: Names) -> list[DbObject]:
    p = n.priv
    service = (Grant("execute", ("service_role",)),)
    helper = {"security": "invoker", "grants": service, "group": GROUP}
    ctx = dict(n.context(), network_tiers=text_array(taxonomy.network_reader_tiers))
    watermarks = Table(p, "kpi_watermarks", (
        Column("kpi", "text"),
        Column("next_xid", "xid8", not_null=True, default="'0'::xid8"),
        Column("refreshed_at", "timestamptz"),
    ), ("constraint kpi_watermarks_pkey primary key (kpi)",),
        comment=literal("Per KPI: the lowest ingest_xid its rollups have not read yet."),
        grants=(Grant("all", ("service_role",)),), group=GROUP)
    sets = Table(p, "kpi_event_sets", (
        Column("set_name", "text", not_null=True),
        Column("event_id", "text", not_null=True, references=f"{n.pub}.event_types (id)"),
    ), ("constraint kpi_event_sets_pkey primary key (set_name, event_id)",), role="reference",
        comment=literal("The events each KPI selection reads (wildcards expanded); a refresh joins it."),
        grants=(Grant("all", ("service_role",)),), group=GROUP)
    return [
        watermarks, service_policy(p, "kpi_watermarks", GROUP),
        sets, service_policy(p, "kpi_event_sets", GROUP),
        Function(p, "kpi_caller_site", (), "uuid", body("kpi_caller_site", **ctx), language="plpgsql",
                 comment=literal("The caller's site from the JWT (null when absent or malformed)."), **helper),
        Function(p, "kpi_caller_network", (), "uuid", body("kpi_caller_network", **ctx), language="plpgsql",
                 comment=literal("The caller's network from the JWT (null when absent or malformed)."), **helper),
        Function(p, "kpi_caller_reads_network", (), "boolean", body("kpi_caller_reads_network", **ctx),
                 comment=literal("Network views are for the network tier and service_role, for their own network."),
                 **helper),
        Function(p, "kpi_actors_but_one", (Arg("sites", "uuid[]"), Arg("actors", f"{ACTOR_TYPE}[]")), "bigint",
                 body("kpi_actors_but_one", **ctx), volatility="immutable",
                 comment=literal("Distinct actors of (site, actor) pairs left after removing the site that holds "
                                 "the most actors seen at no other site: what any one site's caller cannot know."),
                 **helper),
        Function(p, "kpi_funnel_depths", (Arg("steps", "smallint[]"), Arg("times", "timestamptz[]"),
                                          Arg("keys", "uuid[]"), Arg("n_steps", "integer"), Arg("win", "interval"),
                                          Arg("mode", "text")), "smallint[]", body("kpi_funnel_depths", **ctx),
                 language="plpgsql", volatility="immutable",
                 comment=literal("How deep each funnel attempt of one actor gets, in one pass over the actor's "
                                 "events (see the KPI semantics)."), **helper),
    ]


def plan(taxonomy: Taxonomy) -> tuple[list[DbObject], list[CronJob]]:
    """The KPI layer's objects and its cron jobs (which the caller puts with the maintenance jobs)."""
    names = Names(taxonomy)
    sets = EventSets(names)
    plans = plan_kpis(taxonomy, names, sets)
    families = plan_families(plans, taxonomy.project.k_anonymity)
    plan_covers(plans)
    per_kpi: list[DbObject] = []
    for p in plans:
        per_kpi += p.objects(taxonomy.project.k_anonymity, READ_ROLES)
    per_kpi += [family_function(f, names.priv) for f in families]
    jobs = [job for p in plans if (job := p.cron()) is not None]
    return _shared(taxonomy, names) + sets.rows + _freshness(plans, names) + per_kpi, jobs


def _freshness(plans: list[KpiPlan], n: Names) -> list[DbObject]:
    """``analytics.kpi_freshness()``: per KPI the caller may read, how its real-time read gets its cells
    and when it was last refreshed, so a dashboard can say "data as of" even for an empty read."""
    if not plans:
        return []
    p, pub = n.priv, n.pub
    rows = ",\n    ".join(
        f"({x.name_literal}, {literal(x.live)}, {text_array(x.stored_inputs())}, {x.site_readers})" for x in plans)
    returns = "table (kpi text, live text, refreshed_at timestamptz)"
    query = (f"  select k.kpi, k.live, (select min(w.refreshed_at) from {p}.kpi_watermarks as w where w.kpi = any (k.stored))\n"
             f"  from (values\n    {rows}) as k (kpi, live, stored, readers)\n"
             f"  where (select {p}.kpi_caller_site()) is not null\n"
             f"    and ((select auth.jwt()) #>> {n.tier_claim}) = any (k.readers)\n"
             f"  order by k.kpi;")
    reads = (Grant("execute", READ_ROLES),)
    comment = literal("Per KPI the caller may read: live = 'exact' when its kpi_<name>_live read includes events not yet "
                      "refreshed, 'refreshed' when it returns refreshed cells only; refreshed_at: its (or its inputs', "
                      "the oldest) last refresh.")
    return [
        Function(p, "kpi_freshness", (), returns, query, security="definer", grants=reads, comment=comment, group=GROUP),
        Function(pub, "kpi_freshness", (), returns, f"  select * from {p}.kpi_freshness();", grants=reads,
                 calls=(f"{p}.kpi_freshness()",), comment=comment, group=GROUP),
    ]
