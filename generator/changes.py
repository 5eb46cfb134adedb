"""The human change summary of ``trackgen diff``: what this taxonomy changes against the lock.

Reviewers read the generated diff; this is its table of contents: events added,
deprecated or re-versioned (SchemaVer), KPIs added, removed or redefined.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from .model import Kpi, Taxonomy


def _kpi_digest(kpi: Kpi) -> str:
    """A stable fingerprint of a KPI's definition (not its description)."""
    fields = {k: v for k, v in kpi.__dict__.items() if k not in ("span", "description", "owner")}
    return json.dumps(fields, sort_keys=True, default=lambda o: o.__dict__ if hasattr(o, "__dict__") else str(o))


def lock_entry(taxonomy: Taxonomy) -> dict:
    """What the lock records so the next run can say what changed."""
    return {
        "events": {e.id: {"status": e.status, "version": e.version} for e in taxonomy.events},
        "kpis": {k.name: {"type": k.type, "definition": _kpi_digest(k)} for k in taxonomy.kpis},
    }


@dataclass(frozen=True)
class Change:
    kind: str  # added, deprecated, reactivated, version, removed, redefined
    subject: str  # "event" or "KPI"
    name: str
    detail: str = ""

    def line(self) -> str:
        text = f"{self.kind} {self.subject} {self.name}"
        return f"{text}: {self.detail}" if self.detail else text


def summarise(taxonomy: Taxonomy, lock: dict | None) -> list[Change]:
    before = lock or {}
    old_events: dict = before.get("events") or {}
    old_kpis: dict = before.get("kpis") or {}
    out: list[Change] = []
    for event in taxonomy.events:
        was = old_events.get(event.id)
        if was is None:
            out.append(Change("added", "event", event.id, f"{event.tier} tier, version {event.version}"))
            continue
        if was.get("status") == "active" and not event.active:
            out.append(Change("deprecated", "event", event.id,
                              f"replaced by {event.replaced_by}" if event.replaced_by else ""))
        elif was.get("status") == "deprecated" and event.active:
            out.append(Change("reactivated", "event", event.id))
        if was.get("version") != event.version:
            out.append(Change("version", "event", event.id, f"SchemaVer {was.get('version')} -> {event.version}"))
    for event_id in sorted(set(old_events) - {e.id for e in taxonomy.events}):
        out.append(Change("removed", "event", event_id, "event ids are never removed; deprecate instead"))
    for kpi in taxonomy.kpis:
        was = old_kpis.get(kpi.name)
        if was is None:
            out.append(Change("added", "KPI", kpi.name, kpi.type))
        elif was.get("definition") != _kpi_digest(kpi):
            out.append(Change("redefined", "KPI", kpi.name, kpi.type))
    for name in sorted(set(old_kpis) - {k.name for k in taxonomy.kpis}):
        out.append(Change("removed", "KPI", name))
    return out
