"""Docs: the generated Markdown pages under ``generated/docs/``, read from the model, the catalog and the lock.

Nothing here re-derives a SQL name: every object a page names is a catalog object
(found by its ``origin``, ``kpi:<sql_name>`` or ``event:<id>``), and ``since`` and
the migration history come from the lock the same generate writes.  The planner
builds small frozen view models, sorted, with every anchor and link already
computed (GitHub's heading-slug rules, :func:`slug`); the templates under
``templates/md/`` only loop and print.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..catalog import Catalog, CronJob, DbObject, Function, Index, MaterializedView, Policy, Table, View
from ..model import Event, Kpi, Selection, Taxonomy, ValueType
from . import Artifact
from .dashboard import Panel
from .examples import Example, payload_json, worked_example
from .kpi.common import LIVE_TAIL_CAP

DOCS_DIR = "docs"
ROLES = ("anon", "authenticated", "service_role")
PAGES = (
    ("events.md", "Event tracking schema", "which events exist per tier and what each payload carries"),
    ("kpis.md", "KPI definitions", "how each KPI is calculated, from which events, with worked examples"),
    ("views.md", "View schemas", "every exposed view and function in the API schema, who may read it, its refresh job"),
    ("indexes.md", "Index strategy", "each index and the query pattern it serves"),
    ("privacy.md", "RLS and privacy compliance", "how no PHI/PII can enter, and who can read what"),
    ("lineage.md", "Lineage and migration history", "events to database objects to read views; every migration"),
)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation other than ``-`` and ``_`` dropped, spaces to ``-``."""
    text = re.sub(r"`", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def cell(text: object) -> str:
    """A Markdown table cell: pipes escaped, newlines folded."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def code(text: object) -> str:
    return f"`{text}`" if text not in (None, "") else ""


# --------------------------------------------------------------------------- #
# Facts shared by several pages
# --------------------------------------------------------------------------- #


def _unquote(name: str) -> str:
    return name.replace('"', "")


def object_name(obj: DbObject) -> str:
    """How the docs print an object: its key without the kind (``analytics.kpi_x``, a function's signature)."""
    if isinstance(obj, Function):
        return _unquote(obj.signature)
    if isinstance(obj, CronJob):
        return obj.name.strip("'")
    if isinstance(obj, Policy):
        return f"{obj.schema}.{obj.table}.{obj.name}"
    return _unquote(obj.key.split(" ", 1)[1])


def grants_by_role(obj: DbObject) -> dict[str, str]:
    """role -> privilege granted ('select', 'execute', 'all' or '' for none)."""
    out = {role: "" for role in ROLES}
    for grant in getattr(obj, "grants", ()):
        for role in grant.roles:
            if role in out:
                out[role] = grant.privilege
    return out


def selection_events(kpi: Kpi) -> tuple[str, ...]:
    """Every event id the KPI's own selections read (a ratio or rolling KPI reads other KPIs instead)."""
    found: set[str] = set()
    for sel in (kpi.selection, kpi.cohort, kpi.returning, *[s.selection for s in kpi.steps]):
        if sel is not None:
            found.update(sel.events)
    return tuple(sorted(found))


def _since(catalog: Catalog, lock: dict, entity: str) -> str:
    entries = lock.get("catalog") or {}
    found = sorted(entries[o.key]["since"] for o in _by_entity(catalog).get(entity, ())
                   if o.key in entries and entries[o.key].get("since"))
    return found[0] if found else ""


def _by_entity(catalog: Catalog) -> dict[str, list]:
    """The catalog's objects by origin entity, made once per catalog (asked once per event and KPI)."""
    index = catalog.__dict__.get("_by_entity")
    if index is None:
        index = {}
        for o in catalog.objects:
            index.setdefault(o.origin.entity, []).append(o)
        catalog.__dict__["_by_entity"] = index
    return index


def value_type(value: ValueType) -> str:
    if value.type == "array" and value.items is not None:
        return f"array of {value_type(value.items)}"
    return value.type


def value_rule(value: ValueType) -> str:
    """Allowed values or bounds in words."""
    parts = []
    if value.enum:
        parts.append("one of " + ", ".join(code(v) for v in value.enum))
    if value.pattern:
        parts.append(f"matches {code(value.pattern)}")
    if value.format:
        parts.append(f"format {value.format}")
    for label, bound in (("≥", value.minimum), ("≤", value.maximum), (">", value.exclusive_minimum),
                         ("<", value.exclusive_maximum)):
        if bound is not None:
            parts.append(f"{label} {bound}")
    if value.multiple_of is not None:
        parts.append(f"multiple of {value.multiple_of}")
    if value.min_length is not None or value.max_length is not None:
        parts.append(f"length {value.min_length or 0}..{value.max_length if value.max_length is not None else '∞'}")
    if value.min_items is not None or value.max_items is not None:
        parts.append(f"{value.min_items or 0}..{value.max_items if value.max_items is not None else '∞'} items")
    if value.unique_items:
        parts.append("unique items")
    if value.items is not None:
        inner = value_rule(value.items)
        if inner:
            parts.append(f"items: {inner}")
    return "; ".join(parts)


# --------------------------------------------------------------------------- #
# events.md
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class PropertyRow:
    name: str
    type: str
    rule: str
    required: str
    description: str


@dataclass(frozen=True)
class EventDoc:
    id: str
    anchor: str
    description: str
    owner: str
    status: str
    version: str
    since: str
    replaced_by: str  # a Markdown link, or ""
    deprecation_reason: str
    properties: tuple[PropertyRow, ...]
    example: str
    kpis: tuple[str, ...]  # Markdown links into kpis.md


@dataclass(frozen=True)
class TierDoc:
    name: str
    anchor: str
    description: str
    active: int
    deprecated: int
    events: tuple[EventDoc, ...]


def kpi_link(kpi: Kpi, page: str = "kpis.md") -> str:
    return f"[{kpi.label}]({page}#{slug(kpi_heading(kpi))})"


def kpi_heading(kpi: Kpi) -> str:
    return kpi.label


def event_link(event_id: str, page: str = "events.md") -> str:
    return f"[{event_id}]({page}#{slug(event_id)})"


def tiers(taxonomy: Taxonomy, catalog: Catalog, lock: dict) -> tuple[TierDoc, ...]:
    readers: dict[str, list[Kpi]] = {}
    for kpi in taxonomy.kpis:
        for event_id in selection_events(kpi):
            readers.setdefault(event_id, []).append(kpi)
    out = []
    for tier in taxonomy.tiers:
        events = [e for e in taxonomy.events if e.tier == tier.name]
        docs = tuple(_event_doc(e, catalog, lock, readers.get(e.id, [])) for e in events)
        out.append(TierDoc(tier.name, slug(f"{tier.name} tier"), tier.description,
                           sum(e.active for e in events), sum(not e.active for e in events), docs))
    return tuple(out)


def _event_doc(event: Event, catalog: Catalog, lock: dict, readers: list[Kpi]) -> EventDoc:
    props = tuple(PropertyRow(p.name, value_type(p.value), cell(value_rule(p.value)), "yes" if p.required else "no",
                              cell(p.description)) for p in event.properties)
    return EventDoc(
        id=event.id, anchor=slug(event.id), description=event.description, owner=event.owner, status=event.status,
        version=event.version, since=_since(catalog, lock, f"event:{event.id}"),
        replaced_by=event_link(event.replaced_by) if event.replaced_by else "",
        deprecation_reason=event.deprecation_reason or "", properties=props,
        example=payload_json(event.examples[0]) if event.examples else "{}",
        kpis=tuple(kpi_link(k) for k in sorted(readers, key=lambda k: k.key)))


# --------------------------------------------------------------------------- #
# kpis.md
# --------------------------------------------------------------------------- #

SEMANTICS = {
    "count": "Counts the matching events per cell (site, period and dimensions).",
    "distinct_actors": "Counts the distinct actors (keyed hashes) with at least one matching event per cell.",
    "percentile": "Exact discrete percentiles (PostgreSQL `percentile_disc`: the smallest measured value whose "
                  "cumulative share reaches p) of the field's values per cell, over every value kept per event; "
                  "`n` is the number of values.",
    "rolling": "Per day, the base KPI over the window ending that day (that day included): distinct actors for a "
               "distinct-actors base (counted from its facts, not a sum of daily counts), the sum for a count "
               "base. Its refresh brings the base up to date first, in the same transaction.",
    "ratio": "The numerator KPI divided by the denominator KPI cell by cell at read time (the numerator's "
             "cells); nothing is stored.",
    "funnel": "Per actor and site, an attempt starts at a step-1 event and the later steps must follow within "
              "the window, as the order says. Cells are (site, period of the step-1 event, its dimensions, step); "
              "`conversion` is relative to step 1, `step_conversion` to the step before.",
    "retention": "An actor's cohort is the period of its first cohort event; period n counts the cohort's actors "
                 "with a returning event n periods later. Period 0 is the cohort period itself.",
}
ORDERS = {
    "ordered": "the later steps in order, other events may come between them",
    "strict": "the later steps as the very next funnel events",
    "any": "the later steps in any order",
}


@dataclass(frozen=True)
class KpiDoc:
    label: str
    anchor: str
    sql_name: str
    description: str
    type: str
    version: int
    status: str
    replaced_by: str
    settings: tuple[tuple[str, str], ...]  # (name, value in words)
    semantics: str
    suppression: str
    events: tuple[str, ...]  # links
    fields: tuple[str, ...]
    inputs: tuple[str, ...]  # links to other KPIs
    objects: tuple[tuple[str, str], ...]  # (kind, name)
    refresh: str
    freshness: str
    jobs: tuple[str, ...]
    site_readers: str
    network_readers: str
    since: str
    example: Example | None


def _selection_words(sel: Selection | None) -> list[tuple[str, str]]:
    if sel is None:
        return []
    out = [("events", ", ".join(code(p) for p in sel.patterns))]
    if sel.tiers:
        out.append(("actor tiers", ", ".join(sel.tiers)))
    for name, values in sel.where:
        out.append((f"filter {name}", "in " + ", ".join(code(payload_json(v)) for v in values)))
    return out


def _settings(kpi: Kpi, taxonomy: Taxonomy) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = [("type", kpi.type), ("version", str(kpi.version))]
    out += _selection_words(kpi.selection)
    if kpi.by:
        out.append(("dimensions", ", ".join(code(b) for b in kpi.by)))
    out.append(("grain", kpi.grain))
    if kpi.window:
        out.append(("window", kpi.window))
    if kpi.type == "funnel":
        out.append(("order", f"{kpi.order} ({ORDERS.get(kpi.order, kpi.order)})"))
        for number, step in enumerate(kpi.steps, 1):
            out.append((f"step {number} {step.name}", ", ".join(code(p) for p in step.selection.patterns)))
    if kpi.type == "retention":
        out.append(("cohort", ", ".join(code(p) for p in kpi.cohort.patterns) if kpi.cohort else ""))
        out.append(("cohort grain", kpi.cohort_grain))
        out.append(("returning", ", ".join(code(p) for p in kpi.returning.patterns) if kpi.returning else ""))
        out.append(("periods", f"{kpi.periods} (period 0 is the cohort period)"))
    if kpi.type == "percentile":
        out.append(("field", code(kpi.field)))
        out.append(("percentiles", ", ".join(str(p) for p in kpi.percentiles)))
    for label, ref in (("numerator", kpi.numerator), ("denominator", kpi.denominator), ("base", kpi.base)):
        target = taxonomy.kpi(ref) if ref else None
        if target is not None:
            out.append((label, kpi_link(target, "")))
    if kpi.owner:
        out.append(("owner", kpi.owner))
    return tuple((name, cell(value)) for name, value in out)


def _fields(kpi: Kpi) -> tuple[str, ...]:
    names = set(kpi.by) | ({kpi.field} if kpi.field else set())
    for sel in (kpi.selection, kpi.cohort, kpi.returning, *[s.selection for s in kpi.steps]):
        if sel is not None:
            names.update(name for name, _ in sel.where)
    return tuple(code(name) for name in sorted(names - {"tier"}))


#: KPI types whose real-time read (``kpi_<name>_live``) adds the events not yet refreshed
LIVE_EXACT = ("count", "distinct_actors", "percentile")


def _live_exact(kpi: Kpi, taxonomy: Taxonomy) -> bool:
    if kpi.type == "ratio":
        return all(_live_exact(taxonomy.kpi(n), taxonomy) for n in (kpi.numerator, kpi.denominator))
    return kpi.type in LIVE_EXACT and kpi.storage != "materialized_view"


def _freshness(kpi: Kpi, taxonomy: Taxonomy, jobs: list[CronJob]) -> str:
    if _live_exact(kpi, taxonomy):
        live = ("`kpi_" + kpi.sql_name + "_live(from, to)` counts every committed event (the rollup plus the "
                "events its refresh has not folded in yet; its `as_of` column says as of when)")
    else:
        live = ("`kpi_" + kpi.sql_name + "_live(from, to)` returns the refreshed cells with `as_of`, the time of "
                "the last refresh (a " + kpi.type + " KPI has no real-time tail" +
                ("" if kpi.type != "ratio" else ": one of its inputs is a rolling window") + ")")
    if jobs:
        return ("the view and `_between` are at most one refresh interval behind the event store (plus the "
                "refresh's own run time); " + live)
    return "computed when read from its input KPIs, so as fresh as they are; " + live


def kpi_docs(taxonomy: Taxonomy, catalog: Catalog, lock: dict) -> tuple[KpiDoc, ...]:
    k = taxonomy.project.k_anonymity
    out = []
    by_entity: dict[str, list] = {}  # grouped once: a scan of the catalog per KPI grew as KPIs squared
    for o in catalog.objects:
        by_entity.setdefault(o.origin.entity, []).append(o)
    for kpi in taxonomy.kpis:
        entity = f"kpi:{kpi.sql_name}"
        mine = by_entity.get(entity, [])
        jobs = [o for o in mine if isinstance(o, CronJob)]
        replaced = taxonomy.kpi(kpi.replaced_by) if kpi.replaced_by else None
        inputs = [taxonomy.kpi(n) for n in kpi.depends_on]
        out.append(KpiDoc(
            label=kpi.label, anchor=slug(kpi_heading(kpi)), sql_name=kpi.sql_name, description=kpi.description,
            type=kpi.type, version=kpi.version, status=kpi.status,
            replaced_by=kpi_link(replaced, "") if replaced else "",
            settings=_settings(kpi, taxonomy), semantics=SEMANTICS.get(kpi.type, ""),
            suppression=(f"Network views drop every cell with fewer than {k} distinct sites or fewer than {k} "
                         "distinct actors, and suppress further cells so that no dropped cell can be recovered "
                         "by subtraction. Site-scoped reads are not suppressed: a caller sees only its own site."),
            events=tuple(event_link(e) for e in selection_events(kpi)), fields=_fields(kpi),
            inputs=tuple(kpi_link(i, "") for i in inputs if i is not None),
            objects=tuple((o.kind, object_name(o)) for o in mine if not isinstance(o, Policy)),
            refresh=" ; ".join(j.schedule.strip("'") for j in jobs) or "none (computed from its inputs)",
            freshness=_freshness(kpi, taxonomy, jobs), jobs=tuple(object_name(j) for j in jobs),
            site_readers=", ".join(taxonomy.site_reader_tiers(kpi.sql_name)) or "none",
            network_readers=", ".join(taxonomy.network_reader_tiers) or "none",
            since=_since(catalog, lock, entity), example=worked_example(kpi, taxonomy)))
    return tuple(out)


# --------------------------------------------------------------------------- #
# views.md and the access matrix
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class ExposedDoc:
    kind: str
    name: str
    anchor: str
    comment: str
    columns: tuple[tuple[str, str], ...]
    arguments: str
    roles: str
    tiers: str
    scope: str
    behind: tuple[tuple[str, str], ...]  # (table, unique key)
    jobs: tuple[tuple[str, str], ...]  # (job, schedule)
    kpi: str


def _returns_columns(returns: str) -> tuple[tuple[str, str], ...]:
    """A function's ``table (a t, b u)`` return type as columns; a scalar return is one unnamed column."""
    match = re.fullmatch(r"(?:setof\s+)?table\s*\((.*)\)", returns.strip(), re.S)
    if not match:
        return (("(result)", returns),)
    out = []
    for part in match.group(1).split(","):
        name, _, typ = part.strip().partition(" ")
        out.append((_unquote(name), typ.strip()))
    return tuple(out)


def _unique_key(table: Table) -> str:
    keys = [c for c in table.constraints if "primary key" in c or "unique" in c]
    return "; ".join(re.sub(r"^constraint \S+ ", "", c) for c in keys) or "none"


def _comment(literal: str | None) -> str:
    if not literal:
        return ""
    text = literal
    if text.startswith("'") and text.endswith("'"):
        text = text[1:-1].replace("''", "'")
    return cell(text)


def exposed(taxonomy: Taxonomy, catalog: Catalog) -> tuple[ExposedDoc, ...]:
    public = taxonomy.project.public_schema
    k = taxonomy.project.k_anonymity
    # each exposed object lists its KPI's tables and jobs: grouped once, in catalog order, rather than
    # every table and job tried against every object
    tables_of: dict[str, list[Table]] = {}
    for t in catalog.of(Table):
        tables_of.setdefault(t.origin.entity, []).append(t)
    jobs_of: dict[str, list[CronJob]] = {}
    for j in catalog.of(CronJob):
        jobs_of.setdefault(j.origin.entity, []).append(j)
    out = []
    for obj in catalog.objects:
        if not isinstance(obj, View | Function) or obj.schema != public:
            continue
        entity = obj.origin.entity
        kpi = taxonomy.kpi(entity.split(":", 1)[1]) if entity.startswith("kpi:") else None
        roles = ", ".join(r for r, p in grants_by_role(obj).items() if p) or "none"
        if isinstance(obj, View):
            columns, arguments = tuple((_unquote(n), t) for n, t in obj.columns), ""
        else:
            columns = _returns_columns(obj.returns)
            arguments = ", ".join(f"{_unquote(a.name)} {a.type}" for a in obj.args)
        network = isinstance(obj, View) and kpi is not None and not any(n == "site_id" for n, _ in columns)
        if kpi is None:
            tiers, scope = "any", "not scoped by site"
        elif network:
            tiers = ", ".join(taxonomy.network_reader_tiers) or "none"
            scope = (f"the caller's network (claim {taxonomy.project.claims.network_id}), no site column; "
                     f"cells with fewer than {k} sites or actors suppressed")
        else:
            tiers = ", ".join(taxonomy.site_reader_tiers(kpi.sql_name)) or "none"
            scope = f"the caller's own site only (claim {taxonomy.project.claims.site_id})"
        behind = tuple((t.qualified, _unique_key(t)) for t in (tables_of.get(entity, ()) if kpi is not None else ()))
        jobs = tuple((object_name(j), j.schedule.strip("'")) for j in (jobs_of.get(entity, ()) if kpi is not None else ()))
        name = object_name(obj)
        out.append(ExposedDoc(obj.kind, name, slug(name), _comment(obj.comment), columns, arguments, roles, tiers,
                              scope, behind, jobs, kpi_link(kpi) if kpi else ""))
    return tuple(sorted(out, key=lambda d: d.name))


@dataclass(frozen=True)
class AccessRow:
    kind: str
    name: str
    privilege: str  # what is checked: select or execute
    cells: tuple[str, ...]  # per role in ROLES: "yes" / "no"
    tiers: str


@dataclass(frozen=True)
class JobDoc:
    name: str
    schedule: str
    purpose: str  # the KPI it refreshes (a link) or its comment


def jobs(taxonomy: Taxonomy, catalog: Catalog) -> tuple[JobDoc, ...]:
    """Every pg_cron job the generated SQL schedules: KPI refreshes and maintenance."""
    out = []
    for job in catalog.of(CronJob):
        entity = job.origin.entity
        kpi = taxonomy.kpi(entity.split(":", 1)[1]) if entity.startswith("kpi:") else None
        purpose = f"refreshes {kpi_link(kpi)}" if kpi else cell(job.comment or "maintenance")
        out.append(JobDoc(object_name(job), job.schedule.strip("'"), purpose))
    return tuple(sorted(out, key=lambda j: j.name))


def access_matrix(taxonomy: Taxonomy, catalog: Catalog,
                  public: tuple[ExposedDoc, ...] | None = None) -> tuple[AccessRow, ...]:
    """Per table, view and function: may anon, authenticated and service_role select or execute it.
    ``public``: ``exposed(taxonomy, catalog)`` when the caller has it already."""
    docs = {d.name: d for d in (exposed(taxonomy, catalog) if public is None else public)}
    out = []
    for obj in catalog.objects:
        if not isinstance(obj, Table | View | Function):
            continue
        privilege = "execute" if isinstance(obj, Function) else "select"
        by_role = grants_by_role(obj)
        cells = tuple("yes" if by_role[r] in (privilege, "all") else "no" for r in ROLES)
        name = object_name(obj)
        tiers = docs[name].tiers if name in docs else ("any" if any(c == "yes" for c in cells[:2]) else "")
        out.append(AccessRow(obj.kind, name, privilege, cells, tiers))
    return tuple(sorted(out, key=lambda r: (r.kind, r.name)))


# --------------------------------------------------------------------------- #
# indexes.md
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class IndexDoc:
    name: str
    table: str
    columns: str
    unique: str
    pattern: str
    plan: str


def _pattern(index: Index) -> tuple[str, str]:
    cols = [c.strip().strip('"') for c in index.columns.strip("()").split(",")]
    if cols[0] == "ingest_xid":
        return "watermark scan", "the refresh reads rows newer than the KPI's xid8 watermark (index range scan)"
    if cols[0] == "network_id":
        return "network cells", "network views group a network's rows per period (index scan on network, period)"
    if cols[0] == "site_id":
        return "site + time range", "site-scoped reads and refreshes filter one site over a period range"
    if cols[0] == "event_id":
        return "event + time range", "KPI refreshes and partition maintenance select one event type over time"
    if index.unique:
        return "idempotency / upsert", "the unique key an insert ... on conflict checks"
    if cols[0] == "occurred_at":
        return "time range", "the purge and retention jobs delete rows older than a bound"
    return "lookup", f"equality lookups on {', '.join(cols)}"


def indexes(catalog: Catalog) -> tuple[IndexDoc, ...]:
    out = []
    for index in catalog.of(Index):
        pattern, plan = _pattern(index)
        columns = index.columns + (f" where {index.where}" if index.where else "")
        out.append(IndexDoc(object_name(index), _unquote(index.table), cell(columns), "yes" if index.unique else "no",
                            pattern, plan))
    return tuple(sorted(out, key=lambda d: d.name))


# --------------------------------------------------------------------------- #
# lineage.md
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class Diagram:
    family: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class MigrationDoc:
    name: str
    summary: str
    sha256: str
    added: int


def _node(prefix: str, name: str) -> str:
    return prefix + re.sub(r"[^A-Za-z0-9_]", "_", name)


def diagrams(taxonomy: Taxonomy, catalog: Catalog, panels: tuple[Panel, ...] = ()) -> tuple[Diagram, ...]:
    """One Mermaid flowchart per KPI type: event -> store -> caches -> read views -> dashboard panel.

    The panel nodes are the generated dashboard's (``plan/dashboard.py``): its title and display,
    fed by the reads it really makes (the real-time function or the site view, and the network view).
    A KPI without a panel (deprecated) ends at its views."""
    public, private = taxonomy.project.public_schema, taxonomy.project.private_schema
    store = f"{private}.events"
    by_kpi = {p.kpi: p for p in panels}
    caches = catalog.of(Table) + catalog.of(MaterializedView)
    out = []
    for family in sorted({k.type for k in taxonomy.kpis}):
        lines = ["flowchart LR", f'  store[("{store}")]']
        edges: list[str] = []
        events: set[str] = set()
        for kpi in (k for k in taxonomy.kpis if k.type == family):
            entity = f"kpi:{kpi.sql_name}"
            tables = [t for t in caches if t.origin.entity == entity]
            views = [v for v in catalog.of(View) if v.origin.entity == entity and v.schema == public]
            for event_id in selection_events(kpi):
                events.add(event_id)
            panel = by_kpi.get(kpi.sql_name)
            node = _node("panel_", kpi.sql_name)
            if panel is not None:
                lines.append(f'  {node}[/"dashboard: {panel.title} ({panel.display})"/]')
            # the exposed objects the panel reads (its live function is added below)
            reads = {f"{public}.{name}" for name in
                     ((panel.network_view, None if panel.site_live else panel.site_view) if panel else ()) if name}
            sources = []
            for dep in kpi.depends_on:
                for t in caches:
                    if t.origin.entity == f"kpi:{dep}":
                        sources.append(_node("t_", t.qualified))
                        lines.append(f'  {_node("t_", t.qualified)}[("{t.qualified}")]')
                        break
            for t in tables:
                lines.append(f'  {_node("t_", t.qualified)}[("{t.qualified}")]')
                edges.append(f"  store --> {_node('t_', t.qualified)}" if not kpi.depends_on else "")
                edges.extend(f"  {s} --> {_node('t_', t.qualified)}" for s in sources)
            feeding = [object_name(v) for v in views]
            if panel is not None and panel.site_live:
                live = f"{public}.{panel.site_live}()"
                feeding.append(live)
                reads.add(live)
                edges.append(f"  store --> {_node('v_', live)}")  # the live read adds the unrefreshed tail
            for vname in feeding:
                lines.append(f'  {_node("v_", vname)}["{vname}"]')
                edges.extend(f"  {_node('t_', t.qualified)} --> {_node('v_', vname)}" for t in tables)
                if not tables:
                    edges.extend(f"  {s} --> {_node('v_', vname)}" for s in sources)
                if vname in reads:
                    edges.append(f"  {_node('v_', vname)} --> {node}")
        for event_id in sorted(events):
            lines.append(f'  {_node("e_", event_id)}["{event_id}"] --> store')
        body = list(dict.fromkeys(line for line in lines + edges if line))
        out.append(Diagram(family, tuple(body)))
    return tuple(out)


def migrations(lock: dict) -> tuple[MigrationDoc, ...]:
    since = [e.get("since") for e in (lock.get("catalog") or {}).values()]
    out = [MigrationDoc(name, cell(entry.get("summary", "")), entry.get("sha256", "")[:12], since.count(name))
           for name, entry in (lock.get("migrations") or {}).items()]
    return tuple(sorted(out, key=lambda m: m.name, reverse=True))


# --------------------------------------------------------------------------- #
# The pages
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class HandPage:
    title: str
    link: str  # relative to generated/docs/


def plan(taxonomy: Taxonomy, catalog: Catalog, lock: dict,
         hand_pages: tuple[HandPage, ...] = (), panels: tuple[Panel, ...] = ()) -> list[Artifact]:
    """The docs pages; ``lock`` is the lock this generate writes (``since`` and the migration history)."""
    project = taxonomy.project
    kpis = kpi_docs(taxonomy, catalog, lock)
    public = exposed(taxonomy, catalog)
    exemptions = tuple((e.id, p.name, cell(p.pii_exempt.reason), p.pii_exempt.reviewed_by)
                       for e in taxonomy.events for p in e.properties if p.pii_exempt is not None)
    common = {"project": project.name, "public": project.public_schema, "private": project.private_schema}
    pages = {
        "index.md": ("md/index.md.j2", {"pages": [(f, t, s) for f, t, s in PAGES], "hand_pages": hand_pages,
                                        "description": project.description,
                                        "counts": (len(taxonomy.events), len(taxonomy.kpis),
                                                   len(catalog.objects), len(lock.get("migrations") or {}))}),
        "events.md": ("md/events.md.j2", {"tiers": tiers(taxonomy, catalog, lock)}),
        "kpis.md": ("md/kpis.md.j2", {"kpis": kpis}),
        "views.md": ("md/views.md.j2", {"objects": public, "jobs": jobs(taxonomy, catalog),
                                        "live_cap": f"{LIVE_TAIL_CAP:,}"}),
        "indexes.md": ("md/indexes.md.j2", {"indexes": indexes(catalog)}),
        "privacy.md": ("md/privacy.md.j2", {
            "deny": project.pii_deny, "exemptions": exemptions, "k": project.k_anonymity,
            "claims": project.claims, "roles": ROLES, "matrix": access_matrix(taxonomy, catalog, public),
            "network_tiers": ", ".join(taxonomy.network_reader_tiers) or "none",
            "site_tiers": ", ".join(taxonomy.project_site_reader_tiers) or "none",
            "max_payload_bytes": project.max_payload_bytes,
            "policies": tuple(sorted((f"{p.schema}.{p.table}", p.name, ", ".join(p.roles), p.command)
                                     for p in catalog.of(Policy)))}),
        "lineage.md": ("md/lineage.md.j2", {"diagrams": diagrams(taxonomy, catalog, panels), "migrations": migrations(lock)}),
    }
    return [Artifact(f"{DOCS_DIR}/{path}", template, common | context, kind="markdown")
            for path, (template, context) in sorted(pages.items())]
