"""``distinct_actors``: distinct actor hashes per cell, from the per-cell facts."""

from __future__ import annotations

from ...catalog import DbObject
from .common import EventKpi


class DistinctActorsPlan(EventKpi):
    type = "distinct_actors"

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        self.net_val_cols = ", value"

    def cache_tables(self) -> list[DbObject]:
        return self.facts_table()
