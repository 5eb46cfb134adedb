"""Refresh schedules: exactly what pg_cron 1.4 accepts, minus what it would silently misread.

The generated migration needs pg_cron 1.4 or newer (Debian 12 ships 1.4.2), so a
KPI's ``refresh`` must be a schedule that 1.4's ``cron.schedule`` accepts, or the
migration fails on the database after the compiler said yes.  Two functions:

``pg_cron_accepts`` is a line-by-line port of pg_cron 1.4.2's parser
(``parse_cron_entry`` in src/entry.c, Vixie cron's ``load_entry`` reading an
in-memory buffer; ``get_char`` in src/misc.c returns one NUL after the text and
EOF after that).  It answers "would ``cron.schedule`` raise *invalid schedule*?",
quirks included, and tests/db/test_cron_schedules.py checks it against the real
pg_cron on a list of schedules.  pg_cron 1.4 has no ``N seconds`` form (added in
1.5.0, February 2023) and no ``cron.timezone`` (schedules are in GMT).

``schedule_problem`` is what the compiler enforces (E315): the documented cron
syntax, which is a subset of what the port accepts.  It also refuses what pg_cron
accepts but reads differently from what was written, because the parser skips
text it does not understand: a sixth field (``*/5 * * * * *`` is not "every
5 seconds" but "every 5 minutes"), junk after a number (``0.5`` is minute 0),
descending ranges (``30-10`` never fires), steps longer than their field (``*/90``
in the minute field fires at minute 0 only), ``@reboot`` (not periodic) and
numbers so long that C's ``atoi`` wraps them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: the oldest pg_cron the generated SQL supports; schedules are checked against its parser
PG_CRON_MIN = "1.4"

#: (name, low, high, names) of the five fields, as in pg_cron's cron.h
FIELDS = (
    ("minute", 0, 59, None),
    ("hour", 0, 23, None),
    ("day-of-month", 1, 31, None),
    ("month", 1, 12, ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")),
    ("day-of-week", 0, 7, ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")),
)
#: '@' schedules pg_cron 1.4 knows; @reboot/@restart are accepted there but are not periodic
MACROS = ("yearly", "annually", "monthly", "weekly", "daily", "midnight", "hourly")
NOT_PERIODIC = ("reboot", "restart")

_MAX_BUFFER = 1000  # MAX_FILE_BUFFER_LENGTH: longer schedules are refused
_MAX_TEMPSTR = 1000  # MAX_TEMPSTR: get_number's buffer
_EOF = -1
_LONG_MAX = 2**63 - 1


# --------------------------------------------------------------------------- the port of pg_cron 1.4.2


class _Buffer:
    """pg_cron's file_buffer with get_char/unget_char (src/misc.c)."""

    def __init__(self, data: bytes):
        self.data = data
        self.pointer = 0
        self.unget: list[int] = []

    def get(self) -> int:
        if self.unget:
            return self.unget.pop()
        if self.pointer == len(self.data):
            self.pointer += 1
            return 0  # one NUL after the text ...
        if self.pointer > len(self.data):
            return _EOF  # ... then EOF
        byte = self.data[self.pointer]
        self.pointer += 1
        return _EOF if byte == 0xFF else byte  # a signed char 0xff equals EOF in C

    def push(self, ch: int) -> None:
        self.unget.append(ch)


def _isalnum(ch: int) -> bool:
    return 0 <= ch < 128 and chr(ch).isalnum()


def _isdigit(ch: int) -> bool:
    return 48 <= ch <= 57


def _wrap32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - 2**32 if value >= 2**31 else value


def _atoi(digits: str) -> int:
    """C's atoi on an LP64 machine: strtol saturates at LONG_MAX, the cast to int wraps."""
    return _wrap32(min(int(digits), _LONG_MAX))


def _skip_comments(buf: _Buffer) -> None:
    ch = _EOF
    while True:
        ch = buf.get()
        if ch == _EOF:
            break
        while ch in (32, 9):
            ch = buf.get()
        if ch == _EOF:
            break
        if ch not in (10, 35):  # neither newline nor '#'
            break
        while ch not in (10, _EOF):
            ch = buf.get()
    if ch != _EOF:
        buf.push(ch)


