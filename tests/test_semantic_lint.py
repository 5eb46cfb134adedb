"""The SQL linters on catalog objects: safety rules inside function bodies (pglast) and the
queries qualified against the catalog (sqlglot, E922)."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator import sqlcheck, sqllint
from generator.catalog import Arg, Catalog, Column, Function, Origin, Table, View
from generator.compiler import compile_taxonomy
from generator.diagnostics import Span
from generator.plan import Artifact
from generator.render import environment
from generator.sqlprint import Step, print_steps

ROOT = Path(__file__).resolve().parent.parent
P = "analytics_private"
SPAN = Span("taxonomy/kpis/x.yaml", 3, 5, 3, 9)
KPI = Origin("kpi:x", SPAN)


def _lint(*objects) -> list:
    text = print_steps(environment(), [Step("create", o) for o in objects])
    artifact = Artifact("supabase/schemas/60_kpis.sql", "sql/catalog.sql.j2",
                        {"pub_name": "analytics", "priv_name": P}, kind="sql")
    return sqllint.lint_sql(artifact, text)


def test_drop_inside_a_plpgsql_body_is_refused():
    body = f"begin\n  if true then\n    drop table {P}.events;\n  end if;\nend"
    problems = _lint(Function(P, "sneaky", (), "void", body, language="plpgsql"))
    assert [d.code for d in problems] == ["E921"]
    assert "in the body of analytics_private.sneaky" in problems[0].message and "DROP" in problems[0].message


def test_writes_outside_our_schemas_inside_a_sql_body_are_refused():
    problems = _lint(Function(P, "leaky", (), "void", "  delete from public.profiles;", volatility="volatile"))
    assert [d.code for d in problems] == ["E921"] and "public.profiles" in problems[0].message


def test_dynamic_sql_only_where_allowed():
    body = "begin\n  execute format('select %s', 1);\nend"
    assert [d.code for d in _lint(Function(P, "dyn", (), "void", body, language="plpgsql"))] == ["E921"]
    assert _lint(Function(P, "ensure_event_partitions", (), "void", body, language="plpgsql")) == []


ROLLUP = Table(P, "kpi_x", (Column("site_id", "uuid", not_null=True), Column("period", "date"),
                            Column("tier", "text"), Column("value", "bigint")), role="cache")


def test_real_taxonomy_queries_all_qualify():
    result = compile_taxonomy(ROOT / "tests" / "cases" / "ok_base" / "taxonomy")
    assert result.ok and result.catalog is not None
    assert sqlcheck.check(result.catalog) == []


def test_unknown_column_points_at_the_kpi():
    reader = Function(P, "kpi_x_for_caller", (Arg('"from"', "date"),), "table (site_id uuid, tiers text)",
                      f'  select r.site_id, r.tiers from {P}.kpi_x as r where r.period >= "from";', origin=KPI)
    [problem] = sqlcheck.check(Catalog((ROLLUP, reader)))
    assert problem.code == "E922" and problem.span == SPAN and "tiers" in problem.message


@pytest.mark.parametrize("condition", ["r.site_id = r.tier", "r.period = r.value"])
def test_comparing_incompatible_types_is_refused(condition):
    view = View("analytics", "kpi_x", f"  select r.value from {P}.kpi_x as r where {condition}", origin=KPI)
    [problem] = sqlcheck.check(Catalog((ROLLUP, view)))
    assert problem.code == "E922" and "compares" in problem.message


def test_function_outputs_are_known_to_views():
    reader = Function(P, "kpi_x_for_caller", (), "table (site_id uuid, value bigint)",
                      f"  select r.site_id, r.value from {P}.kpi_x as r;", origin=KPI)
    good = View("analytics", "kpi_x", f"  select f.value from {P}.kpi_x_for_caller() as f", origin=KPI)
    bad = View("analytics", "kpi_y", f"  select f.missing from {P}.kpi_x_for_caller() as f", origin=KPI)
    problems = sqlcheck.check(Catalog((ROLLUP, reader, good, bad)))
    assert [p.message.split(":")[0] for p in problems] == ["view analytics.kpi_y"]
