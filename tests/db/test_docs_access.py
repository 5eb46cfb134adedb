"""privacy.md is true of the real database: the access matrix and the policy list read back from
PostgreSQL's catalogs (has_table_privilege / has_function_privilege per role, pg_policies), and
the "tiers with rows" column checked by calling every site and network read with each tier's
JWT claims over a world where every KPI has rows (the world of test_kpi_access.py).

The pages parsed here are the committed generated/docs/privacy.md (tests/test_docs.py checks it
is what generate writes).
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from dbutil import as_caller, claims
from test_kpi_access import World, world  # noqa: F401  (the fixture, shared with that module's world)

pytestmark = pytest.mark.db

PRIVACY = Path(__file__).resolve().parents[2] / "generated" / "docs" / "privacy.md"
ROLES = ("anon", "authenticated", "service_role")


def _rows(header: str) -> list[list[str]]:
    rows, inside = [], False
    for line in PRIVACY.read_text(encoding="utf-8").splitlines():
        if line.startswith(header):
            inside = True
        elif inside and line.startswith("| ---"):
            continue
        elif inside and line.startswith("|"):
            rows.append([c.strip().strip("`") for c in re.split(r"(?<!\\)\|", line)[1:-1]])
        else:
            inside = False
    return rows


def matrix() -> list[dict]:
    return [{"kind": r[0], "name": r[1], "privilege": r[2], **dict(zip(ROLES, r[3:6], strict=True)), "tiers": r[6]}
            for r in _rows("| kind | object |")]


def test_grants_equal_the_access_matrix(db):
    rows = matrix()
    assert len(rows) > 100
    mismatches = []
    for row in rows:
        for role in ROLES:
            if row["kind"] == "function":
                query = "select has_function_privilege(%s, %s::regprocedure, 'execute')"
            else:
                query = "select has_table_privilege(%s, %s::regclass, 'select')"
            granted = db.execute(query, (role, row["name"])).fetchone()[0]
            if granted != (row[role] == "yes"):
                mismatches.append((row["name"], role, granted))
    assert mismatches == []


def test_policies_and_rls_equal_privacy_md(db):
    documented = {(t, name, roles, command) for t, name, roles, command in _rows("| table | policy |")}
    actual = db.execute("""
        select schemaname || '.' || tablename, policyname, array_to_string(roles, ', '), lower(cmd)
        from pg_policies where schemaname in ('analytics', 'analytics_private')""").fetchall()
    # monthly partitions of the event store are made by the partition job, not by the migration: privacy.md
    # says they get only the service policy, like their parent
    documented_tables = {d[0] for d in documented}
    made = {tuple(r) for r in actual if r[0] not in documented_tables}
    assert made and all(re.fullmatch(r"analytics_private\.events_\d{4}_\d{2}", t) and (n, r, c) ==
                        (f"{t.split('.')[1]}_service", "service_role", "all") for t, n, r, c in made)
    assert {tuple(r) for r in actual} - made == documented
    no_rls = db.execute("""
        select c.oid::regclass::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname in ('analytics', 'analytics_private') and c.relkind in ('r', 'p')
          and not c.relrowsecurity""").fetchall()
    assert no_rls == []


def _count(api, jwt: dict, row: dict) -> int:
    if row["kind"] == "function":
        name = row["name"].split("(", 1)[0]
        statement = f"select count(*) from {name}('2000-01-01', '2100-01-01')"
    else:
        statement = f"select count(*) from {row['name']}"
    with as_caller(api, "authenticated", jwt) as cur:
        cur.execute(statement)
        return cur.fetchone()[0]


def test_every_read_returns_rows_exactly_to_the_documented_tiers(db, api, world, compiled):  # noqa: F811
    tiers = [t.name for t in compiled.taxonomy.tiers if not t.system]
    reads = [r for r in matrix() if r["authenticated"] == "yes" and r["tiers"] not in ("any", "")
             and (r["kind"] == "view" or r["name"].endswith("(date, date)"))]
    assert len(reads) >= 3 * len(compiled.taxonomy.kpis)
    wrong = []
    for row in reads:
        allowed = {t.strip() for t in row["tiers"].split(",")} - {"none"}
        for tier in tiers:
            jwt = claims(world.site_a, tier, uuid.uuid4(), world.net_a)
            got = _count(api, jwt, row) > 0
            if got != (tier in allowed):
                wrong.append((row["name"], tier, got))
    assert wrong == []
