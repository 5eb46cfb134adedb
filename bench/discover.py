"""What to refresh and what to read, found in the database itself.

The bench never builds an object name from a KPI name: refresh jobs come from
pg_cron's ``cron.job``, reads from the views and ``(date, date)`` functions of
the exposed schema, and the derived (rollup) tables and the event store are told
apart by watching which private tables a refresh writes and which a load writes
(``pg_stat_user_tables``). So the bench keeps working when the generator renames
or re-shapes what it makes, and measures whatever storage a KPI uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import psycopg

from .cluster import PRIVATE, PUBLIC

#: a pg_cron job is a refresh job when its name (its command, for an unnamed job) matches this; the
#: others are maintenance (partitions, key purge, history purge). The report lists both groups, so a
#: misfit shows; ``--refresh-jobs`` overrides it.
REFRESH_JOB = re.compile(r"refresh", re.IGNORECASE)
#: the materialized_view storage choice (hook for B2's side-by-side ratio): a job whose command or
#: code runs REFRESH MATERIALIZED VIEW
MATVIEW_REFRESH = re.compile(r"refresh\s+materialized\s+view", re.IGNORECASE)


@dataclass(frozen=True)
class Job:
    jobid: int
    name: str
    schedule: str
    command: str
    storage: str = "incremental"  # or "materialized_view": its command or code refreshes a materialized view

    @property
    def period_s(self) -> float:
        return cron_period_s(self.schedule)


@dataclass(frozen=True)
class Read:
    """One exposed read: a view (typical query: one site or network, 30 days) or a (from, to) function."""

    name: str  # unqualified
    kind: str  # "view" | "function"
    columns: tuple[tuple[str, str], ...]  # (name, type)
    scope: str  # "site" (has a site column) | "network"
    date_column: str | None = None  # views: the column the 30-day filter applies to

    def query(self) -> str:
        """The typical query, with %(from)s and %(to)s placeholders."""
        if self.kind == "function":
            return f'select * from {PUBLIC}."{self.name}"(%(from)s::date, %(to)s::date)'
        if self.date_column:
            col = f'"{self.date_column}"'
            return f'select * from {PUBLIC}."{self.name}" where {col} >= %(from)s::date and {col} <= %(to)s::date'
        return f'select * from {PUBLIC}."{self.name}"'


@dataclass
class Catalog:
    refresh_jobs: list[Job] = field(default_factory=list)
    other_jobs: list[Job] = field(default_factory=list)
    reads: list[Read] = field(default_factory=list)


def catalog(conn: psycopg.Connection, refresh_job: re.Pattern[str] = REFRESH_JOB) -> Catalog:
    out = Catalog()
    for jobid, name, schedule, command in conn.execute(
            "select jobid, jobname, schedule, command from cron.job where database = current_database() "
            "order by jobid").fetchall():
        code = job_code(conn, command)
        storage = "materialized_view" if MATVIEW_REFRESH.search(command + " " + code) else "incremental"
        job = Job(jobid, name or command, schedule, command, storage)
        (out.refresh_jobs if refresh_job.search(job.name) else out.other_jobs).append(job)
    cols: dict[str, list[tuple[str, str]]] = {}
    for rel, col, typ in conn.execute(
            """select c.relname, a.attname, format_type(a.atttypid, a.atttypmod)
               from pg_class c join pg_namespace n on n.oid = c.relnamespace
               join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
               where n.nspname = %s and c.relkind in ('v', 'm') order by c.relname, a.attnum""",
            (PUBLIC,)).fetchall():
        cols.setdefault(rel, []).append((col, typ))
    for rel, columns in cols.items():
        dates = [c for c, t in columns if t == "date"]
        date_col = "period" if "period" in dates else (dates[0] if dates else None)
        out.reads.append(Read(rel, "view", tuple(columns), _scope(columns), date_col))
    for name, result in conn.execute(
            """select p.proname, pg_get_function_result(p.oid)
               from pg_proc p join pg_namespace n on n.oid = p.pronamespace
               where n.nspname = %s and p.proretset
                 and p.pronargs = 2 and p.proargtypes[0] = 'date'::regtype and p.proargtypes[1] = 'date'::regtype
               order by p.proname""", (PUBLIC,)).fetchall():
        columns = _table_columns(result)
        out.reads.append(Read(name, "function", columns, _scope(columns)))
    out.reads.sort(key=lambda r: (r.scope, r.kind, r.name))
    return out


def _scope(columns) -> str:
    return "site" if any(c == "site_id" for c, _ in columns) else "network"


def _table_columns(result: str) -> tuple[tuple[str, str], ...]:
    """Columns of 'TABLE(site_id uuid, period date, ...)' (pg_get_function_result)."""
    m = re.fullmatch(r"TABLE\((.*)\)", result.strip(), re.S)
    if not m:
        return ()
    out = []
    for part in m.group(1).split(","):
        bits = part.strip().split(None, 1)
        if len(bits) == 2:
            out.append((bits[0].strip('"'), bits[1]))
    return tuple(out)


def write_counters(conn: psycopg.Connection, schema: str = PRIVATE) -> dict[str, int]:
    """Rows inserted + updated + deleted so far, per table of ``schema`` (statistics are flushed first)."""
    conn.execute("select pg_stat_force_next_flush()")
    rows = conn.execute(
        "select relname, n_tup_ins + n_tup_upd + n_tup_del from pg_stat_user_tables where schemaname = %s",
        (schema,)).fetchall()
    return dict(rows)


def written_between(before: dict[str, int], after: dict[str, int]) -> list[str]:
    return sorted(t for t, n in after.items() if n != before.get(t, 0))


# ---------------------------------------------------------------------- cron periods


def cron_period_s(schedule: str) -> float:
    """The mean interval between runs of a pg_cron schedule, in seconds ('* * * * *' -> 60,
    '*/15 * * * *' -> 900, '0 3 * * *' -> 86400, '30 seconds' -> 30), over one week."""
    m = re.fullmatch(r"\s*(\d+)\s+seconds?\s*", schedule)
    if m:
        return float(m.group(1))
    fields = schedule.split()
    if len(fields) != 5:
        raise ValueError(f"cannot read cron schedule {schedule!r}")
    minute, hour, dom, month, dow = fields
    mins = _cron_set(minute, 0, 59)
    hours = _cron_set(hour, 0, 23)
    dows = _cron_set(dow, 0, 7)
    if 7 in dows:
        dows.add(0)
    runs = sum(1 for d in range(7) for h in range(24) for mi in range(60)
               if mi in mins and h in hours and (dow == "*" or d in dows))
    if runs == 0:
        raise ValueError(f"cron schedule {schedule!r} never runs in a week")
    if dom != "*" or month != "*":
        runs = max(1, runs // 30)  # monthly-ish schedules: only an order of magnitude matters here
    return 7 * 86_400 / runs


def _cron_set(text: str, lo: int, hi: int) -> set[int]:
    out: set[int] = set()
    for part in text.split(","):
        step = 1
        if "/" in part:
            part, s = part.split("/", 1)
            step = int(s)
        if part == "*":
            a, b = lo, hi
        elif "-" in part:
            a, b = (int(x) for x in part.split("-", 1))
        else:
            a = b = int(part)
            if step != 1:
                b = hi
        out.update(range(a, b + 1, step))
    return out


# ---------------------------------------------------------------------- job dependencies


def job_code(conn: psycopg.Connection, command: str) -> str:
    """The bodies of the private and exposed functions a job's command calls."""
    funcs = conn.execute(
        """select n.nspname || '.' || p.proname, p.prosrc from pg_proc p
           join pg_namespace n on n.oid = p.pronamespace where n.nspname in (%s, %s)""",
        (PRIVATE, PUBLIC)).fetchall()
    return " ".join(src for name, src in funcs if re.search(rf"\b{re.escape(name)}\s*\(", command))


