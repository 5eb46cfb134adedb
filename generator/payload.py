"""The JSON Schema (draft 2020-12) of one event's payload.

One function serves both the validator (every example must pass it) and the
JSON Schema output, so the schema the analyst's examples are checked against is
byte for byte the one the frontend and the docs get.
"""

from __future__ import annotations

from typing import Any

from .model import Event, ValueType

DRAFT = "https://json-schema.org/draft/2020-12/schema"

#: string formats that describe a thing, not a person, and that both the database
#: (plan/payload_checks.py) and JSON Schema validators check; the rest are refused (E208)
SAFE_FORMATS = ("date", "date-time", "uuid")
#: harmless names, but a validator may not check them (python-jsonschema skips "duration" without
#: an optional package) and the database does not: as free text they could carry anything
UNCHECKED_FORMATS = ("duration", "time")


def schema_id(project: str, event: Event) -> str:
    return f"urn:trackgen:{project}:event:{event.id}:{event.version}"


def value_schema(value: ValueType, description: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": value.type}
    if description is not None:
        out["description"] = description
    for key, attr in (
        ("enum", "enum"), ("pattern", "pattern"), ("format", "format"),
        ("minLength", "min_length"), ("maxLength", "max_length"),
        ("minimum", "minimum"), ("exclusiveMinimum", "exclusive_minimum"),
        ("maximum", "maximum"), ("exclusiveMaximum", "exclusive_maximum"), ("multipleOf", "multiple_of"),
        ("minItems", "min_items"), ("maxItems", "max_items"),
    ):
        found = getattr(value, attr)
        if found is not None:
            out[key] = list(found) if key == "enum" else found
    if value.unique_items:
        out["uniqueItems"] = True
    if value.items is not None:
        out["items"] = value_schema(value.items)
    return out


def payload_schema(project: str, event: Event) -> dict[str, Any]:
    """The full schema document for ``event``; key order is fixed so output is stable."""
    schema: dict[str, Any] = {
        "$schema": DRAFT,
        "$id": schema_id(project, event),
        "title": event.id,
        "description": event.description,
        "type": "object",
        "properties": {p.name: value_schema(p.value, p.description) for p in event.properties},
        "required": sorted(p.name for p in event.properties if p.required),
        "additionalProperties": False,
    }
    if not event.active:
        schema["deprecated"] = True
    schema["examples"] = list(event.examples)
    schema["x-trackgen"] = {"tier": event.tier, "owner": event.owner, "status": event.status,
                            "version": event.version}
    return schema
