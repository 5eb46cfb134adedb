"""Plan the KPI dashboard under frontend/src/lib/analytics/dashboard/.

One panel per active KPI, in the order of the KPI files and their entries (the order analysts
wrote them in, grouped by file), so a new KPI appears on the dashboard with no hand edit. Python
decides everything a panel needs and prints it as data (``panels.ts``); the custom elements
(``elements.ts``) and the SVG charts (``charts.ts``) are the same for every taxonomy.

- **display**: the KPI's ``display:`` or the default of its type (:data:`DEFAULT_DISPLAY`); the
  KPI schema allows per type only the displays that can show its columns, so a bad value is a
  structural error with its position (E104).
- **reads**: the exposed views of the catalog, never a private table: ``analytics.kpi_<name>``
  for the caller's own site and ``analytics.network_<name>`` for the network tier. Their columns
  come from the catalog too; the panel splits them into dimensions and values here.
- **read path** (:data:`READ_PATH`): the one switch between the refreshed views and the real-time
  read path (``kpi_<name>_live(from, to)``: the rollup plus the bounded tail not yet folded in).
  ``"live"`` uses a KPI's live function when the catalog has one and its view otherwise; ``"view"``
  always reads the views. Panels say when their data was refreshed through ``kpi_freshness()``
  when the catalog has it.
- **window**: how many periods back a panel reads, per grain (:data:`WINDOW`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..catalog import Catalog, Function, View
from ..model import Kpi, Taxonomy
from . import Artifact

ROOT = "frontend/src/lib/analytics/dashboard"

#: static modules of the dashboard: (file, template)
STATIC = (
    ("charts.ts", "dashboard/charts.ts.j2"),
    ("elements.ts", "dashboard/elements.ts.j2"),
    ("index.ts", "dashboard/index.ts.j2"),
    ("README.md", "dashboard/README.md.j2"),
)

#: the display of a KPI that does not say, per type (count and distinct_actors: bars with a breakdown)
DEFAULT_DISPLAY = {
    "count": "number_trend",
    "distinct_actors": "number_trend",
    "ratio": "number_trend",
    "rolling": "line",
    "funnel": "funnel",
    "retention": "heatmap",
    "percentile": "percentile_band",
}

#: periods a panel reads back from today, per grain (a retention panel: cohorts)
WINDOW = {"day": 30, "week": 12, "month": 12}

#: Where site panels read from, the one switch for the panels, the demo and the browser test:
#: "live": ``analytics.kpi_<name>_live(from, to)`` (rollup plus the bounded tail past the watermark:
#: fresh to the last commit) where the catalog has it, else the view; "view": ``analytics.kpi_<name>``,
#: the rollups as of the last refresh (the refresh jobs, or the demo's refresh loop).
READ_PATH = "live"
LIVE_SUFFIX = "_live"
#: the exposed function that says, per KPI, when it was last refreshed (used when the catalog has it)
FRESHNESS_FUNCTION = "kpi_freshness"

#: columns that are never shown: the site (a site reader sees only its own) and the suppression flag
#: (shown as "hidden" instead)
HIDDEN_COLUMNS = ("site_id", "suppressed")
PERIOD = "period"


@dataclass(frozen=True)
class Panel:
    kpi: str  # sql_name
    title: str
    description: str
    type: str
    display: str
    grain: str
    window: int  # periods back
    group: str  # the KPI file's stem: the section the panel is shown under
    site_view: str | None  # relation name in the exposed schema
    network_view: str | None
    site_live: str | None  # the real-time read function, when READ_PATH says so and the catalog has it
    dimensions: tuple[str, ...]  # key columns besides period (e.g. tier, step, period_number)
    values: tuple[str, ...]  # value columns, in view order
    primary: str  # the value a number or bar shows
    unit: str  # "count", "ratio" or the percentile field's unit ("ms")
    site_tiers: tuple[str, ...]
    network_tiers: tuple[str, ...]

    @property
    def literal(self) -> str:
        """The panel as a TypeScript object literal (JSON: keys and strings quoted once, here)."""
        return json.dumps({
            "kpi": self.kpi, "title": self.title, "description": self.description, "type": self.type,
            "display": self.display, "grain": self.grain, "window": self.window, "group": self.group,
            "siteRead": _read("rpc", self.site_live) if self.site_live else _read("view", self.site_view),
            "networkRead": _read("view", self.network_view), "dimensions": list(self.dimensions),
            "values": list(self.values), "primary": self.primary, "unit": self.unit,
            "siteTiers": list(self.site_tiers), "networkTiers": list(self.network_tiers),
        }, ensure_ascii=False)


def _read(kind: str, name: str | None) -> dict[str, str] | None:
    return {"kind": kind, "name": name} if name else None


def _live(kpi: Kpi, schema: str, functions: set[tuple[str, str]]) -> str | None:
    """The KPI's real-time read function when READ_PATH asks for it and the catalog has it."""
    name = f"kpi_{kpi.sql_name}{LIVE_SUFFIX}"
    return name if READ_PATH == "live" and (schema, name) in functions else None


