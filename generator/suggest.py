"""'Did you mean' hints for near misses (a typo in a key, an event id, a KPI name)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """A hint naming the closest candidate, or None when nothing is close."""
    pool = sorted(set(str(c) for c in candidates))
    match = difflib.get_close_matches(str(word), pool, n=1, cutoff=0.6)
    return f'did you mean "{match[0]}"?' if match else None
