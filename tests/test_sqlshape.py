"""Statement shapes: which statements the SQL lint lets pass with another of their shape, and which not."""

from __future__ import annotations

from generator.plan import Artifact
from generator.sqllint import lint_sql
from generator.sqlshape import kept_words, shape

KEPT = kept_words(frozenset({"analytics", "analytics_private"}))
SQL = Artifact("supabase/schemas/99_test.sql", "sql/test.sql.j2",
               {"pub_name": "analytics", "priv_name": "analytics_private"}, "sql")


def test_statements_differing_in_names_share_a_shape():
    a = "create table analytics_private.kpi_a_daily (kpi_a text, n int); -- kpi_a 'kpi_a'"
    b = "create table analytics_private.kpi_b_daily (kpi_b text, n int); -- kpi_b 'kpi_b'"
    assert shape(a, KEPT) is not None and shape(a, KEPT) == shape(b, KEPT)


def test_renaming_must_be_one_to_one():
    a = "with x as (select 1) select * from x"
    b = "with x as (select 1) select * from y"  # y is not the WITH name: another verdict
    assert shape(a, KEPT) != shape(b, KEPT)


def test_kept_words_keep_their_spelling():
    assert shape("create table analytics.t (id int)", KEPT) != shape("create table public.t (id int)", KEPT)
    assert shape("select 1 from analytics.t", KEPT) != shape("select 1 from analytics.t where true", KEPT)
    assert shape("select e'a'", KEPT) != shape("select x'a'", KEPT)  # an escape string, a bit string


def test_folding_onto_an_ordinary_word():
    assert shape("select Foo from foo", KEPT) == shape("select Bar from bar", KEPT)  # unquoted: one name
    assert shape("select Foo from foo", KEPT) != shape("select Foo from bar", KEPT)
    assert shape("select FoO from foo", KEPT) is None  # mixed case: checked on its own
    assert shape('select 1 from "' + "a" * 64 + '"', KEPT) is None  # truncated by PostgreSQL


def test_a_problem_is_found_after_a_pass_of_a_near_shape():
    ok = "create table analytics.kpi_one (id int);\n"
    bad = "create table public.kpi_two (id int);\n"
    assert lint_sql(SQL, ok) == []
    assert [(d.code, d.span.line) for d in lint_sql(SQL, ok + bad)] == [("E921", 2)]
    renamed = "create table analytics.kpi_three (id int);\ncreate table kpi_four (id int);\n"
    assert [(d.code, d.span.line) for d in lint_sql(SQL, renamed)] == [("E921", 2)]
