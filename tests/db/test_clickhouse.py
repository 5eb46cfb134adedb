"""The ClickHouse target on embedded ClickHouse (chdb): the generated DDL applies, events reach it
from the test PostgreSQL through the generated ingestion (the refreshable view reading the export
view with ``postgresql()``) exactly once, and its KPI cells equal the Python reference
(tests/db/kpi_reference.py) for the same synthetic event stream as the PostgreSQL KPI tests.
"""

from __future__ import annotations

import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from dbutil import apply_sql_files, claims, insert_events

sys.path.insert(0, str(Path(__file__).resolve().parent))
import chutil  # noqa: E402  (tests/chutil.py)
import kpi_reference as ref  # noqa: E402
from test_kpis import NETWORKS, SITES, VALUE_COLUMNS, Generator, _norm, read_network, refresh_all  # noqa: E402

from generator.compiler import compile_taxonomy  # noqa: E402
from generator.plan.clickhouse import plan as plan_clickhouse  # noqa: E402
from generator.plan.clickhouse.catalog import ChView  # noqa: E402

pytestmark = pytest.mark.db


def lowered(tax) -> list:
    """The KPIs the ClickHouse target compiles (the others stay PostgreSQL-only: docs/clickhouse.md)."""
    names = {v.name[4:] for v in plan_clickhouse(tax).of(ChView) if v.name.startswith("kpi_")}
    return [k for k in tax.kpis if k.sql_name in names]

ROOT = Path(__file__).resolve().parents[2]
READER = "clickhouse_reader"


@pytest.fixture(scope="module")
def compiled():
    comp = compile_taxonomy(ROOT / "taxonomy")
    assert comp.ok, [str(d) for d in comp.errors]
    assert "clickhouse/schema.sql" in comp.files and "clickhouse/cluster.sql" in comp.files
    return comp


@pytest.fixture(scope="module")
def pg(pg_cluster, compiled, tmp_path_factory):
    """The cron database with the generated Supabase schema and ClickHouse's login role."""
    with pg_cluster.connect() as conn:
        import dbutil

        dbutil.reset_cron_db(conn)
        folder = tmp_path_factory.mktemp("schemas")
        paths = []
        for path, text in sorted(compiled.files.items()):
            if path.startswith("supabase/schemas/"):
                paths.append(folder / path.rsplit("/", 1)[1])
                paths[-1].write_text(text, encoding="utf-8")
        conn.execute(f"drop role if exists {READER}")
        conn.execute(f"create role {READER} login")
        apply_sql_files(conn, paths)  # the guarded grant now finds the role
        conn.execute("update cron.job set active = false")  # nothing else reads the store behind the tests
        yield conn


@pytest.fixture(scope="module")
def ch(pg, pg_cluster, compiled):
    conn = chutil.connection()
    chutil.reset(conn)
    chutil.named_collection(conn, "trackgen_supabase", pg_cluster.port, pg_cluster.dbname, READER)
    chutil.apply(conn, compiled.files["clickhouse/schema.sql"])
    return conn


def _as_reader(conn, site: str, network: str | None, tier: str) -> None:
    net = f"'{network}'" if network else "NULL"
    conn.query(f"INSERT INTO analytics_private.readers VALUES (currentUser(), '{site}', {net}, '{tier}')")


def _count(conn) -> int:
    return int(chutil.scalar(conn, "SELECT count() FROM analytics_private.events"))


def _pg_count(pg) -> int:
    return pg.execute("select count(*) from analytics_private.events").fetchone()[0]


def test_reader_role_reads_the_export_view_and_nothing_else(pg, pg_cluster):
    with psycopg.connect(pg_cluster.dsn(user=READER), autocommit=True) as conn:
        conn.execute("select count(*) from analytics_private.clickhouse_events")
        for relation in ("analytics_private.events", "analytics_private.secrets", "analytics_private.event_keys"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"select 1 from {relation} limit 1")


