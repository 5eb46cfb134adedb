"""Hypothesis strategies over the KPI YAML (generator/schemas/kpis.schema.json), for property tests.

``kpi_files()`` draws a whole taxonomy: the events of the base taxonomy
(tests/cases/ok_base) plus one ``kpis/*.yaml`` document over every KPI type and
option the schema has: event lists and wildcards, caller tiers, where filters,
dimensions, grains, refresh schedules (accepted, refused and misread ones), dashboard displays,
versions and deprecation, percentiles, funnel order/window/steps, retention
cohorts and periods, ratios and rolling windows over the other KPIs.

Most draws are coherent (fields that the selected events have, tiers that can
send them, ratio parts of one shape), so a clean compile is common; each choice
also has a small chance of a mistake (an unknown event, a field of other events,
a tier that cannot send them, a key of another type, a wrong-kind value), so a
positioned error is common too.

Import it from other tests (``from tests.strategies import kpi_files``) to check
more about the outcome, e.g. that a clean compile applies to a database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

BASE = Path(__file__).resolve().parent / "cases" / "ok_base" / "taxonomy"
#: the base taxonomy without its KPIs: relative path -> text
BASE_FILES = {p.relative_to(BASE).as_posix(): p.read_text(encoding="utf-8")
              for p in sorted(BASE.rglob("*.yaml")) if not p.relative_to(BASE).as_posix().startswith("kpis/")}
KPI_FILE = "kpis/generated.yaml"


class Group:
    """Events of the base taxonomy that share payload fields, and the callers that can send them."""

    def __init__(self, events: list[str], enums: dict[str, list], numbers: list[str], senders: list[str]):
        self.events, self.enums, self.numbers, self.senders = events, enums, numbers, senders


GROUPS = [
    Group(["practitioner.protocol_logged"], {"logging_mode": ["live", "after_session", "bulk_import"],
                                            "notes_attached": [True, False]},
          ["exercise_count"], ["practitioner", "clinic"]),
    Group(["practitioner.trial_started"], {}, ["trial_length_days"], ["practitioner", "clinic"]),
    Group(["consumer.feature_used"], {"feature": ["check_in", "goals"], "platform": ["web", "ios", "android"]}, [],
          ["consumer", "practitioner", "clinic"]),
    Group(["consumer.goal_completed"], {"goal_kind": ["mobility", "habit"]}, ["streak_days"],
          ["consumer", "practitioner", "clinic"]),
    Group(["clinic.protocol_shared"], {"share_scope": ["team", "site"]}, ["recipients_count"], ["clinic"]),
    Group(["system.api_request_completed"], {"endpoint_group": ["auth", "reports"]}, ["duration_ms"],
          ["consumer", "practitioner", "clinic"]),
    Group(["system.signup_completed"], {"auth_method": ["credentials", "magic_link"], "invited": [True, False]}, [],
          ["consumer", "practitioner", "clinic"]),
    Group(["consumer.*"], {}, [], ["consumer", "practitioner", "clinic"]),
    Group(["consumer.*", "practitioner.*"], {}, [], ["consumer", "practitioner", "clinic"]),
    Group(["practitioner.trial_started", "practitioner.protocol_logged"], {}, [], ["practitioner", "clinic"]),
    Group(["clinic.*", "system.*"], {}, [], ["consumer", "practitioner", "clinic"]),
]
TIERS = ["consumer", "practitioner", "clinic", "system"]
GOOD_SCHEDULES = ["* * * * *", "*/5 * * * *", "0 * * * *", "0 3 * * *", "0 9-17/2 * * Mon-Fri", "@hourly", "@daily"]
BAD_SCHEDULES = ["0 25 * * *", "90 seconds", "*/5 * * * * *", "@reboot", "30-10 * * * *", "* * * *", "1/5 * * * *"]
ROLLING_WINDOWS = ["1 day", "7 days", "28 days", "2 weeks"]
FUNNEL_WINDOWS = ["30 minutes", "3 hours", "1 day", "7 days", "14 days", "2 weeks", "1 month"]
#: a key of another KPI type, or of none (E318, E101)
STRAY_KEYS = {"tiers": ["consumer"], "by": ["tier"], "grain": "week", "window": "7 days", "order": "any",
              "periods": 4, "field": "duration_ms", "p": [0.5], "refresh": "@hourly", "kpi": "k0", "label": "x"}


def rarely(draw: st.DrawFn) -> bool:
    """True about one draw in eight: the moment to make a mistake."""
    return draw(st.integers(0, 7)) == 0


@st.composite
def selection(draw: st.DrawFn, group: Group, *, with_tiers: bool = True) -> dict[str, Any]:
    """events (+ tiers, where) for one group's events, rarely wrong."""
    events = list(group.events)
    if rarely(draw):
        events.append(draw(st.sampled_from(["consumer.no_such_event", "system.session_pinged", "nobody.*",
                                            "clinic.protocol_shared"])))
    out: dict[str, Any] = {"events": events}
    if with_tiers and draw(st.integers(0, 2)) == 0:
        pool = TIERS if rarely(draw) else group.senders
        out["tiers"] = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=2, unique=True))
    if group.enums and draw(st.integers(0, 2)) == 0:
        name = draw(st.sampled_from(sorted(group.enums)))
        values = group.enums[name] + (["no_such_value"] if rarely(draw) else [])
        out["where"] = {name: draw(st.sampled_from(values) | st.lists(st.sampled_from(values), min_size=1,
                                                                        max_size=2, unique=True))}
    return out


