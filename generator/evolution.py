"""Evolution against the lock: released events, properties and KPIs change only additively.

The lock (``generated/trackgen.lock.json``) keeps a snapshot of the released
taxonomy (``lock_entry``): every event with its tier, status, SchemaVer and
properties (value schema, required flag), and every KPI version with the part of
its definition that decides its history.  The next compile compares the taxonomy
with that snapshot (``check``) and refuses, each with its own code, a position and
a hint at the additive way:

- E401 an event removed or renamed (ids are never deleted or reused: deprecate);
- E402 a property removed or renamed;
- E403 a KPI version removed or renamed;
- E404 a property retyped;
- E405 enum values removed;
- E406 a bound narrowed (minimum up, maximum down, lengths, item counts, multipleOf, uniqueItems);
- E407 a string's allowed form changed (pattern, format, or a switch between enum, pattern and format);
- E408 a property made required, or a new required property on a released event;
- E409 an event moved to another tier (the tier is part of its id);
- E410 a released KPI version redefined in a way that rewrites its history.

Allowed: new events, optional properties, enum values, wider bounds, new KPIs and
new KPI versions, deprecations, SchemaVer bumps, descriptions, owners and refresh
schedules.  A KPI's history is defined by its type, its explicit event patterns,
filters (``where``, ``tiers``), grain, dimensions and type-specific semantics
(percentile field and p, ratio and rolling parts with their versions, rolling
window, funnel order, window and steps, retention cohort, returning and periods).
A wildcard such as ``consumer.*`` is recorded as written, so an event joining or
leaving it (new, or deprecated) is not a change of the KPI: it matches the tier's
active events at each generate, and rows already counted stay counted.

A lock written before this snapshot existed has nothing to compare with; the
next generate records it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .build import Built
from .diagnostics import Diagnostic, Span
from .load import Document
from .model import Event, Kpi, Selection, Taxonomy
from .payload import value_schema

LOCK_KEY = "taxonomy"


# --------------------------------------------------------------------------- the snapshot


def _selection(sel: Selection | None, *, tiers: bool = True) -> dict[str, Any]:
    if sel is None:
        return {}
    out: dict[str, Any] = {"events": sorted(sel.patterns),
                           "where": {name: sorted(values, key=json.dumps) for name, values in sel.where}}
    if tiers:
        out["tiers"] = sorted(sel.tiers)
    return out


def history(kpi: Kpi, taxonomy: Taxonomy) -> dict[str, Any]:
    """The part of a KPI's definition that decides the values of its past periods (not its description,
    owner, refresh or status).  KPI parts are named ``name@version``."""
    def ref(sql_name: str | None) -> str | None:
        target = taxonomy.kpi(sql_name) if sql_name else None
        return target.key if target else sql_name

    out: dict[str, Any] = {"type": kpi.type}
    if kpi.type in ("count", "distinct_actors", "percentile"):
        out.update(_selection(kpi.selection), by=list(kpi.by), grain=kpi.grain)
    if kpi.type == "percentile":
        out.update(field=kpi.field, p=sorted(kpi.percentiles))
    if kpi.type == "ratio":
        out.update(numerator=ref(kpi.numerator), denominator=ref(kpi.denominator))
    if kpi.type == "rolling":
        out.update(kpi=ref(kpi.base), window=kpi.window)
    if kpi.type == "funnel":
        out.update(order=kpi.order, window=kpi.window, by=list(kpi.by),
                   steps=[{"name": s.name, **_selection(s.selection, tiers=False)} for s in kpi.steps])
    if kpi.type == "retention":
        out.update(cohort=dict(_selection(kpi.cohort), grain=kpi.cohort_grain),
                   returning=_selection(kpi.returning, tiers=False), periods=kpi.periods)
    return out


def _event_entry(event: Event) -> dict[str, Any]:
    return {
        "tier": event.tier,
        "status": event.status,
        "version": event.version,
        "properties": {p.name: {"required": p.required, "schema": value_schema(p.value)} for p in event.properties},
    }


def lock_entry(taxonomy: Taxonomy, kpi_files: dict[str, str]) -> dict[str, Any]:
    """The snapshot the next compile compares with; ``kpi_files`` maps ``name@version`` to its file
    (relative to the taxonomy folder), so a removed KPI can be reported in the file it was in."""
    kpis = {}
    for kpi in taxonomy.kpis:
        kpis[kpi.key] = {
            "file": kpi_files.get(kpi.key),
            "status": kpi.status,
            "replaced_by": taxonomy.kpi(kpi.replaced_by).key if kpi.replaced_by and taxonomy.kpi(kpi.replaced_by)
            else None,
            "refresh": kpi.refresh if kpi.type != "ratio" else None,
            "history": history(kpi, taxonomy),
        }
    return {LOCK_KEY: {"events": {e.id: _event_entry(e) for e in taxonomy.events}, "kpis": kpis}}


def snapshot(lock: dict | None) -> dict[str, Any] | None:
    """The recorded snapshot, or None when the lock predates it (or there is no lock)."""
    found = (lock or {}).get(LOCK_KEY)
    return found if isinstance(found, dict) else None


# --------------------------------------------------------------------------- comparing value schemas


@dataclass(frozen=True)
class Narrowing:
    code: str
    detail: str
    keyword: tuple[str, ...]  # where in the property's YAML (e.g. ("items", "maximum"))


def _bound(schema: dict, inclusive: str, exclusive: str) -> tuple[float, bool] | None:
    """(value, is_exclusive) of one side's bound, or None when unbounded."""
    if schema.get(exclusive) is not None:
        return schema[exclusive], True
    if schema.get(inclusive) is not None:
        return schema[inclusive], False
    return None


