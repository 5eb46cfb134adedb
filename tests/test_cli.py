"""The CLI contract (DESIGN.md): commands, exit codes 0/1/2, all-or-nothing output, stable bytes.

Each test works in a scratch folder.  Most calls go through click's runner in this
process (``caselib.invoke``: same command functions, same exit codes, no interpreter
start-up); the ones where the process itself matters (exit status of the real entry
point, output independent of the hash seed) run ``python -m generator.cli``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

try:
    from tests import caselib
except ImportError:  # tests/ itself is on sys.path
    import caselib  # type: ignore[no-redef]

GOOD = caselib.CASES / "ok_base" / "taxonomy"
BAD = caselib.CASES / "kpi_unknown_event" / "taxonomy"  # one E301, everything else valid
REAL = caselib.ROOT / "taxonomy"
COMMANDS = ("validate", "generate", "check", "diff")


def _workdir(tmp_path: Path, taxonomy: Path) -> Path:
    shutil.copytree(taxonomy, tmp_path / "taxonomy")
    return tmp_path


def _args(command: str) -> list[str]:
    return [command, "--taxonomy", "taxonomy"] + ([] if command == "validate" else ["--out", "generated"])


def _siblings(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir())


def test_good_taxonomy_exit_0(tmp_path: Path) -> None:
    work = _workdir(tmp_path, GOOD)
    validate = caselib.invoke(work, "validate")  # the defaults are taxonomy/ and generated/
    assert (validate.returncode, validate.stderr) == (0, "")
    assert validate.stdout == "ok: 8 events in 4 tiers, 9 KPIs\n"

    generate = caselib.invoke(work, "generate")
    assert (generate.returncode, generate.stderr) == (0, "")
    files = caselib.read_tree(work / "generated")
    assert generate.stdout == f"wrote {len(files)} files to generated ({len(files)} changed)\n"
    assert "jsonschema/consumer.feature_used.json" in files

    check = caselib.invoke(work, "check")
    assert (check.returncode, check.stderr) == (0, "")
    assert check.stdout == f"generated is up to date ({len(files)} files)\n"

    diff = caselib.invoke(work, "diff")
    assert (diff.returncode, diff.stderr, diff.stdout) == (0, "", "0 files would change\n")


@pytest.mark.parametrize("command", COMMANDS)
def test_bad_taxonomy_exit_1(command: str, tmp_path: Path) -> None:
    work = _workdir(tmp_path, BAD)
    # generate through the real entry point, the others in process
    run = (caselib.trackgen if command == "generate" else caselib.invoke)(work, *_args(command))
    assert run.returncode == 1, run.stderr
    assert run.stdout == ""
    [header] = caselib.parse_headers(run.stderr)
    assert (header.file, header.line, header.code) == ("taxonomy/kpis/engagement.yaml", 22, "E301")
    # only generate promises (and says) that nothing was written
    last = run.stderr.splitlines()[-1]
    assert last == ("found 1 error; nothing written" if command == "generate" else "found 1 error")
    assert not (work / "generated").exists()


def test_missing_taxonomy_folder_exit_1(tmp_path: Path) -> None:
    run = caselib.invoke(tmp_path, "validate", "--taxonomy", "nowhere")
    assert run.returncode == 1
    assert run.stderr == "error[E004]: taxonomy folder nowhere does not exist\nfound 1 error\n"


def test_stale_output_exit_1(tmp_path: Path) -> None:
    work = _workdir(tmp_path, GOOD)
    assert caselib.invoke(work, *_args("generate")).returncode == 0
    events = work / "taxonomy" / "events" / "clinic.yaml"
    events.write_text(events.read_text("utf-8").replace(
        "A protocol template was shared", "A protocol template was handed"), encoding="utf-8")
    before = caselib.read_tree(work / "generated")

    check = caselib.invoke(work, *_args("check"))
    assert check.returncode == 1
    assert "changed: generated/jsonschema/clinic.protocol_shared.json" in check.stderr
    assert "+  \"description\": \"A protocol template was handed" in check.stderr
    assert "is stale" in check.stderr.splitlines()[-1]

    diff = caselib.invoke(work, *_args("diff"))
    assert diff.returncode == 0, diff.stderr
    assert "change file jsonschema/clinic.protocol_shared.json\n" in diff.stdout

    assert caselib.read_tree(work / "generated") == before, "check and diff must not write"

    shutil.rmtree(work / "generated")
    missing = caselib.invoke(work, *_args("check"))
    assert missing.returncode == 1
    assert "missing: generated/jsonschema/clinic.protocol_shared.json" in missing.stderr


@pytest.mark.parametrize("args, says", [
    (["generate", "--bogus"], "No such option: --bogus"),
    (["validate", "--out", "generated"], "No such option: --out"),  # validate writes nothing, has no --out
    (["check", "--taxonomy"], "requires an argument"),
    (["frobnicate"], "No such command"),
    (["diff", "extra-argument"], "unexpected extra argument"),
    (["validate", "--taxonomy", "plan.yaml"], "is a file"),
])
def test_usage_error_exit_2(args: list[str], says: str, tmp_path: Path) -> None:
    work = _workdir(tmp_path, GOOD)
    (work / "plan.yaml").write_text("tiers: []\n", encoding="utf-8")
    run = caselib.invoke(work, *args)
    assert run.returncode == 2, (run.stdout, run.stderr)
    assert says in run.stderr
    assert run.stdout == ""
    assert not (work / "generated").exists()


def test_usage_error_exit_2_from_the_real_entry_point(tmp_path: Path) -> None:
    work = _workdir(tmp_path, GOOD)
    run = caselib.trackgen(work, "generate", "--bogus")
    assert run.returncode == 2
    assert "Error: No such option: --bogus" in run.stderr
    assert "Traceback" not in run.stderr
    assert not (work / "generated").exists()


def test_real_taxonomy_generates_the_same_bytes_twice(tmp_path: Path) -> None:
    """The repository's own taxonomy, into a scratch folder: stale files go, a rerun changes nothing."""
    work = _workdir(tmp_path, REAL)
    out = work / "generated"
    (out / "jsonschema").mkdir(parents=True)
    (out / "jsonschema" / "consumer.no_longer_defined.json").write_text("{}\n", encoding="utf-8")
    (out / "notes.txt").write_text("hand-made\n", encoding="utf-8")

    first = caselib.trackgen(work, *_args("generate"))
    assert first.returncode == 0, first.stderr
    tree = caselib.read_tree(out)
    assert tree, "nothing generated"
    assert "notes.txt" not in tree and "jsonschema/consumer.no_longer_defined.json" not in tree
    assert _siblings(out) == ["generated", "taxonomy"], "a staging or backup folder was left behind"

    second = caselib.trackgen(work, *_args("generate"), hash_seed="4242")
    assert second.returncode == 0, second.stderr
    assert second.stdout == f"wrote {len(tree)} files to generated (0 changed)\n"
    assert caselib.read_tree(out) == tree



def test_generate_does_not_touch_the_output_on_error(tmp_path: Path) -> None:
    work = _workdir(tmp_path, GOOD)
    out = work / "generated"
    assert caselib.invoke(work, *_args("generate")).returncode == 0
    (out / "extra.txt").write_text("kept: a failed generate changes nothing\n", encoding="utf-8")
    before = caselib.read_tree(out)
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*")}

    shutil.rmtree(work / "taxonomy")
    shutil.copytree(BAD, work / "taxonomy")
    run = caselib.trackgen(work, *_args("generate"))  # the real process: nothing written, exit 1
    assert run.returncode == 1
    assert run.stderr.endswith("found 1 error; nothing written\n")
    assert caselib.read_tree(out) == before
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == stamps
    assert _siblings(out) == ["generated", "taxonomy"]
