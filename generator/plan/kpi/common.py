"""What every KPI type shares when it is lowered to catalog objects.

A stored KPI keeps, in the private schema, its own cache tables (declared by its
type), a site rollup ``kpi_<name>`` per (site, period, dimensions), and a network
table ``kpi_<name>_net`` per (network, period, dimensions) with the distinct
sites and actors behind each cell (for k-anonymity).  One refresh function
(``templates/sql/kpi/refresh.sql.j2`` around the type's own statements in
``templates/sql/kpi/<type>.sql.j2``) folds new events in under a watermark, one
pg_cron job runs it, and the exposed reads are:

- ``analytics.kpi_<name>`` (view) and ``analytics.kpi_<name>_between(from, to)``:
  the caller's own site, through private definer functions;
- ``analytics.network_<name>`` (view): the caller's network, k-anonymous.

Every name, SQL type, expression and quote is decided here; the templates print.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from ...catalog import MIGRATION_LOCK, Arg, Column, CronJob, DbObject, Function, Grant, Index, Origin, Row, Table, View
from ...model import Kpi, Selection, Taxonomy
from ...sqlquote import ident, literal, short_name, text_array
from ..bodies import macro, render
from ..database import Names, job_prefix, service_policy

GROUP = "60_kpis"
#: added to the network table's generation under ``storage: materialized_view``: a storage switch
#: rebuilds it (and resets the KPI's watermark), like any change of what a cache means
STORAGE_GENERATION = 100
BUILTIN = {"tier": ("tier", "e.actor_tier"), "event": ("event_id", "e.event_id")}
#: rollup columns a dimension may not be named like (E313 in resolve)
XID = Column("ingest_xid", "xid8", not_null=True, default="pg_current_xact_id()")
#: the real-time reads (``kpi_<name>_live``) read at most this many events past a KPI's watermark
#: (every site's, in the requested periods); beyond it a read returns the refreshed cells only
LIVE_TAIL_CAP = 10_000
#: run-time settings of the real-time read functions (and of the other private reads, ``cached_read``):
#: planned once per session (a custom plan of the
#: tail over every monthly partition cost about 1 ms per call, 20 times its execution at 10M). The
#: tail's ``order by ingest_xid limit`` keeps the generic plan on the ingest_xid indexes although it
#: cannot know the watermark.
#: No parallel workers: a one-site read launched two for the tail at 1M (a generic plan's guess), about
#: 13 ms of worker start-up for a read of a few rows.
LIVE_SETTINGS = (("search_path", "''"), ("plan_cache_mode", "force_generic_plan"),
                 ("max_parallel_workers_per_gather", "0"))


#: How a cache stores an actor: the first 64 bits of the keyed hash, as a bigint.  Per-actor rows
#: are most of the caches' bytes, and each is stored twice (heap and unique key); 8 bytes instead of
#: the hash's 33 took ``kpi_daily_active_actors_facts`` from 274 to about 190 bytes a row at 10M
#: events.  Distinct counts stay exact unless two actors of one cell share those 64 bits: about
#: n^2 / 2^65 for a cell of n actors (1e-10 at 50k actors).  The event store keeps the whole hash.
ACTOR_TYPE = "bigint"


def key_order(columns: tuple[str, ...], key: tuple[str, ...]) -> str:
    """``order by`` for an insert into a cache: its rows (``columns``, in insert order) in the order
    of the table's unique ``key``, by position.

    A btree filled in key order packs its leaves (each split at the rightmost page leaves it 90%
    full); filled in hash order it splits mid-page and ends about 70% full.  A backfill writes
    millions of rows in one insert, so this sets the keys' size for good, and the sorted insert is
    also the faster one (fewer pages touched per row)."""
    return "order by " + ", ".join(str(columns.index(c) + 1) for c in key)


#: The unique key of a cache keyed (site_id, period, ...): its leaves packed full.  A backfill
#: writes them in key order (key_order), and afterwards new rows enter only at the end of a site's
#: range (today's periods, late events a few days back), where pages split anyway: the default 90%
#: left a tenth of every backfilled leaf empty for inserts that never come.  Only facts and funnel
#: attempts are keyed so.  Keys that new rows enter anywhere (funnel steps and retention rows by
#: actor, percentile values by event key, rolling runs by member) keep the default: packed full,
#: their first inserts would split page after page until they were about as full as before.
PACKED_KEY = " with (fillfactor = 100)"


def actor_key(alias: str) -> str:
    """The cache's actor (ACTOR_TYPE) of an event row ``alias``: its hash's first 8 bytes, big-endian."""
    return f"('x' || encode(substr({alias}.actor_hash, 1, 8), 'hex'))::bit(64)::bigint"


#: what a cache stores for a payload dimension the event does not carry: never null, so every join on a
#: dimension is a plain equality (hash, merge and index keys) instead of ``is not distinct from``.
#: Enum values are never empty (the events schema says minLength 1); reads turn it back into null.
MISSING = "''"


@dataclass(frozen=True)
class Dim:
    column: str  # quoted identifier
    expr: str  # SQL over the events alias e (never null)
    type: str = "text"
    missing: str | None = None  # the stored stand-in for "no value" (payload dimensions), read back as null

    def read(self, alias: str) -> str:
        """The dimension as a read returns it: null where the event had no value."""
        if self.missing is None:
            return f"{alias}.{self.column}"
        return f"nullif({alias}.{self.column}, {self.missing}) as {self.column}"


def sql_name(kpi: Kpi) -> str:
    """The base of a KPI's SQL names: its name, plus ``_v<N>`` from version 2 on."""
    return kpi.sql_name


