"""End to end: the generated client, with the real supabase-js from npm as its transport, over HTTP
to the PostgREST-compatible gateway (tools/gateway.py), into analytics.track_events of a real
PostgreSQL (the migrated ``db`` of tests/db/conftest.py, shared by this module).

Each test uses its own random site and user; the JWT names them, the payloads never do.
"""

from __future__ import annotations

import json
import secrets
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from dbutil import LOGIN_ROLE, claims

from tools.gateway import Gateway, GatewayConfig, http_status

pytestmark = pytest.mark.db

SECRET = secrets.token_urlsafe(32)
PL = {"protocolId": "0b7c6f5e-3a2d-4c1b-9e8f-7a6b5c4d3e2f", "protocolCategory": "post_surgical",
      "loggingMode": "live", "stepsCompleted": 8, "sessionMinutes": 45, "visitMode": "on_site"}
SCREEN = {"screen": "protocol_editor", "platform": "web", "loadMs": 1240, "coldStart": False}


def token(payload: dict) -> str:
    now = int(time.time())
    return jwt.encode({**payload, "iat": now, "exp": now + 600}, SECRET, algorithm="HS256")


ANON_KEY = token({"role": "anon", "iss": "supabase"})


@pytest.fixture(scope="module")
def gateway(pg_cluster, _shared_state):
    _shared_state.ensure()
    gw = Gateway(GatewayConfig(dsn=pg_cluster.dsn(user=LOGIN_ROLE), jwt_secret=SECRET,
                               schemas=("public", "analytics")))
    url = gw.start()
    yield gw, url
    gw.stop()


@pytest.fixture
def send(node, client_js, gateway):
    """Run clients/test/e2e.ts with the given calls; returns its JSON report."""
    gw, url = gateway

    def _send(caller: dict, *, calls=(), tracks=(), transport="supabase", validation="throw", batch_size=100):
        config = {"url": url, "anonKey": ANON_KEY, "token": token(caller), "transport": transport,
                  "validation": validation, "calls": list(calls), "tracks": list(tracks), "batchSize": batch_size}
        # supabase-js's realtime client wants a WebSocket class even when unused; Node 20 has one behind a flag
        run = node(["--experimental-websocket", str(client_js / "clients" / "test" / "e2e.js"), json.dumps(config)],
                   timeout=120)
        assert run.returncode == 0, run.stderr[-3000:]
        return json.loads(run.stdout.strip().splitlines()[-1])

    return _send


def stored(db, site) -> list[tuple]:
    return db.execute(
        "select event_id, payload, plan_version, actor_tier, site_id from analytics_private.events"
        " where site_id = %s order by occurred_at, idempotency_key", (site,)).fetchall()


@pytest.mark.parametrize("transport", ["supabase", "fetch"])
def test_events_land(db, send, compiled, transport):
    from generator.plan.database import plan_version

    site, sub = uuid.uuid4(), uuid.uuid4()
    report = send(claims(site, "practitioner", sub), transport=transport,
                  calls=[("practitioner", "protocolLogged", PL), ("system", "screenLoaded", SCREEN)],
                  tracks=[("consumer.feature_used", {"feature": "goals", "entryPoint": "deep_link", "platform": "web"})])
    assert report == {"rejections": [], "pending": 0}
    rows = stored(db, site)
    assert sorted(r[0] for r in rows) == ["consumer.feature_used", "practitioner.protocol_logged", "system.screen_loaded"]
    by_id = {r[0]: r for r in rows}
    assert by_id["practitioner.protocol_logged"][1] == {
        "protocol_id": PL["protocolId"], "protocol_category": "post_surgical", "logging_mode": "live",
        "steps_completed": 8, "session_minutes": 45, "visit_mode": "on_site"}
    assert {r[2] for r in rows} == {plan_version(compiled.taxonomy)}
    assert {r[3] for r in rows} == {"practitioner"}, "the tier comes from the JWT"


