"""The bench's own throwaway PostgreSQL: started like the tests' cluster
(tests/pgcluster.py), tuned for a benchmark, with the generated schema applied on
the Supabase stand-ins (tests/dbutil.py).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import sql

from tests import dbutil, pgcluster

from .progress import log

#: appended to the tests' settings (durability off: fsync, synchronous_commit, full_page_writes);
#: the report prints them. Sized for a 2-core machine with 24 GiB shared with other work.
TUNING = {
    "shared_buffers": "1GB",
    "effective_cache_size": "4GB",
    "work_mem": "32MB",
    "maintenance_work_mem": "512MB",
    "max_wal_size": "8GB",
    "min_wal_size": "1GB",
    "checkpoint_timeout": "30min",
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "jit": "off",
    "track_io_timing": "on",
    "log_autovacuum_min_duration": "'1s'",
    "log_line_prefix": "'@@ %m [%p] '",
    "log_min_duration_statement": "-1",
    "max_connections": "60",
}
#: the durability settings the tests' cluster already makes (tests/pgcluster.py), listed in the report
INHERITED = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}

PUBLIC = "analytics"
PRIVATE = "analytics_private"
PRISTINE = "bench_pristine"  # copies of the private tables as the schema left them (for backfills)


@dataclass
class Bench:
    """The running cluster and what the bench needs to reach it."""

    cluster: pgcluster.PgCluster

    def connect(self, user: str | None = None) -> psycopg.Connection:
        return self.cluster.connect(user=user)

    def settings(self, conn: psycopg.Connection) -> dict[str, str]:
        names = sorted(set(TUNING) | set(INHERITED))
        rows = conn.execute(
            "select name, current_setting(name) from pg_settings where name = any(%s) order by name",
            (names,)).fetchall()
        return dict(rows)


@contextmanager
def started(schemas: Path) -> Iterator[Bench]:
    """A tuned private cluster with the schema applied; pg_cron's jobs are made inactive so nothing
    runs behind the measurements' back (the bench runs the jobs' commands itself)."""
    lock_dir = Path(tempfile.gettempdir()) / "trackgen-bench-locks"
    lock_dir.mkdir(exist_ok=True)
    conf = "# --- trackgen bench (bench/cluster.py) ---\n" + "".join(f"{k} = {v}\n" for k, v in TUNING.items())
    with pgcluster.running_cluster(lock_dir, setup=dbutil.install_standins, extra_conf=conf,
                                   application_name="trackgen-bench") as cluster:
        log(f"cluster: PostgreSQL {cluster.major} on port {cluster.port} ({cluster.datadir})")
        bench = Bench(cluster)
        with bench.connect() as conn:
            files = sorted(schemas.glob("*.sql"))
            if not files:
                raise RuntimeError(f"no schema files in {schemas}: run `make generate`")
            dbutil.apply_sql_files(conn, files)
            conn.execute("reset lock_timeout; reset statement_timeout")
            conn.execute("update cron.job set active = false where database = current_database()")
            keep_pristine_copies(conn)
        yield bench


def keep_pristine_copies(conn: psycopg.Connection) -> None:
    """Copy every private table as the schema left it (watermarks, empty rollups, ...) into
    ``bench_pristine``, so a backfill from scratch can restore them without knowing their roles."""
    conn.execute(sql.SQL("create schema {}").format(sql.Identifier(PRISTINE)))
    for (name,) in conn.execute(
        """select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
           where n.nspname = %s and c.relkind in ('r', 'p') and not c.relispartition order by 1""",
            (PRIVATE,)).fetchall():
        conn.execute(sql.SQL("create table {}.{} as select * from {}.{}").format(
            sql.Identifier(PRISTINE), sql.Identifier(name), sql.Identifier(PRIVATE), sql.Identifier(name)))


def restore_pristine(conn: psycopg.Connection, tables: list[str]) -> None:
    """Empty ``tables`` (private tables the refresh jobs write), put back their pristine rows and
    forget their planner statistics, so a rebuild plans like a fresh deployment does (new tables
    have none; TRUNCATE alone keeps the column statistics of the old contents)."""
    with conn.transaction():
        conn.execute(sql.SQL("truncate {}").format(sql.SQL(", ").join(
            sql.Identifier(PRIVATE, t) for t in tables)))
        for t in tables:
            conn.execute(sql.SQL("insert into {} select * from {}").format(
                sql.Identifier(PRIVATE, t), sql.Identifier(PRISTINE, t)))
        # the bench's own throwaway cluster: dropping statistics rows is what a fresh table looks like
        conn.execute("delete from pg_catalog.pg_statistic where starelid = any(%s::regclass[])",
                     ([f"{PRIVATE}.{t}" for t in tables],))


def ensure_month_partitions(conn: psycopg.Connection, table: str, since: datetime) -> list[str]:
    """Monthly partitions of the event store back to ``since``, as the daily partition job would
    have made them had the deployment run that long (the job itself only looks ahead from now).
    The interval and the naming follow the partitions the schema made; returns the new ones."""
    rows = conn.execute(
        """select c.relname, pg_get_expr(c.relpartbound, c.oid)
           from pg_inherits i join pg_class c on c.oid = i.inhrelid
           where i.inhparent = %s::regclass order by 1""", (table,)).fetchall()
    named = [r for r in rows if "DEFAULT" not in r[1]]
    if not named:
        return []
    first = named[0][0]
    stem = first.rsplit("_", 2)[0] if first.count("_") >= 2 else first
    existing = {r[0] for r in rows}
    made = []
    month = datetime(since.year, since.month, 1, tzinfo=UTC)
    schema = table.split(".")[0]
    while True:
        name = f"{stem}_{month:%Y_%m}"
        nxt = datetime(month.year + (month.month == 12), month.month % 12 + 1, 1, tzinfo=UTC)
        if name in existing:
            break  # the schema's own partitions start here
        conn.execute(sql.SQL("create table {} partition of {} for values from ({}) to ({})").format(
            sql.Identifier(schema, name), sql.SQL(table), sql.Literal(month.isoformat()), sql.Literal(nxt.isoformat())))
        conn.execute(sql.SQL("alter table {} enable row level security").format(sql.Identifier(schema, name)))
        made.append(name)
        month = nxt
        if month > datetime.now(UTC):
            break
    return made


def machine() -> dict[str, object]:
    """The machine the bench ran on, for the report."""
    info: dict[str, object] = {"cpus": os.cpu_count()}
    try:
        model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo", encoding="utf-8")
                      if line.startswith("model name")), None)
        info["cpu_model"] = model
    except OSError:
        pass
    try:
        mem = next(line for line in open("/proc/meminfo", encoding="utf-8") if line.startswith("MemTotal"))
        info["memory_gib"] = round(int(mem.split()[1]) / 1024 / 1024, 1)
    except (OSError, StopIteration):
        pass
    try:
        info["os"] = open("/etc/debian_version", encoding="utf-8").read().strip()
        info["os"] = f"Debian {info['os']}"
    except OSError:
        pass
    info["kernel"] = os.uname().release
    return info


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()
