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
PERSON_KEY = "jane_doe_dob_19800101_mrn_4471"


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
    # names the caller chooses are answered back but never stored: they can spell out a person
    "person_as_unknown_key": Bad(lambda ex: event(PL, {**ex[PL], PERSON_KEY: 1}), "unknown_property",
                                 PERSON_KEY, secret="jane_doe"),
    "person_as_unknown_event": Bad(lambda ex: event("practitioner." + PERSON_KEY, dict(ex[PL])),
                                   "unknown_event", secret="jane_doe"),
    "person_as_envelope_field": Bad(_env(PL, **{PERSON_KEY: "x"}), "unknown_envelope_field", PERSON_KEY,
                                    secret="jane_doe"),
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
def test_bad_event_is_rejected_between_two_good_ones(db, api, send, examples, compiled, case):
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
    # only names the taxonomy knows are kept: the event id, a property of that event; else a marker
    sent_event = item.get("event_id") if isinstance(item, dict) else None
    known = next((e for e in compiled.taxonomy.events if e.id == sent_event), None)
    # (an envelope problem is found before the event id is looked up: then it is the marker too)
    assert event_id in ({known.id, "<unknown>"} if known else {"<unknown>"})
    sent_field = rejected.get("field")
    if sent_field is None:
        assert field == ""
    else:
        assert field == (sent_field if known and known.property(sent_field) else "<unknown>")
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


def test_rejection_counters_are_purged_after_the_retention(db, compiled):
    """The daily pg_cron job deletes counters older than storage.rejections_retention (run here
    by executing its command, as pg_cron would); younger days stay."""
    retention = compiled.taxonomy.project.rejections_retention
    site = uuid.uuid4()
    today = db.execute("select (now() at time zone 'UTC')::date").fetchone()[0]
    cutoff = db.execute("select ((now() at time zone 'UTC') - %s::interval)::date", (retention,)).fetchone()[0]
    days = [cutoff - timedelta(days=400), cutoff - timedelta(days=1), cutoff, today]
    for day in days:
        db.execute("insert into analytics_private.rejections (day, site_id, event_id, reason, rejected)"
                   " values (%s, %s, '<unknown>', 'unknown_event', 1)", (day, site))
    [command] = db.execute(
        "select command from cron.job where jobname = 'analytics_purge_rejections'").fetchone()
    assert retention in command
    db.execute(command)
    kept = [r[0] for r in db.execute(
        "select day from analytics_private.rejections where site_id = %s order by day", (site,))]
    assert kept == [cutoff, today]


def test_migration_folds_stored_caller_names_into_the_marker(db, sql_files):
    """Counters written before only taxonomy names were kept are rewritten by the next migration:
    the names are gone, the counts stay."""
    site = uuid.uuid4()
    rows = [("practitioner.jane_doe_mrn_4471", "unknown_event", "", 2),
            ("<invalid>", "not_an_object", "", 1),
            (PL, "unknown_property", PERSON_KEY, 3),
            (PL, "unknown_property", "<invalid>", 1),
            (PL, "bad_enum", "visit_mode", 5)]
    for event_id, reason, field, n in rows:
        db.execute("insert into analytics_private.rejections (day, site_id, event_id, reason, field, rejected)"
                   " values (current_date, %s, %s, %s, %s, %s)", (site, event_id, reason, field, n))
    [ingest] = [p for p in sql_files.schemas if p.name == "50_ingest.sql"]
    db.execute(ingest.read_text(encoding="utf-8").encode())
    got = db.execute("select event_id, reason, field, rejected from analytics_private.rejections"
                     " where site_id = %s order by 1, 2, 3", (site,)).fetchall()
    assert got == sorted([("<unknown>", "not_an_object", "", 1), ("<unknown>", "unknown_event", "", 2),
                          (PL, "bad_enum", "visit_mode", 5), (PL, "unknown_property", "<unknown>", 4)])


# --------------------------------------------------------------------------- #
# 4b. Batch-level rejections
# --------------------------------------------------------------------------- #


def _no_site(site, sub):
    return {"sub": str(sub), "role": "authenticated", "aud": "authenticated",
            "app_metadata": {"tier": "practitioner"}}


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


