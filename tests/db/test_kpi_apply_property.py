"""If it compiles, it applies: drawn KPI definitions that compile cleanly also apply to PostgreSQL.

The strategy (tests/strategies.py) draws KPI files over every type and option of
the KPI schema; tests/test_kpi_properties.py checks that each either compiles or
fails with positioned errors. Here every clean compile is applied to the real
database with pg_cron (its migration, as the Supabase CLI would), each refresh
job's own command runs, and every exposed view and range function answers a
caller of the right tier. Derandomized and capped for the time budget.
"""

from __future__ import annotations

import tempfile
import uuid
from datetime import date
from pathlib import Path

import dbutil
import pytest
from hypothesis import HealthCheck, assume, given, settings

from generator.catalog import CronJob, Function, View
from generator.compiler import compile_taxonomy

try:
    from tests.strategies import kpi_files
except ImportError:  # tests/ itself is on sys.path
    from strategies import kpi_files  # type: ignore[no-redef]

pytestmark = pytest.mark.db
EXAMPLES = 25


def _apply(conn, files: dict[str, str], root: Path) -> None:
    paths = []
    for rel, text in sorted(files.items()):
        if rel.startswith("supabase/migrations/"):
            path = root / rel.rsplit("/", 1)[1]
            path.write_text(text, encoding="utf-8")
            paths.append(path)
    assert paths
    dbutil.apply_sql_files(conn, paths)
    conn.execute("reset lock_timeout; reset statement_timeout")


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
@given(files=kpi_files())
def test_every_clean_compile_applies_and_refreshes(cron_db, files):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        taxonomy = root / "taxonomy"
        for rel, text in files.items():
            (taxonomy / rel).parent.mkdir(parents=True, exist_ok=True)
            (taxonomy / rel).write_text(text, encoding="utf-8")
        result = compile_taxonomy(taxonomy)
        assume(result.ok)
        dbutil.reset_cron_db(cron_db)
        _apply(cron_db, result.files, root)
    catalog = result.catalog
    jobs = [j for j in catalog.of(CronJob) if "refresh_" in j.name]
    assert len(jobs) == sum(1 for k in result.taxonomy.kpis if k.type != "ratio")
    for job in jobs:
        command = cron_db.execute(f"select command from cron.job where jobname = {job.name}").fetchone()
        assert command is not None, job.name
        cron_db.execute(command[0])
    reader = result.taxonomy.network_reader_tiers[0]
    claims = dbutil.claims(uuid.uuid4(), reader, uuid.uuid4(), uuid.uuid4())
    with dbutil.as_caller(cron_db, "authenticated", claims) as cur:
        for view in catalog.of(View):
            cur.execute(f"select * from {view.schema}.{view.name}")
        ranges = [f for f in catalog.of(Function) if f.schema == "analytics" and len(f.args) == 2]
        # per KPI a (from, to) read and its real-time twin
        assert sorted(f.name for f in ranges) == sorted(f"kpi_{k.sql_name}{suffix}" for k in result.taxonomy.kpis
                                                        for suffix in ("_between", "_live"))
        for fn in ranges:
            cur.execute(f"select * from {fn.schema}.{fn.name}(%s, %s)", (date(2026, 1, 1), date(2026, 12, 31)))
