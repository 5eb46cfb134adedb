"""Shared by ``tests/test_cases.py`` and ``tests/golden.py``: how a golden case is run.

A case folder ``tests/cases/<name>/`` holds ``case.yaml`` (what the case is
about and, for a failing case, where its first diagnostic must be), a
``taxonomy/`` folder, and the expected result: ``stderr.txt`` for a failing
case or ``expected/`` (the exact generated tree) for a passing one.  See
``tests/cases/README.md``.

A case about evolution names, in ``case.yaml``, the case whose taxonomy was
released before (``before: ok_base``): its generated tree, lock included, is
put into the output folder first, so the run under test compares against it.

Both the test and the refresh command run the real CLI in a fresh scratch
folder the same way, through ``run_case``, so what ``make golden`` writes is
exactly what the test compares against.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CASES = Path(__file__).resolve().parent / "cases"

#: A file put into the output folder before every run: a failing run must leave
#: it alone, a passing run must remove it (generate rewrites the whole folder).
SENTINEL = "keep.txt"
SENTINEL_TEXT = b"written by the test before trackgen ran; must survive a failed generate\n"

#: release time of generated migrations (2026-01-01T00:00:00Z), fixed so a case's output does not
#: depend on the repository's last commit
SOURCE_DATE_EPOCH = "1767225600"

#: ``file:line:col: error[E123]: message`` or, for a diagnostic without a position, ``error[E123]: message``
HEADER = re.compile(
    r"^(?:(?P<file>[^\s:][^:]*):(?P<line>\d+):(?P<col>\d+): )?"
    r"(?P<severity>error|warning)\[(?P<code>E\d{3})\]: (?P<message>.*)$"
)
SUMMARY = re.compile(r"^found (?P<count>\d+) errors?(?P<nothing>; nothing written)?$")


@dataclass(frozen=True)
class Header:
    file: str | None
    line: int | None
    col: int | None
    severity: str
    code: str
    message: str


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str
    #: the output folder's files just before the run (the sentinel, plus the released tree of ``before``)
    baseline: dict[str, bytes] = field(default_factory=dict, compare=False)


def case_names() -> list[str]:
    """Every case folder, sorted (folders starting with ``_`` or ``.`` are ignored)."""
    if not CASES.is_dir():
        return []
    return sorted(p.name for p in CASES.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))


def case_meta(case: Path) -> dict:
    """The parsed ``case.yaml`` of a case folder ({} when there is none)."""
    path = case / "case.yaml"
    if not path.is_file():
        return {}
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def parse_headers(stderr: str) -> list[Header]:
    """The header line of every diagnostic in a compiler-style report, in order."""
    out = []
    for line in stderr.splitlines():
        match = HEADER.match(line)
        if match:
            out.append(Header(
                file=match["file"], line=int(match["line"]) if match["line"] else None,
                col=int(match["col"]) if match["col"] else None, severity=match["severity"],
                code=match["code"], message=match["message"]))
    return out


#: generated trees of released taxonomies (case name -> files), made once per process
_RELEASED: dict[str, dict[str, bytes]] = {}


def released_tree(name: str) -> dict[str, bytes]:
    """What ``trackgen generate`` writes for case ``name``'s taxonomy: the state a ``before:`` case starts from."""
    if name not in _RELEASED:
        source = CASES / name / "taxonomy"
        if not source.is_dir():
            raise FileNotFoundError(f"before: {name}: no such case with a taxonomy/ folder")
        with tempfile.TemporaryDirectory(prefix=f"released-{name}-") as tmp:
            work = Path(tmp)
            shutil.copytree(source, work / "taxonomy")
            run = generate(work)
            if run.returncode != 0:
                raise RuntimeError(f"before: {name} does not generate cleanly:\n{run.stderr}")
            _RELEASED[name] = read_tree(work / "generated")
    return dict(_RELEASED[name])


def prepare(case: Path, work: Path) -> dict[str, bytes]:
    """Copy the case's taxonomy into ``work``; fill ``work/generated`` with the released tree of the case's
    ``before`` (if any) and the sentinel.  Returns that folder's files."""
    before = case_meta(case).get("before")
    shutil.copytree(case / "taxonomy", work / "taxonomy")
    (work / "generated").mkdir()
    if before:
        write_tree(work / "generated", released_tree(before))
    (work / "generated" / SENTINEL).write_bytes(SENTINEL_TEXT)
    return read_tree(work / "generated")


def trackgen(work: Path, *args: str, hash_seed: str = "0") -> Run:
    """Run the real CLI (``python -m generator.cli ...``) with ``work`` as its working folder."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env["SOURCE_DATE_EPOCH"] = SOURCE_DATE_EPOCH  # migration versions: never the last commit's time
    env["PYTHONHASHSEED"] = hash_seed  # a second run with another seed shows output does not depend on set order
    env.pop("PYTHONWARNINGS", None)
    proc = subprocess.run([sys.executable, "-m", "generator.cli", *args], cwd=work, env=env,
                          capture_output=True, timeout=120)
    return Run(proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8"))


def invoke(work: Path, *args: str) -> Run:
    """The same CLI in this process (click's test runner): no interpreter start-up, for the many quick calls.

    Exit codes come from the same ``sys.exit`` calls and click usage handling as in a real run.
    """
    from click.testing import CliRunner

    from generator.cli import main

    with contextlib.chdir(work):
        result = CliRunner(mix_stderr=False).invoke(main, list(args), env={"SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH},
                                                    catch_exceptions=False)
    return Run(result.exit_code, result.stdout, result.stderr)


def generate(work: Path, hash_seed: str = "0") -> Run:
    return trackgen(work, "generate", "--taxonomy", "taxonomy", "--out", "generated", hash_seed=hash_seed)


def run_case(case: Path, work: Path) -> Run:
    """Prepare ``work`` from the case folder and run ``trackgen generate`` there once."""
    baseline = prepare(case, work)
    return replace(generate(work), baseline=baseline)


def read_tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` as bytes, keyed by its forward-slash relative path."""
    if not root.is_dir():
        return {}
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def write_tree(root: Path, files: dict[str, bytes]) -> None:
    """Replace ``root`` with exactly ``files``."""
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    for rel, data in sorted(files.items()):
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def format_case_meta(meta: dict) -> str:
    """``case.yaml`` text: about and note as block scalars, ``first`` on one line."""
    lines = []
    for key in ("about", "note"):
        if meta.get(key):
            text = yaml.safe_dump(meta[key], width=100).removesuffix("\n...\n").rstrip("\n")
            lines.append(f"{key}: " + text.replace("\n", "\n  "))
    if meta.get("before"):
        lines.append(f"before: {meta['before']}")
    first = meta.get("first")
    if first:
        line = first.get("line")
        lines.append(f"first: {{code: {first.get('code')}, file: {first.get('file') or 'null'}, "
                     f"line: {'null' if line is None else line}}}")
    return "\n".join(lines) + "\n"
