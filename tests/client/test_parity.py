"""Parity: the TypeScript validator, the jsonschema library and the database give every payload the same verdict.

For every event of the real taxonomy and of ``tests/client/all_types/`` (every property type,
bound and format the taxonomy allows), its examples and the generated counter-examples of
``tests/counterexamples.py`` go through

- the generated client's validator (Node, ``clients/tools/validate-cases.mjs``),
- ``jsonschema`` (Draft 2020-12 with its own format checker) on the generated JSON Schema,
- the database's ``analytics_private.payload_problem`` (the generated SQL, real PostgreSQL).

The client must report exactly the database's reason and field, and its verdict must be
JSON Schema's, for every format the compiler allows (it refuses those the database cannot
check, so ``counterexamples.UNCHECKED_FORMATS`` is empty).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from counterexamples import parity_cases, unchecked
from jsonschema import Draft202012Validator
from psycopg import sql
from psycopg.types.json import Jsonb

from generator.compiler import compile_taxonomy
from generator.payload import SAFE_FORMATS

pytestmark = pytest.mark.db

ALL_TYPES = Path(__file__).resolve().parent / "all_types"
CLIENT = Path(__file__).resolve().parents[2] / "generated" / "frontend" / "src" / "lib" / "analytics"


def _cases(taxonomy) -> list[tuple[str, str, dict, str | None, bool]]:
    return [(ev.id, label, payload, expected, valid)
            for ev in taxonomy.events for label, payload, expected, valid in parity_cases(ev)]


def _client_verdicts(node, folder: Path, cases) -> list[str | None]:
    run = node(["tools/validate-cases.mjs", str(folder)], stdin=json.dumps([[c[0], c[2]] for c in cases]))
    assert run.returncode == 0, run.stderr[-3000:]
    out = json.loads(run.stdout)
    assert len(out) == len(cases)
    return out


def _db_verdicts(conn, cases) -> list[str | None]:
    rows = conn.execute(
        "select analytics_private.payload_problem(t.e, t.p) from unnest(%s::text[], %s::jsonb[])"
        " with ordinality as t (e, p, n) order by t.n",
        ([c[0] for c in cases], [Jsonb(c[2]) for c in cases])).fetchall()
    return [r[0] for r in rows]


def _check(compiled_files: dict[str, str], cases, client, database) -> list[str]:
    problems = []
    validators = {}
    for (event_id, label, payload, expected, valid), ts, db in zip(cases, client, database, strict=True):
        if event_id not in validators:
            schema = json.loads(compiled_files[f"jsonschema/{event_id}.json"])
            validators[event_id] = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
        py_valid = validators[event_id].is_valid(payload)
        where = f"{event_id} / {label}: {json.dumps(payload)[:160]}"
        if ts != db:
            problems.append(f"{where}: client {ts!r}, database {db!r}")
        if unchecked(label):
            if db is not None or valid:
                problems.append(f"{where}: expected the database to accept an unchecked format, got {db!r}")
            continue
        if py_valid != valid:
            problems.append(f"{where}: jsonschema valid={py_valid}, the case says {valid}")
        if (db is None) != py_valid:
            problems.append(f"{where}: database {db!r}, jsonschema valid={py_valid}")
        if expected not in (None, "*") and db != expected:
            problems.append(f"{where}: database {db!r}, expected {expected!r}")
    return problems


def test_real_taxonomy_parity(node, client_js, compiled, db):
    cases = _cases(compiled.taxonomy)
    assert len(cases) > 20 * len(compiled.taxonomy.events)
    client = _client_verdicts(node, client_js / "generated" / "frontend" / "src" / "lib" / "analytics", cases)
    problems = _check(compiled.files, cases, client, _db_verdicts(db, cases))
    assert problems == [], "\n".join(problems[:40])
    assert sum(v is None for v in client) >= len(compiled.taxonomy.events), "valid cases are part of the set"


@pytest.fixture(scope="module")
def all_types():
    result = compile_taxonomy(ALL_TYPES)
    assert result.ok, [str(d) for d in result.errors]
    return result


@pytest.fixture(scope="module")
def all_types_db(pg_cluster, all_types):
    """The all-types payload checks in a database of their own (no pg_cron needed: only 40_payload_checks.sql)."""
    name = "parity_all_types"
    with pg_cluster.connect() as admin:
        admin.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    with pg_cluster.connect(dbname=name) as conn:
        conn.execute("create schema analytics_private")
        conn.execute(all_types.files["supabase/schemas/40_payload_checks.sql"].encode())
        yield conn
    with pg_cluster.connect() as admin:
        admin.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def test_every_type_format_and_bound_parity(node, build_js, all_types, all_types_db):
    tax = all_types.taxonomy
    kinds = {(p.value.type, p.value.format, p.value.items.type if p.value.items else None)
             for e in tax.events for p in e.properties}
    assert {("integer", None, None), ("number", None, None), ("boolean", None, None), ("array", None, "boolean"),
            ("array", None, "integer"), ("array", None, "number"), ("array", None, "string")} <= kinds
    assert {f for _, f, _ in kinds if f} == set(SAFE_FORMATS)
    cases = _cases(tax)
    client = _client_verdicts(node, build_js(all_types.files), cases)
    database = _db_verdicts(all_types_db, cases)
    problems = _check(all_types.files, cases, client, database)
    assert problems == [], "\n".join(problems[:40])
    labels = [c[1] for c in cases]
    for needed in ("minimum - 1", "maximum + 1", "at exclusive minimum", "off the step", "maxLength + 1",
                   "minLength - 1", "maxItems + 1", "duplicate items", "impossible date", "no leap day",
                   "date-time without offset", "uuid without hyphens", "not matching pattern", "two unknown keys"):
        assert any(needed in label for label in labels), needed