def _get_number(buf: _Buffer, low: int, names: tuple[str, ...] | None, ch: int) -> tuple[int, int]:
    """(ch, number); ch is EOF on failure."""
    temp = []
    all_digits = True
    while _isalnum(ch):
        if len(temp) + 1 >= _MAX_TEMPSTR:
            return _EOF, 0
        temp.append(chr(ch))
        if not _isdigit(ch):
            all_digits = False
        ch = buf.get()
    if not temp:
        return _EOF, 0
    text = "".join(temp)
    if names:
        for i, name in enumerate(names):
            if name.lower() == text.lower():
                return ch, i + low
    if all_digits:
        return ch, _atoi(text)
    return _EOF, 0


def _get_range(buf: _Buffer, low: int, high: int, names: tuple[str, ...] | None, ch: int) -> int:
    if ch == ord("*"):
        num1, num2 = low, high
        ch = buf.get()
        if ch == _EOF:
            return _EOF
    else:
        ch, num1 = _get_number(buf, low, names, ch)
        if ch == _EOF:
            return _EOF
        if ch != ord("-"):
            if ch == ord("/"):
                return _EOF  # a step needs a range
            return ch if low <= num1 <= high else _EOF
        ch = buf.get()
        if ch == _EOF:
            return _EOF
        ch, num2 = _get_number(buf, low, names, ch)
        if ch == _EOF:
            return _EOF
    if ch == ord("/"):
        ch = buf.get()
        if ch == _EOF:
            return _EOF
        ch, step = _get_number(buf, 0, None, ch)
        if ch == _EOF or step <= 0:
            return _EOF
    else:
        step = 1
    if not (low <= num1 <= high and low <= num2 <= high):
        return _EOF
    i = num1
    while i <= num2:  # C int arithmetic: a huge step wraps i negative, which set_element refuses
        if not low <= i <= high:
            return _EOF
        i = _wrap32(i + step)
    return ch


def _get_list(buf: _Buffer, low: int, high: int, names: tuple[str, ...] | None, ch: int) -> int:
    while True:
        ch = _get_range(buf, low, high, names, ch)
        if ch == ord(","):
            ch = buf.get()
        else:
            break
    while ch not in (9, 32, 10, _EOF, 0):  # Skip_Nonblanks
        ch = buf.get()
    while ch in (9, 32):  # Skip_Blanks
        ch = buf.get()
    return ch


def pg_cron_accepts(schedule: str) -> bool:
    """Whether pg_cron 1.4.2's ``cron.schedule`` accepts ``schedule`` (a port of parse_cron_entry)."""
    data = schedule.encode("utf-8")
    if b"\0" in data or len(data) >= _MAX_BUFFER:  # PostgreSQL text has no NUL; long ones are refused
        return False
    buf = _Buffer(data)
    _skip_comments(buf)
    ch = buf.get()
    if ch == _EOF:
        return False
    if ch == ord("@"):
        word = []
        while True:  # get_string up to a blank, newline, NUL or EOF
            ch = buf.get()
            if ch == _EOF or ch in (32, 9, 10, 0):
                break
            word.append(chr(ch) if ch < 128 else "\ufffd")
        return "".join(word) in MACROS + NOT_PERIODIC
    for _name, low, high, names in FIELDS:
        ch = _get_list(buf, low, high, names, ch)
        if ch == _EOF:
            return False
    return True


# --------------------------------------------------------------------------- what the compiler accepts


@dataclass(frozen=True)
class Problem:
    message: str
    hint: str


_HINT = ('five fields "minute hour day-of-month month day-of-week", e.g. "*/5 * * * *" (every 5 minutes) '
         'or "0 3 * * *" (03:00 UTC daily), or @hourly, @daily, @weekly, @monthly, @yearly')
