"""Fixtures for the tests of the generated Supabase SQL (tests/db/test_schema_apply.py,
test_ingest.py, test_access.py).

The SQL is compiled in-process from taxonomy/ (``generator.compiler.compile_taxonomy``)
once per session, so the tests always exercise the current templates, never the
committed generated/ tree.

- ``compiled``: the Compilation (files, taxonomy model).
- ``sql_files``: the compiled SQL written to a temporary directory:
  ``.migrations`` (supabase/migrations/*.sql in file-name order) and ``.schemas``
  (supabase/schemas/*.sql in file-name order, the declarative state).
- ``migrate(conn, which="migrations")``: apply one of the two lists.
- ``fresh_db``: ``cron_db`` (reset) with the migrations applied; for tests that
  mutate the schema or the cron jobs.
- ``db``: a superuser autocommit connection to a migrated cron database shared by
  the tests of one module (module-scoped state, re-migrated automatically when a
  ``cron_db``/``fresh_db`` test in between reset the database). Tests that use it
  must only add rows under their own random site ids.
- ``api``: a connection as the PostgREST login role (``authenticator``), for
  ``as_caller``.
- ``expected_jobs``: the pg_cron jobs the SQL must schedule, (name, schedule,
  command) as plain text, from the compiled catalog's cron jobs.
- ``kpi_catalog``: the names of every KPI object the contract promises for the
  compiled taxonomy (:class:`KpiCatalog`), derived from the KPI definitions.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dbutil
import psycopg
import pytest

from generator.catalog import CronJob
from generator.compiler import Compilation, compile_taxonomy
from generator.model import Taxonomy
from generator.sqlquote import short_name

REPO = Path(__file__).resolve().parents[2]
TAXONOMY = REPO / "taxonomy"


def _private_suffixes(tax: Taxonomy, kpi) -> tuple[str, ...]:
    """A rolling window over distinct actors, stored incrementally, keeps its members' runs of
    active days (``kpi_<name>_runs``); other types keep what ``_PRIVATE_TABLES_BY_TYPE`` says."""
    if kpi.type == "rolling" and tax.kpi(kpi.base).type == "distinct_actors" \
            and kpi.storage != "materialized_view":
        return ("runs",)
    return _PRIVATE_TABLES_BY_TYPE[kpi.type]


@dataclass(frozen=True)
class SqlFiles:
    migrations: tuple[Path, ...]
    schemas: tuple[Path, ...]


@pytest.fixture(scope="session")
def compiled() -> Compilation:
    result = compile_taxonomy(TAXONOMY)
    assert result.ok, "\n".join(str(d) for d in result.errors)
    assert result.taxonomy is not None
    return result


@pytest.fixture(scope="session")
def sql_files(compiled: Compilation, tmp_path_factory: pytest.TempPathFactory) -> SqlFiles:
    base = tmp_path_factory.mktemp("generated-sql")
    out: dict[str, list[Path]] = {"migrations": [], "schemas": []}
    for rel, text in sorted(compiled.files.items()):
        for kind in out:
            prefix = f"supabase/{kind}/"
            if rel.startswith(prefix) and rel.endswith(".sql"):
                path = base / kind / rel[len(prefix):]
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
                out[kind].append(path)
    assert out["migrations"], "the compiler produced no migration"
    assert out["schemas"], "the compiler produced no declarative schema file"
    return SqlFiles(
        migrations=tuple(sorted(out["migrations"], key=lambda p: p.name)),
        schemas=tuple(sorted(out["schemas"], key=lambda p: p.name)),
    )


@pytest.fixture(scope="session")
def migrate(sql_files: SqlFiles):
    def _migrate(conn: psycopg.Connection, which: str = "migrations") -> None:
        dbutil.apply_sql_files(conn, getattr(sql_files, which))
        # the files `set` lock_timeout/statement_timeout for their session; do not
        # let that leak into what the test does next
        conn.execute("reset lock_timeout; reset statement_timeout")

    return _migrate


@pytest.fixture
def fresh_db(cron_db: psycopg.Connection, migrate) -> psycopg.Connection:
    migrate(cron_db)
    return cron_db


class _SharedState:
    def __init__(self, conn: psycopg.Connection, migrate):
        self.conn = conn
        self.migrate = migrate
        self.events_oid: int | None = None

    def ensure(self) -> psycopg.Connection:
        oid = self.conn.execute(
            "select to_regclass('analytics_private.events')::oid"
        ).fetchone()[0]
        if oid is None or oid != self.events_oid:
            dbutil.reset_cron_db(self.conn)
            self.migrate(self.conn)
            self.events_oid = self.conn.execute(
                "select 'analytics_private.events'::regclass::oid"
            ).fetchone()[0]
        return self.conn


@pytest.fixture(scope="module")
def _shared_state(pg_cluster, migrate) -> Iterator[_SharedState]:
    with pg_cluster.connect() as conn:
        yield _SharedState(conn, migrate)


@pytest.fixture
def db(_shared_state: _SharedState) -> psycopg.Connection:
    return _shared_state.ensure()


@pytest.fixture
def api(pg_cluster, db) -> Iterator[psycopg.Connection]:
    with pg_cluster.connect(user=dbutil.LOGIN_ROLE) as conn:
        yield conn


@pytest.fixture(scope="session")
def examples(compiled: Compilation) -> dict[str, dict]:
    """event id -> its first example payload from the taxonomy."""
    return {e.id: dict(e.examples[0]) for e in compiled.taxonomy.events}


def _send(conn: psycopg.Connection, caller_claims, events, *, role: str = "authenticated",
          commit: bool = True):
    """Call analytics.track_events as ``role`` with ``caller_claims`` (like PostgREST:
    one transaction per call); returns the decoded result."""
    import json

    text = events if isinstance(events, str) else json.dumps(events)
    with dbutil.as_caller(conn, role, caller_claims, commit=commit) as cur:
        return cur.execute("select analytics.track_events(%s::jsonb)", (text,)).fetchone()[0]


@pytest.fixture(scope="session")
def send():
    return _send



@pytest.fixture(params=["stand-ins", "supabase-defaults"])
def any_db(request, migrate) -> psycopg.Connection:
    """The migrated database twice: as the migrations leave it on the bare
    stand-ins (the shared ``db``), and on a fresh database where Supabase's
    custom-schema default privileges were set before migrating."""
    if request.param == "stand-ins":
        return request.getfixturevalue("db")
    conn = request.getfixturevalue("cron_db")
    conn.execute(dbutil.SUPABASE_DEFAULTS)
    migrate(conn)
    return conn


@pytest.fixture(scope="session")
def supabase_defaults() -> str:
    return dbutil.SUPABASE_DEFAULTS


# --------------------------------------------------------------------------- #
# What the compiled taxonomy promises: cron jobs and KPI objects
# --------------------------------------------------------------------------- #


def unliteral(text: str) -> str:
    """The value of a SQL string literal as the planner writes it ('it''s' -> it's)."""
    assert len(text) >= 2 and text[0] == text[-1] == "'", text
    return text[1:-1].replace("''", "'")


@pytest.fixture(scope="session")
def expected_jobs(compiled: Compilation) -> tuple[tuple[str, str, str], ...]:
    """Every pg_cron job the generated SQL schedules: (name, schedule, command), by name."""
    jobs = compiled.catalog.of(CronJob)
    out = tuple(sorted((unliteral(j.name), unliteral(j.schedule), unliteral(j.command)) for j in jobs))
    assert len({name for name, _, _ in out}) == len(out), "two jobs share a name"
    return out


#: private tables each storing KPI type keeps besides its rollup kpi_<name> (by name suffix)
_PRIVATE_TABLES_BY_TYPE = {
    "count": ("facts",),
    "distinct_actors": ("facts",),
    "percentile": ("values",),
    "rolling": (),
    "funnel": ("steps", "actors"),
    "retention": ("cohorts", "active"),
}


@dataclass(frozen=True)
class KpiCatalog:
    """Names (unqualified relation names; regprocedure text for functions, printed
    with an empty search_path) of the KPI objects the database contract promises."""

    pub: str
    priv: str
    kpis: tuple[str, ...]  # every KPI, by name
    stored: tuple[str, ...]  # the KPIs with rollups (all but ratios), bases before rolling windows
    site_views: dict[str, str]  # kpi -> analytics view, site-scoped
    network_views: dict[str, str]  # kpi -> analytics view, across sites
    between: dict[str, str]  # kpi -> analytics function (from date, to date)
    live: dict[str, str]  # kpi -> analytics real-time function (from date, to date), an invoker wrapper
    live_definers: dict[str, str]  # stored kpi -> its private real-time definer (from date, to date)
    freshness: tuple[str, str]  # analytics.kpi_freshness() (invoker) and its private definer
    private_tables: dict[str, tuple[str, ...]]  # stored kpi -> its private tables (rollup first)
    net: dict[str, str]  # stored kpi -> its private network table (kept incrementally, cell by cell)
    refresh: dict[str, str]  # stored kpi -> private refresh function (service_role only)
    read_definers: dict[str, tuple[str, ...]]  # stored kpi -> private definer read functions
    helpers: tuple[str, ...]  # private helper functions (service_role only)
    watermarks: str  # the private watermark table
    network_reader_tiers: tuple[str, ...]
    suppressors: tuple[str, ...] = ()  # private family suppression functions (service_role only)
    event_sets: str = "kpi_event_sets"  # the private table of each KPI selection's events

    def private_relations(self) -> set[str]:
        names = {self.watermarks, self.event_sets} | set(self.net.values())
        for tables in self.private_tables.values():
            names |= set(tables)
        return names

    def exposed_relations(self) -> set[str]:
        return set(self.site_views.values()) | set(self.network_views.values())


def kpi_catalog_of(tax: Taxonomy) -> KpiCatalog:
    pub, priv = tax.project.public_schema, tax.project.private_schema
    n = lambda pattern, name: short_name(pattern.format(name))  # noqa: E731
    kpis = tuple(k.sql_name for k in tax.kpis)
    stored_kpis = sorted((k for k in tax.kpis if k.type != "ratio"), key=lambda k: (k.type == "rolling", k.sql_name))
    stored = tuple(k.sql_name for k in stored_kpis)
    return KpiCatalog(
        pub=pub,
        priv=priv,
        kpis=kpis,
        stored=stored,
        site_views={k: n("kpi_{}", k) for k in kpis},
        network_views={k: n("network_{}", k) for k in kpis},
        between={k: f"{pub}.{n('kpi_{}_between', k)}(date,date)" for k in kpis},
        live={k: f"{pub}.{n('kpi_{}_live', k)}(date,date)" for k in kpis},
        live_definers={k: f"{priv}.{n('kpi_{}_live', k)}(date,date)" for k in stored},
        freshness=(f"{pub}.kpi_freshness()", f"{priv}.kpi_freshness()"),
        private_tables={
            k.sql_name: (n("kpi_{}", k.sql_name),)
            + tuple(n("kpi_{}_" + suffix, k.sql_name) for suffix in _private_suffixes(tax, k))
            for k in stored_kpis
        },
        net={k: n("kpi_{}_net", k) for k in stored},
        refresh={k: f"{priv}.{n('refresh_kpi_{}', k)}()" for k in stored},
        read_definers={
            k: (f"{priv}.{n('kpi_{}_for_caller', k)}()",
                f"{priv}.{n('kpi_{}_between', k)}(date,date)",
                f"{priv}.{n('network_{}_cells', k)}()")
            for k in stored
        },
        helpers=(
            f"{priv}.kpi_caller_reads_network()",
            f"{priv}.kpi_caller_network()",
            f"{priv}.kpi_caller_site()",
            f"{priv}.kpi_funnel_depths(smallint[],timestamp with time zone[],uuid[],integer,interval,text)",
            f"{priv}.kpi_actors_but_one(uuid[],bigint[])",
        ),
        watermarks="kpi_watermarks",
        network_reader_tiers=tuple(tax.network_reader_tiers),
        suppressors=_suppressors(tax),
    )


def _suppressors(tax: Taxonomy) -> tuple[str, ...]:
    """Which KPIs are suppressed together is the compiler's decision (generator/plan/kpi/families.py)."""
    from generator.plan.kpi import plan_kpis
    from generator.plan.kpi.families import plan_families

    priv = tax.project.private_schema
    return tuple(f"{priv}.{f.fn}(uuid[],date[])" for f in plan_families(plan_kpis(tax), tax.project.k_anonymity))


@pytest.fixture(scope="session")
def catalog_of():
    """``kpi_catalog_of``, for tests that compile a taxonomy of their own."""
    return kpi_catalog_of


@pytest.fixture(scope="session")
def kpi_catalog(compiled: Compilation) -> KpiCatalog:
    catalog = kpi_catalog_of(compiled.taxonomy)
    assert catalog.kpis and catalog.stored, "the taxonomy defines no KPI: nothing to check"
    return catalog