def test_rejects_come_back_with_reason_codes(db, send):
    site, sub = uuid.uuid4(), uuid.uuid4()
    report = send(
        claims(site, "practitioner", sub), validation="off",
        calls=[("practitioner", "protocolLogged", {**PL, "visitMode": "house_call"}),
               ("practitioner", "protocolLogged", PL),
               ("clinic", "memberInvited", {"invitedRole": "admin", "inviteChannel": "invite_link", "pendingInvites": 1}),
               ("system", "signInCompleted", {"signInMethod": "credentials"}),
               ("practitioner", "protocolLogged", {**PL, "siteId": str(uuid.uuid4())})],
        tracks=[("practitioner.teleport_started", {})])
    got = sorted((r["eventId"], r["reason"], r.get("field"), r["stage"]) for r in report["rejections"])
    assert got == sorted([
        ("practitioner.protocol_logged", "bad_enum", "visit_mode", "database"),
        ("clinic.member_invited", "tier_not_allowed", None, "database"),
        ("system.sign_in_completed", "deprecated_event", None, "database"),
        ("practitioner.protocol_logged", "unknown_property", "siteId", "database"),
        ("practitioner.teleport_started", "unknown_event", None, "database"),
    ])
    assert all(r["idempotencyKey"] for r in report["rejections"])
    assert report["pending"] == 0
    assert [r[0] for r in stored(db, site)] == ["practitioner.protocol_logged"]
    counted = dict(((r, f), n) for r, f, n in db.execute(
        "select reason, field, rejected from analytics_private.rejections where site_id = %s", (site,)).fetchall())
    assert counted[("bad_enum", "visit_mode")] == 1


def test_client_validation_refuses_before_sending(db, send, gateway):
    gw, _ = gateway
    site, sub = uuid.uuid4(), uuid.uuid4()
    before = len(gw.log)
    report = send(claims(site, "practitioner", sub), validation="warn",
                  calls=[("practitioner", "protocolLogged", {**PL, "visitMode": "house_call"})])
    assert [(r["reason"], r.get("field"), r["stage"]) for r in report["rejections"]] == [
        ("bad_enum", "visit_mode", "validation")]
    assert len(gw.log) == before, "nothing reached the server"
    assert stored(db, site) == []


def test_dropped_response_and_retry_store_nothing_twice(db, send, gateway):
    gw, _ = gateway
    site, sub = uuid.uuid4(), uuid.uuid4()
    gw.drop_responses(1)
    before = len(gw.log)
    report = send(claims(site, "practitioner", sub), batch_size=10,
                  calls=[("practitioner", "protocolLogged", {**PL, "stepsCompleted": i}) for i in range(10)])
    assert report == {"rejections": [], "pending": 0}
    statuses = [status for _, path, status in gw.log[before:] if path.endswith("/rpc/track_events")]
    assert statuses == [None, 200], "the first answer was lost after the commit, the retry succeeded"
    assert len(stored(db, site)) == 10
    keys = db.execute("select count(*) from analytics_private.event_keys where site_id = %s", (site,)).fetchone()[0]
    assert keys == 10


def test_a_site_a_caller_writes_only_to_site_a(db, send):
    site_a, site_b = uuid.uuid4(), uuid.uuid4()
    send(claims(site_a, "practitioner", uuid.uuid4()), calls=[("practitioner", "protocolLogged", PL)] * 3)
    send(claims(site_b, "practitioner", uuid.uuid4()), calls=[("practitioner", "protocolLogged", PL)])
    assert len(stored(db, site_a)) == 3
    assert len(stored(db, site_b)) == 1
    assert {r[4] for r in stored(db, site_a)} == {site_a}