_ITEM = re.compile(r"(?P<start>\*|[0-9A-Za-z]+)(?:-(?P<end>[0-9A-Za-z]+))?(?:/(?P<step>[0-9]+))?")


def _value(token: str, field: tuple) -> tuple[int | None, str | None]:
    name, low, high, names = field
    if token.isdigit():
        value = int(token)
        if not low <= value <= high:
            return None, f"{name} {token} is outside {low}-{high}"
        return value, None
    if names:
        for i, known in enumerate(names):
            if known.lower() == token.lower():
                return i + low, None
        return None, f'"{token}" is not a {name} (use {low}-{high} or {", ".join(dict.fromkeys(names))})'
    return None, f'"{token}" is not a {name} number ({low}-{high})'


def _field_problem(text: str, field: tuple) -> str | None:
    name, low, high, _names = field
    for item in text.split(","):
        if not item:
            return f"empty list element in the {name} field"
        match = _ITEM.fullmatch(item)
        if match is None:
            return f'"{item}" is not a valid {name} (a number, a range a-b, a step */n or a-b/n, or a list of those)'
        start, end, step = match["start"], match["end"], match["step"]
        if start == "*":
            if end is not None:
                return f'"{item}": "*" cannot start a range'
            first, last = low, high
        else:
            first, problem = _value(start, field)
            if problem:
                return problem
            last = first
            if end is not None:
                last, problem = _value(end, field)
                if problem:
                    return problem
                if last < first:
                    return f'range "{start}-{end}" in the {name} field runs backwards and would never fire'
            elif step is not None:
                return f'"{item}": a step needs a range or "*" (pg_cron 1.4 refuses "n/step"; write "{start}-{high}/{step}")'
        if step is not None:
            n = int(step)
            if n == 0:
                return f'"{item}": a step must be at least 1'
            if n > last - first:
                return (f'"{item}": a step of {n} in the {name} field ({first}-{last}) fires only once; '
                        f"write the single value {first} if that is meant")
    return None


def schedule_problem(schedule: str) -> Problem | None:
    """Why ``schedule`` is not a refresh schedule the compiler accepts, or None when it is.

    Every schedule accepted here is accepted by pg_cron 1.4 (``pg_cron_accepts``) and means
    what it says.
    """
    text = schedule.strip(" \t")
    if re.fullmatch(r"[0-9]+ *seconds?", text):
        return Problem(f'"{schedule}": pg_cron {PG_CRON_MIN} has no "N seconds" schedules (they came in pg_cron 1.5)',
                       'refresh at most every minute: "* * * * *"')
    if "\n" in text or "\r" in text or "#" in text:
        return Problem(f"{schedule!r} is not one line; pg_cron would skip its comment lines", _HINT)
    if text.startswith("@"):
        word = text[1:]
        if word in NOT_PERIODIC:
            return Problem(f'"{schedule}" runs only when the database server starts; a KPI needs a periodic refresh',
                           "e.g. @hourly or \"*/15 * * * *\"")
        if word not in MACROS:
            return Problem(f'"{schedule}" is not a schedule pg_cron {PG_CRON_MIN} knows',
                           "one of " + ", ".join("@" + m for m in MACROS) + " (lower case)")
        return None
    fields = re.split(r"[ \t]+", text) if text else []
    if len(fields) != 5:
        extra = ""
        if len(fields) == 6:
            extra = "; pg_cron would ignore the sixth field (it has no seconds field)"
        return Problem(f'"{schedule}" has {len(fields)} field{"s" if len(fields) != 1 else ""}, '
                       f"pg_cron needs 5{extra}", _HINT)
    for part, field in zip(fields, FIELDS, strict=True):
        problem = _field_problem(part, field)
        if problem:
            return Problem(f'"{schedule}": {problem}', _HINT)
    if not pg_cron_accepts(schedule):  # the grammar above is a subset of pg_cron's; this would be our bug
        return Problem(f'"{schedule}" is refused by pg_cron {PG_CRON_MIN}', _HINT)
    return None
