"""Lint: check every rendered file with a real parser before anything is written.

JSON Schemas go through the 2020-12 metaschema; SQL through PostgreSQL's own
parser (pglast, libpg_query) statement by statement, PL/pgSQL bodies included,
plus the platform's safety rules (see ``sqlrules``).  A lint failure is a bug in
a template or plan, so the diagnostic names the output file, the statement's
line and the template it came from.
"""

from __future__ import annotations

import json

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from .diagnostics import Diagnostic, Span
from .plan import Artifact


def lint_jsonschema(path: str, text: str) -> list[Diagnostic]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        return [Diagnostic("E910", f"{path}: not JSON: {exc.msg}", Span(path, exc.lineno, exc.colno, exc.lineno, exc.colno + 1))]
    try:
        Draft202012Validator.check_schema(document)
    except SchemaError as exc:
        return [Diagnostic("E910", f"{path}: fails the JSON Schema 2020-12 metaschema: {exc.message}")]
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
