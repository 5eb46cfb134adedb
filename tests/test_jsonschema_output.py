"""Every generated JSON Schema passes the 2020-12 metaschema and accepts its taxonomy's examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from generator.compiler import compile_taxonomy

ROOT = Path(__file__).resolve().parent.parent
RESULT = compile_taxonomy(ROOT / "taxonomy")
SCHEMAS = {path: json.loads(text) for path, text in RESULT.files.items() if path.startswith("jsonschema/")}


def test_one_schema_per_event():
    assert RESULT.ok
    assert sorted(SCHEMAS) == sorted(f"jsonschema/{e.id}.json" for e in RESULT.taxonomy.events)


@pytest.mark.parametrize("path", sorted(SCHEMAS))
def test_schema_is_valid_and_accepts_examples(path):
    schema = SCHEMAS[path]
    Draft202012Validator.check_schema(schema)
    assert schema["additionalProperties"] is False
    assert schema["$id"].startswith("urn:trackgen:") and schema["description"]
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    assert schema["examples"], "every event has an example"
    for example in schema["examples"]:
        assert list(validator.iter_errors(example)) == []
    # and the schema is not vacuous: an unknown key is refused
    assert not validator.is_valid(dict(schema["examples"][0], unexpected_key=1))


def test_taxonomy_files_reference_their_editor_schema():
    for path in sorted((ROOT / "taxonomy").rglob("*.yaml")):
        first = path.read_text().splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), path
        target = (path.parent / first.split("=", 1)[1]).resolve()
        assert target.is_file() and target.parent == ROOT / "generator" / "schemas", path
