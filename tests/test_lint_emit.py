"""The lint and emit stages: SQL parsed by PostgreSQL's parser, safety rules, all-or-nothing writes."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import pytest

from generator import emit
from generator.compiler import compile_taxonomy
from generator.lint import lint_jsonschema
from generator.plan import Artifact
from generator.render import render
from generator.sqllint import lint_sql

ROOT = Path(__file__).resolve().parent.parent
SQL = Artifact("supabase/schemas/99_test.sql", "sql/test.sql.j2",
               {"pub_name": "analytics", "priv_name": "analytics_private"}, "sql")


def codes(text: str) -> list[tuple[str, int]]:
    return [(d.code, d.span.line) for d in lint_sql(SQL, text)]


@pytest.mark.parametrize("text, expected", [
    ("select 1;\ncreate tabel analytics.x ();", [("E920", 2)]),
    ("create function analytics.f() returns int language plpgsql as $$ begin retrun 1; end $$;", [("E920", 1)]),
    ("drop table analytics_private.events;", [("E921", 1)]),
    ("alter table analytics_private.events drop column payload;", [("E921", 1)]),
    ("alter table analytics_private.events alter column payload type text;", [("E921", 1)]),
    ("alter table analytics_private.events rename to old_events;", [("E921", 1)]),
    ("create table public.profiles (id int);", [("E921", 1)]),
    ("create table events (id int);", [("E921", 1)]),
    ("insert into auth.users (id) values (1);", [("E921", 1)]),
    ("create function public.f() returns int language sql as $$ select 1 $$;", [("E921", 1)]),
    ("create extension if not exists postgis;", [("E921", 1)]),
    ("select 1;\n\ndrop policy if exists p on analytics.tiers;\ncreate table analytics.ok (id int);", []),
])
def test_sql_lint(text, expected):
    assert codes(text) == expected


def test_sql_lint_names_output_file_and_template():
    [diag] = lint_sql(SQL, "drop table analytics_private.events;")
    assert "supabase/schemas/99_test.sql" in diag.message and "templates/sql/test.sql.j2" in diag.message


def test_real_output_lints_clean():
    result = compile_taxonomy(ROOT / "taxonomy")
    assert result.ok, [d.message for d in result.errors]
    sql = [p for p in result.files if p.endswith(".sql")]
    assert len(sql) >= 8


def test_jsonschema_lint_rejects_bad_schema():
    [diag] = lint_jsonschema("x.json", '{"type": "objekt"}')
    assert diag.code == "E910"
    assert lint_jsonschema("y.json", '{"type": "object"}') == []


def test_strict_undefined_reports_template_error(tmp_path):
    (tmp_path / "t.j2").write_text("{{ missing_variable }}\n")
    files, diags = render([Artifact("out.txt", "t.j2", {})], tmp_path)
    assert files == {}
    assert [d.code for d in diags] == ["E902"] and "missing_variable" in diags[0].message


def test_emit_replaces_tree_and_drops_stale_files(tmp_path):
    out = tmp_path / "generated"
    emit.write(out, {"a/one.txt": "1\n", "two.txt": "2\n"})
    emit.write(out, {"a/one.txt": "uno\n"})
    assert emit.read_tree(out) == {"a/one.txt": "uno\n"}
    assert emit.compare(out, {"a/one.txt": "uno\n"}) == []
    assert [tmp.name for tmp in tmp_path.iterdir()] == ["generated"]


def test_emit_failure_leaves_old_tree_intact(tmp_path, monkeypatch):
    out = tmp_path / "generated"
    emit.write(out, {"keep.txt": "old\n"})
    real_open = open
    calls = {"n": 0}

    def failing_open(path, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", failing_open)
    with pytest.raises(OSError):
        emit.write(out, {"keep.txt": "new\n", "more.txt": "x\n"})
    monkeypatch.undo()
    assert emit.read_tree(out) == {"keep.txt": "old\n"}
    assert [p.name for p in tmp_path.iterdir()] == ["generated"]


def test_compare_reports_missing_changed_and_extra(tmp_path):
    out = tmp_path / "g"
    emit.write(out, {"same": "s\n", "changed": "old\n", "extra": "e\n"})
    changes = {c.path: c.status for c in emit.compare(out, {"same": "s\n", "changed": "new\n", "new": "n\n"})}
    assert changes == {"changed": "changed", "extra": "extra", "new": "missing"}


def test_migration_versions_follow_history(tmp_path):
    """No change: no migration and a byte-identical lock; a change released "earlier" than the last
    migration still sorts after it."""
    import json
    from datetime import datetime

    from generator.catalog import Catalog, Function
    from generator.migrations import Previous
    from generator.migrations import plan as plan_migrations
    from generator.render import environment

    env = environment()
    kw = {"public_schema": "analytics", "private_schema": "analytics_private"}
    one = Catalog((Function("analytics_private", "f", (), "int", "  select 1;"),))
    two = Catalog((Function("analytics_private", "f", (), "int", "  select 2;"),))
    first = plan_migrations(Previous(), one, env, plan_version="p1", release=datetime(2026, 3, 1, tzinfo=UTC), **kw)
    [name1] = [p for p in first if p.endswith(".sql")]
    assert name1 == "supabase/migrations/20260301000000_trackgen_p1.sql"
    previous = Previous({name1.rsplit("/", 1)[1]: first[name1]}, json.loads(first["trackgen.lock.json"]))
    same = plan_migrations(previous, one, env, plan_version="p1", release=datetime(2027, 1, 1, tzinfo=UTC), **kw)
    assert same == first
    later = plan_migrations(previous, two, env, plan_version="p2", release=datetime(2025, 1, 1, tzinfo=UTC), **kw)
    names = sorted(p for p in later if p.endswith(".sql"))
    assert names == [name1, "supabase/migrations/20260301000001_trackgen_p2.sql"]
    assert later[name1] == first[name1]
    assert "create or replace function analytics_private.f()" in later[names[1]]


def test_sql_error_in_generated_function_points_at_the_event(tmp_path):
    """A template bug that breaks one event's check function is reported at that event's YAML line."""
    import shutil

    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    path = templates / "sql" / "bodies" / "payload_check.sql.j2"
    text = path.read_text()
    marker = "  return null;\nend"
    assert marker in text
    path.write_text(text.replace(marker, "  retrun null;\nend", 1))
    result = compile_taxonomy(ROOT / "taxonomy", templates=templates)
    assert not result.files
    errors = [d for d in result.errors if d.code == "E920"]
    assert errors and all("40_payload_checks.sql" in d.message for d in errors)
    first = errors[0]
    assert first.span.file.endswith(".yaml") and "check_" in first.message
