"""Golden-file tests: every folder under tests/cases is one taxonomy and its exact expected result.

A failing case (``stderr.txt``) must make ``trackgen generate`` exit 1 with exactly
that stderr, with its first diagnostic at the code, file and line its
``case.yaml`` declares, and without touching the output folder.  A passing case
(``expected/``) must produce exactly that tree, the same bytes twice, and a tree
that ``trackgen check`` accepts until someone edits it by hand.

Refresh the expected files with ``make golden`` (``python -m tests.golden``);
see tests/cases/README.md.
"""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

try:
    from tests import caselib
except ImportError:  # tests/ itself is on sys.path (pytest's default rootdir-less import mode)
    import caselib  # type: ignore[no-redef]

NAMES = caselib.case_names()
FAILING = [n for n in NAMES if (caselib.CASES / n / "stderr.txt").is_file()]
PASSING = [n for n in NAMES if (caselib.CASES / n / "expected").is_dir()]
REFRESH = "run `make golden` (python -m tests.golden) and review the diff if the change is intended"


class _Runs:
    """Runs the selected failing cases' CLI processes a few at a time, ahead of their tests.

    Each case still gets its own scratch folder and its own ``trackgen generate``
    process; running them side by side only hides the interpreter start-up time.
    The pool starts with this module's first test (the fixture is autouse), so
    it works while the passing cases, which run first, are being checked.
    Under pytest-xdist each worker runs only what it is asked for, on demand.
    """

    def __init__(self, root: Path, names: list[str], workers: int):
        self.root = root
        self.pool = ThreadPoolExecutor(max_workers=workers) if workers > 1 else None
        self.futures: dict[str, Future] = {}
        for name in names if self.pool else ():
            self.futures[name] = self.pool.submit(self._run, name)

    def _run(self, name: str) -> tuple[caselib.Run, Path]:
        work = self.root / name
        work.mkdir()
        return caselib.run_case(caselib.CASES / name, work), work

    def get(self, name: str) -> tuple[caselib.Run, Path]:
        future = self.futures.pop(name, None)
        return future.result() if future is not None else self._run(name)

    def close(self) -> None:
        if self.pool:
            self.pool.shutdown(cancel_futures=True)


@pytest.fixture(scope="module", autouse=True)
def failing_runs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    selected = [item.callspec.params["name"] for item in request.session.items
                if getattr(item, "originalname", None) == "test_failing_case" and hasattr(item, "callspec")]
    workers = 1 if os.environ.get("PYTEST_XDIST_WORKER") else min(4, os.cpu_count() or 1)
    runs = _Runs(tmp_path_factory.mktemp("cases"), selected, workers)
    yield runs
    runs.close()


def test_every_case_has_exactly_one_expectation() -> None:
    assert NAMES, "no golden cases found under tests/cases"
    for name in NAMES:
        case = caselib.CASES / name
        has_stderr, has_tree = (case / "stderr.txt").is_file(), (case / "expected").is_dir()
        assert has_stderr != has_tree, f"{name}: needs exactly one of stderr.txt and expected/"
        assert (case / "taxonomy").is_dir(), f"{name}: no taxonomy/ folder"
        meta = caselib.case_meta(case)
        assert meta.get("about"), f"{name}: case.yaml needs an 'about' line"
        if meta.get("before"):
            assert (caselib.CASES / meta["before"] / "taxonomy").is_dir(), f"{name}: before: names no case"
        if has_stderr:
            first = meta.get("first")
            assert isinstance(first, dict) and {"code", "file", "line"} <= set(first), \
                f"{name}: case.yaml needs first: {{code, file, line}} for a failing case"


def test_catalog_coverage() -> None:
    """The catalog stays broad: many failing cases, most error codes exercised."""
    assert len(FAILING) >= 40, f"only {len(FAILING)} failing cases"
    codes: set[str] = set()
    for name in FAILING:
        codes.update(h.code for h in caselib.parse_headers((caselib.CASES / name / "stderr.txt").read_text("utf-8")))
    assert len(codes) >= 30, f"only {len(codes)} distinct codes: {sorted(codes)}"
    assert len(PASSING) >= 2


