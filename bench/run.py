"""The order of the phases of one bench run, and the time budget that keeps it bounded.

For each history step (fractions of SCALE, e.g. 2% then 100%): load that much
history with COPY, rebuild every rollup from scratch (B2's backfill: the refresh
jobs' own commands in pg_cron's job order, after the derived tables are put back
as the schema left them), then fold 10k new events a few times (B2's incremental
refresh) and time the site reads (B3). At the last step: B3's raw-events
baseline, sizes and the size study (sizestudy.py), EXPLAIN of every read and
refresh statement, B4 and B6 (which need the rollups up to date), then B1 (its
events are not refreshed afterwards) and B5 (no database).

A refresh job whose backfill is cut off by its cap keeps no rows (its transaction
rolls back), so later phases leave it out and the report lists it with its
"more than" time: every figure says which jobs it covers.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from generator.compiler import analyse

from . import cluster, discover, explain, measure, synthtax, variant
from .measure import JobRun
from .progress import log
from .scales import Scale
from .schedule import plan_retries
from .stats import median
from .workload import Workload

REPO = Path(__file__).resolve().parent.parent
#: seconds kept for the phases after the history steps (B3 raw, EXPLAIN, B4, B6, B1, B5), beyond B4's
#: cron period and B6's windows (measured at 1M on the 2-core machine: about 150 s)
RESERVE_S = 130.0
TARGETS = ("B1", "B2", "B3", "B4", "B5", "B6")
HISTORY_TARGETS = frozenset({"B2", "B3", "B4", "B6"})
#: seconds kept at the last history step for B2's materialized-view side (a second cluster: load the
#: history again, refresh every job from scratch, then once more after new events; about 150 s at 1M)
MATVIEW_RESERVE_S = 150.0
#: seconds kept per million events for the size study (bench/sizestudy.py: the shared base and its
#: variants built from the store, the largest per-actor tables rebuilt twice): 11 s at 100k, 103-106 s at 1M
#: with a load average of 4-6 on the 2 cores (a 10M bench beside it)
SIZE_STUDY_RESERVE_S = 100.0


@dataclass
class Budget:
    """Seconds left of the run's budget (``None``: unbounded)."""

    total_s: float | None
    start: float = field(default_factory=time.monotonic)

    def left(self) -> float:
        if self.total_s is None:
            return float("inf")
        return self.total_s - (time.monotonic() - self.start)


@dataclass
class Options:
    scale: Scale
    seed: int = 42
    out: Path = REPO / "reports"
    taxonomy: Path = REPO / "taxonomy"
    schemas: Path = REPO / "generated" / "supabase" / "schemas"
    refresh_jobs: str | None = None  # regex overriding discover.REFRESH_JOB
    budget_s: float | None = None
    command: str = ""
    only: frozenset[str] | None = None  # measure only these targets (``--only B1,B5``); None: all
    matview: bool = True  # B2's materialized-view side (a second cluster)
    size_study: bool = True  # bench/sizestudy.py after the sizes (skipped with --only)

    def wants(self, target: str) -> bool:
        return self.only is None or target in self.only

    def needs_history(self) -> bool:
        """B2, B3, B4 and B6 (and the sizes and EXPLAIN pass) need the history loaded and the rollups built."""
        return self.only is None or bool(self.only & HISTORY_TARGETS)

    def needs_database(self) -> bool:
        return self.needs_history() or self.wants("B1")


def _commit() -> str | None:
    """The commit measured, ``-dirty`` when the generator, templates, taxonomy or generated tree
    differ from it (None outside a git checkout): a report names the code it measured."""
    try:
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "generator", "templates",
                                "taxonomy", "generated", "bench"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("-dirty" if dirty.strip() else "")


