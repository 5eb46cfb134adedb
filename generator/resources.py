"""Where the compiler's data files are, installed or in the source tree.

The Jinja2 templates live in the repository's top-level ``templates/`` folder
(the layout the product owner fixed); the wheel ships them as package data under
``generator/templates`` (pyproject.toml maps the folder).  So the installed
package finds them through importlib.resources, and a source checkout (an
editable install, or ``python -m generator.cli`` from the repository) falls back
to the folder beside the package.  The taxonomy JSON Schemas are ordinary
package data in ``generator/schemas`` either way.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

SOURCE_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def templates_dir() -> Path:
    """The templates folder: the installed package's copy, else the source tree's."""
    installed = resources.files("generator") / "templates"
    if installed.is_dir() and isinstance(installed, Path):
        return installed
    return SOURCE_TEMPLATES
