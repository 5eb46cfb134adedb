"""Lineage in the lock: per KPI, the events and payload fields that feed it, with each field's schema.

The lock (``generated/trackgen.lock.json``) keeps it for the docs and reviewers
(which KPIs a field change would touch).  Refusing changes is the job of
``evolution``: a released field is never removed, retyped or narrowed, whoever
reads it (E402, E404-E407, which replaced E311), and deprecating an event is fine
for a KPI that reads it through a wildcard, while one listing it explicitly gets
E306 with a hint to version the KPI (which replaced E312).
"""

from __future__ import annotations

import json

from .model import Taxonomy
from .payload import value_schema
from .resolve import lineage


def field_signature(taxonomy: Taxonomy, event_id: str, name: str) -> str | None:
    event = taxonomy.event(event_id)
    prop = event.property(name) if event else None
    if prop is None:
        return None
    return json.dumps(value_schema(prop.value), sort_keys=True)


def lock_entry(taxonomy: Taxonomy) -> dict:
    """What the lock keeps about lineage: per KPI, its events and its fields with their schemas."""
    out: dict[str, dict] = {}
    for name, item in sorted(lineage(taxonomy).items()):
        out[name] = {
            "events": list(item.events),
            "fields": {f"{event}.{field}": field_signature(taxonomy, event, field) for event, field in item.fields},
            "kpis": list(item.kpis),
        }
    return {"lineage": out}
