"""KPI storage choices (docs/storage.md): ``storage: materialized_view`` gives the same cells as the
incremental rollups and the Python reference (tests/db/kpi_reference.py), late events and duplicate
deliveries included; a storage switch is a migration that builds the new caches, switches the reads
and drops the old ones while the exposed API stays as it was; and, with the planner told that a
sequential scan costs more than any index (``enable_seqscan = off``, so a seq scan in a plan means
no index could serve it), no incremental refresh statement and no read has a sequential scan of the
event store or of a KPI cache, nor an index scan without a condition on its leading column.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # bench/ (the variant taxonomy)
from test_kpis import (  # noqa: E402
    Generator,
    apply_schema,
    check_all,
    insert,
    refresh_all,
)

from bench import variant  # noqa: E402
from generator.catalog import MaterializedView  # noqa: E402
from generator.compiler import compile_taxonomy  # noqa: E402
from generator.migrations import Previous  # noqa: E402
from generator.plan.kpi.matview import TYPES  # noqa: E402
from generator.sqlquote import short_name  # noqa: E402

pytestmark = pytest.mark.db

ROOT = Path(__file__).resolve().parents[2]
TAXONOMY = ROOT / "taxonomy"
RELEASE_1 = datetime(2026, 11, 1, tzinfo=UTC)
RELEASE_2 = datetime(2026, 11, 2, tzinfo=UTC)


def _schema(comp) -> dict[str, str]:
    return {p.rsplit("/", 1)[1]: text for p, text in comp.files.items() if p.startswith("supabase/schemas/")}


@pytest.fixture(scope="module")
def variants(tmp_path_factory):
    """The real taxonomy compiled twice: as it is (incremental), then with every KPI that can be a
    materialized view stored as one, the second against the first's lock (the switch migration)."""
    root = tmp_path_factory.mktemp("storage")
    first = compile_taxonomy(TAXONOMY, release=RELEASE_1)
    assert first.ok, [str(d) for d in first.errors]
    variant.write(TAXONOMY, root / "taxonomy")
    migrations = {p.rsplit("/", 1)[1]: t for p, t in first.files.items() if p.startswith("supabase/migrations/")}
    lock = json.loads(first.files["trackgen.lock.json"])
    clickhouse = {p.rsplit("/", 1)[1]: t for p, t in first.files.items() if p.startswith("clickhouse/migrations/")}
    second = compile_taxonomy(root / "taxonomy", previous=Previous(migrations, lock, clickhouse), release=RELEASE_2)
    assert second.ok, [str(d) for d in second.errors]
    switch = [t for p, t in second.files.items() if p.startswith("supabase/migrations/") and p.rsplit("/", 1)[1]
              not in migrations]
    return first, second, switch


def test_every_eligible_kpi_becomes_a_materialized_view_with_the_same_api(variants):
    first, second, switch = variants
    mv_kpis = {k.sql_name for k in second.taxonomy.kpis if k.storage == "materialized_view"}
    assert mv_kpis == {k.sql_name for k in first.taxonomy.kpis if k.type in TYPES}
    views = second.catalog.of(MaterializedView)
    assert {v.origin.entity for v in views} == {f"kpi:{n}" for n in mv_kpis}
    assert all(v.schema == "analytics_private" for v in views)

    def api(comp):  # the exposed schema: names, columns, signatures
        return {o.key: (getattr(o, "columns", None), getattr(o, "returns", None)) for o in comp.catalog.objects
                if getattr(o, "schema", None) == "analytics" and o.kind in ("view", "function")}
    assert api(first) == api(second)
    assert len(switch) == 1
    sql = switch[0]
    # built, switched, dropped: new views first, read functions replaced, old caches dropped last
    created = sql.index("create materialized view if not exists analytics_private.kpi_errors_by_code_mv")
    switched = sql.index("create or replace function analytics_private.kpi_errors_by_code_between(")
    dropped = sql.index("drop table if exists analytics_private.kpi_errors_by_code;")
    assert created < switched < dropped
    assert not re.search(r"drop (table|view|function)[^;]*analytics\.(?!.*_private)", sql)


