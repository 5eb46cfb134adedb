"""The generated TypeScript client under the real TypeScript compiler and Node's test runner.

- tsc --strict (plus exactOptionalPropertyTypes, noUncheckedIndexedAccess, ...) on the client alone;
- the type tests: every ``@ts-expect-error`` line fails with the TypeScript error it names;
- the deprecated event is struck through in editors (tsserver suggestion diagnostics 6385/6387);
- the runtime tests (clients/test/runtime.test.ts) on ``node --test``.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from generator.plan import PlanError
from generator.plan import typescript as plan_typescript

REPO = Path(__file__).resolve().parents[2]
CLIENTS = REPO / "clients"
TSC = "node_modules/typescript/bin/tsc"


def test_generated_client_passes_tsc_strict(node):
    config = json.loads((CLIENTS / "tsconfig.client.json").read_text())
    assert config["compilerOptions"]["strict"] is True and config["compilerOptions"]["noEmit"] is True
    run = node([TSC, "-p", "tsconfig.client.json"])
    assert run.returncode == 0, run.stdout[-4000:]


def test_tests_and_type_tests_compile(node):
    """tsc fails on an unused @ts-expect-error, so this proves every marked line is an error."""
    run = node([TSC, "-p", "tsconfig.json"])
    assert run.returncode == 0, run.stdout[-4000:]


def test_each_expected_type_error_is_the_one_named(node):
    run = node(["tools/diagnostics.mjs", "expect-errors", "test/types.check.ts"])
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    reasons = {e["why"] for e in report["expectations"]}
    for needed in ("wrong property name", "missing required property", "bad enum value", "unknown event id"):
        assert any(r.startswith(needed) for r in reasons), needed
    wrong = [e for e in report["expectations"] if e["got"] != [e["code"]]]
    assert wrong == []
    assert report["unexpected"] == [], "the accepted calls must compile"


def test_deprecated_event_is_flagged_in_editors(node):
    run = node(["tools/diagnostics.mjs", "deprecations", "test/deprecated.usage.ts"])
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    flagged = {s["line"] for s in report["suggestions"] if s["code"] in (6385, 6387)}
    assert set(report["marked"]) <= flagged, report
    text = (CLIENTS / "test" / "deprecated.usage.ts").read_text().splitlines()
    active = [i + 1 for i, line in enumerate(text) if "loginSucceeded" in line]
    assert active and not flagged & set(active), "the replacement is not struck through"
    assert "system.login_succeeded" in report["hoverDeprecated"], "the hover names the replacement"


def test_runtime_tests_pass(node, client_js):
    # --experimental-websocket: supabase-js wants a WebSocket class on Node 20 even when unused
    run = node(["--experimental-websocket", "--test", "--test-reporter=spec",
                str(client_js / "clients" / "test" / "runtime.test.js")],
               timeout=300)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    passed = re.search(r"ℹ pass (\d+)", run.stdout)
    failed = re.search(r"ℹ fail (\d+)", run.stdout)
    assert passed and failed, run.stdout[-2000:]
    assert int(failed.group(1)) == 0 and int(passed.group(1)) >= 15


def test_reason_codes_cover_the_database():
    """Every reason the SQL can return is in the client's ReasonCode type and README."""
    sql = (REPO / "templates" / "sql" / "bodies" / "track_events.sql.j2").read_text()
    found = set(re.findall(r"(?:v_reason|batch_reason) := '([a-z_]+)'", sql))
    found |= set(re.findall(r"then '([a-z_]+)'", sql))  # the set-based checks' CASE branches
    found -= {"accepted", "duplicate", "rejected"}  # statuses, printed by a CASE too; not reasons
    found |= set(re.findall(r"message = '([a-z_]+)'", sql))  # batch-level errors
    checks = (REPO / "generator" / "plan" / "payload_checks.py").read_text()
    found |= set(re.findall(r'", "([a-z_]+)", (?:field|p\.name)\)', checks))
    assert {"unknown_event", "batch_too_large", "bad_enum", "missing_property"} <= found, found
    codes = {code for code, _ in plan_typescript.DB_REASONS}
    assert found <= codes, found - codes
    readme = (REPO / "generated" / "frontend" / "src" / "lib" / "analytics" / "README.md").read_text()
    assert all(f"`{code}`" in readme for code in codes)


def test_two_properties_with_one_typescript_key_are_refused(compiled):
    tax = compiled.taxonomy
    event = next(e for e in tax.events if len(e.properties) >= 2)
    first, second = event.properties[:2]
    clash = (dataclasses.replace(first, name="dose_2"), dataclasses.replace(second, name="dose2"))
    broken = dataclasses.replace(event, properties=clash + event.properties[2:])
    events = tuple(broken if e.id == event.id else e for e in tax.events)
    with pytest.raises(PlanError) as err:
        plan_typescript.plan(dataclasses.replace(tax, events=events))
    assert err.value.code == "E217" and '"dose2"' in err.value.message


def test_client_has_no_runtime_dependencies():
    for path in sorted((REPO / "generated" / "frontend" / "src" / "lib" / "analytics").glob("*.ts")):
        imports = re.findall(r"^(?:import|export)[^'\"]*from '([^']+)'", path.read_text(), re.M)
        assert all(i.startswith("./") for i in imports), (path.name, imports)


def test_camel_case_names():
    assert plan_typescript.camel("protocol_category") == "protocolCategory"
    assert plan_typescript.pascal("practitioner.protocol_logged") == "PractitionerProtocolLogged"
    assert plan_typescript.ts_regex("^a/b[/]$") == "/^a\\/b[/]$/u"
    assert plan_typescript.doc_lines("ends */ here") == ("ends *\\/ here",)


def test_one_event_imported_alone_bundles_that_event_only(node, compiled):
    """Tree-shaking works: esbuild keeps one event's definition when only its function is imported."""
    run = node(["tools/size.mjs", "--json"])
    assert run.returncode == 0, run.stderr
    rows = {(r["name"].split(":")[0], r["minify"]): r for r in json.loads(run.stdout)}
    whole, alone = rows[("whole client", True)], rows[("one event alone", True)]
    assert len(whole["eventIds"]) == len(compiled.taxonomy.events)
    assert alone["eventIds"] == ['"practitioner.protocol_logged"']
    assert alone["gzip"] < whole["gzip"] / 2
    assert rows[("types only (events.ts)", True)]["bytes"] < 100, "the types cost nothing at run time"