def test_cluster_ddl_parses_with_clickhouses_own_parser(ch, compiled):
    text = compiled.files["clickhouse/cluster.sql"]
    stmts = chutil.statements(text)
    migrations = [t for p, t in compiled.files.items() if p.startswith("clickhouse/migrations/")]
    assert migrations
    for migration in migrations:
        stmts += chutil.statements(migration)
    assert any("ON CLUSTER 'trackgen'" in s for s in stmts)
    assert any("ENGINE = Distributed('trackgen', analytics_private, events_local, cityHash64(site_id))" in s
               for s in stmts)
    for stmt in stmts:
        formatted = chutil.scalar(ch, "SELECT formatQuerySingleLine(" + _ch_string(stmt) + ") AS q")
        assert formatted and formatted.split()[0] in ("CREATE", "INSERT", "DELETE"), stmt[:80]
    # and the single-node file applied in full (the ch fixture): every KPI has its aggregate and reads
    tables = {r["name"] for r in chutil.rows(ch, "SELECT name FROM system.tables WHERE database = 'analytics'")}
    kpis = lowered(compiled.taxonomy)
    assert kpis and all(f"kpi_{k.sql_name}" in tables and f"network_{k.sql_name}" in tables for k in kpis)


def _is_value(column: str) -> bool:
    return column in VALUE_COLUMNS or (column[:1] == "p" and column[1:2].isdigit())


def _ch_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _read_site(conn, kpi, site: str) -> dict[tuple, tuple]:
    _as_reader(conn, site, None, "clinic")
    out = {}
    for rec in chutil.rows(conn, f"SELECT * FROM analytics.kpi_{kpi.sql_name} "
                                 "SETTINGS output_format_json_quote_64bit_integers = 0"):
        assert rec["site_id"] == site
        vals = [c for c in rec if _is_value(c)]
        dims = [c for c in rec if c not in vals and c not in ("site_id", "period")]
        out[(site, chutil.as_date(rec["period"])) + tuple(rec[d] for d in dims)] = \
            tuple(_norm(rec[c]) for c in vals)
    return out


@pytest.fixture(scope="module")
def stream(pg, ch, compiled):
    """The PostgreSQL KPI tests' synthetic stream, stored in PostgreSQL, ingested into ClickHouse."""
    tax = compiled.taxonomy
    gen = Generator(tax)
    events = gen.events(1500)
    dense = gen.events(301)
    for e in dense:  # a dense cell so percentiles are more than one or two values
        payload = dict(gen.payload("system.api_request_completed"), endpoint="track_events")
        e.update(event_id="system.api_request_completed", site=SITES[0], payload=payload,
                 occurred_at=datetime.now(UTC) - timedelta(days=2))
    events += dense
    insert_events(pg, events, skip_duplicates=True)
    for net in _crafted(gen):  # networks whose cells need every secondary rule
        events += net.events
        CRAFTED.append((net.network, net.sites[0]))
        net.store(pg)
    chutil.ingest(ch)
    return events


#: (network, a reader's site) of the crafted networks of ``stream``
CRAFTED: list[tuple[str, str]] = []


def _crafted(gen) -> list:
    """The PostgreSQL KPI tests' crafted networks (tests/db/test_kpis.py): codes of one actor among
    large ones (a family's parts and total), an endpoint of one actor (a percentile as a part), a
    caller's own code beside a victim's, and a percentile whose top values are one actor's."""
    from adversary import Network

    day = datetime.now(UTC) - timedelta(days=1)
    err, api = "system.error_occurred", "system.api_request_completed"
    marginals = Network(gen, 8)
    for site in range(8):
        marginals.event(site, f"t{site}", err, day, error_code="network_timeout")
        marginals.event(site, f"e{site}", api, day, endpoint="checkins")
        if site < 7:
            marginals.event(site, f"s{site}", err, day, error_code="server_error")
        if site < 6:
            marginals.event(site, f"v{site}", err, day, error_code="validation_failed")
    marginals.event(0, "victim-a", err, day, error_code="offline")
    marginals.event(1, "victim-b", err, day, error_code="rate_limited")
    marginals.event(2, "victim-c", api, day, endpoint="appointments")
    injected = Network(gen, 8)
    for site in range(8):
        injected.event(site, f"t{site}", err, day - timedelta(days=1), error_code="network_timeout")
        injected.event(site, f"s{site}", err, day - timedelta(days=1), error_code="server_error")
    injected.event(0, "victim", err, day - timedelta(days=1), error_code="offline")
    injected.event(7, "caller", err, day - timedelta(days=1), error_code="rate_limited")
    tails = Network(gen, 12)
    for site in range(11):
        tails.event(site, f"a{site}", api, day, endpoint="checkins", duration_ms=10 + site)
    tails.event(11, "slow", api, day, endpoint="checkins", duration_ms=101)
    return [marginals, injected, tails]


