"""The human change summary of ``trackgen diff``: what this taxonomy changes against the lock.

Reviewers read the generated diff; this is its table of contents, read from the
released snapshot in the lock (``evolution.lock_entry``): events added,
deprecated, reactivated or re-versioned (SchemaVer); KPIs added, given a new
version, deprecated, reactivated or rescheduled.  Destructive changes never get
here: ``evolution.check`` refuses them first.
"""

from __future__ import annotations

from dataclasses import dataclass

from .evolution import snapshot
from .model import Taxonomy


@dataclass(frozen=True)
class Change:
    kind: str  # added, deprecated, reactivated, version, refresh, removed
    subject: str  # "event" or "KPI"
    name: str
    detail: str = ""

    def line(self) -> str:
        text = f"{self.kind} {self.subject} {self.name}"
        return f"{text}: {self.detail}" if self.detail else text


def _label(key: str) -> str:
    name, _, version = key.partition("@")
    return name if version == "1" else key


def _recorded(lock: dict | None) -> tuple[dict, dict]:
    """(events, KPIs by name@version) as released; a lock older than the snapshot kept events and KPIs by name."""
    found = snapshot(lock)
    if found is not None:
        return found.get("events") or {}, found.get("kpis") or {}
    before = lock or {}
    old_kpis = {f"{name}@1": {"status": "active"} for name in (before.get("kpis") or {})}
    return before.get("events") or {}, old_kpis


def summarise(taxonomy: Taxonomy, lock: dict | None) -> list[Change]:
    old_events, old_kpis = _recorded(lock)
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
    released_names = {key.partition("@")[0] for key in old_kpis}
    for kpi in taxonomy.kpis:
        was = old_kpis.get(kpi.key)
        if was is None:
            if kpi.name in released_names:
                older = sorted(int(k.partition("@")[2]) for k in old_kpis if k.partition("@")[0] == kpi.name)
                out.append(Change("version", "KPI", kpi.name, f"version {older[-1]} -> {kpi.version} "
                                  f"(new objects {kpi.sql_name}; version {older[-1]} keeps its history)"))
            else:
                out.append(Change("added", "KPI", kpi.label, kpi.type))
            continue
        replaced = taxonomy.kpi(kpi.replaced_by) if kpi.replaced_by else None
        if was.get("status") == "active" and not kpi.active:
            out.append(Change("deprecated", "KPI", kpi.label, f"replaced by {replaced.label}" if replaced else ""))
        elif was.get("status") == "deprecated" and kpi.active:
            out.append(Change("reactivated", "KPI", kpi.label))
        if "refresh" in was and kpi.type != "ratio" and was.get("refresh") != kpi.refresh:
            out.append(Change("refresh", "KPI", kpi.label, f'"{was.get("refresh")}" -> "{kpi.refresh}"'))
    for key in sorted(set(old_kpis) - {k.key for k in taxonomy.kpis}):
        out.append(Change("removed", "KPI", _label(key)))
    return out


def markdown(changes: list[Change], files: list[tuple[str, str]], docs: str = "generated/docs") -> str:
    """``trackgen diff --markdown``: the same lines as the plain summary, for a pull request description.

    Each event and KPI links to its section of the generated docs (which use the same words:
    status, "replaced by", version), except a removed one, which has no section.  ``files``
    are (verb, path) pairs.
    """
    from .plan.docs import slug

    out = ["## Tracking plan changes", ""]
    for subject, page in (("event", "events.md"), ("KPI", "kpis.md")):
        mine = [c for c in changes if c.subject == subject]
        out.append(f"### {subject[0].upper() + subject[1:]}s" if subject == "event" else "### KPIs")
        out.append("")
        if not mine:
            out.append(f"- no {subject} changes")
        for change in mine:
            name = change.name if change.kind == "removed" else f"[{change.name}]({docs}/{page}#{slug(change.name)})"
            text = f"{change.kind} {change.subject} {name}"
            out.append(f"- {text}: {change.detail}" if change.detail else f"- {text}")
        out.append("")
    out += ["### Files", ""]
    out += [f"- {verb} `{path}`" for verb, path in files] or ["- no file changes"]
    out += ["", f"{len(files)} files would change"]
    return "\n".join(out) + "\n"
