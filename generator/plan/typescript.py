"""Plan the typed TypeScript tracking client under frontend/src/lib/analytics/.

Python decides every name, type, order and quote; the templates under
``templates/ts/`` only loop and print.  The client has three parts:

- ``events.ts``: types only (payload interfaces, the discriminated union, the
  id -> payload map), so it costs nothing at run time;
- ``catalog.ts``: one small definition per event (wire names, camelCase keys and
  the checks of its JSON Schema as data) plus one standalone function per event,
  each importable alone so a bundler drops the events an app does not send;
- ``index.ts``: ``createTracker`` with per-tier namespaces and ``track(id, payload)``,
  which pulls in every event; the static engine (``runtime.ts``, ``validate.ts``,
  ``transports.ts``, ``storage.ts``) is the same for every taxonomy except for the
  constants printed into it (batch limit, plan version, schema name).

The checks are listed in exactly the order the database's payload check
functions run them (``payload_checks.py``): unknown keys first, then missing
required keys in property order, then each present property (type, integer,
bounds, multipleOf, enum, lengths, pattern, format; arrays: maxItems, minItems,
uniqueItems, then each item check over all items).  So the client reports the
same reason and field as the database, not only the same verdict.
"""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import dataclass
from functools import lru_cache

from ..model import Event, Property, Taxonomy, ValueType
from . import Artifact, PlanError
from .database import plan_version

ROOT = "frontend/src/lib/analytics"

#: static modules: (file, template)
STATIC = (
    ("runtime.ts", "ts/runtime.ts.j2"),
    ("storage.ts", "ts/storage.ts.j2"),
    ("transports.ts", "ts/transports.ts.j2"),
    ("validate.ts", "ts/validate.ts.j2"),
)

#: The database's reason codes (README, "Ingestion"), in the order the database checks them.
#: ``batch`` reasons reject a whole call; the others one event.  tests/client checks this list
#: against the SQL templates so the client's ReasonCode type cannot fall behind the database.
DB_REASONS: tuple[tuple[str, str], ...] = (
    ("batch_too_large", "the call carried more events than the database accepts at once: the whole call is "
                        "refused with HTTP 413 (SQLSTATE PT413); the client never sends more than max_batch_size"),
    ("batch_not_an_array", "the call's argument was not a JSON array: the whole call is refused with HTTP 400"),
    ("missing_site", "the caller's JWT has no valid site claim"),
    ("unknown_caller_tier", "the caller's JWT has no known tier claim"),
    ("missing_actor", "the caller's JWT has no user id (sub)"),
    ("bad_network_claim", "the caller's JWT has a network_id claim that is not a UUID"),
    ("not_an_object", "the event is not a JSON object"),
    ("unknown_envelope_field", "the event has a field besides event_id, occurred_at, idempotency_key, payload, plan_version"),
    ("missing_event_id", "event_id is missing or not a string"),
    ("unknown_event", "no such event in the tracking plan"),
    ("deprecated_event", "the event is deprecated; send its replacement"),
    ("tier_not_allowed", "the caller's tier may not send this event"),
    ("bad_idempotency_key", "idempotency_key is missing or not a UUID"),
    ("bad_timestamp", "occurred_at is missing or not an RFC 3339 timestamp"),
    ("timestamp_in_future", "occurred_at is too far in the future"),
    ("timestamp_too_old", "occurred_at is too far in the past"),
    ("bad_plan_version", "plan_version is not a short version string"),
    ("payload_not_object", "payload is missing or not a JSON object"),
    ("payload_too_large", "the payload is larger than the database accepts"),
    ("unknown_property", "the payload has a property the event does not declare"),
    ("missing_property", "a required property is missing"),
    ("wrong_type", "a value has the wrong JSON type (or an integer has a fraction)"),
    ("out_of_range", "a number is outside its bounds or not a multiple of its step"),
    ("bad_enum", "a string is not one of the allowed values"),
    ("bad_pattern", "a string does not match its pattern"),
    ("bad_format", "a string is not a valid date, date-time or UUID"),
    ("too_long", "a string is longer than maxLength"),
    ("too_short", "a string is shorter than minLength"),
    ("too_many_items", "an array has more than maxItems items"),
    ("too_few_items", "an array has fewer than minItems items"),
    ("duplicate_items", "an array that must hold unique items repeats one"),
)