def run(opt: Options) -> dict[str, Any]:
    t_start = time.monotonic()
    budget = Budget(opt.budget_s)
    s = opt.scale
    res: dict[str, Any] = {"run": {"scale": s.name, "seed": opt.seed, "command": opt.command,
                                   "started": datetime.now(UTC).isoformat(timespec="seconds"),
                                   "machine": cluster.machine(), "load_before": cluster.load_average(),
                                   "commit": _commit(),
                                   "budget_s": opt.budget_s, "steps": list(s.steps),
                                   "new_events": s.new_events}}
    compiled = analyse(opt.taxonomy)
    if not compiled.ok or compiled.taxonomy is None:
        raise SystemExit("the taxonomy has errors: run `trackgen validate`")
    tax = compiled.taxonomy
    anchor = datetime.now(UTC)
    w = Workload(tax, s, opt.seed, anchor, REPO / "generated" / "jsonschema")
    log(f"workload: {s.events:,} events, {s.sites} sites, {w.n_actors:,} actors, {s.days} days (seed {opt.seed})")
    res["workload"] = w.describe()
    history = None
    if opt.needs_history():
        history = w.history()
        res["workload"] |= {"history_rows": int((~history.duplicate).sum()),
                            "duplicate_deliveries": int(history.duplicate.sum()),
                            "late_deliveries": int(history.late.sum())}
    keys_since = anchor - timedelta(days=8)  # what the daily key purge job leaves

    if opt.needs_database():
        _database_phases(opt, res, w, history, budget, anchor, keys_since)

    if opt.wants("B5"):
        res["B5"] = b5_generator(opt, tax, s)
    res["run"]["wall_s"] = time.monotonic() - t_start
    return res


