"""Lineage against the lock: a KPI's inputs may not change under it silently.

The lock (``generated/trackgen.lock.json``) records, per KPI, the events and the
payload fields that fed it at the last generate, with each field's JSON Schema.
On the next run a field a KPI reads may not be retyped or removed, and an event it
read may not be deprecated, without the error naming the KPI: the analyst then
changes the KPI first (or on purpose, together) instead of finding a broken
dashboard later.  E311 field changed under a KPI, E312 event deprecated under a KPI.
"""

from __future__ import annotations

import json

from .diagnostics import Diagnostic
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


def check(taxonomy: Taxonomy, lock: dict | None) -> list[Diagnostic]:
    recorded = (lock or {}).get("lineage") or {}
    out: list[Diagnostic] = []
    deprecated_under: dict[str, list[str]] = {}
    for kpi_name, entry in sorted(recorded.items()):
        kpi = taxonomy.kpi(kpi_name)
        if kpi is None:  # the KPI itself went away in this change: nothing reads the old inputs
            continue
        for key, was in sorted((entry.get("fields") or {}).items()):
            event_id, _, field = key.rpartition(".")
            event = taxonomy.event(event_id)
            if event is None:
                continue
            now = field_signature(taxonomy, event_id, field)
            if now != was:
                prop = event.property(field)
                change = "was removed" if now is None else f"changed from {was} to {now}"
                out.append(Diagnostic(
                    "E311", f'event "{event_id}": field "{field}" is used by KPI "{kpi_name}" and {change}',
                    prop.span if prop else event.span,
                    hint=f'change KPI "{kpi_name}" first, or add a new field and deprecate the old one'))
        for event_id in entry.get("events") or []:
            event = taxonomy.event(event_id)
            if event is not None and not event.active:
                deprecated_under.setdefault(event_id, []).append(kpi_name)
    for event_id, kpis in sorted(deprecated_under.items()):
        event = taxonomy.event(event_id)
        out.append(Diagnostic(
            "E312", f'event "{event_id}" is deprecated but KPIs read it: {", ".join(sorted(kpis))}',
            event.span if event else None,
            hint="point those KPIs at the replacement event in the same change"))
    return out
