"""Plan the JSON Schema files: one per event, under jsonschema/<event_id>.json."""

from __future__ import annotations

from ..jsonout import dumps_indented
from ..model import Taxonomy
from ..payload import payload_schema
from . import Artifact


def dumps(document: object) -> str:
    """Stable JSON: two-space indent, UTF-8 kept, key order as built (which is fixed)."""
    return dumps_indented(document)  # json.dumps(document, indent=2, ensure_ascii=False), in C where it can


def plan(taxonomy: Taxonomy) -> list[Artifact]:
    return [
        Artifact(path=f"jsonschema/{event.id}.json", template="jsonschema/event.json.j2",
                 context={"document": dumps(payload_schema(taxonomy.project.name, event))}, kind="jsonschema")
        for event in taxonomy.events
    ]
