"""The generated dashboard in headless Chromium (Debian's ``chromium`` driven by Playwright for Python),
served by the demo server (tools/demo.py) on its own throwaway PostgreSQL with pg_cron.

The page reads the exposed views through supabase-js and the gateway with each demo user's JWT; the
test reads the same views in the same test, as the same caller, through psycopg, and compares every
row the page shows (each panel's table is its chart's text alternative) with them. pg_cron's jobs are
turned off and the demo's refresh loop is not started, so the data only changes when the test asks.

Screenshots of each role's view go to ``test-artifacts/dashboard/`` (git-ignored).
"""

from __future__ import annotations

import math
import os
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from dbutil import LOGIN_ROLE, as_caller
from psycopg import sql

from tools.demo import Demo, DemoOptions

pytestmark = pytest.mark.db

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "dashboard"
CHROMIUM = os.environ.get("TRACKGEN_CHROMIUM", "/usr/bin/chromium")
#: small history: every panel gets rows for the site admins, and the network shows and hides cells
OPTIONS = DemoOptions(events=8_000, sites=8, actors=600, days=63, rate=0, refresh_every=None, port=0, cron=False)


@pytest.fixture(scope="module")
def demo(start_cluster):
    with start_cluster() as cluster:
        d = Demo(cluster, OPTIONS)
        d.setup()
        d.start()
        try:
            yield d
        finally:
            d.stop()


