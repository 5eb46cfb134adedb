"""A private, throwaway PostgreSQL cluster with pg_cron: used by the tests
(tests/conftest.py) and by the benchmark (bench/), so both start the server
the same way.

``running_cluster(lock_dir, setup=..., extra_conf=...)`` is a context manager
that starts a cluster with pytest-postgresql's ``PostgreSQLExecutor`` (pg_ctl
under the hood) on a free port, never the machine's system cluster, and yields a
:class:`PgCluster`:

- ``shared_preload_libraries = 'pg_cron'``, ``cron.database_name = 'postgres'``
  (as on Supabase), ``cron.use_background_workers = on`` (jobs run in background
  workers, so pg_cron needs no libpq connection or password), schedules in UTC
  (``cron.timezone`` where pg_cron >= 1.5 knows it; older ones always use GMT);
  durability off (throwaway data);
- ``extra_conf`` is appended to postgresql.conf after that (a later setting wins:
  the benchmark's tuning goes there);
- ``setup(conn)`` runs on an autocommit superuser connection to the cron database
  and to template1 (the tests install the Supabase stand-ins this way, so every
  database created later has them too).

Root: initdb/pg_ctl/postgres refuse to run as root. When run as root (CI does),
pg_ctl is called through a tiny generated wrapper that drops to an unprivileged
user (``postgres``, or $TRACKGEN_PG_RUN_AS) with setpriv (or runuser), and the
cluster's directory is owned by that user. The wrapper lives in a root-owned
directory, so the unprivileged user cannot change what root runs. As a normal
user pg_ctl is called directly.

Environment knobs (all optional): TRACKGEN_PG_BINDIR (server bin dir, default:
the newest /usr/lib/postgresql/<major>/bin whose pg_cron is installed),
TRACKGEN_PG_RUN_AS (user to run the server as when root, default postgres),
TRACKGEN_PG_KEEP=1 (keep the cluster's directory with its server log after use,
for debugging; the path is in ``PgCluster.logfile``).

Run ``scripts/ensure-postgres.sh`` (``make test`` and ``make bench`` do) to
install pg_cron.
"""

from __future__ import annotations

import fcntl
import glob
import os
import pwd
import re
import shlex
import shutil
import socket
import stat
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import port_for
import psycopg
from pytest_postgresql.executor import PostgreSQLExecutor

# Like Supabase, pg_cron lives in the "postgres" database (which initdb makes,
# so the pg_cron launcher finds it at once).
CRON_DBNAME = "postgres"
SUPERUSER = "postgres"
HOST = "127.0.0.1"


