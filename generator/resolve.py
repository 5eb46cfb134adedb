"""Resolve: connect KPIs to the events and KPIs they name, and compute lineage.

Globs such as ``consumer.*`` expand to the tier's active events, sorted.  Every
reference is checked (E301 unknown event, E302 unknown field, E303 unknown KPI,
E304 cycle, E305 duplicate KPI, E306 deprecated event, E308 funnel length,
E309 field of the wrong kind, E310 KPI of the wrong kind, E315 a ratio readable by a tier that
may not read its numerator or denominator), all at once.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from .build import Built
from .diagnostics import Diagnostic, Span
from .model import Event, Kpi, Selection, Taxonomy
from .suggest import did_you_mean

#: dimensions every event has; ``site`` only in site-scoped views
BUILTIN_DIMENSIONS = ("event", "tier")
#: column names the KPI rollups use themselves; a payload field of that name cannot be a dimension
ROLLUP_COLUMNS = ("site_id", "period", "value", "actors", "sites", "actor_hash", "ingest_xid", "n",
                  "numerator", "denominator", "event_key", "occurred_at", "measure")
NUMERIC = ("integer", "number")


@dataclass(frozen=True)
class Lineage:
    kpi: str
    events: tuple[str, ...]
    fields: tuple[tuple[str, str], ...]  # (event id, property)
    kpis: tuple[str, ...]


def _never_matches(value_type, value) -> str | None:
    """Why a ``where`` value can never equal a payload value of this type, or None."""
    kind = value_type.type
    if kind == "boolean" and not isinstance(value, bool):
        return "the field is a boolean"
    if kind in ("integer", "number"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"the field is {'an' if kind == 'integer' else 'a'} {kind}"
        low, high = value_type.minimum, value_type.maximum
        if (low is not None and value < low) or (high is not None and value > high):
            return f"outside {low}..{high}"
    if kind == "string":
        if not isinstance(value, str):
            return "the field is a string"
        if value_type.enum is not None and value not in value_type.enum:
            return "not one of its values"
    return None


class _Resolver:
    def __init__(self, built: Built):
        assert built.taxonomy is not None
        self.built = built
        self.tax: Taxonomy = built.taxonomy
        self.diags: list[Diagnostic] = []

    def span(self, kpi: Kpi, *path, key: bool = False) -> Span | None:
        found = self.built.kpi_docs.get(kpi.name)
        if not found:
            return kpi.span
        doc, base = found
        return doc.span(base + tuple(path), key=key)

    def expand(self, kpi: Kpi, sel: Selection, path: tuple) -> Selection:
        found: set[str] = set()
        for i, pattern in enumerate(sel.patterns):
            tier, _, name = pattern.partition(".")
            if tier in self.built.unreadable_tiers:  # its file did not parse; that error says it all
                found.update(e.id for e in self.tax.events if e.tier == tier and e.active)
                continue
            if name == "*":
                if self.tax.tier(tier) is None:
                    self.diags.append(Diagnostic("E301", f'KPI "{kpi.name}": no tier "{tier}" for "{pattern}"',
                                                 self.span(kpi, *path, "events", i),
                                                 hint=did_you_mean(tier, [t.name for t in self.tax.tiers])))
                else:
                    matched = [e.id for e in self.tax.events if e.tier == tier and e.active]
                    if not matched:
                        self.diags.append(Diagnostic("E301", f'KPI "{kpi.name}": "{pattern}" matches no active event',
                                                     self.span(kpi, *path, "events", i)))
                    found.update(matched)
                continue
            event = self.tax.event(pattern)
            if event is None:
                if pattern not in self.built.declared_events:  # a broken definition was reported already
                    self.diags.append(Diagnostic("E301", f'KPI "{kpi.name}": unknown event "{pattern}"',
                                                 self.span(kpi, *path, "events", i),
                                                 hint=did_you_mean(pattern, [e.id for e in self.tax.events])))
                continue
            if not event.active:
                self.diags.append(Diagnostic("E306", f'KPI "{kpi.name}" uses deprecated event "{pattern}"',
                                             self.span(kpi, *path, "events", i),
                                             hint=f"use {event.replaced_by}" if event.replaced_by else None))
                continue
            found.add(event.id)
        for i, tier in enumerate(sel.tiers):
            if self.tax.tier(tier) is None:
                self.diags.append(Diagnostic("E301", f'KPI "{kpi.name}": unknown tier "{tier}"',
                                             self.span(kpi, *path, "tiers", i),
                                             hint=did_you_mean(tier, [t.name for t in self.tax.tiers])))
        events = tuple(sorted(found))
        for name, values in sel.where:
            self.field(kpi, events, name, path + ("where", name), allowed=("string", "boolean", "integer"))
            for value in values:
                for event in self._events(events):
                    prop = event.property(name)
                    problem = _never_matches(prop.value, value) if prop else None
                    if problem:
                        hint = None
                        if prop.value.enum is not None:
                            hint = did_you_mean(str(value), prop.value.enum) or "allowed: " + ", ".join(prop.value.enum)
                        self.diags.append(Diagnostic(
                            "E302", f'KPI "{kpi.name}": {name} = {value!r} can never match event "{event.id}" '
                                    f"({problem})", self.span(kpi, *path, "where", name), hint=hint))
        return dataclasses.replace(sel, events=events)

    def _events(self, ids: tuple[str, ...]) -> list[Event]:
        return [e for e in (self.tax.event(i) for i in ids) if e is not None]

    def field(self, kpi: Kpi, events: tuple[str, ...], name: str, path: tuple, allowed: tuple[str, ...],
              enum_only: bool = False) -> None:
        for event in self._events(events):
            prop = event.property(name)
            if prop is None:
                self.diags.append(Diagnostic("E302", f'KPI "{kpi.name}": event "{event.id}" has no field "{name}"',
                                             self.span(kpi, *path),
                                             hint=did_you_mean(name, [p.name for p in event.properties])))
            elif prop.value.type not in allowed or (enum_only and prop.value.type == "string" and prop.value.enum is None):
                kinds = " or ".join(allowed)
                self.diags.append(Diagnostic(
                    "E309", f'KPI "{kpi.name}": field "{name}" of event "{event.id}" is {prop.value.type}, '
                            f"needs {'an enum ' if enum_only else ''}{kinds}", self.span(kpi, *path)))

    def dimensions(self, kpi: Kpi, events: tuple[str, ...]) -> None:
        for i, dim in enumerate(kpi.by):
            if dim in BUILTIN_DIMENSIONS or dim == "site":
                continue
            if dim in ROLLUP_COLUMNS:
                self.diags.append(Diagnostic("E313", f'KPI "{kpi.name}": dimension "{dim}" clashes with a rollup '
                                                     "column name", self.span(kpi, "by", i),
                                             hint="reserved: " + ", ".join(ROLLUP_COLUMNS)))
                continue
            self.field(kpi, events, dim, ("by", i), allowed=("string", "boolean"), enum_only=True)

    def read_tiers(self, kpi: Kpi) -> None:
        """Every tier in the KPI's site_read_tiers must be a caller tier (E301)."""
        callers = [t.name for t in self.tax.tiers if not t.system]
        for i, tier in enumerate(kpi.site_read_tiers or ()):
            if tier not in callers:
                what = "system tier" if self.tax.tier(tier) is not None else "tier"
                self.diags.append(Diagnostic("E301", f'KPI "{kpi.name}": site_read_tiers names {what} "{tier}", '
                                                     "not a caller tier", self.span(kpi, "site_read_tiers", i),
                                             hint=did_you_mean(tier, callers) or "caller tiers: " + ", ".join(callers)))

    def ratio_read_tiers(self, kpi: Kpi, kpis: dict[str, Kpi]) -> None:
        """A ratio shows its numerator and denominator: a tier it names must be able to read both (E315)."""
        for i, tier in enumerate(kpi.site_read_tiers or ()):
            for role, part in (("numerator", kpi.numerator), ("denominator", kpi.denominator)):
                if part in kpis and self.tax.tier(tier) is not None and tier not in self.tax.site_reader_tiers(part):
                    self.diags.append(Diagnostic(
                        "E315", f'KPI "{kpi.name}": tier "{tier}" may read this ratio but not its {role} "{part}"',
                        self.span(kpi, "site_read_tiers", i),
                        hint=f'a ratio shows its {role}\'s values: add "{tier}" to the site_read_tiers of "{part}" '
                             "(or of project.yaml's privacy), or leave it out here"))

    def kpi(self, kpi: Kpi) -> Kpi:
        self.read_tiers(kpi)
        if kpi.selection is not None:
            kpi = dataclasses.replace(kpi, selection=self.expand(kpi, kpi.selection, ()))
            self.dimensions(kpi, kpi.selection.events)
            if kpi.type == "percentile" and kpi.field:
                self.field(kpi, kpi.selection.events, kpi.field, ("field",), allowed=NUMERIC)
        if kpi.type == "rolling" and kpi.window and not re.fullmatch(r"[1-9][0-9]* (day|week)s?", kpi.window):
            self.diags.append(Diagnostic("E307", f'KPI "{kpi.name}": a rolling window is whole days or weeks, '
                                                 f'not "{kpi.window}"', self.span(kpi, "window"),
                                         hint='e.g. "7 days" or "4 weeks"'))
        if kpi.type == "funnel":
            if not 2 <= len(kpi.steps) <= 10:
                self.diags.append(Diagnostic("E308", f'KPI "{kpi.name}": a funnel has 2 to 10 steps, '
                                                     f"found {len(kpi.steps)}", self.span(kpi, "steps", key=True)))
            names = [s.name for s in kpi.steps]
            for dup in sorted({n for n in names if names.count(n) > 1}):
                second = [i for i, n in enumerate(names) if n == dup][1]
                self.diags.append(Diagnostic("E305", f'KPI "{kpi.name}": step "{dup}" is named twice',
                                             self.span(kpi, "steps", second, "name")))
            steps = tuple(dataclasses.replace(s, selection=self.expand(kpi, s.selection, ("steps", i)))
                          for i, s in enumerate(kpi.steps))
            kpi = dataclasses.replace(kpi, steps=steps)
            if steps:
                self.dimensions(kpi, steps[0].selection.events)
        if kpi.type == "retention":
            kpi = dataclasses.replace(kpi, cohort=self.expand(kpi, kpi.cohort, ("cohort",)),
                                      returning=self.expand(kpi, kpi.returning, ("returning",)))
        return kpi

    def references(self, kpis: dict[str, Kpi]) -> None:
        for kpi in kpis.values():
            if kpi.type == "ratio":
                self.ratio_read_tiers(kpi, kpis)
            for role, name in (("numerator", kpi.numerator), ("denominator", kpi.denominator), ("kpi", kpi.base)):
                if name is None:
                    continue
                path = (role, "kpi") if role != "kpi" else ("kpi",)
                target = kpis.get(name)
                if target is None:
                    if name not in self.built.declared_kpis:
                        self.diags.append(Diagnostic("E303", f'KPI "{kpi.name}": unknown KPI "{name}"',
                                                     self.span(kpi, *path), hint=did_you_mean(name, kpis)))
                    continue
                if kpi.type == "rolling" and (target.type not in ("count", "distinct_actors") or target.grain != "day"):
                    self.diags.append(Diagnostic(
                        "E310", f'KPI "{kpi.name}": a rolling window needs a daily count or distinct_actors KPI, '
                                f'"{name}" is a {target.grain} {target.type}', self.span(kpi, *path)))
                if kpi.type == "ratio" and target.type in ("funnel", "retention", "percentile"):
                    self.diags.append(Diagnostic(
                        "E310", f'KPI "{kpi.name}": a ratio needs counting KPIs, "{name}" is a {target.type}',
                        self.span(kpi, *path)))
        self.cycles(kpis)

    def cycles(self, kpis: dict[str, Kpi]) -> None:
        state: dict[str, int] = {}
        reported: set[frozenset[str]] = set()

        def visit(name: str, trail: list[str]) -> None:
            state[name] = 1
            for dep in kpis[name].depends_on:
                if dep not in kpis:
                    continue
                if state.get(dep) == 1:
                    loop = trail[trail.index(dep):] + [dep] if dep in trail else [name, dep]
                    key = frozenset(loop)
                    if key not in reported:
                        reported.add(key)
                        self.diags.append(Diagnostic("E304", "KPI cycle: " + " -> ".join(loop), kpis[dep].span,
                                                     hint="a KPI cannot depend on itself through others"))
                elif state.get(dep) is None:
                    visit(dep, trail + [dep])
            state[name] = 2

        for name in sorted(kpis):
            if state.get(name) is None:
                visit(name, [name])


