"""The measurements. Each returns plain data (dicts of numbers and text) for the report.

Timings are wall-clock on this machine, taken side by side with their reference in
the same run, so the ratios hold even when other work shares the cores.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg

from tests import dbutil

from . import discover, load, rawsql
from .cluster import Bench
from .discover import Job, Read
from .progress import Progress, log
from .stats import median, ms, pct, ratio, rnd
from .workload import Workload

# ---------------------------------------------------------------------- refresh


@dataclass
class JobRun:
    name: str
    seconds: float
    status: str  # ok | timeout | error: <message>
    rows: Any = None
    cap_s: float | None = None


def run_jobs(conn: psycopg.Connection, jobs: list[Job], cap_s: float | None = None, label: str = "",
             deadline: float | None = None, writes: dict[str, set[str]] | None = None) -> list[JobRun]:
    """Run each job's command in turn, as pg_cron would (the job owner here is the superuser).

    A job is cancelled after ``cap_s`` and reported as ``timeout``; with ``deadline`` (a
    ``time.monotonic()`` value) the cap also shrinks so that the jobs still to come keep a few
    seconds each. With ``writes``, the private tables each job wrote are added to it by job name."""
    runs = []
    try:
        for i, job in enumerate(jobs):
            cap = cap_s
            if deadline is not None:
                cap = max(5.0, min(cap or float("inf"), deadline - time.monotonic() - 2.0 * (len(jobs) - i - 1)))
            conn.execute("set statement_timeout = %s" % (int(cap * 1000) if cap else 0))
            before = discover.write_counters(conn) if writes is not None else None
            t0 = time.perf_counter()
            status, rows = "ok", None
            try:
                cur = conn.execute(job.command)
                row = cur.fetchone() if cur.description else None
                rows = row[0] if row and len(row) == 1 else None
            except psycopg.errors.QueryCanceled:
                status = "timeout"
            except psycopg.Error as e:
                status = f"error: {str(e).strip().splitlines()[0]}"
            took = time.perf_counter() - t0
            if writes is not None and status == "ok":
                writes.setdefault(job.name, set()).update(
                    discover.written_between(before, discover.write_counters(conn)))
            runs.append(JobRun(job.name, took, status, rows, cap))
            if took > 5 or status != "ok":
                log(f"{label} {job.name}: {took:.1f} s {status}")
    finally:
        conn.execute("set statement_timeout = 0")
    return runs


def total(runs: list[JobRun]) -> float:
    return sum(r.seconds for r in runs)


def complete(runs: list[JobRun]) -> bool:
    return all(r.status == "ok" for r in runs)


# ---------------------------------------------------------------------- B1


def b1_ingest(bench: Bench, w: Workload, batches: int, pairs: int) -> dict[str, Any]:
    """track_events (batches of 500, 4 connections) against COPY of as many rows (4 connections, events
    plus idempotency keys) into the same store, in alternating pairs; ratio = median over the pairs."""
    size = 500
    pair_rows = []
    for i in range(pairs):
        now = datetime.now(UTC)
        track = w.batches(batches, size, f"b1/track/{i}", now, timedelta(hours=2))
        fresh = w.fresh(batches * size, f"b1/copy/{i}", now, timedelta(hours=2))
        rows = int((~fresh.duplicate).sum())
        share = [fresh.take(slice(k, None, 4)) for k in range(4)]
        chunks = [load.Chunk(w.copy_events(s), w.copy_keys(s), int((~s.duplicate).sum())) for s in share]

        def run_track(batches: list = track) -> tuple[float, Any]:
            r = load.track_parallel(bench, batches, connections=4)
            return r.items / r.elapsed, r

        def run_copy(parts: list = chunks, n: int = rows) -> float:
            return n / load.copy_parallel(bench, parts, connections=4)

        if i % 2 == 0:
            t_rate, r = run_track()
            c_rate = run_copy()
        else:
            c_rate = run_copy()
            t_rate, r = run_track()
        pair_rows.append({"track_events_per_s": t_rate, "copy_rows_per_s": c_rate, "ratio": t_rate / c_rate,
                          "statuses": dict(r.statuses), "call_p95_ms": ms(pct(r.latencies, 95))})
        log(f"B1 pair {i + 1}/{pairs}: track_events {t_rate:,.0f} events/s, COPY {c_rate:,.0f} rows/s, "
            f"ratio {t_rate / c_rate:.2f}")
    one = load.track_parallel(bench, w.batches(max(2, batches // 4), size, "b1/one", datetime.now(UTC),
                                               timedelta(hours=2)), connections=1)
    return {
        "pairs": pair_rows,
        "ratio_to_copy": median([p["ratio"] for p in pair_rows]),
        "track_events_per_s": median([p["track_events_per_s"] for p in pair_rows]),
        "copy_rows_per_s": median([p["copy_rows_per_s"] for p in pair_rows]),
        "track_events_per_s_1_connection": one.items / one.elapsed,
        "batch_size": size,
        "batches_per_run": batches,
        "connections": 4,
    }


# ---------------------------------------------------------------------- B3 reads


def reader_claims(w: Workload, site: int) -> dict[str, Any]:
    """A reader at ``site`` with the highest caller tier (so it may read the site and the network
    views), as a clinic or network dashboard user would be."""
    return w.site_claims(site, tier=w.callers[-1].name)


def time_reads(conn: psycopg.Connection, reads: list[Read], claims: dict, day_from: date, day_to: date,
               samples: int) -> dict[str, dict[str, Any]]:
    """Each read ``samples`` times as ``authenticated`` with the caller's claims (RLS and the read
    functions' own filters in force): p50/p95 in ms and the rows returned. Reads are interleaved,
    so a burst of load from elsewhere hits all of them alike."""
    params = {"from": day_from, "to": day_to}
    lat: dict[str, list[float]] = {r.name: [] for r in reads}
    rows: dict[str, int] = {}
    for i in range(samples + 1):
        for r in reads:
            with dbutil.as_caller(conn, "authenticated", claims) as cur:
                t0 = time.perf_counter()
                got = cur.execute(r.query(), params).fetchall()
                took = time.perf_counter() - t0
            if i > 0:  # the first round warms the cache and plans
                lat[r.name].append(took)
            rows[r.name] = len(got)
    return {name: {"p50_ms": ms(median(v)), "p95_ms": ms(pct(v, 95)), "rows": rows[name], "samples": len(v)}
            for name, v in lat.items()}


def raw_reads(conn: psycopg.Connection, w: Workload, reads: list[Read], read_conn: psycopg.Connection,
              claims: dict, site_id: str, day_from: date, day_to: date, samples: int) -> dict[str, dict[str, Any]]:
    """B3's baseline: for each site read function with a raw-events equivalent, that aggregate over
    the event store (as the superuser, same site and days), timed ``samples`` times; its rows are
    compared with the read's."""
    out: dict[str, dict[str, Any]] = {}
    params = {"from": day_from, "to": day_to, "site": site_id}
    for r in reads:
        if r.kind != "function" or r.scope != "site":
            continue
        kpi = rawsql.kpi_of_read(w.tax, r.name)
        q = rawsql.query(w.tax, kpi) if kpi else None
        if q is None:
            out[r.name] = {"kpi": kpi.name if kpi else None, "kpi_type": kpi.type if kpi else None,
                           "skipped": "no raw-events equivalent written for this KPI type"}
            continue
        times = []
        raw_rows: list[tuple] = []
        for _ in range(samples):
            t0 = time.perf_counter()
            raw_rows = conn.execute(q, params).fetchall()
            times.append(time.perf_counter() - t0)
        with dbutil.as_caller(read_conn, "authenticated", claims) as cur:
            read_rows = cur.execute(r.query(), params).fetchall()
        if r.columns and r.columns[-1][0] == "as_of":  # a real-time read: its rows, then the time they are as of
            read_rows = [row[:-1] for row in read_rows]
        same = rawsql.normalise(raw_rows) == rawsql.normalise(read_rows)
        out[r.name] = {"kpi": kpi.name, "kpi_type": kpi.type, "p50_ms": ms(median(times)),
                       "rows": len(raw_rows), "same_rows_as_read": same}
    return out


