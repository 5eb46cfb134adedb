"""Migrations as catalog differences (generator/delta.py, generator/migrations.py), without a database.

The database side (each migration applied over the previous state with data) is
tests/db/test_upgrade_chain.py; here the shape of the deltas is pinned: what a
change produces, what it must not touch, and what is refused.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from generator import emit
from generator.catalog import Arg, Catalog, Column, Function, Grant, Index, Origin, Table, View
from generator.compiler import compile_taxonomy
from generator.delta import DeltaError
from generator.delta import plan as plan_delta
from generator.load import load_previous

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "tests" / "cases" / "ok_base" / "taxonomy"
T0 = datetime(2026, 3, 1, tzinfo=UTC)

NEW_EVENT = """
  consumer.goal_skipped:
    description: A self-care goal was skipped for the day.
    owner: growth
    properties:
      goal_kind:
        type: string
        description: Kind of goal that was skipped.
        enum: [mobility, strength, habit]
    examples:
      - {goal_kind: habit}
"""

NEW_KPI = """
  - name: goals_completed
    description: Goals completed per day and kind of goal.
    type: count
    owner: growth
    events: [consumer.goal_completed]
    by: [goal_kind]
    grain: day
"""


def generate(taxonomy: Path, out: Path, when: datetime) -> dict[str, str]:
    """One `trackgen generate` against the history in ``out``; returns the new migration files."""
    previous = load_previous(out)
    result = compile_taxonomy(taxonomy, previous=previous, release=when)
    assert result.ok, "\n".join(str(d) for d in result.errors)
    emit.write(out, result.files)
    return {p: t for p, t in result.files.items()
            if p.startswith("supabase/migrations/") and p.rsplit("/", 1)[1] not in previous.migrations}


@pytest.fixture(scope="module")
def released(tmp_path_factory) -> tuple[Path, Path]:
    """The base taxonomy generated once: (taxonomy copy, output with its first migration)."""
    base = tmp_path_factory.mktemp("delta")
    tax, out = base / "taxonomy", base / "generated"
    shutil.copytree(BASE, tax)
    assert len(generate(tax, out, T0)) == 1
    return tax, out


def _copy(released: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    tax, out = tmp_path / "taxonomy", tmp_path / "generated"
    shutil.copytree(released[0], tax)
    shutil.copytree(released[1], out)
    return tax, out


def test_no_change_writes_no_migration(released, tmp_path):
    tax, out = _copy(released, tmp_path)
    assert generate(tax, out, T0 + timedelta(days=1)) == {}


def test_adding_an_event_is_a_short_reviewable_migration(released, tmp_path):
    tax, out = _copy(released, tmp_path)
    path = tax / "events" / "consumer.yaml"
    path.write_text(path.read_text() + NEW_EVENT)
    new = generate(tax, out, T0 + timedelta(days=1))
    assert len(new) == 1
    text = next(iter(new.values()))
    lines = text.count("\n")
    assert lines < 200, text
    assert "'consumer.goal_skipped'" in text
    assert "create or replace function analytics_private.check_consumer__goal_skipped(p jsonb)" in text
    # the wildcard KPIs gain a row each, their refresh functions are untouched
    assert "insert into analytics_private.kpi_event_sets" in text
    assert "refresh_kpi_" not in text
    assert "set lock_timeout" in text and "set statement_timeout" in text
    assert "drop " not in text


def test_adding_a_kpi_creates_only_its_objects(released, tmp_path):
    tax, out = _copy(released, tmp_path)
    path = tax / "kpis" / "engagement.yaml"
    path.write_text(path.read_text() + NEW_KPI)
    new = generate(tax, out, T0 + timedelta(days=1))
    text = next(iter(new.values()))
    assert "create table if not exists analytics_private.kpi_goals_completed (" in text
    assert "select cron.schedule('analytics_refresh_goals_completed'" in text
    assert "kpi_daily_active_actors" not in text  # other KPIs are not touched
    assert not any(f"drop {kind}" in text for kind in ("table", "function", "view", "index"))
    assert text.count("\n") < 450  # one count KPI's objects are about 420 lines; the whole schema is thousands


def test_a_new_version_of_history_keeps_old_migrations_verbatim(released, tmp_path):
    tax, out = _copy(released, tmp_path)
    before = {p.name: p.read_text() for p in (out / "supabase" / "migrations").glob("*.sql")}
    path = tax / "events" / "consumer.yaml"
    path.write_text(path.read_text() + NEW_EVENT)
    generate(tax, out, T0 + timedelta(days=1))
    after = {p.name: p.read_text() for p in (out / "supabase" / "migrations").glob("*.sql")}
    assert {k: after[k] for k in before} == before
    assert len(after) == len(before) + 1


def test_edited_released_migration_fails_check(released, tmp_path):
    tax, out = _copy(released, tmp_path)
    migration = next((out / "supabase" / "migrations").glob("*.sql"))
    migration.write_text(migration.read_text() + "\n-- a hand edit\n")
    result = compile_taxonomy(tax, previous=load_previous(out), release=T0)
    codes = [d.code for d in result.errors]
    assert codes == ["E940"], codes
    assert migration.name in result.errors[0].message
    assert result.files == {}  # nothing would be written
    # the documented repair: accept the edited history on purpose
    repaired = compile_taxonomy(tax, previous=load_previous(out), release=T0, accept_edited_history=True)
    assert repaired.ok


# --------------------------------------------------------------------------- #
# The planner on hand-made catalogs: the rules that real taxonomies reach rarely
# --------------------------------------------------------------------------- #

P, A = "analytics_private", "analytics"
KPI = Origin("kpi:x")


def _rollup(*extra: Column) -> Table:
    return Table(P, "kpi_x", (Column("site_id", "uuid", not_null=True), *extra), ("constraint kpi_x_key unique (site_id)",),
                 role="cache", on_rebuild=f"update {P}.kpi_watermarks set next_xid = '0'::xid8 where kpi = 'x'",
                 origin=KPI)


def _reader(returns: str = "table (site_id uuid)") -> Function:
    return Function(P, "kpi_x_for_caller", (), returns, f"  select r.site_id from {P}.kpi_x as r;",
                    security="definer", origin=KPI)


def _view() -> View:
    return View(A, "kpi_x", f"  select * from {P}.kpi_x_for_caller()", reads=(f"{P}.kpi_x_for_caller()",),
                grants=(Grant("select", ("authenticated",)),), origin=KPI)


def _actions(delta) -> list[tuple[str, str]]:
    return [(s.action, s.obj.key if s.obj is not None else s.table) for s in delta.steps]


def test_return_type_change_recreates_function_and_dependent_view_in_one_migration():
    old = Catalog((_rollup(), _reader(), _view()))
    new = Catalog((_rollup(), _reader("table (site_id uuid, n bigint)"), _view()))
    steps = _actions(plan_delta(old.snapshot(), new, P, A))
    view, fn = f"view {A}.kpi_x", f"function {P}.kpi_x_for_caller()"
    assert steps.index(("drop", view)) < steps.index(("drop", fn)) < steps.index(("create", fn)) \
        < steps.index(("create", view))
    assert not any(k.startswith("table") for _, k in steps)


def test_cache_shape_change_rebuilds_and_resets_the_watermark():
    old = Catalog((_rollup(),))
    new = Catalog((_rollup(Column("tier", "text")),))
    steps = _actions(plan_delta(old.snapshot(), new, P, A))
    assert steps == [("drop", f"table {P}.kpi_x"), ("create", f"table {P}.kpi_x"), ("rebuilt", f"table {P}.kpi_x")]


def test_source_table_gains_columns_only():
    source = Table(P, "events", (Column("a", "text"),))
    grown = Table(P, "events", (Column("a", "text"), Column("b", "text")))
    delta = plan_delta(Catalog((source,)).snapshot(), Catalog((grown,)), P, A)
    assert [(s.action, s.column.name if s.column else None) for s in delta.steps] == [("add_column", "b")]
    with pytest.raises(DeltaError, match="never retyped"):
        plan_delta(Catalog((source,)).snapshot(), Catalog((Table(P, "events", (Column("a", "uuid"),)),)), P, A)
    with pytest.raises(DeltaError, match="source"):
        plan_delta(Catalog((source,)).snapshot(), Catalog(()), P, A)


def test_exposed_api_is_never_dropped():
    old = Catalog((_rollup(), _reader(), _view()))
    with pytest.raises(DeltaError, match="exposed API"):
        plan_delta(old.snapshot(), Catalog((_rollup(), _reader())), P, A)


def test_removed_private_objects_are_dropped_after_the_rest():
    old = Catalog((_rollup(), _reader()))
    delta = plan_delta(old.snapshot(), Catalog(()), P, A)
    assert _actions(delta) == [("drop", f"function {P}.kpi_x_for_caller()"), ("drop", f"table {P}.kpi_x")]


def test_index_on_existing_source_table_is_built_concurrently_in_its_own_file():
    keys = Table(P, "event_keys", (Column("k", "uuid"),))
    index = Index(P, "event_keys_k_idx", f"{P}.event_keys", "(k)")
    delta = plan_delta(Catalog((keys,)).snapshot(), Catalog((keys, index)), P, A)
    assert delta.steps == [] and [s.action for s in delta.concurrent] == ["index_concurrently"]
    store = Table(P, "events", (Column("k", "uuid"),), partition_by="range (k)")
    with pytest.raises(DeltaError, match="per partition"):
        plan_delta(Catalog((store,)).snapshot(),
                   Catalog((store, Index(P, "events_k_idx", f"{P}.events", "(k)"))), P, A)


def test_function_body_change_is_a_replace_only():
    fn = Function(P, "f", (Arg("a", "int"),), "int", "  select a;")
    changed = Function(P, "f", (Arg("a", "int"),), "int", "  select a + 1;")
    delta = plan_delta(Catalog((fn,)).snapshot(), Catalog((changed,)), P, A)
    assert [s.action for s in delta.steps] == ["replace_function"]
