"""Regression tests for diagnostics problems found while building the golden catalog.

Each test states what the generator must do: report YAML files outside the layout,
treat ``<<`` as an (unsupported) merge key, accept a literal dot in a character
class, point example errors of a duplicated event at its own file, type-check
``where`` values, report a tier glob that matches nothing, and speak English.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator.compiler import Compilation, analyse

try:
    from tests import caselib
except ImportError:  # tests/ itself is on sys.path
    import caselib  # type: ignore[no-redef]




def _base(tmp_path: Path) -> Path:
    shutil.copytree(caselib.CASES / "ok_base" / "taxonomy", tmp_path / "taxonomy")
    return tmp_path / "taxonomy"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def _analyse(tmp_path: Path) -> Compilation:
    return analyse(tmp_path / "taxonomy", display_base=tmp_path)


def _codes(result: Compilation) -> list[str]:
    return sorted(d.code for d in result.diagnostics)


@pytest.mark.parametrize("where", ["more_kpis.yaml", "kpis/archive/journeys.yaml", "kpis/journeys.YAML"])
def test_yaml_file_outside_the_layout_is_reported(where: str, tmp_path: Path) -> None:
    taxonomy = _base(tmp_path)
    (taxonomy / where).parent.mkdir(parents=True, exist_ok=True)
    (taxonomy / "kpis" / "journeys.yaml").rename(taxonomy / where)  # three KPIs vanish without a word
    assert "E005" in _codes(_analyse(tmp_path))


def test_merge_key_is_e003(tmp_path: Path) -> None:
    shutil.copytree(caselib.CASES / "yaml_merge_key" / "taxonomy", tmp_path / "taxonomy")
    assert "E003" in _codes(_analyse(tmp_path))


def test_dot_in_character_class_is_not_free_text(tmp_path: Path) -> None:
    _edit(_base(tmp_path) / "events" / "practitioner.yaml",
          'pattern: "^prt_[0-9a-f]{8}$"', 'pattern: "^prt_[0-9a-f.]{8}$"')
    assert _codes(_analyse(tmp_path)) == []


def test_duplicate_event_example_error_points_at_its_own_file(tmp_path: Path) -> None:
    taxonomy = _base(tmp_path)
    _edit(taxonomy / "events" / "practitioner.yaml", "      - {trial_length_days: 14}\n",
          "      - {trial_length_days: 14}\n\n  consumer.goal_completed:\n"
          "    description: A self-care goal was marked as completed.\n    owner: growth\n"
          "    examples:\n      - {streak_days: 5}\n")
    [e205] = [d for d in _analyse(tmp_path).diagnostics if d.code == "E205"]
    assert e205.span is not None and e205.span.file == "taxonomy/events/practitioner.yaml"


@pytest.mark.parametrize("field, value", [("notes_attached", '"true"'), ("exercise_count", "many")])
def test_where_value_of_the_wrong_type_is_reported(field: str, value: str, tmp_path: Path) -> None:
    _edit(_base(tmp_path) / "kpis" / "engagement.yaml", "where: {logging_mode: [live, after_session]}",
          f"where: {{{field}: {value}}}")
    result = _analyse(tmp_path)
    assert not result.ok and any(field in d.message for d in result.errors)


def test_glob_matching_no_event_is_reported(tmp_path: Path) -> None:
    taxonomy = _base(tmp_path)
    _edit(taxonomy / "tiers.yaml", "  - name: system\n",
          "  - name: network\n    description: Network plan with aggregate analytics only.\n  - name: system\n")
    _edit(taxonomy / "kpis" / "engagement.yaml", "events: [practitioner.protocol_logged]\n    tiers:",
          "events: [network.*]\n    tiers:")
    assert any("network.*" in d.message for d in _analyse(tmp_path).diagnostics)  # an error or at least a warning


def test_type_message_grammar(tmp_path: Path) -> None:
    _edit(_base(tmp_path) / "kpis" / "journeys.yaml", "    periods: 8", '    periods: "8"')
    [diag] = _analyse(tmp_path).diagnostics
    assert "expected an integer" in diag.message


def test_a_broken_property_does_not_hide_its_siblings_problems(tmp_path: Path) -> None:
    """One structural error in a property; the PII name next to it is still reported in the same run."""
    _edit(_base(tmp_path) / "events" / "practitioner.yaml",
          "      trial_length_days:\n        type: integer\n",
          "      contact_email:\n        type: string\n        format: email\n        description: Where to send it.\n"
          "      trial_length_days:\n        type: integger\n")
    result = _analyse(tmp_path)
    codes = _codes(result)
    assert "E104" in codes  # the misspelt type
    assert "E203" in codes and "E208" in codes  # the sibling's personal data and unsafe format
    assert "E205" not in codes  # examples wait until the properties are sound


def test_rejections_retention_defaults_and_is_validated(tmp_path: Path) -> None:
    """storage.rejections_retention: 90 days when absent; a duration in days, weeks or months,
    else a positioned error (the counters must never be kept forever by a typo)."""
    taxonomy = _base(tmp_path)
    result = _analyse(tmp_path)
    assert result.ok and result.taxonomy.project.rejections_retention == "90 days"
    (taxonomy / "project.yaml").write_text(
        (taxonomy / "project.yaml").read_text(encoding="utf-8") + "storage:\n  rejections_retention: 3 weeks\n",
        encoding="utf-8")
    result = _analyse(tmp_path)
    assert result.ok and result.taxonomy.project.rejections_retention == "3 weeks"
    _edit(taxonomy / "project.yaml", "rejections_retention: 3 weeks", "rejections_retention: forever")
    [diag] = _analyse(tmp_path).diagnostics
    assert diag.code == "E104" and "rejections_retention" in diag.message
    assert (diag.span.file, diag.span.line) == ("taxonomy/project.yaml", 13)


@pytest.mark.parametrize("fmt", ["duration", "time"])
@pytest.mark.parametrize("in_items", [False, True])
def test_formats_the_database_cannot_check_are_refused(fmt: str, in_items: bool, tmp_path: Path) -> None:
    """format duration/time passed the compiler, but the database stored any text for them."""
    value = f"type: string\n        format: {fmt}\n"
    if in_items:
        value = f"type: array\n        maxItems: 2\n        items: {{type: string, format: {fmt}}}\n"
    _edit(_base(tmp_path) / "events" / "system.yaml", "      request_id:\n",
          f"      wait_spec:\n        {value}        description: Waiting time as sent.\n"
          "        required: false\n      request_id:\n")
    [diag] = _analyse(tmp_path).diagnostics
    assert diag.code == "E208" and f'format "{fmt}" is not checked by the database' in diag.message
    assert (diag.span.file, diag.span.line) == ("taxonomy/events/system.yaml", 30)
    assert "date, date-time, uuid" in (diag.hint or "")


def _readers(result: Compilation) -> dict[str, tuple[str, ...]]:
    return {k.name: result.taxonomy.site_reader_tiers(k.name) for k in result.taxonomy.kpis}


def test_site_read_tiers_default_and_overrides(tmp_path: Path) -> None:
    """Which caller tiers may read site KPIs is decided in the model: the clinic tier and above by
    default, privacy.site_read_tiers, a KPI's own site_read_tiers; a ratio never more than its KPIs."""
    taxonomy = _base(tmp_path)
    result = _analyse(tmp_path)
    assert result.ok and set(_readers(result).values()) == {("clinic",)}
    (taxonomy / "project.yaml").write_text(
        (taxonomy / "project.yaml").read_text(encoding="utf-8").replace(
            "privacy:\n", "privacy:\n  site_read_tiers: [clinic, practitioner]\n"), encoding="utf-8")
    _edit(taxonomy / "kpis" / "engagement.yaml", "  - name: weekly_protocol_loggers\n",
          "  - name: weekly_protocol_loggers\n    site_read_tiers: [practitioner]\n")
    result = _analyse(tmp_path)
    assert result.ok, result.errors
    readers = _readers(result)
    assert readers["daily_active_actors"] == ("practitioner", "clinic")  # tier order, not list order
    assert readers["weekly_protocol_loggers"] == ("practitioner",)
    assert readers["protocol_logging_adoption"] == ("practitioner",)  # its numerator allows no more