def test_ingestion_copies_every_stored_event_once(pg, ch, stream):
    assert _count(ch) == _pg_count(pg) > 1500
    chutil.ingest(ch)  # a second run adds nothing
    assert _count(ch) == _pg_count(pg)
    dupes = chutil.scalar(ch, "SELECT count() FROM (SELECT site_id, idempotency_key, occurred_at, count() AS c "
                              "FROM analytics_private.events GROUP BY ALL HAVING c > 1)")
    assert int(dupes) == 0


def test_site_views_equal_the_reference_cell_by_cell(ch, stream, compiled):
    tax = compiled.taxonomy
    today = datetime.now(UTC).date()
    problems = []
    checked = 0
    beyond_first: dict[str, int] = {}  # cells past a funnel's first step or a cohort's own period, not empty
    for kpi in lowered(tax):
        expected = {k: tuple(_norm(x) for x in v) for k, v in ref.site_values(tax, kpi, stream, today).items()}
        got = {}
        for site in sorted({e["site"] for e in stream}):
            got.update(_read_site(ch, kpi, site))
        checked += len(expected)
        if kpi.type in ("funnel", "retention"):
            beyond_first[kpi.type] = beyond_first.get(kpi.type, 0) + sum(
                1 for key, v in expected.items() if key[-1] > (1 if kpi.type == "funnel" else 0) and v[1])
        if got != expected:
            diff = [(k, expected.get(k), got.get(k)) for k in set(got) | set(expected) if got.get(k) != expected.get(k)]
            problems.append(f"{kpi.name}: {len(diff)} cells differ, e.g. {diff[:3]}")
    assert not problems, "\n".join(problems)
    assert checked > 500
    assert {k.type for k in lowered(tax)} >= {"funnel", "retention", "rolling"}
    assert beyond_first.get("funnel", 0) > 0 and beyond_first.get("retention", 0) > 0, beyond_first
    print("cells past the first step or period:", beyond_first)


def test_site_views_show_only_the_callers_site_and_only_to_site_reading_tiers(ch, stream, compiled):
    kpi = next(k for k in compiled.taxonomy.kpis if k.type == "count")
    _as_reader(ch, SITES[3], None, "clinic")
    sites = {r["site_id"] for r in chutil.rows(ch, f"SELECT site_id FROM analytics.kpi_{kpi.sql_name}")}
    assert sites == {SITES[3]}
    _as_reader(ch, SITES[3], None, "consumer")  # consumers read no site KPIs by default
    assert chutil.rows(ch, f"SELECT * FROM analytics.kpi_{kpi.sql_name}") == []
    ch.query(f"INSERT INTO analytics_private.readers VALUES ('someone_else', '{SITES[4]}', NULL, 'clinic')")
    _as_reader(ch, str(uuid.uuid4()), None, "clinic")  # an unknown site: nothing
    assert chutil.rows(ch, f"SELECT * FROM analytics.kpi_{kpi.sql_name}") == []


