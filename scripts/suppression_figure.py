"""How many network cells the family-aware, injection-proof suppression hides, against the old rule.

Run: .venv/bin/python scripts/suppression_figure.py [--events N] [--seed S]

The real taxonomy, synthetic events from the KPI tests' generator (tests/db/test_kpis.py:
Generator, two networks of six sites, three of them small), and the Python reference of the
network views (tests/db/kpi_reference.py, which the database tests compare every network view
with). Per KPI and network: the cells the view lists, and how many of them are hidden

- by the old rule: a cell with fewer than k sites or actors, and, when a period hides exactly
  one cell of the KPI, its smallest visible sibling (per KPI, counting every site);
- by the current rule (README, KPI section): families suppressed together, hidden remainders
  of k actors and k sites after removing any one site, funnel drop-offs, retention
  non-returners, windows, weeks and months holding hidden days; a percentile value with fewer than k
  actors on either side of it is counted apart (its row stays).

No database is needed: the reference is what the views return (the database tests assert it).
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "db")]

import kpi_reference as ref  # noqa: E402
from test_kpis import NETWORKS, Generator  # noqa: E402

from generator.compiler import compile_taxonomy  # noqa: E402


def old_hidden(state: ref.NetworkState, kpi) -> int:
    """Cells the old rule hid: small ones, plus the smallest visible sibling when a period hides one."""
    k = state.k
    by_period: dict = defaultdict(list)
    for key, cell in state.cells[kpi.name].items():
        if kpi.type == "rolling" and key[0] > state.today:
            continue
        sites, actors = ref._spread(cell["pairs"])
        by_period[key[0]].append((sites < k or actors < k, actors, sites, ref._none_last(key[1:])))
    hidden = 0
    for rows in by_period.values():
        rows.sort(key=lambda r: (not r[0], r[1], r[2], r[3]))
        n_small = sum(1 for r in rows if r[0])
        hidden += n_small + (1 if n_small == 1 and len(rows) > 1 else 0)
    return hidden


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    comp = compile_taxonomy(ROOT / "taxonomy")
    assert comp.ok and comp.taxonomy is not None, [str(d) for d in comp.errors]
    tax = comp.taxonomy
    k = tax.project.k_anonymity
    events = Generator(tax, seed=args.seed).events(args.events)
    today = datetime.now(UTC).date()
    print(f"{args.events} synthetic events over 36 days, seed {args.seed}, k = {k}, networks of 6 sites\n")
    print(f"{'KPI':40} {'type':15} {'cells':>6} {'old':>6} {'new':>6} {'pct values':>10}")
    totals = [0, 0, 0, 0]
    for kpi in tax.kpis:
        if kpi.type == "ratio":
            continue
        cells = old = new = values = 0
        for network in NETWORKS:
            state = ref.network_state(tax, events, today, k, network)
            view = state.view(kpi)
            cells += len(view)
            old += old_hidden(state, kpi)
            new += sum(1 for v in view.values() if v[-1])
            if kpi.type == "percentile":
                values += sum(1 for v in view.values() if not v[-1] and None in v[1:-1])
        print(f"{kpi.name:40} {kpi.type:15} {cells:6} {old:6} {new:6} {values if kpi.type == 'percentile' else '':>10}")
        for i, n in enumerate((cells, old, new, values)):
            totals[i] += n
    cells, old, new, values = totals
    print(f"\n{'all KPIs but ratios':56} {cells:6} {old:6} {new:6} {values:10}")
    print(f"hidden: old rule {old} of {cells} cells ({old / cells:.1%}), now {new} ({new / cells:.1%}); "
          f"plus {values} percentile rows with a value hidden")


if __name__ == "__main__":
    main()
