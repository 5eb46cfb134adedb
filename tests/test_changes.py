"""`trackgen diff`: the human change summary against the lock (events and KPIs), then the files."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from generator.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_diff_names_added_deprecated_reversioned_events_and_kpi_changes(tmp_path, monkeypatch):
    shutil.copytree(ROOT / "taxonomy", tmp_path / "taxonomy")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    runner = CliRunner()
    assert runner.invoke(main, ["generate"]).exit_code == 0
    clean = runner.invoke(main, ["diff"])
    assert clean.exit_code == 0 and clean.output.strip() == "0 files would change"

    consumer = tmp_path / "taxonomy" / "events" / "consumer.yaml"
    text = consumer.read_text()
    text = text.replace("  consumer.article_viewed:\n", "  consumer.article_viewed:\n    version: 1-0-1\n", 1)
    text += ("\n  consumer.tip_dismissed:\n    description: A consumer dismissed an in-app tip card.\n"
             "    owner: growth\n    properties: {}\n    examples:\n      - {}\n")
    consumer.write_text(text)
    kpis = tmp_path / "taxonomy" / "kpis" / "performance.yaml"
    kpis.write_text(kpis.read_text().replace("p: [0.5, 0.95, 0.99]", "p: [0.5, 0.9, 0.99]", 1))

    result = runner.invoke(main, ["diff"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "added event consumer.tip_dismissed: consumer tier, version 1-0-0" in lines
    assert "version event consumer.article_viewed: SchemaVer 1-0-0 -> 1-0-1" in lines
    assert any(line.startswith("redefined KPI api_latency_ms") for line in lines)
    assert "add file jsonschema/consumer.tip_dismissed.json" in lines
    assert lines[-1].endswith("files would change")