def test_site_read_tiers_generated_in_every_site_read(tmp_path: Path) -> None:
    from generator.compiler import compile_taxonomy

    _base(tmp_path)
    result = compile_taxonomy(tmp_path / "taxonomy")
    assert result.ok
    sql = result.files["supabase/schemas/60_kpis.sql"]
    # a SQL query reads the claims once through a sub-select; a PL/pgSQL condition calls auth.jwt() itself
    checks = ("((select auth.jwt()) #>> '{app_metadata,tier}') = any (array['clinic']::text[])",
              "(auth.jwt() #>> '{app_metadata,tier}') = any (array['clinic']::text[])")
    functions = {}  # function name -> its definitions (private definer and public wrapper)
    for chunk in sql.split("create or replace function ")[1:]:
        functions.setdefault(chunk.split("(", 1)[0].split(".", 1)[1], []).append(chunk)
    # every site read of every KPI checks the caller's tier: the view's function, the (from, to)
    # read and the real-time read
    for kpi in result.taxonomy.kpis:
        reads = ["between", "live"] + (["for_caller"] if kpi.type != "ratio" else [])
        for read in reads:
            bodies = functions[f"kpi_{kpi.sql_name}_{read}"]
            # a refreshed-only real-time read returns its (from, to) read's rows, checked there
            delegated = f"_{kpi.sql_name}_between(" if read == "live" else None
            assert any(any(check in body for check in checks) or (delegated and delegated in body)
                       for body in bodies), (kpi.sql_name, read)


@pytest.mark.parametrize("value, line, code", [
    ("[clinic, doctor]", 8, "E202"),  # unknown tier
    ("[system]", 8, "E202"),  # not a caller tier
])
def test_project_site_read_tiers_must_be_caller_tiers(value: str, line: int, code: str, tmp_path: Path) -> None:
    taxonomy = _base(tmp_path)
    _edit(taxonomy / "project.yaml", "privacy:\n", f"privacy:\n  site_read_tiers: {value}\n")
    [diag] = _analyse(tmp_path).diagnostics
    assert diag.code == code and "site_read_tiers" in diag.message
    assert (diag.span.file, diag.span.line) == ("taxonomy/project.yaml", line)


def test_kpi_site_read_tiers_are_checked(tmp_path: Path) -> None:
    taxonomy = _base(tmp_path)
    _edit(taxonomy / "kpis" / "engagement.yaml", "  - name: daily_active_actors\n",
          "  - name: daily_active_actors\n    site_read_tiers: [clinic, clinc]\n")
    _edit(taxonomy / "kpis" / "engagement.yaml", "  - name: protocol_logging_adoption\n",
          "  - name: protocol_logging_adoption\n    site_read_tiers: [consumer]\n")
    diags = sorted(_analyse(tmp_path).diagnostics, key=lambda d: d.span.line)
    assert [(d.code, d.span.line) for d in diags] == [("E301", 3), ("E321", 36), ("E321", 36)]
    assert '"clinc"' in diags[0].message and "clinic" in (diags[0].hint or "")
    assert 'not its numerator "weekly_protocol_loggers"' in diags[1].message
    assert 'not its denominator "weekly_active_practitioners"' in diags[2].message
