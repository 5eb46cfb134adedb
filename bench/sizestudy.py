"""Where the derived tables' bytes are, and what other layouts would take (issue 13's size target).

Run at the last history step, after the backfill and the incremental refreshes, on the bench's
own database. Two parts:

1. **Breakdown**: for every derived table (and the store's), the heap, the free-space and
   visibility maps, TOAST and each index apart (``pg_relation_size``), with the estimated rows
   (``pg_class.reltuples``, fresh from the run's ANALYZE) and bytes per row; indexes are sorted
   into the unique key, the ``ingest_xid`` index and the others.
2. **Variants**, built in the scratch schema ``bench_size_study`` (dropped afterwards; the
   generated schemas are only read):

   a. one shared per-(site, day, actor, tier, event) base built from the store, with what a
      refresh would need (a unique key for ``on conflict do nothing``, an ``ingest_xid`` index for
      the touched cells, a ``(network_id, day, tier)`` index for network cells), filled the way a
      backfill fills the facts (``insert ... select distinct ... on conflict do nothing`` into the
      indexed table);
   b. the same base with actors interned to an int4 through a dictionary table (counted), and
      ``b_compact``: also the event and tier as smallints (their dictionaries are the reference
      tables, a few rows);
   c. the largest per-actor derived tables rebuilt with int4 actors (and a smallint tier where
      they have one), each beside a same-way rebuilt copy with the original types (the control:
      it separates what the types save from what a fresh build packs tighter);
   d. for the largest derived table, its ``ingest_xid`` btree against a BRIN index on the same
      values stored as int8 (PostgreSQL 15 has no BRIN operator class for xid8).

Which tables a base replaces is decided by the compiled taxonomy (``plan_kpis``) and then checked
on the data: a distinct-actor or count KPI's facts table with no payload filter and no
dimension other than tier/event is replaced only when the base, filtered by the KPI's events and
actor tiers and truncated to its grain, yields exactly the table's row count.
"""

from __future__ import annotations

import time
from typing import Any

import psycopg

from generator.plan.kpi import plan_kpis
from generator.plan.kpi.common import period_expr

from .progress import log
from .stats import median

SCRATCH = "bench_size_study"
MB = 2**20


def _q(conn: psycopg.Connection, sql: str, args: tuple = ()) -> list[tuple]:
    cur = conn.execute(sql, args)
    return cur.fetchall() if cur.description else []


def _timed(conn: psycopg.Connection, statements: list[str]) -> float:
    t0 = time.perf_counter()
    for s in statements:
        conn.execute(s)
    return time.perf_counter() - t0


# ---------------------------------------------------------------------- 1. breakdown


def breakdown(conn: psycopg.Connection, schema: str, tables: list[str]) -> dict[str, dict[str, Any]]:
    """Per table: heap, maps (fsm + vm), TOAST (with its index), each index, rows, bytes per row."""
    out: dict[str, dict[str, Any]] = {}
    rows = _q(conn, """
        select c.relname, c.oid, greatest(c.reltuples, 0)::bigint, pg_relation_size(c.oid, 'main'),
               pg_relation_size(c.oid, 'fsm') + pg_relation_size(c.oid, 'vm'),
               coalesce(pg_total_relation_size(nullif(c.reltoastrelid, 0)), 0), pg_total_relation_size(c.oid)
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = %s and c.relname = any(%s)""", (schema, tables))
    for name, oid, reltuples, heap, maps, toast, total in rows:
        idx = []
        for iname, size, unique, am, cols in _q(conn, """
                select ic.relname, pg_relation_size(ic.oid), i.indisunique, am.amname,
                       array(select pg_get_indexdef(i.indexrelid, k + 1, true) from generate_subscripts(i.indkey, 1) k)
                from pg_index i join pg_class ic on ic.oid = i.indexrelid join pg_am am on am.oid = ic.relam
                where i.indrelid = %s order by ic.relname""", (oid,)):
            kind = "key" if unique else ("ingest_xid" if list(cols) == ["ingest_xid"] else "other")
            idx.append({"name": iname, "bytes": size, "kind": kind, "method": am, "columns": list(cols)})
        out[name] = {"rows": reltuples, "heap": heap, "maps": maps, "toast": toast, "indexes": idx, "total": total,
                     "bytes_per_row": round(total / reltuples, 1) if reltuples else None,
                     "heap_bytes_per_row": round(heap / reltuples, 1) if reltuples else None}
    return out