def _set(path: str, value: Any):
    """Claims of a practitioner at the site, with the claim at ``path`` (dotted) replaced."""

    def make(site, sub):
        c = claims(site, "practitioner", sub)
        *parents, last = path.split(".")
        node = c
        for key in parents:
            node = node[key]
        node[last] = value
        return c

    return make


BATCH_LEVEL = {
    "no_site_claim": (_no_site, "missing_site"),
    "site_not_a_uuid": (_set("app_metadata.site_id", "site-42"), "missing_site"),
    "site_a_number": (_set("app_metadata.site_id", 42), "missing_site"),
    "site_an_object": (_set("app_metadata.site_id", {"id": "x"}), "missing_site"),
    "site_a_list": (_set("app_metadata.site_id", [str(uuid.uuid4())]), "missing_site"),
    "site_only_in_user_metadata": (_site_only_in_user_metadata, "missing_site"),
    "app_metadata_a_string": (_set("app_metadata", "site"), "missing_site"),
    "app_metadata_a_list": (_set("app_metadata", [{"site_id": str(uuid.uuid4())}]), "missing_site"),
    "claims_a_list": (lambda site, sub: [claims(site, "practitioner", sub)], "missing_site"),
    "claims_a_string": (lambda site, sub: "jwt", "missing_site"),
    "unknown_caller_tier": (_tier("platinum"), "unknown_caller_tier"),
    "system_is_not_a_caller_tier": (_tier("system"), "unknown_caller_tier"),
    "no_tier_claim": (_tier(None), "unknown_caller_tier"),
    "tier_a_number": (_tier(3), "unknown_caller_tier"),
    "tier_an_object": (_tier({"name": "practitioner"}), "unknown_caller_tier"),
    "tier_a_list": (_tier(["practitioner"]), "unknown_caller_tier"),
    "tier_only_in_user_metadata": (_tier_only_in_user_metadata, "unknown_caller_tier"),
    "no_sub": (_no_sub, "missing_actor"),
    # auth.uid() casts sub to uuid: any other sub raised SQLSTATE 22P02 and failed the call
    "sub_not_a_uuid": (_set("sub", "user-42"), "missing_actor"),
    "sub_empty": (_set("sub", ""), "missing_actor"),
    "sub_a_number": (_set("sub", 42), "missing_actor"),
    "sub_an_object": (_set("sub", {"id": str(uuid.uuid4())}), "missing_actor"),
    "sub_sql": (_set("sub", SQL_INJECTION), "missing_actor"),
    # no network claim is fine (the events count in no network view); a malformed one is refused
    "network_not_a_uuid": (_set("app_metadata.network_id", "net-42"), "bad_network_claim"),
    "network_a_number": (_set("app_metadata.network_id", 7), "bad_network_claim"),
    "network_an_object": (_set("app_metadata.network_id", {"id": str(uuid.uuid4())}), "bad_network_claim"),
}


@pytest.mark.parametrize("case", sorted(BATCH_LEVEL))
def test_batch_level_rejection(db, api, send, examples, case):
    """Every missing or malformed claim gives one rejection per event with the claim's reason
    (and a counter), never an error, and stores nothing."""
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
    if reason != "missing_site":  # the counter carries the site; without one it is counted under null
        assert db.execute(
            "select event_id, reason, field, rejected from analytics_private.rejections where site_id = %s",
            (site,),
        ).fetchall() == [("<unknown>", reason, "", 2)]


def test_claims_that_are_not_json_are_a_rejection_not_an_error(db, api, examples):
    """PostgREST always sets valid JSON, but nothing a request carries may fail the call."""
    with as_caller(api, "authenticated", None) as cur:
        cur.execute("select pg_catalog.set_config('request.jwt.claims', '{\"sub\": ', true)")
        result = cur.execute("select analytics.track_events(%s::jsonb)",
                             (json.dumps([event(PL, dict(examples[PL]))]),)).fetchone()[0]
    assert result == [{"index": 0, "status": "rejected", "reason": "missing_site"}]


def _batch_error(api, caller_claims, argument: str, *, role: str = "authenticated") -> psycopg.Error:
    with pytest.raises(psycopg.Error) as caught:
        with as_caller(api, role, caller_claims) as cur:
            cur.execute("select analytics.track_events(%s::jsonb)", (argument,))
    return caught.value


