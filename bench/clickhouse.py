"""The ClickHouse phase: one KPI family on embedded ClickHouse (chdb) beside PostgreSQL, in one run.

Runs after the PostgreSQL phases, on the same history in the same PostgreSQL (its export view
exists when the taxonomy's targets include clickhouse).  Measured side by side:

- ingest: the generated refreshable view pulling the whole history from PostgreSQL through
  ``postgresql()`` (every event, with the family's aggregates kept by their incremental views),
  against PostgreSQL's own COPY load of the same history (B2's load rate);
- backfill: the family's aggregates rebuilt from the event table (the migration's rebuild
  statement), against PostgreSQL's from-scratch refresh of the same KPIs (B2 backfill);
- incremental: ``new_events`` new events stored in PostgreSQL, then one ingestion run (pull plus
  the aggregates' updates), against the family's PostgreSQL refresh jobs;
- reads: the busy site's 30 days and its network's view, p50/p95 over ``samples`` calls each.

Ratios are ClickHouse over PostgreSQL (below 1: ClickHouse faster).  chdb is ClickHouse in
this process on the same two cores as PostgreSQL: a server deployment differs (docs/clickhouse.md).
"""

from __future__ import annotations

import re
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from tests import chutil, dbutil

from . import measure
from .discover import Job
from .progress import log
from .stats import median

#: the KPI family compared: active actors per day and per week, by tier (distinct actors)
FAMILY = ("daily_active_actors", "weekly_active_actors")
READER = "clickhouse_reader"


def _ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {"p50_ms": round(1000 * median(values), 3), "p95_ms": round(1000 * p95, 3)}


def _family_statements(text: str) -> tuple[list[str], list[str]]:
    """The schema's core statements, and those of the family's KPIs (others are left out)."""
    core, family = [], []
    for stmt in chutil.statements(text):
        # the object a statement creates is named on its first line (a view reading another KPI's
        # aggregate, as a week's view reads its days', belongs to its own KPI); event sets by name
        head = stmt.split("\n", 1)[0]
        kpi = next((k for k in FAMILY if re.search(rf"\b(kpi|network)_{k}\b", head)
                    or (stmt.startswith("INSERT INTO") and f"'{k}'" in stmt)), None)
        if kpi:
            family.append(stmt)
        elif not re.search(r"analytics_private\.kpi_(?!event_sets)\w+|analytics\.(kpi|network)_|^INSERT INTO", stmt):
            core.append(stmt)
    return core, family


