"""SQL quoting and naming, decided in Python so templates only print.

PostgreSQL truncates identifiers at 63 bytes, silently; ``ident`` shortens long
names itself with a stable hash suffix so two long names never collide.
"""

from __future__ import annotations

import hashlib
import json
import re

_PLAIN = re.compile(r"^[a-z_][a-z0-9_]*$")
_RESERVED = frozenset("""all analyse analyze and any array as asc asymmetric both case cast check collate column
constraint create current_catalog current_date current_role current_time current_timestamp current_user default
deferrable desc distinct do else end except false fetch for foreign from grant group having in initially intersect
into lateral leading limit localtime localtimestamp not null offset on only or order placing primary references
returning select session_user some symmetric table then to trailing true union unique user using variadic when
where window with""".split())

MAX_IDENT = 63


def ident(name: str) -> str:
    """A safely quoted identifier; plain lower-case names stay unquoted for readability."""
    if len(name.encode()) > MAX_IDENT:
        raise ValueError(f"identifier longer than {MAX_IDENT} bytes: {name}")
    if _PLAIN.match(name) and name not in _RESERVED:
        return name
    return '"' + name.replace('"', '""') + '"'


def short_name(name: str, limit: int = MAX_IDENT) -> str:
    """``name`` itself when it fits, else a prefix plus 8 hex chars of its hash."""
    if len(name.encode()) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return name[: limit - 9].rstrip("_") + "_" + digest


def literal(value: object) -> str:
    """A SQL literal for a str/int/float/bool/None (standard_conforming_strings on)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value)
    if "\x00" in text:
        raise ValueError("NUL byte in SQL literal")
    return "'" + text.replace("'", "''") + "'"


def text_array(values: list[str] | tuple[str, ...]) -> str:
    return "array[" + ", ".join(literal(v) for v in values) + "]::text[]"


def jsonb_literal(value: object) -> str:
    return literal(json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)) + "::jsonb"
