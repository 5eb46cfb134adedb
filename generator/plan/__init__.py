"""Plan: turn the resolved taxonomy into per-target view models.

Each target module exposes ``plan(taxonomy) -> list[Artifact]``.  An artifact
names its output path, its template and the (already sorted, named and quoted)
context the template prints; templates decide nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Artifact:
    path: str  # relative to the output folder, forward slashes
    template: str  # relative to templates/
    context: dict[str, Any] = field(default_factory=dict)
    #: which lint applies to the rendered text: "sql", "jsonschema", "markdown", "typescript" or "none"
    kind: str = "none"