# ---------------------------------------------------------------------- B4 freshness


def b4_freshness(bench: Bench, w: Workload, cat: discover.Catalog, samples: int,
                 period_override: float | None) -> dict[str, Any]:
    """Commit of one event -> first moment a site view shows it, without a real-time read path.

    The probe event is one a KPI with the shortest refresh schedule reads. A calibration event
    finds, in the database, which refresh job and which views make it visible. Then the bench calls
    that job's command every cron period (pg_cron's jobs are inactive during the bench; its period
    is the job's schedule), while ``samples`` events, each for a new site, commit at random moments
    of one period and a poller reads the view as each site's caller every 50 ms."""
    kpis = [k for k in w.tax.kpis if k.selection is not None and k.type in ("count", "distinct_actors")]
    if not kpis:
        return {"skipped": "no count or distinct_actors KPI to probe"}
    kpis.sort(key=lambda k: (discover.cron_period_s(k.refresh), k.name))
    kpi = kpis[0]
    event = w.tax.event(kpi.selection.events[0])
    tiers = [t.name for t in w.callers]
    tier = kpi.selection.tiers[0] if kpi.selection.tiers else (event.tier if event.tier in tiers else tiers[0])
    payload = w.pools[w.event_ids.index(event.id)][0]

    def probe_claims() -> dict[str, Any]:
        return {"sub": str(uuid.uuid4()), "role": "authenticated", "aud": "authenticated",
                "app_metadata": {"site_id": str(uuid.uuid4()), "tier": tier}}

    def send(conn: psycopg.Connection, claims: dict) -> None:
        body = json.dumps([{"event_id": event.id, "occurred_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                            "idempotency_key": str(uuid.uuid4()), "payload": json.loads(payload),
                            "plan_version": w.plan_version}])
        with dbutil.as_caller(conn, "authenticated", claims, commit=True) as cur:
            out = cur.execute("select analytics.track_events(%s::jsonb)", (body,)).fetchone()[0]
        if out[0]["status"] != "accepted":
            raise RuntimeError(f"B4 probe event refused: {out}")

    site_views = [r for r in cat.reads if r.kind == "view" and r.scope == "site"]

    readers = w.tax.site_reader_tiers(kpi.sql_name) or (w.callers[-1].name,)

    def visible(conn: psycopg.Connection, claims: dict, views: list[Read]) -> list[str]:
        # the sender's site, read by a tier allowed to read site KPIs (privacy.site_read_tiers); a
        # (from, to) read asks for the days around today
        reader = claims | {"app_metadata": claims["app_metadata"] | {"tier": readers[-1]}}
        seen = []
        for v in views:
            rel = (f'analytics."{v.name}"(current_date - 1, current_date + 1)' if v.kind == "function"
                   else f'analytics."{v.name}"')
            with dbutil.as_caller(conn, "authenticated", reader) as cur:
                if cur.execute(f"select exists (select from {rel})").fetchone()[0]:
                    seen.append(v.name)
        return seen

    jobs = sorted(cat.refresh_jobs, key=lambda j: (j.period_s, j.jobid))
    with bench.connect(user=dbutil.LOGIN_ROLE) as api, bench.connect() as admin:
        calib = probe_claims()
        send(api, calib)
        # The real-time read path: a site read (view or (from, to) function, e.g. kpi_<name>_live) that
        # shows the event before any refresh job ran.
        site_reads = site_views + [r for r in cat.reads if r.kind == "function" and r.scope == "site"]
        live: list[str] = []
        deadline = time.perf_counter() + 2.0
        while not live and time.perf_counter() < deadline:
            live = visible(api, calib, site_reads)
            time.sleep(0.05)
        realtime = _b4_realtime(api, [r for r in site_reads if r.name in live], samples, probe_claims, send,
                                visible) if live else {
            "skipped": "not yet measured: needs the real-time read path (no exposed site read showed a committed "
                       "event before a refresh job ran)"}
        target: Job | None = None
        views: list[str] = []
        for job in jobs:
            admin.execute(job.command)
            views = visible(api, calib, site_views)
            if views:
                target = job
                break
        if target is None:
            return {"skipped": f"no refresh job made a {event.id} event visible in a site view"}
        view = next(r for r in site_views if r.name == views[0])
        period = period_override or target.period_s
        log(f"B4: probe {event.id} -> job {target.name} (every {period:.0f} s) -> view {view.name}; "
            f"{samples} samples over one period")

        stop = threading.Event()
        ticks: list[tuple[float, float]] = []
        pending: dict[int, tuple[dict, float]] = {}
        seen_at: dict[int, float] = {}
        lock = threading.Lock()
        errors: list[BaseException] = []
        t0 = time.perf_counter() + 0.5

        def refresher() -> None:
            try:
                with bench.connect() as conn:
                    k = 0
                    while not stop.is_set():
                        due = t0 + k * period
                        if stop.wait(max(0.0, due - time.perf_counter())):
                            return
                        s = time.perf_counter()
                        conn.execute(target.command)
                        ticks.append((s - t0, time.perf_counter() - s))
                        k += 1
            except BaseException as e:
                errors.append(e)

        def poller() -> None:
            try:
                with bench.connect(user=dbutil.LOGIN_ROLE) as conn:
                    while not stop.is_set():
                        with lock:
                            todo = list(pending.items())
                        for i, (claims, _) in todo:
                            if visible(conn, claims, [view]):
                                with lock:
                                    seen_at[i] = time.perf_counter()
                                    pending.pop(i, None)
                        stop.wait(0.05)
            except BaseException as e:
                errors.append(e)

        threads = [threading.Thread(target=refresher, daemon=True), threading.Thread(target=poller, daemon=True)]
        for t in threads:
            t.start()
        rng = random.Random(w.seed)
        # commits spread over the period that starts with the first run (at t0)
        offsets = sorted(rng.uniform(0.2, max(0.3, period - 0.2)) for _ in range(samples))
        committed: dict[int, float] = {}
        for i, off in enumerate(offsets):
            wait = t0 + off - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            claims = probe_claims()
            send(api, claims)
            committed[i] = time.perf_counter()
            with lock:
                pending[i] = (claims, committed[i])
        deadline = time.perf_counter() + 3 * period + 60
        while time.perf_counter() < deadline and not errors:
            with lock:
                if not pending:
                    break
            time.sleep(0.1)
        stop.set()
        for t in threads:
            t.join(timeout=max(10.0, period))
        if errors:
            raise errors[0]
    fresh = [seen_at[i] - committed[i] for i in committed if i in seen_at]
    return {
        "event": event.id,
        "kpi_probed": kpi.name,
        "job": target.name,
        "schedule": target.schedule,
        "period_s": period,
        "period_compressed": period_override is not None,
        "view": view.name,
        "samples": len(committed),
        "seen": len(fresh),
        "p50_s": median(fresh),
        "p95_s": pct(fresh, 95),
        "max_s": max(fresh) if fresh else None,
        "refresh_runs": len(ticks),
        "refresh_p50_s": median([d for _, d in ticks]),
        "method": "bench calls the job's command at its cron period; pg_cron's own jobs are inactive",
        "realtime": realtime,
    }


