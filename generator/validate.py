"""Validate (structure): check each taxonomy file against its JSON Schema.

The schemas in ``generator/schemas/`` are the format's single definition: the
same files give editors completion (via the ``yaml-language-server`` comment)
and give the compiler its structural errors here.  jsonschema's errors are
turned into positioned diagnostics with stable codes:

E101 unknown key, E102 missing key, E103 wrong type, E104 value not allowed,
E105 other constraint, E201 bad event id, E210 bad property name, E318 a key
that this KPI type does not use (it belongs to another type).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema._keywords import additionalProperties as _additional_properties
from jsonschema._utils import find_additional_properties
from jsonschema.exceptions import ValidationError
from jsonschema.validators import extend

from .diagnostics import Diagnostic
from .load import Document
from .suggest import did_you_mean

SCHEMA_FOR = {"project.yaml": "project", "tiers.yaml": "tiers", "events/": "events", "kpis/": "kpis"}

_JSON_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "integer": int, "number": (int, float)}


@cache
def taxonomy_schema(kind: str) -> dict[str, Any]:
    """The shipped JSON Schema of one taxonomy file kind (project, tiers, events, kpis)."""
    text = resources.files("generator").joinpath("schemas", f"{kind}.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def schema_kind(rel: str) -> str:
    for prefix, kind in SCHEMA_FOR.items():
        if rel == prefix or (prefix.endswith("/") and rel.startswith(prefix)):
            return kind
    raise ValueError(rel)


@dataclass
class StructureReport:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    #: paths (per file) under which a structural error was found; later checks skip them
    broken: dict[str, set[tuple]] = field(default_factory=dict)

    def broken_below(self, file: str, path: tuple) -> list[tuple]:
        """Broken paths strictly inside ``path``; empty when ``path`` itself or an ancestor broke."""
        return [bad for bad in self.broken.get(file, ()) if len(bad) > len(path) and bad[:len(path)] == path]

    def is_broken(self, file: str, path: tuple) -> bool:
        """True when ``path`` or anything under it or above it had a structural error."""
        for bad in self.broken.get(file, ()):
            n = min(len(bad), len(path))
            if bad[:n] == path[:n]:
                return True
        return False


_UNSET = object()


def _names_in(schema: dict[str, Any], root: dict[str, Any], instance: Any = _UNSET) -> set[str]:
    """Property names a schema level allows, following allOf/if/then/$ref one level down.

    Given the ``instance``, an ``if`` is evaluated and only the branch that applies
    counts, so a funnel's keys are what a funnel takes, not what any KPI type takes.
    """
    names: set[str] = set()
    stack = [schema]
    while stack:
        node = stack.pop()
        if "$ref" in node:
            target = root
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            stack.append(target)
        names.update(node.get("properties", {}))
        for key in ("allOf", "anyOf", "oneOf"):
            stack.extend(node.get(key, []))
        branches = ("then", "else")
        if instance is not _UNSET and "if" in node:
            branches = ("then",) if Draft202012Validator(node["if"]).is_valid(instance) else ("else",)
        for key in branches:
            if key in node:
                stack.append(node[key])
    return names


def describe_path(doc: Document, path: tuple) -> str:
    """A readable location: list items by their name (kpis[upgrade_funnel].periods), else dotted."""
    parts: list[str] = []
    node: Any = doc.data
    for step in path:
        if isinstance(step, int) and isinstance(node, list) and step < len(node):
            item = node[step]
            name = item.get("name") if isinstance(item, dict) else None
            parts[-1:] = [f"{parts[-1] if parts else ''}[{name if isinstance(name, str) else step}]"]
            node = item
            continue
        parts.append(str(step))
        node = node.get(step) if isinstance(node, dict) else None
    return ".".join(parts) or doc.rel


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    for name, kind in _JSON_TYPES.items():
        if name in ("integer", "number") and isinstance(value, bool):
            continue
        if isinstance(value, kind):
            return name
    return type(value).__name__


def _type_name(expected: Any) -> str:
    if isinstance(expected, list):
        return " or ".join(expected)
    article = "an" if str(expected)[:1] in "aeiou" else "a"
    return {"object": "a mapping", "array": "a list"}.get(expected, f"{article} {expected}")


def _explain(error: ValidationError, doc: Document, root: dict[str, Any]) -> list[Diagnostic]:
    path = tuple(error.absolute_path)
    where = describe_path(doc, path)
    kind = error.validator
    if kind in ("additionalProperties", "unevaluatedProperties"):
        if not isinstance(error.instance, dict):
            return []
        allowed = _names_in(error.schema, root, error.instance)
        anywhere = _names_in(error.schema, root)  # the keys of every if/then branch (other KPI types)
        if kind == "additionalProperties" and isinstance(error.schema.get("additionalProperties"), bool):
            allowed = anywhere = set(error.schema.get("properties", {}))
        out = []
        for key in sorted(k for k in error.instance if k not in allowed):
            span = doc.span(path + (key,), key=True)
            if key in anywhere:  # a key of another KPI type: refused, never dropped silently (E318)
                kind_name = error.instance.get("type")
                label = f"{kind_name} KPIs" if isinstance(kind_name, str) else "this KPI"
                out.append(Diagnostic("E318", f'key "{key}" in {where} is not used by {label}', span,
                                      hint="remove it; this type takes " + ", ".join(sorted(allowed))))
                continue
            hint = did_you_mean(key, allowed) or ("allowed keys: " + ", ".join(sorted(allowed)) if allowed else None)
            out.append(Diagnostic("E101", f'unknown key "{key}" in {where}', span, hint=hint))
        # Keys of the applicable branch are fine here: when that branch itself failed (a bad step), its keys
        # count as unevaluated, and the branch's own errors say what is wrong.
        return out
    if kind == "required":
        missing = [k for k in error.validator_value if isinstance(error.instance, dict) and k not in error.instance]
        return [Diagnostic("E102", f'missing required key "{k}" in {where}', doc.span(path, key=True),
                           hint=f'add "{k}:"') for k in missing]
    if kind == "type":
        return [Diagnostic("E103", f"{where}: expected {_type_name(error.validator_value)}, "
                                   f"found {_describe(error.instance)}", doc.span(path))]
    if kind in ("enum", "const"):
        allowed = error.validator_value if kind == "enum" else [error.validator_value]
        hint = did_you_mean(str(error.instance), [str(a) for a in allowed]) or (
            "one of: " + ", ".join(str(a) for a in allowed))
        return [Diagnostic("E104", f"{where}: {json.dumps(error.instance)} is not allowed", doc.span(path), hint=hint)]
    if kind == "propertyNames" or (error.relative_schema_path and "propertyNames" in error.relative_schema_path):
        name = error.instance
        code, what = ("E201", "event id") if path == ("events",) else ("E210", "name")
        hint = None
        if code == "E201":
            hint = "event ids are tier.object_action in snake_case, e.g. consumer.feature_used"
        else:
            hint = "names are snake_case, start with a letter, at most 63 bytes"
        return [Diagnostic(code, f'{what} "{name}" in {where} is not valid', doc.span(path + (name,), key=True),
                           hint=hint)]
    if kind == "pattern":
        return [Diagnostic("E104", f"{where}: {json.dumps(error.instance)} does not match the expected form",
                           doc.span(path), hint=_pattern_hint(error))]
    if kind == "oneOf" and error.context:
        return [Diagnostic("E103", f"{where}: expected a scalar or a list of scalars, found {_describe(error.instance)}",
                           doc.span(path))]
    return [Diagnostic("E105", f"{where}: {error.message}", doc.span(path))]


def _pattern_hint(error: ValidationError) -> str | None:
    description = error.schema.get("description")
    if description:
        return description
    return f"must match {error.validator_value}"


#: (id of a subschema, the value as canonical JSON) of values that passed it: see ``_additional``
_PASSED: set[tuple[int, str]] = set()


def _additional(validator, aP, instance, schema):
    """jsonschema's ``additionalProperties``, remembering which values passed their subschema.

    A tier's events and an event's properties are maps whose every value is checked against one
    subschema (``#/$defs/event``, ``#/$defs/property``), and most properties are written alike
    (the same name, type and description in many events): jsonschema's ``unevaluatedProperties``
    and ``if``/``then`` make each such check cost about a millisecond. A value's verdict depends
    on nothing but the subschema and the value, so a value equal to one that passed passes; only
    passes are remembered, so every error is still found, on its own path."""
    if not (validator.is_type(instance, "object") and validator.is_type(aP, "object")):
        yield from _additional_properties(validator, aP, instance, schema)
        return
    for extra in set(find_additional_properties(instance, schema)):
        value = instance[extra]
        try:
            key = (id(aP), json.dumps(value, sort_keys=True))
        except (TypeError, ValueError):  # a value JSON cannot spell (a YAML date): checked every time
            key = None
        if key is not None and key in _PASSED:
            continue
        errors = list(validator.descend(value, aP, path=extra))
        if key is not None and not errors:
            _PASSED.add(key)
        yield from errors


#: the 2020-12 validator with ``_additional``; the taxonomy schemas live as long as the process, so
#: the ids in ``_PASSED`` stay theirs
_Validator = extend(Draft202012Validator, {"additionalProperties": _additional})


@cache
def _validator(kind: str):
    """One validator per file kind (its schema's references resolved once)."""
    return _Validator(taxonomy_schema(kind))


def check_structure(documents: list[Document]) -> StructureReport:
    """Validate every document against its JSON Schema; collect every error, never stop early."""
    report = StructureReport()
    for doc in documents:
        kind = schema_kind(doc.rel)
        root = taxonomy_schema(kind)
        validator = _validator(kind)
        broken = report.broken.setdefault(doc.file, set())
        if doc.data is None:
            report.diagnostics.append(Diagnostic("E103", f"{doc.rel} is empty; expected a mapping", doc.span(())))
            broken.add(())
            continue
        seen: set[tuple] = set()
        for error in sorted(validator.iter_errors(doc.data), key=lambda e: [str(p) for p in e.absolute_path]):
            if error.validator in ("if", "allOf"):
                continue
            for diag in _explain(error, doc, root):
                key = (diag.code, diag.message, diag.span)
                if key not in seen:
                    seen.add(key)
                    report.diagnostics.append(diag)
            where = tuple(error.absolute_path)
            if error.validator == "propertyNames" or "propertyNames" in error.relative_schema_path:
                where = where + (error.instance,)
            broken.add(where)
    return report
