"""Model stage: turn structurally valid YAML data into the frozen dataclasses of ``model``.

Entities whose YAML had a structural error are left out (the error is already
reported), so later checks never trip over half-formed input; their names are
still recorded so a KPI that mentions them is not reported a second time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .diagnostics import Diagnostic, Span
from .load import Document
from .model import Claims, Event, Exemption, FunnelStep, Kpi, Project, Property, Selection, Taxonomy, Tier, ValueType
from .validate import StructureReport, schema_kind


@dataclass
class Built:
    """What the model stage produced: the taxonomy plus where each entity came from."""

    taxonomy: Taxonomy | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    #: event ids declared anywhere, even when their definition was broken
    declared_events: set[str] = field(default_factory=set)
    declared_kpis: set[str] = field(default_factory=set)
    #: how many entries the kpis files list: every one must reach the plan, or an error must say why
    declared_kpi_entries: int = 0
    #: display file -> its document, for positions inside an entity (an event's examples)
    docs: dict[str, Document] = field(default_factory=dict)
    #: ``name@version`` -> where the KPI entry is (its first definition when duplicated)
    kpi_docs: dict[str, tuple[Document, tuple]] = field(default_factory=dict)
    #: file -> tier name declared at its top
    file_tiers: dict[str, tuple[str, Span]] = field(default_factory=dict)
    project_doc: Document | None = None
    #: events built without some broken properties: their examples are not checked yet
    partial_events: set[str] = field(default_factory=set)
    #: tiers whose events file could not be parsed: references to their events are not reported again
    unreadable_tiers: set[str] = field(default_factory=set)


def value_type(raw: dict[str, Any]) -> ValueType:
    items = raw.get("items")
    return ValueType(
        type=raw["type"],
        enum=tuple(raw["enum"]) if "enum" in raw else None,
        pattern=raw.get("pattern"),
        format=raw.get("format"),
        min_length=raw.get("minLength"),
        max_length=raw.get("maxLength"),
        minimum=raw.get("minimum"),
        maximum=raw.get("maximum"),
        exclusive_minimum=raw.get("exclusiveMinimum"),
        exclusive_maximum=raw.get("exclusiveMaximum"),
        multiple_of=raw.get("multipleOf"),
        items=value_type(items) if isinstance(items, dict) else None,
        min_items=raw.get("minItems"),
        max_items=raw.get("maxItems"),
        unique_items=bool(raw.get("uniqueItems", False)),
    )


def _project(doc: Document | None) -> Project:
    data = doc.data if doc and isinstance(doc.data, dict) else {}
    schemas = data.get("schemas", {})
    claims = data.get("claims", {})
    privacy = data.get("privacy", {})
    ingest = data.get("ingest", {})
    storage = data.get("storage", {})
    clickhouse = data.get("clickhouse", {})
    defaults = Project(name="", description="")
    return Project(
        name=data.get("project", "trackgen"),
        description=data.get("description", ""),
        timezone=data.get("timezone", defaults.timezone),
        public_schema=schemas.get("public", defaults.public_schema),
        private_schema=schemas.get("private", defaults.private_schema),
        claims=Claims(**{k: claims.get(k, getattr(Claims(), k)) for k in ("site_id", "tier", "network_id")}),
        k_anonymity=privacy.get("k_anonymity", defaults.k_anonymity),
        network_tier=privacy.get("network_tier"),
        site_read_tiers=tuple(privacy["site_read_tiers"]) if "site_read_tiers" in privacy else None,
        pii_deny=tuple(privacy.get("pii_deny", ())),
        allow_anon=ingest.get("allow_anon", defaults.allow_anon),
        max_batch_size=ingest.get("max_batch_size", defaults.max_batch_size),
        max_payload_bytes=ingest.get("max_payload_bytes", defaults.max_payload_bytes),
        max_past=ingest.get("max_past", defaults.max_past),
        max_future=ingest.get("max_future", defaults.max_future),
        partitions_ahead=storage.get("partitions_ahead", defaults.partitions_ahead),
        cron_history=storage.get("cron_history", defaults.cron_history),
        rejections_retention=storage.get("rejections_retention", defaults.rejections_retention),
        targets=tuple(data.get("targets", defaults.targets)),
        clickhouse_reader_role=clickhouse.get("reader_role", defaults.clickhouse_reader_role),
        clickhouse_connection=clickhouse.get("connection", defaults.clickhouse_connection),
        clickhouse_cluster=clickhouse.get("cluster", defaults.clickhouse_cluster),
        clickhouse_ingest_every=clickhouse.get("ingest_every", defaults.clickhouse_ingest_every),
    )


def _selection(raw: dict[str, Any]) -> Selection:
    where = raw.get("where", {})
    return Selection(
        patterns=tuple(raw.get("events", ())),
        events=(),  # expanded by resolve
        tiers=tuple(raw.get("tiers", ())),
        where=tuple(sorted((k, tuple(v) if isinstance(v, list) else (v,)) for k, v in where.items())),
    )


def _kpi(raw: dict[str, Any], span: Span) -> Kpi:
    kind = raw["type"]
    deprecation = raw.get("deprecation", {})
    common: dict[str, Any] = dict(name=raw["name"], type=kind, description=raw["description"], owner=raw.get("owner"),
                                  refresh=raw.get("refresh", "* * * * *"), version=raw.get("version", 1),
                                  storage=raw.get("storage", "incremental"),
                                  status=raw.get("status", "active"), deprecation_reason=deprecation.get("reason"),
                                  replaced_by=deprecation.get("replaced_by"), span=span,
                                  site_read_tiers=tuple(raw["site_read_tiers"]) if "site_read_tiers" in raw else None,
                                  display=raw.get("display"))
    if kind in ("count", "distinct_actors", "percentile"):
        common.update(selection=_selection(raw), by=tuple(raw.get("by", ())), grain=raw.get("grain", "day"))
    if kind == "percentile":
        common.update(field=raw["field"], percentiles=tuple(sorted(raw["p"])))
    if kind == "ratio":
        common.update(numerator=raw["numerator"]["kpi"], denominator=raw["denominator"]["kpi"])
    if kind == "rolling":
        common.update(base=raw["kpi"], window=raw["window"])
    if kind == "funnel":
        common.update(order=raw.get("order", "ordered"), window=raw["window"], by=tuple(raw.get("by", ())),
                      steps=tuple(FunnelStep(s["name"], _selection(s)) for s in raw["steps"]))
    if kind == "retention":
        tiers = tuple(raw.get("tiers", ()))
        cohort = _selection(raw["cohort"])
        common.update(cohort=Selection(cohort.patterns, (), tiers, cohort.where),
                      cohort_grain=raw["cohort"].get("grain", "week"),
                      returning=_selection(raw["returning"]), periods=raw["periods"])
    return Kpi(**common)


def _broken_properties(structure: StructureReport, file: str, path: tuple) -> set[str] | None:
    """Names of the event's properties with structural errors, or None when the event itself is broken.

    An error confined to one property should not hide the PII and free-text
    checks of its siblings: all diagnostics at once, as far as they can be trusted.
    """
    if any(len(bad) <= len(path) and path[:len(bad)] == bad for bad in structure.broken.get(file, ())):
        return None  # the event node itself (or an ancestor) is broken
    names: set[str] = set()
    for bad in structure.broken_below(file, path):
        if len(bad) >= 4 and bad[2] == "properties":
            names.add(bad[3])
        else:
            return None
    return names


def build(documents: list[Document], structure: StructureReport,
          load_problems: list[Diagnostic] | None = None) -> Built:
    """Build the model from every document part that passed structural validation."""
    out = Built(taxonomy=None)
    out.unreadable_tiers = {Path(d.span.file).stem for d in load_problems or ()
                            if d.code == "E001" and d.span is not None and "/events/" in d.span.file}
    by_kind: dict[str, list[Document]] = {"project": [], "tiers": [], "events": [], "kpis": []}
    for doc in documents:
        by_kind[schema_kind(doc.rel)].append(doc)
        out.docs[doc.file] = doc

    project_doc = by_kind["project"][0] if by_kind["project"] else None
    out.project_doc = project_doc
    project = _project(project_doc if project_doc and not structure.is_broken(project_doc.file, ()) else None)

    tiers: list[Tier] = []
    for doc in by_kind["tiers"]:
        if structure.is_broken(doc.file, ()) and not isinstance(doc.data, dict):
            continue
        raw_tiers = doc.data.get("tiers") if isinstance(doc.data, dict) else None
        for i, raw in enumerate(raw_tiers if isinstance(raw_tiers, list) else []):
            if structure.is_broken(doc.file, ("tiers", i)) or not isinstance(raw, dict):
                continue
            tiers.append(Tier(raw["name"], len(tiers) + 1, raw["description"], bool(raw.get("system", False)),
                              span=doc.span(("tiers", i, "name"))))

    events: list[Event] = []
    for doc in by_kind["events"]:
        data = doc.data if isinstance(doc.data, dict) else {}
        if isinstance(data.get("tier"), str):
            out.file_tiers[doc.file] = (data["tier"], doc.span(("tier",)))
        raw_events = data.get("events") if isinstance(data.get("events"), dict) else {}
        for event_id, raw in raw_events.items():
            out.declared_events.add(event_id)
            path = ("events", event_id)
            bad_props = _broken_properties(structure, doc.file, path)
            if bad_props is None:
                continue
            if bad_props:  # keep checking the sound properties; examples wait for the fix
                out.partial_events.add(event_id)
            props = tuple(
                Property(name=name, description=p["description"], value=value_type(p),
                         required=p.get("required", True),
                         pii_exempt=Exemption(**p["pii_exempt"]) if "pii_exempt" in p else None,
                         span=doc.span(path + ("properties", name), key=True))
                for name, p in sorted(raw.get("properties", {}).items()) if name not in bad_props
            )
            deprecation = raw.get("deprecation", {})
            events.append(Event(
                id=event_id, tier=event_id.split(".", 1)[0], description=raw["description"], owner=raw["owner"],
                properties=props, examples=tuple(raw["examples"]), status=raw.get("status", "active"),
                version=raw.get("version", "1-0-0"), deprecation_reason=deprecation.get("reason"),
                replaced_by=deprecation.get("replaced_by"), span=doc.span(path, key=True)))

    kpis: list[Kpi] = []
    for doc in by_kind["kpis"]:
        data = doc.data if isinstance(doc.data, dict) else {}
        for i, raw in enumerate(data.get("kpis", []) if isinstance(data.get("kpis"), list) else []):
            out.declared_kpi_entries += 1
            if isinstance(raw, dict) and isinstance(raw.get("name"), str):
                out.declared_kpis.add(raw["name"])
            path = ("kpis", i)
            if structure.is_broken(doc.file, path):
                continue
            kpi = _kpi(raw, doc.span(path + ("name",)))
            kpis.append(kpi)
            out.kpi_docs.setdefault(kpi.key, (doc, path))

    out.taxonomy = Taxonomy(
        project=project,
        tiers=tuple(tiers),
        events=tuple(sorted(events, key=lambda e: e.id)),
        kpis=tuple(kpis),  # kept in file order here; resolve sorts after reporting duplicates
    )
    return out