def _database_phases(opt: Options, res: dict[str, Any], w: Workload, history: Any, budget: Budget,
                     anchor: datetime, keys_since: datetime) -> None:
    """Every phase that needs the bench cluster, in the order of the module docstring."""
    s = opt.scale
    with cluster.started(opt.schemas) as bench, bench.connect() as conn:
        res["run"]["postgres"] = conn.execute("select version()").fetchone()[0]
        res["run"]["settings"] = bench.settings(conn)
        res["run"]["pg_cron"] = conn.execute(
            "select extversion from pg_extension where extname = 'pg_cron'").fetchone()[0]
        store_table = f"{cluster.PRIVATE}.events"
        made = cluster.ensure_month_partitions(conn, store_table, datetime.fromtimestamp(w.start_us / 1e6, UTC))
        secret = conn.execute(f"select value from {cluster.PRIVATE}.secrets where name = 'actor_hmac_key'").fetchone()
        w.set_secret(bytes(secret[0]), conn.execute(f"select {cluster.PUBLIC}.plan_version()").fetchone()[0])
        if opt.needs_history():
            pattern = re.compile(opt.refresh_jobs) if opt.refresh_jobs else discover.REFRESH_JOB
            cat = discover.catalog(conn, pattern)
            res["catalog"] = {
                "refresh_jobs": [{"name": j.name, "schedule": j.schedule, "command": j.command, "storage": j.storage}
                                 for j in cat.refresh_jobs],
                "other_jobs": [{"name": j.name, "schedule": j.schedule, "command": j.command} for j in cat.other_jobs],
                "reads": [{"name": r.name, "kind": r.kind, "scope": r.scope, "query": r.query()} for r in cat.reads],
                "history_partitions_made": made,
            }
            log(f"discovered {len(cat.refresh_jobs)} refresh jobs, {len(cat.other_jobs)} other jobs, "
                f"{len(cat.reads)} reads")
            if not cat.refresh_jobs:
                raise SystemExit("no refresh job found in cron.job (see --refresh-jobs)")
            busy = 0  # the busy site (about 20% of the events)
            reader = measure.reader_claims(w, busy)
            day_to = anchor.date()
            day_from = day_to - timedelta(days=29)
            site_reads = [r for r in cat.reads if r.scope == "site"]
            reserve = RESERVE_S + 1.2 * (s.b4_period_s or min(j.period_s for j in cat.refresh_jobs)) + 2 * s.b6_seconds
            reserve += MATVIEW_RESERVE_S * s.events / 1_000_000 if opt.matview else 0.0
            study = opt.size_study and opt.only is None
            reserve += SIZE_STUDY_RESERVE_S * s.events / 1_000_000 if study else 0.0

            steps: list[dict[str, Any]] = []
            res["B2"] = {"steps": steps}
            store_tables: set[str] = set()
            derived: list[str] = []
            populated: list[discover.Job] = list(cat.refresh_jobs)
            writes: dict[str, set[str]] = {}  # job -> private tables it wrote (seen while it ran)
            deps: dict[str, set[str]] = {}  # job -> jobs whose tables it reads (known after the first backfill)
            read_jobs: dict[str, set[str]] = {}  # read -> refresh jobs whose tables it reads
            prev = 0.0
            for k, frac in enumerate(s.steps):
                part = history.take(np.nonzero((history.shard >= prev) & (history.shard < frac))[0])
                prev = frac
                before = discover.write_counters(conn)
                secs = measure.progress_copy(bench, w, part, f"load history step {k + 1}/{len(s.steps)}", keys_since)
                store_tables |= set(discover.written_between(before, discover.write_counters(conn)))
                t0 = time.perf_counter()
                conn.execute(f"vacuum analyze {store_table}")
                conn.execute(f"vacuum analyze {cluster.PRIVATE}.event_keys")
                size = conn.execute(f"select count(*) from {store_table}").fetchone()[0]
                step: dict[str, Any] = {"fraction": frac, "history_events": size, "load_s": secs,
                                        "load_rows_per_s": int((~part.duplicate).sum()) / secs,
                                        "vacuum_analyze_s": time.perf_counter() - t0}
                steps.append(step)

                # B2 backfill: derived tables as the schema left them, then every job once
                if derived:
                    cluster.restore_pristine(conn, derived)
                # later steps are bigger: this one gets its share of what the budget leaves
                last_step = k == len(s.steps) - 1
                share = (budget.left() - reserve - 60 * (len(s.steps) - k)) * (0.95 if last_step else 0.3)
                deadline = time.monotonic() + max(10.0 * len(cat.refresh_jobs) / 4, share)
                before = discover.write_counters(conn)
                log(f"step {k + 1}: {size:,} events in the store; backfill from scratch (cap {s.backfill_cap_s:.0f} s "
                    f"per job, {max(0.0, deadline - time.monotonic()):.0f} s for all)")
                t_backfill = time.monotonic()
                runs = backfill(conn, cat.refresh_jobs, deps, s.backfill_cap_s, deadline if budget.total_s else None,
                                writes)
                step["backfill_wall_s"] = time.monotonic() - t_backfill
                derived = sorted((set(derived) | set(discover.written_between(before, discover.write_counters(conn))))
                                 - store_tables)
                deps = discover.dependencies(conn, cat.refresh_jobs, writes)
                populated = discover.usable(cat.refresh_jobs, {r.name for r in runs if r.status == "ok"}, deps)
                left_out = [r.name for r in runs if r.status == "ok" and r.name not in {j.name for j in populated}]
                step |= {"backfill": _runs(runs), "backfill_cap_s": max((r.cap_s or 0) for r in runs) or None,
                         "backfill_s": measure.total(runs), "backfill_complete": measure.complete(runs),
                         "cut_off": [r.name for r in runs if r.status != "ok"],
                         "left_out": {j: sorted(deps[j]) for j in left_out}}
                log(f"step {k + 1}: backfill {measure.total(runs):.1f} s"
                    + ("" if step["backfill_complete"] else f" ({len(step['cut_off'])} jobs cut off)")
                    + (f"; left out as they read a cut-off job: {', '.join(left_out)}" if left_out else ""))
                conn.execute("analyze")  # as autovacuum would after such a load

                # B2 incremental: 10k new events, then every job that holds its rollups
                incr = []
                for rep in range(s.b2_repeats):
                    if rep > 0 and budget.left() < reserve + 60 * (len(s.steps) - k):
                        break
                    fresh = w.fresh(s.new_events, f"b2/{k}/{rep}", datetime.now(UTC), timedelta(minutes=5))
                    measure.progress_copy(bench, w, fresh, "new events", keys_since, chunk=len(fresh))
                    runs = measure.run_jobs(conn, populated, label="incremental")
                    incr.append(runs)
                    log(f"step {k + 1}: incremental refresh after {s.new_events:,} new events: "
                        f"{measure.total(runs):.2f} s ({len(populated)} jobs)")
                step |= {"incremental": [_runs(r) for r in incr],
                         "incremental_s": median([measure.total(r) for r in incr]),
                         "incremental_jobs": [j.name for j in populated]}

                # B3 site reads at this size; a read of a job that was cut off (no rows) is timed but not counted
                if not read_jobs:
                    read_jobs = discover.read_dependencies(conn, cat.reads, cat.refresh_jobs, writes)
                live_jobs = {j.name for j in populated}
                step["reads_left_out"] = sorted(r.name for r in site_reads
                                                if not read_jobs.get(r.name, set()) <= live_jobs)
                with bench.connect(user="authenticator") as api:
                    step["reads"] = measure.time_reads(api, site_reads, reader, day_from, day_to, s.b3_samples)
                fn = [v["p95_ms"] for n, v in step["reads"].items()
                      if n not in step["reads_left_out"] and any(r.name == n and r.kind == "function" for r in site_reads)]
                step["read_p95_ms_max"] = max(fn) if fn else None
                step["read_p95_ms_median"] = median(fn)
                log(f"step {k + 1}: site reads (one site, 30 days): worst p95 {step['read_p95_ms_max']:.1f} ms")

            # B2 side by side: the same KPIs stored as materialized views, on the same history
            if opt.matview:
                res["B2"]["matview"] = b2_matview(opt, w, history, s, keys_since, bytes(secret[0]))
            res["B2"]["populated_jobs"] = [j.name for j in populated]
            res["B2"]["dependencies"] = {j: sorted(d) for j, d in deps.items() if d}
            res["B2"]["cut_off_jobs"] = [j.name for j in cat.refresh_jobs if j not in populated]
            res["store_tables"] = sorted(store_tables)
            res["derived_tables"] = derived

            # ------------------------------------------------------------ at SCALE
            res["read_dependencies"] = {r: sorted(j) for r, j in read_jobs.items()}
            live_reads = [r for r in site_reads if r.name not in steps[-1]["reads_left_out"]]
            with bench.connect(user="authenticator") as api:
                res["B3"] = {"raw": measure.raw_reads(conn, w, live_reads, api, reader, w.site_ids[busy],
                                                      day_from, day_to, s.b3_raw_samples),
                             "left_out": steps[-1]["reads_left_out"],
                             "site": w.site_ids[busy], "from": day_from.isoformat(), "to": day_to.isoformat(),
                             "reader_tier": reader["app_metadata"]["tier"]}
            log("B3: raw-events baseline done")
            # a cut-off job's tables hold only the dead rows of its rolled-back backfill: not counted
            counted = sorted({t for j in populated for t in writes.get(j.name, set())} & set(derived))
            res["sizes"] = measure.sizes(conn, sorted(store_tables), counted, cluster.PRIVATE)
            res["sizes"]["jobs_counted"] = len(populated)
            res["sizes"]["jobs"] = len(cat.refresh_jobs)
            if study:
                res["sizes"]["study"] = size_study(conn, w, sorted(store_tables), counted, w.site_ids[busy], day_to)

            fresh = w.fresh(s.new_events, "explain", datetime.now(UTC), timedelta(minutes=5))
            measure.progress_copy(bench, w, fresh, "new events (EXPLAIN pass)", keys_since, chunk=len(fresh))
            logfile = Path(bench.cluster.logfile)
            res["explain"] = {"refresh": explain.refresh_plans(conn, logfile, populated),
                              "reads": explain.read_plans(conn, logfile, cat.reads, reader, reader, day_from, day_to)}
            log("EXPLAIN pass done")

            res["B4"] = measure.b4_freshness(bench, w, cat, s.b4_samples, s.b4_period_s)
            live = discover.Catalog(refresh_jobs=populated, other_jobs=cat.other_jobs,
                                    reads=[r for r in cat.reads if r.name not in steps[-1]["reads_left_out"]])
            capacity = measure.ingest_capacity(bench, w)
            res["B6"] = measure.b6_under_refresh(bench, w, live, s.b6_seconds, 0.1 * capacity, reader, day_from, day_to)
            res["B6"] |= {"capacity_events_per_s": capacity, "jobs": [j.name for j in populated]}
            res["clickhouse"] = clickhouse_phase(bench, w, cat, steps[-1], reader, day_from, day_to, s, keys_since)
        if opt.wants("B1"):
            res["B1"] = measure.b1_ingest(bench, w, s.b1_batches, s.b1_pairs)
        res["run"]["load_after"] = cluster.load_average()