#: Reasons only the client produces (never stored, never sent).
CLIENT_REASONS: tuple[tuple[str, str], ...] = (
    ("http_error", "the server answered 4xx (other than 408 and 429) for the whole batch; not retried"),
    ("retries_exhausted", "network errors or 5xx answers outlasted maxAttempts; the batch was dropped"),
    ("queue_full", "the queue was at maxQueueSize; the oldest event was dropped"),
    ("bad_response", "the server answered 2xx with something other than one result per event"),
)

#: keepalive fetch bodies in flight may not exceed 64 KiB in total (Fetch standard); keep a margin
KEEPALIVE_BUDGET = 60 * 1024
DEFAULT_BATCH = 100
DEFAULT_FUNCTION = "track_events"


@dataclass(frozen=True)
class TsProperty:
    name: str  # wire name, as in the JSON Schema
    key: str  # camelCase key of the TypeScript payload
    key_literal: str  # the key as printed in an interface or object literal
    ts_type: str
    required: bool
    mark: str  # '?' for an optional property, else ''
    doc: tuple[str, ...]  # the JSDoc comment, line by line
    spec: str  # TS object literal of the checks


@dataclass(frozen=True)
class TsEvent:
    id: str
    id_literal: str
    tier: str
    const: str  # PRACTITIONER_PROTOCOL_LOGGED: the definition
    type_name: str  # PractitionerProtocolLoggedPayload
    method: str  # protocolLogged, in the tier's namespace
    function: str  # trackPractitionerProtocolLogged, the standalone function
    validator: str  # validatePractitionerProtocolLogged
    kind: str  # 'product' | 'system': which consent it needs
    kind_literal: str
    deprecated_literal: str  # 'true' | 'false'
    payload_default: str  # ' = {}' for an event without properties, else ''
    arg_mark: str  # '?' for an event without properties (its payload may be left out), else ''
    readme_note: str  # ' (deprecated: use ...)' in the README's event table
    doc: tuple[str, ...]
    deprecated: str | None  # the @deprecated text
    replaced_by: str | None  # TS literal of the replacement's id, or 'null'
    properties: tuple[TsProperty, ...]
    empty: bool  # no properties: the payload argument is optional


@dataclass(frozen=True)
class TsTier:
    name: str
    key: str  # property of the tracker
    interface: str  # PractitionerEvents
    doc: tuple[str, ...]
    events: tuple[TsEvent, ...]


