"""Progress lines for long phases: rows done, elapsed time and rate, on stderr.

Plain lines (no carriage returns), so a log file of a background run reads the same
as a terminal.
"""

from __future__ import annotations

import sys
import threading
import time


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Progress:
    """``with Progress("load history", total) as p: p.add(n)``; prints at most every
    ``every`` seconds and once at the end. Thread-safe (loader threads call ``add``)."""

    def __init__(self, phase: str, total: int | None = None, unit: str = "rows", every: float = 5.0):
        self.phase = phase
        self.total = total
        self.unit = unit
        self.every = every
        self.done = 0
        self._lock = threading.Lock()
        self._start = 0.0
        self._last = 0.0

    def __enter__(self) -> Progress:
        self._start = self._last = time.monotonic()
        return self

    def add(self, n: int) -> None:
        with self._lock:
            self.done += n
            now = time.monotonic()
            if now - self._last >= self.every:
                self._last = now
                self._print(now)

    def _print(self, now: float) -> None:
        elapsed = now - self._start
        rate = self.done / elapsed if elapsed > 0 else 0.0
        of = f"/{self.total:,}" if self.total else ""
        log(f"{self.phase}: {self.done:,}{of} {self.unit}, {elapsed:.1f} s, {rate:,.0f} {self.unit}/s")

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self._start

    def __exit__(self, *exc: object) -> None:
        self._print(time.monotonic())
