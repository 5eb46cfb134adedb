"""Property tests: no input makes the compiler raise, and every diagnostic points into its file.

(a) random YAML-ish documents (random nested data dumped with yaml.safe_dump,
    shaped documents that get past the first schema checks, raw text, raw bytes)
    written as one or more taxonomy files around an otherwise valid taxonomy;
(b) small edits of the valid base taxonomy (tests/cases/ok_base): delete a key,
    change a scalar's type, rename a key, duplicate a line, truncate the file.
    When such an edit leaves no error, the full compilation must succeed too.

Derandomized, so CI sees the same examples every run.
"""

from __future__ import annotations

import copy
import json
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.compiler import Compilation, analyse, compile_taxonomy
from generator.diagnostics import render_all
from generator.load import parse_text

try:
    from tests import caselib
except ImportError:  # tests/ itself is on sys.path
    import caselib  # type: ignore[no-redef]



def _files_of(case: str) -> dict[str, str]:
    root = caselib.CASES / case / "taxonomy"
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in sorted(root.rglob("*.yaml"))}


#: (b) mutates the base taxonomy every failing golden case is derived from
BASE_FILES = _files_of("ok_base")
#: (a) drops random files into a smaller valid taxonomy (2 tiers, 2 events, 1 KPI): the YAML
#: parser is pure Python, so every file that is not under test costs time in every example
SMALL_FILES = _files_of("ok_yaml_core_scalars")
CODE = re.compile(r"^E\d{3}$")

FUZZ = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


# ---------------------------------------------------------------- running the compiler on a file set

class _Scratch:
    """A taxonomy folder reused from one example to the next: only files that changed are rewritten.

    Writing every file of every example into a fresh folder took longer than the analysis.
    """

    def __init__(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="trackgen-fuzz-")
        self.root = Path(self._tmp.name)
        self.taxonomy = self.root / "taxonomy"
        self._current: dict[str, str | bytes] = {}

    def put(self, files: dict[str, str | bytes]) -> Path:
        for rel in sorted(set(self._current) - set(files)):
            (self.taxonomy / rel).unlink()
        for rel, content in files.items():
            old = self._current.get(rel)
            if old is not None and type(old) is type(content) and old == content:
                continue
            path = self.taxonomy / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8", newline="")
        self._current = dict(files)
        return self.taxonomy

    def close(self) -> None:
        self._tmp.cleanup()


@pytest.fixture(scope="module")
def scratch():
    folder = _Scratch()
    yield folder
    folder.close()


def _check_diagnostics(result: Compilation, root: Path) -> None:
    """Every diagnostic has a code; every one except E004 points at a line that exists in its file."""
    for diag in result.diagnostics:
        assert CODE.match(diag.code), diag
        assert diag.severity in ("error", "warning"), diag
        assert diag.message, diag
        if diag.code == "E004":
            continue
        assert diag.span is not None, f"{diag.code} without a position: {diag.message}"
        path = root / diag.span.file
        assert path.is_file(), f"{diag.code} names {diag.span.file}, which does not exist"
        data = path.read_bytes()
        # the last line counts even when empty: an editor can put the cursor there
        lines = data.count(b"\n") + 1
        assert 1 <= diag.span.line <= lines, f"{diag.code} at line {diag.span.line} of a {lines}-line file: {diag}"
        assert diag.span.col >= 1, diag
    render_all(result.diagnostics, result.sources)  # rendering never raises either


def _analyse(scratch: _Scratch, files: dict[str, str | bytes]) -> Compilation:
    result = analyse(scratch.put(files), display_base=scratch.root)
    _check_diagnostics(result, scratch.root)
    return result


# ---------------------------------------------------------------- (a) random YAML-ish documents

