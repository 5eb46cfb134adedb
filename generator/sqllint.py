"""SQL lint placeholder replaced in the database issue."""

from __future__ import annotations

from .diagnostics import Diagnostic
from .plan import Artifact


def lint_sql(artifact: Artifact, text: str) -> list[Diagnostic]:
    return []
