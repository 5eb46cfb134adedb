"""The dashboard's plan (generator/plan/dashboard.py): one panel per active KPI, the display each KPI
asks for or its type's default, reads only through exposed objects, and the real-time read switch.
The rendered panels are checked by tsc (tests/client) and in Chromium (tests/dashboard)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from generator.catalog import Catalog, Function, View
from generator.compiler import analyse, kpi_files
from generator.plan import bodies, dashboard
from generator.plan.catalog import catalog as plan_catalog
from generator.render import TEMPLATES, render

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def compiled():
    """The real taxonomy, analysed, with its catalog (what the dashboard plan reads)."""
    result = analyse(REPO / "taxonomy")
    assert result.ok, [d.message for d in result.errors]
    with bodies.using(TEMPLATES):
        result.catalog = plan_catalog(result.taxonomy)
    return result


def test_one_panel_per_active_kpi_in_file_order(compiled):
    panels = dashboard.panels(compiled.taxonomy, compiled.catalog, kpi_files(compiled.built))
    active = [k.sql_name for k in compiled.taxonomy.kpis if k.active]
    assert sorted(p.kpi for p in panels) == sorted(active)
    groups = [p.group for p in panels]
    assert groups == sorted(groups, key=groups.index)  # each file's panels together
    assert [p.kpi for p in panels if p.group == "performance"][:2] == ["api_latency_ms", "screen_load_ms"]


def test_displays_follow_the_yaml_or_the_type(compiled):
    panels = {p.kpi: p for p in dashboard.panels(compiled.taxonomy, compiled.catalog, kpi_files(compiled.built))}
    assert panels["daily_active_actors"].display == "line"  # display: line in engagement.yaml
    assert panels["errors_by_code"].display == "bars"  # a count with by:
    assert panels["error_count"].display == "number_trend"
    assert panels["error_rate"].display == "number_trend" and panels["error_rate"].unit == "ratio"
    assert panels["active_actors_28d"].display == "line" and panels["active_actors_28d"].grain == "day"
    assert panels["weekly_signup_retention"].display == "heatmap"
    assert panels["weekly_signup_retention"].dimensions == ("period_number",)
    assert panels["upgrade_prompt_to_trial"].display == "funnel"
    latency = panels["api_latency_ms"]
    assert (latency.display, latency.unit, latency.primary) == ("percentile_band", "ms", "p95")
    assert latency.values == ("n", "p50", "p95", "p99") and latency.dimensions == ("endpoint",)
    assert panels["protocol_logging_adoption"].grain == "week"  # a ratio takes its parts' grain


def test_panels_read_only_exposed_objects(compiled):
    exposed = {o.name for o in compiled.catalog.of(View) + compiled.catalog.of(Function) if o.schema == "analytics"}
    for p in dashboard.panels(compiled.taxonomy, compiled.catalog, kpi_files(compiled.built)):
        assert p.site_view in exposed and p.network_view in exposed
        assert "site_id" not in p.dimensions + p.values and "suppressed" not in p.dimensions + p.values
        assert p.site_tiers == ("clinic", "network") and "consumer" not in p.site_tiers


def test_live_read_functions_are_used_when_the_catalog_has_them(compiled):
    functions = {f.name for f in compiled.catalog.of(Function) if f.schema == "analytics"}
    panels = {p.kpi: p for p in dashboard.panels(compiled.taxonomy, compiled.catalog, kpi_files(compiled.built))}
    for name, panel in panels.items():
        site = json.loads(panel.literal)["siteRead"]
        assert site == ({"kind": "rpc", "name": f"kpi_{name}_live"} if f"kpi_{name}_live" in functions
                        else {"kind": "view", "name": f"kpi_{name}"}), name
    assert json.loads(panels["error_rate"].literal)["networkRead"] == {"kind": "view", "name": "network_error_rate"}
    files = {a.path: a for a in dashboard.plan(compiled.taxonomy, compiled.catalog, kpi_files(compiled.built))}
    assert files[f"{dashboard.ROOT}/panels.ts"].context["freshness"] == "kpi_freshness"
    # a catalog without real-time reads: every panel reads its view
    views_only = Catalog(tuple(o for o in compiled.catalog.objects
                               if not (isinstance(o, Function) and o.name.endswith("_live"))))
    for panel in dashboard.panels(compiled.taxonomy, views_only, kpi_files(compiled.built)):
        assert json.loads(panel.literal)["siteRead"]["kind"] == "view"


def test_generated_panels_match_the_plan(compiled):
    files, problems = render(dashboard.plan(compiled.taxonomy, compiled.catalog, kpi_files(compiled.built)))
    assert not problems
    text = files[f"{dashboard.ROOT}/panels.ts"]
    assert text == (REPO / "generated" / dashboard.ROOT / "panels.ts").read_text(encoding="utf-8")
    kpis = re.findall(r'^  \{"kpi": "([a-z0-9_]+)"', text, flags=re.M)
    assert len(kpis) == len([k for k in compiled.taxonomy.kpis if k.active])
