"""Load: read the taxonomy's YAML files into plain data plus a map of source positions.

PyYAML's composer gives every node a start and end mark; we keep them keyed by
the JSON-pointer-like path of the value (and separately of the mapping key), so
later stages can point at ``file:line:col`` for any value they reject without
carrying YAML nodes around.  Scalars follow YAML 1.2's core schema: only
``true``/``false`` are booleans and dates stay strings, so an enum value such as
``no`` or ``2024-01-01`` means what the analyst typed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

try:
    from yaml.cyaml import CParser
except ImportError:  # PyYAML built without libyaml: the Python composer does it all
    CParser = None

from .diagnostics import Diagnostic, Sources, Span, relpath
from .migrations import LOCK_FILE, MIGRATIONS_DIR, Previous

Path_ = tuple[Any, ...]

#: The files that make up a taxonomy, relative to its folder, in load order.
LAYOUT_GLOBS = ("project.yaml", "tiers.yaml", "events/*.yaml", "kpis/*.yaml")


class _Resolver(yaml.resolver.BaseResolver):
    """YAML 1.2 core-schema scalars: no yes/no/on/off booleans, no timestamps, no sexagesimals."""

    def resolve(self, kind, value, implicit):  # type: ignore[no-untyped-def]
        """PyYAML's answer, remembered: the composer asks for every node, and the answer depends on
        nothing but the arguments (this resolver has no path resolvers), while a taxonomy repeats its
        values (``type: integer``, ``required: true``) thousands of times."""
        key = (kind, value, implicit)
        tag = _RESOLVED.get(key)
        if tag is None:
            tag = _RESOLVED[key] = super().resolve(kind, value, implicit)
        return tag


#: (node kind, scalar value, implicit flags) -> tag, for ``_Resolver.resolve``
_RESOLVED: dict[tuple, str] = {}


_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
    list("-+0123456789"),
)
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)
_Resolver.add_implicit_resolver("tag:yaml.org,2002:merge", re.compile(r"^(?:<<)$"), ["<"])
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)


class _Loader(
    yaml.reader.Reader,
    yaml.scanner.Scanner,
    yaml.parser.Parser,
    yaml.composer.Composer,
    yaml.constructor.SafeConstructor,
    _Resolver,
):
    def __init__(self, stream: str):
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        _Resolver.__init__(self)


if CParser is not None:
    class _CLoader(CParser, yaml.constructor.SafeConstructor, _Resolver):
        """The same composer in libyaml's C (about ten times faster); nodes carry the same marks. Used
        only on text the Python reader accepts; a syntax error is reported by ``_Loader``, whose
        messages the diagnostics quote."""

        def __init__(self, stream: str):
            CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            _Resolver.__init__(self)


@dataclass(frozen=True)
class Document:
    """One YAML file: its data and where each value (and each mapping key) stands."""

    file: str  # display path, e.g. taxonomy/events/consumer.yaml
    rel: str  # path inside the taxonomy folder, e.g. events/consumer.yaml
    data: Any
    values: dict[Path_, Span] = field(repr=False, default_factory=dict)
    keys: dict[Path_, Span] = field(repr=False, default_factory=dict)

    def span(self, path: Path_, *, key: bool = False) -> Span:
        """Span of the value at ``path`` (or of its key); falls back to the nearest ancestor."""
        path = tuple(path)
        while True:
            if key and path in self.keys:
                return self.keys[path]
            if path in self.values:
                return self.values[path]
            if not path:
                return Span.whole_file(self.file)
            path = path[:-1]
            key = False


_STR = "tag:yaml.org,2002:str"


def _span(file: str, node: yaml.Node) -> Span:
    start, end = node.start_mark, node.end_mark
    return Span(file, start.line + 1, start.column + 1, end.line + 1, end.column + 1)


class _Builder:
    """Turns a composed node tree into plain data, recording spans and duplicate keys."""

    def __init__(self, file: str, loader: _Loader):
        self.file = file
        self.loader = loader
        self.values: dict[Path_, Span] = {}
        self.keys: dict[Path_, Span] = {}
        self.diagnostics: list[Diagnostic] = []

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.values[path] = _span(self.file, node)
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    self.diagnostics.append(
                        Diagnostic("E003", "YAML merge keys (<<) are not supported; write the keys out",
                                   _span(self.file, key_node))
                    )
                    continue
                key = self._scalar(key_node)
                if not isinstance(key, (str, int, float, bool)) or key is None:
                    self.diagnostics.append(
                        Diagnostic("E003", "mapping keys must be plain scalars", _span(self.file, key_node))
                    )
                    continue
                key = str(key) if not isinstance(key, str) else key
                child = path + (key,)
                if key in out:
                    first = self.keys[child]
                    self.diagnostics.append(
                        Diagnostic(
                            "E002",
                            f'duplicate key "{key}" (first defined at line {first.line})',
                            _span(self.file, key_node),
                            hint="each key may appear once; the second would silently replace the first",
                        )
                    )
                    continue
                self.keys[child] = _span(self.file, key_node)
                out[key] = self.build(value_node, child)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        return self._scalar(node)

    def _scalar(self, node: yaml.Node) -> Any:
        """A string is its node's text, as SafeConstructor makes it (most of a taxonomy's scalars, each
        of which went through the constructor's bookkeeping); other tags go to the constructor."""
        if node.tag == _STR and type(node) is yaml.ScalarNode:
            return node.value
        return self.loader.construct_object(node, deep=True)


_FAILED = object()


