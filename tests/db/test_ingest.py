"""analytics.track_events on a real database: the bad-event catalog, batch-level
rejections, idempotency and concurrency, privacy of the actor, and parity of the
SQL payload checks with the JSON Schema of every event.

Every test that sends events uses its own random site id, so the tests can share
one migrated database per module (the ``db`` fixture of tests/db/conftest.py).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from counterexamples import parity_cases
from dbutil import LOGIN_ROLE, as_caller, claims
from jsonschema import Draft202012Validator, FormatChecker
from psycopg import errors
from psycopg.types.json import Jsonb

pytestmark = pytest.mark.db

SQL_INJECTION = "'; drop table analytics_private.events; --"
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def now_iso(delta: timedelta = timedelta(0)) -> str:
    return (datetime.now(UTC) + delta).isoformat().replace("+00:00", "Z")


def event(event_id: Any, payload: Any, **envelope: Any) -> dict:
    item = {
        "event_id": event_id,
        "occurred_at": now_iso(),
        "idempotency_key": str(uuid.uuid4()),
        "payload": payload,
    }
    for k, v in envelope.items():
        if callable(v):
            v = v()
        if v is _DROP:
            item.pop(k, None)
        else:
            item[k] = v
    return item


_DROP = object()


def count_site_events(db, site) -> int:
    return db.execute(
        "select count(*) from analytics_private.events where site_id = %s", (site,)
    ).fetchone()[0]


# --------------------------------------------------------------------------- #
# 4. The bad-event catalog
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class Bad:
    """One bad event: ``build(examples)`` returns the item sent between two good ones."""

    build: Callable[[dict[str, dict]], Any]
    reason: str
    field: str | set[str] | None = None
    secret: str | None = None  # a value that must never be stored anywhere


def _with(event_id: str, **changes: Any) -> Callable[[dict], dict]:
    """The example payload of ``event_id`` with properties changed (``_DROP`` removes)."""

    def build(ex: dict) -> dict:
        payload = dict(ex[event_id])
        for k, v in changes.items():
            if v is _DROP:
                payload.pop(k)
            else:
                payload[k] = v
        return event(event_id, payload)

    return build


def _env(name: str, **envelope: Any) -> Callable[[dict], dict]:
    """The example of event ``name`` with envelope fields changed (``_DROP`` removes)."""

    def build(ex: dict) -> dict:
        item = event(name, dict(ex[name]))
        for k, v in envelope.items():
            v = v() if callable(v) else v
            if v is _DROP:
                item.pop(k, None)
            else:
                item[k] = v
        return item

    return build


PL = "practitioner.protocol_logged"
PE = "practitioner.protocol_edited"

BAD_EVENTS: dict[str, Bad] = {
    # event id, status and tier
    "unknown_event": Bad(lambda ex: event("practitioner.teleport_started", dict(ex[PL])), "unknown_event"),
    "unknown_event_without_tier": Bad(lambda ex: event("nonsense", {}), "unknown_event"),
    "deprecated_event": Bad(_env("system.sign_in_completed"), "deprecated_event"),
    "clinic_event_from_practitioner": Bad(_env("clinic.member_invited"), "tier_not_allowed"),
    "network_event_from_practitioner": Bad(_env("network.dashboard_viewed"), "tier_not_allowed"),
    "missing_event_id": Bad(_env(PL, event_id=_DROP), "missing_event_id"),
    "event_id_not_a_string": Bad(_env(PL, event_id=42), "missing_event_id"),
    "sql_in_event_id": Bad(lambda ex: event(SQL_INJECTION, dict(ex[PL])), "unknown_event",
                           secret=SQL_INJECTION),
    # payload properties
    "missing_required_key": Bad(_with(PL, session_minutes=_DROP), "missing_property", "session_minutes"),
    "empty_payload": Bad(lambda ex: event(PL, {}), "missing_property",
                         {"logging_mode", "protocol_category", "protocol_id", "session_minutes",
                          "steps_completed", "visit_mode"}),
    "unknown_key_email": Bad(_with(PL, email="jane.doe.zz@example.com"), "unknown_property", "email",
                             secret="jane.doe.zz@example.com"),
    "wrong_type_string_for_integer": Bad(_with(PL, session_minutes="45"), "wrong_type", "session_minutes"),
    "integer_given_a_float": Bad(_with(PL, session_minutes=45.5), "wrong_type", "session_minutes"),
    "integer_given_a_boolean": Bad(_with(PL, session_minutes=True), "wrong_type", "session_minutes"),
    "null_value": Bad(_with(PL, visit_mode=None), "wrong_type", "visit_mode"),
    "boolean_given_a_string": Bad(_with("system.login_succeeded", mfa_used="true"), "wrong_type", "mfa_used"),
    "out_of_range_above": Bad(_with(PL, session_minutes=481), "out_of_range", "session_minutes"),
    "out_of_range_below": Bad(_with(PL, steps_completed=-1), "out_of_range", "steps_completed"),
    "bad_enum": Bad(_with(PL, visit_mode="house_call_zz"), "bad_enum", "visit_mode", secret="house_call_zz"),
    "enum_given_a_number": Bad(_with(PL, visit_mode=7), "wrong_type", "visit_mode"),
    "sql_as_enum_value": Bad(_with(PL, visit_mode=SQL_INJECTION), "bad_enum", "visit_mode",
                             secret=SQL_INJECTION),
    "sql_as_key": Bad(lambda ex: event(PL, {**ex[PL], SQL_INJECTION: 1}), "unknown_property",
                      SQL_INJECTION, secret=SQL_INJECTION),
    "bad_pattern": Bad(_with("system.error_occurred", app_version="99.99.99.99"), "bad_pattern",
                       "app_version", secret="99.99.99.99"),
    "bad_uuid_format": Bad(_with(PL, protocol_id="not-a-uuid-zz"), "bad_format", "protocol_id",
                           secret="not-a-uuid-zz"),
    "uuid_without_hyphens": Bad(_with(PL, protocol_id="0b7c6f5e3a2d4c1b9e8f7a6b5c4d3e2f"), "bad_format",
                                "protocol_id", secret="0b7c6f5e3a2d4c1b9e8f7a6b5c4d3e2f"),
    "too_many_items": Bad(_with(PE, change_kinds=["steps_added", "steps_removed", "steps_reordered",
                                                  "dosage_adjusted", "category_changed", "steps_added"]),
                          "too_many_items", "change_kinds"),
    "too_few_items": Bad(_with(PE, change_kinds=[]), "too_few_items", "change_kinds"),
    "duplicate_items": Bad(_with(PE, change_kinds=["steps_added", "steps_added"]), "duplicate_items",
                           "change_kinds"),
    "array_item_wrong_type": Bad(_with(PE, change_kinds=[1]), "wrong_type", "change_kinds"),
    "array_item_bad_enum": Bad(_with(PE, change_kinds=["zz_kind"]), "bad_enum", "change_kinds",
                               secret="zz_kind"),
    "array_given_a_string": Bad(_with(PE, change_kinds="steps_added"), "wrong_type", "change_kinds"),
    # timestamps
    "far_future_timestamp": Bad(_env(PL, occurred_at=lambda: now_iso(timedelta(days=1))), "timestamp_in_future"),
    "just_beyond_max_future": Bad(_env(PL, occurred_at=lambda: now_iso(timedelta(minutes=10))), "timestamp_in_future"),
    "too_old_timestamp": Bad(_env(PL, occurred_at=lambda: now_iso(-timedelta(days=8))), "timestamp_too_old"),
    "ancient_timestamp": Bad(_env(PL, occurred_at="1999-01-01T00:00:00Z"), "timestamp_too_old"),
    "non_rfc3339_timestamp": Bad(_env(PL, occurred_at="25/11/2026 10:00"), "bad_timestamp"),
    "timestamp_without_offset": Bad(_env(PL, occurred_at=lambda: datetime.now(UTC)
                                          .replace(tzinfo=None).isoformat()), "bad_timestamp"),
    "impossible_date": Bad(_env(PL, occurred_at="2026-02-30T10:00:00Z"), "bad_timestamp"),
    "epoch_number_timestamp": Bad(_env(PL, occurred_at=1764000000), "bad_timestamp"),
    "missing_timestamp": Bad(_env(PL, occurred_at=_DROP), "bad_timestamp"),
    # idempotency key
    "missing_idempotency_key": Bad(_env(PL, idempotency_key=_DROP), "bad_idempotency_key"),
    "bad_uuid_key": Bad(_env(PL, idempotency_key="abc-zz-key"), "bad_idempotency_key", secret="abc-zz-key"),
    "numeric_key": Bad(_env(PL, idempotency_key=12345), "bad_idempotency_key"),
    # envelope
    "unknown_envelope_field": Bad(_env(PL, user_id="patient.zz@example.com"), "unknown_envelope_field",
                                  "user_id", secret="patient.zz@example.com"),
    "bad_plan_version": Bad(_env(PL, plan_version="!! bad version !!"), "bad_plan_version",
                            secret="!! bad version !!"),
    "plan_version_not_a_string": Bad(_env(PL, plan_version=3), "bad_plan_version"),
    "plan_version_too_long": Bad(_env(PL, plan_version="v" * 65), "bad_plan_version"),
    # payload shape and size
    "oversized_payload": Bad(lambda ex: event(PL, {**ex[PL], "zz_padding": "q" * 5000}), "payload_too_large",
                             secret="q" * 50),
    "payload_array": Bad(_env(PL, payload=["live"]), "payload_not_object"),
    "payload_string": Bad(_env(PL, payload="payload-zz-string"), "payload_not_object",
                          secret="payload-zz-string"),
    "payload_null": Bad(_env(PL, payload=None), "payload_not_object"),
    "payload_missing": Bad(_env(PL, payload=_DROP), "payload_not_object"),
    # the item itself
    "item_array": Bad(lambda ex: [event(PL, dict(ex[PL]))], "not_an_object"),
    "item_number": Bad(lambda ex: 13371337, "not_an_object", secret="13371337"),
    "item_null": Bad(lambda ex: None, "not_an_object"),
    "item_string": Bad(lambda ex: "item-zz-string", "not_an_object", secret="item-zz-string"),
}


@pytest.mark.parametrize("case", sorted(BAD_EVENTS))
def test_bad_event_is_rejected_between_two_good_ones(db, api, send, examples, case):
    bad = BAD_EVENTS[case]
    site, sub = uuid.uuid4(), uuid.uuid4()
    good1 = event(PL, dict(examples[PL]))
    good2 = event("system.screen_loaded", dict(examples["system.screen_loaded"]), plan_version="77952c962888")
    item = bad.build(examples)
    result = send(api, claims(site, "practitioner", sub), [good1, item, good2])

    assert [r["index"] for r in result] == [0, 1, 2]
    assert result[0] == {"index": 0, "status": "accepted", "reason": None}, result
    assert result[2] == {"index": 2, "status": "accepted", "reason": None}, result
    rejected = result[1]
    assert rejected["status"] == "rejected", rejected
    assert rejected["reason"] == bad.reason, rejected
    if bad.field is None:
        assert "field" not in rejected, rejected
    elif isinstance(bad.field, set):
        assert rejected.get("field") in bad.field, rejected
    else:
        assert rejected.get("field") == bad.field, rejected

    # the two good events are stored, the bad one is not
    stored = db.execute(
        "select idempotency_key::text from analytics_private.events where site_id = %s order by 1", (site,)
    ).fetchall()
    assert sorted(r[0] for r in stored) == sorted([good1["idempotency_key"], good2["idempotency_key"]])
    assert db.execute(
        "select count(*) from analytics_private.event_keys where site_id = %s", (site,)
    ).fetchone()[0] == 2

    # the rejection is counted, with names only
    rows = db.execute(
        "select reason, field, rejected, event_id, r::text from analytics_private.rejections r"
        " where site_id = %s",
        (site,),
    ).fetchall()
    assert len(rows) == 1, rows
    reason, field, count, event_id, row_text = rows[0]
    assert (reason, count) == (bad.reason, 1)
    sent_field = rejected.get("field")
    if sent_field is None:
        assert field == ""
    else:
        assert field == (sent_field if NAME_RE.match(sent_field) else "<invalid>")
    assert event_id == "<invalid>" or re.fullmatch(r"[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*", event_id)
    if bad.secret is not None:
        assert bad.secret not in row_text
        leaked = db.execute(
            "select count(*) from analytics_private.events e where strpos(e::text, %s) > 0",
            (bad.secret,),
        ).fetchone()[0]
        assert leaked == 0


def test_bad_event_catalog_is_large_enough():
    assert len(BAD_EVENTS) >= 30
    reasons = {b.reason for b in BAD_EVENTS.values()}
    expected = {
        "not_an_object", "unknown_envelope_field", "missing_event_id", "unknown_event",
        "deprecated_event", "tier_not_allowed", "bad_idempotency_key", "bad_timestamp",
        "timestamp_in_future", "timestamp_too_old", "bad_plan_version", "payload_not_object",
        "payload_too_large", "unknown_property", "missing_property", "wrong_type", "out_of_range",
        "bad_enum", "bad_pattern", "bad_format", "too_many_items", "too_few_items", "duplicate_items",
    }
    assert expected <= reasons, expected - reasons


def test_rejections_are_counted_not_listed(db, api, send, examples):
    site, sub = uuid.uuid4(), uuid.uuid4()
    batch = [event(PL, {**examples[PL], "visit_mode": f"zz_{i}"}) for i in range(5)]
    result = send(api, claims(site, "practitioner", sub), batch)
    assert {(r["reason"], r["field"]) for r in result} == {("bad_enum", "visit_mode")}
    send(api, claims(site, "practitioner", sub), batch[:2])
    rows = db.execute(
        "select event_id, reason, field, rejected from analytics_private.rejections where site_id = %s",
        (site,),
    ).fetchall()
    assert rows == [(PL, "bad_enum", "visit_mode", 7)]


# --------------------------------------------------------------------------- #
# 4b. Batch-level rejections
# --------------------------------------------------------------------------- #


def _no_site(site, sub):
    return {"sub": str(sub), "role": "authenticated", "aud": "authenticated",
            "app_metadata": {"tier": "practitioner"}}


def _site_not_uuid(site, sub):
    c = claims(site, "practitioner", sub)
    c["app_metadata"]["site_id"] = "site-42"
    return c


def _site_only_in_user_metadata(site, sub):
    c = _no_site(site, sub)
    c["user_metadata"] = {"site_id": str(site)}
    return c


def _tier(tier):
    def make(site, sub):
        c = claims(site, "practitioner", sub)
        if tier is None:
            del c["app_metadata"]["tier"]
        else:
            c["app_metadata"]["tier"] = tier
        return c

    return make


def _tier_only_in_user_metadata(site, sub):
    c = _tier(None)(site, sub)
    c["user_metadata"] = {"tier": "practitioner"}
    return c


def _no_sub(site, sub):
    c = claims(site, "practitioner", sub)
    del c["sub"]
    return c


def _sub_not_uuid(site, sub):
    c = claims(site, "practitioner", sub)
    c["sub"] = "user-42"
    return c


BATCH_LEVEL = {
    "no_site_claim": (_no_site, "missing_site"),
    "site_not_a_uuid": (_site_not_uuid, "missing_site"),
    "site_only_in_user_metadata": (_site_only_in_user_metadata, "missing_site"),
    "unknown_caller_tier": (_tier("platinum"), "unknown_caller_tier"),
    "system_is_not_a_caller_tier": (_tier("system"), "unknown_caller_tier"),
    "no_tier_claim": (_tier(None), "unknown_caller_tier"),
    "tier_only_in_user_metadata": (_tier_only_in_user_metadata, "unknown_caller_tier"),
    "no_sub": (_no_sub, "missing_actor"),
}


@pytest.mark.parametrize("case", sorted(BATCH_LEVEL))
def test_batch_level_rejection(db, api, send, examples, case):
    make_claims, reason = BATCH_LEVEL[case]
    site, sub = uuid.uuid4(), uuid.uuid4()
    batch = [event(PL, dict(examples[PL])), event("system.screen_loaded", dict(examples["system.screen_loaded"]))]
    before = db.execute("select count(*) from analytics_private.events").fetchone()[0]
    result = send(api, make_claims(site, sub), batch)
    assert result == [{"index": i, "status": "rejected", "reason": reason} for i in range(2)]
    assert db.execute("select count(*) from analytics_private.events").fetchone()[0] == before
    assert db.execute(
        "select count(*) from analytics_private.event_keys where idempotency_key = any(%s::uuid[])",
        ([b["idempotency_key"] for b in batch],),
    ).fetchone()[0] == 0


def test_sub_that_is_not_a_uuid_is_an_error_or_a_rejection(db, api, send, examples):
    """auth.uid() casts sub to uuid; Supabase subs always are uuids. Whatever
    happens, nothing is stored."""
    site, sub = uuid.uuid4(), uuid.uuid4()
    try:
        result = send(api, _sub_not_uuid(site, sub), [event(PL, dict(examples[PL]))])
    except psycopg.Error:
        result = None
    if result is not None:
        assert result[0]["status"] == "rejected"
    assert count_site_events(db, site) == 0


def test_batch_larger_than_max_batch_size(db, api, send, examples, compiled):
    limit = compiled.taxonomy.project.max_batch_size
    site, sub = uuid.uuid4(), uuid.uuid4()
    batch = [event("system.screen_loaded", dict(examples["system.screen_loaded"])) for _ in range(limit + 1)]
    result = send(api, claims(site, "practitioner", sub), batch)
    assert len(result) == limit + 1
    assert {(r["status"], r["reason"]) for r in result} == {("rejected", "batch_too_large")}
    assert count_site_events(db, site) == 0
    # exactly max_batch_size is fine
    result = send(api, claims(site, "practitioner", sub), batch[:limit])
    assert {r["status"] for r in result} == {"accepted"}
    assert count_site_events(db, site) == limit


@pytest.mark.parametrize("argument", ['{"event_id": "x"}', '"events"', "42", "null", None])
def test_non_array_argument_raises(db, api, send, argument):
    site, sub = uuid.uuid4(), uuid.uuid4()
    with pytest.raises(errors.InvalidParameterValue, match="JSON array"):
        with as_caller(api, "authenticated", claims(site, "practitioner", sub)) as cur:
            cur.execute("select analytics.track_events(%s::jsonb)", (argument,))


def test_empty_batch(db, api, send):
    assert send(api, claims(uuid.uuid4(), "practitioner", uuid.uuid4()), []) == []


def test_tiers_below_and_system_events_are_allowed(db, api, send, examples):
    site, sub = uuid.uuid4(), uuid.uuid4()
    ids = ["consumer.feature_used", PL, "system.login_succeeded"]
    result = send(api, claims(site, "practitioner", sub), [event(i, dict(examples[i])) for i in ids])
    assert [r["status"] for r in result] == ["accepted"] * 3
    # a consumer may not send practitioner events, a clinic may
    result = send(api, claims(site, "consumer", sub), [event(PL, dict(examples[PL]))])
    assert result[0]["reason"] == "tier_not_allowed"
    result = send(api, claims(site, "clinic", sub), [event(PL, dict(examples[PL]))])
    assert result[0]["status"] == "accepted"
    stored = db.execute(
        "select event_id, actor_tier, plan_version from analytics_private.events where site_id = %s"
        " order by event_id, actor_tier",
        (site,),
    ).fetchall()
    assert stored == sorted([(i, "practitioner", None) for i in ids] + [(PL, "clinic", None)])


def test_event_is_stored_as_sent(db, api, send, examples):
    site, sub, network = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    item = event(PL, dict(examples[PL]), occurred_at=now_iso(-timedelta(hours=1)), plan_version="abc-1.2_3")
    [r] = send(api, claims(site, "practitioner", sub, network), [item])
    assert r["status"] == "accepted"
    row = db.execute(
        "select event_id, network_id, occurred_at, idempotency_key::text, plan_version, payload"
        " from analytics_private.events where site_id = %s",
        (site,),
    ).fetchone()
    occurred = datetime.fromisoformat(item["occurred_at"].replace("Z", "+00:00"))
    assert row == (PL, network, occurred, item["idempotency_key"], "abc-1.2_3", examples[PL])


# --------------------------------------------------------------------------- #
# 6. Idempotency and concurrency
# --------------------------------------------------------------------------- #


def test_same_batch_twice_is_stored_once(db, api, send, examples):
    site, sub = uuid.uuid4(), uuid.uuid4()
    ids = [PL, "system.screen_loaded", "consumer.feature_used", PE, "system.login_succeeded"]
    batch = [event(i, dict(examples[i])) for i in ids * 2]
    first = send(api, claims(site, "practitioner", sub), batch)
    assert [r["status"] for r in first] == ["accepted"] * len(batch)
    second = send(api, claims(site, "practitioner", sub), batch)
    assert second == [{"index": i, "status": "duplicate", "reason": None} for i in range(len(batch))]
    assert count_site_events(db, site) == len(batch)
    # a duplicate keeps the first version, even with another payload or time
    changed = dict(batch[0], payload={**examples[PL], "session_minutes": 1},
                   occurred_at=now_iso(-timedelta(minutes=3)))
    assert send(api, claims(site, "practitioner", sub), [changed])[0]["status"] == "duplicate"
    assert db.execute(
        "select payload from analytics_private.events where site_id = %s and idempotency_key = %s",
        (site, batch[0]["idempotency_key"]),
    ).fetchone()[0] == examples[PL]


def test_same_key_twice_in_one_batch(db, api, send, examples):
    site, sub = uuid.uuid4(), uuid.uuid4()
    item = event(PL, dict(examples[PL]))
    result = send(api, claims(site, "practitioner", sub), [item, dict(item)])
    assert [r["status"] for r in result] == ["accepted", "duplicate"]
    assert count_site_events(db, site) == 1


def test_idempotency_is_per_site(db, api, send, examples):
    site_a, site_b, sub = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    item = event(PL, dict(examples[PL]))
    assert send(api, claims(site_a, "practitioner", sub), [item])[0]["status"] == "accepted"
    assert send(api, claims(site_b, "practitioner", sub), [item])[0]["status"] == "accepted"


def _run_threads(pg_cluster, jobs: list[tuple[dict, list]], send) -> list:
    """Run each (claims, batches) job in its own thread with its own connection,
    started together; returns per-job lists of results (or the exception)."""
    out: list = [None] * len(jobs)
    barrier = threading.Barrier(len(jobs))

    def work(i: int, caller_claims: dict, batches: list) -> None:
        try:
            with pg_cluster.connect(user=LOGIN_ROLE) as conn:
                barrier.wait(timeout=30)
                out[i] = [send(conn, caller_claims, b) for b in batches]
        except BaseException as e:  # noqa: BLE001 - reported by the caller
            out[i] = e

    threads = [threading.Thread(target=work, args=(i, c, b)) for i, (c, b) in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    errors_seen = [o for o in out if isinstance(o, BaseException)]
    assert not errors_seen, errors_seen
    return out


def test_concurrent_ingest_stores_each_event_once(db, pg_cluster, send, examples, compiled):
    threads, total, size = 8, 20_000, 500
    assert size <= compiled.taxonomy.project.max_batch_size
    site = uuid.uuid4()
    ids = [PL, "system.screen_loaded", "consumer.feature_used", "system.login_succeeded"]
    templates = [(i, json.dumps(examples[i])) for i in ids]
    when = now_iso(-timedelta(minutes=1))
    events = [
        {"event_id": templates[n % 4][0], "occurred_at": when, "idempotency_key": str(uuid.uuid4()),
         "payload": json.loads(templates[n % 4][1])}
        for n in range(total)
    ]
    batches = [events[i:i + size] for i in range(0, total, size)]
    subs = [uuid.uuid4() for _ in range(threads)]
    jobs = [(claims(site, "practitioner", subs[t]), batches[t::threads]) for t in range(threads)]
    results = _run_threads(pg_cluster, jobs, send)
    statuses = [r["status"] for per_thread in results for res in per_thread for r in res]
    assert len(statuses) == total and set(statuses) == {"accepted"}
    assert count_site_events(db, site) == total
    assert db.execute(
        "select count(distinct actor_hash) from analytics_private.events where site_id = %s", (site,)
    ).fetchone()[0] == threads

    # resend a slice concurrently: every thread resends batches another thread sent first
    slice_ = batches[:threads]
    jobs = [(claims(site, "practitioner", subs[t]), [slice_[(t + 1) % threads], slice_[t]])
            for t in range(threads)]
    results = _run_threads(pg_cluster, jobs, send)
    statuses = {r["status"] for per_thread in results for res in per_thread for r in res}
    assert statuses == {"duplicate"}
    assert count_site_events(db, site) == total

    # a new batch sent by all threads at once is stored once
    fresh = [dict(e, idempotency_key=str(uuid.uuid4())) for e in events[:size]]
    jobs = [(claims(site, "practitioner", subs[t]), [fresh]) for t in range(threads)]
    results = _run_threads(pg_cluster, jobs, send)
    accepted = sum(r["status"] == "accepted" for per_thread in results for res in per_thread for r in res)
    assert accepted == size
    assert count_site_events(db, site) == total + size


def test_concurrent_retries_in_another_order_do_not_fail(db, pg_cluster, send, examples):
    """A client retrying a batch while the first attempt is still running (after a
    timeout), with its queue in another order, must get accepted/duplicate
    results, not a database error (e.g. a deadlock between the two calls)."""
    site = uuid.uuid4()
    batch = [event(PL, dict(examples[PL])) for _ in range(400)]
    jobs = [
        (claims(site, "practitioner", uuid.uuid4()), [batch]),
        (claims(site, "practitioner", uuid.uuid4()), [list(reversed(batch))]),
    ]
    results = _run_threads(pg_cluster, jobs, send)
    accepted = sum(r["status"] == "accepted" for per_thread in results for res in per_thread for r in res)
    assert accepted == len(batch)
    assert count_site_events(db, site) == len(batch)


# --------------------------------------------------------------------------- #
# 7. No clear-text user identifier
# --------------------------------------------------------------------------- #


def test_no_clear_user_id_is_stored_and_actor_hash_is_keyed(db, api, send, examples):
    sites = [uuid.uuid4(), uuid.uuid4()]
    subs = [uuid.uuid4() for _ in range(3)]
    for n, sub in enumerate(subs):
        site = sites[n % 2]
        c = claims(site, "practitioner", sub, uuid.uuid4())
        batch = [event(i, dict(examples[i])) for i in (PL, "system.login_succeeded", "consumer.feature_used")]
        batch.append(event("nonsense", {}))  # a rejection
        batch.append(event(PL, {**examples[PL], "visit_mode": "zz"}))
        assert [r["status"] for r in send(api, c, batch)] == ["accepted"] * 3 + ["rejected"] * 2
        assert {r["status"] for r in send(api, c, batch[:3])} == {"duplicate"}

    needles = []
    for sub in subs:
        s = str(sub)
        needles += [s, s.replace("-", ""), hashlib.sha256(s.encode()).hexdigest(),
                    hashlib.md5(s.encode()).hexdigest(), hashlib.sha256(sub.bytes).hexdigest()]
    tables = db.execute(
        "select format('%I.%I', n.nspname, c.relname) from pg_class c"
        " join pg_namespace n on n.oid = c.relnamespace"
        " where n.nspname in ('analytics', 'analytics_private') and c.relkind in ('r', 'm')"
    ).fetchall()
    assert len(tables) >= 5
    found = []
    for (table,) in tables:
        hits = db.execute(
            f"select count(*) from {table} t where lower(t::text) like any(%s::text[])",
            ([f"%{n.lower()}%" for n in needles],),
        ).fetchone()[0]
        if hits:
            found.append((table, hits))
    assert found == []

    key = db.execute(
        "select value from analytics_private.secrets where name = 'actor_hmac_key'"
    ).fetchone()[0]
    assert len(key) >= 32
    for n, sub in enumerate(subs):
        hashes = db.execute(
            "select distinct actor_hash from analytics_private.events where site_id = %s and event_id = %s"
            " and network_id is not null",
            (sites[n % 2], PL),
        ).fetchall()
        expected = hmac.new(bytes(key), str(sub).encode(), hashlib.sha256).digest()
        assert expected in [bytes(h[0]) for h in hashes]
        assert hashlib.sha256(str(sub).encode()).digest() not in [bytes(h[0]) for h in hashes]


# --------------------------------------------------------------------------- #
# 5. JSON Schema parity
# --------------------------------------------------------------------------- #

@pytest.fixture(scope="module")
def parity(_shared_state, compiled):
    """Every parity case of every event through payload_problem in one SQL call."""
    db = _shared_state.ensure()
    rows = []
    for ev in compiled.taxonomy.events:
        for label, payload, expected, valid in parity_cases(ev):
            rows.append((ev.id, label, payload, expected, valid))
    got = db.execute(
        "select t.n, analytics_private.payload_problem(t.e, t.p)"
        " from unnest(%s::text[], %s::jsonb[]) with ordinality as t (e, p, n) order by t.n",
        ([r[0] for r in rows], [Jsonb(r[2]) for r in rows]),
    ).fetchall()
    assert len(got) == len(rows)
    by_event: dict[str, list] = {}
    for row, (_, problem) in zip(rows, got, strict=False):
        by_event.setdefault(row[0], []).append((*row[1:], problem))
    return by_event


def _event_ids():
    from generator.compiler import analyse

    tax = analyse(Path(__file__).resolve().parents[2] / "taxonomy").taxonomy
    return sorted(e.id for e in tax.events)


def _schema_of(compiled, event_id: str) -> dict:
    return json.loads(compiled.files[f"jsonschema/{event_id}.json"])


@pytest.mark.parametrize("event_id", _event_ids())
def test_sql_payload_check_agrees_with_json_schema(parity, compiled, event_id):
    schema = _schema_of(compiled, event_id)
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    cases = parity[event_id]
    assert len(cases) >= 5
    problems = []
    for label, payload, expected, valid, sql_problem in cases:
        py_valid = validator.is_valid(payload)
        sql_valid = sql_problem is None
        if py_valid != valid:
            problems.append(f"{label}: jsonschema says valid={py_valid}, test expected {valid} ({payload})")
        if sql_valid != py_valid:
            problems.append(f"{label}: payload_problem={sql_problem!r} but jsonschema valid={py_valid} ({payload})")
        elif expected not in (None, "*") and sql_problem != expected:
            problems.append(f"{label}: payload_problem={sql_problem!r}, expected {expected!r}")
    assert problems == []


def test_event_types_hold_the_generated_json_schemas(db, compiled):
    stored = dict(db.execute("select id, payload_schema from analytics.event_types").fetchall())
    assert set(stored) == {e.id for e in compiled.taxonomy.events}
    for event_id, schema in stored.items():
        assert schema == _schema_of(compiled, event_id), event_id
        assert schema["examples"] == [dict(x) for x in next(
            e for e in compiled.taxonomy.events if e.id == event_id).examples]


def test_payload_problem_unknown_event(db):
    assert db.execute("select analytics_private.payload_problem('zz.nothing_here', '{}')").fetchone()[0] \
        == "unknown_event"
