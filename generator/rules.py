"""Validate (meaning): rules on tiers and events that a JSON Schema cannot express.

Codes are stable and listed in the README (Diagnostics):
E202 tier, E203 personal data, E204 free text, E205 bad example, E206 duplicate
event, E208 unsafe format, E209 pattern admits free text, E211 unbounded number,
E212 unbounded array, E213 deprecation, E216 duplicate tier.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from jsonschema import Draft202012Validator, FormatChecker

from .build import Built
from .diagnostics import Diagnostic
from .model import Event, Property, Taxonomy, ValueType
from .payload import SAFE_FORMATS, UNCHECKED_FORMATS, payload_schema
from .pii import find_pii
from .suggest import did_you_mean


def check(built: Built) -> list[Diagnostic]:
    taxonomy = built.taxonomy
    assert taxonomy is not None
    out: list[Diagnostic] = []
    out.extend(_tiers(taxonomy, built))
    out.extend(_files(built, taxonomy))
    for event in taxonomy.events:
        out.extend(_event(event, taxonomy, built))
    return out


def _tiers(taxonomy: Taxonomy, built: Built) -> Iterator[Diagnostic]:
    wanted = taxonomy.project.network_tier
    if wanted is not None and taxonomy.tiers:
        tier = taxonomy.tier(wanted)
        if tier is None or tier.system:
            span = built.project_doc.span(("privacy", "network_tier")) if built.project_doc else None
            yield Diagnostic("E202", f'privacy.network_tier "{wanted}" is not a caller tier', span,
                             hint=did_you_mean(wanted, [t.name for t in taxonomy.tiers if not t.system]))
    callers = [t.name for t in taxonomy.tiers if not t.system]
    for i, name in enumerate(taxonomy.project.site_read_tiers or ()):
        if taxonomy.tiers and name not in callers:
            span = built.project_doc.span(("privacy", "site_read_tiers", i)) if built.project_doc else None
            yield Diagnostic("E202", f'privacy.site_read_tiers: "{name}" is not a caller tier', span,
                             hint=did_you_mean(name, callers) or "caller tiers: " + ", ".join(callers))
    seen: dict[str, int] = {}
    for tier in taxonomy.tiers:
        if tier.name in seen:
            yield Diagnostic("E216", f'tier "{tier.name}" is declared twice', tier.span)
        seen[tier.name] = tier.rank


def _files(built: Built, taxonomy: Taxonomy) -> Iterator[Diagnostic]:
    names = [t.name for t in taxonomy.tiers]
    for file, (tier, span) in sorted(built.file_tiers.items()):
        if taxonomy.tier(tier) is None:
            yield Diagnostic("E202", f'unknown tier "{tier}"', span,
                             hint=did_you_mean(tier, names) or "declare it in tiers.yaml")
        elif not file.endswith(f"/events/{tier}.yaml"):
            yield Diagnostic("E202", f'events of tier "{tier}" belong in events/{tier}.yaml', span)
    by_id: dict[str, Event] = {}
    for event in taxonomy.events:
        first = by_id.get(event.id)
        if first is None:
            by_id[event.id] = event
        else:
            where = f"{first.span.file}:{first.span.line}" if first.span else "elsewhere"
            yield Diagnostic("E206", f'event "{event.id}" is defined twice (first at {where})', event.span,
                             hint="event ids are never reused; pick another id")


def _event(event: Event, taxonomy: Taxonomy, built: Built) -> Iterator[Diagnostic]:
    label = f'event "{event.id}"'
    file_tier = next((t for f, (t, _) in built.file_tiers.items() if event.span and f == event.span.file), None)
    if file_tier is not None and event.tier != file_tier and taxonomy.tier(file_tier) is not None:
        yield Diagnostic("E202", f'{label}: id starts with "{event.tier}." but the file is for tier "{file_tier}"',
                         event.span, hint=f"ids in this file start with {file_tier}.")
    elif taxonomy.tier(event.tier) is None:
        yield Diagnostic("E202", f'{label}: unknown tier "{event.tier}"', event.span,
                         hint=did_you_mean(event.tier, [t.name for t in taxonomy.tiers]))
    if event.status == "deprecated" and not event.deprecation_reason:
        yield Diagnostic("E213", f"{label} is deprecated without a deprecation reason", event.span,
                         hint="add deprecation: {reason: ..., replaced_by: ...}")
    if event.status == "active" and event.deprecation_reason:
        yield Diagnostic("E213", f"{label} has a deprecation block but status active", event.span,
                         hint="set status: deprecated, or remove the deprecation block")
    if event.replaced_by is not None:
        target = taxonomy.event(event.replaced_by)
        if target is None or not target.active or target.id == event.id:
            yield Diagnostic("E213", f'{label}: replaced_by "{event.replaced_by}" is not an active event', event.span,
                             hint=did_you_mean(event.replaced_by, [e.id for e in taxonomy.events if e.active]))
    for prop in event.properties:
        yield from _property(event, prop, taxonomy)
    if event.id not in built.partial_events:
        yield from _examples(event, taxonomy, built)


def _property(event: Event, prop: Property, taxonomy: Taxonomy) -> Iterator[Diagnostic]:
    label = f'event "{event.id}": property "{prop.name}"'
    match = find_pii(prop.name, taxonomy.project.pii_deny)
    if match and prop.pii_exempt is None:
        yield Diagnostic("E203", f'{label} looks like personal data (matches "{match.pattern}")', prop.span,
                         hint="payloads may not carry PHI/PII; describe the action, not the person")
    yield from _value(label, prop, prop.value)


def _value(label: str, prop: Property, value: ValueType) -> Iterator[Diagnostic]:
    span = prop.span
    if value.type == "string":
        if value.format in UNCHECKED_FORMATS:
            yield Diagnostic("E208", f'{label}: format "{value.format}" is not checked by the database, '
                                     "so the value would be free text", span,
                             hint="allowed formats: " + ", ".join(SAFE_FORMATS)
                             + "; for an amount of time use a bounded number (e.g. seconds), else a pattern")
        elif value.format is not None and value.format not in SAFE_FORMATS:
            yield Diagnostic("E208", f'{label}: format "{value.format}" can carry personal data', span,
                             hint="allowed formats: " + ", ".join(SAFE_FORMATS))
        elif value.enum is None and value.pattern is None and value.format is None:
            yield Diagnostic("E204", f"{label} is a free-text string", span,
                             hint="strings need enum, pattern or a safe format; free text can carry PHI")
        if value.pattern is not None:
            problem = _pattern_problem(value.pattern)
            if problem:
                yield Diagnostic("E209", f"{label}: pattern {value.pattern!r} {problem}", span,
                                 hint="anchor it with ^...$ and spell out the characters allowed")
    if value.type in ("integer", "number"):
        low = value.minimum if value.minimum is not None else value.exclusive_minimum
        high = value.maximum if value.maximum is not None else value.exclusive_maximum
        if low is None or high is None:
            yield Diagnostic("E211", f"{label} is an unbounded {value.type}", span,
                             hint="give minimum and maximum; an unbounded number can smuggle an identifier")
        elif low > high:
            yield Diagnostic("E211", f"{label}: minimum {low} is above maximum {high}", span)
    if value.type == "array":
        if value.max_items is None:
            yield Diagnostic("E212", f"{label} is an unbounded array", span, hint="give maxItems")
        if value.items is None:
            yield Diagnostic("E212", f"{label} is an array without items", span, hint="describe items: {type: ...}")
        elif value.items.type == "array":
            yield Diagnostic("E212", f"{label}: arrays of arrays are not allowed", span)
        else:
            yield from _value(label + " items", prop, value.items)


def _pattern_problem(pattern: str) -> str | None:
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"is not a valid regular expression ({exc})"
    if not (pattern.startswith("^") and pattern.endswith("$")):
        return "is not anchored at both ends"
    # a "." outside [...] is any character; inside a class it is a literal dot
    outside_classes = re.sub(r"\[(?:\\.|[^\]\\])*\]", "", pattern)
    if "[^" in pattern or re.search(r"\\[SWD]", pattern) or re.search(r"(?<!\\)\.", outside_classes):
        return "admits arbitrary characters (free text)"
    return None


def _examples(event: Event, taxonomy: Taxonomy, built: Built) -> Iterator[Diagnostic]:
    doc = built.docs.get(event.span.file) if event.span else None
    schema = payload_schema(taxonomy.project.name, event)
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    for i, example in enumerate(event.examples):
        base = ("events", event.id, "examples", i)
        for error in sorted(validator.iter_errors(example), key=lambda e: [str(p) for p in e.absolute_path]):
            path = base + tuple(error.absolute_path)
            if error.validator == "additionalProperties" and isinstance(error.instance, dict):
                extra = sorted(set(error.instance) - set(schema["properties"]))
                for key in extra:
                    yield Diagnostic("E205", f'event "{event.id}": example {i + 1} has unknown property "{key}"',
                                     doc.span(base + (key,), key=True) if doc else event.span,
                                     hint=did_you_mean(key, schema["properties"]) or "examples may only use declared properties")
                continue
            yield Diagnostic("E205", f'event "{event.id}": example {i + 1} is invalid: {error.message}',
                             doc.span(path) if doc else event.span)
