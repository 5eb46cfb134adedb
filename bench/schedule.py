"""How a budgeted backfill shares its time among the jobs it retries (pure; unit-tested)."""

from __future__ import annotations


def plan_retries(retry: list[str], tried: dict[str, float], deps: dict[str, set[str]], time_left: float,
                 cap_s: float) -> set[str]:
    """Which of the jobs to run again share ``time_left`` usefully: each gets an equal share, a job
    is dropped when its share is not half as long again as its first try (or under 15 s), and so is
    every job that reads a dropped one; repeated until nothing changes."""
    chosen = set(retry)
    while chosen:
        share = min(cap_s, time_left / len(chosen))
        drop = {n for n in chosen if share < max(15.0, 1.5 * tried.get(n, 0.0))}
        changed = True
        while changed:  # and whatever reads a dropped job
            changed = False
            for n in chosen - drop:
                if deps.get(n, set()) & (drop | (set(retry) - chosen)):
                    drop.add(n)
                    changed = True
        if not drop:
            return chosen
        # drop the most expensive first try only, then share again: the others may fit now
        worst = max(drop, key=lambda n: (tried.get(n, 0.0), n))
        chosen.discard(worst)
    return chosen
