"""Print catalog steps as SQL through ``templates/sql/catalog.sql.j2``.

A step is one thing to do to one object (create it, add a column, drop it ...).
The declarative files in ``supabase/schemas/`` are the ``create`` steps of every
object of a group; a migration is the steps the delta planner chose.  Python
decides here what the template cannot: consecutive rows of one table become one
upsert, and a heading is printed where the taxonomy entity behind the objects
changes, so a reader sees which KPI or event a block belongs to.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass, replace

import jinja2

from .catalog import API_ROLES, MIGRATION_LOCK, Column, DbObject, Row
from .sqlquote import literal

TEMPLATE = "sql/catalog.sql.j2"
TIMEOUTS = {"lock": "'5s'", "statement": "'5min'"}
#: how long a migration waits for the KPI refreshes running when it starts (they hold the migration lock)
REFRESH_WAIT = "'5min'"


@dataclass(frozen=True)
class Step:
    action: str  # create, replace_function, view_extras, drop, add_column, table_comment, table_access, function_extras, rebuilt,
    #              index_concurrently, rows, delete_rows
    obj: DbObject | None = None
    note: str = ""
    column: Column | None = None
    # rows / delete_rows: one batch of Row objects of the same table and shape
    schema: str = ""
    table: str = ""
    columns: tuple[str, ...] = ()
    values: tuple[tuple[str, ...], ...] = ()
    key_columns: tuple[str, ...] = ()
    update: tuple[str, ...] = ()


def batch_rows(steps: list[Step]) -> list[Step]:
    """Merge consecutive row steps of one table into one multi-row statement. The rows merged into the
    last step are gathered in a list and the step remade once: thousands of rows of one table (the
    event registry) remade the step, and a tuple of all the rows so far, for every row."""
    out: list[Step] = []
    last_shape: tuple | None = None  # what a row must match to join the last step
    extra: list[tuple[str, ...]] = []  # rows joining the last step

    def flush() -> None:
        if extra:
            out[-1] = replace(out[-1], values=out[-1].values + tuple(extra))
            extra.clear()

    for step in steps:
        if step.action in ("create", "delete") and isinstance(step.obj, Row):
            row = step.obj
            action = "rows" if step.action == "create" else "delete_rows"
            if out and last_shape == (action, row.schema, row.table, row.columns, row.key_columns, row.update):
                extra.append(row.values)
                continue
            step = Step(action, note=step.note, schema=row.schema, table=row.table, columns=row.columns,
                        values=(row.values,), key_columns=row.columns[: row.key_columns], update=row.update)
        flush()
        out.append(step)
        last_shape = (step.action, step.schema, step.table, step.columns, len(step.key_columns), step.update)
    flush()
    return out


def entity_label(entity: str) -> str:
    kind, _, name = entity.partition(":")
    return {"kpi": f"KPI {name}", "event": f"event {name}"}.get(kind, "")


def with_headings(steps: list[Step]) -> list[Step]:
    """Give the first step of each run of one taxonomy entity a heading note."""
    out: list[Step] = []
    current = None
    for step in steps:
        entity = step.obj.origin.entity if step.obj is not None else current
        if entity != current and not step.note:
            label = entity_label(entity or "")
            if label:
                step = Step(**{**step.__dict__, "note": label})
        current = entity
        out.append(step)
    return out


#: what every step macro may read besides its step; the file-level values (header, timeouts, lock) are
#: printed by the template's body alone, so the macros see them neutral: a step's text is the same in
#: every file it is printed in
_STEP_VARS = {"header": "", "timeouts": None, "migration_lock": None, "refresh_wait": REFRESH_WAIT,
              "revoke_from": ", ".join(("public",) + API_ROLES), "steps": ()}


class _Printer:
    """The template's macros for one environment, and the text of every object's create step printed so
    far. A first migration creates every object the declarative files create, and printing them through
    the template a second time was a fifth of ``generate``'s planning; a create step's text depends on
    its object alone, so it is printed once. The object is kept beside its id (no id is reused while the
    entry lives); another environment (other templates) has its own printer."""

    def __init__(self, env: jinja2.Environment):
        self.module = env.get_template(TEMPLATE).make_module(vars=_STEP_VARS)
        self.created: dict[int, tuple[DbObject, str]] = {}

    def texts(self, steps: list[Step]) -> list[tuple[Step, str]]:
        out = []
        for s in steps:
            if s.action == "create" and s.obj is not None:
                known = self.created.get(id(s.obj))
                if known is None or known[0] is not s.obj:
                    known = self.created[id(s.obj)] = (s.obj, str(self.module.step(s)))  # type: ignore[attr-defined]
                out.append((s, known[1]))
            else:
                out.append((s, str(self.module.step(s))))  # type: ignore[attr-defined]
        return out


_PRINTERS: weakref.WeakKeyDictionary[jinja2.Environment, _Printer] = weakref.WeakKeyDictionary()


def print_steps(env: jinja2.Environment, steps: list[Step], *, header: str = "", timeouts: bool = True,
                exclusive: bool = False) -> str:
    """``exclusive``: the file runs in one transaction and first takes the migration lock (catalog.MIGRATION_LOCK)
    that every KPI refresh takes shared, waiting up to the statement timeout for running refreshes."""
    printer = _PRINTERS.get(env)
    if printer is None:
        printer = _PRINTERS[env] = _Printer(env)
    text = env.get_template(TEMPLATE).render(
        steps=printer.texts(batch_rows(with_headings(steps))), header=header, timeouts=TIMEOUTS if timeouts else None,
        migration_lock=literal(MIGRATION_LOCK) if exclusive else None, refresh_wait=REFRESH_WAIT,
        revoke_from=_STEP_VARS["revoke_from"])
    text = re.sub(r"\n{3,}", "\n\n", text).strip("\n")  # one blank line between statements
    return text + "\n"