def _b4_realtime(api: psycopg.Connection, views: list[Read], samples: int, probe_claims, send, visible) -> dict:
    """Freshness through a real-time read path: each sample commits one event for a new site and
    polls the read every 10 ms, with no refresh running."""
    view = views[0]
    fresh = []
    for _ in range(samples):
        claims = probe_claims()
        send(api, claims)
        t0 = time.perf_counter()
        while not visible(api, claims, [view]):
            if time.perf_counter() - t0 > 30:
                break
            time.sleep(0.01)
        else:
            fresh.append(time.perf_counter() - t0)
    return {"view": view.name, "samples": samples, "seen": len(fresh), "p50_s": median(fresh),
            "p95_s": pct(fresh, 95), "max_s": max(fresh) if fresh else None}


# ---------------------------------------------------------------------- B6 under refresh


@dataclass
class Window:
    ingest: list[float] = field(default_factory=list)
    reads: list[float] = field(default_factory=list)
    items: int = 0
    seconds: float = 0.0
    refresh_jobs: int = 0
    refresh_seconds: float = 0.0


def ingest_capacity(bench: Bench, w: Workload, batches: int = 16, size: int = 100) -> float:
    """A short closed-loop probe of ``track_events`` (batches of 100, 2 connections): events/s."""
    r = load.track_parallel(bench, w.batches(batches, size, "b6/probe", datetime.now(UTC), timedelta(minutes=10)),
                            connections=2)
    return r.items / r.elapsed