def _describe_bound(bound: tuple[float, bool] | None, inclusive: str, exclusive: str) -> str:
    if bound is None:
        return "none"
    return f"{exclusive if bound[1] else inclusive} {bound[0]}"


def _narrower_low(old: tuple | None, new: tuple | None) -> bool:
    if new is None:
        return False
    if old is None:
        return True
    return new[0] > old[0] or (new[0] == old[0] and new[1] and not old[1])


def _narrower_high(old: tuple | None, new: tuple | None) -> bool:
    if new is None:
        return False
    if old is None:
        return True
    return new[0] < old[0] or (new[0] == old[0] and new[1] and not old[1])


def narrowings(old: dict, new: dict, at: tuple[str, ...] = ()) -> list[Narrowing]:
    """What a payload valid under ``old`` may no longer be under ``new``; widening is not reported."""
    if old.get("type") != new.get("type"):
        return [Narrowing("E404", f"retyped from {old.get('type')} to {new.get('type')}", at + ("type",))]
    out: list[Narrowing] = []
    forms = [k for k in ("enum", "pattern", "format") if k in old]
    if "enum" in old and "enum" in new:
        gone = [v for v in old["enum"] if v not in new["enum"]]
        if gone:
            out.append(Narrowing("E405", "enum values removed: " + ", ".join(map(str, gone)), at + ("enum",)))
    for key in ("pattern", "format"):
        if key in new and new.get(key) != old.get(key):
            detail = (f"{key} changed from {json.dumps(old[key])} to {json.dumps(new[key])}" if key in old else
                      f"{key} {json.dumps(new[key])} added (it had {' and '.join(forms) or f'no {key}'})")
            out.append(Narrowing("E407", detail, at + (key,)))
    if "enum" in new and "enum" not in old and old.get("type") == "string":
        out.append(Narrowing("E407", f"now an enum, was {' and '.join(forms) or 'unrestricted'}", at + ("enum",)))
    # dropping every restriction would be wider; E204 refuses such a free-text string on its own
    sides = (("lower bound raised", "minimum", "exclusiveMinimum", _narrower_low),
             ("upper bound lowered", "maximum", "exclusiveMaximum", _narrower_high))
    for what, inclusive, exclusive, narrower in sides:
        was, now = _bound(old, inclusive, exclusive), _bound(new, inclusive, exclusive)
        if narrower(was, now):
            shown = _describe_bound(now, inclusive, exclusive)
            out.append(Narrowing("E406", f"{what} from {_describe_bound(was, inclusive, exclusive)} to {shown}"
                                 if was is not None else f"{shown} added (it had no {inclusive})",
                                 at + (exclusive if now and now[1] else inclusive,)))
    for key, up_is_narrower in (("minLength", True), ("maxLength", False), ("minItems", True), ("maxItems", False)):
        was, now = old.get(key), new.get(key)
        if up_is_narrower:  # no minLength/minItems means 0
            was, now = (0 if was is None else was), (0 if now is None else now)
        if now is None or was == now:
            continue
        if was is None or (now > was if up_is_narrower else now < was):
            out.append(Narrowing("E406", f"{key} {now} added" if was is None else
                                 f"{key} {'raised' if up_is_narrower else 'lowered'} from {was} to {now}", at + (key,)))
    was, now = old.get("multipleOf"), new.get("multipleOf")
    if now is not None and now != was and (was is None or was % now != 0):
        out.append(Narrowing("E406", f"multipleOf changed from {'none' if was is None else was} to {now}",
                             at + ("multipleOf",)))
    if new.get("uniqueItems") and not old.get("uniqueItems"):
        out.append(Narrowing("E406", "uniqueItems added", at + ("uniqueItems",)))
    if isinstance(old.get("items"), dict) and isinstance(new.get("items"), dict):
        out.extend(narrowings(old["items"], new["items"], at + ("items",)))
    return out


# --------------------------------------------------------------------------- the check