def resolve(built: Built) -> tuple[Taxonomy, list[Diagnostic]]:
    """Expand globs, check every reference; returns the resolved taxonomy (KPIs sorted by name)."""
    r = _Resolver(built)
    unique: dict[str, Kpi] = {}
    for kpi in r.tax.kpis:
        if kpi.name in unique:
            first = unique[kpi.name].span
            r.diags.append(Diagnostic("E305", f'KPI "{kpi.name}" is defined twice'
                                      + (f" (first at {first.file}:{first.line})" if first else ""), kpi.span))
            continue
        unique[kpi.name] = r.kpi(kpi)
    r.references(unique)
    taxonomy = dataclasses.replace(r.tax, kpis=tuple(unique[n] for n in sorted(unique)))
    return taxonomy, r.diags


def lineage(taxonomy: Taxonomy) -> dict[str, Lineage]:
    """For each KPI, the events, payload fields and KPIs that feed it (transitively)."""
    out: dict[str, Lineage] = {}

    def own(kpi: Kpi) -> tuple[set[str], set[tuple[str, str]]]:
        events: set[str] = set()
        fields: set[tuple[str, str]] = set()
        selections = [kpi.selection, kpi.cohort, kpi.returning] + [s.selection for s in kpi.steps]
        for sel in selections:
            if sel is None:
                continue
            events.update(sel.events)
            names = [k for k, _ in sel.where] + [d for d in kpi.by if d not in BUILTIN_DIMENSIONS + ("site",)]
            if kpi.field and sel is kpi.selection:
                names.append(kpi.field)
            for event_id in sel.events:
                event = taxonomy.event(event_id)
                for name in names:
                    if event and event.property(name):
                        fields.add((event_id, name))
        return events, fields

    def walk(name: str, seen: frozenset[str]) -> Lineage:
        if name in out:
            return out[name]
        kpi = taxonomy.kpi(name)
        assert kpi is not None
        events, fields = own(kpi)
        kpis: set[str] = set()
        for dep in kpi.depends_on:
            if dep in seen or taxonomy.kpi(dep) is None:
                continue
            sub = walk(dep, seen | {dep})
            events.update(sub.events)
            fields.update(sub.fields)
            kpis.update((dep,) + sub.kpis)
        out[name] = Lineage(name, tuple(sorted(events)), tuple(sorted(fields)), tuple(sorted(kpis)))
        return out[name]

    for kpi in taxonomy.kpis:
        walk(kpi.name, frozenset({kpi.name}))
    return out
