"""The ClickHouse target's plan without a database: off by default, on by `targets`, queries
qualified by sqlglot against the ClickHouse catalog."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from generator.chcheck import check
from generator.compiler import compile_taxonomy
from generator.plan.clickhouse.catalog import ChCatalog, ChColumn, ChTable, ChView

ROOT = Path(__file__).resolve().parents[1]


def test_an_unknown_column_in_a_clickhouse_query_is_e922_naming_the_kpi():
    table = ChTable("analytics_private", "kpi_x", (ChColumn("site_id", "UUID"),), "AggregatingMergeTree", "site_id")
    view = ChView("analytics", "kpi_x", "SELECT site_id, period FROM analytics_private.kpi_x",
                  (("site_id", "UUID"), ("period", "Date")), origin="kpi:x")
    problems = check(ChCatalog((table, view)))
    assert [p.code for p in problems] == ["E922"]
    assert "kpi:x" in problems[0].message and "period" in problems[0].message


def test_a_released_view_is_checked_again_only_when_it_or_a_table_it_reads_changed():
    """As for PostgreSQL: what the lock records was checked when it was released (here a broken view
    stands in for it, to show it is not looked at); a change to the table it names brings it back."""
    table = ChTable("analytics_private", "kpi_x", (ChColumn("site_id", "UUID"),), "AggregatingMergeTree", "site_id")
    view = ChView("analytics", "kpi_x", "SELECT site_id, period FROM analytics_private.kpi_x",
                  (("site_id", "UUID"), ("period", "Date")), origin="kpi:x")
    other = ChView("analytics", "kpi_y", "SELECT site_id, day FROM analytics_private.kpi_x",
                   (("site_id", "UUID"), ("day", "Date")), origin="kpi:y")
    released = ChCatalog((table, view)).snapshot()
    assert check(ChCatalog((table, view)), released) == []
    # a new view is checked though the rest was released
    problems = check(ChCatalog((table, view, other)), released)
    assert len(problems) == 1 and problems[0].message.startswith("ClickHouse view analytics.kpi_y (kpi:y)")
    # the table gains a column: every view naming it is checked again
    wider = ChTable("analytics_private", "kpi_x", (ChColumn("site_id", "UUID"), ChColumn("day", "Date")),
                    "AggregatingMergeTree", "site_id")
    problems = check(ChCatalog((wider, view)), released)
    assert [p.code for p in problems] == ["E922"] and "period" in problems[0].message


def test_the_target_is_off_by_default_and_on_by_targets(tmp_path):
    tax = tmp_path / "taxonomy"
    shutil.copytree(ROOT / "taxonomy", tax)
    project = tax / "project.yaml"
    text = project.read_text(encoding="utf-8")
    assert "targets: [supabase, clickhouse]" in text
    on = compile_taxonomy(tax)
    assert on.ok
    assert "clickhouse" in json.loads(on.files["trackgen.lock.json"])
    assert {"clickhouse/schema.sql", "clickhouse/cluster.sql"} <= set(on.files)
    assert any(p.startswith("clickhouse/migrations/") for p in on.files)
    assert "analytics_private.clickhouse_events" in on.files["supabase/schemas/70_clickhouse_export.sql"]
    project.write_text(text.replace("targets: [supabase, clickhouse]\n", ""), encoding="utf-8")
    off = compile_taxonomy(tax)
    assert off.ok
    assert not any(p.startswith("clickhouse/") for p in off.files)
    assert "supabase/schemas/70_clickhouse_export.sql" not in off.files
    assert "clickhouse" not in json.loads(off.files["trackgen.lock.json"])


def test_a_deprecated_family_member_keeps_its_aggregate_for_the_familys_suppression(tmp_path):
    """ClickHouse publishes active KPIs only; a deprecated KPI PostgreSQL still suppresses with an
    active one keeps its ClickHouse aggregate (no views), so the family's flags are computed over the
    same members as PostgreSQL's."""
    tax = tmp_path / "taxonomy"
    shutil.copytree(ROOT / "taxonomy", tax)
    kpis = tax / "kpis" / "performance.yaml"
    kpis.write_text(kpis.read_text(encoding="utf-8") + (
        "\n  - name: errors_by_code_old\n    description: Errors per day by code, as first published.\n"
        "    type: count\n    owner: platform-reliability\n    events: [system.error_occurred]\n"
        "    by: [error_code]\n    grain: day\n    status: deprecated\n"
        "    deprecation: {reason: replaced by errors_by_code, replaced_by: errors_by_code}\n"), encoding="utf-8")
    result = compile_taxonomy(tax)
    assert result.ok, [str(d) for d in result.errors]
    from generator.plan.clickhouse import plan

    objects = plan(result.taxonomy).by_key()
    assert "table analytics_private.kpi_errors_by_code_old" in objects
    assert "materialized view analytics_private.kpi_errors_by_code_old_mv" in objects
    assert not any(key.endswith(("analytics.kpi_errors_by_code_old", "analytics.network_errors_by_code_old"))
                   for key in objects)
    family = objects["view analytics_private.kpi_error_count_family"]
    assert "'errors_by_code_old'" in family.query and "FROM analytics_private.kpi_errors_by_code_old" in family.query
