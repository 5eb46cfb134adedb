"""Migrations applied one after another onto a database that holds events and refreshed KPIs.

Each step changes the taxonomy the way an analyst would, generates (the previous
output is the history), and applies only the new migration files, one transaction
per file as the Supabase CLI does. After every step:

- no stored event is lost or changed (row count and checksum of the store), and the
  KPI caches that the step did not rebuild are unchanged;
- the live catalog equals the one a fresh database gets from supabase/schemas/
  (normalised catalog queries, ``dbutil.catalog_state``; the fresh database lives in
  a second private cluster, since pg_cron serves one database per cluster);
- every KPI view equals the Python reference (tests/db/kpi_reference.py) over all
  events sent so far.

The committed history of the real taxonomy (the pre-catalog migration, then the
catalog migrations) is checked the same way.
"""

from __future__ import annotations

import dataclasses
import shutil
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dbutil
import psycopg
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import kpi_reference as ref  # noqa: E402
from test_delta import NEW_EVENT, NEW_KPI  # noqa: E402
from test_kpi_versions import VERSION_2  # noqa: E402
from test_kpis import NETWORKS, SITES, Generator, _norm, read_network, read_site, today  # noqa: E402
from test_squawk import squawk  # noqa: E402

from generator import emit  # noqa: E402
from generator.compiler import compile_taxonomy  # noqa: E402
from generator.load import load_previous  # noqa: E402
from generator.plan.kpi.common import sql_name  # noqa: E402

pytestmark = pytest.mark.db

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "tests" / "cases" / "ok_base" / "taxonomy"
T0 = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def fresh_cluster(start_cluster):
    """A second private cluster with pg_cron, for applying supabase/schemas/ to an empty database."""
    with start_cluster() as cluster:
        yield cluster


def fresh_state(cluster, schema_files: list[Path], roles: tuple[str, ...] = ()) -> dict[str, set[tuple]]:
    """The declarative schema applied to a fresh database; ``roles`` are created first when missing
    (roles are cluster-wide: a grant guarded by the role's existence must see the same roles on both
    sides of a comparison)."""
    with cluster.connect() as conn:
        dbutil.reset_cron_db(conn)
        for role in roles:
            conn.execute(f"do $$ begin if not exists (select from pg_roles where rolname = '{role}') then "
                         f"create role {role} nologin; end if; end $$")
        dbutil.apply_sql_files(conn, schema_files)
        return dbutil.catalog_state(conn)


def guarded_roles(conn: psycopg.Connection, tax) -> tuple[str, ...]:
    """The optional roles the generated SQL grants to only when they exist (ClickHouse's reader),
    as this cluster has them (another test module may have created one)."""
    wanted = [tax.project.clickhouse_reader_role]
    return tuple(r for (r,) in conn.execute("select rolname from pg_roles where rolname = any (%s)", (wanted,)))


def store_fingerprint(conn: psycopg.Connection) -> tuple:
    return conn.execute(
        "select count(*), md5(coalesce(string_agg(t::text, '|' order by site_id, idempotency_key), '')) "
        "from (select site_id, idempotency_key, event_id, occurred_at, payload, actor_hash "
        "      from analytics_private.events) as t").fetchone()


def cache_fingerprints(conn: psycopg.Connection) -> dict[str, tuple]:
    tables = [r[0] for r in conn.execute(
        "select relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = 'analytics_private' and relname like 'kpi\\_%' and relkind = 'r' "
        "and relname not in ('kpi_watermarks', 'kpi_event_sets')").fetchall()]
    out = {}
    for table in tables:
        cols = [r[0] for r in conn.execute(
            "select attname from pg_attribute where attrelid = %s::regclass and attnum > 0 and not attisdropped "
            "and attname <> 'ingest_xid' order by attnum", (f"analytics_private.{table}",)).fetchall()]
        select = ", ".join(f'"{c}"' for c in cols)
        out[table] = conn.execute(
            f"select count(*), md5(coalesce(string_agg(t::text, '|' order by t::text), '')) "
            f"from (select {select} from analytics_private.{table}) as t").fetchone()
    return out


def events_of(tax, seed: int, n: int) -> list[dict]:
    """Synthetic events (test_kpis.Generator) from callers of the taxonomy's own tiers."""
    gen = Generator(tax, seed=seed)
    callers = [t.name for t in tax.tiers if not t.system]
    gen.actors = [(site, sub, tier if tier in callers else callers[-1]) for site, sub, tier in gen.actors]
    return gen.events(n)


def refresh_all(conn: psycopg.Connection) -> None:
    """Every refresh job's command, in the job table's order (a KPI never depends on that order)."""
    for (command,) in conn.execute("select command from cron.job where jobname like 'analytics_refresh%' "
                                   "order by jobname desc").fetchall():
        conn.execute(command)


