"""The worked examples of generated/docs/kpis.md run on the real database: the documented events
go in (at a site of their own, with the documented actors, tiers, times and payloads), every KPI
is refreshed, and the documented cell comes out of the KPI's site-scoped view, read by a caller of
the first tier the page says may read it.
"""

from __future__ import annotations

import json
import re
import uuid
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
        cell = re.search(r"^Resulting cell: (.*): `value` = (\d+)\.$", example, re.M)
        key = dict(re.findall(r"`([a-z_]+)` = `([^`]*)`", cell.group(1)))
        out.append({"kpi": sql_name, "reader": readers.split(",")[0].strip(), "events": events, "cell": key,
                    "value": int(cell.group(2))})
    return out


def test_the_worked_examples_come_out_as_documented(db, api, compiled, kpi_catalog):
    examples = documented_examples()
    assert len(examples) >= 10
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
        cells = [r["value"] for r in found if all(str(r[k]) == v for k, v in example["cell"].items())]
        if cells != [example["value"]]:
            wrong.append((example["kpi"], example["cell"], example["value"], found))
    assert wrong == []