def camel(name: str) -> str:
    """snake_case -> camelCase: 'protocol_category' -> 'protocolCategory', 'dose_2x' -> 'dose2x'."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest if part)


def pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[._]", name) if part)


def ts_string(text: str) -> str:
    """A TypeScript string literal (JSON's rules are a subset of ECMAScript's)."""
    return json.dumps(text, ensure_ascii=False)


def ts_number(value: float | int) -> str:
    if isinstance(value, bool):
        raise TypeError("a bound is never a boolean")
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return json.dumps(value)


def ts_regex(pattern: str) -> str:
    """A regular expression literal with the 'u' flag (JSON Schema patterns are ECMA-262, Unicode).

    Only an unescaped '/' needs escaping; TypeScript checks the literal's syntax at compile time.
    """
    out, escaped, in_class = [], False, False
    for ch in pattern:
        if escaped:
            out.append(ch)
            escaped = False
            continue
        if ch == "\\":
            escaped = True
        elif ch == "[":
            in_class = True
        elif ch == "]":
            in_class = False
        elif ch == "/" and not in_class:
            out.append("\\")
        elif ch in "\n\r\u2028\u2029":
            out.append({"\n": "\\n", "\r": "\\r", "\u2028": "\\u2028", "\u2029": "\\u2029"}[ch])
            continue
        out.append(ch)
    return "/" + "".join(out) + "/u"


@lru_cache(maxsize=65536)
def doc_lines(text: str, width: int = 100) -> tuple[str, ...]:
    """Plain text as JSDoc lines: wrapped, with '*/' defused so a description cannot end the comment.
    Remembered: properties of one name share their description across events, and textwrap is slow."""
    safe = " ".join(text.split()).replace("*/", "*\\/")
    return tuple(textwrap.wrap(safe, width=width, break_long_words=False, break_on_hyphens=False)) or ("",)


def jsdoc(lines: tuple[str, ...] | list[str], deprecated: str | None = None) -> tuple[str, ...]:
    """A whole JSDoc comment, one printed line per item (templates add only the indentation)."""
    body = [f" * {line}" if line else " *" for line in lines]
    if deprecated:
        body.append(f" * @deprecated {deprecated}")
    return ("/**", *body, " */")


def _key_literal(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z_$][A-Za-z0-9_$]*", key) else ts_string(key)


def ts_type(value: ValueType) -> str:
    if value.type == "boolean":
        return "boolean"
    if value.type in ("integer", "number"):
        return "number"
    if value.type == "string":
        return " | ".join(ts_string(e) for e in value.enum) if value.enum else "string"
    assert value.items is not None
    inner = ts_type(value.items)
    return f"ReadonlyArray<{inner}>"


def _describe(value: ValueType) -> str:
    """The constraints in words, for the property's JSDoc."""
    parts: list[str] = []
    if value.type in ("integer", "number"):
        parts.append("Integer" if value.type == "integer" else "Number")
        low = (f">= {ts_number(value.minimum)}" if value.minimum is not None
               else f"> {ts_number(value.exclusive_minimum)}" if value.exclusive_minimum is not None else None)
        high = (f"<= {ts_number(value.maximum)}" if value.maximum is not None
                else f"< {ts_number(value.exclusive_maximum)}" if value.exclusive_maximum is not None else None)
        parts += [b for b in (low, high) if b]
        if value.multiple_of is not None:
            parts.append(f"multiple of {ts_number(value.multiple_of)}")
    elif value.type == "string":
        if value.pattern is not None:
            parts.append(f"matches {value.pattern}")
        if value.format is not None:
            parts.append(f"format {value.format}")
        if value.min_length is not None:
            parts.append(f"at least {value.min_length} characters")
        if value.max_length is not None:
            parts.append(f"at most {value.max_length} characters")
    elif value.type == "array":
        bounds = [f"at least {value.min_items}" if value.min_items is not None else "",
                  f"at most {value.max_items}" if value.max_items is not None else ""]
        parts.append("List, " + " and ".join(b for b in bounds if b) + " items" if any(bounds) else "List")
        if value.unique_items:
            parts.append("no repeats")
        if value.items is not None and value.items.type != "string":
            parts.append("items: " + _describe(value.items).lower())
    return ", ".join(p for p in parts if p)