class History:
    """The events each KPI selection has ever matched: a wildcard stops matching an event when it is
    deprecated, but what was counted stays counted (a membership change does not rewrite history)."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, str], set[str]] = {}

    def _widen(self, key: tuple[str, str], sel):
        if sel is None:
            return None
        events = self.seen.setdefault(key, set())
        events.update(sel.events)
        return dataclasses.replace(sel, events=tuple(sorted(events)))

    def taxonomy(self, tax):
        kpis = []
        for kpi in tax.kpis:
            name = kpi.sql_name
            kpis.append(dataclasses.replace(
                kpi, selection=self._widen((name, "selection"), kpi.selection),
                cohort=self._widen((name, "cohort"), kpi.cohort), returning=self._widen((name, "returning"), kpi.returning),
                steps=tuple(dataclasses.replace(st, selection=self._widen((name, f"step{i}"), st.selection))
                            for i, st in enumerate(kpi.steps))))
        return dataclasses.replace(tax, kpis=tuple(kpis))


def check_values(conn, tax, events) -> int:
    """Every KPI's site and network views against the reference; returns how many site cells were compared."""
    t = today(conn)
    problems, cells = [], 0
    for kpi in tax.kpis:
        expected = {k: tuple(_norm(x) for x in v) for k, v in ref.site_values(tax, kpi, events, t).items()}
        got = {}
        for site in SITES:
            got.update(read_site(conn, f"kpi_{sql_name(kpi)}", site))
        cells += len(expected)
        if got != expected:
            diff = [(k, expected.get(k), got.get(k)) for k in set(expected) | set(got) if expected.get(k) != got.get(k)]
            problems.append(f"{kpi.name}: {len(diff)} cells differ, e.g. {diff[:2]}")
        for network in NETWORKS:
            exp_net = {k: tuple(_norm(x) for x in v) for k, v in
                       ref.network_values(tax, kpi, events, t, tax.project.k_anonymity, network).items()}
            reader = dbutil.claims(SITES[0], tax.network_reader_tiers[0], uuid.uuid4(), network)
            got_net = read_network(conn, f"network_{sql_name(kpi)}", network, jwt=reader)
            if got_net != exp_net:
                problems.append(f"network_{kpi.name} ({network}): {len(exp_net)} cells expected, {len(got_net)} read")
    assert not problems, "\n".join(problems)
    return cells


def new_files(out: Path, before: set[str]) -> list[Path]:
    folder = out / "supabase" / "migrations"
    return sorted((p for p in folder.glob("*.sql") if p.name not in before), key=lambda p: p.name)


def schema_files(out: Path) -> list[Path]:
    return sorted((out / "supabase" / "schemas").glob("*.sql"), key=lambda p: p.name)


def generate(tax_dir: Path, out: Path, when: datetime):
    result = compile_taxonomy(tax_dir, previous=load_previous(out), release=when)
    assert result.ok, "\n".join(str(d) for d in result.errors)
    emit.write(out, result.files)
    return result.taxonomy


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


#: (what the step does, the edit) — applied cumulatively to a copy of tests/cases/ok_base/taxonomy
STEPS = [
    ("add an event", lambda t: _append(t / "events" / "consumer.yaml", NEW_EVENT)),
    ("add an optional property", lambda t: _edit(
        t / "events" / "consumer.yaml",
        "        enum: [web, ios, android]\n",
        "        enum: [web, ios, android]\n      session_minutes:\n        type: integer\n"
        "        description: Minutes the app was open in this session, capped at 600.\n"
        "        minimum: 0\n        maximum: 600\n        required: false\n")),
    ("add an enum value", lambda t: _edit(
        t / "events" / "consumer.yaml", "enum: [check_in, exercise_library, goals]",
        "enum: [check_in, exercise_library, goals, journal]")),
    ("add a KPI", lambda t: _append(t / "kpis" / "engagement.yaml", NEW_KPI)),
    ("version a KPI with a new dimension", lambda t: (
        _edit(t / "kpis" / "engagement.yaml", "    by: [logging_mode]\n    grain: day\n",
              "    by: [logging_mode]\n    grain: day\n    status: deprecated\n    deprecation:\n"
              "      reason: Split by the sender's tier as well; version 2 carries it.\n"
              "      replaced_by: live_protocol_sessions@2\n"),
        _append(t / "kpis" / "engagement.yaml", VERSION_2))),
    ("deprecate an event", lambda t: _edit(
        t / "events" / "consumer.yaml", "      - {goal_kind: habit}\n",
        "      - {goal_kind: habit}\n    status: deprecated\n    deprecation:\n"
        "      reason: Skips are now recorded as a goal_completed with a streak of zero.\n"
        "      replaced_by: consumer.goal_completed\n")),
    ("change a refresh schedule", lambda t: _edit(
        t / "kpis" / "engagement.yaml", 'refresh: "*/5 * * * *"', 'refresh: "*/10 * * * *"')),
    ("change only descriptions", lambda t: _edit(
        t / "kpis" / "engagement.yaml", "Goals completed per day and kind of goal.",
        "Self-care goals completed, per day and kind of goal.")),
]


