"""Render: run each planned artifact through its Jinja2 template.

StrictUndefined makes a misspelt variable an error instead of an empty string;
autoescape is off because we emit SQL, TypeScript, JSON and Markdown, whose
quoting the plan stage has already done with the right rules for each.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

import jinja2

from .diagnostics import Diagnostic
from .plan import Artifact
from .resources import templates_dir

TEMPLATES = templates_dir()  # the installed package's copy, else the source tree's


#: the options every environment is made with; the compiled templates depend on them
_OPTIONS = {"undefined": jinja2.StrictUndefined, "trim_blocks": True, "lstrip_blocks": True,
            "keep_trailing_newline": True, "autoescape": False}


def environment(templates: Path = TEMPLATES) -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates)), bytecode_cache=bytecode_cache(),
                              **_OPTIONS)


@lru_cache(maxsize=1)
def bytecode_cache() -> jinja2.BytecodeCache | None:
    """Jinja2's compiled templates, kept between runs as Python keeps ``.pyc`` files: compiling the
    templates was about a tenth of a large taxonomy's ``generate`` and is the same every run.

    The folder is ``$TRACKGEN_CACHE_DIR`` (empty: no cache), else ``$XDG_CACHE_HOME/trackgen``, else
    ``~/.cache/trackgen``; a subfolder is named after Jinja2's version and the options above, and Jinja2
    checks each entry against its template's source, so an edited template is compiled again. A
    folder that cannot be made means no cache, never an error: the output is the same either way
    (a compiled template is the same code, only not compiled again)."""
    root = os.environ.get("TRACKGEN_CACHE_DIR")
    if root is None:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        root = os.path.join(base, "trackgen")
    if not root:
        return None
    tag = hashlib.sha256(repr((jinja2.__version__, sorted((k, repr(v)) for k, v in _OPTIONS.items())))
                         .encode()).hexdigest()[:12]
    folder = Path(root) / f"jinja-{tag}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    if not os.access(folder, os.W_OK | os.X_OK):
        return None
    return jinja2.FileSystemBytecodeCache(str(folder))


def render(artifacts: list[Artifact], templates: Path = TEMPLATES) -> tuple[dict[str, str], list[Diagnostic]]:
    env = environment(templates)
    files: dict[str, str] = {}
    diags: list[Diagnostic] = []
    for artifact in sorted(artifacts, key=lambda a: a.path):
        if artifact.path in files:
            diags.append(Diagnostic("E901", f"two artifacts want {artifact.path}"))
            continue
        try:
            text = env.get_template(artifact.template).render(**artifact.context)
        except jinja2.TemplateError as exc:
            line = getattr(exc, "lineno", None)
            where = f"templates/{artifact.template}" + (f":{line}" if line else "")
            diags.append(Diagnostic("E902", f"{where}: rendering {artifact.path} failed: {exc}"))
            continue
        files[artifact.path] = text if text.endswith("\n") else text + "\n"
    return files, diags
