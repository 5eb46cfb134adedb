"""Lineage in the lock: per KPI, the events and fields that feed it (read by docs and reviewers).

Refusing changes to those inputs is tests/test_evolution.py's subject.
"""

from __future__ import annotations

import json
from pathlib import Path

from generator.compiler import compile_taxonomy
from generator.resolve import lineage

ROOT = Path(__file__).resolve().parent.parent


def test_lineage_lists_events_and_fields():
    taxonomy = compile_taxonomy(ROOT / "taxonomy").taxonomy
    lin = lineage(taxonomy)
    assert ("system.api_request_completed", "duration_ms") in lin["api_latency_ms"].fields
    assert "consumer.feature_used" in lin["consumer_feature_adoption"].events
    assert set(lin["stickiness_dau_28d"].kpis) >= {"daily_active_actors", "active_actors_28d"}


def test_lock_records_lineage_with_field_schemas():
    result = compile_taxonomy(ROOT / "tests" / "cases" / "ok_base" / "taxonomy")
    lock = json.loads(result.files["trackgen.lock.json"])
    entry = lock["lineage"]["api_latency_ms"]
    assert entry["events"] == ["system.api_request_completed"]
    assert json.loads(entry["fields"]["system.api_request_completed.duration_ms"]) == {
        "type": "number", "minimum": 0, "maximum": 600000}
    assert lock["lineage"]["active_actors_28d"]["kpis"] == ["daily_active_actors"]
