"""Payload counter-examples for the parity tests: every type, format and bound an event declares.

``parity_cases(event)`` gives, for one event of the model, its examples and a
generated set of valid and invalid payloads: each property's wrong JSON types,
null, every bound and the values one step inside and outside it, enum misses,
pattern misses, each safe format's invalid forms, length and item-count bounds
±1, duplicate and bad array items, missing required and unknown keys.

Used by tests/db/test_ingest.py (SQL payload checks vs the JSON Schema) and
tests/client/test_parity.py (the TypeScript validator vs both).  Each case is
``(label, payload, expected, valid)``: ``expected`` is the database's answer
``'reason:field'`` when exactly one reason applies, ``'*'`` when several could,
``None`` for a valid payload; ``valid`` is JSON Schema's verdict.

``UNCHECKED_FORMATS`` would list formats the database does not check, where JSON
Schema and the database disagree; it is empty since the compiler refuses every
format the database cannot check (E208), and stays so the parity tests say so.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

WRONG_TYPE = {"boolean": "true", "integer": "1", "number": "1", "string": 1, "array": "x", "object": 1}

#: label parts of cases for formats the database would accept as any string: none (E208 refuses them)
UNCHECKED_FORMATS: tuple[str, ...] = ()


def unchecked(label: str) -> bool:
    return any(mark in label for mark in UNCHECKED_FORMATS)


def not_matching(pattern: str) -> str:
    for candidate in ("", "zz", "!", "1.2", "a b", "99.99.99.99", "v", "Z" * 70):
        if not re.search(pattern, candidate):
            return candidate
    raise AssertionError(f"no counter-example for pattern {pattern!r}")


def _in_bounds(v, value: float) -> bool:
    return _fits(v, value, step=False)


def _fits(v, value: float, step: bool = True) -> bool:
    """``value`` satisfies the numeric bounds (and step) of ``v``."""
    if v.minimum is not None and value < v.minimum:
        return False
    if v.maximum is not None and value > v.maximum:
        return False
    if v.exclusive_minimum is not None and value <= v.exclusive_minimum:
        return False
    if v.exclusive_maximum is not None and value >= v.exclusive_maximum:
        return False
    if step and v.multiple_of is not None and Fraction(str(value)) % Fraction(str(v.multiple_of)) != 0:
        return False
    return not (v.type == "integer" and value != int(value))


def valid_scalar(v) -> Any:
    """One valid value of a scalar type, or None when it cannot be made up (a pattern)."""
    if v.type == "boolean":
        return True
    if v.type in ("integer", "number"):
        for candidate in (v.minimum, v.maximum, (v.exclusive_minimum or 0) + 1, 0, 1):
            if candidate is not None and _fits(v, candidate):
                return candidate
        return None
    if v.type == "string" and v.enum:
        return v.enum[0]
    return None


def value_cases(v) -> list[tuple[str, Any, str | None]]:
    """(label, bad value, expected reason or None when several reasons apply)."""
    out: list[tuple[str, Any, str | None]] = [
        ("wrong type", WRONG_TYPE[v.type], "wrong_type"),
        ("null", None, "wrong_type"),
    ]
    if v.type == "integer":
        out.append(("float", 1.5, "wrong_type"))
        out.append(("boolean", True, "wrong_type"))
    if v.type in ("integer", "number"):
        steps = (1,) if v.type == "integer" else (0.5, 1)
        for step in steps:
            if v.minimum is not None:
                out.append((f"minimum - {step}", v.minimum - step, "out_of_range"))
            if v.maximum is not None:
                out.append((f"maximum + {step}", v.maximum + step, "out_of_range"))
            if v.exclusive_minimum is not None:
                out.append((f"exclusive minimum - {step}", v.exclusive_minimum - step, "out_of_range"))
            if v.exclusive_maximum is not None:
                out.append((f"exclusive maximum + {step}", v.exclusive_maximum + step, "out_of_range"))
        if v.exclusive_minimum is not None:
            out.append(("at exclusive minimum", v.exclusive_minimum, "out_of_range"))
        if v.exclusive_maximum is not None:
            out.append(("at exclusive maximum", v.exclusive_maximum, "out_of_range"))
        if v.multiple_of is not None:
            base = valid_scalar(v)
            for offset in (Fraction(str(v.multiple_of)) / 2, Fraction(1)):
                if base is None:
                    break
                c = Fraction(str(base)) + offset
                value: float | int = int(c) if c.denominator == 1 else float(c)
                if _in_bounds(v, value) and not _fits(v, value) and (v.type == "number" or isinstance(value, int)):
                    out.append((f"off the step {v.multiple_of}", value, "out_of_range"))
                    break
    if v.type == "string":
        single = sum(x is not None for x in (v.enum, v.pattern, v.format, v.min_length, v.max_length)) == 1
        if v.enum:
            out.append(("not in enum", "zz_not_in_enum", "bad_enum" if single else None))
            out.append(("enum in other case", v.enum[0].upper(), "bad_enum" if single else None))
        if v.pattern:
            out.append(("not matching pattern", not_matching(v.pattern), "bad_pattern" if single else None))
        fmt = "bad_format" if single else None
        if v.format == "uuid":
            out.append(("not a uuid", "not-a-uuid", fmt))
            out.append(("uuid without hyphens", "0b7c6f5e3a2d4c1b9e8f7a6b5c4d3e2f", fmt))
            out.append(("uuid one digit short", "0b7c6f5e-3a2d-4c1b-9e8f-7a6b5c4d3e2", fmt))
        if v.format == "date":
            out.append(("impossible date", "2024-02-30", fmt))
            out.append(("no leap day", "2023-02-29", fmt))
            out.append(("date with time", "2024-02-01T00:00:00Z", fmt))
            out.append(("month 13", "2024-13-01", fmt))
        if v.format == "date-time":
            out.append(("impossible date-time", "2024-02-30T10:00:00Z", fmt))
            out.append(("date-time without offset", "2024-01-01T10:00:00", fmt))
            out.append(("date only", "2024-01-01", fmt))
            out.append(("hour 25", "2024-01-01T25:00:00Z", fmt))
            out.append(("not a date-time", "yesterday", fmt))
        if v.format == "time":
            out.append(("format time: hour 25", "25:00:00Z", None))
            out.append(("format time: words", "noon", None))
        if v.format == "duration":
            out.append(("format duration: words", "a while", None))
        if v.max_length is not None:
            out.append(("maxLength + 1", "a" * (v.max_length + 1), "too_long" if single else None))
            out.append(("maxLength + 1 astral characters", "\U0001f600" * (v.max_length + 1), None))
        if v.min_length:
            out.append(("minLength - 1", "a" * (v.min_length - 1), "too_short" if single else None))
    if v.type == "array":
        item = v.items
        good_items = list(item.enum) if item is not None and item.enum else None
        filler = valid_scalar(item) if item is not None else None

        def padded(bad: Any) -> list[Any] | None:
            """``bad`` plus valid items up to minItems, so only the item check can fail."""
            need = max(1, v.min_items or 0) - 1
            if need == 0:
                return [bad]
            if good_items and len(good_items) >= need:
                return [bad, *good_items[:need]]
            if filler is not None and not v.unique_items:
                return [bad, *([filler] * need)]
            return None

        bad_items = [("item of wrong type", WRONG_TYPE[item.type], "wrong_type"), ("null item", None, "wrong_type")]
        if good_items:
            bad_items.append(("item not in enum", "zz_not_in_enum", "bad_enum"))
        if item is not None and item.type in ("integer", "number"):
            if item.minimum is not None:
                bad_items.append(("item below minimum", item.minimum - 1, "out_of_range"))
            if item.maximum is not None:
                bad_items.append(("item above maximum", item.maximum + 1, "out_of_range"))
            if item.type == "integer":
                bad_items.append(("fractional item", 1.5, "wrong_type"))
        if item is not None and item.pattern:
            bad_items.append(("item not matching pattern", not_matching(item.pattern), "bad_pattern"))
        for label, bad, reason in bad_items:
            values = padded(bad)
            if values is not None:
                out.append((label, values, reason))
        if v.max_items is not None and (good_items or filler is not None):
            many = (good_items * (v.max_items + 2))[: v.max_items + 1] if good_items else [filler] * (v.max_items + 1)
            out.append(("maxItems + 1", many, "too_many_items"))
        if v.min_items and v.min_items > 0:
            out.append(("no items", [], "too_few_items"))
            if filler is not None and v.min_items > 1 and not v.unique_items:
                out.append(("minItems - 1", [filler] * (v.min_items - 1), "too_few_items"))
        if v.unique_items and good_items and (v.max_items is None or v.max_items >= 2):
            out.append(("duplicate items", [good_items[0], good_items[0]], "duplicate_items"))
    return out


def valid_value_cases(v) -> list[tuple[str, Any]]:
    out = []
    if v.type in ("integer", "number"):
        for label, value in (("at minimum", v.minimum), ("at maximum", v.maximum),
                             ("minimum + 1", None if v.minimum is None else v.minimum + 1),
                             ("maximum - 1", None if v.maximum is None else v.maximum - 1),
                             ("exclusive minimum + 0.5", None if v.exclusive_minimum is None else v.exclusive_minimum + 0.5),
                             ("exclusive maximum - 0.5", None if v.exclusive_maximum is None else v.exclusive_maximum - 0.5)):
            if value is not None and _fits(v, value):
                out.append((label, value))
        if v.type == "integer" and v.maximum is not None:
            out.append(("integral float", float(v.maximum)))
    if v.type == "string" and v.enum:
        out.extend((f"enum {e}", e) for e in v.enum)
    if v.type == "string" and v.format == "date":
        out.append(("leap day", "2024-02-29"))
    if v.type == "string" and v.format == "date-time":
        out.append(("date-time with fraction and offset", "2024-02-29T23:59:59.123+05:30"))
        out.append(("date-time lower-case t and z", "2024-01-01t10:00:00z"))
    if v.type == "string" and v.format == "uuid":
        out.append(("upper-case uuid", "0B7C6F5E-3A2D-4C1B-9E8F-7A6B5C4D3E2F"))
    if v.type == "array" and v.items is not None:
        if v.items.enum:
            n = len(v.items.enum) if v.max_items is None else min(len(v.items.enum), v.max_items)
            out.append(("max distinct items", list(v.items.enum)[:n]))
        filler = valid_scalar(v.items)
        if filler is not None and not v.unique_items:
            if v.max_items is not None:
                out.append(("exactly maxItems", [filler] * v.max_items))
            if v.min_items:
                out.append(("exactly minItems", [filler] * v.min_items))
    return out


def parity_cases(ev) -> list[tuple[str, dict, str | None, bool]]:
    """(label, payload, expected SQL problem or None, expected valid)."""
    out: list[tuple[str, dict, str | None, bool]] = []
    for n, example in enumerate(ev.examples):
        out.append((f"example {n}", dict(example), None, True))
    base = dict(ev.examples[0])
    required = [p.name for p in ev.properties if p.required]
    minimal = {k: v for k, v in base.items() if k in required}
    out.append(("required only", minimal, None, True))
    for p in ev.properties:
        for label, value in valid_value_cases(p.value):
            out.append((f"{p.name}: {label}", {**base, p.name: value}, None, True))
    for name in required:
        d = dict(base)
        d.pop(name)
        out.append((f"drop {name}", d, f"missing_property:{name}", False))
    out.append(("unknown key", {**base, "zz_unknown": 1}, "unknown_property:zz_unknown", False))
    out.append(("unknown key email", {**base, "email": "a@b.example"}, "unknown_property:email", False))
    out.append(("two unknown keys", {**base, "zz_longer_key": 1, "zz_b": 2}, "unknown_property:zz_b", False))
    for p in ev.properties:
        for label, value, reason in value_cases(p.value):
            expected = f"{reason}:{p.name}" if reason else "*"
            out.append((f"{p.name}: {label}", {**base, p.name: value}, expected, False))
    return out