@st.composite
def dimensions(draw: st.DrawFn, group: Group) -> list[str]:
    pool = ["tier", "event", "site"] + sorted(group.enums) + (["exercise_count", "no_such_field"] if rarely(draw)
                                                                 else [])
    return draw(st.lists(st.sampled_from(pool), max_size=2, unique=True))


#: displays the KPI schema allows per type (generator/schemas/kpis.schema.json, plan/dashboard.py)
DISPLAYS = {"count": ["number_trend", "line", "bars"], "distinct_actors": ["number_trend", "line", "bars"],
            "ratio": ["number_trend", "line", "bars"], "rolling": ["number_trend", "line", "bars"],
            "funnel": ["funnel", "bars"], "retention": ["heatmap"], "percentile": ["percentile_band", "line"]}
ALL_DISPLAYS = sorted({d for ds in DISPLAYS.values() for d in ds} | {"pie"})


@st.composite
def common(draw: st.DrawFn, name: str, kind: str) -> dict[str, Any]:
    kpi: dict[str, Any] = {"name": name, "type": kind, "description": f"A generated {kind} KPI for tests."}
    if draw(st.booleans()):
        kpi["owner"] = "growth"
    if kind != "ratio" and draw(st.booleans()):
        kpi["refresh"] = draw(st.sampled_from(BAD_SCHEDULES if rarely(draw) else GOOD_SCHEDULES))
    if draw(st.integers(0, 3)) == 0:  # the dashboard's display: one the type can show, rarely one it cannot
        kpi["display"] = draw(st.sampled_from(ALL_DISPLAYS if rarely(draw) else DISPLAYS[kind]))
    return kpi


@st.composite
def counting_kpi(draw: st.DrawFn, name: str, *, grain: str | None = None, by: list[str] | None = None,
                 group: Group | None = None) -> dict[str, Any]:
    """count or distinct_actors; ``grain``/``by``/``group`` fixed when a ratio needs matching parts."""
    group = group or draw(st.sampled_from(GROUPS))
    kpi = draw(common(name, draw(st.sampled_from(["count", "distinct_actors"]))))
    kpi.update(draw(selection(group)))
    by = draw(dimensions(group)) if by is None else by
    if by:
        kpi["by"] = by
    grain = grain or draw(st.sampled_from(["day", "week", "month"]))
    if grain != "day" or draw(st.booleans()):
        kpi["grain"] = grain
    return kpi


@st.composite
def percentile_kpi(draw: st.DrawFn, name: str) -> dict[str, Any]:
    group = draw(st.sampled_from([g for g in GROUPS if g.numbers]))
    kpi = draw(common(name, "percentile"))
    kpi.update(draw(selection(group)))
    kpi["field"] = draw(st.sampled_from(group.numbers + (["logging_mode", "no_such_field"] if rarely(draw) else [])))
    kpi["p"] = draw(st.lists(st.sampled_from([0.5, 0.9, 0.95, 0.99]), min_size=1, max_size=3, unique=True))
    if draw(st.booleans()):
        kpi["by"] = draw(dimensions(group))
    if draw(st.booleans()):
        kpi["grain"] = draw(st.sampled_from(["day", "week", "month"]))
    return kpi


@st.composite
def funnel_kpi(draw: st.DrawFn, name: str) -> dict[str, Any]:
    kpi = draw(common(name, "funnel"))
    n = draw(st.sampled_from([1, 11]) if rarely(draw) else st.integers(2, 4))
    groups = [draw(st.sampled_from(GROUPS)) for _ in range(n)]
    names = [f"step_{i}" for i in range(n)]
    if n > 1 and rarely(draw):
        names[-1] = names[0]  # a step named twice (E305)
    kpi["steps"] = [dict(name=step, **draw(selection(g, with_tiers=False))) for step, g in zip(names, groups,
                                                                                                 strict=True)]
    kpi["window"] = draw(st.sampled_from(FUNNEL_WINDOWS))
    if draw(st.booleans()):
        kpi["order"] = draw(st.sampled_from(["ordered", "strict", "any"]))
    if draw(st.booleans()):
        kpi["by"] = draw(dimensions(groups[0]))
    return kpi


