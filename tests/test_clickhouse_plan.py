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