def totals(tables: dict[str, dict[str, Any]]) -> dict[str, int]:
    t = {"heap": 0, "maps": 0, "toast": 0, "key": 0, "ingest_xid": 0, "other": 0, "total": 0, "rows": 0}
    for v in tables.values():
        for k in ("heap", "maps", "toast", "total", "rows"):
            t[k] += v[k]
        for i in v["indexes"]:
            t[i["kind"]] += i["bytes"]
    return t


# ---------------------------------------------------------------------- which tables a base can replace


def candidates(tax, derived: set[str]) -> dict[str, Any]:
    """From the compiled taxonomy: the per-actor tables a shared base could stand for.

    ``facts``: distinct-actor and count KPIs' facts without payload filters or payload dimensions
    (what the base holds: site, day, tier, event, actor, network), with the SQL that recounts their
    rows from the base; ``recounted``: tables a refresh would rebuild from the base instead of
    keeping (rolling windows' runs over such a KPI, retention's cohorts and actives when both
    selections have no payload filter); ``kept``: every other per-actor table, with why."""
    facts: dict[str, dict[str, Any]] = {}
    recounted: dict[str, str] = {}
    kept: dict[str, str] = {}
    by_name = {}
    for p in plan_kpis(tax):
        k = p.kpi
        by_name[p.base_name] = p
        if p.matview:
            continue
        if k.type in ("distinct_actors", "count") and p.facts in derived:
            sel = k.selection
            extra = [d for d in k.by if d not in ("tier", "event", "site")]
            if sel is None or sel.where or extra:
                kept[p.facts] = "payload filter" if sel is not None and sel.where else f"payload dimension {extra}"
                continue
            facts[p.facts] = {"kpi": p.base_name, "grain": k.grain, "tz": p.tz, "events": sorted(sel.events),
                              "tiers": sorted(sel.tiers), "by": [d for d in k.by if d in ("tier", "event")]}
        elif k.type == "rolling" and getattr(p, "runs", None) in derived:
            recounted[p.runs] = f"rolling window over {k.base}"
        elif k.type == "retention":
            free = not k.cohort.where and not k.returning.where
            for t in (p.cohorts, p.active):
                if t in derived:
                    (recounted if free else kept)[t] = ("retention (first and returning days per actor)" if free
                                                        else "retention with a payload filter")
        elif k.type == "funnel":
            for t in (p.step_rows, p.actors):
                if t in derived:
                    kept[t] = "funnel (ordered steps need each event's time)"
    # a rolling window's runs are recounted from the base only if its base KPI's facts are replaced
    for t, why in list(recounted.items()):
        if why.startswith("rolling window over "):
            base = by_name.get(why.removeprefix("rolling window over "))
            if base is None or base.facts not in facts:
                kept[t] = why + " (its base KPI is not replaced)"
                del recounted[t]
    return {"facts": facts, "recounted": recounted, "kept": kept}


def _recount_sql(spec: dict[str, Any], base: str) -> str:
    """Distinct (site, period, dims, actor, network) of one KPI from the base: its facts' row count."""
    period = period_expr(spec["grain"], spec["tz"])
    dims = "".join(", e.actor_tier" if d == "tier" else ", e.event_id" for d in spec["by"])
    tiers = " and e.actor_tier = any(%(tiers)s)" if spec["tiers"] else ""
    return (f"select count(*) from (select distinct e.site_id, {period}{dims}, e.actor_hash, e.network_id "
            f"from (select b.site_id, b.network_id, b.actor_hash, b.tier as actor_tier, b.event_id, "
            f"(b.day::timestamp at time zone %(tz)s) as occurred_at from {base} b) e "
            f"where e.event_id = any(%(events)s){tiers}) t")