def _rpc(url: str, fn: str, args: dict, caller: dict | None, schema: str = "analytics") -> tuple[int, object]:
    headers = {"Content-Type": "application/json", "Content-Profile": schema, "apikey": ANON_KEY,
               "Authorization": f"Bearer {token(caller) if caller else ANON_KEY}"}
    request = urllib.request.Request(f"{url}/rest/v1/rpc/{fn}", data=json.dumps(args).encode(), headers=headers,
                                     method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def test_kpi_views_show_the_events_after_a_refresh(db, send, gateway):
    _, url = gateway
    site, other = uuid.uuid4(), uuid.uuid4()
    send(claims(site, "practitioner", uuid.uuid4()),
         calls=[("practitioner", "protocolLogged", PL)] * 2 + [("practitioner", "protocolLogged", {**PL, "loggingMode": "bulk_import"})])
    send(claims(other, "practitioner", uuid.uuid4()), calls=[("practitioner", "protocolLogged", PL)])
    db.execute("select analytics_private.refresh_kpi_protocol_sessions_logged()")
    today = datetime.now(UTC).date()
    span = {"from": str(today - timedelta(days=1)), "to": str(today + timedelta(days=1))}
    status, rows = _rpc(url, "kpi_protocol_sessions_logged_between", span, claims(site, "clinic", uuid.uuid4()))
    assert status == 200, rows
    assert sorted((r["logging_mode"], r["value"]) for r in rows) == [("bulk_import", 1), ("live", 2)]
    assert {r["site_id"] for r in rows} == {str(site)}, "a caller reads its own site only"
    status, rows = _rpc(url, "kpi_protocol_sessions_logged_between", span, claims(other, "clinic", uuid.uuid4()))
    assert status == 200 and [(r["logging_mode"], r["value"]) for r in rows] == [("live", 1)]


# --------------------------------------------------------------------------- #
# The gateway behaves like PostgREST where the client can tell
# --------------------------------------------------------------------------- #


def test_gateway_answers_like_postgrest(gateway):
    _, url = gateway
    caller = claims(uuid.uuid4(), "practitioner", uuid.uuid4())
    status, body = _rpc(url, "track_events", {"events": []}, caller, schema="analytics_private")
    assert status == 406 and body["code"] == "PGRST106", body
    status, body = _rpc(url, "no_such_function", {}, caller)
    assert status == 404 and body["code"] == "PGRST202", body
    status, body = _rpc(url, "track_events", {"events": []}, None)  # anon may not ingest (allow_anon: false)
    assert (status, body["code"]) == (401, "42501"), body
    status, body = _rpc(url, "track_events", {"events": "not an array"}, caller)
    assert (status, body["code"]) == (400, "22023"), body
    status, body = _rpc(url, "track_events", {"events": []}, caller)
    assert (status, body) == (200, [])
    forged = jwt.encode({"role": "service_role", "exp": int(time.time()) + 60}, "not-the-secret", algorithm="HS256")
    request = urllib.request.Request(f"{url}/rest/v1/rpc/track_events", data=b'{"events": []}', method="POST",
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {forged}"})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=30)
    assert err.value.code == 401 and json.loads(err.value.read())["code"] == "PGRST301"
    expired = jwt.encode({"role": "authenticated", "exp": int(time.time()) - 120}, SECRET, algorithm="HS256")
    request.headers["Authorization"] = f"Bearer {expired}"
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=30)
    assert err.value.code == 401 and json.loads(err.value.read())["code"] == "PGRST303"


def test_gateway_sets_role_and_claims_like_postgrest(db, gateway):
    """What the function sees: role, claims (with role added) and the request settings."""
    gw, url = gateway
    db.execute("""
        create or replace function public.gateway_probe() returns jsonb language sql stable as $$
          select jsonb_build_object('user', current_user, 'claims', current_setting('request.jwt.claims', true)::jsonb,
                                    'method', current_setting('request.method', true),
                                    'path', current_setting('request.path', true),
                                    'search_path', current_setting('search_path'))
        $$;
        grant execute on function public.gateway_probe() to authenticated""")
    caller = claims(uuid.uuid4(), "clinic", uuid.uuid4())
    status, body = _rpc(url, "gateway_probe", {}, caller, schema="public")
    assert status == 200, body
    assert body["user"] == "authenticated"
    assert {k: v for k, v in body["claims"].items() if k not in ("iat", "exp")} == caller
    assert (body["method"], body["path"]) == ("POST", "/rest/v1/rpc/gateway_probe")
    assert body["search_path"].split(",")[0].strip('" ') == "public", "the profile's schema comes first"


@pytest.mark.parametrize(("state", "message", "authed", "expected"), [
    ("23505", "", True, 409), ("42501", "", False, 401), ("42501", "", True, 403), ("P0001", "", True, 400),
    ("22023", 'role "x" does not exist', True, 401), ("22023", "bad", True, 400), ("08006", "", True, 503),
    ("40001", "", True, 500), ("PT402", "", True, 402), ("42883", "function f() does not exist", True, 404),
    ("53100", "", True, 503), ("53400", "", True, 500), ("XX000", "", True, 500), ("22P02", "", True, 400),
])
def test_gateway_status_table_is_postgrests(state, message, authed, expected):
    assert http_status(state, message, authed) == expected