@st.composite
def retention_kpi(draw: st.DrawFn, name: str) -> dict[str, Any]:
    kpi = draw(common(name, "retention"))
    cohort_group, returning_group = draw(st.sampled_from(GROUPS)), draw(st.sampled_from(GROUPS))
    kpi["cohort"] = draw(selection(cohort_group, with_tiers=False))
    if draw(st.booleans()):
        kpi["cohort"]["grain"] = draw(st.sampled_from(["week", "month"]))
    kpi["returning"] = draw(selection(returning_group, with_tiers=False))
    kpi["periods"] = 60 if rarely(draw) else draw(st.integers(1, 52))
    if draw(st.integers(0, 2)) == 0:
        pool = TIERS if rarely(draw) else cohort_group.senders
        kpi["tiers"] = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=2, unique=True))
    return kpi


@st.composite
def ratio_family(draw: st.DrawFn, prefix: str) -> list[dict[str, Any]]:
    """Two counting KPIs of one shape (rarely not), a ratio of them, sometimes a rolling window and its ratio."""
    grain = draw(st.sampled_from(["day", "week", "month"]))
    group = draw(st.sampled_from(GROUPS))
    by = draw(dimensions(group))
    num = draw(counting_kpi(f"{prefix}_num", grain=grain, by=by, group=group))
    den_grain = draw(st.sampled_from(["day", "week", "month"])) if rarely(draw) else grain
    den_by = draw(dimensions(group)) if rarely(draw) else by
    den = draw(counting_kpi(f"{prefix}_den", grain=den_grain, by=den_by, group=group))
    ref = lambda name: draw(st.sampled_from([name, name + "@1"] + (["no_such_kpi"] if rarely(draw) else [])))  # noqa: E731
    ratio = draw(common(f"{prefix}_ratio", "ratio"))
    ratio.update(numerator={"kpi": ref(num["name"])}, denominator={"kpi": ref(den["name"])})
    family = [num, den, ratio]
    if grain == "day" and draw(st.booleans()):
        rolling = draw(common(f"{prefix}_rolling", "rolling"))
        rolling.update(kpi=ref(num["name"]), window=draw(st.sampled_from(ROLLING_WINDOWS + (
            ["3 hours", "1 month"] if rarely(draw) else []))))
        stickiness = draw(common(f"{prefix}_stickiness", "ratio"))
        stickiness.update(numerator={"kpi": num["name"]}, denominator={"kpi": rolling["name"]})
        family += [rolling, stickiness]
    return family


@st.composite
def kpi_list(draw: st.DrawFn) -> list[dict[str, Any]]:
    """One to three KPIs or families of every type, sometimes a new version or a stray key."""
    kpis: list[dict[str, Any]] = []
    for i in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["counting", "percentile", "funnel", "retention", "ratio"]))
        if kind == "ratio":
            kpis += draw(ratio_family(f"r{i}"))
        else:
            maker = {"counting": counting_kpi, "percentile": percentile_kpi, "funnel": funnel_kpi,
                     "retention": retention_kpi}[kind]
            kpis.append(draw(maker(f"k{i}")))
    if draw(st.integers(0, 3)) == 0:  # a new version of the first KPI, the old one deprecated (or not)
        first = kpis[0]
        newer = dict(first, version=draw(st.sampled_from([2, 2, 3, 1])),
                     description="A new version of a generated KPI for tests.")
        if draw(st.booleans()):
            first["status"] = "deprecated"
            first["deprecation"] = {"reason": "Replaced by a newer version in tests.",
                                    "replaced_by": draw(st.sampled_from([first["name"], first["name"] + "@1"]))
                                    if rarely(draw) else first["name"]}
        kpis.append(newer)
    if rarely(draw):  # a key that this type does not use (E318) or no type uses (E101)
        target = draw(st.sampled_from(kpis))
        key = draw(st.sampled_from(sorted(STRAY_KEYS)))
        target.setdefault(key, STRAY_KEYS[key])
    return kpis


def kpi_files() -> st.SearchStrategy[dict[str, str]]:
    """A whole taxonomy: the base files plus one drawn KPI file (relative path -> text)."""
    return kpi_list().map(lambda kpis: {**BASE_FILES, KPI_FILE: yaml.safe_dump({"kpis": kpis}, sort_keys=False)})