# ---------------------------------------------------------------------- 2. variants


def _size(conn: psycopg.Connection, table: str) -> dict[str, int]:
    (heap, total), = _q(conn, "select pg_relation_size(%s::regclass), pg_total_relation_size(%s::regclass)",
                        (table, table))
    return {"heap": heap, "indexes_and_toast": total - heap, "total": total}


def build_base(conn: psycopg.Connection, store: str) -> dict[str, Any]:
    """(a) The shared base, filled as a backfill fills a facts table."""
    s = SCRATCH
    took = _timed(conn, [
        f"""create table {s}.base (
              site_id uuid not null, network_id uuid, ingest_xid xid8 not null default pg_current_xact_id(),
              day date not null, event_id text not null, tier text not null, actor_hash bytea not null,
              constraint base_key unique nulls not distinct (site_id, day, tier, event_id, actor_hash, network_id))""",
        f"create index base_xid_idx on {s}.base (ingest_xid)",
        f"create index base_net_idx on {s}.base (network_id, day, tier)",
        f"""insert into {s}.base (site_id, network_id, day, event_id, tier, actor_hash)
            select distinct e.site_id, e.network_id, (e.occurred_at at time zone 'UTC')::date, e.event_id,
                   e.actor_tier, e.actor_hash
            from {store} e on conflict do nothing""",
        f"analyze {s}.base"])
    rows = _q(conn, f"select count(*) from {s}.base")[0][0]
    return {"rows": rows, "build_s": took, **_size(conn, f"{s}.base")}


def build_interned(conn: psycopg.Connection, store: str) -> dict[str, Any]:
    """(b) The base with int4 actors (dictionary ``actors``), and ``b_compact``: smallint events and tiers too."""
    s = SCRATCH
    t_dict = _timed(conn, [
        f"""create table {s}.actors (id int4 generated always as identity primary key,
              actor_hash bytea not null unique)""",
        f"insert into {s}.actors (actor_hash) select distinct actor_hash from {store}",
        f"create table {s}.events (id smallint primary key, event_id text not null unique)",
        f"insert into {s}.events select row_number() over (order by event_id), event_id "
        f"from (select distinct event_id from {s}.base) x",
        f"create table {s}.tiers (id smallint primary key, tier text not null unique)",
        f"insert into {s}.tiers select row_number() over (order by tier), tier from (select distinct tier from {s}.base) x",
        f"analyze {s}.actors", f"analyze {s}.events", f"analyze {s}.tiers"])
    t_b = _timed(conn, [
        f"""create table {s}.base_i (
              site_id uuid not null, network_id uuid, ingest_xid xid8 not null default pg_current_xact_id(),
              day date not null, actor int4 not null, event_id text not null, tier text not null,
              constraint base_i_key unique nulls not distinct (site_id, day, tier, event_id, actor, network_id))""",
        f"create index base_i_xid_idx on {s}.base_i (ingest_xid)",
        f"create index base_i_net_idx on {s}.base_i (network_id, day, tier)",
        f"""insert into {s}.base_i (site_id, network_id, day, actor, event_id, tier)
            select distinct e.site_id, e.network_id, (e.occurred_at at time zone 'UTC')::date, a.id, e.event_id,
                   e.actor_tier
            from {store} e join {s}.actors a on a.actor_hash = e.actor_hash on conflict do nothing""",
        f"analyze {s}.base_i"])
    t_c = _timed(conn, [
        f"""create table {s}.base_c (
              site_id uuid not null, network_id uuid, ingest_xid xid8 not null default pg_current_xact_id(),
              day date not null, actor int4 not null, event smallint not null, tier smallint not null,
              constraint base_c_key unique nulls not distinct (site_id, day, tier, event, actor, network_id))""",
        f"create index base_c_xid_idx on {s}.base_c (ingest_xid)",
        f"create index base_c_net_idx on {s}.base_c (network_id, day, tier)",
        f"""insert into {s}.base_c (site_id, network_id, day, actor, event, tier)
            select distinct e.site_id, e.network_id, (e.occurred_at at time zone 'UTC')::date, a.id, v.id, t.id
            from {store} e join {s}.actors a on a.actor_hash = e.actor_hash
            join {s}.events v on v.event_id = e.event_id join {s}.tiers t on t.tier = e.actor_tier
            on conflict do nothing""",
        f"analyze {s}.base_c"])
    dictionary = sum(_size(conn, f"{s}.{t}")["total"] for t in ("actors", "events", "tiers"))
    return {"dictionary": {"actors": _q(conn, f"select count(*) from {s}.actors")[0][0],
                           "actor_dictionary_bytes": _size(conn, f"{s}.actors")["total"],
                           "all_dictionaries_bytes": dictionary, "build_s": t_dict},
            "b": {"rows": _q(conn, f"select count(*) from {s}.base_i")[0][0], "build_s": t_b,
                  **_size(conn, f"{s}.base_i")},
            "b_compact": {"rows": _q(conn, f"select count(*) from {s}.base_c")[0][0], "build_s": t_c,
                          **_size(conn, f"{s}.base_c")}}