def test_batch_larger_than_max_batch_size_is_refused_whole(db, api, send, examples, compiled):
    """An over-limit batch is one documented error (SQLSTATE PT413: PostgREST answers HTTP 413,
    which clients do not retry), not one rejection per element; exactly the limit is accepted."""
    limit = compiled.taxonomy.project.max_batch_size
    site, sub = uuid.uuid4(), uuid.uuid4()
    batch = [event("system.screen_loaded", dict(examples["system.screen_loaded"])) for _ in range(limit + 1)]
    error = _batch_error(api, claims(site, "practitioner", sub), json.dumps(batch))
    assert error.sqlstate == "PT413"
    assert error.diag.message_primary == "batch_too_large"
    assert error.diag.message_detail == f"the batch has {limit + 1} events, the limit is {limit}"
    assert count_site_events(db, site) == 0
    assert db.execute("select count(*) from analytics_private.rejections where site_id = %s",
                      (site,)).fetchone()[0] == 0
    # exactly max_batch_size is fine
    result = send(api, claims(site, "practitioner", sub), batch[:limit])
    assert {r["status"] for r in result} == {"accepted"}
    assert count_site_events(db, site) == limit


def test_a_million_element_batch_is_refused_before_its_elements_are_read(db, api, compiled):
    """The length check comes first: no claims are needed to be refused, no element is looked at
    (each element here would be rejected by itself), nothing is counted. Its speed is not asserted."""
    limit = compiled.taxonomy.project.max_batch_size
    before = db.execute("select coalesce(sum(rejected), 0) from analytics_private.rejections").fetchone()[0]
    with pytest.raises(psycopg.Error) as caught:
        with as_caller(api, "authenticated", {"role": "authenticated"}) as cur:
            cur.execute("select analytics.track_events((select jsonb_agg(g) from generate_series(1, 1000000) as g))")
    error = caught.value
    assert (error.sqlstate, error.diag.message_primary) == ("PT413", "batch_too_large")
    assert error.diag.message_detail == f"the batch has 1000000 events, the limit is {limit}"
    assert db.execute("select coalesce(sum(rejected), 0) from analytics_private.rejections").fetchone()[0] == before


@pytest.mark.parametrize("argument", ['{"event_id": "x"}', '"events"', "42", "null", None])
def test_non_array_argument_is_a_batch_error(db, api, argument):
    site, sub = uuid.uuid4(), uuid.uuid4()
    error = _batch_error(api, claims(site, "practitioner", sub), argument)
    assert isinstance(error, errors.InvalidParameterValue)  # SQLSTATE 22023: HTTP 400 from PostgREST
    assert error.diag.message_primary == "batch_not_an_array"
    assert "expects a JSON array of events" in error.diag.message_detail


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


# --------------------------------------------------------------------------- #
# 5b. Parity for every type and format the compiler allows (not only those the
#     real taxonomy happens to use): a synthetic event with one property per
#     type, keyword and format, compiled by the real compiler, its SQL checks
#     applied in a scratch schema and compared with the JSON Schema validator.
# --------------------------------------------------------------------------- #