def b2_matview(opt: Options, w: Workload, history, s: Scale, keys_since: datetime, secret: bytes) -> dict[str, Any]:
    """B2's denominator: the taxonomy with every KPI that can be a materialized view stored as one
    (bench/variant.py), on a second cluster holding the same history (same actor key, so the same
    hashes): every refresh job once from scratch (the backfill), then, after as many new events as
    the incremental side folded in, every job again (a full refresh: a materialized view has no other).
    Funnels and retention stay incremental in the variant; the ratios compare the jobs of the KPIs
    stored as materialized views, by job name, with the same jobs of the incremental run."""
    root = Path(tempfile.mkdtemp(prefix="trackgen-b2mv-"))
    try:
        files = variant.write(opt.taxonomy, root / "taxonomy")
        schemas = variant.compile_to(root / "taxonomy", root / "generated", REPO)
        with cluster.started(schemas) as mvb, mvb.connect() as conn:
            cluster.ensure_month_partitions(conn, f"{cluster.PRIVATE}.events",
                                            datetime.fromtimestamp(w.start_us / 1e6, UTC))
            conn.execute(f"update {cluster.PRIVATE}.secrets set value = %s where name = 'actor_hmac_key'", (secret,))
            cat = discover.catalog(conn, discover.REFRESH_JOB)
            measure.progress_copy(mvb, w, history, "B2 materialized views: load the same history", keys_since)
            conn.execute(f"vacuum analyze {cluster.PRIVATE}.events")
            cap = s.backfill_cap_s
            backfill_runs = measure.run_jobs(conn, cat.refresh_jobs, cap_s=cap, label="B2 matview backfill")
            log(f"B2 materialized views: backfill {measure.total(backfill_runs):.1f} s")
            conn.execute("analyze")
            fresh = w.fresh(s.new_events, "b2mv", datetime.now(UTC), timedelta(minutes=5))
            measure.progress_copy(mvb, w, fresh, "B2 materialized views: new events", keys_since, chunk=len(fresh))
            refresh_runs = measure.run_jobs(conn, cat.refresh_jobs, cap_s=cap, label="B2 matview refresh")
            log(f"B2 materialized views: refresh after {s.new_events:,} new events "
                f"{measure.total(refresh_runs):.1f} s")
            return {"kpi_files": files,
                    "matview_jobs": [j.name for j in cat.refresh_jobs if j.storage == "materialized_view"],
                    "backfill": _runs(backfill_runs), "refresh": _runs(refresh_runs)}
    finally:
        shutil.rmtree(root, ignore_errors=True)


