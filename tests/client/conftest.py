"""Fixtures for the tests of the generated TypeScript client (tests/client/).

The TypeScript tools come from ``clients/`` (package.json + package-lock.json,
installed by ``make test`` with ``npm ci``): the real TypeScript compiler,
supabase-js and esbuild. The tests read the committed client under
``generated/frontend/src/lib/analytics/`` (``tests/test_repo.py`` fails when it
is stale) or, for other taxonomies, the client the compiler makes in memory.

- ``node``: runs ``node`` with the clients/ tools; fails with a hint when npm ci has not run.
- ``client_js``: the TypeScript tests and the generated client stripped to ES
  modules (esbuild) in a temporary folder whose node_modules is clients/node_modules.
- ``build_js(files, root)``: the same for any set of .ts files (e.g. a client
  generated for another taxonomy).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CLIENTS = REPO / "clients"
CLIENT_DIR = REPO / "generated" / "frontend" / "src" / "lib" / "analytics"
if str(REPO) not in sys.path:  # `import tools.gateway` from the repository root
    sys.path.insert(0, str(REPO))

# The migrated database of tests/db/conftest.py (compiled in memory, shared per module, re-migrated
# when another module reset it), reused here rather than copied: fixtures are found by name.
_spec = importlib.util.spec_from_file_location("trackgen_db_fixtures", REPO / "tests" / "db" / "conftest.py")
assert _spec is not None and _spec.loader is not None
_db_fixtures = sys.modules.setdefault(_spec.name, importlib.util.module_from_spec(_spec))
if not hasattr(_db_fixtures, "db"):
    _spec.loader.exec_module(_db_fixtures)
compiled = _db_fixtures.compiled
sql_files = _db_fixtures.sql_files
migrate = _db_fixtures.migrate
_shared_state = _db_fixtures._shared_state
db = _db_fixtures.db


def node_modules() -> Path:
    path = CLIENTS / "node_modules"
    if not (path / "typescript").is_dir() or not (path / "@supabase" / "supabase-js").is_dir():
        pytest.fail("clients/node_modules is missing: run `make test` (it runs npm ci --prefix clients)")
    return path


def run_node(args: list[str], *, cwd: Path = CLIENTS, timeout: int = 300, stdin: str | None = None,
             env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    node_modules()
    return subprocess.run(["node", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, input=stdin,
                          env={**os.environ, **(env or {})})


@pytest.fixture(scope="session")
def node() -> Callable[..., subprocess.CompletedProcess[str]]:
    return run_node


def _link_modules(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "package.json").write_text(json.dumps({"type": "module", "private": True}) + "\n")
    link = out / "node_modules"
    if not link.exists():
        link.symlink_to(node_modules(), target_is_directory=True)


def build(out: Path, files: list[Path]) -> None:
    """Strip types from ``files`` into ``out`` (paths below the repository root kept), as ES modules."""
    _link_modules(out)
    run = run_node(["tools/build.mjs", str(out), *map(str, files)])
    assert run.returncode == 0, run.stderr + run.stdout


@pytest.fixture(scope="session")
def client_js(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The output folder: <out>/clients/test/*.js and <out>/generated/frontend/src/lib/analytics/*.js."""
    out = tmp_path_factory.mktemp("client-js")
    build(out, sorted(CLIENT_DIR.glob("*.ts")) + sorted((CLIENTS / "test").glob("*.ts")))
    return out


@pytest.fixture(scope="session")
def build_js(tmp_path_factory: pytest.TempPathFactory) -> Callable[[dict[str, str]], Path]:
    """Write a generated client (files of a Compilation under frontend/...) and strip it to JS; returns its JS folder."""

    def _build(files: dict[str, str]) -> Path:
        src = tmp_path_factory.mktemp("client-src")
        paths = []
        for rel, text in files.items():
            if rel.startswith("frontend/") and rel.endswith(".ts"):
                path = src / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
                paths.append(path)
        assert paths, "the compilation has no TypeScript client"
        out = tmp_path_factory.mktemp("client-built")
        _link_modules(out)
        run = run_node(["tools/build.mjs", str(out), "--outbase", str(src), *map(str, paths)])
        assert run.returncode == 0, run.stderr + run.stdout
        return out / "frontend" / "src" / "lib" / "analytics"

    return _build
