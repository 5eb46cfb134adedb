"""ClickHouse's network suppression for a family beyond the real taxonomy's (chdb, no PostgreSQL):
twins publishing one total under two names and two crossed breakdowns whose per-code totals nobody
publishes, the case PostgreSQL's test_twins_and_crossed_breakdowns_are_suppressed_together holds to
the reference (tests/db/kpi_reference.py).  The ClickHouse objects live in their own databases
(``crossed``, ``crossed_private``) so the real taxonomy's, in the same embedded server, stay intact."""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import chutil  # noqa: E402
import kpi_reference as ref  # noqa: E402
from test_kpis import CROSSED_BREAKDOWNS, NET_A, NET_B, Generator, _norm  # noqa: E402

from generator.compiler import compile_taxonomy  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
PUB, PRIV = "crossed", "crossed_private"


@pytest.fixture(scope="module")
def crossed(tmp_path_factory):
    root = tmp_path_factory.mktemp("chcrossed") / "taxonomy"
    root.mkdir()
    project = (ROOT / "taxonomy" / "project.yaml").read_text(encoding="utf-8")
    assert "  public: analytics\n  private: analytics_private\n" in project
    (root / "project.yaml").write_text(project.replace("  public: analytics\n  private: analytics_private\n",
                                                       f"  public: {PUB}\n  private: {PRIV}\n"), encoding="utf-8")
    shutil.copy(ROOT / "taxonomy" / "tiers.yaml", root / "tiers.yaml")
    shutil.copytree(ROOT / "taxonomy" / "events", root / "events")
    (root / "kpis").mkdir()
    (root / "kpis" / "crossed.yaml").write_text(CROSSED_BREAKDOWNS, encoding="utf-8")
    comp = compile_taxonomy(root)
    assert comp.ok, [str(d) for d in comp.errors]
    ch = chutil.connection()
    chutil.reset(ch, (PUB, PRIV))
    schema = comp.files["clickhouse/schema.sql"]
    assert f"CREATE OR REPLACE VIEW {PRIV}.kpi_errors_all_family" in schema  # one family, four members
    # every statement but the ingestion (it reads PostgreSQL; the events are inserted below)
    chutil.apply(ch, "\n".join(s + ";" for s in chutil.statements(schema) if "REFRESH EVERY" not in s))
    return comp.taxonomy, ch


def _insert(ch, events: list[dict]) -> None:
    rows = []
    for xid, ev in enumerate(ref.dedup(events), start=1):
        at = ev["occurred_at"].astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        rows.append(json.dumps({
            "event_id": ev["event_id"], "site_id": ev["site"], "network_id": ev.get("network"),
            "actor_hash": hashlib.sha256(ev["actor"].encode()).hexdigest(), "actor_tier": ev["tier"],
            "occurred_at": at, "received_at": at, "idempotency_key": ev["key"], "plan_version": None,
            "payload": json.dumps(ev["payload"]), "ingest_xid": xid}))
    ch.query(f"INSERT INTO {PRIV}.events FORMAT JSONEachRow\n" + "\n".join(rows))


def _read(ch, view: str, site: str, network: str) -> dict[tuple, tuple]:
    ch.query(f"INSERT INTO {PRIV}.readers VALUES (currentUser(), '{site}', '{network}', 'network')")
    out = {}
    for rec in chutil.rows(ch, f"SELECT * FROM {PUB}.{view} SETTINGS output_format_json_quote_64bit_integers = 0"):
        dims = [c for c in rec if c not in ("period", "value", "suppressed")]
        out[(chutil.as_date(rec["period"]),) + tuple(rec[d] for d in dims)] = (_norm(rec["value"]),
                                                                               bool(rec["suppressed"]))
    return out


def test_twins_and_crossed_breakdowns_hide_the_same_cells_as_postgresql(crossed):
    from adversary import Network

    tax, ch = crossed
    gen = Generator(tax, seed=53)
    events = gen.events(900, days_back=3)
    # PostgreSQL's test's crafted network: one code's surfaces all small, its severity one large cell
    net = Network(gen, 7)
    day = datetime.now(UTC) - timedelta(days=1)
    surfaces = ["web", "ios", "android", "api"]
    for site in range(7):
        net.event(site, f"x{site}", "system.error_occurred", day, error_code="offline",
                  surface=surfaces[site % 4], severity="error")
        for code in ("network_timeout", "server_error"):
            net.event(site, f"{code}{site}", "system.error_occurred", day, error_code=code, surface="web",
                      severity="warning")
    events += net.events
    _insert(ch, events)
    k = tax.project.k_anonymity
    today = datetime.now(UTC).date()
    hidden = shown = 0
    for kpi in tax.kpis:
        for network, site in ((NET_A, events[0]["site"]), (NET_B, events[0]["site"]), (net.network, net.sites[0])):
            expected = {key: (_norm(v[0]), v[-1]) for key, v in
                        ref.network_values(tax, kpi, events, today, k, network).items()}
            got = _read(ch, f"network_{kpi.sql_name}", site, network)
            assert got == expected, (kpi.name, network, {x: (expected.get(x), got.get(x)) for x in
                                                         set(got) | set(expected) if got.get(x) != expected.get(x)})
            hidden += sum(1 for v in got.values() if v[-1])
            shown += sum(1 for v in got.values() if not v[-1])
    assert hidden and shown
    # hidden for the other breakdown: the per-code total would follow from the severity cell
    severity = _read(ch, "network_errors_by_code_severity", net.sites[0], net.network)
    assert severity[(day.date(), "offline", "error")] == (None, True)
