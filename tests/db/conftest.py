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
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dbutil
import psycopg
import pytest

from generator.compiler import Compilation, compile_taxonomy

REPO = Path(__file__).resolve().parents[2]
TAXONOMY = REPO / "taxonomy"


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


#: What Supabase's "Using custom schemas" guide has a project run for a schema it
#: exposes (the same statements tests/db/test_splinter.py uses as the worst case).
#: The generated SQL must stay safe when a project did this before migrating.
SUPABASE_DEFAULTS = """
create schema if not exists analytics;
create schema if not exists analytics_private;
grant usage on schema analytics, analytics_private to anon, authenticated, service_role;
alter default privileges in schema analytics, analytics_private
    grant all on tables to anon, authenticated, service_role;
alter default privileges in schema analytics, analytics_private
    grant all on routines to anon, authenticated, service_role;
alter default privileges in schema analytics, analytics_private
    grant all on sequences to anon, authenticated, service_role;
"""


@pytest.fixture(params=["stand-ins", "supabase-defaults"])
def any_db(request, migrate) -> psycopg.Connection:
    """The migrated database twice: as the migrations leave it on the bare
    stand-ins (the shared ``db``), and on a fresh database where Supabase's
    custom-schema default privileges were set before migrating."""
    if request.param == "stand-ins":
        return request.getfixturevalue("db")
    conn = request.getfixturevalue("cron_db")
    conn.execute(SUPABASE_DEFAULTS)
    migrate(conn)
    return conn


@pytest.fixture(scope="session")
def supabase_defaults() -> str:
    return SUPABASE_DEFAULTS