#: (valid values, invalid values) per string format the compiler allows. A format added to
#: generator.payload.SAFE_FORMATS without cases here fails test_parity_covers_every_type_and_format.
FORMAT_CASES: dict[str, tuple[list[str], list[str]]] = {
    "date": (
        ["2024-02-29", "1999-12-31", "0001-01-01", "9999-12-31"],
        ["2024-02-30", "2023-02-29", "2024-13-01", "2024-00-10", "2024-1-01", "24-01-01", "0000-01-01",
         "2024-01-01T00:00:00Z", " 2024-01-01", "2024/01/01", "20240101", "jane doe", ""],
    ),
    "date-time": (
        ["2024-02-29T23:59:59Z", "2024-01-01t00:00:00z", "2024-01-01T00:00:00.123456+05:30",
         "2024-01-01T00:00:00-23:59", "2024-01-01T00:00:00+16:00", "1999-12-31T12:00:00.5Z"],
        ["2024-01-01 00:00:00Z", "2024-01-01T24:00:00Z", "2024-01-01T23:59:60Z", "2024-02-30T00:00:00Z",
         "2024-01-01T00:00:00", "2024-01-01T00:00Z", "2024-01-01T00:00:00+24:00", "2024-01-01T00:00:00+0100",
         "0000-01-01T00:00:00Z", "2024-01-01", "2024-01-01T00:00:00.Z", "jane doe", ""],
    ),
    "uuid": (
        ["0b7c6f5e-3a2d-4c1b-9e8f-7a6b5c4d3e2f", "0B7C6F5E-3A2D-4C1B-9E8F-7A6B5C4D3E2F",
         "00000000-0000-0000-0000-000000000000"],
        ["0b7c6f5e3a2d4c1b9e8f7a6b5c4d3e2f", "{0b7c6f5e-3a2d-4c1b-9e8f-7a6b5c4d3e2f}",
         "urn:uuid:0b7c6f5e-3a2d-4c1b-9e8f-7a6b5c4d3e2f", "0b7c6f5e-3a2d-4c1b-9e8f-7a6b5c4d3e2g",
         "0b7c6f5e-3a2d-4c1b-9e8f-7a6b5c4d3e2", "jane doe", ""],
    ),
}

#: property name -> (definition, valid values, invalid values); every type and keyword of the
#: events schema, every allowed format, alone and as array items
_SCALARS: dict[str, tuple[dict, list, list]] = {
    "flag": ({"type": "boolean"}, [True, False], ["true", 0, 1, None, [], {}]),
    "whole": ({"type": "integer", "minimum": -5, "maximum": 5},
              [-5, 0, 5, 3.0, -0.0], [-6, 6, 1.5, True, "1", None, 1e300]),
    "whole_exclusive": ({"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 10},
                        [1, 9], [0, 10, -1]),
    "whole_step": ({"type": "integer", "minimum": 0, "maximum": 100, "multipleOf": 5},
                   [0, 5, 100], [3, 101, 7]),
    "amount": ({"type": "number", "minimum": 0, "maximum": 1.5},
               [0, 1.5, 0.25, 1, 1e-9], [-0.001, 1.5001, "0.5", None, True, 1e300]),
    "amount_exclusive": ({"type": "number", "exclusiveMinimum": -1, "exclusiveMaximum": 1},
                         [0, -0.999, 0.999], [-1, 1, 2]),
    "amount_step": ({"type": "number", "minimum": 0, "maximum": 10, "multipleOf": 0.5},
                    [0, 0.5, 9.5, 10], [0.25, 10.5]),
    "choice": ({"type": "string", "enum": ["alpha", "beta_2"]},
               ["alpha", "beta_2"], ["Alpha", "gamma", "", 1, None, ["alpha"]]),
    "code": ({"type": "string", "pattern": "^[a-z]{2}-[0-9]{3}$"},
             ["ab-123", "zz-000"], ["AB-123", "ab-1234", "ab123", "", 12]),
    "code_sized": ({"type": "string", "pattern": "^[a-z]+$", "minLength": 2, "maxLength": 4},
                   ["ab", "abcd"], ["a", "abcde", "AB"]),
}
for _format, (_good, _bad) in FORMAT_CASES.items():
    _SCALARS["format_" + _format.replace("-", "_")] = ({"type": "string", "format": _format}, _good, _bad + [7, None])

_ARRAYS: dict[str, tuple[dict, list, list]] = {}
for _name, (_definition, _good, _bad) in _SCALARS.items():
    _ARRAYS["list_of_" + _name] = (
        {"type": "array", "items": _definition, "minItems": 1, "maxItems": 3},
        [[v] for v in _good[:3]] + [_good[:3]],
        [[v] for v in _bad] + [[], (_good * 4)[:4], _good[0]],
    )
_ARRAYS["list_unique"] = ({"type": "array", "items": {"type": "string", "enum": ["x", "y", "z"]},
                           "maxItems": 3, "uniqueItems": True},
                          [[], ["x"], ["x", "y", "z"]], [["x", "x"], ["y", "z", "y"], ["w"]])
PARITY_PROPERTIES = {**_SCALARS, **_ARRAYS}


def _parity_taxonomy(root: Path) -> Path:
    import yaml

    props = {}
    for name, (definition, _good, _bad) in PARITY_PROPERTIES.items():
        props[name] = dict(definition, description=f"Parity check of {name}.", required=False)
    example = {name: good[0] for name, (_d, good, _b) in PARITY_PROPERTIES.items()}
    files = {
        "project.yaml": {"project": "parity", "description": "Every type and format the compiler allows.",
                         "schemas": {"public": "parity_pub", "private": "parity_priv"}},
        "tiers.yaml": {"tiers": [{"name": "consumer", "description": "The only caller tier here."}]},
        "events/consumer.yaml": {"tier": "consumer", "events": {"consumer.parity_checked": {
            "description": "Carries one property of every allowed shape.", "owner": "platform",
            "properties": props, "examples": [example]}}},
    }
    for rel, data in files.items():
        path = root / "taxonomy" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(data, sort_keys=True), encoding="utf-8")
    return root / "taxonomy"


