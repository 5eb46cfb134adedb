"""The generated docs (generated/docs/): complete against the catalog, deterministic, no broken
link or anchor, and Mermaid blocks in the subset the generator emits.

Completeness compares sets read from the compiled catalog and model with sets parsed from the
Markdown (headings and table cells), never counts of strings.  Anchors are checked with
GitHub's heading-slug rules written out here, independently of the generator's ``slug``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from generator.catalog import CronJob, Function, Index, Row, Table, View
from generator.compiler import compile_taxonomy
from generator.load import load_previous

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "generated" / "docs"


@pytest.fixture(scope="module")
def compiled():
    result = compile_taxonomy(ROOT / "taxonomy", previous=load_previous(ROOT / "generated"))
    assert result.ok, result.diagnostics
    return result


@pytest.fixture(scope="module")
def pages(compiled) -> dict[str, str]:
    """The docs as this generate would write them (the committed ones are checked equal below)."""
    return {path.split("/", 1)[1]: text for path, text in compiled.files.items() if path.startswith("docs/")}


def headings(text: str, level: int) -> list[str]:
    """Headings of one level, outside fenced code blocks."""
    out, fenced = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and line.startswith("#" * level + " "):
            out.append(line[level + 1:].strip())
    return out


def table_rows(text: str, header_start: str) -> list[list[str]]:
    """Rows (cells stripped, code ticks removed) of every table whose header starts with ``header_start``."""
    rows, inside = [], False
    for line in text.splitlines():
        if line.startswith(header_start):
            inside = True
            continue
        if inside and line.startswith("| ---"):
            continue
        if inside and line.startswith("|"):
            cells = [c.strip().strip("`") for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
            rows.append(cells)
        else:
            inside = False
    return rows


def _unquote(name: str) -> str:
    return name.replace('"', "")


# --------------------------------------------------------------------------- #
# Completeness
# --------------------------------------------------------------------------- #


def test_committed_docs_are_what_generate_writes(pages):
    committed = {p.name: p.read_text(encoding="utf-8") for p in sorted(DOCS.glob("*.md"))}
    assert committed == pages
    assert set(pages) == {"index.md", "events.md", "kpis.md", "views.md", "indexes.md", "privacy.md", "lineage.md"}


def test_docs_are_deterministic(compiled, pages):
    again = compile_taxonomy(ROOT / "taxonomy", previous=load_previous(ROOT / "generated"))
    assert {p: t for p, t in again.files.items() if p.startswith("docs/")} == {f"docs/{p}": t for p, t in pages.items()}


def test_every_event_and_property_is_documented(compiled, pages):
    catalog, tax = compiled.catalog, compiled.taxonomy
    event_rows = {r.origin.entity.split(":", 1)[1] for r in catalog.of(Row)
                  if r.table == "event_types" and r.origin.entity.startswith("event:")}
    assert event_rows == {e.id for e in tax.events}
    assert set(headings(pages["events.md"], 3)) == event_rows
    # properties: the rows of each event's payload table
    documented = set()
    sections = re.split(r"^### ", pages["events.md"], flags=re.M)[1:]
    for section in sections:
        event_id = section.splitlines()[0].strip()
        documented |= {(event_id, row[0]) for row in table_rows(section, "| property |")}
    assert documented == {(e.id, p.name) for e in tax.events for p in e.properties}
    # tiers' summary counts equal the model's
    counts = {row[0].split("]")[0].lstrip("["): (int(row[1]), int(row[2]))
              for row in table_rows(pages["events.md"], "| tier |")}
    assert counts == {t.name: (sum(e.active for e in tax.events if e.tier == t.name),
                               sum(not e.active for e in tax.events if e.tier == t.name)) for t in tax.tiers}


def test_every_kpi_is_documented_with_its_objects(compiled, pages):
    catalog, tax = compiled.catalog, compiled.taxonomy
    text = pages["kpis.md"]
    assert set(headings(text, 2)) == {k.label for k in tax.kpis}
    kpi_origins = {o.origin.entity.split(":", 1)[1] for o in catalog.objects if o.origin.entity.startswith("kpi:")}
    documented_sql = set(re.findall(r"^- SQL name: `([a-z0-9_]+)`$", text, re.M))
    assert kpi_origins <= documented_sql == {k.sql_name for k in tax.kpis}
    # every KPI's catalog views and tables are listed under its own heading
    for section in re.split(r"^## ", text, flags=re.M)[1:]:
        label = section.splitlines()[0].strip()
        kpi = next(k for k in tax.kpis if k.label == label)
        listed = set(re.findall(r"^- (?:view|table|function|index|cron|row) `([^`]+)`$", section, re.M))
        expected = set()
        for o in catalog.objects:
            if o.origin.entity != f"kpi:{kpi.sql_name}":
                continue
            if isinstance(o, Table | View | Index):
                expected.add(_unquote(f"{o.schema}.{o.name}"))
            elif isinstance(o, Function):
                expected.add(_unquote(o.signature))
            elif isinstance(o, CronJob):
                expected.add(o.name.strip("'"))
        assert expected <= listed, (label, expected - listed)


def test_every_exposed_object_index_and_cron_job_is_documented(compiled, pages):
    catalog, tax = compiled.catalog, compiled.taxonomy
    public = tax.project.public_schema
    exposed = {_unquote(f"{v.schema}.{v.name}") for v in catalog.of(View) if v.schema == public}
    exposed |= {_unquote(f"{f.schema}.{f.name}({', '.join(a.type for a in f.args)})")
                for f in catalog.of(Function) if f.schema == public}
    documented = set(headings(pages["views.md"], 2)) - {"Scheduled jobs"}
    assert documented == exposed
    # columns of each view, in order
    for section in re.split(r"^## ", pages["views.md"], flags=re.M)[1:]:
        name = section.splitlines()[0].strip()
        view = next((v for v in catalog.of(View) if _unquote(f"{v.schema}.{v.name}") == name), None)
        if view is not None:
            assert [tuple(r) for r in table_rows(section, "| column |")] == [(_unquote(n), t) for n, t in view.columns]
    indexes = {_unquote(f"{i.schema}.{i.name}") for i in catalog.of(Index)}
    assert {row[0] for row in table_rows(pages["indexes.md"], "| index |")} == indexes
    jobs = {j.name.strip("'"): j.schedule.strip("'") for j in catalog.of(CronJob)}
    assert {row[0]: row[1] for row in table_rows(pages["views.md"], "| job |")} == jobs


def test_access_matrix_covers_every_table_view_and_function(compiled, pages):
    catalog = compiled.catalog
    rows = table_rows(pages["privacy.md"], "| kind | object |")
    expected = {_unquote(f"{o.schema}.{o.name}") for o in catalog.of(Table) + catalog.of(View)}
    expected |= {_unquote(f.signature) for f in catalog.of(Function)}
    assert {r[1] for r in rows} == expected
    assert len(rows) == len(expected)


def test_migration_history_is_the_lock_newest_first(compiled, pages):
    import json

    lock = json.loads(compiled.files["trackgen.lock.json"])
    rows = table_rows(pages["lineage.md"], "| migration |")
    assert [r[0] for r in rows] == sorted(lock["migrations"], reverse=True)
    assert [r[1] for r in rows] == [lock["migrations"][r[0]]["summary"].replace("|", "\\|") for r in rows]


# --------------------------------------------------------------------------- #
# Links and anchors (GitHub's rules)
# --------------------------------------------------------------------------- #


def github_anchors(text: str) -> set[str]:
    """Anchors GitHub makes for the headings of a page: the heading text lower-cased, inline code ticks
    and every character that is not a letter, digit, space, ``-`` or ``_`` removed, spaces replaced by
    ``-``; a repeated slug gets ``-1``, ``-2`` ..."""
    seen: dict[str, int] = {}
    out = set()
    fenced = False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
            continue
        match = re.match(r"^(#{1,6}) (.+?)\s*#*$", line)
        if fenced or not match:
            continue
        base = "".join(ch for ch in match.group(2).lower().replace("`", "")
                       if ch.isalnum() or ch in " -_").replace(" ", "-")
        count = seen.get(base, 0)
        seen[base] = count + 1
        out.add(base if count == 0 else f"{base}-{count}")
    return out


LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")


def test_no_link_or_anchor_is_broken(pages):
    anchors = {name: github_anchors(text) for name, text in pages.items()}
    checked = 0
    for name, text in pages.items():
        for target in LINK.findall(re.sub(r"```.*?```", "", text, flags=re.S)):
            assert not target.startswith(("http://", "https://")), f"{name}: external link {target}"
            path, _, anchor = target.partition("#")
            if path:
                resolved = (DOCS / path).resolve()
                assert resolved.is_file(), f"{name}: broken link {target}"
                page_anchors = anchors.get(path) if "/" not in path else github_anchors(resolved.read_text())
            else:
                page_anchors = anchors[name]
            if anchor:
                assert anchor in page_anchors, f"{name}: broken anchor {target}"
            checked += 1
    assert checked > 100
    assert "../../docs/architecture.md" in pages["index.md"]


def test_github_anchor_rules_on_known_headings():
    assert github_anchors("## consumer tier\n### consumer.feature_used\n## A `b` c!\n## x\n## x\n") == {
        "consumer-tier", "consumerfeature_used", "a-b-c", "x", "x-1"}


# --------------------------------------------------------------------------- #
# Mermaid
# --------------------------------------------------------------------------- #

NODE_ID = r"[A-Za-z_][A-Za-z0-9_]*"
LABEL = r'"[^"\n]*"'
SHAPES = [rf"\[{LABEL}\]", rf"\[\({LABEL}\)\]", rf"\[/{LABEL}/\]"]
NODE_DEF = re.compile(rf"^  ({NODE_ID})(?:{'|'.join(SHAPES)})(?: --> ({NODE_ID}))?$")
EDGE = re.compile(rf"^  ({NODE_ID}) --> ({NODE_ID})$")
RESERVED = {"end", "graph", "flowchart", "subgraph", "style", "class", "classDef", "click", "linkStyle"}


def mermaid_problems(block: str) -> list[str]:
    """A strict check of the flowchart subset the generator emits: a ``flowchart LR`` header, node
    definitions with a quoted label in one of three shapes, ``a --> b`` edges between defined nodes."""
    lines = block.splitlines()
    problems = [] if lines and lines[0] == "flowchart LR" else ["first line must be 'flowchart LR'"]
    defined, used = set(), []
    for line in lines[1:]:
        if m := NODE_DEF.match(line):
            defined.add(m.group(1))
            if m.group(2):
                used.append(m.group(2))
        elif m := EDGE.match(line):
            used += [m.group(1), m.group(2)]
        else:
            problems.append(f"not a node or edge: {line!r}")
    problems += [f"reserved id {n}" for n in defined if n in RESERVED]
    problems += [f"edge to undefined node {n}" for n in used if n not in defined]
    return problems


def mermaid_blocks(text: str) -> list[str]:
    return re.findall(r"^```mermaid\n(.*?)^```$", text, flags=re.S | re.M)


def test_mermaid_blocks_parse_and_cover_every_kpi_family(compiled, pages):
    blocks = mermaid_blocks(pages["lineage.md"])
    assert len(blocks) == len({k.type for k in compiled.taxonomy.kpis})
    for block in blocks:
        assert mermaid_problems(block) == []
    assert mermaid_problems('flowchart LR\n  a["x"] --> b\n') == ["edge to undefined node b"]
    assert mermaid_problems('graph TD\n  a[x]\n')[:1] == ["first line must be 'flowchart LR'"]


def test_mermaid_blocks_parse_with_mermaids_own_parser(pages):
    """mermaid 11's parser in a jsdom window (clients/tools/mermaid-parse.mjs; npm packages from
    clients/package-lock.json, installed by `make test`)."""
    clients = ROOT / "clients"
    if not (clients / "node_modules" / "mermaid").is_dir():
        pytest.fail("clients/node_modules/mermaid is missing: run `make test` (it runs npm ci --prefix clients)")
    blocks = mermaid_blocks(pages["lineage.md"]) + ['flowchart LR\n  a["x" --> b\n']  # the last one must fail
    done = subprocess.run([shutil.which("node") or "node", "tools/mermaid-parse.mjs"], cwd=clients,
                          input=json.dumps(blocks), capture_output=True, text=True, timeout=120, check=True)
    results = json.loads(done.stdout)
    assert [r["ok"] for r in results] == [True] * (len(blocks) - 1) + [False], results
    assert {r.get("type") for r in results[:-1]} == {"flowchart-v2"}