VOCABULARY = [
    # keys of every file kind, so random mappings often get past "unknown key"
    "project", "description", "timezone", "schemas", "public", "private", "claims", "privacy", "k_anonymity",
    "pii_deny", "ingest", "storage", "tiers", "name", "system", "tier", "events", "owner", "status",
    "deprecation", "reason", "replaced_by", "version", "properties", "examples", "type", "required",
    "pii_exempt", "reviewed_by", "enum", "pattern", "format", "minimum", "maximum", "exclusiveMinimum",
    "maxItems", "minItems", "items", "maxLength", "kpis", "by", "grain", "where", "numerator", "denominator",
    "kpi", "window", "order", "steps", "cohort", "returning", "periods", "field", "p", "refresh",
    "consumer.feature_used", "system.signup_completed", "platform", "duration_ms", "<<",
]
VALUES = [
    "consumer", "system", "consumer.*", "consumer.feature_used", "practitioner.protocol_logged", "string",
    "integer", "number", "boolean", "array", "count", "distinct_actors", "ratio", "rolling", "funnel",
    "retention", "percentile", "day", "week", "14 days", "deprecated", "active", "growth", "email",
    "^[a-z]+$", ".*", "A description that is long enough.", "daily_active_actors", "duration_ms", "",
]

keys = st.sampled_from(VOCABULARY) | st.text(max_size=12)
scalars = (
    st.none() | st.booleans() | st.integers(min_value=-(10**12), max_value=10**12)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=24) | st.sampled_from(VALUES)
)
trees = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(keys, children, max_size=4),
    max_leaves=12,
)
event_ids = st.sampled_from(["consumer.feature_used", "consumer.goal_completed", "consumer.new_thing",
                             "practitioner.protocol_logged", "system.api_request_completed", "Bad.Id"])
properties = st.dictionaries(st.sampled_from(["platform", "feature", "duration_ms", "email", "tags", "x"]),
                             st.dictionaries(keys, trees, max_size=5) | trees, max_size=3)
events_doc = st.fixed_dictionaries(
    {"tier": st.sampled_from(["consumer", "system", "nope"]) | scalars},
    optional={"events": st.dictionaries(event_ids, st.fixed_dictionaries(
        {}, optional={"description": st.sampled_from(VALUES) | scalars, "owner": st.sampled_from(VALUES),
                      "properties": properties, "examples": st.lists(trees, max_size=3),
                      "status": st.sampled_from(VALUES), "deprecation": trees}), max_size=3)},
)
kpi_item = st.fixed_dictionaries(
    {"name": st.sampled_from(["k_one", "k_two", "daily_active_actors"]) | scalars,
     "type": st.sampled_from(["count", "distinct_actors", "ratio", "rolling", "funnel", "retention", "percentile"]),
     "description": st.just("A KPI description long enough.")},
    optional={k: st.sampled_from(VALUES) | trees for k in
              ("events", "by", "grain", "where", "numerator", "denominator", "kpi", "window", "steps",
               "cohort", "returning", "periods", "field", "p", "tiers")},
)
kpis_doc = st.fixed_dictionaries({"kpis": st.lists(kpi_item, max_size=4)})


_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml when present: the tests' own YAML is not under test


def _dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True)


yamlish_text = (
    trees.map(_dump)
    | events_doc.map(_dump)
    | kpis_doc.map(_dump)
    | st.text(max_size=80)
    | st.text(alphabet="{}[]:-,&*!|>'\"#?\t\n abc<", max_size=60)
)
contents = yamlish_text | st.binary(max_size=80)
targets = st.sampled_from(sorted(SMALL_FILES) + ["events/consumer_extra.yaml", "kpis/extra.yaml"])


@FUZZ
@given(replacements=st.dictionaries(targets, contents, min_size=1, max_size=3))
def test_random_documents_never_crash(scratch: _Scratch, replacements: dict[str, str | bytes]) -> None:
    result = _analyse(scratch, {**SMALL_FILES, **replacements})
    assert isinstance(result, Compilation)


# ---------------------------------------------------------------- (b) mutations of the valid base taxonomy

