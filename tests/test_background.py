"""The SQL checks in a second process: the same files and diagnostics as one after the other."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator import background, compiler, sqllint
from generator.compiler import compile_taxonomy

ROOT = Path(__file__).resolve().parent.parent


def _compile(monkeypatch, parallel: bool, **kwargs):
    monkeypatch.setattr(compiler, "PARALLEL_ITEMS", -1 if parallel else 10**12)
    monkeypatch.setattr(sqllint, "_CLEAN", set())  # each run checks every statement itself
    monkeypatch.setattr(sqllint, "_CLEAN_SHAPES", set())
    return compile_taxonomy(ROOT / "taxonomy", **kwargs)


@pytest.mark.skipif(not background.parallel_allowed(), reason="needs fork and two cores")
def test_forked_checks_give_the_same_output(monkeypatch):
    one = _compile(monkeypatch, parallel=False)
    two = _compile(monkeypatch, parallel=True)
    assert two.ok and two.files == one.files
    assert two.diagnostics == one.diagnostics


@pytest.mark.skipif(not background.parallel_allowed(), reason="needs fork and two cores")
def test_forked_checks_report_a_template_bug_as_before(monkeypatch, tmp_path):
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    path = templates / "sql" / "bodies" / "payload_check.sql.j2"
    path.write_text(path.read_text().replace("  return null;\nend", "  retrun null;\nend", 1))
    one = _compile(monkeypatch, parallel=False, templates=templates)
    two = _compile(monkeypatch, parallel=True, templates=templates)
    assert not two.files and [d.code for d in two.errors] == [d.code for d in one.errors]
    assert two.diagnostics == one.diagnostics


def test_a_failing_job_raises_in_the_caller():
    with background.Group() as jobs:
        job = jobs.start(int, "not a number")
        with pytest.raises(ValueError):
            job.result()
        assert jobs.start(int, "7").result() == 7


def _sleep_then(value: int) -> int:
    import time

    time.sleep(60)
    return value


@pytest.mark.skipif(not background.parallel_allowed(), reason="needs fork and two cores")
def test_a_group_leaves_no_process_behind_an_early_return():
    with background.Group(fork=True) as jobs:
        slow = jobs.start(_sleep_then, 1)
        process = slow.process
        assert process is not None and process.is_alive()
    assert not process.is_alive() and slow.process is None  # stopped at the block's end, not after a minute
    with background.Group(fork=False) as jobs:
        assert jobs.start(len, "abc").result() == 3  # without a fork: run at start, kept
