"""Refresh the golden files of tests/cases from the current generator.

    python -m tests.golden            # every case (what `make golden` runs)
    python -m tests.golden NAME ...   # only these cases

Each case is run exactly as tests/test_cases.py runs it (``caselib.run_case``:
a scratch copy of the case's taxonomy, ``trackgen generate --taxonomy taxonomy
--out generated``).  A failing run rewrites ``stderr.txt``; a passing run
rewrites ``expected/``.  Nothing is decided silently:

* a case that had ``stderr.txt`` and now passes (or had ``expected/`` and now
  fails) is rewritten, with a WARNING line, because that usually means a check
  was lost or a valid input is now refused;
* a failing case whose first diagnostic no longer has the code, file and line
  that ``case.yaml`` declares gets a WARNING (case.yaml is the hand-written
  intent and is never changed; fix it or the generator);
* a case without ``case.yaml`` gets one from this run, with a NOTE to review it,
  and a failing case whose ``case.yaml`` has no ``first`` gets it the same way;
* a run that crashes or exits with anything but 0 or 1 rewrites nothing.

Review the result with ``git diff tests/cases`` before committing.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

try:
    from tests import caselib
except ImportError:  # pragma: no cover - run from inside tests/
    import caselib  # type: ignore[no-redef]


def _first_location(stderr: str) -> dict | None:
    headers = caselib.parse_headers(stderr)
    if not headers:
        return None
    first = headers[0]
    return {"code": first.code, "file": first.file, "line": first.line}


def refresh(name: str) -> tuple[bool, bool, list[str]]:
    """Rewrite one case; returns (ok, changed, messages)."""
    case = caselib.CASES / name
    messages: list[str] = []
    if not (case / "taxonomy").is_dir():
        return False, False, [f"ERROR {name}: no taxonomy/ folder"]
    had_stderr = (case / "stderr.txt").is_file()
    had_expected = (case / "expected").is_dir()
    with tempfile.TemporaryDirectory(prefix=f"golden-{name}-") as tmp:
        work = Path(tmp)
        run = caselib.run_case(case, work)
        tree = caselib.read_tree(work / "generated")
    if run.returncode not in (0, 1) or "Traceback (most recent call last)" in run.stderr:
        return False, False, [f"ERROR {name}: trackgen exited {run.returncode}; nothing rewritten\n{run.stderr}"]

    changed = False
    meta = caselib.case_meta(case)
    if run.returncode == 1:
        if had_expected:
            messages.append(f"WARNING {name}: was a passing case (expected/) and now FAILS; "
                            "replacing expected/ with stderr.txt")
            shutil.rmtree(case / "expected")
            changed = True
        old = (case / "stderr.txt").read_bytes() if had_stderr else None
        new = run.stderr.encode("utf-8")
        if old != new:
            (case / "stderr.txt").write_bytes(new)
            changed = True
        first = _first_location(run.stderr)
        if not meta:
            (case / "case.yaml").write_text(
                caselib.format_case_meta({"about": "TODO: say what mistake this case makes", "first": first}),
                encoding="utf-8")
            messages.append(f"NOTE {name}: wrote case.yaml from this run ({first}); review it")
        elif "first" not in meta:  # written by hand without it (e.g. about and before only): take this run's
            (case / "case.yaml").write_text(caselib.format_case_meta(dict(meta, first=first)), encoding="utf-8")
            messages.append(f"NOTE {name}: added first: {first} to case.yaml from this run; review it")
        elif meta.get("first") != first:
            messages.append(f"WARNING {name}: first diagnostic is now {first}, case.yaml says {meta.get('first')}")
        if tree != run.baseline:
            messages.append(f"WARNING {name}: the failed run changed the output folder")
    else:
        if had_stderr:
            messages.append(f"WARNING {name}: was a failing case (stderr.txt) and now PASSES; "
                            "replacing stderr.txt with expected/")
            (case / "stderr.txt").unlink()
            changed = True
        if run.stderr:
            messages.append(f"WARNING {name}: passing run printed to stderr:\n{run.stderr}")
        if caselib.SENTINEL in tree:
            messages.append(f"WARNING {name}: generate kept a file it does not produce ({caselib.SENTINEL})")
        if caselib.read_tree(case / "expected") != tree or not (case / "expected").is_dir():
            caselib.write_tree(case / "expected", tree)
            changed = True
        if not meta:
            (case / "case.yaml").write_text(caselib.format_case_meta({"about": "TODO: say what this case shows"}),
                                            encoding="utf-8")
            messages.append(f"NOTE {name}: wrote case.yaml; fill in 'about'")
        elif meta.get("first"):
            messages.append(f"WARNING {name}: case.yaml declares a first diagnostic but the case passes")
    return True, changed, messages


def main(argv: list[str]) -> int:
    names = argv or caselib.case_names()
    unknown = [n for n in names if not (caselib.CASES / n).is_dir()]
    if unknown:
        print(f"unknown case(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    failures = 0
    updated = 0
    for name in names:
        ok, changed, messages = refresh(name)
        failures += not ok
        updated += changed
        for message in messages:
            print(message, file=sys.stderr)
        if changed:
            print(f"updated {name}")
    print(f"{len(names)} cases, {updated} updated, {failures} could not be run")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