@pytest.mark.parametrize("name", PASSING)
def test_passing_case(name: str, tmp_path: Path) -> None:
    case = caselib.CASES / name
    expected = caselib.read_tree(case / "expected")

    run = caselib.run_case(case, tmp_path)

    assert run.returncode == 0, f"exit {run.returncode}\n{run.stderr}"
    assert run.stderr == ""
    out = tmp_path / "generated"
    tree = caselib.read_tree(out)
    assert caselib.SENTINEL not in tree, "generate kept a file it does not produce"
    new, gone = sorted(set(tree) - set(expected)), sorted(set(expected) - set(tree))
    assert not new and not gone, f"generated but not expected: {new}; expected but not generated: {gone}; {REFRESH}"
    for rel in sorted(expected):
        assert tree[rel] == expected[rel], f"{rel} differs from {case / 'expected' / rel}; {REFRESH}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["generated", "taxonomy"]

    # Same input, same bytes: run again with another hash seed (set and dict order must not leak).
    again = caselib.generate(tmp_path, hash_seed="12345")
    assert again.returncode == 0, again.stderr
    assert caselib.read_tree(out) == tree

    # check (in process: the real process was exercised twice above) accepts it until a hand edit
    check = caselib.invoke(tmp_path, "check", "--taxonomy", "taxonomy", "--out", "generated")
    assert check.returncode == 0, check.stderr
    assert check.stderr == ""

    edited = next(rel for rel in sorted(tree) if "/migrations/" not in rel)  # migrations are history, an input
    (out / edited).write_bytes(tree[edited] + b"hand edit\n")
    stale = caselib.invoke(tmp_path, "check", "--taxonomy", "taxonomy", "--out", "generated")
    assert stale.returncode == 1
    assert f"changed: generated/{edited}" in stale.stderr
    assert "is stale: 1 files differ" in stale.stderr
    assert (out / edited).read_bytes() == tree[edited] + b"hand edit\n", "check must not write"


@pytest.mark.parametrize("name", FAILING)
def test_failing_case(name: str, failing_runs: _Runs) -> None:
    case = caselib.CASES / name
    expected = (case / "stderr.txt").read_text(encoding="utf-8")
    first = caselib.case_meta(case)["first"]

    run, tmp_path = failing_runs.get(name)

    assert "Traceback" not in run.stderr, run.stderr
    assert run.returncode == 1, f"exit {run.returncode}\n{run.stdout}{run.stderr}"
    assert run.stdout == ""
    # Checked on their own, so that a refreshed stderr.txt alone cannot move the first diagnostic.
    headers = caselib.parse_headers(run.stderr)
    assert headers, f"no diagnostic header in:\n{run.stderr}"
    got = {"code": headers[0].code, "file": headers[0].file, "line": headers[0].line}
    assert got == first, f"first diagnostic {got} is not the one case.yaml declares {first}"
    summary = caselib.SUMMARY.match(run.stderr.splitlines()[-1])
    assert summary and summary["nothing"], f"last line is not 'found N errors; nothing written': {run.stderr}"
    assert int(summary["count"]) == sum(h.severity == "error" for h in headers)
    for header in headers:
        if header.line is not None:
            source = (tmp_path / header.file)
            assert source.is_file(), f"diagnostic names a file that does not exist: {header.file}"
            if source.stat().st_size:
                assert 1 <= header.line <= len(source.read_text("utf-8").splitlines()), header
    # The whole report, byte for byte.
    assert run.stderr == expected, f"stderr differs from {case / 'stderr.txt'}; {REFRESH}"
    # Nothing written: the output folder is as it was (the sentinel, and the released tree of a `before:`
    # case), no staging folder left behind.
    assert caselib.read_tree(tmp_path / "generated") == run.baseline
    assert caselib.SENTINEL in run.baseline
    assert sorted(p.name for p in tmp_path.iterdir()) == ["generated", "taxonomy"]
