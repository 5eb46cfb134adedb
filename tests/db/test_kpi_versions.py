"""A new KPI version lives next to the old one in the database: own objects (``<name>_v2``), own job.

ok_base with version 2 of ``live_protocol_sessions`` (by mode and tier; version 1 deprecated) is
compiled, its declarative schema applied to a fresh database, events stored, and both versions
refreshed: each answers by its own definition, and each has its own pg_cron job.
"""

from __future__ import annotations

import shutil
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dbutil import apply_sql_files, insert_events

from generator.compiler import compile_taxonomy
from generator.diagnostics import render_all

pytestmark = pytest.mark.db

BASE = Path(__file__).resolve().parents[1] / "cases" / "ok_base" / "taxonomy"
VERSION_2 = """
  - name: live_protocol_sessions
    version: 2
    description: Protocol sessions logged live or right after the session, per day, mode and tier.
    type: count
    owner: clinical-product
    events: [practitioner.protocol_logged]
    where: {logging_mode: [live, after_session]}
    by: [logging_mode, tier]
    grain: day
    refresh: "*/15 * * * *"
"""


def test_two_versions_apply_and_answer_by_their_own_definitions(cron_db, tmp_path: Path) -> None:
    taxonomy = tmp_path / "taxonomy"
    shutil.copytree(BASE, taxonomy)
    kpis = taxonomy / "kpis" / "engagement.yaml"
    text = kpis.read_text().replace(
        "    by: [logging_mode]\n    grain: day\n",
        "    by: [logging_mode]\n    grain: day\n    status: deprecated\n"
        "    deprecation: {reason: Split by tier from version 2., replaced_by: live_protocol_sessions@2}\n", 1)
    kpis.write_text(text + VERSION_2)
    result = compile_taxonomy(taxonomy)
    assert result.ok, render_all(result.diagnostics, result.sources)
    schemas = []
    for rel, sql in sorted(result.files.items()):
        if rel.startswith("supabase/schemas/"):
            path = tmp_path / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(sql)
            schemas.append(path)
    apply_sql_files(cron_db, schemas)
    cron_db.execute("reset lock_timeout; reset statement_timeout")

    site, day = uuid.uuid4(), datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    events = [dict(site=str(site), actor=f"user-{i}", tier=tier, event_id="practitioner.protocol_logged",
                   occurred_at=day - timedelta(hours=i), key=str(uuid.uuid4()),
                   payload={"logging_mode": mode, "exercise_count": 3, "protocol_ref": "prt_0a1b2c3d", "tags": []})
              for i, (tier, mode) in enumerate([("practitioner", "live"), ("clinic", "live"),
                                                ("clinic", "after_session"), ("clinic", "bulk_import")])]
    insert_events(cron_db, events)
    cron_db.execute("select analytics_private.refresh_kpi_live_protocol_sessions()")
    cron_db.execute("select analytics_private.refresh_kpi_live_protocol_sessions_v2()")

    v1 = cron_db.execute("select logging_mode, sum(value)::int from analytics_private.kpi_live_protocol_sessions "
                         "where site_id = %s group by 1 order by 1", (site,)).fetchall()
    v2 = cron_db.execute("select logging_mode, tier, sum(value)::int from analytics_private.kpi_live_protocol_sessions_v2 "
                         "where site_id = %s group by 1, 2 order by 1, 2", (site,)).fetchall()
    assert v1 == [("after_session", 1), ("live", 2)]
    assert v2 == [("after_session", "clinic", 1), ("live", "clinic", 1), ("live", "practitioner", 1)]

    jobs = dict(cron_db.execute("select jobname, schedule from cron.job where jobname like '%live_protocol%'").fetchall())
    assert jobs == {"analytics_refresh_live_protocol_sessions": "* * * * *",
                    "analytics_refresh_live_protocol_sessions_v2": "*/15 * * * *"}
    views = {r[0] for r in cron_db.execute("select viewname from pg_views where schemaname = 'analytics' "
                                           "and viewname like 'kpi_live_protocol_sessions%'")}
    assert views == {"kpi_live_protocol_sessions", "kpi_live_protocol_sessions_v2"}