def value_spec(value: ValueType) -> str:
    """The checks of one value as a TS object literal, keys in the database's check order."""
    fields: list[str] = [f"type: {ts_string(value.type)}"]
    for key, bound in (("minimum", value.minimum), ("exclusiveMinimum", value.exclusive_minimum),
                       ("maximum", value.maximum), ("exclusiveMaximum", value.exclusive_maximum),
                       ("multipleOf", value.multiple_of)):
        if bound is not None and value.type in ("integer", "number"):
            fields.append(f"{key}: {ts_number(bound)}")
    if value.type == "string":
        if value.enum is not None:
            fields.append("enum: [" + ", ".join(ts_string(e) for e in value.enum) + "]")
        if value.min_length is not None:
            fields.append(f"minLength: {value.min_length}")
        if value.max_length is not None:
            fields.append(f"maxLength: {value.max_length}")
        if value.pattern is not None:
            fields.append(f"pattern: {ts_regex(value.pattern)}")
        if value.format in ("date", "date-time", "uuid"):
            # the formats the database checks; 'time' and 'duration' it accepts as any string
            fields.append(f"format: {ts_string(value.format)}")
    if value.type == "array":
        if value.max_items is not None:
            fields.append(f"maxItems: {value.max_items}")
        if value.min_items is not None:
            fields.append(f"minItems: {value.min_items}")
        if value.unique_items:
            fields.append("uniqueItems: true")
        if value.items is not None:
            fields.append(f"items: {value_spec(value.items)}")
    return "{ " + ", ".join(fields) + " }"


def _property(event: Event, prop: Property) -> TsProperty:
    words = _describe(prop.value)
    words = words[:1].upper() + words[1:]
    doc = jsdoc(doc_lines(prop.description + (f" ({words}.)" if words else "")))
    key = camel(prop.name)
    return TsProperty(
        name=prop.name, key=key, key_literal=_key_literal(key), ts_type=ts_type(prop.value),
        required=prop.required, mark="" if prop.required else "?", doc=doc,
        spec="{ name: " + ts_string(prop.name) + ", key: " + ts_string(key)
             + f", required: {'true' if prop.required else 'false'}, value: {value_spec(prop.value)} }}",
    )


def _deprecation(event: Event, taxonomy: Taxonomy) -> str | None:
    if event.active:
        return None
    reason = " ".join((event.deprecation_reason or "").split())
    target = taxonomy.event(event.replaced_by) if event.replaced_by else None
    if target is None:
        return reason or "This event is no longer accepted by the database."
    use = f"Use `{target.tier}.{camel(target.name)}` (`{target.id}`) instead."
    return f"{use} {reason}".strip()


def _event(event: Event, taxonomy: Taxonomy) -> TsEvent:
    tier = taxonomy.tier(event.tier)
    base = pascal(event.id)
    deprecated = _deprecation(event, taxonomy)
    kind = "system" if tier is not None and tier.system else "product"
    doc = list(doc_lines(event.description))
    doc.append("")
    doc.append(f"Event `{event.id}` (version {event.version}), owner: {event.owner}.")
    return TsEvent(
        id=event.id, id_literal=ts_string(event.id), tier=event.tier,
        const=re.sub(r"[.]", "_", event.id).upper(), type_name=f"{base}Payload",
        method=camel(event.name), function=f"track{base}", validator=f"validate{base}",
        readme_note="" if event.active else (
            f" (deprecated, use `{event.replaced_by}`)" if event.replaced_by else " (deprecated)"),
        kind=kind, kind_literal=ts_string(kind), deprecated_literal="false" if event.active else "true",
        payload_default="" if event.properties else " = {}", arg_mark="" if event.properties else "?",
        doc=jsdoc(doc, " ".join(doc_lines(deprecated, 10_000)) if deprecated else None),
        deprecated=" ".join(doc_lines(deprecated, 10_000)) if deprecated else None,
        replaced_by=ts_string(event.replaced_by) if event.replaced_by else "null",
        properties=tuple(_property(event, p) for p in event.properties),
        empty=not event.properties,
    )


def _check_names(taxonomy: Taxonomy, events: list[TsEvent]) -> None:
    """Two taxonomy names that print as one TypeScript name would silently merge: refuse them."""
    seen: dict[str, str] = {}
    for event, ts in zip(taxonomy.events, events, strict=True):
        for name in (ts.type_name, ts.const, f"{ts.tier}.{ts.method}"):
            other = seen.setdefault(name, event.id)
            if other != event.id:
                raise PlanError("E217", f'events "{other}" and "{event.id}" both become the TypeScript name '
                                        f'"{name}"; rename one', event.span)
        keys: dict[str, str] = {}
        for prop in event.properties:
            other = keys.setdefault(camel(prop.name), prop.name)
            if other != prop.name:
                raise PlanError("E217", f'event "{event.id}": properties "{other}" and "{prop.name}" both become '
                                        f'the TypeScript key "{camel(prop.name)}"; rename one', prop.span)