def _columns(conn: psycopg.Connection, schema: str, table: str) -> list[tuple[str, str]]:
    return _q(conn, """select a.attname, format_type(a.atttypid, a.atttypmod) from pg_attribute a
                       where a.attrelid = format('%%I.%%I', %s::text, %s::text)::regclass and a.attnum > 0
                         and not a.attisdropped order by a.attnum""", (schema, table))


def rebuild(conn: psycopg.Connection, schema: str, table: str, interned: bool) -> dict[str, Any]:
    """(c) A copy of ``schema.table`` in the scratch schema, same indexes, filled by one insert into the
    indexed table; ``interned``: actor columns (actor_hash, member; bytea, or the caches' 64-bit keys
    as int8send) as int4 through the ``actors`` dictionary (values it lacks, such as a site member of
    a runs table or a 64-bit key, are added to it first), a text tier as smallint through ``tiers``."""
    s = SCRATCH
    name = f"{table[:48]}__{'i' if interned else 'copy'}"
    cols = _columns(conn, schema, table)
    swap = {c: "int4" for c, t in cols if interned and t in ("bytea", "bigint") and c in ("actor_hash", "member")}
    swap |= {c: "smallint" for c, t in cols if interned and t == "text" and c == "tier"}
    as_bytes = {c: f"int8send(t.{c})" if t == "bigint" else f"t.{c}" for c, t in cols}
    stmts = []
    for c in swap:
        if swap[c] == "int4":
            stmts.append(f"insert into {s}.actors (actor_hash) select distinct {as_bytes[c]} from {schema}.{table} t "
                         f"where not exists (select 1 from {s}.actors a where a.actor_hash = {as_bytes[c]})")
        else:
            stmts.append(f"insert into {s}.tiers select (select coalesce(max(id), 0) from {s}.tiers) + row_number() "
                         f"over (), x.{c} from (select distinct {c} from {schema}.{table} except select tier "
                         f"from {s}.tiers) x")
    defs = ", ".join(f"{c} {swap.get(c, t)}" for c, t in cols)
    stmts.append(f"create table {s}.{name} ({defs})")
    for k, (idef,) in enumerate(_q(conn, """select pg_get_indexdef(i.indexrelid) from pg_index i
                               where i.indrelid = format('%%I.%%I', %s::text, %s::text)::regclass
                               order by i.indexrelid""", (schema, table))):
        head, _, rest = idef.partition(f" ON {schema}.{table} ")
        stmts.append(f"{head.removesuffix(head.split()[-1])}{name}_{k} ON {s}.{name} {rest}")
    sel = []
    joins = []
    for i, (c, _t) in enumerate(cols):
        if swap.get(c) == "int4":
            joins.append(f"join {s}.actors d{i} on d{i}.actor_hash = {as_bytes[c]}")
            sel.append(f"d{i}.id")
        elif swap.get(c) == "smallint":
            joins.append(f"join {s}.tiers d{i} on d{i}.tier = t.{c}")
            sel.append(f"d{i}.id")
        else:
            sel.append(f"t.{c}")
    stmts.append(f"insert into {s}.{name} select {', '.join(sel)} from {schema}.{table} t {' '.join(joins)}")
    took = _timed(conn, stmts)
    return {"rows": _q(conn, f"select count(*) from {s}.{name}")[0][0], "build_s": took,
            "changed_columns": swap, **_size(conn, f"{s}.{name}")}


