"""Plan the SQL payload checks: each event's JSON Schema as a list of PL/pgSQL conditions.

Every check is ``(condition, reason, field)``: when ``condition`` is true the
payload is rejected with ``reason`` for ``field``.  Checks are ordered so each
one may assume the earlier ones passed (type before bounds): SQL does not promise
to evaluate OR left to right, but a CASE tries its WHEN branches in order and a
COALESCE stops at its first non-null argument, so the checks of consecutive
properties become one ``coalesce(case when ... end, ...)`` expression.  PL/pgSQL
evaluates such an expression without the executor (a "simple expression") as
long as it holds no subquery, which is why checks that read array elements stay
IF statements of their own: evaluating a check function costs a few microseconds
instead of one statement per check, and ingestion calls one per event.
Reason codes are part of the wire contract (see the README, Ingestion).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Event, Property, ValueType
from ..sqlquote import literal, text_array

RFC3339 = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$"
DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
#: format "date-time" as JSON Schema validators check it (RFC 3339 section 5.6: "T", hours 00-23,
#: no leap second, offsets up to 23:59); the calendar date is then checked like format "date".
#: Not a cast to timestamptz: PostgreSQL also takes 24:00:00, a space for "T" and refuses offsets
#: beyond 15:59, so a cast would disagree with the JSON Schema both ways.
DATE_TIME = (r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?"
             r"([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$")
#: timestamps that certainly cast to timestamptz (days up to 28, hours 00-23, offsets up to 15:59,
#: years 1900-2099): ingestion skips the exact (and slower) cast check for them; anything else
#: that passes RFC3339 is still checked by the cast
PLAIN_TIMESTAMP = (r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
                   r"(\.[0-9]{1,6})?(Z|[+-](0[0-9]|1[0-5]):[0-5][0-9])$")
UUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


@dataclass(frozen=True)
class Check:
    condition: str
    reason: str
    field: str
    subquery: bool = False  # the condition reads array elements with a subquery

    @property
    def result(self) -> str:
        """The SQL literal the check function returns: 'reason:field'."""
        return literal(f"{self.reason}:{self.field}")


@dataclass(frozen=True)
class PropertyChecks:
    """Checks that run only when the payload has the key (absence is the required-check's business)."""

    key: str  # SQL literal of the property name
    checks: tuple[Check, ...]


@dataclass(frozen=True)
class Segment:
    """A run of checks in one expression (``expression``), or one property's checks that need
    a subquery, as IF statements under ``if p ? key`` (``key`` and ``checks``)."""

    expression: str | None = None
    key: str | None = None
    checks: tuple[Check, ...] = ()


@dataclass(frozen=True)
class EventChecks:
    event_id: str
    function: str  # unqualified function name
    allowed_keys: str  # SQL text[] literal
    required: tuple[Check, ...]
    properties: tuple[PropertyChecks, ...]

    @property
    def segments(self) -> tuple[Segment, ...]:
        """The required checks, then each property's, in order: consecutive checks without a
        subquery joined into one expression that is null when they all pass."""
        out: list[Segment] = []
        run: list[str] = []
        if self.required:
            run.append(_first_failing(self.required))
        for prop in self.properties:
            if any(c.subquery for c in prop.checks):
                if run:
                    out.append(Segment(expression=_coalesce(run)))
                    run = []
                out.append(Segment(key=prop.key, checks=prop.checks))
            elif prop.checks:
                run.append(f"case when p ? {prop.key} then {_first_failing(prop.checks)} end")
        if run:
            out.append(Segment(expression=_coalesce(run)))
        return tuple(out)


def _first_failing(checks: tuple[Check, ...]) -> str:
    """The result of the first check whose condition holds, else null (a CASE tries them in order)."""
    return "case" + "".join(f"\n      when {c.condition} then {c.result}" for c in checks) + " end"


def _coalesce(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else "coalesce(\n    " + ",\n    ".join(parts) + ")"


_JSON_TYPE = {"boolean": "boolean", "string": "string", "array": "array", "integer": "number", "number": "number"}


def _value_checks(expr: str, text_expr: str, value: ValueType, field: str, helpers: str) -> list[Check]:
    """Checks on one JSON value ``expr`` (jsonb) whose text form is ``text_expr``."""
    out = [Check(f"jsonb_typeof({expr}) is distinct from {literal(_JSON_TYPE[value.type])}", "wrong_type", field)]
    num = f"({text_expr})::numeric"
    if value.type == "integer":
        out.append(Check(f"{num} % 1 <> 0", "wrong_type", field))
    if value.type in ("integer", "number"):
        for bound, op in ((value.minimum, "<"), (value.exclusive_minimum, "<="),
                          (value.maximum, ">"), (value.exclusive_maximum, ">=")):
            if bound is not None:
                out.append(Check(f"{num} {op} {literal(bound)}", "out_of_range", field))
        if value.multiple_of is not None:
            out.append(Check(f"{num} % {literal(value.multiple_of)} <> 0", "out_of_range", field))
    if value.type == "string":
        if value.enum is not None:
            out.append(Check(f"not ({text_expr} = any ({text_array(value.enum)}))", "bad_enum", field))
        if value.min_length is not None:
            out.append(Check(f"char_length({text_expr}) < {value.min_length}", "too_short", field))
        if value.max_length is not None:
            out.append(Check(f"char_length({text_expr}) > {value.max_length}", "too_long", field))
        if value.pattern is not None:
            out.append(Check(f"{text_expr} !~ {literal(value.pattern)}", "bad_pattern", field))
        if value.format == "date-time":
            out.append(Check(f"{text_expr} !~ {literal(DATE_TIME)} or not {helpers}.is_date(left({text_expr}, 10))",
                             "bad_format", field))
        elif value.format == "date":
            out.append(Check(f"{text_expr} !~ {literal(DATE)} or not {helpers}.is_date({text_expr})",
                             "bad_format", field))
        elif value.format == "uuid":
            out.append(Check(f"{text_expr} !~ {literal(UUID)}", "bad_format", field))
        elif value.format is not None:  # the compiler refuses other formats (E208); never skip a check
            raise ValueError(f"no database check for string format {value.format!r}")
    if value.type == "array":
        if value.max_items is not None:
            out.append(Check(f"jsonb_array_length({expr}) > {value.max_items}", "too_many_items", field))
        if value.min_items is not None:
            out.append(Check(f"jsonb_array_length({expr}) < {value.min_items}", "too_few_items", field))
        if value.unique_items:
            out.append(Check(f"(select count(distinct e) <> count(*) from jsonb_array_elements({expr}) as e)",
                             "duplicate_items", field, subquery=True))
        if value.items is not None:
            for item in _value_checks("e", "(e #>> '{}')", value.items, field, helpers):
                out.append(Check(f"exists (select 1 from jsonb_array_elements({expr}) as e where {item.condition})",
                                 item.reason, field, subquery=True))
    return out


def property_checks(prop: Property, helpers: str, payload: str = "p") -> list[Check]:
    """Checks of one property; ``helpers`` is the quoted schema of is_timestamp/is_date."""
    key = literal(prop.name)
    return _value_checks(f"{payload} -> {key}", f"({payload} ->> {key})", prop.value, prop.name, helpers)


def event_checks(event: Event, function: str, helpers: str) -> EventChecks:
    return EventChecks(
        event_id=event.id,
        function=function,
        allowed_keys=text_array([p.name for p in event.properties]),
        required=tuple(Check(f"not (p ? {literal(p.name)})", "missing_property", p.name)
                       for p in event.properties if p.required),
        properties=tuple(PropertyChecks(literal(p.name), tuple(property_checks(p, helpers))) for p in event.properties),
    )
