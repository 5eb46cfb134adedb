"""A KPI's inputs cannot change under it without an error that names the KPI (lineage vs the lock)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator.compiler import compile_taxonomy
from generator.emit import write
from generator.load import load_previous
from generator.resolve import lineage

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def released(tmp_path):
    """The real taxonomy, generated once into tmp_path/generated (so a lock exists)."""
    taxonomy = tmp_path / "taxonomy"
    shutil.copytree(ROOT / "taxonomy", taxonomy)
    first = compile_taxonomy(taxonomy)
    assert first.ok
    write(tmp_path / "generated", first.files)
    return taxonomy


def recompile(taxonomy: Path):
    return compile_taxonomy(taxonomy, previous=load_previous(taxonomy.parent / "generated"))


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def test_lineage_lists_events_and_fields():
    taxonomy = compile_taxonomy(ROOT / "taxonomy").taxonomy
    lin = lineage(taxonomy)
    assert ("system.api_request_completed", "duration_ms") in lin["api_latency_ms"].fields
    assert "consumer.feature_used" in lin["consumer_feature_adoption"].events
    assert set(lin["stickiness_dau_28d"].kpis) >= {"daily_active_actors", "active_actors_28d"}


def test_unchanged_taxonomy_regenerates_cleanly(released):
    assert recompile(released).ok


def test_retyping_a_field_a_kpi_reads_names_the_kpi(released):
    edit(released / "events" / "system.yaml", "maximum: 600000", "maximum: 900000")
    result = recompile(released)
    messages = [d.message for d in result.errors if d.code == "E311"]
    assert messages and all('"duration_ms"' in m for m in messages)
    assert any('KPI "api_latency_ms"' in m for m in messages)
    assert not result.files


def test_deprecating_an_event_read_through_a_glob_names_the_kpis(released):
    path = released / "events" / "consumer.yaml"
    text = path.read_text()
    marker = "  consumer.article_viewed:\n"
    assert marker in text
    path.write_text(text.replace(marker, marker + "    status: deprecated\n"
                                 "    deprecation: {reason: Articles moved to the public website.}\n", 1))
    result = recompile(released)
    [diag] = [d for d in result.errors if d.code == "E312"]
    assert "consumer.article_viewed" in diag.message and "daily_active_actors" in diag.message
    assert diag.span is not None and diag.span.file.endswith("events/consumer.yaml")
