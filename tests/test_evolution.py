"""Evolution against the lock: additive changes compile, destructive ones are refused (generator/evolution.py).

The refusals each have a golden case (tests/cases/evolve_*, released state ``before: ok_base``);
here: the additive changes that must keep compiling, KPI versions end to end, the snapshot in
the lock, and the narrowing rules one by one.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from generator import compiler
from generator.changes import summarise
from generator.compiler import compile_taxonomy
from generator.diagnostics import render_all
from generator.emit import write
from generator.evolution import narrowings
from generator.load import load_previous

BASE = Path(__file__).resolve().parent / "cases" / "ok_base" / "taxonomy"


@pytest.fixture
def released(tmp_path: Path) -> Path:
    """ok_base generated once into tmp_path/generated: its lock is the released state."""
    taxonomy = tmp_path / "taxonomy"
    shutil.copytree(BASE, taxonomy)
    first = compile_taxonomy(taxonomy, display_base=tmp_path)
    assert first.ok, render_all(first.diagnostics, first.sources)
    write(tmp_path / "generated", first.files)
    return taxonomy


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def recompile(taxonomy: Path):
    previous = load_previous(taxonomy.parent / "generated")
    result = compile_taxonomy(taxonomy, previous=previous, display_base=taxonomy.parent)
    return result, previous


def ok(taxonomy: Path) -> list[str]:
    """Compile against the release; must be clean; returns `trackgen diff`'s summary lines."""
    result, previous = recompile(taxonomy)
    assert result.ok, render_all(result.diagnostics, result.sources)
    return [c.line() for c in summarise(result.taxonomy, previous.lock)]


def codes(taxonomy: Path) -> list[str]:
    result, _ = recompile(taxonomy)
    assert not result.files
    return sorted(d.code for d in result.errors)


NEW_EVENT = """
  consumer.tip_dismissed:
    description: A consumer dismissed an in-app tip card.
    owner: growth
    properties:
      tip:
        type: string
        description: Which tip card was dismissed.
        enum: [streaks, reminders]
    examples:
      - {tip: streaks}
"""


def test_additive_changes_compile_and_diff_names_them(released: Path) -> None:
    events, kpis = released / "events", released / "kpis"
    (events / "consumer.yaml").write_text((events / "consumer.yaml").read_text() + NEW_EVENT)  # new event (consumer.*)
    edit(events / "consumer.yaml", "enum: [check_in, exercise_library, goals]",
         "enum: [check_in, exercise_library, goals, reminders]")  # enum value added
    edit(events / "consumer.yaml", "      platform:\n", "      theme:\n        type: string\n        required: false\n"
         "        description: Colour theme of the client.\n        enum: [light, dark]\n      platform:\n")  # optional
    edit(events / "practitioner.yaml", "minimum: 1\n        maximum: 60", "minimum: 0\n        maximum: 90")  # wider
    edit(events / "practitioner.yaml", "maxItems: 5", "maxItems: 8")
    edit(events / "system.yaml", "A new sign-up finished and its first session started.",
         "A new sign-up finished; its first session started.")  # description only
    edit(events / "consumer.yaml", "  consumer.goal_completed:\n", "  consumer.goal_completed:\n    version: 1-0-1\n")
    edit(kpis / "engagement.yaml", '    grain: day\n    refresh: "*/5 * * * *"', '    grain: day\n    refresh: "@hourly"')
    (kpis / "extra.yaml").write_text(
        "kpis:\n  - name: goals_completed\n    description: Goals completed per day.\n    type: count\n"
        "    events: [consumer.goal_completed]\n    grain: day\n")

    lines = ok(released)

    assert "added event consumer.tip_dismissed: consumer tier, version 1-0-0" in lines
    assert "version event consumer.goal_completed: SchemaVer 1-0-0 -> 1-0-1" in lines
    assert "added KPI goals_completed: count" in lines
    assert 'refresh KPI daily_active_actors: "*/5 * * * *" -> "@hourly"' in lines


def test_deprecating_an_event_a_wildcard_reads_is_not_a_history_rewrite(released: Path) -> None:
    """It used to be E312 with a hint nobody could follow; consumer.* now just stops matching it."""
    edit(released / "events" / "consumer.yaml", "  consumer.goal_completed:\n",
         "  consumer.goal_completed:\n    status: deprecated\n"
         "    deprecation: {reason: Goals are tracked by the practitioner now., replaced_by: consumer.feature_used}\n")
    lines = ok(released)
    assert lines == ["deprecated event consumer.goal_completed: replaced by consumer.feature_used"]


