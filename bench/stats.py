"""Small statistics used by every measurement (no numpy needed for a list of timings)."""

from __future__ import annotations

import math
import statistics


def pct(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (p in [0, 100]): the smallest sample with at least p% of the samples
    at or below it. None for no samples."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000.0


def rnd(x: float | None, digits: int = 3) -> float | None:
    if x is None:
        return None
    if x == 0:
        return 0.0
    # keep `digits` significant digits for small numbers, `digits` decimals otherwise
    if abs(x) < 1:
        return float(f"{x:.{digits}g}")
    return round(x, digits)
