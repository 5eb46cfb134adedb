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
from dataclasses import dataclass

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
    """Merge consecutive row steps of one table into one multi-row statement."""
    out: list[Step] = []
    for step in steps:
        if step.action in ("create", "delete") and isinstance(step.obj, Row):
            row = step.obj
            action = "rows" if step.action == "create" else "delete_rows"
            shape = (action, row.schema, row.table, row.columns, row.key_columns, row.update)
            last = out[-1] if out else None
            if last is not None and (last.action, last.schema, last.table, last.columns,
                                     len(last.key_columns), last.update) == shape:
                out[-1] = Step(action, note=last.note, schema=last.schema, table=last.table, columns=last.columns,
                               values=last.values + (row.values,), key_columns=last.key_columns,
                               update=last.update)
                continue
            step = Step(action, note=step.note, schema=row.schema, table=row.table, columns=row.columns,
                        values=(row.values,), key_columns=row.columns[: row.key_columns], update=row.update)
        out.append(step)
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


def print_steps(env: jinja2.Environment, steps: list[Step], *, header: str = "", timeouts: bool = True,
                exclusive: bool = False) -> str:
    """``exclusive``: the file runs in one transaction and first takes the migration lock (catalog.MIGRATION_LOCK)
    that every KPI refresh takes shared, waiting up to the statement timeout for running refreshes."""
    text = env.get_template(TEMPLATE).render(
        steps=batch_rows(with_headings(steps)), header=header, timeouts=TIMEOUTS if timeouts else None,
        migration_lock=literal(MIGRATION_LOCK) if exclusive else None, refresh_wait=REFRESH_WAIT,
        revoke_from=", ".join(("public",) + API_ROLES))
    text = re.sub(r"\n{3,}", "\n\n", text).strip("\n")  # one blank line between statements
    return text + "\n"
