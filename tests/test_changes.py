"""`trackgen diff`: the human change summary against the lock (events and KPIs), then the files."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from click.testing import CliRunner

from generator.cli import main

ROOT = Path(__file__).resolve().parent.parent
re_link = re.compile(r"\[([^\]]+)\]\([^)]*\)")


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
    text = kpis.read_text()
    old = text[text.index("  - name: api_latency_ms\n"):text.index("  - name: screen_load_ms\n")]
    new_version = (old.replace("    p: [0.5, 0.95, 0.99]\n", "    version: 2\n    p: [0.5, 0.9, 0.99]\n")
                   .replace('    refresh: "*/5 * * * *"\n', '    refresh: "*/15 * * * *"\n'))
    deprecated = old.replace("    grain: day\n", "    grain: day\n    status: deprecated\n"
                             "    deprecation: {reason: The 90th percentile replaces the 95th., replaced_by: api_latency_ms@2}\n")
    text = text.replace(old, deprecated + "\n" + new_version)
    text = text.replace('    events: [system.error_occurred]\n    by: [error_code]\n    grain: day\n    refresh: "* * * * *"',
                        '    events: [system.error_occurred]\n    by: [error_code]\n    grain: day\n    refresh: "*/2 * * * *"')
    kpis.write_text(text)

    result = runner.invoke(main, ["diff"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "added event consumer.tip_dismissed: consumer tier, version 1-0-0" in lines
    assert "version event consumer.article_viewed: SchemaVer 1-0-0 -> 1-0-1" in lines
    assert "version KPI api_latency_ms: version 1 -> 2 (new objects api_latency_ms_v2; version 1 keeps its history)" \
        in lines
    assert "deprecated KPI api_latency_ms: replaced by api_latency_ms@2" in lines
    assert 'refresh KPI errors_by_code: "* * * * *" -> "*/2 * * * *"' in lines
    assert "add file jsonschema/consumer.tip_dismissed.json" in lines
    assert lines[-1].endswith("files would change")

    # the Markdown form says the same words, linked to the docs' sections of the same names
    md = runner.invoke(main, ["diff", "--markdown"])
    assert md.exit_code == 0, md.output
    md_lines = md.output.splitlines()
    assert ("- added event [consumer.tip_dismissed](generated/docs/events.md#consumertip_dismissed): "
            "consumer tier, version 1-0-0") in md_lines
    assert "- deprecated KPI [api_latency_ms](generated/docs/kpis.md#api_latency_ms): replaced by api_latency_ms@2" \
        in md_lines
    assert "- add `jsonschema/consumer.tip_dismissed.json`" in md_lines
    plain = [line for line in lines if not line.endswith("files would change") and " file " not in line]
    stripped = {re_link.sub(r"\1", line[2:]) for line in md_lines if line.startswith("- ")}
    assert set(plain) <= stripped
