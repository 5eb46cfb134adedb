"""Property test over the KPI YAML: every drawn KPI file compiles cleanly or fails with positioned errors.

The strategy (tests/strategies.py) draws KPI definitions over every type and
option of generator/schemas/kpis.schema.json.  For each example the whole
compiler runs (plan, render and the SQL lint included) and:

- a clean compile writes files, models exactly the declared KPIs (none dropped,
  whatever keys they carry) and plans SQL objects for every one of them;
- a failing compile writes nothing, and every error names a file, line and column
  inside the taxonomy, with a code from the README's table.

Both outcomes must occur (the strategy is not all errors or all successes).
Derandomized and capped, so CI sees the same examples every run.
"""

from __future__ import annotations

import re
import tempfile
from collections import Counter
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings

from generator.compiler import compile_taxonomy
from generator.diagnostics import render_all

try:
    from tests.strategies import KPI_FILE, kpi_files
except ImportError:  # tests/ itself is on sys.path
    from strategies import KPI_FILE, kpi_files  # type: ignore[no-redef]

EXAMPLES = 60
README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def _documented(code: str) -> bool:
    """Whether the README's diagnostics table lists ``code`` (singly, in a list, or in a range)."""
    number = int(code[1:])
    for row in re.findall(r"^\| (E[0-9][^|]*)\|", README, flags=re.M):
        for part in row.split(","):
            bounds = re.findall(r"E(\d{3})", part)
            if len(bounds) == 2 and int(bounds[0]) <= number <= int(bounds[1]):
                return True
            if bounds == [code[1:]]:
                return True
    return False


def _write(root: Path, files: dict[str, str]) -> Path:
    taxonomy = root / "taxonomy"
    for rel, text in files.items():
        path = taxonomy / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return taxonomy


def test_generated_kpis_compile_cleanly_or_with_positioned_errors() -> None:
    outcomes: Counter[str] = Counter()

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(files=kpi_files())
    def check(files: dict[str, str]) -> None:
        with tempfile.TemporaryDirectory(prefix="trackgen-kpi-prop-") as tmp:
            root = Path(tmp)
            result = compile_taxonomy(_write(root, files), display_base=root)
            report = render_all(result.diagnostics, result.sources)
            declared = yaml.safe_load(files[KPI_FILE])["kpis"]
            if result.ok:
                outcomes["clean"] += 1
                assert result.files, report
                assert len(result.taxonomy.kpis) == len(declared), "a KPI was dropped while the compile succeeded"
                sql = result.files["supabase/schemas/60_kpis.sql"]
                for kpi in result.taxonomy.kpis:
                    assert f"analytics.kpi_{kpi.sql_name} " in sql, kpi.key
                return
            outcomes["error"] += 1
            assert not result.files
            for diag in result.errors:
                outcomes[diag.code] += 1
                assert _documented(diag.code), f"{diag.code} is not in the README's diagnostics table"
                assert diag.span is not None, f"{diag.code} without a position: {diag.message}"
                source = root / diag.span.file
                assert source.is_file(), diag
                assert 1 <= diag.span.line <= source.read_text(encoding="utf-8").count("\n") + 1, diag
                assert diag.span.col >= 1, diag

    check()
    print(f"KPI property test: {dict(sorted(outcomes.items()))}")  # shown with pytest -s
    assert outcomes["clean"] >= EXAMPLES // 10 and outcomes["error"] >= EXAMPLES // 10, dict(outcomes)