def size_study(conn, w: Workload, store_tables: list[str], derived: list[str], busy_site: str,
               day_to) -> dict[str, Any]:
    """bench/sizestudy.py on the derived tables counted in the sizes; a failure is reported in its place
    (the scratch schema is dropped either way) instead of losing the run's other figures."""
    from . import sizestudy

    try:
        out = sizestudy.study(conn, w.tax, cluster.PRIVATE, store_tables, derived, busy_site, day_to)
        log(f"size study done in {out['study_s']:.0f} s")
        return out
    except Exception as exc:
        log(f"size study failed: {exc!r}")
        return {"error": repr(exc)[:500]}


def clickhouse_phase(bench, w, cat, step: dict[str, Any], reader: dict, day_from, day_to, s: Scale,
                     keys_since: datetime) -> dict[str, Any] | None:
    """The ClickHouse phase (bench/clickhouse.py) when the taxonomy compiles to ClickHouse; its
    PostgreSQL side of each ratio comes from this run's B2 figures of the same KPIs."""
    schema = REPO / "generated" / "clickhouse" / "schema.sql"
    if not schema.is_file():
        return None
    from . import clickhouse

    backfill_s = {}
    by_name = {j.name: j for j in cat.refresh_jobs}
    for r in step["backfill"]:
        job = by_name.get(r["job"])
        for kpi in clickhouse.FAMILY:
            if job is not None and job.command.rstrip(")( ;").endswith(f"refresh_kpi_{kpi}"):
                backfill_s[kpi] = (r["s"], r["status"] == "ok")  # a cut-off job: a lower bound
    try:
        return clickhouse.run(bench, w, schema, step["load_rows_per_s"], backfill_s, cat.refresh_jobs, reader,
                              day_from, day_to, s.b3_samples, s.new_events, keys_since)
    except Exception as exc:  # a missing figure says why instead of losing the run's other figures
        log(f"clickhouse phase failed: {exc}")
        return {"error": repr(exc)[:500]}