def dims_of(kpi: Kpi) -> list[Dim]:
    out = []
    for name in kpi.by:
        if name == "site":  # every site-scoped row already carries site_id; network views drop it
            continue
        if name in BUILTIN:
            col, expr = BUILTIN[name]
        else:
            out.append(Dim(ident(name), f"coalesce(e.payload ->> {literal(name)}, {MISSING})", missing=MISSING))
            continue
        out.append(Dim(ident(col), expr))
    return out


def window_days(text: str) -> int:
    m = re.fullmatch(r"\s*(\d+)\s*(day|days|week|weeks)\s*", text or "")
    if not m:
        raise ValueError(f"cannot read window {text!r}")
    n = int(m.group(1))
    return n * 7 if m.group(2).startswith("week") else n


def period_expr(grain: str, tz: str) -> str:
    return f"date_trunc({literal(grain)}, e.occurred_at at time zone {literal(tz)})::date"


def prefixed(alias: str, dims: list[Dim]) -> str:
    return "".join(f", {alias}.{d.column}" for d in dims)


def join_on(left: str, right: str, dims: list[Dim], extra: tuple[str, ...] = ("period",), *,
            reads: bool = False) -> str:
    """Rows of one cell. Caches never hold a null dimension (``MISSING``), so the join is a plain
    equality; ``reads=True`` joins the rows of read functions, which return a missing value as null."""
    op = "is not distinct from" if reads else "="
    conds = [f"{left}.{c} = {right}.{c}" for c in extra]
    conds += [f"{left}.{d.column} {op} {right}.{d.column}" for d in dims]
    return " and ".join(conds)


class EventSets:
    """KPI event selections held as rows of ``kpi_event_sets``, so a new event matched by a wildcard
    (``consumer.*``) is one new row, not a rewritten refresh function."""

    def __init__(self, names: Names):
        self.table = f"{names.priv}.kpi_event_sets"
        self.names = names
        self.rows: list[Row] = []

    def filter(self, set_name: str, selection: Selection, origin: Origin) -> str:
        """SQL over events alias e: the event is in the set (plus the selection's tier and field filters)."""
        for event_id in sorted(selection.events):
            self.rows.append(Row(self.names.priv, "kpi_event_sets", ("set_name", "event_id"),
                                 (literal(set_name), literal(event_id)), key_columns=2, removable=True,
                                 group=GROUP, origin=origin))
        parts = [f"e.event_id in (select s.event_id from {self.table} as s where s.set_name = {literal(set_name)})"]
        if selection.tiers:
            parts.append(f"e.actor_tier = any ({text_array(sorted(selection.tiers))})")
        for name, values in selection.where:
            parts.append(f"(e.payload ->> {literal(name)}) = any ({text_array(filter_texts(values))})")
        return "\n      and ".join(parts)


