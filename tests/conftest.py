"""Test fixtures: a private PostgreSQL cluster with pg_cron for the database tests.

Each pytest session (each xdist worker) starts its own throwaway cluster on a
free port, never the machine's system cluster, with ``pgcluster.running_cluster``
(tests/pgcluster.py, shared with the benchmark in bench/; it explains pg_cron's
settings, running as root and the TRACKGEN_PG_* environment knobs). The Supabase
stand-ins of ``dbutil.STANDINS_SQL`` are installed in the cron database
(``postgres``, as on Supabase) and in template1, so every database a test creates
later has them too (pg_cron itself only works in ``postgres``).

Run ``scripts/ensure-postgres.sh`` (``make test`` does) to install pg_cron.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

_TESTS_DIR = str(Path(__file__).resolve().parent)
if _TESTS_DIR not in sys.path:  # make `import dbutil` work whatever the import mode
    sys.path.insert(0, _TESTS_DIR)

import dbutil  # noqa: E402
from pgcluster import PgCluster, running_cluster  # noqa: E402

DB_FIXTURES = {"pg_cluster", "cron_db"}


# --------------------------------------------------------------------------- #
# The fixture contract
# --------------------------------------------------------------------------- #


@pytest.fixture(scope="session")
def pg_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PgCluster]:
    """Session-scoped (per xdist worker) private cluster with pg_cron preloaded
    and the Supabase stand-ins installed."""
    with running_cluster(_port_lock_dir(tmp_path_factory), setup=dbutil.install_standins) as cluster:
        yield cluster


@pytest.fixture(scope="session")
def start_cluster(tmp_path_factory: pytest.TempPathFactory):
    """Start another private cluster like ``pg_cluster`` (use the result as a context manager),
    e.g. an empty database to compare a migrated one with: pg_cron serves one database per cluster."""
    lock_dir = _port_lock_dir(tmp_path_factory)
    return lambda: running_cluster(lock_dir, setup=dbutil.install_standins)


@pytest.fixture
def cron_db(pg_cluster: PgCluster) -> Iterator[psycopg.Connection]:
    """Autocommit superuser connection to the cron database, reset first
    (``dbutil.reset_cron_db``: no analytics/analytics_private schemas, no cron jobs
    or run history, stand-ins intact)."""
    with pg_cluster.connect() as conn:
        dbutil.reset_cron_db(conn)
        yield conn


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that use the database fixtures get the ``db`` marker even if their
    author forgot it, so ``-m 'not db'`` reliably skips the cluster. ``slow`` tests
    (waiting for pg_cron's scheduler, up to a minute with pg_cron 1.4) go first,
    so that under xdist their wait overlaps the rest of the suite."""
    for item in items:
        if DB_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.db)
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)  # stable


def _port_lock_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.getbasetemp()
    # xdist workers each have their own basetemp under a common parent.
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