def test_deprecating_an_event_a_kpi_lists_explicitly_asks_for_a_new_version(released: Path) -> None:
    edit(released / "events" / "practitioner.yaml", "  practitioner.trial_started:\n",
         "  practitioner.trial_started:\n    status: deprecated\n"
         "    deprecation: {reason: Trials are started by the billing system now.}\n")
    result, _ = recompile(released)
    [diag] = result.errors
    assert diag.code == "E306" and "upgrade_funnel" in diag.message
    assert "version 2" in diag.hint and "status: deprecated" in diag.hint


NEW_VERSION = """
  - name: live_protocol_sessions
    version: 2
    description: Protocol sessions logged live or right after the session, per day, mode and tier.
    type: count
    owner: clinical-product
    events: [practitioner.protocol_logged]
    where: {logging_mode: [live, after_session]}
    by: [logging_mode, tier]
    grain: day
"""


def test_a_new_kpi_version_compiles_next_to_the_old_one(released: Path) -> None:
    kpis = released / "kpis" / "engagement.yaml"
    edit(kpis, "    by: [logging_mode]\n    grain: day\n",
         "    by: [logging_mode]\n    grain: day\n    status: deprecated\n"
         "    deprecation: {reason: Split by tier from version 2., replaced_by: live_protocol_sessions@2}\n")
    kpis.write_text(kpis.read_text() + NEW_VERSION)
    result, previous = recompile(released)
    assert result.ok, render_all(result.diagnostics, result.sources)
    lines = [c.line() for c in summarise(result.taxonomy, previous.lock)]
    assert "version KPI live_protocol_sessions: version 1 -> 2 (new objects live_protocol_sessions_v2; " \
           "version 1 keeps its history)" in lines
    assert "deprecated KPI live_protocol_sessions: replaced by live_protocol_sessions@2" in lines
    sql = result.files["supabase/schemas/60_kpis.sql"]
    assert "analytics.kpi_live_protocol_sessions_v2 " in sql and "analytics.kpi_live_protocol_sessions " in sql
    assert "refresh_kpi_live_protocol_sessions_v2()" in result.files["supabase/schemas/90_cron.sql"]
    lock = json.loads(result.files["trackgen.lock.json"])["taxonomy"]["kpis"]
    assert lock["live_protocol_sessions@1"]["status"] == "deprecated"
    assert lock["live_protocol_sessions@1"]["replaced_by"] == "live_protocol_sessions@2"
    assert lock["live_protocol_sessions@2"]["history"]["by"] == ["logging_mode", "tier"]

    # released again, the old version still may not change, and the new one is released too
    write(released.parent / "generated", result.files)
    edit(kpis, "    by: [logging_mode, tier]\n", "    by: [tier]\n")
    assert codes(released) == ["E410"]


def test_versioning_a_ratio_part_means_versioning_the_ratio(released: Path) -> None:
    """A ratio reads the highest version of a name: when that moves, the ratio's history would change."""
    kpis = released / "kpis" / "engagement.yaml"
    loggers = ("  - name: weekly_protocol_loggers\n    description: Pro-plan actors who logged at least one protocol "
               "session in the week.\n    type: distinct_actors\n    owner: clinical-product\n"
               "    events: [practitioner.protocol_logged]\n    tiers: [practitioner]\n    grain: week\n")
    edit(kpis, loggers, loggers + "    status: deprecated\n    deprecation: {reason: Clinic callers count too.}\n\n"
         + loggers.replace("    type:", "    version: 2\n    type:").replace("[practitioner]\n", "[practitioner, clinic]\n"))
    result, _ = recompile(released)
    assert [d.code for d in result.errors] == ["E410"]
    assert "numerator \"weekly_protocol_loggers@1\" -> \"weekly_protocol_loggers@2\"" in result.errors[0].message

    # pinning the old version keeps the ratio's history, but an active ratio may not read a deprecated KPI
    edit(kpis, "numerator: {kpi: weekly_protocol_loggers}", "numerator: {kpi: weekly_protocol_loggers@1}")
    assert codes(released) == ["E320"]

    # the way through: deprecate the pinned ratio and add its version 2 over the new part
    ratio = ("  - name: protocol_logging_adoption\n    description: Share of weekly active pro-plan actors who logged "
             "a protocol session.\n    type: ratio\n    owner: clinical-product\n"
             "    numerator: {kpi: weekly_protocol_loggers@1}\n    denominator: {kpi: weekly_active_practitioners}\n")
    edit(kpis, ratio, ratio + "    status: deprecated\n    deprecation: {reason: Its numerator has a version 2.}\n\n"
         + ratio.replace("    type:", "    version: 2\n    type:").replace("@1}", "@2}"))
    lines = ok(released)
    assert "version KPI protocol_logging_adoption: version 1 -> 2 (new objects protocol_logging_adoption_v2; " \
           "version 1 keeps its history)" in lines


