"""Lint: check every rendered file with a real parser before anything is written.

JSON Schemas go through the 2020-12 metaschema; SQL through PostgreSQL's own
parser (pglast, libpg_query) statement by statement, PL/pgSQL bodies included,
plus the platform's safety rules (see ``sqlrules``).  A lint failure is a bug in
a template or plan, so the diagnostic names the output file, the statement's
line and the template it came from.
"""

from __future__ import annotations

import json
import re
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from .diagnostics import Diagnostic, Span
from .plan import Artifact

#: annotation keywords whose value the metaschema only requires to be a string
_TEXT_ANNOTATIONS = frozenset({"title", "description", "$comment"})
#: a urn the metaschema certainly accepts as ``$id`` (a uri-reference without a fragment)
_PLAIN_URN = re.compile(r"urn:[a-z0-9][a-z0-9-]*:[A-Za-z0-9._:-]*")
#: shapes of schemas that passed the metaschema
_VALID_SHAPES: set[str] = set()


def _shape(node: Any) -> Any:
    """``node`` with the values the metaschema accepts whatever they are made equal: annotation
    strings, example lists (any array passes) and plain urn ids. A schema passes exactly when
    its shape does, so events that differ only in descriptions and ids share one validation
    (about 5 ms each). Only passes are remembered: a failure is validated again, so its message
    is always the document's own."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key in _TEXT_ANNOTATIONS and isinstance(value, str):
                out[key] = ""
            elif key == "examples" and isinstance(value, list):
                out[key] = []
            elif key == "$id" and isinstance(value, str) and _PLAIN_URN.fullmatch(value):
                out[key] = "urn:x:y"
            else:
                out[key] = _shape(value)
        return out
    if isinstance(node, list):
        return [_shape(item) for item in node]
    return node


def _metaschema_error(document: Any) -> str | None:
    key = json.dumps(_shape(document), sort_keys=True)
    if key in _VALID_SHAPES:
        return None
    try:
        Draft202012Validator.check_schema(document)
    except SchemaError as exc:
        return exc.message
    _VALID_SHAPES.add(key)
    return None


def lint_jsonschema(path: str, text: str) -> list[Diagnostic]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        return [Diagnostic("E910", f"{path}: not JSON: {exc.msg}", Span(path, exc.lineno, exc.colno, exc.lineno, exc.colno + 1))]
    error = _metaschema_error(document)
    if error is not None:
        return [Diagnostic("E910", f"{path}: fails the JSON Schema 2020-12 metaschema: {error}")]
    return []


def lint(artifacts: list[Artifact], files: dict[str, str]) -> list[Diagnostic]:
    from . import sqllint  # local import: the SQL linter loads libpg_query only when needed

    out: list[Diagnostic] = []
    for artifact in sorted(artifacts, key=lambda a: a.path):
        text = files.get(artifact.path)
        if text is None:
            continue
        if artifact.kind == "jsonschema":
            out.extend(lint_jsonschema(artifact.path, text))
        elif artifact.kind == "sql":
            out.extend(sqllint.lint_sql(artifact, text))
    return out
