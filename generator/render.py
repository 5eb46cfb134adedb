"""Render: run each planned artifact through its Jinja2 template.

StrictUndefined makes a misspelt variable an error instead of an empty string;
autoescape is off because we emit SQL, TypeScript, JSON and Markdown, whose
quoting the plan stage has already done with the right rules for each.
"""

from __future__ import annotations

from pathlib import Path

import jinja2

from .diagnostics import Diagnostic
from .plan import Artifact
from .resources import templates_dir

TEMPLATES = templates_dir()  # the installed package's copy, else the source tree's


def environment(templates: Path = TEMPLATES) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )


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