def test_lock_without_snapshot_checks_nothing_and_records_one(released: Path) -> None:
    """A lock written before the snapshot existed: nothing to compare with; the next generate records it."""
    lock_path = released.parent / "generated" / "trackgen.lock.json"
    lock = json.loads(lock_path.read_text())
    del lock["taxonomy"]
    lock_path.write_text(json.dumps(lock))
    edit(released / "kpis" / "journeys.yaml", "periods: 8", "periods: 12")  # would be E410
    result, _ = recompile(released)
    assert result.ok
    assert "weekly_retention@1" in json.loads(result.files["trackgen.lock.json"])["taxonomy"]["kpis"]


@pytest.mark.parametrize(("old", "new", "expected"), [
    ({"type": "integer", "minimum": 0, "maximum": 9}, {"type": "integer", "minimum": 0, "maximum": 10}, []),
    ({"type": "integer", "minimum": 0, "maximum": 9}, {"type": "integer", "minimum": 1, "maximum": 9}, ["E406"]),
    ({"type": "integer", "minimum": 0, "maximum": 9}, {"type": "integer", "exclusiveMinimum": 0, "maximum": 9},
     ["E406"]),
    ({"type": "integer", "exclusiveMinimum": 0, "maximum": 9}, {"type": "integer", "minimum": 0, "maximum": 9}, []),
    ({"type": "integer", "minimum": 0, "maximum": 9}, {"type": "number", "minimum": 0, "maximum": 9}, ["E404"]),
    ({"type": "number", "minimum": 0, "maximum": 9, "multipleOf": 10}, {"type": "number", "minimum": 0,
                                                                        "maximum": 9, "multipleOf": 5}, []),
    ({"type": "number", "minimum": 0, "maximum": 9}, {"type": "number", "minimum": 0, "maximum": 9,
                                                      "multipleOf": 0.5}, ["E406"]),
    ({"type": "string", "enum": ["a", "b"]}, {"type": "string", "enum": ["b", "a", "c"]}, []),
    ({"type": "string", "enum": ["a", "b"]}, {"type": "string", "enum": ["a"]}, ["E405"]),
    ({"type": "string", "pattern": "^a$"}, {"type": "string", "pattern": "^a$", "maxLength": 3}, ["E406"]),
    ({"type": "string", "pattern": "^a$", "maxLength": 3}, {"type": "string", "pattern": "^a$"}, []),
    ({"type": "string", "format": "uuid"}, {"type": "string", "format": "date"}, ["E407"]),
    ({"type": "string", "pattern": "^[a-z]+$"}, {"type": "string", "enum": ["a"]}, ["E407"]),
    ({"type": "array", "maxItems": 3, "items": {"type": "string", "enum": ["a", "b"]}},
     {"type": "array", "maxItems": 2, "uniqueItems": True, "items": {"type": "string", "enum": ["a"]}},
     ["E405", "E406", "E406"]),
    ({"type": "array", "maxItems": 3, "items": {"type": "boolean"}},
     {"type": "array", "minItems": 0, "maxItems": 5, "items": {"type": "boolean"}}, []),
])
def test_narrowings(old: dict, new: dict, expected: list[str]) -> None:
    assert sorted(n.code for n in narrowings(old, new)) == expected


def test_a_kpi_lost_between_model_and_plan_is_an_error_not_silence(released: Path, monkeypatch) -> None:
    """E903: whatever drops a KPI (a bug), the run fails instead of exiting 0 with one KPI fewer."""
    real_resolve = compiler.resolve

    def lossy_resolve(built):
        taxonomy, diags = real_resolve(built)
        return taxonomy.__class__(taxonomy.project, taxonomy.tiers, taxonomy.events, taxonomy.kpis[1:]), diags

    monkeypatch.setattr(compiler, "resolve", lossy_resolve)
    result = compile_taxonomy(released)
    assert [d.code for d in result.errors] == ["E903"]
    assert "declare 9 KPIs but 8 were modelled" in result.errors[0].message
    assert not result.files

    monkeypatch.setattr(compiler, "resolve", real_resolve)
    from generator.plan import kpi as plan_kpi

    real_planners = dict(plan_kpi.PLANNERS)

    class Forgetful(plan_kpi.PLANNERS["count"]):  # a planner bug that files a KPI under another name
        def __init__(self, kpi, taxonomy, names, sets, plans):
            super().__init__(kpi, taxonomy, names, sets, plans)
            plans["lost_" + kpi.sql_name] = plans.pop(kpi.sql_name, self)

    monkeypatch.setattr(plan_kpi, "PLANNERS", {**real_planners, "count": Forgetful})
    result = compile_taxonomy(released)
    assert [d.code for d in result.errors] == ["E903"]
    assert not result.files