def brin_xid(conn: psycopg.Connection, schema: str, table: str, btree_bytes: int) -> dict[str, Any]:
    """(d) The table's ingest_xid values as int8 in a one-column copy, indexed by BRIN (minmax)."""
    s = SCRATCH
    took = _timed(conn, [
        f"create table {s}.xid_brin as select ingest_xid::text::int8 as ingest_xid from {schema}.{table}",
        f"create index xid_brin_idx on {s}.xid_brin using brin (ingest_xid)"])
    (brin,), = _q(conn, "select pg_relation_size(%s::regclass)", (f"{s}.xid_brin_idx",))
    return {"table": table, "btree_bytes": btree_bytes, "brin_bytes": brin, "build_s": took}


# ---------------------------------------------------------------------- recount cost (a)


def recount(conn: psycopg.Connection, spec: dict[str, Any] | None, facts: str | None, site: str, day_to,
            repeats: int = 3) -> dict[str, Any] | None:
    """Milliseconds to count one site's distinct actors by tier over the 28 days ending ``day_to`` and
    over the calendar month before it, from each base and from the KPI's own daily facts (today's
    layout, for reference): the work a shared base moves to refresh time."""
    if spec is None:
        return None
    import datetime as dt
    month_to = day_to.replace(day=1) - dt.timedelta(days=1)
    windows = {"28d": (day_to - dt.timedelta(days=27), day_to), "month": (month_to.replace(day=1), month_to)}
    s = SCRATCH
    args = {"site": site, "events": spec["events"]}
    queries = {
        "a": f"select tier, count(distinct actor_hash) from {s}.base where site_id = %(site)s and day between "
             f"%(lo)s and %(hi)s and event_id = any(%(events)s) group by 1",
        "b": f"select tier, count(distinct actor) from {s}.base_i where site_id = %(site)s and day between "
             f"%(lo)s and %(hi)s and event_id = any(%(events)s) group by 1",
        "b_compact": f"select t.tier, count(distinct b.actor) from {s}.base_c b join {s}.tiers t on t.id = b.tier "
                     f"where b.site_id = %(site)s and b.day between %(lo)s and %(hi)s and b.event in "
                     f"(select id from {s}.events where event_id = any(%(events)s)) group by 1",
    }
    if facts:
        queries["facts (today)"] = (f"select tier, count(distinct actor_hash) from {facts} where site_id = %(site)s "
                                    f"and period between %(lo)s and %(hi)s group by 1")
    out: dict[str, Any] = {"site": site, "kpi": spec["kpi"], "facts_table": facts,
                           "windows": {k: [str(a), str(b)] for k, (a, b) in windows.items()}, "ms": {}}
    for w, (lo, hi) in windows.items():
        res = {}
        for name, q in queries.items():
            times = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                rows = _q(conn, q, args | {"lo": lo, "hi": hi})
                times.append(time.perf_counter() - t0)
            res[name] = {"ms": median(times) * 1000, "actors": sum(r[1] for r in rows)}
        out["ms"][w] = res
    return out