def _compose_fast(text: str, loader: _Loader) -> Any:
    """The node tree composed by libyaml, or ``_FAILED`` (then the Python composer runs and reports
    the error exactly as before). ``loader`` is the Python one, whose constructor builds the values."""
    if CParser is None:
        return _FAILED
    fast = _CLoader(text)
    try:
        return fast.get_single_node()
    except yaml.YAMLError:
        return _FAILED
    finally:
        fast.dispose()


def parse_text(text: str, file: str, rel: str) -> tuple[Document | None, list[Diagnostic]]:
    """Parse one YAML text; on a syntax error return no document and one E001 diagnostic."""
    try:
        loader = _Loader(text)  # the reader rejects control characters already here
    except yaml.reader.ReaderError as exc:
        before = text[: exc.position]
        line, col = before.count("\n") + 1, exc.position - (before.rfind("\n") + 1) + 1
        return None, [Diagnostic("E001", f"YAML syntax error: character U+{exc.character:04X} is not allowed",
                                 Span(file, line, col, line, col + 1), hint="remove the control character")]
    node = _compose_fast(text, loader)
    try:
        if node is _FAILED:
            node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or "invalid YAML"
        if exc.context:
            problem = f"{problem} ({exc.context})"
        return None, [Diagnostic("E001", f"YAML syntax error: {problem}", Span(file, line, col, line, col + 1))]
    except yaml.YAMLError as exc:  # reader errors: bad bytes or control characters
        return None, [Diagnostic("E001", f"YAML syntax error: {exc}", Span.whole_file(file))]
    finally:
        loader.dispose()
    if node is None:
        return Document(file, rel, None, {(): Span.whole_file(file)}, {}), []
    builder = _Builder(file, loader)
    try:
        data = builder.build(node, ())
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        span = Span(file, mark.line + 1, mark.column + 1, mark.line + 1, mark.column + 2) if mark else None
        return None, [Diagnostic("E001", f"YAML value error: {exc.problem}", span)]
    except RecursionError:
        return None, [Diagnostic("E001", "YAML document is nested too deeply", Span.whole_file(file))]
    return Document(file, rel, data, builder.values, builder.keys), builder.diagnostics


@dataclass
class Loaded:
    documents: list[Document]
    sources: Sources
    diagnostics: list[Diagnostic]


def discover(taxonomy: Path) -> list[Path]:
    """The taxonomy's files in a fixed order (never file-system order)."""
    found: list[Path] = []
    for pattern in LAYOUT_GLOBS:
        found.extend(sorted(taxonomy.glob(pattern), key=lambda p: p.as_posix()))
    return found


def load(taxonomy: Path, display_base: Path | None = None) -> Loaded:
    """Read and parse every taxonomy file; never raises for bad input."""
    base = display_base if display_base is not None else Path.cwd()
    sources = Sources()
    documents: list[Document] = []
    diagnostics: list[Diagnostic] = []
    shown_root = relpath(taxonomy.resolve(), base.resolve()) if taxonomy.is_absolute() else taxonomy.as_posix()
    if not taxonomy.is_dir():
        diagnostics.append(Diagnostic("E004", f"taxonomy folder {shown_root} does not exist"))
        return Loaded(documents, sources, diagnostics)
    for required in ("project.yaml", "tiers.yaml"):
        if not (taxonomy / required).is_file():
            diagnostics.append(
                Diagnostic("E004", f"missing {shown_root}/{required}", hint="every taxonomy has project.yaml and tiers.yaml")
            )
    read = set(discover(taxonomy))
    for stray in sorted((p for p in taxonomy.rglob("*") if p.is_file() and p not in read
                         and p.suffix.lower() in (".yaml", ".yml", ".json")), key=lambda p: p.as_posix()):
        rel = stray.relative_to(taxonomy).as_posix()
        diagnostics.append(
            Diagnostic("E005", f"{shown_root}/{rel} is not read: taxonomy files end in .yaml and live in "
                               "project.yaml, tiers.yaml, events/ or kpis/", Span.whole_file(f"{shown_root}/{rel}"),
                       hint="move or rename it, or delete it if it is not part of the plan"))
    for path in discover(taxonomy):
        rel = path.relative_to(taxonomy).as_posix()
        file = f"{shown_root}/{rel}"
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            diagnostics.append(Diagnostic("E001", f"file is not UTF-8: {exc.reason} at byte {exc.start}",
                                          Span.whole_file(file)))
            continue
        sources.texts[file] = text
        document, problems = parse_text(text, file, rel)
        diagnostics.extend(problems)
        if document is not None:
            documents.append(document)
    return Loaded(documents, sources, diagnostics)


def load_previous(out_dir: Path) -> Previous:
    """The migrations and lock an earlier generate left in ``out_dir`` (both are inputs: history)."""
    migrations = {}
    folder = out_dir / MIGRATIONS_DIR
    if folder.is_dir():
        for path in sorted(folder.glob("*.sql"), key=lambda p: p.name):
            migrations[path.name] = path.read_text(encoding="utf-8")
    lock = None
    lock_path = out_dir / LOCK_FILE
    if lock_path.is_file():
        try:
            lock = json.loads(lock_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            lock = None
    clickhouse = {}
    folder = out_dir / "clickhouse" / "migrations"
    if folder.is_dir():
        for path in sorted(folder.glob("*.sql"), key=lambda p: p.name):
            clickhouse[path.name] = path.read_text(encoding="utf-8")
    return Previous(migrations, lock, clickhouse)