def test_storage_switch_keeps_every_cell(cron_db, variants, tmp_path):
    """Incremental first, with data; then the switch migration; both match the reference, as do the
    materialized views after late events and duplicate deliveries."""
    first, second, switch = variants
    tax1, tax2 = first.taxonomy, second.taxonomy
    apply_schema(cron_db, _schema(first), tmp_path)
    gen = Generator(tax1, seed=13)
    events = gen.events(800)
    insert(cron_db, events)
    refresh_all(cron_db, tax1)
    check_all(cron_db, tax1, events, network=False)

    path = tmp_path / "switch.sql"
    path.write_text(switch[0], encoding="utf-8")
    from dbutil import apply_sql_files
    apply_sql_files(cron_db, [path])
    cron_db.execute("reset lock_timeout; reset statement_timeout")
    n_views = cron_db.execute("select count(*) from pg_matviews where schemaname = 'analytics_private'").fetchone()[0]
    assert n_views == len(second.catalog.of(MaterializedView))
    gone = cron_db.execute("select to_regclass('analytics_private.kpi_errors_by_code_facts')").fetchone()[0]
    assert gone is None
    refresh_all(cron_db, tax2)
    check_all(cron_db, tax2, events)
    batch = gen.events(250)
    batch += [dict(e) for e in gen.rnd.sample(events, 30)]  # duplicate deliveries: ignored by the store
    late = gen.events(50, days_back=30)  # late arrivals: old timestamps arriving now
    insert(cron_db, batch + late)
    events += batch + late
    refresh_all(cron_db, tax2)
    refresh_all(cron_db, tax2)  # twice changes nothing
    check_all(cron_db, tax2, events)
    jobs = cron_db.execute("select command from cron.job where jobname like '%refresh_errors_by_code'").fetchall()
    assert len(jobs) == 1
    body = cron_db.execute("select prosrc from pg_proc where proname = 'refresh_kpi_errors_by_code'").fetchone()[0]
    assert "refresh materialized view concurrently" in body


def _watermarks(conn) -> dict[str, str]:
    return dict(conn.execute("select kpi, next_xid::text from analytics_private.kpi_watermarks").fetchall())


def test_refreshes_and_migrations_exclude_each_other(cron_db, pg_cluster, variants, tmp_path):
    """A migration takes the migration lock first (waiting for running refreshes); a refresh that meets
    a migration in progress skips its run, so it neither deadlocks with the migration's DDL nor runs a
    body the migration replaced. pg_cron's own jobs run beside this test, as they would in production."""
    first, second, switch = variants
    lock_sql = next(line for line in switch[0].splitlines() if line.startswith("select pg_advisory_xact_lock("))
    assert switch[0].index(lock_sql) < switch[0].index("create ")  # before the first DDL
    tax = second.taxonomy  # incremental and materialized-view KPIs side by side
    apply_schema(cron_db, _schema(second), tmp_path)
    gen = Generator(tax, seed=29)
    events = gen.events(300)
    insert(cron_db, events)
    before = _watermarks(cron_db)
    with pg_cluster.connect(autocommit=False) as migration:
        migration.execute(lock_sql)  # a migration in progress, not yet committed
        for kpi in (k for k in tax.kpis if k.type != "ratio"):  # a ratio has no refresh of its own
            fn = short_name(f"refresh_kpi_{kpi.name}")
            assert cron_db.execute(f"select analytics_private.{fn}()").fetchone()[0] == 0, kpi.name
        assert _watermarks(cron_db) == before  # nothing folded in, nothing half-done
        migration.rollback()
    refresh_all(cron_db, tax)
    check_all(cron_db, tax, events)  # the skipped runs lost nothing

    with pg_cluster.connect(autocommit=False) as refresher:
        refresher.execute("select analytics_private.refresh_kpi_errors_by_code()")  # running: holds the lock shared
        cron_db.execute("set lock_timeout = '200ms'")
        with pytest.raises(psycopg.errors.LockNotAvailable):
            cron_db.execute(lock_sql)  # the migration waits for it
        cron_db.execute("reset lock_timeout")
        refresher.commit()
    with cron_db.transaction():
        cron_db.execute(lock_sql)  # and proceeds once it has ended


# --------------------------------------------------------------------------- #
# Plans: no sequential scan of the event store or of a KPI cache
# --------------------------------------------------------------------------- #

#: relations whose full read grows with history: the event store (its partitions) and the KPI caches;
#: kpi_event_sets and kpi_watermarks are small reference tables read by their keys
BIG = re.compile(r"^(events(_\w+)?|kpi_(?!event_sets$|watermarks$)\w+)$")
INDEX_NODES = ("Index Scan", "Index Only Scan", "Bitmap Index Scan")
#: a relation this small may be read whole (the planner puts it on the outer side of a nested loop in
#: test data of this size; on a big database it is one of the big ones and is read through its keys)
SMALL_ROWS = 200


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


