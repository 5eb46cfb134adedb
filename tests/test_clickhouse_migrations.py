"""ClickHouse evolution: a second generate writes only the difference from the released ClickHouse
catalog (generator/chmigrate.py), and that migration applies on chdb over the first release's state,
rebuilding a KPI aggregate whose shape changed from the event table."""

from __future__ import annotations

import json
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import chutil  # noqa: E402

from generator import emit  # noqa: E402
from generator.compiler import compile_taxonomy  # noqa: E402
from generator.load import load_previous  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _generate(taxonomy: Path, out: Path, when: datetime):
    result = compile_taxonomy(taxonomy, previous=load_previous(out), release=when)
    assert result.ok, [str(d) for d in result.errors]
    emit.write(out, result.files)
    return result


@pytest.fixture(scope="module")
def releases(tmp_path_factory):
    base = tmp_path_factory.mktemp("chmig")
    tax = base / "taxonomy"
    shutil.copytree(ROOT / "taxonomy", tax)
    out = base / "generated"
    first = _generate(tax, out, datetime(2026, 3, 1, tzinfo=UTC))
    again = _generate(tax, out, datetime(2026, 3, 2, tzinfo=UTC))
    assert again.files == first.files  # nothing changed: no new migration
    kpis = tax / "kpis" / "adoption.yaml"
    text = kpis.read_text(encoding="utf-8")
    text += ("\n  - name: protocol_edits\n    description: Protocol edits per day.\n    type: count\n"
             "    owner: clinical-product\n    events: [practitioner.protocol_edited]\n    grain: day\n"
             "    refresh: \"*/5 * * * *\"\n")
    kpis.write_text(text, encoding="utf-8")
    # as if the released aggregate of protocol_sessions_logged had been laid out by an older trackgen
    lock_path = out / "trackgen.lock.json"
    lock = json.loads(lock_path.read_text(encoding="utf-8"))
    released = lock["clickhouse"]["catalog"]
    released["table analytics_private.kpi_protocol_sessions_logged"]["parts"]["shape"] = "older"
    # and as if its event set had held one more event (a wildcard that matched it then)
    released["rows analytics_private.kpi_event_sets[protocol_sessions_logged]"]["parts"]["definition"] = "older"
    lock_path.write_text(json.dumps(lock, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    second = _generate(tax, out, datetime(2026, 3, 3, tzinfo=UTC))
    names = sorted(p for p in second.files if p.startswith("clickhouse/migrations/"))
    assert len(names) == 4, names  # per release: single node and cluster
    assert "ON CLUSTER 'trackgen'" in second.files[names[3]] and names[3].endswith("_cluster.sql")
    return first, second, second.files[names[2]]


def test_the_second_migration_holds_only_the_difference(releases):
    _first, _second, migration = releases
    assert "CREATE TABLE IF NOT EXISTS analytics_private.kpi_protocol_edits\n" in migration
    # a new KPI starts from the stored history: its aggregate is filled from the event table
    assert "INSERT INTO analytics_private.kpi_protocol_edits\nSELECT" in migration
    assert "DROP TABLE IF EXISTS analytics_private.kpi_protocol_sessions_logged SYNC;" in migration
    assert "INSERT INTO analytics_private.kpi_protocol_sessions_logged\nSELECT" in migration
    assert "analytics_private.events\n(" not in migration  # the event table is untouched
    assert "kpi_daily_active_actors" not in migration  # nor are unrelated KPIs
    # a changed event set: the members that left are deleted, the set inserted again
    assert ("DELETE FROM analytics_private.kpi_event_sets WHERE set_name = 'protocol_sessions_logged' "
            "AND event_id NOT IN ('practitioner.protocol_logged');") in migration
    drop_view = migration.index("DROP VIEW IF EXISTS analytics_private.kpi_protocol_sessions_logged_mv")
    assert drop_view < migration.index("DROP TABLE IF EXISTS analytics_private.kpi_protocol_sessions_logged SYNC")


def test_an_edited_released_clickhouse_migration_is_e940(releases, tmp_path):
    first, _second, _migration = releases
    from generator.chmigrate import integrity
    from generator.migrations import sha256

    lock = json.loads(first.files["trackgen.lock.json"])["clickhouse"]
    name = next(iter(lock["migrations"]))
    assert lock["migrations"][name]["sha256"] == sha256(first.files[f"clickhouse/migrations/{name}"])
    problems = integrity({name: first.files[f"clickhouse/migrations/{name}"] + "-- edited\n"}, lock)
    assert [p.code for p in problems] == ["E940"] + ["E942"] * (len(lock["migrations"]) - 1)


def test_the_migration_applies_over_the_first_release_and_rebuilds_the_aggregate(releases):
    first, _second, migration = releases
    ch = chutil.connection()
    chutil.reset(ch)
    schema = "\n".join(s + ";" for s in chutil.statements(first.files["clickhouse/schema.sql"])
                       if "REFRESH EVERY" not in s)  # no PostgreSQL here: the ingestion is not created
    chutil.apply(ch, schema)
    ch.query("INSERT INTO analytics_private.events (event_id, site_id, actor_hash, actor_tier, occurred_at, "
             "received_at, idempotency_key, payload, ingest_xid) SELECT 'practitioner.protocol_logged', "
             "toUUID('00000000-0000-4000-8000-000000000001'), toString(number % 7), "
             "if(number % 2 = 0, 'practitioner', 'clinic'), now64(6), now64(6), generateUUIDv4(), "
             "'{\"logging_mode\": \"live\"}', 1 FROM numbers(50)")
    ch.query("INSERT INTO analytics_private.events (event_id, site_id, actor_hash, actor_tier, occurred_at, "
             "received_at, idempotency_key, payload, ingest_xid) SELECT 'practitioner.protocol_edited', "
             "toUUID('00000000-0000-4000-8000-000000000001'), 'e', 'clinic', now64(6), now64(6), generateUUIDv4(), "
             "'{}', 1 FROM numbers(3)")  # history the new KPI protocol_edits must count
    ch.query("INSERT INTO analytics_private.kpi_event_sets VALUES ('protocol_sessions_logged', 'practitioner.gone')")
    before = chutil.rows(ch, "SELECT countMerge(events) AS n FROM analytics_private.kpi_protocol_sessions_logged")
    assert before == [{"n": "50"}] or before == [{"n": 50}]
    chutil.apply(ch, "\n".join(s + ";" for s in chutil.statements(migration) if "REFRESH EVERY" not in s))
    rows = chutil.rows(ch, "SELECT logging_mode, countMerge(events) AS n FROM analytics_private.kpi_protocol_sessions_logged "
                           "GROUP BY logging_mode SETTINGS output_format_json_quote_64bit_integers = 0")
    assert rows == [{"logging_mode": "live", "n": 50}]  # rebuilt from the event table
    assert chutil.rows(ch, "SELECT event_id FROM analytics_private.kpi_event_sets FINAL "
                           "WHERE set_name = 'protocol_sessions_logged'") == [{"event_id": "practitioner.protocol_logged"}]
    assert chutil.rows(ch, "SELECT name FROM system.tables WHERE database = 'analytics' "
                           "AND name = 'kpi_protocol_edits'") == [{"name": "kpi_protocol_edits"}]
    assert int(chutil.scalar(ch, "SELECT countMerge(events) FROM analytics_private.kpi_protocol_edits")) == 3
    # and the rebuilt aggregate keeps following new events
    ch.query("INSERT INTO analytics_private.events (event_id, site_id, actor_hash, actor_tier, occurred_at, "
             "received_at, idempotency_key, payload, ingest_xid) VALUES ('practitioner.protocol_logged', "
             "'00000000-0000-4000-8000-000000000001', 'x', 'clinic', now64(6), now64(6), generateUUIDv4(), "
             "'{\"logging_mode\": \"live\"}', 2)")
    assert int(chutil.scalar(ch, "SELECT countMerge(events) FROM analytics_private.kpi_protocol_sessions_logged")) == 51
