"""Resolve: connect KPIs to the events and KPIs they name, and compute lineage.

Globs such as ``consumer.*`` expand to the tier's active events, sorted.  Every
reference is checked (E301 unknown event, E302 unknown field, E303 unknown KPI,
E304 cycle, E305 duplicate KPI, E306 deprecated event, E308 funnel length,
E309 field of the wrong kind, E310 KPI of the wrong kind, E321 a ratio readable by a tier
that may not read its numerator or denominator), all at once.

What the database would refuse or silently misread is refused here too ("if it
compiles, it applies"): refresh schedules pg_cron 1.4 rejects (E315), ratios whose
parts differ in grain (E316) or dimensions (E317), caller tiers that can never send
the KPI's events (E319), an active KPI reading a deprecated KPI version (E320), a
``storage`` a KPI type cannot have (E322) and an incremental rolling KPI over a
materialized-view base (E323).

KPI versions: an entry is identified by (name, version); a reference ``name``
means the highest version of that name and ``name@N`` a given one.  After
resolve, references (numerator, denominator, rolling base, replaced_by) hold the
target's ``sql_name``, which is unique (E314).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from .build import Built
from .cron import schedule_problem
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


def tiers_at(kpi: Kpi, path: tuple) -> tuple:
    """Where a selection's ``tiers`` are written: a retention KPI keeps its cohort's at the top level."""
    return ("tiers",) if kpi.type == "retention" else path + ("tiers",)


class _Resolver:
    def __init__(self, built: Built):
        assert built.taxonomy is not None
        self.built = built
        self.tax: Taxonomy = built.taxonomy
        self.diags: list[Diagnostic] = []

    def span(self, kpi: Kpi, *path, key: bool = False) -> Span | None:
        found = self.built.kpi_docs.get(kpi.key)
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
                    self.diags.append(Diagnostic("E301", f'KPI "{kpi.label}": no tier "{tier}" for "{pattern}"',
                                                 self.span(kpi, *path, "events", i),
                                                 hint=did_you_mean(tier, [t.name for t in self.tax.tiers])))
                else:
                    matched = [e.id for e in self.tax.events if e.tier == tier and e.active]
                    if not matched:
                        self.diags.append(Diagnostic("E301", f'KPI "{kpi.label}": "{pattern}" matches no active event',
                                                     self.span(kpi, *path, "events", i)))
                    found.update(matched)
                continue
            event = self.tax.event(pattern)
            if event is None:
                if pattern not in self.built.declared_events:  # a broken definition was reported already
                    self.diags.append(Diagnostic("E301", f'KPI "{kpi.label}": unknown event "{pattern}"',
                                                 self.span(kpi, *path, "events", i),
                                                 hint=did_you_mean(pattern, [e.id for e in self.tax.events])))
                continue
            if not event.active and kpi.active:
                instead = f"read {event.replaced_by} instead" if event.replaced_by else "drop it from the list"
                self.diags.append(Diagnostic(
                    "E306", f'KPI "{kpi.label}" uses deprecated event "{pattern}"', self.span(kpi, *path, "events", i),
                    hint=f"{instead}; once this KPI is released its explicit events define its history, so do "
                         f"it in version {kpi.version + 1} (a new entry) and mark this one status: deprecated"))
                continue
            found.add(event.id)
        for i, tier in enumerate(sel.tiers):
            if self.tax.tier(tier) is None:
                self.diags.append(Diagnostic("E301", f'KPI "{kpi.label}": unknown tier "{tier}"',
                                             self.span(kpi, *tiers_at(kpi, path), i),
                                             hint=did_you_mean(tier, [t.name for t in self.tax.tiers])))
        events = tuple(sorted(found))
        self.reachable(kpi, sel, events, path)
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
                            "E302", f'KPI "{kpi.label}": {name} = {value!r} can never match event "{event.id}" '
                                    f"({problem})", self.span(kpi, *path, "where", name), hint=hint))
        return dataclasses.replace(sel, events=events)

    def reachable(self, kpi: Kpi, sel: Selection, events: tuple[str, ...], path: tuple) -> None:
        """E319: a caller tier in ``tiers:`` that can send none of the selected events keeps the KPI empty."""
        if not events:
            return
        tiers = {e.tier for e in self._events(events)}
        for i, tier in enumerate(sel.tiers):
            caller = self.tax.tier(tier)
            if caller is None:
                continue  # E301 above
            if any(self.tax.can_send(tier, t) for t in tiers):
                continue
            senders = sorted({c.name for c in self.tax.tiers if any(self.tax.can_send(c.name, t) for t in tiers)},
                             key=lambda n: self.tax.tier(n).rank)
            why = ("no caller has the system tier (system events come from callers of any tier)" if caller.system
                   else f"a {tier} caller sends events of its own tier and below, and system events")
            self.diags.append(Diagnostic(
                "E319", f'KPI "{kpi.label}": tier "{tier}" can never send any of its events '
                        f"({', '.join(sorted(tiers))} events only)", self.span(kpi, *tiers_at(kpi, path), i),
                hint=f"{why}; tiers that can: {', '.join(senders) or 'none'}"))

    def _events(self, ids: tuple[str, ...]) -> list[Event]:
        return [e for e in (self.tax.event(i) for i in ids) if e is not None]

    def field(self, kpi: Kpi, events: tuple[str, ...], name: str, path: tuple, allowed: tuple[str, ...],
              enum_only: bool = False) -> None:
        for event in self._events(events):
            prop = event.property(name)
            if prop is None:
                self.diags.append(Diagnostic("E302", f'KPI "{kpi.label}": event "{event.id}" has no field "{name}"',
                                             self.span(kpi, *path),
                                             hint=did_you_mean(name, [p.name for p in event.properties])))
            elif prop.value.type not in allowed or (enum_only and prop.value.type == "string" and prop.value.enum is None):
                kinds = " or ".join(allowed)
                self.diags.append(Diagnostic(
                    "E309", f'KPI "{kpi.label}": field "{name}" of event "{event.id}" is {prop.value.type}, '
                            f"needs {'an enum ' if enum_only else ''}{kinds}", self.span(kpi, *path)))

    def dimensions(self, kpi: Kpi, events: tuple[str, ...]) -> None:
        for i, dim in enumerate(kpi.by):
            if dim in BUILTIN_DIMENSIONS or dim == "site":
                continue
            if dim in ROLLUP_COLUMNS:
                self.diags.append(Diagnostic("E313", f'KPI "{kpi.label}": dimension "{dim}" clashes with a rollup '
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
        """A ratio shows its numerator and denominator: a tier it names must be able to read both (E321)."""
        for i, tier in enumerate(kpi.site_read_tiers or ()):
            for role, part in (("numerator", kpi.numerator), ("denominator", kpi.denominator)):
                if part in kpis and self.tax.tier(tier) is not None and tier not in self.tax.site_reader_tiers(part):
                    self.diags.append(Diagnostic(
                        "E321", f'KPI "{kpi.name}": tier "{tier}" may read this ratio but not its {role} "{part}"',
                        self.span(kpi, "site_read_tiers", i),
                        hint=f'a ratio shows its {role}\'s values: add "{tier}" to the site_read_tiers of "{part}" '
                             "(or of project.yaml's privacy), or leave it out here"))

    def storage_kind(self, kpi: Kpi) -> None:
        """E322: ``storage`` names how a KPI's private cache is kept; some types have only one way."""
        if kpi.storage == "incremental":
            return
        if kpi.type == "ratio":
            self.diags.append(Diagnostic("E322", f'KPI "{kpi.label}": a ratio stores nothing (it divides two KPIs '
                                                 "at read time), so it has no storage", self.span(kpi, "storage"),
                                         hint="remove storage here; set it on the numerator or denominator"))
        elif kpi.type in ("funnel", "retention"):
            self.diags.append(Diagnostic("E322", f'KPI "{kpi.label}": storage: materialized_view is not available '
                                                 f"for {kpi.type} KPIs", self.span(kpi, "storage"),
                                         hint="their caches are per-actor state that only the incremental refresh "
                                              "keeps; remove storage (docs/storage.md)"))

    def storage_pair(self, kpi: Kpi, base: Kpi, span: Span | None) -> None:
        """E323: an incremental rolling KPI folds in the base rows written since its watermark; a materialized
        view's rows carry no watermark (a refresh rewrites them all), so it cannot follow one."""
        if kpi.storage == "incremental" and base.storage == "materialized_view":
            self.diags.append(Diagnostic(
                "E323", f'KPI "{kpi.label}" is stored incrementally but its base "{base.label}" is a materialized '
                        "view: an incremental rolling window reads the base rows written since its watermark, and "
                        "a materialized view's rows carry none (each refresh rewrites them all)", span,
                hint="add storage: materialized_view to this KPI too (its refresh refreshes the base first, then "
                     "recomputes every window), or keep the base incremental"))

    def kpi(self, kpi: Kpi) -> Kpi:
        self.read_tiers(kpi)
        if kpi.type != "ratio":  # a ratio has no refresh (E318 refuses the key)
            problem = schedule_problem(kpi.refresh)
            if problem is not None:
                self.diags.append(Diagnostic("E315", f'KPI "{kpi.label}": refresh {problem.message}',
                                             self.span(kpi, "refresh"), hint=problem.hint))
        self.storage_kind(kpi)
        if kpi.selection is not None:
            kpi = dataclasses.replace(kpi, selection=self.expand(kpi, kpi.selection, ()))
            self.dimensions(kpi, kpi.selection.events)
            if kpi.type == "percentile" and kpi.field:
                self.field(kpi, kpi.selection.events, kpi.field, ("field",), allowed=NUMERIC)
        if kpi.type == "rolling" and kpi.window and not re.fullmatch(r"[1-9][0-9]* (day|week)s?", kpi.window):
            self.diags.append(Diagnostic("E307", f'KPI "{kpi.label}": a rolling window is whole days or weeks, '
                                                 f'not "{kpi.window}"', self.span(kpi, "window"),
                                         hint='e.g. "7 days" or "4 weeks"'))
        if kpi.type == "funnel":
            if not 2 <= len(kpi.steps) <= 10:
                self.diags.append(Diagnostic("E308", f'KPI "{kpi.label}": a funnel has 2 to 10 steps, '
                                                     f"found {len(kpi.steps)}", self.span(kpi, "steps", key=True)))
            names = [s.name for s in kpi.steps]
            for dup in sorted({n for n in names if names.count(n) > 1}):
                second = [i for i, n in enumerate(names) if n == dup][1]
                self.diags.append(Diagnostic("E305", f'KPI "{kpi.label}": step "{dup}" is named twice',
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

    # ------------------------------------------------------------------ KPI versions and references

    def target(self, kpi: Kpi, ref: str, by_name: dict[str, list[Kpi]], span: Span | None) -> Kpi | None:
        """The KPI a reference names: ``name`` is its highest version, ``name@N`` that version."""
        name, _, version = ref.partition("@")
        versions = by_name.get(name)
        if not versions:
            if name not in self.built.declared_kpis:  # a broken definition was reported already
                self.diags.append(Diagnostic("E303", f'KPI "{kpi.label}": unknown KPI "{ref}"', span,
                                             hint=did_you_mean(name, by_name)))
            return None
        if not version:
            return max(versions, key=lambda k: k.version)
        found = next((k for k in versions if k.version == int(version)), None)
        if found is None:
            self.diags.append(Diagnostic("E303", f'KPI "{kpi.label}": KPI "{name}" has no version {version}', span,
                                         hint="versions: " + ", ".join(str(k.version) for k in versions)))
        return found

    def link(self, kpis: list[Kpi]) -> list[Kpi]:
        """Resolve every KPI reference to its target's sql_name; check kinds, shapes and deprecation."""
        by_name: dict[str, list[Kpi]] = {}
        for kpi in kpis:
            by_name.setdefault(kpi.name, []).append(kpi)
        out = []
        for kpi in kpis:
            changes: dict[str, str | None] = {}
            parts: dict[str, Kpi] = {}
            for role, ref in (("numerator", kpi.numerator), ("denominator", kpi.denominator), ("base", kpi.base)):
                if ref is None:
                    continue
                path = (role, "kpi") if role != "base" else ("kpi",)
                span = self.span(kpi, *path)
                target = self.target(kpi, ref, by_name, span)
                changes[role] = target.sql_name if target else None
                if target is None:
                    continue
                if self.part_kind(kpi, target, span):
                    parts[role] = target
                    if role == "base":
                        self.storage_pair(kpi, target, span)
                if kpi.active and not target.active:
                    self.diags.append(Diagnostic(
                        "E320", f'KPI "{kpi.label}" reads KPI "{target.label}", which is deprecated', span,
                        hint=(f"read {target.replaced_by} instead" if target.replaced_by else
                              "read an active KPI") + "; if this KPI is released, do it in a new version of it"))
            if kpi.type == "ratio" and {"numerator", "denominator"} <= set(parts):
                self.ratio_shape(kpi, parts["numerator"], parts["denominator"], {k.sql_name: k for k in kpis})
            out.append(dataclasses.replace(kpi, **changes) if changes else kpi)
        return [self.deprecation(kpi, by_name) for kpi in out]

    def part_kind(self, kpi: Kpi, target: Kpi, span: Span | None) -> bool:
        """E310: whether ``target`` is a KPI of a kind ``kpi`` can be computed from."""
        if kpi.type == "rolling" and (target.type not in ("count", "distinct_actors") or target.grain != "day"):
            self.diags.append(Diagnostic(
                "E310", f'KPI "{kpi.label}": a rolling window needs a daily count or distinct_actors KPI, '
                        f'"{target.label}" is a {target.grain} {target.type}', span))
            return False
        if kpi.type == "ratio" and target.type not in ("count", "distinct_actors", "rolling"):
            self.diags.append(Diagnostic(
                "E310", f'KPI "{kpi.label}": a ratio needs count, distinct_actors or rolling KPIs, '
                        f'"{target.label}" is a {target.type}', span,
                hint="a ratio of ratios is not supported: divide the underlying counts" if target.type == "ratio"
                else None))
            return False
        return True

    def ratio_shape(self, kpi: Kpi, num: Kpi, den: Kpi, by_sql: dict[str, Kpi]) -> None:
        """E316/E317: a ratio divides cell by cell, so both parts need the same grain and dimensions."""
        (n_grain, n_dims), (d_grain, d_dims) = cell_shape(num, by_sql), cell_shape(den, by_sql)
        span = self.span(kpi, "denominator", "kpi")
        if n_grain != d_grain:
            self.diags.append(Diagnostic(
                "E316", f'KPI "{kpi.label}": numerator "{num.label}" is per {n_grain}, denominator "{den.label}" '
                        f"per {d_grain}", span,
                hint="a ratio divides period by period: give both KPIs the same grain (a rolling KPI is daily)"))
        if set(n_dims) != set(d_dims):
            show = lambda dims: "dimensions [" + ", ".join(dims) + "]" if dims else "no dimensions"  # noqa: E731
            self.diags.append(Diagnostic(
                "E317", f'KPI "{kpi.label}": numerator "{num.label}" has {show(n_dims)}, denominator '
                        f'"{den.label}" has {show(d_dims)}', span,
                hint="a ratio divides cell by cell: give both KPIs the same by: list"))

    def deprecation(self, kpi: Kpi, by_name: dict[str, list[Kpi]]) -> Kpi:
        """E213 for KPIs as for events: a reason when deprecated, a replacement that is an active KPI."""
        if kpi.status == "deprecated" and not kpi.deprecation_reason:
            self.diags.append(Diagnostic("E213", f'KPI "{kpi.label}" is deprecated without a deprecation reason',
                                         self.span(kpi, "status"),
                                         hint="add deprecation: {reason: ..., replaced_by: ...}"))
        if kpi.status == "active" and kpi.deprecation_reason:
            self.diags.append(Diagnostic("E213", f'KPI "{kpi.label}" has a deprecation block but status active',
                                         self.span(kpi, "deprecation", key=True),
                                         hint="set status: deprecated, or remove the deprecation block"))
        if kpi.replaced_by is None:
            return kpi
        span = self.span(kpi, "deprecation", "replaced_by")
        target = self.target(kpi, kpi.replaced_by, by_name, span)
        if target is None:
            return dataclasses.replace(kpi, replaced_by=None)
        if not target.active or target.key == kpi.key:
            self.diags.append(Diagnostic("E213", f'KPI "{kpi.label}": replaced_by "{kpi.replaced_by}" is not an '
                                                 "active KPI", span,
                                         hint="name an active KPI, e.g. the new version: " + f"{kpi.name}@{kpi.version + 1}"))
        return dataclasses.replace(kpi, replaced_by=target.sql_name)

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
                        labels = [kpis[n].label for n in loop]
                        self.diags.append(Diagnostic("E304", "KPI cycle: " + " -> ".join(labels), kpis[dep].span,
                                                     hint="a KPI cannot depend on itself through others"))
                elif state.get(dep) is None:
                    visit(dep, trail + [dep])
            state[name] = 2

        for name in sorted(kpis):
            if state.get(name) is None:
                visit(name, [name])


def cell_shape(kpi: Kpi, by_sql: dict[str, Kpi], seen: frozenset[str] = frozenset()) -> tuple[str, tuple[str, ...]]:
    """(grain, dimensions) of a KPI's cells: a rolling KPI is daily over its base's dimensions, a ratio
    has its numerator's.  ``site`` is not a dimension here: every site-scoped row has it."""
    ref = kpi.base if kpi.type == "rolling" else kpi.numerator if kpi.type == "ratio" else None
    if ref is not None:
        inner = by_sql.get(ref)
        if inner is not None and ref not in seen:
            grain, dims = cell_shape(inner, by_sql, seen | {ref})
            return ("day" if kpi.type == "rolling" else grain), dims
    grain = kpi.cohort_grain if kpi.type == "retention" else kpi.grain
    return grain, tuple(d for d in kpi.by if d != "site")


def resolve(built: Built) -> tuple[Taxonomy, list[Diagnostic]]:
    """Expand globs, check every reference; returns the resolved taxonomy (KPIs sorted by name and version)."""
    r = _Resolver(built)
    unique: dict[str, Kpi] = {}
    for kpi in r.tax.kpis:
        if kpi.key in unique:
            first = unique[kpi.key].span
            what = f'KPI "{kpi.name}"' + (f" version {kpi.version}" if kpi.version != 1 else "")
            r.diags.append(Diagnostic("E305", f"{what} is defined twice"
                                      + (f" (first at {first.file}:{first.line})" if first else ""), kpi.span,
                                      hint="names are unique per version; a new version of a KPI is a new entry with "
                                           f"version: {kpi.version + 1}"))
            continue
        unique[kpi.key] = r.kpi(kpi)
    sql_names: dict[str, Kpi] = {}
    for kpi in sorted(unique.values(), key=lambda k: (k.name, k.version)):
        other = sql_names.setdefault(kpi.sql_name, kpi)
        if other is not kpi:
            r.diags.append(Diagnostic("E314", f'KPIs "{other.label}" and "{kpi.label}" both need the SQL name '
                                              f"{kpi.sql_name}", kpi.span,
                                      hint=f"version N of a KPI names its SQL objects <name>_vN; rename {kpi.name}"))
    linked = r.link(sorted((k for k in unique.values() if sql_names.get(k.sql_name) is k),
                           key=lambda k: (k.name, k.version)))
    r.cycles({k.sql_name: k for k in linked})
    taxonomy = dataclasses.replace(r.tax, kpis=tuple(linked))
    r.tax = taxonomy  # references now hold sql_names: who may read a ratio follows its parts
    by_sql = {k.sql_name: k for k in linked}
    for kpi in linked:
        if kpi.type == "ratio":
            r.ratio_read_tiers(kpi, by_sql)
    return taxonomy, r.diags


def lineage(taxonomy: Taxonomy) -> dict[str, Lineage]:
    """For each KPI (by sql_name), the events, payload fields and KPIs that feed it (transitively)."""
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
        walk(kpi.sql_name, frozenset({kpi.sql_name}))
    return out
