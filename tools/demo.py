"""``make demo``: the live KPI dashboard on a throwaway PostgreSQL, in one command.

What it does, in order (``python -m tools.demo --help`` for the knobs):

1. starts a private PostgreSQL cluster with pg_cron (``tests/pgcluster.py``, the tests' and the
   benchmark's harness) and the Supabase stand-ins, and applies ``generated/supabase/migrations/``;
2. seeds history through the backfill path (:func:`backfill`): ``track_events`` refuses events more
   than 7 days old, so weeks of history for retention and rolling windows go in by COPY, as the
   table owner, the way ``docs/dashboard.md`` describes (the synthetic workload of ``bench/``:
   valid payloads for every event, a few large sites and many small, a daily pattern);
3. runs every KPI's refresh function once, then every ``--refresh-every`` seconds: pg_cron 1.4
   has no second-level schedules, so the demo calls the functions its jobs call (the jobs stay
   scheduled as well);
4. serves on one port the page, the PostgREST-compatible gateway (``tools/gateway.py``) and the
   demo sign-in, which issues JWTs for a site-A clinic admin, a site-B clinic admin, a network
   analyst and a consumer (who may read no KPI);
5. starts the traffic simulator (``clients/demo/simulator.ts``, bundled by esbuild): the generated
   tracking client on the real supabase-js, at ``--rate`` events per second into
   ``analytics.track_events``, for actors of several sites and tiers.

Ctrl-C stops the simulator, the server and the cluster, and removes the cluster's directory.
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import psycopg

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.cluster import ensure_month_partitions  # noqa: E402
from bench.load import Chunk, copy_chunk  # noqa: E402
from bench.scales import Scale  # noqa: E402
from bench.workload import Workload  # noqa: E402
from generator.compiler import analyse  # noqa: E402
from generator.model import Taxonomy  # noqa: E402
from generator.plan import dashboard as plan_dashboard  # noqa: E402
from tests import dbutil  # noqa: E402
from tests.pgcluster import PgCluster, running_cluster  # noqa: E402
from tools.gateway import ApiError, Gateway, GatewayConfig, RequestHandler  # noqa: E402

CLIENTS = REPO / "clients"
MIGRATIONS = REPO / "generated" / "supabase" / "migrations"
PUBLIC, PRIVATE = "analytics", "analytics_private"


@dataclass
class DemoOptions:
    events: int = 40_000  # history rows seeded by COPY
    sites: int = 10
    actors: int = 1_500
    days: int = 63  # 9 weeks: an 8-week retention, a 28-day window
    rate: float = 20.0  # simulator: events per second (0: no simulator)
    refresh_every: float | None = 3.0  # seconds between refresh rounds (None: only when asked)
    host: str = "127.0.0.1"
    port: int = 8000  # 0: a free port
    seed: int = 7
    cron: bool = True  # leave the migrations' pg_cron jobs active (a test turns them off to hold data still)


@dataclass(frozen=True)
class DemoUser:
    id: str
    label: str
    scope: str  # the dashboard's scope: "site" or "network"
    hint: str
    claims: dict[str, Any] = field(compare=False)

    def public(self) -> dict[str, str]:
        return {"id": self.id, "label": self.label, "scope": self.scope, "hint": self.hint}


def log(message: str) -> None:
    print(f"demo: {message}", flush=True)


# --------------------------------------------------------------------------- #
# The backfill path
# --------------------------------------------------------------------------- #


def backfill(conn: psycopg.Connection, workload: Workload, *, keys_since: datetime) -> int:
    """Load the workload's history by COPY, as the table owner: the documented way to bring events
    older than ``track_events`` accepts (docs/dashboard.md, "Backfilling history").

    1. monthly partitions back to the first event (the partition job only looks ahead);
    2. the actor hash with the deployment's own key (``analytics_private.secrets``), never the id;
    3. one transaction: the idempotency keys still inside the 7-day duplicate window, then the
       events; the refresh functions fold them in on their next run (their watermark is the
       transaction id, so a backfill is never skipped).
    Returns the rows loaded."""
    start = datetime.fromtimestamp(workload.start_us / 1e6, UTC)
    ensure_month_partitions(conn, f"{PRIVATE}.events", start)
    secret = conn.execute(f"select value from {PRIVATE}.secrets where name = 'actor_hmac_key'").fetchone()[0]
    workload.set_secret(bytes(secret), conn.execute(f"select {PUBLIC}.plan_version()").fetchone()[0])
    history = workload.history()
    chunk = Chunk(workload.copy_events(history), workload.copy_keys(history, since=keys_since),
                  int((~history.duplicate).sum()))
    autocommit = conn.autocommit
    conn.autocommit = False
    try:
        copy_chunk(conn, chunk)
    finally:
        conn.autocommit = autocommit
    conn.execute(f"analyze {PRIVATE}.events")
    return chunk.rows


# --------------------------------------------------------------------------- #
# The demo
# --------------------------------------------------------------------------- #


class Demo:
    """Everything ``make demo`` runs, on a started cluster; the browser test drives the same object."""

    def __init__(self, cluster: PgCluster, options: DemoOptions | None = None):
        self.cluster = cluster
        self.options = options or DemoOptions()
        self.secret = secrets.token_urlsafe(32)
        compiled = analyse(REPO / "taxonomy")
        if not compiled.ok or compiled.taxonomy is None:
            raise SystemExit("the taxonomy has errors: run `make validate`")
        self.taxonomy: Taxonomy = compiled.taxonomy
        o = self.options
        scale = Scale("demo", events=o.events, sites=o.sites, actors=o.actors, days=o.days, steps=(1.0,))
        self.workload = Workload(self.taxonomy, scale, o.seed, datetime.now(UTC), REPO / "generated" / "jsonschema")
        self.users = self._users()
        self.build = Path(tempfile.mkdtemp(prefix="trackgen-demo-"))
        self.gateway: Gateway | None = None
        self.url = ""
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []
        self.simulator: subprocess.Popen[str] | None = None
        self.counter = {"tracked": 0, "rejected": 0, "pending": 0}
        self.rate_window: list[tuple[float, int]] = []
        self.status: dict[str, Any] = {}
        self.refresh_lock = threading.Lock()
        self.refresh_seconds: float | None = None

    # -- who signs in ------------------------------------------------------ #

    def _users(self) -> dict[str, DemoUser]:
        w = self.workload
        site_a = 0
        network = w.site_network[site_a]
        site_b = next((i for i in range(1, len(w.site_ids)) if w.site_network[i] == network), 1)

        def claims(site: int, tier: str, name: str) -> dict[str, Any]:
            app: dict[str, Any] = {"site_id": w.site_ids[site], "tier": tier}
            if w.site_network[site] is not None:
                app["network_id"] = w.site_network[site]
            sub = str(uuid.uuid5(uuid.NAMESPACE_URL, f"trackgen-demo:{name}"))
            return {"sub": sub, "role": "authenticated", "aud": "authenticated", "app_metadata": app}

        a, b = w.site_ids[site_a][:8], w.site_ids[site_b][:8]
        users = [
            DemoUser("site-a-admin", "Site A clinic admin", "site", f"clinic tier at site {a}…: site A's KPIs only",
                     claims(site_a, "clinic", "site-a-admin")),
            DemoUser("site-b-admin", "Site B clinic admin", "site", f"clinic tier at site {b}…: site B's KPIs only",
                     claims(site_b, "clinic", "site-b-admin")),
            DemoUser("network-analyst", "Network analyst", "network",
                     "network tier: the network's sites together, small cells hidden",
                     claims(site_a, "network", "network-analyst")),
            DemoUser("consumer", "Consumer", "site", "consumer tier (an end user): may read no KPI",
                     claims(site_a, "consumer", "consumer")),
        ]
        return {u.id: u for u in users}

    def token(self, claims: dict[str, Any], hours: int = 12) -> str:
        now = int(time.time())
        return jwt.encode({**claims, "iat": now, "exp": now + hours * 3600}, self.secret, algorithm="HS256")

    @property
    def anon_key(self) -> str:
        return self.token({"role": "anon", "iss": "trackgen-demo"}, hours=24)

    # -- set-up ------------------------------------------------------------ #

    def setup(self) -> dict[str, float]:
        """Migrate, seed, refresh once, bundle the page: returns the seconds each step took."""
        took: dict[str, float] = {}
        t = time.monotonic()
        with self.cluster.connect() as conn:
            dbutil.apply_sql_files(conn, sorted(MIGRATIONS.glob("*.sql")))
            conn.execute("reset lock_timeout; reset statement_timeout")
            if not self.options.cron:
                conn.execute("update cron.job set active = false where database = current_database()")
            took["migrate"] = time.monotonic() - t
            t = time.monotonic()
            rows = backfill(conn, self.workload, keys_since=datetime.now(UTC) - timedelta(days=8))
            took["seed"] = time.monotonic() - t
        log(f"seeded {rows:,} events of {self.options.days} days by COPY ({took['seed']:.1f} s)")
        t = time.monotonic()
        bundles = [threading.Thread(target=self._bundle, args=args) for args in
                   (("demo/app.ts", "app.js", "browser"), ("demo/simulator.ts", "simulator.js", "node"))]
        for b in bundles:
            b.start()
        self.refresh_all()
        with self.cluster.connect() as conn:  # the rollups were empty when planned: fresh statistics for the loop
            conn.execute("analyze")
        for b in bundles:
            b.join()
        took["first_refresh"] = self.refresh_seconds or 0.0
        took["bundle_and_refresh"] = time.monotonic() - t
        return took

    def _bundle(self, entry: str, out: str, platform: str) -> None:
        run = subprocess.run(["node", "tools/bundle.mjs", entry, str(self.build / out), platform], cwd=CLIENTS,
                             capture_output=True, text=True, timeout=120)
        if run.returncode != 0:
            raise RuntimeError(f"esbuild failed for {entry}: {run.stderr}{run.stdout}")

    def refresh_jobs(self, conn: psycopg.Connection) -> list[tuple[str, str]]:
        """(job, command) of every KPI refresh job, as pg_cron would run them."""
        return conn.execute("select jobname, command from cron.job where jobname like 'analytics_refresh_%'"
                            " order by jobname").fetchall()

    def refresh_all(self) -> float:
        """Run every refresh job's command once (what pg_cron would do, without waiting a minute)."""
        with self.refresh_lock, self.cluster.connect() as conn:
            t = time.monotonic()
            for _job, command in self.refresh_jobs(conn):
                conn.execute(command)
            self.refresh_seconds = time.monotonic() - t
        return self.refresh_seconds

    # -- running ----------------------------------------------------------- #

    def start(self) -> str:
        """Serve the page and the gateway, start the refresh loop, the status poller and the simulator."""
        self.gateway = Gateway(GatewayConfig(dsn=self.cluster.dsn(user=dbutil.LOGIN_ROLE), jwt_secret=self.secret,
                                             schemas=("public", PUBLIC)))
        self.url = self.gateway.start(self.options.host, self.options.port, handler=_handler(self))
        self._spawn(self._status_loop)
        if self.options.refresh_every:
            self._spawn(self._refresh_loop)
        if self.options.rate > 0:
            self.start_simulator(rate=self.options.rate)
        return self.url

    def _spawn(self, target: Any) -> None:
        thread = threading.Thread(target=target, daemon=True, name=target.__name__)
        thread.start()
        self.threads.append(thread)

    def _refresh_loop(self) -> None:
        while not self.stopping.wait(self.options.refresh_every or 3.0):
            try:
                self.refresh_all()
            except psycopg.Error as exc:
                if not self.stopping.is_set():
                    log(f"refresh failed: {exc}")

    def simulator_config(self, rate: float, count: int | None, seed: int = 1) -> Path:
        """Actors of site A's network and site B, each with the events its tier may send."""
        w, tax = self.workload, self.taxonomy
        sites = {w.site_ids.index(u.claims["app_metadata"]["site_id"]) for u in self.users.values()}
        network = w.site_network[0]
        sites |= {i for i, n in enumerate(w.site_network) if n is not None and n == network}
        actors = []
        for site in sorted(sites):
            for actor in [int(a) for a in (w.actor_site == site).nonzero()[0][:8]]:
                claims = w.claims(actor)
                tier = claims["app_metadata"]["tier"]
                events = [e.id for e in tax.events if e.active and tax.can_send(tier, e.tier)]
                actors.append({"token": self.token(claims), "events": events})
        payloads = {e.id: [json.loads(p) for p in w.pools[i][:16]] for i, e in enumerate(w.events)}
        config = {"url": self.url, "anonKey": self.anon_key, "rate": rate, "count": count, "batchSize": 50,
                  "flushIntervalMs": 500, "actors": actors, "payloads": payloads, "seed": seed}
        path = self.build / f"simulator-{seed}.json"
        path.write_text(json.dumps(config))
        return path

    def start_simulator(self, rate: float, count: int | None = None, seed: int = 1) -> subprocess.Popen[str]:
        config = self.simulator_config(rate, count, seed)
        self.simulator = subprocess.Popen(
            ["node", "--experimental-websocket", str(self.build / "simulator.js"), str(config)],
            cwd=CLIENTS, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self._spawn(self._read_simulator)
        return self.simulator

    def _read_simulator(self) -> None:
        proc = self.simulator
        if proc is None or proc.stdout is None:
            return
        base = dict(self.counter)
        for line in proc.stdout:
            try:
                seen = json.loads(line)
            except ValueError:
                continue
            self.counter = {k: base.get(k, 0) + int(seen.get(k, 0)) for k in ("tracked", "rejected")} | \
                {"pending": int(seen.get("pending", 0))}
            now = time.monotonic()
            self.rate_window = [(t, n) for t, n in self.rate_window if now - t <= 5] + \
                [(now, self.counter["tracked"])]

    def wait_simulator(self, timeout: float = 60) -> dict[str, int]:
        """Wait for a simulator started with ``count`` to deliver everything and exit."""
        proc = self.simulator
        if proc is not None:
            proc.wait(timeout=timeout)
            for thread in self.threads:
                if thread.name == "_read_simulator":
                    thread.join(timeout=5)
            if proc.returncode != 0:
                raise RuntimeError(f"the simulator failed: {proc.stderr.read() if proc.stderr else ''}")
        return dict(self.counter)

    def _status_loop(self) -> None:
        with self.cluster.connect() as conn:
            while not self.stopping.is_set():
                try:
                    self.status = self.read_status(conn)
                except psycopg.Error as exc:
                    if self.stopping.is_set():
                        return
                    log(f"status failed: {exc}")
                self.stopping.wait(1.0)

    def read_status(self, conn: psycopg.Connection) -> dict[str, Any]:
        """Newest event stored, newest event the slowest KPI has counted, and each KPI's last refresh."""
        newest, counted = conn.execute(
            f"""select max(received_at),
                       max(received_at) filter (where ingest_xid < (select min(next_xid)
                                                                    from {PRIVATE}.kpi_watermarks))
                from {PRIVATE}.events where received_at > now() - interval '2 hours'""").fetchone()
        refreshed = {k: v for k, v in conn.execute(
            f"select kpi, refreshed_at from {PRIVATE}.kpi_watermarks where refreshed_at is not null").fetchall()}
        for kpi in self.taxonomy.kpis:  # a ratio is computed at read time: as fresh as its older part
            parts = [refreshed.get(p) for p in (kpi.numerator, kpi.denominator) if p]
            if kpi.type == "ratio" and parts and all(parts):
                refreshed[kpi.sql_name] = min(p for p in parts if p is not None)
        lag = (newest - counted).total_seconds() if newest and counted else (0.0 if newest is None else None)
        return {"newest_stored": newest.isoformat() if newest else None,
                "newest_counted": counted.isoformat() if counted else None,
                "lag_s": lag, "refreshed": {k: v.isoformat() for k, v in sorted(refreshed.items())}}

    def status_json(self) -> dict[str, Any]:
        window = self.rate_window
        rate = (window[-1][1] - window[0][1]) / (window[-1][0] - window[0][0]) if len(window) > 1 and \
            window[-1][0] > window[0][0] else 0.0
        return {"tracked": self.counter["tracked"], "rejected": self.counter["rejected"],
                "pending": self.counter["pending"], "rate": rate, "read_path": plan_dashboard.READ_PATH,
                "refresh_every_s": self.options.refresh_every, "last_refresh_s": self.refresh_seconds,
                "newest_stored": None, "newest_counted": None, "lag_s": None, "refreshed": {}} | self.status

    def stop(self) -> None:
        """Stop the simulator, the loops and the server (the cluster is the caller's)."""
        try:
            self._stop()
        finally:
            shutil.rmtree(self.build, ignore_errors=True)

    def _stop(self) -> None:
        self.stopping.set()
        proc = self.simulator
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self.gateway is not None:
            self.gateway.stop()
            self.gateway = None
        with self.refresh_lock:  # a refresh round in flight ends before the cluster goes
            pass
        for thread in self.threads:
            thread.join(timeout=5)


def _handler(demo: Demo) -> type[RequestHandler]:
    """The gateway's request handler plus the page, its script and the demo's own routes."""

    class DemoHandler(RequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            path = self.path.split("?", 1)[0]
            if path in ("/", "/index.html"):
                self._file(CLIENTS / "demo" / "index.html", "text/html; charset=utf-8")
            elif path == "/app.js":
                self._file(demo.build / "app.js", "text/javascript; charset=utf-8")
            elif path == "/demo/users":
                self._json([u.public() for u in demo.users.values()])
            elif path == "/demo/status":
                self._json(demo.status_json())
            elif path == "/favicon.ico":
                self._send(204, None)
            else:
                super().do_GET()

        def do_POST(self) -> None:  # noqa: N802
            if self.path != "/demo/sign-in":
                super().do_POST()
                return
            length = int(self.headers.get("Content-Length") or 0)
            try:
                wanted = json.loads(self.rfile.read(length) or b"{}").get("user")
            except (ValueError, AttributeError):
                wanted = None
            user = demo.users.get(wanted) if isinstance(wanted, str) else None
            if user is None:
                self._error(ApiError(404, "DEMO404", f"no demo user {wanted!r}", hint=", ".join(demo.users)))
                return
            self._json({"token": demo.token(user.claims), "anonKey": demo.anon_key, "user": user.public()})

        def _json(self, value: Any) -> None:
            body = json.dumps(value).encode()
            self._send(200, body, {"Cache-Control": "no-store"})

        def _file(self, path: Path, kind: str) -> None:
            body = path.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

    return DemoHandler


def _serve(demo: Demo, options: DemoOptions, started: float) -> None:
    """Set up, start, print the URL and what to try; then wait for Ctrl-C."""
    took = demo.setup()
    log("migrations {migrate:.1f} s, seed {seed:.1f} s, first refresh of every KPI {first_refresh:.1f} s"
        .format(**took))
    url = demo.start()
    ready = time.monotonic() - started
    users = "\n".join(f"    {url}/#as={u.id:<16} {u.label}: {u.hint}" for u in demo.users.values())
    every = f"{options.refresh_every:g} s" if options.refresh_every else "never (--refresh-every 0)"
    print(f"""
trackgen demo ready in {ready:.0f} s: open {url}/

  Sign in as (or click the buttons at the top of the page):
{users}

  Try: watch the simulator counter, the lag and each panel's "refreshed" time move (refresh: every {every});
  compare site A with site B (no figure of one appears for the other); as the network analyst,
  open a panel's table to see cells marked "hidden" (fewer than k sites or actors); sign in as
  the consumer and see no figures. Every chart has a table; Tab, Enter and the arrow keys work.
  Simulating {options.rate:g} events/s through the generated client (--rate).

  Ctrl-C stops everything (simulator, server, database) and removes the database.
""", flush=True)
    while True:
        time.sleep(3600)


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.demo", description=__doc__.split("\n\n")[0])
    d = DemoOptions()
    parser.add_argument("--port", type=int, default=d.port, help="HTTP port (0: any free one)")
    parser.add_argument("--host", default=d.host)
    parser.add_argument("--rate", type=float, default=d.rate, help="simulated events per second (0: none)")
    parser.add_argument("--events", type=int, default=d.events, help="history rows to seed")
    parser.add_argument("--refresh-every", type=float, default=d.refresh_every,
                        help="seconds between refresh rounds (0: none)")
    parser.add_argument("--seed", type=int, default=d.seed)
    args = parser.parse_args(argv)
    options = DemoOptions(events=args.events, rate=args.rate, refresh_every=args.refresh_every or None,
                          host=args.host, port=args.port, seed=args.seed)
    started = time.monotonic()
    # Ctrl-C, and `kill`, stop it cleanly; SIGINT explicitly too: a shell that starts a job in the
    # background hands it SIGINT ignored, and Python then never raises KeyboardInterrupt
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    lock_dir = Path(tempfile.gettempdir()) / "trackgen-demo-locks"
    lock_dir.mkdir(exist_ok=True)
    try:
        with running_cluster(lock_dir, setup=dbutil.install_standins, application_name="trackgen-demo") as cluster:
            log(f"PostgreSQL {cluster.major} with pg_cron on port {cluster.port} "
                f"({cluster.extra['startup_seconds']} s)")
            demo = Demo(cluster, options)
            try:
                _serve(demo, options, started)
            except KeyboardInterrupt:
                log("stopping")
            finally:
                demo.stop()  # before the cluster goes: the loops and the simulator end first
    except KeyboardInterrupt:  # during the cluster's start or stop: its own clean-up has run
        log("stopping")
    log("stopped; nothing left running")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
