"""The worked examples of generated/docs/kpis.md run on the real database: the documented events
go in (at a site of their own, with the documented actors, tiers, times and payloads), every KPI
is refreshed, and the documented cell comes out of the KPI's site-scoped view, read by a caller of
the first tier the page says may read it.
"""

from __future__ import annotations

import json
import re
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from dbutil import as_caller, claims, insert_events
from test_kpi_access import refresh_all

from generator.catalog import View

pytestmark = pytest.mark.db

KPIS_MD = Path(__file__).resolve().parents[2] / "generated" / "docs" / "kpis.md"


def documented_examples() -> list[dict]:
    out = []
    for section in re.split(r"^## ", KPIS_MD.read_text(encoding="utf-8"), flags=re.M)[1:]:
        if "Worked example" not in section:
            continue
        sql_name = re.search(r"^- SQL name: `([a-z0-9_]+)`$", section, re.M).group(1)
        readers = re.search(r"site-scoped rows for tiers ([a-z_, ]+);", section).group(1)
        example = section[section.index("Worked example"):]
        events = [dict(zip(("actor", "tier", "occurred_at", "event_id", "payload"),
                           [c.strip().strip("`") for c in line.split(" | ")], strict=True))
                  for line in (row[2:-2] for row in example.splitlines() if row.startswith("| ") and " | `" in row)]
        cells = []
        for line in re.findall(r"^- (`period` = .*)$", example, re.M):
            key_text, column, value = re.fullmatch(r"(.*): `([a-z0-9_]+)` = (\S+)", line).groups()
            cells.append({"key": dict(re.findall(r"`([a-z_]+)` = `([^`]*)`", key_text)), "column": column,
                          "value": Decimal(value)})
        out.append({"kpi": sql_name, "reader": readers.split(",")[0].strip(), "events": events, "cells": cells})
    return out


def test_the_worked_examples_come_out_as_documented(db, api, compiled, kpi_catalog):
    examples = documented_examples()
    # every KPI type documents one: the page and the SQL cannot drift apart unnoticed
    assert {e['kpi'] for e in examples} == {k.sql_name for k in compiled.taxonomy.kpis}
    site = {e["kpi"]: uuid.uuid4() for e in examples}
    actors: dict[tuple[str, str], str] = {}
    rows = []
    for example in examples:
        for event in example["events"]:
            actor = actors.setdefault((example["kpi"], event["actor"]), str(uuid.uuid4()))
            rows.append({"site": str(site[example["kpi"]]), "network": None, "actor": actor, "tier": event["tier"],
                         "event_id": event["event_id"], "occurred_at": event["occurred_at"],
                         "key": str(uuid.uuid4()), "payload": json.loads(event["payload"])})
    insert_events(db, rows)
    refresh_all(db, kpi_catalog)
    wrong = []
    for example in examples:
        view = next(v for v in compiled.catalog.of(View) if v.origin.entity == f"kpi:{example['kpi']}"
                    and any(name == "site_id" for name, _ in v.columns))
        jwt = claims(site[example["kpi"]], example["reader"], uuid.uuid4())
        with as_caller(api, "authenticated", jwt) as cur:
            cur.execute(f"select * from {view.schema}.{view.name}")
            names = [d.name for d in cur.description]
            found = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        for cell in example["cells"]:
            values = [r[cell["column"]] for r in found if all(str(r[k]) == v for k, v in cell["key"].items())]
            # the page prints fractions to four decimals
            if len(values) != 1 or values[0] is None or abs(Decimal(str(values[0])) - cell["value"]) > Decimal("0.00005"):
                wrong.append((example["kpi"], cell, values, found))
    assert wrong == []