def filter_texts(values: tuple[object, ...]) -> list[str]:
    """A payload filter's values as the payload's text form (``->>`` in PostgreSQL, JSON text in
    ClickHouse): booleans as true/false, sorted and without repeats."""
    return sorted({("true" if v else "false") if isinstance(v, bool) else str(v) for v in values})


class KpiPlan:
    """One KPI lowered to catalog objects.  Subclasses (one module per type) add their tables and SQL."""

    type = ""
    stored = True
    #: bumped when a fix changes what this type's stored caches mean, so an upgraded database
    #: drops and rebuilds them from the event store (Table.generation, recorded in the lock)
    generation = 1

    def __init__(self, kpi: Kpi, taxonomy: Taxonomy, names: Names, sets: EventSets, plans: dict[str, KpiPlan]):
        self.kpi = kpi
        self.taxonomy = taxonomy
        self.n = names
        self.sets = sets
        self.plans = plans
        self.name = kpi.label  # "name", or "name@N" from version 2 on
        self.base_name = sql_name(kpi)
        self.origin = Origin(f"kpi:{kpi.sql_name}", kpi.span)
        #: an event's actor as the caches store it (events alias ``e``)
        self.actor = actor_key("e")
        self.tz = taxonomy.project.timezone
        self.name_literal = literal(self.base_name)
        self.lock_key = literal("trackgen.kpi." + self.base_name)
        self.migration_lock_key = literal(MIGRATION_LOCK)
        #: docs/storage.md; the materialized views have names of their own, so a storage switch builds
        #: the new caches next to the old ones, switches the reads and drops the old ones last
        self.matview = kpi.storage == "materialized_view"
        self.matviews: list[str] = []
        self.rollup = self.sql("kpi_{}_mv" if self.matview else "kpi_{}")
        self.facts = self.sql("kpi_{}_mv_facts" if self.matview else "kpi_{}_facts")
        self.net = self.sql("kpi_{}_net")
        self.refresh_fn = self.sql("refresh_kpi_{}")
        self.caller_fn = self.sql("kpi_{}_for_caller")
        self.between_fn = self.sql("kpi_{}_between")
        self.live_fn = self.sql("kpi_{}_live")
        self.network_fn = self.sql("network_{}_cells")
        self.view = self.sql("kpi_{}")
        self.between_view = self.sql("kpi_{}_between")
        self.live_view = self.sql("kpi_{}_live")
        #: how the real-time read gets its cells: "exact" (rollup + tail) or "refreshed" (rollup only)
        self.live = "refreshed"
        self.live_macro = "refreshed"
        self.live_cap = LIVE_TAIL_CAP
        self.network_view = self.sql("network_{}")
        self.suppress_fn = self.sql("kpi_{}_suppress")  # its family's, when it is the family's first member
        self.job = short_name(job_prefix(taxonomy) + "refresh_" + self.base_name)
        self.declare: list[tuple[str, str]] = [("t_nets", "uuid[]"), ("t_periods", "date[]")]
        self.inputs_refresh: list[str] = []
        self.period_cap_r = self.period_cap_m = ""
        # caller tiers whose site reads return rows (privacy.site_read_tiers; decided in model.py)
        self.site_readers = text_array(taxonomy.site_reader_tiers(kpi.sql_name))
        self.tier_claim = names.tier_claim
        self.read_group = ""
        self.k_anon = taxonomy.project.k_anonymity
        #: the family this KPI is suppressed with (families.plan_families), or None: its type's own rules
        self.family = None
        #: network cells: extra stored columns (after sites, actors) and a hiding rule applied at read time
        self.net_extra_cols = ""
        self.tails = False
        self.suppressed_expr = "m.hidden"
        self.covers: list = []  # families.Cover: finer cells a network cell holds (set by plan_covers)
        self.set_dims(dims_of(kpi))

    # -- naming ---------------------------------------------------------------------------
    def sql(self, pattern: str) -> str:
        return ident(short_name(pattern.format(self.base_name)))

    def set_dims(self, dims: list[Dim], kdims: list[Dim] | None = None) -> None:
        """Derived fragments over the cell dimensions (the network cell key is (network_id, period, kdims))."""
        self.dims = dims
        self.kdims = dims if kdims is None else kdims
        self.dim_cols = "".join(f", {d.column}" for d in dims)
        self.group_by = ", ".join(str(i) for i in range(1, 3 + len(dims)))
        self.order_dims = "".join(f', c.{d.column}' + (' collate "C"' if d.type == "text" else "") for d in dims)
        for alias in ("r", "f", "t", "v", "x", "b", "c", "u", "fresh", "keys", "n", "d"):
            setattr(self, f"{alias}_dims", prefixed(alias, dims))
        self.r_dims = "".join(", " + d.read("r") for d in dims)  # reads: a missing value is null again
        self.join_dims = "".join(f" and f.{d.column} = a.{d.column}" for d in dims)
        self.vp_join = join_on("v", "p", dims, ("network_id", "period"))
        self.keys_n = join_on("keys", "n", dims, ("site_id", "period"), reads=True)
        self.keys_d = join_on("keys", "d", dims, ("site_id", "period"), reads=True)
        self.nd_join = join_on("n", "d", dims, reads=True)

    def dim_columns(self, not_null: bool = True) -> tuple[Column, ...]:
        return tuple(Column(d.column, d.type, not_null=not_null) for d in self.dims)

    # -- what a type declares ---------------------------------------------------------------
    def value_columns(self) -> tuple[Column, ...]:
        """The value columns of the site rollup (after site_id, period, dimensions)."""
        return (Column("value", "bigint", not_null=True),)

    def read_columns(self) -> tuple[tuple[str, str], ...]:
        """The value columns a site or network read returns, (name, type)."""
        return (("value", "bigint"),)

    def net_value_columns(self) -> tuple[Column, ...]:
        return (Column("value", "bigint", not_null=True),)

    def net_extra_columns(self) -> tuple[Column, ...]:
        """Stored per network cell after sites and actors, besides ``hidden`` (which is last)."""
        return ()

    def net_read_columns(self) -> tuple[tuple[str, str], ...]:
        """A network read: the value columns (null in a hidden cell), then whether the cell is hidden."""
        return self.read_columns() + (("suppressed", "boolean"),)

    @staticmethod
    def masked(expr: str, also: str = "") -> str:
        """``expr`` in a network read, null when the cell (or, with ``also``, that value) is hidden."""
        return f"case when r.suppressed{' or ' + also if also else ''} then null else {expr} end"

    def cache_tables(self) -> list[DbObject]:
        """Tables and indexes the type keeps besides the rollup and the network table."""
        return []

    def rollup_table(self) -> Table:
        return self.cache(self.rollup, (Column("site_id", "uuid", not_null=True), Column("period", "date", not_null=True))
                          + self.dim_columns() + self.value_columns() + (XID,),
                          f"constraint {self.sql('kpi_{}_key')} unique nulls not distinct (site_id, period{self.dim_cols})",
                          self.kpi.description)

    def rollup_indexes(self) -> list[Index]:
        """Indexes on the site rollup besides its unique key."""
        return []

    def net_indexes(self) -> list[Index]:
        """Indexes on the network table besides its unique key."""
        return []

    # -- helpers for subclasses --------------------------------------------------------------
    def cache(self, name: str, columns: tuple[Column, ...], constraint: str, comment: str) -> Table:
        return Table(self.n.priv, name, columns, (constraint,), role="cache", comment=literal(comment),
                     grants=(Grant("all", ("service_role",)),), generation=self.generation,
                     on_rebuild=f"update {self.n.priv}.kpi_watermarks set next_xid = '0'::xid8 "
                                f"where kpi = {self.name_literal}",
                     group=GROUP, origin=self.origin)

    def index(self, pattern: str, table: str, columns: str) -> Index:
        return Index(self.n.priv, self.sql(pattern), f"{self.n.priv}.{table}", columns, group=GROUP, origin=self.origin)

    def fn(self, schema: str, name: str, args: tuple[Arg, ...], returns: str, query: str, *, security: str,
           grants: tuple[str, ...], calls: tuple[str, ...] = (), comment: str | None = None,
           language: str = "sql") -> Function:
        return Function(schema, name, args, returns, query, language=language, security=security,
                        grants=(Grant("execute", grants),) if grants else (), calls=calls,
                        comment=literal(comment) if comment else None, group=GROUP, origin=self.origin)

    def result_columns(self, site: bool) -> list[tuple[str, str]]:
        """A site or network read's columns, (name, type)."""
        return ([("site_id", "uuid")] if site else []) + [("period", "date")] + \
            [(d.column, d.type) for d in self.dims] + list(self.read_columns() if site else self.net_read_columns())

    def returns(self, site: bool) -> str:
        return "table (" + ", ".join(f"{c} {t}" for c, t in self.result_columns(site)) + ")"

    def returns_live(self) -> str:
        """A real-time read's columns: the site read's, then ``as_of``."""
        return self.returns(True)[:-1] + ", as_of timestamptz)"

    def view_columns(self, site: bool) -> tuple[tuple[str, str], ...]:
        return tuple((c.strip('"'), t) for c, t in self.result_columns(site))

    # -- lowering ----------------------------------------------------------------------------
    def net_table(self) -> Table:
        """Per network cell: the value across its sites, the distinct sites and actors behind it, and
        whether the network view hides it.  Its generation carries the storage, so switching it rebuilds
        the network cells and resets the watermark (generator/delta.py)."""
        table = self.cache(
            self.net, (Column("network_id", "uuid", not_null=True), Column("period", "date", not_null=True))
            + self.dim_columns() + self.net_value_columns()
            + (Column("sites", "bigint", not_null=True), Column("actors", "bigint", not_null=True))
            + self.net_extra_columns() + (Column("hidden", "boolean", not_null=True, default="true"),),
            f"constraint {self.sql('kpi_{}_net_key')} unique nulls not distinct (network_id, period{self.dim_cols})",
            f"KPI {self.name}: per network cell, the value across its sites, the distinct sites and actors "
            "behind it, and whether the network view hides it (k-anonymity, suppressed with its family).")
        return replace(table, generation=self.generation + (STORAGE_GENERATION if self.matview else 0))

    def incremental_objects(self) -> list[DbObject]:
        """``storage: incremental``: cache tables folded in from a watermark by refresh.sql.j2."""
        p = self.n.priv
        tables = self.cache_tables() + [self.rollup_table()] + self.rollup_indexes()
        #: analysed after a backfill's inserts, before the statements that read them (backfill.sql.j2)
        self.cache_names = [t.name for t in tables if isinstance(t, Table)]
        tables.append(self.net_table())
        tables += self.net_indexes()
        out: list[DbObject] = list(tables)
        out += [service_policy(p, t.name, GROUP, self.origin) for t in tables if isinstance(t, Table)]
        out.append(Function(p, self.refresh_fn, (), "bigint",
                            render("sql/kpi/refresh.sql.j2", k=self, priv=p),
                            language="plpgsql", volatility="volatile", security="definer",
                            comment=literal(f"Folds new events into KPI {self.name}; run by its pg_cron job."),
                            grants=(Grant("execute", ("service_role",)),),
                            calls=tuple(f"{c}()" for c in self.inputs_refresh),
                            group=GROUP, origin=self.origin))
        return out

    def objects(self, k_anon: int, read_roles: tuple[str, ...]) -> list[DbObject]:
        p = self.n.priv
        out: list[DbObject] = []
        dates = (Arg('"from"', "date"), Arg('"to"', "date"))
        if self.stored:
            out.append(Row(p, "kpi_watermarks", ("kpi",), (self.name_literal,), group=GROUP, origin=self.origin))
            if self.matview:
                from . import matview  # it builds on this module
                out += matview.objects(self)
            else:
                out += self.incremental_objects()
            reads = "sql/kpi/reads.sql.j2"
            out.append(self.cached_read(p, self.caller_fn, (), True, macro(reads, "site", self, p),
                                        read_roles, f"KPI {self.name} for the caller's own site (JWT claim)."))
            out.append(self.cached_read(p, self.between_fn, dates, True,
                                        macro(reads, "site", self, p, True), read_roles,
                                        f"KPI {self.name} for the caller's own site, periods in [from, to]."))
            out.append(self.live_function(p, dates, read_roles))
            out.append(self.cached_read(p, self.network_fn, (), False,
                                        macro(reads, "network", self, p, k_anon), read_roles,
                                        f"KPI {self.name} across the caller's network, k-anonymous (k = {k_anon}): "
                                        "hidden cells have null values and suppressed = true."))
        out += self.exposed(read_roles, dates)
        return out

    def cached_read(self, p: str, name: str, args: tuple[Arg, ...], site: bool, query: str,
                    read_roles: tuple[str, ...], comment: str) -> Function:
        """A private definer read whose plan is made once per session.

        A SQL-language function with a SET clause (every definer here sets search_path) is never
        inlined and plans its query again on every call: about 0.3 ms of a 0.66 ms read of a rare
        event's rollup at 10M events, which kept that read under 100x its raw aggregate (B3).
        PL/pgSQL caches the plan of ``return query``, and LIVE_SETTINGS make it the generic one at
        once (the site and period bounds are parameters the unique key takes as they come).
        ``return query`` takes no implicit cast (a SQL function's result did), so each column, named
        by position, is cast to its declared type."""
        cols = self.result_columns(site)
        select = ", ".join(f"q.{c}::{t}" for c, t in cols)
        names = ", ".join(c for c, _ in cols)
        body = macro("sql/kpi/reads.sql.j2", "cached", query.strip().removesuffix(";"), select, names)
        return self.plpgsql_read(p, name, args, self.returns(site), body, read_roles, comment)

    def plpgsql_read(self, p: str, name: str, args: tuple[Arg, ...], returns: str, body: str,
                     read_roles: tuple[str, ...], comment: str) -> Function:
        """A private PL/pgSQL definer read run with LIVE_SETTINGS (one generic plan per session)."""
        return Function(p, name, args, returns, body, language="plpgsql", security="definer",
                        settings=LIVE_SETTINGS, grants=(Grant("execute", read_roles),), comment=literal(comment),
                        group=GROUP, origin=self.origin)

    LIVE_COMMENT = ("KPI {}, real time: the caller's own site, periods in [from, to], including events not yet "
                    "refreshed; as_of: every event committed by then is counted.")

    def live_function(self, p: str, dates: tuple[Arg, ...], read_roles: tuple[str, ...]) -> Function:
        """The private definer behind ``analytics.kpi_<name>_live``: rollup plus tail (exact), or the
        refreshed cells with their refresh time."""
        body = macro("sql/kpi/live.sql.j2", self.live_macro, self, p)
        if self.live == "exact":
            return self.plpgsql_read(p, self.live_fn, dates, self.returns_live(), body, read_roles,
                                     self.LIVE_COMMENT.format(self.name))
        return self.fn(p, self.live_fn, dates, self.returns_live(), body, security="definer", grants=read_roles,
                       calls=(f"{p}.{self.between_fn}(date, date)",),
                       comment=f"KPI {self.name}, refreshed cells for the caller's own site, periods in [from, to]; "
                               "as_of: when they were last refreshed.")

    def exposed(self, read_roles: tuple[str, ...], dates: tuple[Arg, ...]) -> list[DbObject]:
        p, pub = self.n.priv, self.n.pub
        grants = (Grant("select", read_roles),)
        caller, between, network = (f"{p}.{self.caller_fn}()", f"{p}.{self.between_fn}(date, date)",
                                    f"{p}.{self.network_fn}()")
        live = f"{p}.{self.live_fn}(date, date)"
        return [
            View(pub, self.view, f"  select * from {caller}", self.view_columns(True),
                 comment=literal(f"KPI {self.name}: {self.kpi.description}"), grants=grants, reads=(caller,),
                 group=GROUP, origin=self.origin),
            self.forward(pub, self.between_view, dates, self.returns(True), f"{p}.{self.between_fn}", between,
                         read_roles, f"KPI {self.name} for the caller's own site, periods in [from, to]."),
            self.forward(pub, self.live_view, dates, self.returns_live(), f"{p}.{self.live_fn}", live,
                         read_roles, self.live_comment()),
            View(pub, self.network_view, f"  select * from {network}", self.view_columns(False),
                 comment=literal(f"KPI {self.name} across the caller's network; small cells hidden."),
                 grants=grants, reads=(network,), group=GROUP, origin=self.origin),
        ]

    def forward(self, schema: str, name: str, args: tuple[Arg, ...], returns: str, target: str, signature: str,
                read_roles: tuple[str, ...], comment: str) -> Function:
        """An exposed (invoker) function that returns the rows of the private read ``target``.

        In PL/pgSQL, not SQL: a SQL function with a SET clause (search_path, which every function
        here fixes) is never inlined, so PostgreSQL 15 parsed and planned its one statement on every
        call, about 20 us of a 0.25 ms one-row read at 1M events, and 50 to 80 us of a 561-row one
        (the SQL function's own result handling). PL/pgSQL plans ``return query`` once per session."""
        call = f'{target}({", ".join(a.name for a in args)})'
        return self.fn(schema, name, args, returns, macro("sql/kpi/reads.sql.j2", "forward", call),
                       security="invoker", grants=read_roles, calls=(signature,), comment=comment,
                       language="plpgsql")

    def stored_inputs(self) -> list[str]:
        """The stored KPIs (watermark rows) this KPI's reads come from."""
        return [self.base_name] if self.stored else []

    def live_comment(self) -> str:
        if self.live == "exact":
            return self.LIVE_COMMENT.format(self.name)
        return (f"KPI {self.name} for the caller's own site, periods in [from, to]: the refreshed cells (a "
                f"{self.type} KPI has no real-time tail); as_of: when they were last refreshed.")

    def cron(self) -> CronJob | None:
        if not self.stored:
            return None
        how = "materialized-view refresh" if self.matview else "incremental refresh"
        return CronJob(literal(self.job), literal(self.kpi.refresh), literal(f"select {self.n.priv}.{self.refresh_fn}()"),
                       f'{how} of KPI "{self.name}" ({self.type})', group="90_cron", origin=self.origin)


