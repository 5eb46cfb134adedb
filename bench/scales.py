"""What ``SCALE=tiny|100k|1M|3M|10M`` means: history size, population and the size of
each measurement.

The population (sites, actors, days) stays the same from 1M up, so a bigger
scale is a denser history of the same deployment, and the history steps inside
one run (``steps``, fractions of ``events``) are random subsets of the same
history: the refresh and read curves against history size compare like with
like. ``tiny`` is for the smoke test in ``make test``: seconds, not a
measurement (its freshness period is compressed, see ``b4_period_s``).

``budget_s`` bounds a run's wall time: a refresh job rebuilt from scratch is cut
off after ``backfill_cap_s`` or less when the budget runs short, and the report
lists every job that was cut off with its "more than" time. ``BUDGET=0`` lifts it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    events: int  # history size at the last step (accepted events)
    sites: int
    actors: int
    days: int
    steps: tuple[float, ...]  # history fractions at which refresh and reads are measured; ends with 1.0
    new_events: int = 10_000  # B2: the increment an incremental refresh folds in
    b2_repeats: int = 3  # B2: increments per step (median reported)
    b1_batches: int = 40  # B1: batches of 500 per side and run (split over 4 connections)
    b1_pairs: int = 3  # B1: paired runs (track_events, then COPY), median of the ratios
    b3_samples: int = 40  # B3: calls per read function (p95 over them)
    b3_raw_samples: int = 5  # B3: runs of each raw-events aggregate
    b4_samples: int = 20  # B4: events whose commit -> visible time is measured
    b4_period_s: float | None = None  # None: the refresh job's own cron period
    b6_seconds: float = 30.0  # B6: length of each window (no refresh / refresh running)
    b5_events: int = 1000  # B5: synthetic taxonomy size
    b5_kpis: int = 200
    backfill_cap_s: float = 240.0  # B2: a from-scratch refresh job is cut off after this (reported as ">")
    budget_s: float | None = None  # the whole run's time budget; backfill caps shrink to keep it


SCALES: dict[str, Scale] = {
    "tiny": Scale("tiny", events=3_000, sites=6, actors=200, days=35, steps=(0.5, 1.0), new_events=300,
                  b2_repeats=1, b1_batches=4, b1_pairs=1, b3_samples=5, b3_raw_samples=1, b4_samples=3,
                  b4_period_s=1.0, b6_seconds=2.0, b5_events=40, b5_kpis=8, backfill_cap_s=60.0),
    "100k": Scale("100k", events=100_000, sites=50, actors=50_000, days=180, steps=(0.2, 1.0), b2_repeats=2,
                  b1_batches=16, b1_pairs=2, b3_samples=20, b3_raw_samples=3, b4_samples=20, b6_seconds=16.0,
                  backfill_cap_s=60.0, budget_s=600.0),
    # 1M must finish in under 15 minutes: 14 minutes of budget, and a small first step where every job
    # can be rebuilt from scratch.
    "1M": Scale("1M", events=1_000_000, sites=50, actors=50_000, days=180, steps=(0.02, 1.0), b2_repeats=2,
                b3_raw_samples=3, b6_seconds=24.0, backfill_cap_s=120.0, budget_s=780.0),
    "3M": Scale("3M", events=3_000_000, sites=50, actors=50_000, days=180, steps=(0.02, 0.1, 1.0),
                backfill_cap_s=900.0),
    "10M": Scale("10M", events=10_000_000, sites=50, actors=50_000, days=180, steps=(0.1, 1.0),
                 backfill_cap_s=3600.0),
}


def parse(name: str) -> Scale:
    try:
        return SCALES[name]
    except KeyError:
        raise ValueError(f"unknown SCALE {name!r}: one of {', '.join(SCALES)}") from None