def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a mapping entry or list item, depth first."""
    out: list[tuple] = []
    if isinstance(node, dict):
        for key, value in node.items():
            out.append(prefix + (key,))
            out.extend(_paths(value, prefix + (key,)))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out.append(prefix + (i,))
            out.extend(_paths(value, prefix + (i,)))
    return out


def _parent(data: Any, path: tuple) -> Any:
    for part in path[:-1]:
        data = data[part]
    return data


#: the base files as the generator reads them (YAML 1.2 scalars), parsed once
BASE_DATA = {rel: parse_text(text, rel, rel)[0].data for rel, text in BASE_FILES.items()}

OTHER_SCALARS = [None, True, 0, -1, 10**9, 1.5, "", "text", "x" * 70, [], {}, ["a"], {"a": 1}]


@st.composite
def mutations(draw: st.DrawFn) -> tuple[str, str, str]:
    """(file, how, new text) for one edit of one base file."""
    rel = draw(st.sampled_from(sorted(BASE_FILES)))
    text = BASE_FILES[rel]
    how = draw(st.sampled_from(["delete_key", "change_type", "rename_key", "duplicate_line", "truncate"]))
    if how == "duplicate_line":
        lines = text.splitlines(keepends=True)
        i = draw(st.integers(0, len(lines) - 1))
        return rel, how, "".join(lines[: i + 1] + [lines[i]] + lines[i + 1:])
    if how == "truncate":
        return rel, how, text[: draw(st.integers(0, len(text)))]
    data = copy.deepcopy(BASE_DATA[rel])
    path = draw(st.sampled_from(_paths(data)))
    parent = _parent(data, path)
    last = path[-1]
    if how == "delete_key":
        del parent[last]
    elif how == "change_type":
        parent[last] = draw(st.sampled_from([v for v in OTHER_SCALARS if type(v) is not type(parent[last])]))
    elif isinstance(parent, dict):  # rename_key
        new = draw(st.sampled_from([last + "s", last[:-1], last.upper(), "x_" + last, "description", "type", "name"]))
        if new != last and new not in parent:
            parent[new] = parent.pop(last)
    return rel, how, _dump(data)


#: canonical data of clean mutations already compiled: many edits (a duplicated blank line, a
#: cut after the last complete KPI) give the same data, and a full compile is the slow part
_COMPILED: set[str] = set()


def _canonical(files: dict[str, str]) -> str:
    """The taxonomy's data as the generator's own loader reads it (first key wins, YAML 1.2 scalars)."""
    data = {rel: parse_text(text, rel, rel)[0].data for rel, text in sorted(files.items())}
    return json.dumps(data, sort_keys=True, default=repr)


@FUZZ
@given(edit=mutations())
def test_mutations_never_crash_and_clean_ones_compile(scratch: _Scratch, edit: tuple[str, str, str]) -> None:
    rel, _how, text = edit
    files = {**BASE_FILES, rel: text}
    result = _analyse(scratch, files)
    if result.ok:
        key = _canonical(files)
        if key not in _COMPILED:
            compiled = compile_taxonomy(scratch.taxonomy, display_base=scratch.root)
            assert compiled.ok, render_all(compiled.diagnostics, compiled.sources)
            assert compiled.files
            _COMPILED.add(key)


# ---------------------------------------------------------------- crashes the fuzzers found (fixed in 98a4e78)

@pytest.mark.parametrize("value", ["", "5", "true"])
def test_tiers_not_a_list_is_reported(scratch: _Scratch, value: str) -> None:
    """build() used to enumerate() tiers.yaml's ``tiers`` value and raise TypeError for null or a number."""
    result = _analyse(scratch, {**BASE_FILES, "tiers.yaml": f"tiers: {value}\n"})
    assert "E103" in [d.code for d in result.diagnostics]


def test_duplicated_tiers_line_is_reported(scratch: _Scratch) -> None:
    """``tiers:`` twice: the first (null) value wins, which used to reach the same crash."""
    result = _analyse(scratch, {**BASE_FILES, "tiers.yaml": "tiers:\n" + BASE_FILES["tiers.yaml"]})
    assert {"E002", "E103"} <= {d.code for d in result.diagnostics}


@pytest.mark.parametrize("char", ["\x00", "\x0c", "\x1b", "\ufffe"])
def test_control_character_is_a_syntax_error(scratch: _Scratch, char: str) -> None:
    """parse_text() used to build the PyYAML reader outside its try block: ReaderError escaped."""
    text = BASE_FILES["events/clinic.yaml"].replace("A protocol template", f"A{char}protocol template")
    result = _analyse(scratch, {**BASE_FILES, "events/clinic.yaml": text})
    [diag] = result.diagnostics
    assert diag.code == "E001"
    assert diag.span is not None and diag.span.line == 4


@pytest.mark.parametrize("files", [BASE_FILES, SMALL_FILES], ids=["ok_base", "ok_yaml_core_scalars"])
def test_starting_points_are_clean(scratch: _Scratch, files: dict[str, str]) -> None:
    """The fuzzers start from valid taxonomies; if this fails, fix the golden case first."""
    result = _analyse(scratch, dict(files))
    assert result.ok, render_all(result.diagnostics, result.sources)
