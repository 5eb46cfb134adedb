"""A wheel that works: ``pip install`` of the built wheel (not editable) gives a working ``trackgen``.

The wheel is built from a copy of the sources (so the work tree gets no build/
folder), installed with its pinned dependencies into a fresh virtual environment
that has nothing else, and its ``trackgen generate`` runs from an unrelated
folder on a copy of the real taxonomy.  It must write exactly what the
in-process compiler writes, and the installed package must carry every template
and taxonomy schema of the source tree (as package data; see pyproject.toml).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from generator.compiler import compile_taxonomy

try:
    from tests import caselib
except ImportError:  # tests/ itself is on sys.path
    import caselib  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent.parent
EPOCH = "1767225600"

pytestmark = pytest.mark.slow


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"{' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


def _files(root: Path, pattern: str) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.glob(pattern) if p.is_file()}


def test_installed_wheel_generates_from_another_folder(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for name in ("generator", "templates"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(tmp_path / "dist"),
          str(source)], cwd=tmp_path)
    [wheel] = (tmp_path / "dist").glob("trackgen-*.whl")

    # A fresh environment with nothing in it (not even pip: this test's pip installs into it, which is
    # what `pip install` does, only without ensurepip's 10 seconds).
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    _run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--quiet", str(wheel)],
         cwd=tmp_path, env=env)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = _run([str(venv / "bin" / "python"), "-c",
                  "import generator, generator.resources as r; print(generator.__file__); print(r.templates_dir())"],
                 cwd=elsewhere, env=env).stdout.splitlines()
    package = Path(where[0]).parent
    assert package.is_relative_to(venv), f"imported generator from {package}, not from the installed wheel"
    assert Path(where[1]) == package / "templates"
    assert _files(package / "templates", "**/*") >= _files(ROOT / "templates", "**/*.j2"), "templates missing"
    assert _files(package / "schemas", "*.json") == _files(ROOT / "generator" / "schemas", "*.json")
    assert _files(package / "plan", "*.py") == _files(ROOT / "generator" / "plan", "*.py")

    taxonomy = tmp_path / "copy" / "taxonomy"
    shutil.copytree(ROOT / "taxonomy", taxonomy)
    out = tmp_path / "out"
    run = _run([str(venv / "bin" / "trackgen"), "generate", "--taxonomy", str(taxonomy), "--out", str(out)],
               cwd=elsewhere, env=dict(env, SOURCE_DATE_EPOCH=EPOCH))
    assert run.stdout.startswith("wrote ") and run.stderr == ""

    expected = compile_taxonomy(taxonomy, release=datetime.fromtimestamp(int(EPOCH), tz=UTC))
    assert expected.ok
    written = caselib.read_tree(out)
    assert sorted(written) == sorted(expected.files)
    assert all(written[path] == text.encode("utf-8") for path, text in expected.files.items())
    assert sorted(p.name for p in elsewhere.iterdir()) == [], "generate wrote into its working folder"