def test_network_views_suppress_the_same_cells_as_postgresql(pg, ch, stream, compiled):
    """Every network cell of every ClickHouse KPI is hidden exactly where PostgreSQL hides it (the k
    rule, families, covers; tests/db/kpi_reference.py is the algorithm PostgreSQL's tests hold it to),
    hidden cells have null values, shown cells PostgreSQL's values, and a percentile with a thin
    tail is null alone."""
    tax = compiled.taxonomy
    k = tax.project.k_anonymity
    today = datetime.now(UTC).date()
    counts = {"hidden": 0, "shown": 0, "thin": 0}
    secondary = 0
    by_kpi: dict[str, int] = {}
    problems = []
    refresh_all(pg, tax)
    readers = list(zip(NETWORKS, (SITES[0], SITES[6]), strict=True)) + CRAFTED
    for kpi in lowered(tax):
        for net, site in readers:
            expected = ref.network_values(tax, kpi, stream, today, k, net)
            # PostgreSQL's own view agrees with the reference (its tests hold it to it)
            postgres = read_network(pg, f"network_{kpi.sql_name}", net,
                                    jwt=claims(site, "network", uuid.uuid4(), net))
            assert postgres == {key: tuple(_norm(x) for x in v) for key, v in expected.items()}, kpi.name
            primary = _primary_hidden(tax, kpi, stream, net, k)
            _as_reader(ch, site, net, "network")
            got = {}
            for rec in chutil.rows(ch, f"SELECT * FROM analytics.network_{kpi.sql_name} "
                                       "SETTINGS output_format_json_quote_64bit_integers = 0"):
                assert "site_id" not in rec and list(rec)[-1] == "suppressed"
                vals = [c for c in rec if _is_value(c)]
                dims = [c for c in rec if c not in vals and c not in ("period", "suppressed")]
                if rec["suppressed"]:
                    assert all(rec[c] is None for c in vals if c != "step_name")  # a funnel names its steps
                got[(chutil.as_date(rec["period"]),) + tuple(rec[d] for d in dims)] = \
                    tuple(_norm(rec[c]) for c in vals) + (bool(rec["suppressed"]),)
            assert set(got) == set(expected), kpi.name
            for key, row in got.items():
                exp = tuple(_norm(x) for x in expected[key])
                if row != exp:
                    problems.append((kpi.name, net[:8], key, exp, row))
                counts["hidden" if exp[-1] else "shown"] += 1
                if kpi.type == "percentile" and not exp[-1]:
                    counts["thin"] += any(x is None for x in exp[1:-1])
                if exp[-1] and not primary[key]:
                    secondary += 1
                    by_kpi[kpi.name] = by_kpi.get(kpi.name, 0) + 1
    assert not problems, f"{len(problems)} network cells differ from PostgreSQL's, e.g. {problems[:5]}"
    # the stream exercises the secondary rules, not only the k rule
    assert counts["hidden"] and counts["shown"] and secondary > 0
    print(f"network cells: {counts['shown']} shown alike ({counts['thin']} thin percentile tails null alike), "
          f"{counts['hidden']} hidden alike, {secondary} of them by secondary suppression: {by_kpi}")


def _primary_hidden(tax, kpi, events, network, k) -> dict[tuple, bool]:
    """The cells the k rule alone hides (to count what the secondary rules add)."""
    if kpi.type == "ratio":
        num = _primary_hidden(tax, tax.kpi(kpi.numerator), events, network, k)
        den = _primary_hidden(tax, tax.kpi(kpi.denominator), events, network, k)
        return {key: num[key] or den[key] for key in set(num) & set(den)}
    if kpi.type in ("funnel", "retention", "rolling"):
        # the reference's network cells: a funnel step's reachers, a cohort period's retained members,
        # a window's actors, each as (site, actor) pairs
        today = datetime.now(UTC).date()
        cells = ref.network_state(tax, events, today, k, network).cells[kpi.label]
        return {key: ref._small(c["pairs"], k) for key, c in cells.items()}
    cells = ref._plain_cells(tax, kpi, ref.of_network(events, network))
    return {key: ref._small(c["pairs"], k) for key, c in cells.items()}


