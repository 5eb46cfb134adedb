"""B5's input: a synthetic taxonomy of ``n_events`` events and ``n_kpis`` KPIs, written as
YAML the way analysts write it (project.yaml and tiers.yaml are the real ones).

Events are spread evenly over the tiers; each has an enum, a boolean, two bounded
integers and an optional integer. KPIs cycle through every type (count,
distinct_actors, percentile, ratio, rolling, funnel, retention) so the generator
plans and renders all of them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from generator.model import Taxonomy

MODES = ["standard", "guided", "express"]


def write(root: Path, real: Path, tax: Taxonomy, n_events: int, n_kpis: int) -> dict[str, int]:
    """Write the taxonomy under ``root``; returns its counts."""
    if root.exists():
        shutil.rmtree(root)
    (root / "events").mkdir(parents=True)
    (root / "kpis").mkdir()
    shutil.copy(real / "project.yaml", root / "project.yaml")
    shutil.copy(real / "tiers.yaml", root / "tiers.yaml")
    tiers = [t.name for t in sorted(tax.tiers, key=lambda t: t.rank)]
    callers = [t.name for t in sorted(tax.tiers, key=lambda t: t.rank) if not t.system]
    per_tier: dict[str, list[str]] = {t: [] for t in tiers}
    for i in range(n_events):
        tier = tiers[i % len(tiers)]
        per_tier[tier].append(f"{tier}.item{i:04d}_recorded")
    for tier, ids in per_tier.items():
        doc = {"tier": tier, "events": {eid: _event(eid) for eid in ids}}
        _dump(root / "events" / f"{tier}.yaml", doc)
    kpis = _kpis(n_kpis, per_tier, callers)
    per_file = 50
    for f in range(0, len(kpis), per_file):
        _dump(root / "kpis" / f"set{f // per_file:02d}.yaml", {"kpis": kpis[f:f + per_file]})
    return {"events": n_events, "kpis": len(kpis)}


def _event(eid: str) -> dict:
    return {
        "description": f"Synthetic benchmark event {eid} recorded by the product.",
        "owner": "benchmark",
        "properties": {
            "mode": {"type": "string", "description": "How the step was carried out.", "enum": MODES},
            "completed": {"type": "boolean", "description": "True when the step was finished."},
            "step_count": {"type": "integer", "description": "Steps in the recorded item.", "minimum": 0,
                           "maximum": 100},
            "duration_ms": {"type": "integer", "description": "Time the step took in milliseconds.",
                            "minimum": 0, "maximum": 600000},
            "retry_count": {"type": "integer", "description": "Retries before the step succeeded.", "minimum": 0,
                            "maximum": 10, "required": False},
        },
        "examples": [{"mode": "standard", "completed": True, "step_count": 3, "duration_ms": 1200}],
    }


def _kpis(n: int, per_tier: dict[str, list[str]], callers: list[str]) -> list[dict]:
    out: list[dict] = []
    cycle = ["count", "distinct_pair", "percentile", "rolling", "funnel", "retention", "count_by"]
    i = 0
    while len(out) < n:
        kind = cycle[i % len(cycle)]
        tier = callers[i % len(callers)]
        events = per_tier[tier]
        pick = [events[(i * 7 + j * 13) % len(events)] for j in range(3)]
        name = f"k{i:04d}"
        refresh = ["* * * * *", "*/5 * * * *", "*/15 * * * *", "0 * * * *"][i % 4]
        desc = f"Synthetic benchmark KPI {name} of type {kind}."
        if kind == "count":
            out.append({"name": f"{name}_count", "description": desc, "type": "count", "owner": "benchmark",
                        "events": pick[:2], "grain": "day", "refresh": refresh})
        elif kind == "count_by":
            out.append({"name": f"{name}_count_by_mode", "description": desc, "type": "count", "owner": "benchmark",
                        "events": pick, "by": ["mode"], "where": {"mode": MODES[:2]}, "grain": "day",
                        "refresh": refresh})
        elif kind == "distinct_pair" and len(out) + 3 <= n:
            grain = ["day", "week", "month"][i % 3]
            out.append({"name": f"{name}_users", "description": desc, "type": "distinct_actors",
                        "owner": "benchmark", "events": pick[:1], "tiers": [tier], "grain": grain,
                        "refresh": refresh})
            out.append({"name": f"{name}_actives", "description": desc, "type": "distinct_actors",
                        "owner": "benchmark", "events": [f"{tier}.*"], "tiers": [tier], "grain": grain,
                        "refresh": refresh})
            out.append({"name": f"{name}_adoption", "description": desc, "type": "ratio", "owner": "benchmark",
                        "numerator": {"kpi": f"{name}_users"}, "denominator": {"kpi": f"{name}_actives"}})
        elif kind == "percentile":
            out.append({"name": f"{name}_duration", "description": desc, "type": "percentile",
                        "owner": "benchmark", "events": pick[:1], "field": "duration_ms", "p": [0.5, 0.95],
                        "by": ["mode"], "grain": "day", "refresh": refresh})
        elif kind == "rolling" and len(out) + 2 <= n:
            out.append({"name": f"{name}_daily", "description": desc, "type": "distinct_actors",
                        "owner": "benchmark", "events": pick, "by": ["tier"], "grain": "day", "refresh": refresh})
            out.append({"name": f"{name}_rolling_7d", "description": desc, "type": "rolling", "owner": "benchmark",
                        "kpi": f"{name}_daily", "window": "7 days", "refresh": "*/15 * * * *"})
        elif kind == "funnel":
            out.append({"name": f"{name}_funnel", "description": desc, "type": "funnel", "owner": "benchmark",
                        "order": "ordered", "window": "14 days",
                        "steps": [{"name": f"step_{j + 1}", "events": [e]} for j, e in enumerate(pick)],
                        "refresh": "0 * * * *"})
        elif kind == "retention":
            out.append({"name": f"{name}_retention", "description": desc, "type": "retention",
                        "owner": "benchmark", "cohort": {"events": pick[:1], "grain": "week"},
                        "returning": {"events": [f"{tier}.*"]}, "periods": 8, "refresh": "0 * * * *"})
        else:  # not enough room left for a pair: a plain count
            out.append({"name": f"{name}_count", "description": desc, "type": "count", "owner": "benchmark",
                        "events": pick[:1], "grain": "day", "refresh": refresh})
        i += 1
    return out[:n]


def _dump(path: Path, doc: dict) -> None:
    path.write_text(yaml.safe_dump(doc, sort_keys=False, width=120), encoding="utf-8")