def backfill(conn, jobs: list[discover.Job], deps: dict[str, set[str]], cap_s: float, deadline: float | None,
             writes: dict[str, set[str]]) -> list[JobRun]:
    """Every job once, in job order, from scratch. Without a deadline: each job up to ``cap_s``.
    With one, in two passes so a few very slow jobs cannot starve the rest: first every job with
    a short cap (a job whose input job was cut off waits), then the cut-off and waiting jobs again
    (a run that was cut off rolled back, so it starts over), sharing what is left of the time among
    those that can still finish (``plan_retries``)."""
    if deadline is None:
        return measure.run_jobs(conn, jobs, cap_s=cap_s, label="backfill", writes=writes)
    first_cap = max(5.0, min(cap_s, (deadline - time.monotonic()) / max(1, len(jobs)) * 1.5))
    final: dict[str, JobRun] = {}
    waiting: list[discover.Job] = []
    for job in jobs:
        if any(final.get(d) is None or final[d].status != "ok" for d in deps.get(job.name, ())):
            waiting.append(job)
            continue
        final[job.name] = measure.run_jobs(conn, [job], cap_s=first_cap, label="backfill", writes=writes)[0]
    retry = [j.name for j in jobs if (j.name in final and final[j.name].status != "ok") or j in waiting]
    tried = {n: final[n].seconds for n in retry if n in final}
    chosen = plan_retries(retry, tried, deps, deadline - time.monotonic(), cap_s)
    for name in retry:
        if name not in chosen and name not in final:
            final[name] = JobRun(name, 0.0, "skipped: no time left, or an input job was cut off", None, None)
    for i, name in enumerate(n for n in retry if n in chosen):
        job = next(j for j in jobs if j.name == name)
        if any(final.get(d) is None or final[d].status != "ok" for d in deps.get(name, ())):
            final[name] = JobRun(name, 0.0, "skipped: an input job was cut off", None, None)
            continue
        left = [n for n in retry if n in chosen][i:]
        cap = min(cap_s, (deadline - time.monotonic()) / len(left))
        final[name] = measure.run_jobs(conn, [job], cap_s=cap, label="backfill (second pass)", writes=writes)[0]
    return [final[j.name] for j in jobs]