@dataclass
class PgCluster:
    """A running private cluster. ``dbname`` is the database pg_cron lives in."""

    host: str
    port: int
    user: str
    dbname: str
    unixsocketdir: str
    datadir: str
    logfile: str
    bindir: str
    major: int
    run_as: str | None = None  # the OS user the server runs as when started by root
    extra: dict[str, Any] = field(default_factory=dict)
    application_name: str = "trackgen-tests"

    def dsn(self, dbname: str | None = None, user: str | None = None) -> str:
        """libpq connection string (TCP, trust authentication)."""
        return psycopg.conninfo.make_conninfo(
            host=self.host,
            port=self.port,
            user=user or self.user,
            dbname=dbname or self.dbname,
            application_name=self.application_name,
        )

    def connect(
        self, dbname: str | None = None, autocommit: bool = True, user: str | None = None
    ) -> psycopg.Connection:
        """A new connection (superuser unless ``user`` is given, e.g.
        ``dbutil.LOGIN_ROLE``). The caller closes it (use it as a context manager)."""
        return psycopg.connect(self.dsn(dbname, user), autocommit=autocommit)

    def log_tail(self, lines: int = 40) -> str:
        try:
            with open(self.logfile, encoding="utf-8", errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError as e:
            return f"(cannot read {self.logfile}: {e})"


# --------------------------------------------------------------------------- #
# Finding the server
# --------------------------------------------------------------------------- #


def _major_of(bindir: str) -> int:
    m = re.search(r"/(\d+)/bin/?$", bindir)
    if m:
        return int(m.group(1))
    out = os.popen(f"{shlex.quote(os.path.join(bindir, 'postgres'))} --version").read()
    m = re.search(r"(\d+)(?:\.\d+)?", out)
    if not m:
        raise RuntimeError(f"cannot tell the PostgreSQL version of {bindir}")
    return int(m.group(1))


def _pkglibdir(bindir: str) -> str:
    # Debian layout: /usr/lib/postgresql/<major>/{bin,lib}
    return str(Path(bindir).parent / "lib")


def _find_bindir() -> str:
    hint = "run scripts/ensure-postgres.sh (make test does) to install the server and pg_cron"
    env = os.environ.get("TRACKGEN_PG_BINDIR")
    if env:
        if not os.access(os.path.join(env, "pg_ctl"), os.X_OK):
            raise RuntimeError(f"TRACKGEN_PG_BINDIR={env} has no pg_ctl")
        return env
    candidates = sorted(
        (os.path.dirname(p) for p in glob.glob("/usr/lib/postgresql/*/bin/pg_ctl")),
        key=_major_of,
        reverse=True,
    )
    if not candidates:
        raise RuntimeError(f"no PostgreSQL server under /usr/lib/postgresql; {hint}")
    for bindir in candidates:
        if os.path.exists(os.path.join(_pkglibdir(bindir), "pg_cron.so")):
            return bindir
    majors = ", ".join(str(_major_of(b)) for b in candidates)
    raise RuntimeError(f"pg_cron is not installed for PostgreSQL {majors}; {hint}")


def _pg_cron_default_version(major: int) -> tuple[int, int]:
    control = Path(f"/usr/share/postgresql/{major}/extension/pg_cron.control")
    try:
        text = control.read_text()
    except OSError:
        return (0, 0)
    m = re.search(r"default_version\s*=\s*'(\d+)\.(\d+)", text)
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


# --------------------------------------------------------------------------- #
# Running as root
# --------------------------------------------------------------------------- #


def _run_as_user() -> pwd.struct_passwd | None:
    """The unprivileged account the server runs as, or None when not root."""
    if os.geteuid() != 0:
        return None
    name = os.environ.get("TRACKGEN_PG_RUN_AS", "postgres")
    try:
        pw = pwd.getpwnam(name)
    except KeyError:
        raise RuntimeError(
            f"running as root, but user {name!r} (to run PostgreSQL as; initdb and pg_ctl "
            "refuse root) does not exist. Install the Debian postgresql package (it creates "
            "'postgres') or set TRACKGEN_PG_RUN_AS to an unprivileged user."
        ) from None
    if pw.pw_uid == 0:
        raise RuntimeError(f"TRACKGEN_PG_RUN_AS={name} is root; PostgreSQL refuses to run as root")
    return pw


def _write_pg_ctl_wrapper(tooldir: Path, pg_ctl: str, pw: pwd.struct_passwd, workdir: Path) -> str:
    """A pg_ctl stand-in for root: the same arguments, run as ``pw``."""
    if shutil.which("setpriv"):
        drop = f"setpriv --reuid={pw.pw_uid} --regid={pw.pw_gid} --init-groups --"
    elif shutil.which("runuser"):
        drop = f"runuser -u {shlex.quote(pw.pw_name)} --"
    else:
        raise RuntimeError("running as root, but neither setpriv nor runuser (util-linux) is installed")
    wrapper = tooldir / "pg_ctl"
    wrapper.write_text(
        "#!/bin/sh\n"
        "# Generated by tests/conftest.py: PostgreSQL refuses to run as root.\n"
        f"cd {shlex.quote(str(workdir))} || exit 1\n"
        f"HOME={shlex.quote(pw.pw_dir)} USER={shlex.quote(pw.pw_name)} LOGNAME={shlex.quote(pw.pw_name)}\n"
        "export HOME USER LOGNAME\n"
        f'exec {drop} {shlex.quote(pg_ctl)} "$@"\n'
    )
    wrapper.chmod(stat.S_IRWXU)  # root only
    return str(wrapper)


# --------------------------------------------------------------------------- #
# Starting and stopping
# --------------------------------------------------------------------------- #


def _reserve_port(lock_dir: Path) -> tuple[int, Any]:
    """A free TCP port plus an flock'ed file that keeps the other xdist workers of
    this run off it (released when the file is closed or the process dies)."""
    for _ in range(50):
        port = port_for.select_random()
        f = open(lock_dir / f"trackgen-pg-{port}.lock", "a")
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.close()
            continue
        with socket.socket() as s:
            try:
                s.bind((HOST, port))
            except OSError:
                f.close()
                continue
        return port, f
    raise RuntimeError("could not find a free port for the test cluster")


_CONF = """
# --- trackgen private cluster (tests/pgcluster.py) ---
listen_addresses = '{host}'
shared_preload_libraries = 'pg_cron'
cron.database_name = '{dbname}'
cron.use_background_workers = on
max_worker_processes = 16
timezone = 'UTC'
log_timezone = 'UTC'
{cron_timezone}
# throwaway data: durability off
fsync = off
synchronous_commit = off
full_page_writes = off
"""


class _Startup:
    """Owns the directories, the port lock and the executor of one cluster."""

    def __init__(self, lock_dir: Path, extra_conf: str = ""):
        self.extra_conf = extra_conf
        self.bindir = _find_bindir()
        self.major = _major_of(self.bindir)
        self.pw = _run_as_user()
        self.port, self._port_lock = _reserve_port(lock_dir)
        self.base = Path(tempfile.mkdtemp(prefix=f"trackgen-pg{self.major}-{self.port}-"))
        self.tooldir: Path | None = None
        self.datadir = self.base / "data"
        self.sockdir = self.base / "sock"
        self.logfile = self.base / "postgresql.log"
        self.sockdir.mkdir()
        pg_ctl = os.path.join(self.bindir, "pg_ctl")
        if self.pw is not None:
            for p in (self.base, self.sockdir):
                os.chown(p, self.pw.pw_uid, self.pw.pw_gid)
            self.tooldir = Path(tempfile.mkdtemp(prefix="trackgen-pgctl-"))  # root-owned, 0700
            pg_ctl = _write_pg_ctl_wrapper(self.tooldir, pg_ctl, self.pw, self.base)
        self.executor = PostgreSQLExecutor(
            executable=pg_ctl,
            host=HOST,
            port=self.port,
            datadir=str(self.datadir),
            unixsocketdir=str(self.sockdir),
            logfile=str(self.logfile),
            startparams="-w -t 60",
            dbname=CRON_DBNAME,
            user=SUPERUSER,
            timeout=90,
        )

    def start(self) -> None:
        ex = self.executor
        ex.init_directory()  # pg_ctl initdb (as self.pw when root)
        cron_tz = "cron.timezone = 'UTC'" if _pg_cron_default_version(self.major) >= (1, 5) else ""
        with open(self.datadir / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(_CONF.format(host=HOST, dbname=CRON_DBNAME, cron_timezone=cron_tz))
            if self.extra_conf:
                conf.write("\n" + self.extra_conf.strip() + "\n")
        ex.start()  # pg_ctl start -w; init_directory is not repeated

    def stop(self) -> None:
        try:
            if self.executor.running():
                self.executor.stop()
        finally:
            self._port_lock.close()
            if os.environ.get("TRACKGEN_PG_KEEP") != "1":
                shutil.rmtree(self.base, ignore_errors=True)
            if self.tooldir is not None:
                shutil.rmtree(self.tooldir, ignore_errors=True)


def _connect_retry(dsn: str, timeout: float = 30) -> psycopg.Connection:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return psycopg.connect(dsn, autocommit=True)
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


class running_cluster:
    """``with running_cluster(lock_dir) as cluster:`` a started cluster, stopped (and its
    directory removed) at exit. ``lock_dir`` holds the port lock files that keep
    concurrent starters (xdist workers, a benchmark) off each other's ports."""

    def __init__(
        self,
        lock_dir: Path,
        *,
        setup: Callable[[psycopg.Connection], None] | None = None,
        extra_conf: str = "",
        application_name: str = "trackgen-tests",
    ):
        self.lock_dir = lock_dir
        self.setup = setup
        self.extra_conf = extra_conf
        self.application_name = application_name
        self.startup: _Startup | None = None

    def __enter__(self) -> PgCluster:
        self.startup = s = _Startup(self.lock_dir, self.extra_conf)
        cluster = PgCluster(
            host=HOST,
            port=s.port,
            user=SUPERUSER,
            dbname=CRON_DBNAME,
            unixsocketdir=str(s.sockdir),
            datadir=str(s.datadir),
            logfile=str(s.logfile),
            bindir=s.bindir,
            major=s.major,
            run_as=s.pw.pw_name if s.pw else None,
            application_name=self.application_name,
        )
        try:
            t0 = time.monotonic()
            s.start()
            with _connect_retry(cluster.dsn(CRON_DBNAME)) as conn:
                # The TCP check would also pass against a stranger's server on a
                # port race: make sure this is ours.
                datadir = conn.execute("show data_directory").fetchone()[0]
                if os.path.realpath(datadir) != os.path.realpath(s.datadir):
                    raise RuntimeError(f"port {s.port} is served by another cluster ({datadir})")
                if self.setup is not None:
                    self.setup(conn)
            if self.setup is not None:
                with _connect_retry(cluster.dsn("template1")) as conn:
                    self.setup(conn)  # for databases created later
            cluster.extra["startup_seconds"] = round(time.monotonic() - t0, 2)
        except BaseException as e:
            tail = cluster.log_tail()
            self.__exit__(None, None, None)
            raise RuntimeError(
                f"could not start the private PostgreSQL cluster ({s.bindir}, port {s.port}, "
                f"dir {s.base}): {e}\n--- server log ---\n{tail}"
            ) from e
        return cluster

    def __exit__(self, *exc: object) -> None:
        if self.startup is not None:
            self.startup.stop()
            self.startup = None