# ---------------------------------------------------------------------- the whole study


def study(conn: psycopg.Connection, tax, schema: str, store_tables: list[str], derived: list[str],
          busy_site: str, day_to, top_n: int = 3) -> dict[str, Any]:
    """Breakdown, then the variants; the scratch schema is dropped whatever happens."""
    t_start = time.perf_counter()
    store = f"{schema}.events"
    res: dict[str, Any] = {"scratch_schema": SCRATCH}
    res["derived"] = breakdown(conn, schema, derived)
    res["store"] = breakdown(conn, schema, store_tables)
    res["derived_totals"] = totals(res["derived"])
    res["store_totals"] = totals(res["store"])
    store_b, derived_b = res["store_totals"]["total"], res["derived_totals"]["total"]
    cand = candidates(tax, set(derived))
    conn.execute(f"drop schema if exists {SCRATCH} cascade")
    conn.execute(f"create schema {SCRATCH}")
    try:
        log("size study: (a) the shared per-(site, day, actor, tier, event) base")
        res["a"] = build_base(conn, store)
        res["a"]["direct_distinct"] = _q(conn, f"""select count(*) from (select distinct site_id, network_id,
            (occurred_at at time zone 'UTC')::date, event_id, actor_tier, actor_hash from {store}) t""")[0][0]
        # which facts tables the base really stands for: the same rows, recounted from it
        replaced, checks = {}, {}
        for t, spec in cand["facts"].items():
            if spec["tz"] != "UTC":
                cand["kept"][t] = f"project time zone {spec['tz']} (the base's days are UTC)"
                continue
            n = _q(conn, _recount_sql(spec, f"{SCRATCH}.base"),
                   {"tz": spec["tz"], "events": spec["events"], "tiers": spec["tiers"]})[0][0]
            rows = _q(conn, f"select count(*) from {schema}.{t}")[0][0]
            checks[t] = {"kpi": spec["kpi"], "grain": spec["grain"], "rows": rows, "from_base": n}
            if n == rows:
                replaced[t] = spec
            else:
                cand["kept"][t] = f"the base recounts {n} rows, the table holds {rows}"
        res["replace_checks"] = checks
        d = res["derived"]
        rep_b = sum(d[t]["total"] for t in replaced)
        rec_b = sum(d[t]["total"] for t in cand["recounted"])
        res["replaces"] = {"facts": sorted(replaced), "facts_bytes": rep_b, "recounted": cand["recounted"],
                           "recounted_bytes": rec_b, "kept": cand["kept"]}

        log("size study: (b) interned actors")
        res |= build_interned(conn, store)

        def proj(remove: int, add: int) -> float:
            return (derived_b - remove + add) / store_b if store_b else None

        dict_b = res["dictionary"]["actor_dictionary_bytes"]
        all_dict_b = res["dictionary"]["all_dictionaries_bytes"]
        res["projections"] = {
            "today": derived_b / store_b if store_b else None,
            "a_replaces_facts": proj(rep_b, res["a"]["total"]),
            "a_replaces_facts_and_recounted": proj(rep_b + rec_b, res["a"]["total"]),
            "b_replaces_facts": proj(rep_b, res["b"]["total"] + dict_b),
            "b_replaces_facts_and_recounted": proj(rep_b + rec_b, res["b"]["total"] + dict_b),
            "b_compact_replaces_facts_and_recounted": proj(rep_b + rec_b, res["b_compact"]["total"] + all_dict_b),
        }

        # (c) the largest per-actor tables with int4 actors, each beside a same-way copy
        per_actor = [t for t in sorted(d, key=lambda t: -d[t]["total"])
                     if any(c in ("actor_hash", "member") for c, _ in _columns(conn, schema, t))]
        res["c"] = {}
        for t in per_actor[:top_n]:
            log(f"size study: (c) {t} with interned actors")
            res["c"][t] = {"original": d[t]["total"], "copy": rebuild(conn, schema, t, False),
                           "interned": rebuild(conn, schema, t, True)}
            conn.execute(f"drop table {SCRATCH}.{t[:48]}__copy")
            conn.execute(f"drop table {SCRATCH}.{t[:48]}__i")
        c_orig = sum(v["original"] for v in res["c"].values())
        c_copy = sum(v["copy"]["total"] for v in res["c"].values())
        c_int = sum(v["interned"]["total"] for v in res["c"].values())
        dict_now = _size(conn, f"{SCRATCH}.actors")["total"]  # with any members the runs tables added
        all_actor_b = sum(d[t]["total"] for t in per_actor)
        res["c_summary"] = {
            "tables": list(res["c"]), "original_bytes": c_orig, "copy_bytes": c_copy, "interned_bytes": c_int,
            "interned_over_copy": c_int / c_copy if c_copy else None, "dictionary_bytes": dict_now,
            "per_actor_tables": len(per_actor), "per_actor_bytes": all_actor_b}
        res["projections"]["c_measured_tables"] = proj(c_orig, c_int + dict_now)
        if c_copy:
            # an extrapolation: every per-actor table shrinks as the measured ones did against their copies
            res["projections"]["c_all_per_actor_extrapolated"] = proj(
                all_actor_b, all_actor_b * c_int / c_copy + dict_now)
            # the levers together: the compact base for what it stands for, and the other per-actor
            # tables (funnels, payload dimensions and filters) interned at the measured ratio
            gone = set(replaced) | set(cand["recounted"])
            rest = sum(d[t]["total"] for t in per_actor if t not in gone)
            res["c_summary"]["per_actor_bytes_not_replaced"] = rest
            res["projections"]["b_compact_and_c_for_the_rest"] = proj(
                rep_b + rec_b + rest * (1 - c_int / c_copy),
                res["b_compact"]["total"] + max(dict_now, dict_b) + all_dict_b - dict_b)

        # (d) BRIN on ingest_xid for the largest table that has an ingest_xid btree
        for t in sorted(d, key=lambda t: -d[t]["total"]):
            xid = [i for i in d[t]["indexes"] if i["kind"] == "ingest_xid"]
            if xid:
                res["d"] = brin_xid(conn, schema, t, xid[0]["bytes"])
                all_xid = res["derived_totals"]["ingest_xid"]
                n_xid = sum(i["kind"] == "ingest_xid" for v in d.values() for i in v["indexes"])
                res["d"] |= {"all_ingest_xid_btrees_bytes": all_xid, "ingest_xid_btrees": n_xid}
                # every ingest_xid btree replaced by a BRIN as big as the measured one (a BRIN's size
                # follows the table's pages, so this is an upper bound for the smaller tables)
                res["projections"]["d_brin_for_every_ingest_xid_btree"] = proj(all_xid, n_xid * res["d"]["brin_bytes"])
                break

        # the recount a shared base moves to refresh time: one busy site, the rolling windows' base KPI
        spec = None
        facts_table = None
        for t, sp in replaced.items():
            if "tier" in sp["by"] and sp["grain"] == "day":
                spec, facts_table = sp, f"{schema}.{t}"
                break
        res["recount"] = recount(conn, spec, facts_table, busy_site, day_to)
    finally:
        conn.execute(f"drop schema if exists {SCRATCH} cascade")
    res["scratch_left"] = bool(_q(conn, "select 1 from pg_namespace where nspname = %s", (SCRATCH,)))
    res["study_s"] = time.perf_counter() - t_start
    return res