def profile_compile(taxonomy: Path, top: int = 10) -> dict[str, Any]:
    """Where ``compile_taxonomy`` spends its time (in-process, under cProfile, so slower than the CLI
    timings): the generator's functions by cumulative time, and all functions by own time."""
    import cProfile
    import pstats

    from generator.compiler import compile_taxonomy

    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    compile_taxonomy(taxonomy)
    prof.disable()
    wall = time.perf_counter() - t0
    stats = pstats.Stats(prof).stats  # (file, line, name) -> (cc, nc, tottime, cumtime, callers)

    def label(key: tuple) -> str:
        file, line, name = key
        rel = file.split("/generator/", 1)[1] if "/generator/" in file else Path(file).name
        return f"{rel}:{line} {name}" if line else name

    own = sorted(stats.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    cum = sorted(((k, v) for k, v in stats.items() if "/generator/" in k[0] and k[2] != "compile_taxonomy"),
                 key=lambda kv: kv[1][3], reverse=True)[:top]
    return {"wall_s_profiled": wall,
            "generator_by_cumulative_s": [{"function": label(k), "s": v[3], "calls": v[1]} for k, v in cum],
            "all_by_own_s": [{"function": label(k), "s": v[2], "calls": v[1]} for k, v in own]}


def _runs(runs: list[JobRun]) -> list[dict[str, Any]]:
    return [{"job": r.name, "s": r.seconds, "status": r.status, "cap_s": r.cap_s} for r in runs]


def b5_generator(opt: Options, tax, s: Scale, repeats: int = 3) -> dict[str, Any]:
    """``trackgen generate`` into an empty folder, then ``trackgen check``, on a synthetic taxonomy, as the
    CLI runs them: ``repeats`` times, the median of each reported (one run on a shared two-core
    machine moves by a tenth either way; the issue's own figures are medians of three)."""
    root = Path(tempfile.mkdtemp(prefix="trackgen-b5-"))
    try:
        counts = synthtax.write(root / "taxonomy", opt.taxonomy, tax, s.b5_events, s.b5_kpis)
        out: dict[str, Any] = {"events": counts["events"], "kpis": counts["kpis"], "repeats": repeats}
        env = {"SOURCE_DATE_EPOCH": "1767225600", "PATH": "/usr/bin:/bin"}
        samples: dict[str, list[float]] = {"generate": [], "check": []}
        for _ in range(repeats):
            shutil.rmtree(root / "generated", ignore_errors=True)
            for cmd in ("generate", "check"):
                t0 = time.perf_counter()
                done = subprocess.run([sys.executable, "-m", "generator.cli", cmd, "--taxonomy", str(root / "taxonomy"),
                                       "--out", str(root / "generated")], cwd=REPO, capture_output=True, text=True,
                                      env=env)
                samples[cmd].append(time.perf_counter() - t0)
                if done.returncode != 0:
                    raise RuntimeError(f"trackgen {cmd} on the synthetic taxonomy failed:\n{done.stderr[-2000:]}")
        for cmd, times in samples.items():
            out[f"{cmd}_s"] = median(times)
            out[f"{cmd}_samples_s"] = times
        out["files"] = sum(1 for p in (root / "generated").rglob("*") if p.is_file())
        if opt.only is None:  # a focused run (--only) times the commands, not the profiler
            out["profile"] = profile_compile(root / "taxonomy")
        log(f"B5: generate {out['generate_s']:.1f} s, check {out['check_s']:.1f} s "
            f"({counts['events']} events, {counts['kpis']} KPIs)")
        return out
    finally:
        shutil.rmtree(root, ignore_errors=True)
