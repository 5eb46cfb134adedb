"""Smoke test of `make bench` (bench/): the whole harness at SCALE=tiny, in its own cluster.

No timing is asserted (speed goals live in the report, as ratios measured side by
side): the test checks that every phase ran, that the report has the structure and
keys a reviewer's script reads, that measured figures are positive, and that the
raw-events baseline of B3 computes the same cells as the database's reads.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.db

#: the keys the issue's reviewer script reads (value may be null, with a reason)
REQUIRED = {
    "B1": ["ratio_to_copy"],
    "B2": ["incremental_over_full_10M", "growth_10M_over_1M", "backfill_over_matview_10M"],
    "B3": ["p95_ms_10M", "raw_over_read_min_10M"],
    "B4": ["freshness_s"],
    "B5": ["generate_s_1000_events", "check_s_1000_events"],
    "B6": ["ingest_p95_ratio", "read_p95_ratio"],
    "size": ["rollups_over_store_10M"],
}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench-report")
    run = subprocess.run([sys.executable, "-m", "bench", "--scale", "tiny", "--out", str(out)], cwd=REPO,
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-4000:]
    assert "load history step 1/2" in run.stderr  # progress lines are printed
    return out


@pytest.fixture(scope="module")
def data(report: Path) -> dict:
    return json.loads((report / "performance.json").read_text(encoding="utf-8"))


def test_required_keys_present_and_nulls_explained(data):
    for group, keys in REQUIRED.items():
        for key in keys:
            assert key in data[group], f"{group}.{key} missing"
            if data[group][key] is None:
                assert f"{group}.{key}" in data["not_measured"], f"{group}.{key} is null without a reason"
    # the storage side by side is measured at the run's own scale; the 10M keys say where they come from
    assert data["B2"]["incremental_over_full_10M"] is None
    assert data["B2"]["backfill_over_matview_10M"] is None
    assert data["B2"]["incremental_over_full_tiny"] > 0
    assert data["B2"]["backfill_over_matview_tiny"] > 0
    side = data["B2"]["matview_side"]
    assert side["jobs"] and side["full_refresh_s"] > 0 and side["matview_backfill_s"] > 0
    assert "SCALE=10M" in data["not_measured"]["B2.incremental_over_full_10M"]
    # B4.freshness_s is the real-time read path's p95 (kpi_<name>_live), the refresh job's is beside it
    assert data["B4"]["freshness_s"] == data["B4"]["freshness_realtime_s"] == data["B4"]["realtime"]["p95_s"]
    assert data["B4"]["realtime"]["view"].endswith("_live")
    assert data["B4"]["freshness_without_realtime_s"] == data["B4"]["p95_s"]
    assert {j["storage"] for j in data["catalog"]["refresh_jobs"]} == {"incremental"}


def test_measured_figures_are_positive(data):
    assert data["B1"]["ratio_to_copy"] > 0
    assert data["B1"]["track_events_per_s"] > 0 and data["B1"]["copy_rows_per_s"] > 0
    assert data["B2"]["incremental_s_tiny"] > 0
    assert data["B2"]["backfill_s_tiny"] > 0
    assert data["B3"]["p95_ms_tiny"] > 0
    assert data["B3"]["raw_over_read_min_tiny"] > 0
    assert data["B4"]["freshness_without_realtime_s"] > 0 and data["B4"]["seen"] == data["B4"]["samples"] > 0
    assert data["B4"]["freshness_s"] > 0 and data["B4"]["realtime"]["seen"] == data["B4"]["realtime"]["samples"] > 0
    assert data["B5"]["generate_s"] > 0 and data["B5"]["check_s"] > 0
    for key in ("ingest_p95_ratio", "read_p95_ratio", "throughput_ratio"):
        assert data["B6"][key] > 0, key
    assert data["size"]["rollups_over_store_tiny"] > 0
    assert data["size"]["store_bytes"] > 0 and data["size"]["rollup_bytes"] > 0


def test_workload_exercises_duplicates_and_every_refresh_job(data):
    statuses = {}
    for pair in data["B1"]["pairs"]:
        for status, n in pair["statuses"].items():
            statuses[status] = statuses.get(status, 0) + n
    assert statuses.get("accepted", 0) > 0 and statuses.get("duplicate", 0) > 0
    assert "rejected" not in statuses
    assert data["run"]["workload"]["late_deliveries"] > 0
    jobs = {j["name"] for j in data["catalog"]["refresh_jobs"]}
    assert jobs, "no refresh job discovered in cron.job"
    for step in data["B2"]["steps"]:
        assert {r["job"] for r in step["backfill"]} == jobs
    assert data["B2"]["cut_off_jobs"] == []
    # found in the database: a rolling window's job reads its base KPI's tables (a cut-off base would
    # make the window's figures meaningless, so the bench must know)
    deps = data["B2"]["dependencies"]
    assert deps and all(set(d) <= jobs and j in jobs for j, d in deps.items())
    # and every site read is traced to the refresh jobs whose rollups it reads
    site_reads = [r["name"] for r in data["catalog"]["reads"] if r["scope"] == "site"]
    read_deps = data["B3"]["read_dependencies"]
    assert all(read_deps[r] and set(read_deps[r]) <= jobs for r in site_reads)


def test_raw_baseline_matches_the_reads(data):
    compared = {name: r for name, r in data["B3"]["raw"].items() if "same_rows_as_read" in r}
    assert len(compared) >= 10
    assert all(r["same_rows_as_read"] for r in compared.values()), \
        [name for name, r in compared.items() if not r["same_rows_as_read"]]


def test_markdown_and_plots(report: Path, data):
    md = (report / "performance.md").read_text(encoding="utf-8")
    for heading in ("## Targets", "## Missed targets and what would fix them", "## How it ran",
                    "## Sizes on disk", "## EXPLAIN (ANALYZE, BUFFERS)", "## Not yet measured"):
        assert heading in md, heading
    for target in ("| B1 |", "| B2 |", "| B3 |", "| B4 |", "| B5 |", "| B6 |"):
        assert target in md, target
    assert "Query Text" not in md  # plans are printed without auto_explain's statement echo
    # one collapsible plan per refresh job and per exposed read
    plans = md.count("<details><summary><code>")
    assert plans >= len(data["catalog"]["refresh_jobs"]) + len(data["catalog"]["reads"])
    assert "(actual time=" in md
    for png in ("refresh_vs_history.png", "reads_vs_history.png"):
        assert (report / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"]({png})" in md


def test_clickhouse_phase_ingests_exactly_once_and_reads_the_same_rows(data):
    """The ClickHouse phase (bench/clickhouse.py) ran on the same history: every event arrived once and
    each read returned as many rows on chdb as on PostgreSQL."""
    ch = data["clickhouse"]
    assert ch and "error" not in ch, ch
    assert ch["ingest"]["events"] == ch["ingest"]["postgres_events"] > 0
    assert ch["incremental"]["exactly_once"] is True
    assert ch["reads"] and all(r["clickhouse"]["rows"] == r["postgres"]["rows"] > 0 for r in ch["reads"].values())


def test_size_study_is_consistent(report: Path, data):
    """The size study (bench/sizestudy.py) ran on the bench's database and its figures agree with each
    other and with the store: the shared base holds one row per distinct (site, network, day, event,
    tier, actor) of the store, the interned variants hold as many, every facts table it is said to
    replace recounts exactly from it, rebuilt copies keep their rows, and the scratch schema is gone."""
    st = data["size"]["study"]
    assert "error" not in st, st.get("error")
    assert st["scratch_left"] is False
    sizes = data["size"]
    assert st["derived_totals"]["total"] == sizes["rollup_bytes"]
    assert st["store_totals"]["total"] == sizes["store_bytes"]
    for table in st["derived"].values():
        parts = table["heap"] + table["maps"] + table["toast"] + sum(i["bytes"] for i in table["indexes"])
        assert parts == table["total"]
        assert sum(i["kind"] == "key" for i in table["indexes"]) <= 1
    assert any(i["kind"] == "ingest_xid" for t in st["derived"].values() for i in t["indexes"])
    a = st["a"]
    assert a["rows"] == a["direct_distinct"] > 0
    assert st["b"]["rows"] == st["b_compact"]["rows"] == a["rows"]
    assert st["dictionary"]["actors"] > 0
    replaced = st["replaces"]["facts"]
    assert replaced and set(replaced) <= set(st["replace_checks"])
    for t in replaced:
        assert st["replace_checks"][t]["from_base"] == st["replace_checks"][t]["rows"] > 0, t
    assert not set(replaced) & set(st["replaces"]["kept"])
    assert st["c"]
    for t, v in st["c"].items():
        assert v["copy"]["rows"] == v["interned"]["rows"] > 0, t
        assert v["interned"]["changed_columns"], t
    assert st["d"]["brin_bytes"] > 0
    for key, value in st["projections"].items():
        assert value is None or value > 0, key
    # the recount from each base finds the same actors as the KPI's own facts
    for window in st["recount"]["ms"].values():
        assert len({x["actors"] for x in window.values()}) == 1, window
    assert "## Size study" in (report / "performance.md").read_text(encoding="utf-8")