def b6_under_refresh(bench: Bench, w: Workload, cat: discover.Catalog, seconds: float, offered_events_s: float,
                     read_claims: dict, day_from: date, day_to: date) -> dict[str, Any]:
    """The application while refresh runs, against the same without: ``track_events`` calls (batches
    of 100, 2 connections, paced to ``offered_events_s``) and site reads (1 connection, 10/s,
    cycling over every site read function) in four alternating windows: quiet, refresh, quiet,
    refresh. In a refresh window one connection runs every refresh job back to back (pg_cron
    would run them on their schedules, several at once at the top of the hour)."""
    reads = [r for r in cat.reads if r.kind == "function" and r.scope == "site"]
    batch = 100
    rate = max(2.0, offered_events_s / batch)  # batches per second
    windows = {"quiet": Window(), "refresh": Window()}
    plan = ["quiet", "refresh", "quiet", "refresh"]
    half = seconds / 2
    for k, kind in enumerate(plan):
        batches = w.batches(int(rate * half) + 1, batch, f"b6/{k}", datetime.now(UTC), timedelta(minutes=10))
        result, read_lat = _b6_window(bench, cat, reads, batches, rate, kind == "refresh", windows[kind],
                                      read_claims, {"from": day_from, "to": day_to})
        log(f"B6 window {k + 1}/4 ({kind}): {result.items / result.elapsed:,.0f} events/s, "
            f"track_events p95 {ms(pct(result.latencies, 95)):.1f} ms, read p95 {ms(pct(read_lat, 95)):.1f} ms")

    def summary(x: Window) -> dict[str, Any]:
        return {"ingest_p95_ms": ms(pct(x.ingest, 95)), "ingest_p50_ms": ms(median(x.ingest)),
                "events_per_s": x.items / x.seconds if x.seconds else None, "calls": len(x.ingest),
                "read_p95_ms": ms(pct(x.reads, 95)), "read_p50_ms": ms(median(x.reads)), "reads": len(x.reads),
                "refresh_jobs_run": x.refresh_jobs, "refresh_busy_s": rnd(x.refresh_seconds)}

    q, r = summary(windows["quiet"]), summary(windows["refresh"])
    return {
        "quiet": q,
        "refresh": r,
        "ingest_p95_ratio": ratio(r["ingest_p95_ms"], q["ingest_p95_ms"]),
        "throughput_ratio": ratio(r["events_per_s"], q["events_per_s"]),
        "read_p95_ratio": ratio(r["read_p95_ms"], q["read_p95_ms"]),
        "offered_events_per_s": rate * batch,
        "batch_size": batch,
        "window_s": seconds,
    }