def _problems(plan: dict, indexes: dict[str, str], rows: dict[str, float]) -> list[str]:
    out = []
    for node in _nodes(plan):
        kind = node.get("Node Type")
        rel = node.get("Relation Name") or indexes.get(node.get("Index Name", ""), "")
        if not BIG.match(rel or "") or rows.get(rel, 0) < SMALL_ROWS:
            continue
        if kind == "Seq Scan":
            out.append(f"seq scan of {rel}")
        elif kind in INDEX_NODES and "Index Cond" not in node:
            out.append(f"{kind} of {rel} via {node.get('Index Name')} with no condition on its leading column")
    return out


def test_no_plan_scans_the_store_or_a_cache_whole(cron_db, variants, tmp_path):
    """Every statement of every incremental refresh (after new events, through auto_explain's nested
    plans) and every exposed read (one site or network, 30 days, as ``authenticated``), planned as on
    a big database where few rows are new: ``enable_seqscan``, ``enable_hashjoin`` and
    ``enable_mergejoin`` off (test data is small, so the planner would otherwise rightly read whole
    tables). Each relation is then read through an index with a condition wherever one can serve the
    statement: a sequential scan left in a plan, or an index scan with no Index Cond (a whole-index
    read), means none can. The materialized-view storage is left out on purpose: its refresh reads the
    whole history by design (docs/storage.md)."""
    from dbutil import as_caller, claims

    first = variants[0]
    tax = first.taxonomy
    apply_schema(cron_db, _schema(first), tmp_path)
    gen = Generator(tax, seed=21)
    events = gen.events(1200)
    insert(cron_db, events)
    refresh_all(cron_db, tax)
    insert(cron_db, gen.events(200) + gen.events(30, days_back=20))
    cron_db.execute("analyze")
    indexes = dict(cron_db.execute(
        "select i.relname, t.relname from pg_index x join pg_class i on i.oid = x.indexrelid "
        "join pg_class t on t.oid = x.indrelid").fetchall())
    plans: list[tuple[str, dict]] = []
    rows = dict(cron_db.execute("select relname, reltuples from pg_class where relkind in ('r', 'm')").fetchall())
    big = [r for r, n in rows.items() if BIG.match(r) and n >= SMALL_ROWS]
    assert len(big) >= 10, big  # the rule has something to hold for: the store and the bigger caches

    def on_notice(diag) -> None:
        text = diag.message_primary or ""
        if text.startswith("duration:") and "{" in text:
            doc = json.loads(text[text.index("{"):])
            plans.append((doc.get("Query Text", ""), doc["Plan"]))

    cron_db.add_notice_handler(on_notice)
    for setting in ("load 'auto_explain'", "set auto_explain.log_min_duration = 0",
                    "set auto_explain.log_nested_statements = on", "set auto_explain.log_format = json",
                    "set auto_explain.log_level = notice", "set client_min_messages = notice",
                    "set enable_seqscan = off", "set enable_hashjoin = off", "set enable_mergejoin = off"):
        cron_db.execute(setting)
    try:
        problems = []
        refresh_all(cron_db, tax)
        for query, plan in plans:
            problems += [f"refresh: {p}\n  in: {query.strip()[:300]}" for p in _problems(plan, indexes, rows)]
        refreshes = len(plans)
        plans.clear()
        site, network = gen.actors[0][0], None
        from test_kpis import network_of
        network = network_of(site)
        views = [o.name for o in first.catalog.objects if o.kind == "view" and o.schema == "analytics"
                 and o.name.startswith(("kpi_", "network_"))]
        for view in sorted(views):
            jwt = claims(site, "network" if view.startswith("network_") else "clinic", gen.actors[0][1], network)
            with as_caller(cron_db, "authenticated", jwt) as cur:
                cur.execute(f"select * from analytics.{view} where period >= current_date - 30")
                cur.fetchall()
        for query, plan in plans:
            problems += [f"read: {p}\n  in: {query.strip()[:300]}" for p in _problems(plan, indexes, rows)]
        assert refreshes > 50 and len(plans) > len(views)  # the nested statements were seen
        assert not problems, "\n".join(sorted(set(problems)))
    finally:
        cron_db.remove_notice_handler(on_notice)
        for setting in ("reset enable_seqscan", "reset enable_hashjoin", "reset enable_mergejoin",
                        "reset client_min_messages", "reset auto_explain.log_min_duration"):
            cron_db.execute(setting)
