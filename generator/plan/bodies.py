"""Function bodies and view queries: SQL too long to build inline, printed from ``templates/sql/``.

A body template receives values the plan has already named and quoted, and only
loops and prints.  Bodies are part of the catalog (a changed body is a changed
function), so they are rendered while planning, not after.  ``using`` points the
planner at another template folder (tests that break a template on purpose).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import jinja2

from ..render import TEMPLATES, environment

_ROOT: list[Path] = [TEMPLATES]


@contextmanager
def using(templates: Path) -> Iterator[None]:
    _ROOT.append(templates)
    try:
        yield
    finally:
        _ROOT.pop()


@lru_cache(maxsize=4)
def _env(root: str) -> jinja2.Environment:
    return environment(Path(root))


def body(name: str, **context: object) -> str:
    """The rendered ``sql/bodies/<name>.sql.j2``, without its trailing newline."""
    return _env(str(_ROOT[-1])).get_template(f"sql/bodies/{name}.sql.j2").render(**context).rstrip("\n")


def render(template: str, **context: object) -> str:
    """Any template under ``templates/``, without its trailing newline."""
    return _env(str(_ROOT[-1])).get_template(template).render(**context).rstrip("\n")


def macro(template: str, name: str, *args: object, **kwargs: object) -> str:
    """Call macro ``name`` of ``templates/<template>``, without surrounding newlines."""
    module = _env(str(_ROOT[-1])).get_template(template).module
    return str(getattr(module, name)(*args, **kwargs)).strip("\n")