def _b6_window(bench: Bench, cat: discover.Catalog, reads: list[Read], batches: list, rate: float, refresh: bool,
               win: Window, read_claims: dict, params: dict) -> tuple[load.TrackResult, list[float]]:
    """One B6 window: paced ingestion on 2 connections, the reader, and (``refresh``) the refresh loop."""
    stop = threading.Event()
    read_lat: list[float] = []
    errors: list[BaseException] = []
    refresh_conn: list[psycopg.Connection] = []

    def reader() -> None:
        try:
            with bench.connect(user=dbutil.LOGIN_ROLE) as conn:
                i, start = 0, time.perf_counter()
                while not stop.is_set():
                    r = reads[i % len(reads)]
                    with dbutil.as_caller(conn, "authenticated", read_claims) as cur:
                        s = time.perf_counter()
                        cur.execute(r.query(), params).fetchall()
                        read_lat.append(time.perf_counter() - s)
                    i += 1
                    stop.wait(max(0.0, start + i * 0.1 - time.perf_counter()))
        except BaseException as e:
            errors.append(e)

    def refresher() -> None:
        try:
            with bench.connect() as conn:
                refresh_conn.append(conn)
                while not stop.is_set():
                    for job in cat.refresh_jobs:
                        if stop.is_set():
                            return
                        s = time.perf_counter()
                        try:
                            conn.execute(job.command)
                        except psycopg.errors.QueryCanceled:
                            return  # the window ended in the middle of a job
                        win.refresh_seconds += time.perf_counter() - s
                        win.refresh_jobs += 1
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=reader, daemon=True)]
    if refresh:
        threads.append(threading.Thread(target=refresher, daemon=True))
    for t in threads:
        t.start()
    if refresh:
        time.sleep(0.5)  # the refresh is under way when ingestion starts
    result = load.track_parallel(bench, batches, connections=2, pace=lambda i: i / rate)
    stop.set()
    for c in refresh_conn:
        c.cancel_safe()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    win.ingest += result.latencies
    win.items += result.items
    win.seconds += result.elapsed
    win.reads += read_lat
    return result, read_lat