def test_end_to_end_track_events_arrive_once_across_retries_late_commits_and_a_restart(pg, pg_cluster, ch, send,
                                                                                      compiled):
    """Events sent through analytics.track_events arrive through the generated ingestion exactly once:
    a transaction still open when ingestion runs is picked up after it commits (the export view's
    snapshot bound), a second run adds nothing, and a run that stopped half-way (its first rows
    written, the rest not) followed by a restart of ClickHouse loses and doubles nothing."""
    examples = {e.id: dict(e.examples[0]) for e in compiled.taxonomy.events}
    site, net = str(uuid.uuid4()), str(uuid.uuid4())

    def batch(n: int) -> list[dict]:
        now = datetime.now(UTC)
        return [{"event_id": "consumer.feature_used", "occurred_at": (now - timedelta(minutes=i)).isoformat(),
                 "idempotency_key": str(uuid.uuid4()), "payload": examples["consumer.feature_used"],
                 "plan_version": "test"} for i in range(n)]

    def sent(events, conn=pg, status="accepted"):
        result = send(conn, claims(site, "consumer", uuid.uuid4(), net), events)
        assert {r["status"] for r in result} == {status}, result

    def here() -> int:
        return int(chutil.scalar(ch, f"SELECT count() FROM analytics_private.events WHERE site_id = '{site}'"))

    first = batch(40)
    sent(first)
    chutil.ingest(ch)
    assert here() == 40
    # a late commit: a transaction that wrote before others but commits after them
    with pg_cluster.connect() as late:
        late.autocommit = False
        late_events = batch(25)
        with late.transaction():
            sent(late_events, conn=late)  # a savepoint inside the open transaction
            sent(batch(30))  # committed while the late one is open: held back by the snapshot bound
            chutil.ingest(ch)
            assert here() == 40
        chutil.ingest(ch)
    assert here() == 95
    sent(first, status="duplicate")  # retried by the client: nothing new anywhere
    chutil.ingest(ch)
    chutil.ingest(ch)
    assert here() == 95
    # half a run: the first rows of the next batch written in ingest_xid order, then a stop
    sent(batch(50))
    sent(batch(50))
    assert _pg_count(pg) - _count(ch) == 100
    ch.query("INSERT INTO analytics_private.events SELECT * FROM (" + _ingest_query(compiled) + ") "
             "ORDER BY ingest_xid LIMIT 60")
    assert here() == 155
    restarted = chutil.reopen()  # ClickHouse restarts: only what is on disk remains
    scans = _ingest_index_scans(pg)
    chutil.ingest(restarted)
    # the watermark reached PostgreSQL as an xid8 comparison: the store's ingest_xid index served it
    assert _ingest_index_scans(pg) > scans
    assert here_after(restarted, site) == 195
    chutil.ingest(restarted)
    assert here_after(restarted, site) == 195
    assert int(chutil.scalar(restarted, "SELECT count() FROM analytics_private.events")) == _pg_count(pg)
    stored = pg.execute("select count(*) from analytics_private.events where site_id = %s", (site,)).fetchone()[0]
    assert stored == 195


def _ingest_index_scans(pg) -> int:
    time.sleep(1.2)  # backends flush their statistics at most once a second
    pg.execute("select pg_stat_clear_snapshot()")
    return pg.execute("select coalesce(sum(s.idx_scan), 0) from pg_stat_user_indexes s "
                      "where s.schemaname = 'analytics_private' and s.indexrelname like 'events%ingest_xid%'"
                      ).fetchone()[0]


def here_after(conn, site: str) -> int:
    return int(chutil.scalar(conn, f"SELECT count() FROM analytics_private.events WHERE site_id = '{site}'"))


def _ingest_query(compiled) -> str:
    from generator.plan.clickhouse import ChNames, ingest_select

    text = ingest_select(ChNames(compiled.taxonomy))
    return text.rsplit("SETTINGS", 1)[0]
