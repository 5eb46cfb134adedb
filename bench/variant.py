"""The same taxonomy with every KPI that can be stored as a materialized view stored that way.

B2 compares the incremental storage with ``storage: materialized_view`` on the same KPIs, events and
machine: this writes the variant taxonomy (a line ``storage: materialized_view`` after each such
KPI's ``type:`` line, so the rest of the YAML stays as written) and compiles it to a second schema.
Rolling KPIs follow their base (an incremental rolling KPI over a materialized view is refused, E323).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from generator.plan.kpi.matview import TYPES

TYPE_LINE = re.compile(r"^(?P<indent>\s*)type:\s*(?P<type>[a-z_]+)\s*$")


def write(src: Path, dst: Path) -> list[str]:
    """Copy taxonomy ``src`` to ``dst`` with the storage switched; returns the KPI files changed."""
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst)
    changed = []
    for path in sorted((dst / "kpis").glob("*.yaml")):
        out = []
        lines = path.read_text().splitlines(keepends=True)
        for line in lines:
            out.append(line)
            m = TYPE_LINE.match(line)
            if m and m.group("type") in TYPES:
                out.append(f"{m.group('indent')}storage: materialized_view\n")
        if out != lines:
            path.write_text("".join(out))
            changed.append(path.name)
    return changed


def compile_to(taxonomy: Path, out: Path, repo: Path) -> Path:
    """``trackgen generate`` of ``taxonomy`` into ``out`` (no lock: a fresh deployment); the schemas folder."""
    if out.exists():
        shutil.rmtree(out)
    done = subprocess.run([sys.executable, "-m", "generator.cli", "generate", "--taxonomy", str(taxonomy),
                           "--out", str(out)], cwd=repo, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the materialized-view variant does not compile:\n{done.stderr[-3000:]}")
    return out / "supabase" / "schemas"