# ---------------------------------------------------------------------- sizes


def sizes(conn: psycopg.Connection, store: list[str], derived: list[str], schema: str) -> dict[str, Any]:
    """On-disk size (tables + indexes + TOAST) of the event store's tables and of the derived tables."""
    def size_of(tables: list[str]) -> dict[str, int]:
        if not tables:
            return {}
        rows = conn.execute(
            "select c.relname, pg_total_relation_size(c.oid) from pg_class c join pg_namespace n "
            "on n.oid = c.relnamespace where n.nspname = %s and c.relname = any(%s)", (schema, tables)).fetchall()
        return dict(rows)

    s, d = size_of(store), size_of(derived)
    return {"store_bytes": sum(s.values()), "rollup_bytes": sum(d.values()), "store_tables": s, "rollup_tables": d,
            "rollups_over_store": ratio(sum(d.values()), sum(s.values()))}


def progress_copy(bench: Bench, w: Workload, d, label: str, keys_since: datetime, chunk: int = 50_000) -> float:
    """COPY deliveries ``d`` in chunks over 4 connections, printing progress; returns seconds."""
    total_rows = int((~d.duplicate).sum())

    def chunks():
        for i in range(0, len(d), chunk):
            part = d.take(slice(i, i + chunk))
            yield load.Chunk(w.copy_events(part), w.copy_keys(part, keys_since), int((~part.duplicate).sum()))

    with Progress(label, total_rows, every=10) as p:
        return load.copy_parallel(bench, chunks(), 4, p)