def run(bench, w, schema_file: Path, pg_load_rows_per_s: float, pg_backfill: dict[str, float],
        jobs: list[Job], reader: dict, day_from: date, day_to: date, samples: int, new_events: int,
        keys_since: datetime) -> dict[str, Any]:
    text = schema_file.read_text(encoding="utf-8")
    core, family = _family_statements(text)
    out: dict[str, Any] = {"family": list(FAMILY), "engine": "chdb (embedded ClickHouse, same machine)"}
    with bench.connect() as conn:
        conn.execute(f"drop role if exists {READER}")
        conn.execute(f"create role {READER} login")
        conn.execute(f"grant usage on schema analytics_private to {READER}")
        conn.execute(f"grant select on analytics_private.clickhouse_events to {READER}")
        pg_events = conn.execute("select count(*) from analytics_private.events").fetchone()[0]
    ch = chutil.connection()
    out["version"] = chutil.scalar(ch, "SELECT version()")
    chutil.reset(ch)
    chutil.named_collection(ch, "trackgen_supabase", bench.cluster.port, bench.cluster.dbname, READER)
    # the family's aggregates first, so the ingestion keeps them as it goes (as in production)
    ingest_stmt = next(s for s in core if "REFRESH EVERY" in s)
    for stmt in core:
        if stmt is not ingest_stmt:
            ch.query(stmt)
    for stmt in family:
        ch.query(stmt)
    t0 = time.perf_counter()
    ch.query(ingest_stmt)  # a refreshable view runs once right after it is created
    ch.query("SYSTEM WAIT VIEW analytics_private.ingest_events")
    ingest_s = time.perf_counter() - t0
    stored = int(chutil.scalar(ch, "SELECT count() FROM analytics_private.events"))
    out["ingest"] = {"events": stored, "postgres_events": pg_events, "seconds": round(ingest_s, 3),
                     "rows_per_s": round(stored / ingest_s), "postgres_copy_rows_per_s": round(pg_load_rows_per_s),
                     "ratio_time_per_event": round((ingest_s / stored) * pg_load_rows_per_s, 3)}
    log(f"clickhouse: ingested {stored:,} of {pg_events:,} events in {ingest_s:.1f} s")

    # backfill: each aggregate rebuilt from the event table
    backfill = {}
    for kpi in FAMILY:
        rebuild = next(s for s in family if s.startswith(f"CREATE MATERIALIZED VIEW IF NOT EXISTS analytics_private.kpi_{kpi}_mv"))
        select = rebuild.split("\nAS ", 1)[1].rsplit("\nCOMMENT", 1)[0].replace("{source}", "analytics_private.events")
        ch.query(f"TRUNCATE TABLE analytics_private.kpi_{kpi}")
        t0 = time.perf_counter()
        ch.query(f"INSERT INTO analytics_private.kpi_{kpi} {select}")
        backfill[kpi] = time.perf_counter() - t0
    ch_backfill = sum(backfill.values())
    measured = [pg_backfill[k] for k in FAMILY if k in pg_backfill]
    pg_total = sum(sec for sec, _ok in measured) if len(measured) == len(FAMILY) else None
    complete = bool(measured) and all(ok for _sec, ok in measured)
    out["backfill"] = {"clickhouse_s": round(ch_backfill, 3),
                       "postgres_s": round(pg_total, 3) if pg_total is not None else None,
                       # False: B2 cut a PostgreSQL job off at its cap, so its time and the ratio are bounds
                       "postgres_complete": complete,
                       "per_kpi_clickhouse_s": {k: round(v, 3) for k, v in backfill.items()},
                       "ratio": round(ch_backfill / pg_total, 4) if pg_total else None}

    # incremental: new events in PostgreSQL, then one ingestion run vs the family's refresh jobs
    fam_jobs = [j for j in jobs if any(j.command.rstrip(")( ;").endswith(f"refresh_kpi_{k}") for k in FAMILY)]
    incr = []
    with bench.connect() as conn:
        # catch-up, not timed: the phases after B2 (B4, B6, B1) stored events no refresh folded in yet,
        # while the ClickHouse ingestion above already copied them
        measure.run_jobs(conn, fam_jobs, label="catch-up (clickhouse phase)")
        chutil.ingest(ch)
        for rep in range(2):
            fresh = w.fresh(new_events, f"clickhouse/{rep}", datetime.now(UTC), timedelta(minutes=5))
            measure.progress_copy(bench, w, fresh, "new events (clickhouse phase)", keys_since, chunk=len(fresh))
            runs = measure.run_jobs(conn, fam_jobs, label="incremental (clickhouse phase)")
            t0 = time.perf_counter()
            chutil.ingest(ch)
            ch_s = time.perf_counter() - t0
            incr.append((measure.total(runs), ch_s))
    pg_incr, ch_incr = median([p for p, _c in incr]), median([c for _p, c in incr])
    out["incremental"] = {"new_events": new_events, "postgres_refresh_s": round(pg_incr, 3),
                          "postgres_jobs": [j.name for j in fam_jobs],
                          "clickhouse_ingest_and_fold_s": round(ch_incr, 3),
                          "ratio": round(ch_incr / pg_incr, 4) if pg_incr else None}
    with bench.connect() as conn:
        pg_now = conn.execute("select count(*) from analytics_private.events").fetchone()[0]
    out["incremental"]["exactly_once"] = int(chutil.scalar(ch, "SELECT count() FROM analytics_private.events")) == pg_now

    # reads: the busy site's 30 days, and its network
    app = reader["app_metadata"]
    net = f"'{app['network_id']}'" if app.get("network_id") else "NULL"
    ch.query(f"INSERT INTO analytics_private.readers VALUES (currentUser(), '{app['site_id']}', {net}, '{app['tier']}')")
    reads = {}
    for kpi in FAMILY:
        pg_site = f"select * from analytics.kpi_{kpi}_between(%(from)s::date, %(to)s::date)"
        ch_site = (f"SELECT * FROM analytics.kpi_{kpi} WHERE period >= '{day_from}' AND period <= '{day_to}'")
        pg_net = f"select * from analytics.network_{kpi} where period >= %(from)s::date and period <= %(to)s::date"
        ch_net = f"SELECT * FROM analytics.network_{kpi} WHERE period >= '{day_from}' AND period <= '{day_to}'"
        for scope, pg_q, ch_q in (("site", pg_site, ch_site), ("network", pg_net, ch_net)):
            pg_t, ch_t, pg_rows, ch_rows = [], [], 0, 0
            with bench.connect(user="authenticator") as api:
                for i in range(samples + 1):
                    with dbutil.as_caller(api, "authenticated", reader) as cur:
                        t0 = time.perf_counter()
                        pg_rows = len(cur.execute(pg_q, {"from": day_from, "to": day_to}).fetchall())
                        took = time.perf_counter() - t0
                    t0 = time.perf_counter()
                    ch_rows = len(chutil.rows(ch, ch_q))
                    ch_took = time.perf_counter() - t0
                    if i:
                        pg_t.append(took)
                        ch_t.append(ch_took)
            pg_ms, ch_ms = _ms(pg_t), _ms(ch_t)
            reads[f"{scope}:{kpi}"] = {"postgres": pg_ms | {"rows": pg_rows}, "clickhouse": ch_ms | {"rows": ch_rows},
                                       "ratio_p50": round(ch_ms["p50_ms"] / pg_ms["p50_ms"], 3) if pg_ms["p50_ms"] else None}
    out["reads"] = reads
    log("clickhouse: " + ", ".join(f"{k} p50 ratio {v['ratio_p50']}" for k, v in reads.items()))
    return out