@pytest.fixture(scope="module")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run scripts/ensure-chromium.sh (make test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        # root (CI) cannot use Chromium's user-namespace sandbox
        args = ["--no-sandbox"] if os.geteuid() == 0 else []
        b = p.chromium.launch(executable_path=CHROMIUM, args=args)
        try:
            yield b
        finally:
            b.close()


def open_as(browser, demo: Demo, user: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{demo.url}/#as={user}")
    page.wait_for_function(
        "() => { const b = document.querySelector('trackgen-dashboard');"
        " return b && Number(b.dataset.ticks) >= 1 &&"
        " [...b.querySelectorAll('trackgen-panel')].every(p => p.dataset.state !== 'loading') }", timeout=30_000)
    page.evaluate("window.__sameDocument = true")
    assert not errors, errors
    return page


def panels_on(page) -> list[dict[str, Any]]:
    """Every panel: its KPI, state, view, first period read, sites seen and its table's rows."""
    return page.evaluate("""() => [...document.querySelectorAll('trackgen-panel')].map(p => ({
        kpi: p.dataset.kpi, state: p.dataset.state, read: p.dataset.read || null, since: p.dataset.since || null,
        until: p.dataset.until || null,
        version: Number(p.dataset.version || 0), sites: (p.dataset.sites || '').split(' ').filter(Boolean),
        hasChart: !!p.querySelector('svg.chart, table.heatmap'),
        rows: [...p.querySelectorAll('details table tbody tr')].map(tr => Object.fromEntries(
            [...tr.querySelectorAll('td[data-col]')].map(td => [td.dataset.col, td.dataset.value]))),
        hidden: p.querySelectorAll('tr[data-suppressed] td.hidden').length,
    }))""")


def view_rows(demo: Demo, claims: dict, read: str, since: str, until: str) -> list[dict[str, Any]]:
    """What the panel read (``view:<name>`` or ``rpc:<name>``, plan/dashboard.py's READ_PATH), read again
    here as the same caller with the same period range."""
    kind, name = read.split(":", 1)
    if kind == "rpc":
        query = sql.SQL("select * from analytics.{}(%s::date, %s::date)").format(sql.Identifier(name))
    else:
        query = sql.SQL("select * from analytics.{} where period between %s and %s").format(sql.Identifier(name))
    with demo.cluster.connect(user=LOGIN_ROLE) as conn:
        with as_caller(conn, "authenticated", claims) as cur:
            cur.execute(query, (since, until))
            names = [c.name for c in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def norm(value: Any) -> Any:
    """A cell as comparable text or number: the page's data-value strings against psycopg's values."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float | Decimal):
        return round(float(value), 9)
    try:
        number = float(value)
        return round(number, 9) if math.isfinite(number) and not str(value).isalpha() else str(value)
    except ValueError:
        return str(value)


def as_bag(rows: list[dict[str, Any]], columns: list[str]) -> Counter:
    return Counter(tuple(norm(str(r.get(c)) if hasattr(r.get(c), "isoformat") else r.get(c)) for c in columns)
                   for r in rows)


def assert_page_matches_views(demo: Demo, page, user: str) -> list[dict[str, Any]]:
    claims = demo.users[user].claims
    found = panels_on(page)
    assert found, "no panel rendered"
    for panel in found:
        assert panel["state"] in ("ready", "empty"), panel
        expected = view_rows(demo, claims, panel["read"], panel["since"], panel["until"])
        columns = sorted(panel["rows"][0]) if panel["rows"] else ["period"]
        assert as_bag(panel["rows"], columns) == as_bag(expected, columns), f"{user}: {panel['kpi']}"
        assert len(panel["rows"]) == len(expected), f"{user}: {panel['kpi']}"
        assert panel["state"] == ("ready" if expected else "empty")
        if panel["state"] == "ready":
            assert panel["hasChart"], f"{panel['kpi']} shows no chart"
    return found


def screenshot(page, user: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{user}.png"), full_page=True)


@pytest.mark.parametrize("user,other", [("site-a-admin", "site-b-admin"), ("site-b-admin", "site-a-admin")])
def test_site_admin_sees_exactly_its_sites_view_rows(demo, browser, user, other):
    page = open_as(browser, demo, user)
    found = assert_page_matches_views(demo, page, user)
    mine = demo.users[user].claims["app_metadata"]["site_id"]
    theirs = demo.users[other].claims["app_metadata"]["site_id"]
    assert mine != theirs
    ready = [p for p in found if p["state"] == "ready"]
    assert len(ready) == len(found), [p["kpi"] for p in found if p["state"] != "ready"]  # every panel has figures
    for panel in found:
        assert set(panel["sites"]) <= {mine}, f"{panel['kpi']} shows rows of {panel['sites']}"
    assert theirs not in page.content()
    screenshot(page, user)
    page.close()


def test_network_analyst_sees_network_views_with_hidden_cells_marked(demo, browser):
    page = open_as(browser, demo, "network-analyst")
    found = assert_page_matches_views(demo, page, "network-analyst")
    assert all(p["read"].startswith("view:network_") for p in found)
    hidden = sum(p["hidden"] for p in found)
    suppressed = sum(1 for p in found for r in p["rows"] if r.get("suppressed") == "true")
    assert suppressed > 0 and hidden > 0, "the seeded network should hide some small cells"
    assert page.locator("td.hidden", has_text="hidden").count() > 0
    screenshot(page, "network-analyst")
    page.close()


def test_consumer_sees_no_panel_data(demo, browser):
    page = open_as(browser, demo, "consumer")
    found = assert_page_matches_views(demo, page, "consumer")
    assert {p["state"] for p in found} == {"empty"}
    assert all(not p["rows"] for p in found)
    assert page.locator("trackgen-panel .empty").count() == len(found)
    screenshot(page, "consumer")
    page.close()


def test_new_events_show_after_a_refresh_without_reload(demo, browser):
    page = open_as(browser, demo, "site-a-admin")
    before = {p["kpi"]: p for p in panels_on(page)}
    sent = demo.counter["tracked"]
    demo.start_simulator(rate=400, count=400, seed=2)
    counter = demo.wait_simulator(timeout=60)
    assert counter["tracked"] - sent == 400 and counter["rejected"] == 0
    demo.refresh_all()
    # a round of reads that started after the refresh committed: two ticks on (one may have been under way)
    ticks = int(page.evaluate("document.querySelector('trackgen-dashboard').dataset.ticks"))
    page.wait_for_function("t => Number(document.querySelector('trackgen-dashboard').dataset.ticks) >= t",
                           arg=ticks + 2, timeout=30_000)
    assert page.evaluate("window.__sameDocument") is True  # updated in place, no reload
    after = {p["kpi"]: p for p in assert_page_matches_views(demo, page, "site-a-admin")}
    changed = [k for k in after if after[k]["rows"] != before[k]["rows"]]
    assert "api_request_count" in changed and len(changed) >= 3, changed
    assert after["api_request_count"]["version"] > before["api_request_count"]["version"]
    page.close()


def get(demo: Demo, path: str, token: str | None, profile: str = "analytics") -> tuple[int, Any]:
    import json
    import urllib.error
    import urllib.request

    headers = {"Accept-Profile": profile, **({"Authorization": f"Bearer {token}"} if token else {})}
    request = urllib.request.Request(f"{demo.url}/rest/v1/{path}", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def test_gateway_reads_views_like_postgrest(demo):
    """The GET subset supabase-js sends, run as the JWT's role with its claims (RLS applies)."""
    user = demo.users["site-a-admin"]
    token = demo.token(user.claims)
    status, rows = get(demo, "kpi_api_request_count?select=period,value&period=gte.2000-01-01"
                             "&order=period.desc&limit=3", token)
    assert status == 200 and 0 < len(rows) <= 3 and set(rows[0]) == {"period", "value"}
    assert [r["period"] for r in rows] == sorted((r["period"] for r in rows), reverse=True)
    expected = view_rows(demo, user.claims, "view:kpi_api_request_count", rows[-1]["period"], rows[0]["period"])
    assert sorted((str(r["period"]), r["value"]) for r in expected) == sorted((r["period"], r["value"]) for r in rows)
    status, rows = get(demo, "kpi_api_request_count?site_id=neq." + user.claims["app_metadata"]["site_id"], token)
    assert (status, rows) == (200, [])  # no other site's row, whatever the filter
    assert get(demo, "no_such_view", token)[0] == 404
    assert get(demo, "kpi_api_request_count?period=between.1", token)[0] == 400
    assert get(demo, "kpi_api_request_count", None)[0] == 401  # anon has no grant
    assert get(demo, "kpi_api_request_count", token, profile="analytics_private")[0] == 406
    assert get(demo, "rpc/track_events?events=[]", token)[0] == 405  # volatile: POST only
    status, version = get(demo, "rpc/plan_version", token)
    assert status == 200 and isinstance(version, str)


def test_controls_work_from_the_keyboard(demo, browser):
    """A panel's period picker is reached with Tab and changed with the arrow keys; the panel redraws
    for that period and focus stays on the picker; the table opens with Enter."""
    page = open_as(browser, demo, "site-a-admin")
    panel = page.locator('trackgen-panel[data-kpi="errors_by_code"]')
    picker = panel.locator('select[data-control="period"]')
    before_value, before_summary = picker.input_value(), panel.locator(".summary").inner_text()
    page.locator('trackgen-panel[data-kpi="screen_load_ms"] select').last.focus()
    for _ in range(20):  # Tab forward until the picker has focus
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement?.closest('trackgen-panel')?.dataset.kpi") == "errors_by_code":
            break
    assert page.evaluate("document.activeElement.dataset.control") == "period"
    page.keyboard.press("ArrowDown")
    page.wait_for_function("v => document.querySelector('trackgen-panel[data-kpi=\"errors_by_code\"] select').value !== v",
                           arg=before_value, timeout=5_000)
    after_value = picker.input_value()
    assert after_value < before_value  # the options run newest first
    assert panel.locator(".summary").inner_text().startswith(after_value)
    assert panel.locator(".summary").inner_text() != before_summary
    assert page.evaluate("document.activeElement.dataset.control") == "period"  # focus kept across the redraw
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the table's <summary>
    assert panel.locator("details").evaluate("d => d.open") is True
    page.close()