class EventKpi(KpiPlan):
    """A KPI read straight from the event store (count, distinct_actors, percentile)."""

    def __init__(self, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        kpi = self.kpi
        assert kpi.selection is not None
        self.period = period_expr(kpi.grain, self.tz)
        self.filter = self.sets.filter(self.base_name, kpi.selection, self.origin)
        self.dim_exprs = "".join(f", {d.expr}" for d in self.dims)
        self.dim_exprs_as = "".join(f", {d.expr} as {d.column}" for d in self.dims)
        #: facts rows (site_id, period, dimensions, actor_hash, network_id) in their unique key's order
        facts = ("site_id", "period", *(d.column for d in self.dims), "actor_hash", "network_id")
        self.facts_order = key_order(facts, facts)
        self.read_vals = ", r.value"
        self.net_vals = f", {self.masked('r.value')} as value"
        #: the events behind a network cell, one row per (site, actor): what a hidden remainder protects
        self.member_table = self.facts
        self.member_period = "m.period = p.period"
        if not self.matview:  # a materialized view's live read serves its refreshed cells
            self.live = "exact"
            self.live_macro = self.type
        self.tz_literal = literal(self.tz)
        self.grain_interval = literal(f"1 {kpi.grain}")

    def rollup_indexes(self) -> list[Index]:
        # a rolling KPI over this one reads the rollup rows written since its watermark
        return [self.index("kpi_{}_xid_idx", self.rollup, "(ingest_xid)")]

    def facts_table(self) -> list[DbObject]:
        """Distinct actors per (site, period, dimensions, network): for distinct counts and suppression."""
        return [
            self.cache(self.facts, (Column("site_id", "uuid", not_null=True), Column("period", "date", not_null=True))
                       + self.dim_columns() + (Column("actor_hash", ACTOR_TYPE, not_null=True), Column("network_id", "uuid"),
                                               XID),
                       f"constraint {self.sql('kpi_{}_facts_key')} unique nulls not distinct "
                       f"(site_id, period{self.dim_cols}, actor_hash, network_id){PACKED_KEY}",
                       f"KPI {self.name}: the distinct actors of each (site, period, dimensions) cell."),
            self.index("kpi_{}_facts_xid_idx", self.facts, "(ingest_xid)"),
            self.index("kpi_{}_facts_net_idx", self.facts, f"(network_id, period{self.dim_cols})"),
        ]
