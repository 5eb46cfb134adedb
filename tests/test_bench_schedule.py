"""The second pass of a budgeted backfill (bench/schedule.py): which cut-off jobs to run again."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.schedule import plan_retries  # noqa: E402

DEPS = {"rolling": {"base"}}


def test_time_goes_to_the_retries_that_can_finish():
    # three jobs cut at 20 s; 100 s left: one is dropped so the other two get 50 s (> 1.5 x 20 s)
    chosen = plan_retries(["base", "b", "c", "rolling"], {"base": 20, "b": 20, "c": 20}, DEPS, 100, 120)
    assert chosen == {"base", "b", "rolling"}


def test_a_job_reading_a_dropped_job_is_dropped_too():
    chosen = plan_retries(["base", "rolling"], {"base": 20}, DEPS, 25, 120)
    assert chosen == set()


def test_without_time_nothing_is_retried_and_with_plenty_everything_is():
    assert plan_retries(["base", "b"], {"base": 20, "b": 20}, {}, 10, 120) == set()
    assert plan_retries(["base", "b", "rolling"], {"base": 20, "b": 20}, DEPS, 1000, 120) == {"base", "b", "rolling"}


def test_the_cap_bounds_each_share():
    # plenty of time, but a cap below 1.5 x the first try: retrying could not finish either
    assert plan_retries(["base"], {"base": 100}, {}, 1000, 120) == set()