def test_upgrade_chain_keeps_data_and_converges_to_the_declared_state(cron_db, fresh_cluster, tmp_path):
    conn = cron_db
    tax_dir, out = tmp_path / "taxonomy", tmp_path / "generated"
    shutil.copytree(BASE, tax_dir)
    tax = generate(tax_dir, out, T0)
    dbutil.apply_sql_files(conn, new_files(out, set()))
    conn.execute("reset lock_timeout; reset statement_timeout")
    events: list[dict] = []
    sizes = []
    history = History()
    history.taxonomy(tax)
    for number, (what, edit) in enumerate(STEPS, start=1):
        batch = events_of(tax, number, 250)
        dbutil.insert_events(conn, batch, skip_duplicates=True)
        events += batch
        refresh_all(conn)
        store, caches = store_fingerprint(conn), cache_fingerprints(conn)

        edit(tax_dir)
        before = {p.name for p in (out / "supabase" / "migrations").glob("*.sql")}
        tax = generate(tax_dir, out, T0 + timedelta(days=number))
        files = new_files(out, before)
        assert files, f"step {number} ({what}) wrote no migration"
        run = squawk(files)
        assert run.returncode == 0, f"step {number} ({what}): squawk\n{run.stdout}"
        dbutil.apply_sql_files(conn, files)
        conn.execute("reset lock_timeout; reset statement_timeout")

        assert store_fingerprint(conn) == store, f"step {number} ({what}) changed the event store"
        after = cache_fingerprints(conn)
        assert {k: v for k, v in after.items() if k in caches} == caches, \
            f"step {number} ({what}) changed KPI caches it had no reason to rebuild"
        differences = dbutil.catalog_differences(dbutil.catalog_state(conn), fresh_state(
            fresh_cluster, schema_files(out), guarded_roles(conn, history.taxonomy(tax))))
        assert not differences, f"step {number} ({what}):\n" + "\n".join(differences[:20])
        refresh_all(conn)
        sizes.append((what, sum(f.stat().st_size for f in files), check_values(conn, history.taxonomy(tax), events)))
    assert len(sizes) == len(STEPS) >= 8
    print(sizes)


def test_committed_history_upgrades_a_pre_catalog_database(cron_db, fresh_cluster):
    """The real taxonomy's committed migrations: the pre-catalog one with data in it, then the rest."""
    conn = cron_db
    folder = ROOT / "generated" / "supabase" / "migrations"
    history = sorted(folder.glob("*.sql"), key=lambda p: p.name)
    assert len(history) >= 2, "expected the pre-catalog migration and the catalog migrations after it"
    dbutil.apply_sql_files(conn, history[:1])
    conn.execute("reset lock_timeout; reset statement_timeout")
    result = compile_taxonomy(ROOT / "taxonomy")
    tax = result.taxonomy
    events = events_of(tax, 11, 600)
    dbutil.insert_events(conn, events, skip_duplicates=True)
    refresh_all(conn)
    store = store_fingerprint(conn)
    dbutil.apply_sql_files(conn, history[1:])
    conn.execute("reset lock_timeout; reset statement_timeout")
    assert store_fingerprint(conn) == store
    differences = dbutil.catalog_differences(dbutil.catalog_state(conn),
                                             fresh_state(fresh_cluster, schema_files(ROOT / "generated"),
                                                         guarded_roles(conn, tax)))
    assert not differences, "\n".join(differences[:30])
    more = events_of(tax, 12, 200)
    dbutil.insert_events(conn, more, skip_duplicates=True)
    refresh_all(conn)  # the rebuilt caches fold in the whole store again
    assert check_values(conn, tax, events + more) > 0


def test_events_keep_arriving_through_the_migration(cron_db):
    """An event sent through track_events before and after the catalog migration is stored once each."""
    conn = cron_db
    folder = ROOT / "generated" / "supabase" / "migrations"
    history = sorted(folder.glob("*.sql"), key=lambda p: p.name)
    dbutil.apply_sql_files(conn, history[:1])
    conn.execute("reset lock_timeout; reset statement_timeout")
    site, sub = str(uuid.uuid4()), str(uuid.uuid4())
    event = {"event_id": "consumer.feature_used", "occurred_at": datetime.now(UTC).isoformat(),
             "idempotency_key": str(uuid.uuid4()), "payload": {}}
    tax = compile_taxonomy(ROOT / "taxonomy").taxonomy
    event["payload"] = dict(tax.event("consumer.feature_used").examples[0])
    import json

    def send():
        with dbutil.as_caller(conn, "authenticated", dbutil.claims(site, "consumer", sub), commit=True) as cur:
            return cur.execute("select analytics.track_events(%s::jsonb)", (json.dumps([event]),)).fetchone()[0]

    assert send()[0]["status"] == "accepted"
    dbutil.apply_sql_files(conn, history[1:])
    conn.execute("reset lock_timeout; reset statement_timeout")
    assert send()[0]["status"] == "duplicate"
    assert conn.execute("select count(*) from analytics_private.events where site_id = %s", (site,)).fetchone()[0] == 1
