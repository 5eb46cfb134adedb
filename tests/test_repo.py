"""The committed generated/ tree must be what the generator makes from taxonomy/ now."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_generated_tree_is_up_to_date():
    run = subprocess.run([sys.executable, "-m", "generator.cli", "check"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, f"generated/ is stale; run `make generate`\n{run.stderr[-3000:]}"
    assert "is up to date" in run.stdout


def test_real_taxonomy_is_large_enough():
    from generator.compiler import analyse

    result = analyse(ROOT / "taxonomy")
    assert result.ok, [d.message for d in result.errors]
    tax = result.taxonomy
    assert len(tax.events) >= 45
    assert {t.name for t in tax.tiers} == {"consumer", "practitioner", "clinic", "network", "system"}
    assert all(any(e.tier == t.name for e in tax.events) for t in tax.tiers)
