"""Model: the typed, frozen picture of a validated taxonomy.

Everything after ``validate`` works on these dataclasses, never on raw YAML, so
a template or planner cannot see a value the validator did not check.  Each
entity keeps the ``Span`` it came from so later stages (resolve, lint) can still
point at the analyst's line.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from .diagnostics import Span


@dataclass(frozen=True)
class Claims:
    site_id: str = "app_metadata.site_id"
    tier: str = "app_metadata.tier"
    network_id: str = "app_metadata.network_id"


@dataclass(frozen=True)
class Project:
    name: str
    description: str
    timezone: str = "UTC"
    public_schema: str = "analytics"
    private_schema: str = "analytics_private"
    claims: Claims = Claims()
    k_anonymity: int = 5
    network_tier: str | None = None  # None: the highest non-system tier
    site_read_tiers: tuple[str, ...] | None = None  # None: the clinic tier and above (Taxonomy.site_reader_tiers)
    pii_deny: tuple[str, ...] = ()
    allow_anon: bool = False
    max_batch_size: int = 500
    max_payload_bytes: int = 4096
    max_past: str = "7 days"
    max_future: str = "5 minutes"
    partitions_ahead: int = 3
    cron_history: str = "7 days"
    rejections_retention: str = "90 days"
    #: what generate compiles to: "supabase" always, "clickhouse" on request (generated/clickhouse/)
    targets: tuple[str, ...] = ("supabase",)
    clickhouse_reader_role: str = "clickhouse_reader"
    clickhouse_connection: str = "trackgen_supabase"
    clickhouse_cluster: str = "trackgen"
    clickhouse_ingest_every: int = 60


@dataclass(frozen=True)
class Tier:
    name: str
    rank: int  # position in tiers.yaml, 1-based; higher may send the lower tiers' events
    description: str
    system: bool = False
    span: Span | None = dataclasses.field(default=None, compare=False)


@dataclass(frozen=True)
class Exemption:
    reason: str
    reviewed_by: str


@dataclass(frozen=True)
class ValueType:
    """The JSON Schema subset a payload value may use (see DESIGN.md)."""

    type: str  # boolean | integer | number | string | array
    enum: tuple[str, ...] | None = None
    pattern: str | None = None
    format: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    minimum: float | int | None = None
    maximum: float | int | None = None
    exclusive_minimum: float | int | None = None
    exclusive_maximum: float | int | None = None
    multiple_of: float | int | None = None
    items: ValueType | None = None
    min_items: int | None = None
    max_items: int | None = None
    unique_items: bool = False


@dataclass(frozen=True)
class Property:
    name: str
    description: str
    value: ValueType
    required: bool = True
    pii_exempt: Exemption | None = None
    span: Span | None = dataclasses.field(default=None, compare=False)


@dataclass(frozen=True)
class Event:
    id: str  # tier.object_action
    tier: str
    description: str
    owner: str
    properties: tuple[Property, ...]
    examples: tuple[dict[str, Any], ...]
    status: str = "active"
    version: str = "1-0-0"
    deprecation_reason: str | None = None
    replaced_by: str | None = None
    span: Span | None = dataclasses.field(default=None, compare=False)

    @property
    def name(self) -> str:
        """The ``object_action`` part of the id."""
        return self.id.split(".", 1)[1]

    @property
    def active(self) -> bool:
        return self.status == "active"

    def property(self, name: str) -> Property | None:
        for prop in self.properties:
            if prop.name == name:
                return prop
        return None


@dataclass(frozen=True)
class Selection:
    """Which events a KPI reads: event ids (globs already expanded), actor tiers, payload filters."""

    patterns: tuple[str, ...]
    events: tuple[str, ...]  # resolved, sorted
    tiers: tuple[str, ...] = ()
    where: tuple[tuple[str, tuple[Any, ...]], ...] = ()


@dataclass(frozen=True)
class FunnelStep:
    name: str
    selection: Selection


@dataclass(frozen=True)
class Kpi:
    name: str
    type: str
    description: str
    owner: str | None = None
    refresh: str = "* * * * *"
    selection: Selection | None = None  # count, distinct_actors, percentile
    by: tuple[str, ...] = ()
    grain: str = "day"
    numerator: str | None = None  # ratio
    denominator: str | None = None
    base: str | None = None  # rolling
    window: str | None = None  # rolling, funnel
    order: str = "ordered"  # funnel
    steps: tuple[FunnelStep, ...] = ()
    cohort: Selection | None = None  # retention
    cohort_grain: str = "week"
    returning: Selection | None = None
    periods: int = 0
    field: str | None = None  # percentile
    percentiles: tuple[float, ...] = ()
    site_read_tiers: tuple[str, ...] | None = None  # None: the project's setting
    #: how the generated dashboard shows the KPI as written (``display:``); None: the type's default
    #: (``plan/dashboard.py`` decides it)
    display: str | None = None
    #: how the private cache is kept: "incremental" (watermark rollups) or "materialized_view" (docs/storage.md)
    storage: str = "incremental"
    version: int = 1
    status: str = "active"
    deprecation_reason: str | None = None
    #: a KPI reference as written ("name" or "name@N"); resolve turns it into the target's ``sql_name``,
    #: as it does for ``numerator``, ``denominator`` and ``base``
    replaced_by: str | None = None
    span: Span | None = dataclasses.field(default=None, compare=False)

    @property
    def sql_name(self) -> str:
        """The KPI's identity after resolve and the stem of its SQL objects: ``name``, or ``name_vN`` from version 2.

        A new version is a new set of objects next to the old ones, so the old version's
        history and exposed views stay as they were.
        """
        return self.name if self.version == 1 else f"{self.name}_v{self.version}"

    @property
    def key(self) -> str:
        """``name@version``: how the lock and ``trackgen diff`` name one version of a KPI."""
        return f"{self.name}@{self.version}"

    @property
    def label(self) -> str:
        """How messages name the KPI: ``name`` for version 1, else ``name@N`` (the syntax of a reference)."""
        return self.name if self.version == 1 else self.key

    @property
    def active(self) -> bool:
        return self.status == "active"

    @property
    def depends_on(self) -> tuple[str, ...]:
        """Other KPIs this one is computed from (their ``sql_name`` once resolved)."""
        names = [n for n in (self.numerator, self.denominator, self.base) if n]
        return tuple(sorted(set(names)))


@dataclass(frozen=True)
class Taxonomy:
    project: Project
    tiers: tuple[Tier, ...]
    events: tuple[Event, ...]  # sorted by id
    kpis: tuple[Kpi, ...]  # sorted by (name, version)

    def tier(self, name: str) -> Tier | None:
        return self._by_name[0].get(name)

    def event(self, event_id: str) -> Event | None:
        return self._by_name[1].get(event_id)

    def kpi(self, sql_name: str) -> Kpi | None:
        """The KPI whose ``sql_name`` this is (the name, for version 1): how resolved references name KPIs."""
        return self._by_name[2].get(sql_name)

    @cached_property
    def _by_name(self) -> tuple[dict[str, Tier], dict[str, Event], dict[str, Kpi]]:
        """Tiers, events and KPIs by name (the first of a name, as a scan would find): the planners
        look them up tens of thousands of times, and a scan of a thousand events each time added up."""
        tiers: dict[str, Tier] = {}
        events: dict[str, Event] = {}
        kpis: dict[str, Kpi] = {}
        for t in self.tiers:
            tiers.setdefault(t.name, t)
        for e in self.events:
            events.setdefault(e.id, e)
        for k in self.kpis:
            kpis.setdefault(k.sql_name, k)
        return tiers, events, kpis

    def can_send(self, caller_tier: str, event_tier: str) -> bool:
        """Whether a caller of ``caller_tier`` may send an event of ``event_tier``.

        Callers have a non-system tier; they may send events of their own tier and the
        tiers below it, and system events from any tier (the ingestion function's rule).
        """
        caller, event = self.tier(caller_tier), self.tier(event_tier)
        if caller is None or event is None or caller.system:
            return False
        return event.system or caller.rank >= event.rank

    @property
    def network_reader_tiers(self) -> tuple[str, ...]:
        """Caller tiers allowed to read network views: the configured tier and those above it."""
        callers = [t for t in self.tiers if not t.system]
        if not callers:
            return ()
        floor = self.tier(self.project.network_tier) if self.project.network_tier else callers[-1]
        rank = floor.rank if floor else callers[-1].rank
        return tuple(t.name for t in callers if t.rank >= rank)

    @cached_property  # a frozen taxonomy's answer never changes; asked once per KPI object
    def project_site_reader_tiers(self) -> tuple[str, ...]:
        """Caller tiers that may read site KPIs unless a KPI says otherwise: ``privacy.site_read_tiers``,
        else the clinic tier and those above it (consumers are end users: they read none by default),
        else, in a taxonomy without a clinic tier, the network reader tiers."""
        callers = [t for t in self.tiers if not t.system]
        wanted = self.project.site_read_tiers
        if wanted is None:
            clinic = next((t for t in callers if t.name == "clinic"), None)
            if clinic is None:
                return self.network_reader_tiers
            return tuple(t.name for t in callers if t.rank >= clinic.rank)
        return tuple(t.name for t in callers if t.name in wanted)

    def site_reader_tiers(self, kpi_name: str, _seen: frozenset[str] = frozenset()) -> tuple[str, ...]:
        """Caller tiers whose site-scoped reads of the KPI return rows, in tier order.

        The KPI's own ``site_read_tiers`` or the project's. A ratio shows its numerator's and
        denominator's values, so it is never readable by a tier that may not read both.
        Unknown and system tiers are dropped here; validation reports them."""
        kpi = self.kpi(kpi_name)
        if kpi is None:
            return ()
        callers = [t.name for t in self.tiers if not t.system]
        wanted = set(kpi.site_read_tiers if kpi.site_read_tiers is not None else self.project_site_reader_tiers)
        if kpi.type == "ratio":
            for part in (kpi.numerator, kpi.denominator):
                if part and part not in _seen | {kpi_name}:
                    wanted &= set(self.site_reader_tiers(part, _seen | {kpi_name}))
        return tuple(name for name in callers if name in wanted)
