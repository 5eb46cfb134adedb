"""Positions and compiler-style diagnostics.

Every stage reports problems as ``Diagnostic`` values instead of raising, so the
CLI can show all of them at once, sorted by position, the way a compiler does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, order=True)
class Span:
    """A region of a source file; lines and columns are 1-based, ``end_col`` exclusive."""

    file: str
    line: int
    col: int
    end_line: int
    end_col: int

    @classmethod
    def whole_file(cls, file: str) -> Span:
        return cls(file, 1, 1, 1, 1)


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    span: Span | None = None
    hint: str | None = None
    severity: str = "error"

    def sort_key(self) -> tuple:
        span = self.span or Span("", 0, 0, 0, 0)
        return (span.file, span.line, span.col, self.code, self.message)


@dataclass
class Sources:
    """Source texts by file name, so diagnostics can quote the offending line."""

    texts: dict[str, str] = field(default_factory=dict)

    def line(self, file: str, number: int) -> str | None:
        text = self.texts.get(file)
        if text is None:
            return None
        lines = text.splitlines()
        if 1 <= number <= len(lines):
            return lines[number - 1]
        return None


def render(diag: Diagnostic, sources: Sources) -> str:
    """Render one diagnostic like rustc/clang: header, quoted line, caret underline, hint."""
    where = ""
    if diag.span is not None:
        where = f"{diag.span.file}:{diag.span.line}:{diag.span.col}: "
    out = [f"{where}{diag.severity}[{diag.code}]: {diag.message}"]
    text = sources.line(diag.span.file, diag.span.line) if diag.span else None
    if text is not None and diag.span is not None:
        number = str(diag.span.line)
        pad = " " * len(number)
        width = 1
        if diag.span.end_line == diag.span.line and diag.span.end_col > diag.span.col:
            width = diag.span.end_col - diag.span.col
        width = max(1, min(width, max(1, len(text) - diag.span.col + 1)))
        underline = " " * (diag.span.col - 1) + "^" * width
        out.append(f"{pad} |")
        out.append(f"{number} | {text}")
        out.append(f"{pad} | {underline}" + (f" {diag.hint}" if diag.hint else ""))
    elif diag.hint:
        out.append(f"  = help: {diag.hint}")
    return "\n".join(out)


def render_all(diags: list[Diagnostic], sources: Sources, *, wrote_nothing: bool = True) -> str:
    ordered = sorted(diags, key=Diagnostic.sort_key)
    errors = sum(1 for d in ordered if d.severity == "error")
    body = "\n".join(render(d, sources) for d in ordered)
    noun = "error" if errors == 1 else "errors"
    tail = f"found {errors} {noun}" + ("; nothing written" if wrote_nothing and errors else "")
    return f"{body}\n{tail}\n" if body else f"{tail}\n"


def relpath(path: Path, base: Path) -> str:
    """Display path for a file: relative to ``base`` when possible, with forward slashes."""
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()
