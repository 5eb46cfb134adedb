"""Plan: turn the resolved taxonomy into per-target view models.

Each target module exposes ``plan(taxonomy) -> list[Artifact]``.  An artifact
names its output path, its template and the (already sorted, named and quoted)
context the template prints; templates decide nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..diagnostics import Span


class PlanError(Exception):
    """A taxonomy that validates but cannot be laid out (e.g. two KPIs needing one SQL name)."""

    def __init__(self, code: str, message: str, span: Span | None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.span = span


@dataclass(frozen=True)
class Artifact:
    path: str  # relative to the output folder, forward slashes
    template: str  # relative to templates/
    context: dict[str, Any] = field(default_factory=dict)
    #: which lint applies to the rendered text: "sql", "jsonschema", "markdown", "typescript" or "none"
    kind: str = "none"
    #: SQL object name -> the taxonomy entity it was generated from, so a lint error can point at YAML
    origins: dict[str, Span] = field(default_factory=dict, compare=False)
