"""The lock file's and the JSON Schema files' fast JSON text is exactly the standard library's."""

from __future__ import annotations

import json

import pytest

from generator.jsonout import dumps_indented, dumps_sorted_indented

VALUES = [
    {}, [], "s", 3, [[[]]], {1: 2}, {"x": float("nan"), "k": 1e300, "m": -0.0},
    {"b": [1, 2.5, True, None, "é\n\"\u2028", {"z": {}, "a": []}], "a": (1,)},
]


@pytest.mark.parametrize("value", VALUES)
def test_same_text_as_json_dumps(value):
    assert dumps_sorted_indented(value) == json.dumps(value, indent=2, sort_keys=True)


@pytest.mark.parametrize("value", VALUES)
def test_unsorted_utf8_same_text_as_json_dumps(value):
    """Keys stay in their order and non-ASCII characters are written as they are (the schema files)."""
    assert dumps_indented(value) == json.dumps(value, indent=2, ensure_ascii=False)