def display_of(kpi: Kpi) -> str:
    """The KPI's own ``display:`` or its type's default (a breakdown shows as bars)."""
    if kpi.display:
        return kpi.display
    if kpi.type in ("count", "distinct_actors") and kpi.by:
        return "bars"
    return DEFAULT_DISPLAY[kpi.type]


def grain_of(kpi: Kpi, taxonomy: Taxonomy) -> str:
    """The grain of the view's ``period`` column."""
    if kpi.type == "retention":
        return kpi.cohort_grain
    if kpi.type == "rolling":
        return "day"
    if kpi.type == "ratio" and kpi.numerator:
        part = taxonomy.kpi(kpi.numerator)
        return grain_of(part, taxonomy) if part else "day"
    return kpi.grain


def _unit(kpi: Kpi) -> str:
    if kpi.type == "ratio":
        return "ratio"
    if kpi.type == "percentile" and kpi.field and kpi.field.endswith("_ms"):
        return "ms"
    return "count"


def _primary(kpi: Kpi, values: tuple[str, ...]) -> str:
    preferred = {"funnel": "actors", "retention": "rate"}.get(kpi.type, "value")
    if preferred in values:
        return preferred
    if kpi.type == "percentile":
        middle = [v for v in values if v.startswith("p")]
        return middle[len(middle) // 2] if middle else values[0]
    return values[0]


#: value columns by name: everything else besides period and HIDDEN_COLUMNS is a key (dimension)
VALUE_COLUMNS = frozenset({"value", "numerator", "denominator", "n", "actors", "conversion", "step_conversion",
                           "cohort_actors", "retained", "rate"})


def _split(view: View, kpi: Kpi) -> tuple[tuple[str, ...], tuple[str, ...]]:
    dims, values = [], []
    pcols = {f"p{round(p * 100):g}" for p in kpi.percentiles}
    for name, _type in view.columns:
        if name in HIDDEN_COLUMNS or name == PERIOD:
            continue
        (values if name in VALUE_COLUMNS or name in pcols or name.startswith("p") and name[1:].isdigit()
         else dims).append(name)
    return tuple(dims), tuple(values)


def panels(taxonomy: Taxonomy, catalog: Catalog, kpi_files: dict[str, str]) -> list[Panel]:
    """One panel per active KPI, ordered by KPI file, then as written in it."""
    views = {(v.schema, v.name): v for v in catalog.of(View)}
    functions = {(f.schema, f.name) for f in catalog.of(Function)}
    schema = taxonomy.project.public_schema
    out = []
    for kpi in taxonomy.kpis:
        if not kpi.active:
            continue
        site = views.get((schema, f"kpi_{kpi.sql_name}"))
        network = views.get((schema, f"network_{kpi.sql_name}"))
        shape = site or network
        if shape is None:
            continue
        dims, values = _split(shape, kpi)
        grain = grain_of(kpi, taxonomy)
        file = kpi_files.get(kpi.key, "kpis/other.yaml")
        out.append(Panel(
            kpi=kpi.sql_name, title=kpi.label.replace("_", " ").capitalize(), description=kpi.description,
            type=kpi.type, display=display_of(kpi), grain=grain, window=WINDOW[grain],
            group=file.rsplit("/", 1)[-1].removesuffix(".yaml"),
            site_view=site.name if site else None, network_view=network.name if network else None,
            site_live=_live(kpi, schema, functions) if site else None,
            dimensions=dims, values=values, primary=_primary(kpi, values), unit=_unit(kpi),
            site_tiers=taxonomy.site_reader_tiers(kpi.sql_name),
            network_tiers=taxonomy.network_reader_tiers))
    position = {kpi.key: (kpi_files.get(kpi.key, ""), kpi.span.line if kpi.span else 0) for kpi in taxonomy.kpis}
    keys = {k.sql_name: k.key for k in taxonomy.kpis}
    return sorted(out, key=lambda p: position[keys[p.kpi]])


def plan(taxonomy: Taxonomy, catalog: Catalog, kpi_files: dict[str, str]) -> list[Artifact]:
    found = panels(taxonomy, catalog, kpi_files)
    groups = []
    for p in found:
        if p.group not in groups:
            groups.append(p.group)
    context = {
        "project": taxonomy.project.name,
        "schema": taxonomy.project.public_schema,
        "read_path": READ_PATH,
        "freshness": FRESHNESS_FUNCTION if (taxonomy.project.public_schema, FRESHNESS_FUNCTION) in
        {(f.schema, f.name) for f in catalog.of(Function)} else None,
        "panels": found,
        "groups": groups,
        "displays": sorted(set(DEFAULT_DISPLAY.values()) | {"line", "bars"}),
        "defaults": sorted(DEFAULT_DISPLAY.items()),
        "window": sorted(WINDOW.items()),
    }
    out = [Artifact(f"{ROOT}/panels.ts", "dashboard/panels.ts.j2", context, kind="typescript")]
    out += [Artifact(f"{ROOT}/{file}", template, context, kind="markdown" if file.endswith(".md") else "typescript")
            for file, template in STATIC]
    return out