def plan(taxonomy: Taxonomy) -> list[Artifact]:
    project = taxonomy.project
    events = [_event(e, taxonomy) for e in taxonomy.events]
    _check_names(taxonomy, events)
    tiers = [
        TsTier(name=t.name, key=camel(t.name), interface=f"{pascal(t.name)}Events", doc=jsdoc(doc_lines(t.description)),
               events=tuple(e for e in events if e.tier == t.name))
        for t in taxonomy.tiers
    ]
    tiers = [t for t in tiers if t.events]
    product = [t.name for t in taxonomy.tiers if not t.system]
    system = [t.name for t in taxonomy.tiers if t.system]
    context = {
        "project": project.name,
        "project_literal": ts_string(project.name),
        "plan_version": ts_string(plan_version(taxonomy)),
        "plan_version_text": plan_version(taxonomy),
        "schema": ts_string(project.public_schema),
        "storage_key": ts_string(f"trackgen:{project.name}:queue"),
        "schema_name": project.public_schema,
        "function": ts_string(DEFAULT_FUNCTION),
        "function_name": DEFAULT_FUNCTION,
        "max_batch": project.max_batch_size,
        "default_batch": min(DEFAULT_BATCH, project.max_batch_size),
        "max_payload_bytes": project.max_payload_bytes,
        "max_past": project.max_past,
        "max_future": project.max_future,
        "keepalive_budget": KEEPALIVE_BUDGET,
        "db_reasons": [{"code": c, "literal": ts_string(c), "meaning": m} for c, m in DB_REASONS],
        "client_reasons": [{"code": c, "literal": ts_string(c), "meaning": m} for c, m in CLIENT_REASONS],
        "events": events,
        "tiers": tiers,
        "product_tiers": ", ".join(f"`{t}`" for t in product),
        "system_tiers_list": "[" + ", ".join(ts_string(t) for t in system) + "]",
        "system_tiers": ", ".join(f"`{t}`" for t in system) or "(none)",
        "example": _example(taxonomy, events),
        "deprecated_count": sum(1 for e in events if e.deprecated),
    }
    files = [("events.ts", "ts/events.ts.j2", "typescript"), ("catalog.ts", "ts/catalog.ts.j2", "typescript"),
             ("index.ts", "ts/index.ts.j2", "typescript"), ("README.md", "ts/README.md.j2", "markdown")]
    files += [(name, template, "typescript") for name, template in STATIC]
    return [Artifact(f"{ROOT}/{name}", template, context, kind=kind) for name, template, kind in files]


def _example(taxonomy: Taxonomy, events: list[TsEvent]) -> dict[str, str]:
    """The README's example: an active event (a practitioner one with properties if any), with its first example."""
    pairs = [(e, ts) for e, ts in zip(taxonomy.events, events, strict=True) if e.active] or list(
        zip(taxonomy.events, events, strict=True))
    ranked = sorted(pairs, key=lambda pair: (not pair[0].properties, pair[0].tier != "practitioner"))
    if not ranked:
        return {"id_literal": '""', "call": "", "function": "", "payload": "{}"}
    event, ts = ranked[0]
    example = event.examples[0] if event.examples else {}
    shown = [f"{p.key_literal}: {json.dumps(example[p.name], ensure_ascii=False)}"
             for p in ts.properties if p.name in example]
    payload = "{ " + ", ".join(shown) + " }" if shown else "{}"
    return {"id_literal": ts.id_literal, "call": f"{camel(ts.tier)}.{ts.method}({payload})",
            "function": ts.function, "payload": payload}