def _written(doc: Document, base: tuple, path: tuple, fallback: tuple) -> Span:
    """The span of ``base + path`` if that value is in the file, else of the key at ``base + fallback``."""
    if base + path in doc.values:
        return doc.values[base + path]
    return doc.span(base + fallback, key=True)


class _Checker:
    def __init__(self, taxonomy: Taxonomy, built: Built | None):
        self.tax = taxonomy
        self.built = built
        self.out: list[Diagnostic] = []

    # positions ---------------------------------------------------------

    def _doc(self, rel: str) -> Document | None:
        if self.built is None:
            return None
        return next((d for d in self.built.docs.values() if d.rel == rel), None)

    def where_file(self, rel: str | None, key: str) -> Span | None:
        """The top-level ``key`` of a taxonomy file (e.g. ``events:``), or that file's start."""
        doc = self._doc(rel) if rel else None
        if doc is None:
            doc = self._doc("tiers.yaml")
            return doc.span(("tiers",), key=True) if doc else None
        return doc.span((key,), key=True)

    def event_span(self, event: Event, *path: Any, fallback: tuple = ()) -> Span | None:
        """The value at ``path`` inside the event; when it is not written (a default), the key at ``fallback``."""
        doc = self.built.docs.get(event.span.file) if self.built and event.span else None
        if doc is None:
            return event.span
        return _written(doc, ("events", event.id), tuple(path), fallback)

    def kpi_span(self, kpi: Kpi, *path: Any) -> Span | None:
        """The value at ``path`` inside the KPI entry; when it is not written (a default), the KPI's name."""
        found = self.built.kpi_docs.get(kpi.key) if self.built else None
        if not found:
            return kpi.span
        doc, base = found
        return _written(doc, base, tuple(path), ("name",))

    # events ---------------------------------------------------------------

    def events(self, recorded: dict[str, dict]) -> None:
        now = {e.id: e for e in self.tax.events}
        for event_id, was in sorted(recorded.items()):
            event = now.get(event_id)
            if event is None:
                self.removed_event(event_id, was, now, recorded)
                continue
            self.properties(event, was.get("properties") or {})
        for event in self.tax.events:  # a new property on a released event must be optional
            was = recorded.get(event.id)
            if was is None:
                continue
            for prop in event.properties:
                if prop.name not in (was.get("properties") or {}) and prop.required:
                    self.out.append(Diagnostic(
                        "E408", f'event "{event.id}": new property "{prop.name}" is required, but clients of the '
                                "released event do not send it", prop.span,
                        hint="add it with required: false (or add a new event that requires it)"))

    def removed_event(self, event_id: str, was: dict, now: dict[str, Event], recorded: dict) -> None:
        tier, _, name = event_id.partition(".")
        moved = [e for e in now.values() if e.name == name and e.tier != tier and e.id not in recorded]
        if moved:
            target = moved[0]
            self.out.append(Diagnostic(
                "E409", f'event "{event_id}" moved to tier "{target.tier}" as "{target.id}"; an event never '
                        "changes tier", target.span,
                hint=f'the tier is part of the id and of who may send it: keep "{event_id}" (deprecate it) '
                     f'and add "{target.id}" as a new event'))
            return
        status = " (deprecated)" if was.get("status") == "deprecated" else ""
        self.out.append(Diagnostic(
            "E401", f'event "{event_id}"{status} was released and is gone (removed or renamed)',
            self.where_file(f"events/{tier}.yaml", "events"),
            hint="event ids are never deleted or reused: keep it with status: deprecated and a deprecation "
                 "block (replaced_by names the new event)"))

    def properties(self, event: Event, recorded: dict[str, dict]) -> None:
        for name, was in sorted(recorded.items()):
            prop = event.property(name)
            if prop is None:
                self.out.append(Diagnostic(
                    "E402", f'event "{event.id}": released property "{name}" is gone (removed or renamed)',
                    self.event_span(event, "-", fallback=("properties",)) if event.properties else event.span,
                    hint="properties are never removed or renamed: keep it (required: false if clients stop "
                         "sending it); a new name is a new optional property"))
                continue
            for change in narrowings(was.get("schema") or {}, value_schema(prop.value)):
                self.out.append(Diagnostic(
                    change.code, f'event "{event.id}": property "{name}" {change.detail}',
                    self.event_span(event, "properties", name, *change.keyword, fallback=("properties", name)),
                    hint=_NARROWING_HINT[change.code]))
            if prop.required and not was.get("required", True):
                self.out.append(Diagnostic(
                    "E408", f'event "{event.id}": optional property "{name}" made required',
                    self.event_span(event, "properties", name, "required", fallback=("properties", name)),
                    hint="clients that leave it out would be rejected: keep it optional"))

    # KPIs -----------------------------------------------------------------

    def kpis(self, recorded: dict[str, dict]) -> None:
        now = {k.key: k for k in self.tax.kpis}
        for key, was in sorted(recorded.items()):
            kpi = now.get(key)
            if kpi is None:
                self.removed_kpi(key, was, now)
                continue
            changes = differences(was.get("history") or {}, history(kpi, self.tax))
            if not changes:
                continue
            detail = "; ".join(f"{label} {_show(old)} -> {_show(new)}" for label, old, new, _ in changes)
            self.out.append(Diagnostic(
                "E410", f'KPI "{kpi.label}" was released and this would rewrite its history: {detail}',
                self.kpi_span(kpi, *changes[0][3]),
                hint=f"leave this entry as it is and mark it status: deprecated; put the change in a new entry "
                     f"with name: {kpi.name} and version: {_next_version(kpi, self.tax, recorded)}"))

    def removed_kpi(self, key: str, was: dict, now: dict[str, Kpi]) -> None:
        name, _, version = key.partition("@")
        label = name if version == "1" else key
        others = sorted(k.label for k in now.values() if k.name == name)
        extra = f" (still defined: {', '.join(others)})" if others else ""
        self.out.append(Diagnostic(
            "E403", f'KPI "{label}" was released and is gone (removed, renamed or re-versioned){extra}',
            self.where_file(was.get("file"), "kpis"),
            hint="its views are API and its history is data: keep the entry, with status: deprecated and "
                 "deprecation: {reason: ..., replaced_by: ...}"))


