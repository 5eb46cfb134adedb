"""squawk (migration lint, configured in .squawk.toml) passes every delta migration trackgen writes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from test_delta import NEW_EVENT, NEW_KPI, T0, generate

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / ".squawk.toml"


def squawk(paths: list[Path]) -> subprocess.CompletedProcess:
    exe = shutil.which("squawk", path=str(Path(sys.executable).parent)) or shutil.which("squawk")
    assert exe, "squawk-cli is a test dependency (pyproject.toml)"
    return subprocess.run([exe, "-c", str(CONFIG), "--reporter=gcc", *map(str, paths)],
                          capture_output=True, text=True, timeout=120)


def lint_ok(paths: list[Path]) -> None:
    run = squawk(paths)
    assert run.returncode == 0, run.stdout + run.stderr


def test_committed_catalog_migrations_pass_squawk():
    history = sorted((ROOT / "generated" / "supabase" / "migrations").glob("*.sql"))
    # the first file predates the catalog (a whole re-runnable state) and is history we never rewrite
    lint_ok(history[1:])


@pytest.mark.parametrize("edit", ["event", "kpi"])
def test_delta_migrations_pass_squawk(edit, tmp_path):
    tax, out = tmp_path / "taxonomy", tmp_path / "generated"
    shutil.copytree(ROOT / "tests" / "cases" / "ok_base" / "taxonomy", tax)
    first = generate(tax, out, T0)
    path = tax / ("events/consumer.yaml" if edit == "event" else "kpis/engagement.yaml")
    path.write_text(path.read_text() + (NEW_EVENT if edit == "event" else NEW_KPI))
    second = generate(tax, out, T0 + timedelta(days=1))
    lint_ok([out / p for p in sorted(first) + sorted(second)])


def test_squawk_would_catch_a_blocking_index(tmp_path):
    """The configuration keeps squawk's teeth: a plain index build on an existing table is refused."""
    bad = tmp_path / "bad.sql"
    bad.write_text("create index events_x_idx on analytics_private.event_keys (occurred_at);\n")
    run = squawk([bad])
    assert run.returncode != 0 and "require-concurrent-index-creation" in run.stdout