@pytest.fixture(scope="module")
def parity_all(_shared_state, tmp_path_factory):
    """(compiled taxonomy, JSON Schema, [(property, value, sql problem)]) for every case."""
    from generator.compiler import compile_taxonomy

    result = compile_taxonomy(_parity_taxonomy(tmp_path_factory.mktemp("parity")))
    assert result.ok, "\n".join(str(d) for d in result.errors)
    schema = json.loads(result.files["jsonschema/consumer.parity_checked.json"])
    db = _shared_state.ensure()
    cases = [(name, value, valid) for name, (_d, good, bad) in PARITY_PROPERTIES.items()
             for valid, values in ((True, good), (False, bad)) for value in values]
    db.execute("create schema parity_priv")
    try:
        db.execute(result.files["supabase/schemas/40_payload_checks.sql"].encode())
        got = db.execute(
            "select t.n, parity_priv.payload_problem('consumer.parity_checked', t.p)"
            " from unnest(%s::jsonb[]) with ordinality as t (p, n) order by t.n",
            ([Jsonb({name: value}) for name, value, _ in cases],),
        ).fetchall()
    finally:
        db.execute("drop schema parity_priv cascade")
    return result, schema, [(*case, problem) for case, (_, problem) in zip(cases, got, strict=True)]


def test_parity_covers_every_type_and_format(parity_all):
    from generator.payload import SAFE_FORMATS
    from generator.validate import taxonomy_schema

    result, _, _ = parity_all
    [event] = result.taxonomy.events
    values = [p.value for p in event.properties]
    types = set(taxonomy_schema("events")["$defs"]["property"]["properties"]["type"]["enum"])
    assert {v.type for v in values} == types
    item_types = set(taxonomy_schema("events")["$defs"]["item"]["properties"]["type"]["enum"]) - {"array"}
    assert {v.items.type for v in values if v.type == "array"} == item_types  # arrays of arrays: E212
    assert set(FORMAT_CASES) == set(SAFE_FORMATS)
    assert {v.format for v in values if v.format} == set(SAFE_FORMATS)
    assert {v.items.format for v in values if v.type == "array" and v.items.format} == set(SAFE_FORMATS)
    keywords = {k for v in values for k, x in vars(v).items() if x not in (None, False)}
    keywords |= {k for v in values if v.items for k, x in vars(v.items).items() if x not in (None, False)}
    assert keywords >= {"type", "enum", "pattern", "format", "min_length", "max_length", "minimum", "maximum",
                        "exclusive_minimum", "exclusive_maximum", "multiple_of", "items", "min_items",
                        "max_items", "unique_items"}


def test_sql_payload_check_agrees_with_json_schema_for_every_type_and_format(parity_all):
    _, schema, results = parity_all
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    wrong = []
    assert len(results) > 300
    for name, value, expected_valid, problem in results:
        json_valid = validator.is_valid({name: value})
        if json_valid != expected_valid:
            wrong.append(f"{name}={value!r}: jsonschema valid={json_valid}, the case says {expected_valid}")
        if (problem is None) != json_valid:
            wrong.append(f"{name}={value!r}: payload_problem={problem!r}, jsonschema valid={json_valid}")
        elif problem is not None and not problem.endswith(":" + name):
            wrong.append(f"{name}={value!r}: payload_problem={problem!r} names another field")
    assert wrong == []