#: the order in which a KPI's changed aspects are named (the first one is where the error points)
_ASPECTS = ("type", "events", "tiers", "where", "by", "grain", "field", "p", "numerator", "denominator", "kpi",
            "window", "order", "steps", "cohort", "returning", "periods")

_NARROWING_HINT = {
    "E404": "a released property keeps its type: add a new property with the new type and stop sending this one",
    "E405": "released enum values stay valid: keep them (add new ones freely)",
    "E406": "bounds may only widen: keep the old bound, or add a new property",
    "E407": "a released string keeps its form: keep the pattern or format, or add a new property",
}


def _show(value: Any) -> str:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "[" + ", ".join(value) + "]" if value else "none"
    return json.dumps(value, sort_keys=True)


_LABELS = {"kpi": "base KPI", "by": "dimensions", "p": "percentiles"}


def differences(before: dict, after: dict) -> list[tuple[str, Any, Any, tuple]]:
    """(label, was, now, YAML path) of each changed aspect of a KPI's history, most telling first.

    Nested definitions (a retention cohort, funnel steps with the same names) are compared part by
    part, so the message names the step or key that changed and the position points at it.
    """
    out: list[tuple[str, Any, Any, tuple]] = []
    aspects = sorted((k for k in set(before) | set(after) if before.get(k) != after.get(k)),
                     key=lambda k: (_ASPECTS.index(k) if k in _ASPECTS else len(_ASPECTS), k))
    for aspect in aspects:
        was, now = before.get(aspect), after.get(aspect)
        path = {"numerator": ("numerator", "kpi"), "denominator": ("denominator", "kpi")}.get(aspect, (aspect,))
        label = _LABELS.get(aspect, aspect)
        if isinstance(was, dict) and isinstance(now, dict):
            out.extend((f"{label}.{key}", was.get(key), now.get(key), path + (key,))
                       for key in sorted(set(was) | set(now)) if was.get(key) != now.get(key))
        elif (aspect == "steps" and isinstance(was, list) and isinstance(now, list)
              and [s.get("name") for s in was] == [s.get("name") for s in now]):
            for i, (old, new) in enumerate(zip(was, now, strict=True)):
                out.extend((f"steps[{new['name']}].{key}", old.get(key), new.get(key), ("steps", i, key))
                           for key in sorted(set(old) | set(new)) if old.get(key) != new.get(key))
        elif aspect == "steps" and isinstance(was, list) and isinstance(now, list):
            out.append(("steps", [s.get("name") for s in was], [s.get("name") for s in now], path))
        else:
            out.append((label, was, now, path))
    return out


def _next_version(kpi: Kpi, taxonomy: Taxonomy, recorded: dict[str, dict]) -> int:
    versions = [k.version for k in taxonomy.kpis if k.name == kpi.name]
    versions += [int(key.partition("@")[2]) for key in recorded if key.partition("@")[0] == kpi.name]
    return max(versions) + 1


def check(taxonomy: Taxonomy, lock: dict | None, built: Built | None = None) -> list[Diagnostic]:
    """Every destructive change against the released snapshot in ``lock``, or [] when there is none."""
    recorded = snapshot(lock)
    if recorded is None:
        return []
    checker = _Checker(taxonomy, built)
    checker.events(recorded.get("events") or {})
    checker.kpis(recorded.get("kpis") or {})
    return checker.out