def dependencies(conn: psycopg.Connection, jobs: list[Job], writes: dict[str, set[str]]) -> dict[str, set[str]]:
    """For each job, the other jobs whose tables its code reads (e.g. a rolling window reads its base
    KPI's facts). A job's code is the body of every private or exposed function its command names;
    the tables a job writes were seen in the statistics while it ran."""
    out: dict[str, set[str]] = {}
    for job in jobs:
        code = job_code(conn, job.command)
        own = writes.get(job.name, set())
        out[job.name] = {
            other.name for other in jobs
            if other.name != job.name
            and any(re.search(rf"\b{re.escape(t)}\b", code) for t in writes.get(other.name, set()) - own)
        }
    return out


def usable(jobs: list[Job], ok: set[str], deps: dict[str, set[str]]) -> list[Job]:
    """The jobs that hold their rollups: finished, and so did every job they read from (transitively)."""
    good = set(ok)
    changed = True
    while changed:
        changed = False
        for j in list(good):
            if not deps.get(j, set()) <= good:
                good.discard(j)
                changed = True
    return [j for j in jobs if j.name in good]


def read_dependencies(conn: psycopg.Connection, reads: list[Read], jobs: list[Job],
                      writes: dict[str, set[str]]) -> dict[str, set[str]]:
    """For each read, the refresh jobs whose tables it reads: a table a job writes that is named in
    the read's definition or in the body of a function it calls (two levels: exposed view or
    function, then the private definer functions, then their helpers)."""
    funcs = dict(conn.execute(
        """select n.nspname || '.' || p.proname, p.prosrc from pg_proc p
           join pg_namespace n on n.oid = p.pronamespace where n.nspname in (%s, %s)""",
        (PRIVATE, PUBLIC)).fetchall())

    def expand(text: str, depth: int) -> str:
        if depth == 0:
            return text
        called = [src for name, src in funcs.items() if re.search(rf"\b{re.escape(name)}\s*\(", text)]
        return text + " " + " ".join(expand(src, depth - 1) for src in called)

    # a table most jobs write (the watermarks) is bookkeeping, not one KPI's cells: a real-time read
    # names it, and would otherwise depend on every job (a job cut off early may not have written it)
    counts: dict[str, int] = {}
    for j in jobs:
        for t in writes.get(j.name, set()):
            counts[t] = counts.get(t, 0) + 1
    shared = {t for t, n in counts.items() if n > len(jobs) / 2}
    own = {j.name: writes.get(j.name, set()) - shared for j in jobs}
    out: dict[str, set[str]] = {}
    for r in reads:
        if r.kind == "view":
            text = conn.execute("select pg_get_viewdef(%s::regclass)", (f'{PUBLIC}."{r.name}"',)).fetchone()[0]
        else:
            text = funcs.get(f"{PUBLIC}.{r.name}", "")
        code = expand(text, 3)
        out[r.name] = {j.name for j in jobs
                       if any(re.search(rf"\b{re.escape(t)}\b", code) for t in own[j.name])}
    return out
