"""Strings that match a property's ``pattern``, for synthetic payloads.

The taxonomy only allows anchored, bounded patterns (no free text), so a walk of
Python's parse tree of the pattern covers them: literals, classes and ranges,
``\\d``/``\\w``, groups, alternation and bounded repeats. Every sample is checked
with ``re.search`` by the caller; an unsupported construct raises
``ValueError`` naming the pattern.
"""

from __future__ import annotations

import random
import re
import string

try:  # Python 3.11+
    from re import _constants as C
    from re import _parser as P
except ImportError:  # pragma: no cover - older Pythons
    import sre_constants as C  # type: ignore[no-redef]
    import sre_parse as P  # type: ignore[no-redef]

_CATEGORY = {
    C.CATEGORY_DIGIT: string.digits,
    C.CATEGORY_WORD: string.ascii_letters + string.digits + "_",
    C.CATEGORY_SPACE: " ",
}
#: an unbounded repeat (``+``, ``*``) is drawn up to this many extra times
_OPEN_REPEAT = 4


def sample(pattern: str, rng: random.Random) -> str:
    """One string matching ``pattern`` (checked)."""
    out = _walk(P.parse(pattern), rng, pattern)
    if not re.search(pattern, out):
        raise ValueError(f"cannot sample pattern {pattern!r} (got {out!r})")
    return out


def _walk(tree, rng: random.Random, pattern: str) -> str:
    parts: list[str] = []
    for op, arg in tree:
        if op is C.LITERAL:
            parts.append(chr(arg))
        elif op is C.AT:
            continue  # anchors add no characters
        elif op is C.IN:
            parts.append(_in(arg, rng, pattern))
        elif op is C.ANY:
            parts.append(rng.choice(string.ascii_letters))
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", None)):
            lo, hi, sub = arg
            hi = lo + _OPEN_REPEAT if hi is C.MAXREPEAT else hi
            parts.extend(_walk(sub, rng, pattern) for _ in range(rng.randint(lo, hi)))
        elif op is C.SUBPATTERN:
            parts.append(_walk(arg[-1], rng, pattern))
        elif op is C.BRANCH:
            parts.append(_walk(rng.choice(arg[1]), rng, pattern))
        else:
            raise ValueError(f"pattern {pattern!r}: construct {op} is not supported by the bench's sampler")
    return "".join(parts)


def _in(items, rng: random.Random, pattern: str) -> str:
    choices: list[str] = []
    for op, arg in items:
        if op is C.LITERAL:
            choices.append(chr(arg))
        elif op is C.RANGE:
            choices.extend(chr(c) for c in range(arg[0], arg[1] + 1))
        elif op is C.CATEGORY and arg in _CATEGORY:
            choices.extend(_CATEGORY[arg])
        elif op is C.NEGATE:
            raise ValueError(f"pattern {pattern!r}: negated classes are not supported by the bench's sampler")
        else:
            raise ValueError(f"pattern {pattern!r}: class item {op} is not supported by the bench's sampler")
    return rng.choice(choices)
