"""The catalog: a typed list of every database object trackgen builds.

The plan lowers the taxonomy to these objects; everything downstream reads them:
the SQL printer (``templates/sql/catalog.sql.j2``) prints the declarative state
and the migrations, the migration planner (``generator/delta.py``) diffs them
against the released catalog recorded in the lock, the SQL linter qualifies the
queries in them, and the docs and a second engine walk them.

Every object has a ``key`` (its identity in the database, e.g.
``function analytics_private.check_x(jsonb)``) and ``parts``: the separately
changeable pieces of its definition (a table's columns, its comment, its grants
...).  The lock keeps a digest per part, so a migration touches exactly the
parts that changed.  Names and SQL text in objects are already quoted: the plan
decides quoting, the printer only prints.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import ClassVar

from .diagnostics import Span

#: roles the exposed API uses; revoked from every object before explicit grants
API_ROLES = ("anon", "authenticated")

#: advisory lock key shared by migrations and KPI refreshes: a migration takes it exclusively for its
#: whole transaction, every refresh takes it shared first, so a refresh never runs beside a migration
#: that rebuilds the caches it reads (which could deadlock on the watermark rows and the dropped tables)
MIGRATION_LOCK = "trackgen.migrations"


@dataclass(frozen=True)
class Origin:
    """The taxonomy entity an object was generated for: ``core``, ``event:<id>`` or ``kpi:<name>``."""

    entity: str = "core"
    span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Column:
    name: str  # quoted identifier
    type: str
    not_null: bool = False
    default: str | None = None
    check: str | None = None
    references: str | None = None  # "schema.table (column)"
    comment: str | None = None  # a SQL comment printed above the column (why it exists)

    def definition(self) -> str:
        parts = [self.name, self.type]
        if self.not_null:
            parts.append("not null")
        if self.default is not None:
            parts.append(f"default {self.default}")
        if self.check is not None:
            parts.append(f"check ({self.check})")
        if self.references is not None:
            parts.append(f"references {self.references}")
        return " ".join(parts)


@dataclass(frozen=True)
class Arg:
    name: str  # quoted identifier
    type: str
    default: str | None = None


@dataclass(frozen=True)
class Grant:
    privilege: str  # select, all, execute, usage
    roles: tuple[str, ...]


#: what ``json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)`` builds on every call
_DIGEST_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str).encode


def _digest(value: object) -> str:
    return hashlib.sha256(_DIGEST_JSON(value).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class DbObject:
    """Base of every catalog object.  ``group`` names the declarative file it belongs to."""

    kind: ClassVar[str] = "object"
    group: str = field(default="core", kw_only=True)
    origin: Origin = field(default_factory=Origin, kw_only=True, compare=False)

    @property
    def key(self) -> str:
        raise NotImplementedError

    def parts(self) -> dict[str, object]:
        """The independently changeable pieces of the definition (JSON-able)."""
        raise NotImplementedError

    def digests(self) -> dict[str, str]:
        # asked by the snapshot, the delta and the docs: a frozen object's parts never change
        cached = self.__dict__.get("_digests")
        if cached is None:
            cached = {name: _digest(value) for name, value in sorted(self.parts().items())}
            self.__dict__["_digests"] = cached
        return dict(cached)


@dataclass(frozen=True)
class Extension(DbObject):
    kind: ClassVar[str] = "extension"
    name: str
    schema: str | None = None

    @property
    def key(self) -> str:
        return f"extension {self.name}"

    def parts(self) -> dict[str, object]:
        return {"definition": [self.name, self.schema]}


@dataclass(frozen=True)
class Schema(DbObject):
    kind: ClassVar[str] = "schema"
    name: str
    comment: str | None = None  # SQL literal
    usage: tuple[str, ...] = ()  # roles granted usage

    @property
    def key(self) -> str:
        return f"schema {self.name}"

    def parts(self) -> dict[str, object]:
        return {"definition": self.name, "comment": self.comment, "grants": list(self.usage)}


@dataclass(frozen=True)
class Table(DbObject):
    """A table.  ``role`` says what a migration may do to it:

    - ``source``: holds data nothing else can rebuild (the event store, keys,
      counters, secrets): columns are only ever added;
    - ``reference``: controlled rows seeded from the taxonomy: same rule;
    - ``cache``: derived from the store (KPI rollups): may be dropped and rebuilt,
      after which ``on_rebuild`` runs (e.g. resetting the KPI's watermark).
    """

    kind: ClassVar[str] = "table"
    schema: str
    name: str
    columns: tuple[Column, ...]
    constraints: tuple[str, ...] = ()  # "constraint x primary key (...)" lines
    role: str = "source"
    partition_by: str | None = None  # "range (occurred_at)"
    partition_of: str | None = None  # parent "schema.table" (then bound is "default" or a range)
    comment: str | None = None  # SQL literal
    grants: tuple[Grant, ...] = ()
    rls: bool = True
    on_rebuild: str | None = None  # SQL run after a cache table was rebuilt
    #: bumped by the planner when a cache's meaning changes (a KPI fix), so upgraded databases rebuild it
    generation: int = 1

    @property
    def key(self) -> str:
        return f"table {self.qualified}"

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    def parts(self) -> dict[str, object]:
        return {
            "columns": {c.name: c.definition() for c in self.columns},
            "shape": [list(self.constraints), self.partition_by, self.partition_of, self.role, self.generation],
            "comment": self.comment,
            "grants": [[g.privilege, list(g.roles)] for g in self.grants],
            "rls": self.rls,
        }


@dataclass(frozen=True)
class Index(DbObject):
    kind: ClassVar[str] = "index"
    schema: str
    name: str
    table: str  # "schema.table"
    columns: str  # "(site_id, occurred_at)"
    unique: bool = False
    where: str | None = None

    @property
    def key(self) -> str:
        return f"index {self.schema}.{self.name}"

    def parts(self) -> dict[str, object]:
        return {"definition": [self.table, self.columns, self.unique, self.where]}


@dataclass(frozen=True)
class Function(DbObject):
    kind: ClassVar[str] = "function"
    schema: str
    name: str
    args: tuple[Arg, ...]
    returns: str
    body: str
    language: str = "sql"
    volatility: str = "stable"
    security: str = "invoker"
    settings: tuple[tuple[str, str], ...] = (("search_path", "''"),)
    comment: str | None = None  # SQL literal
    grants: tuple[Grant, ...] = ()
    #: private functions this one calls, so a recreated one is recreated before its callers
    calls: tuple[str, ...] = ()

    @property
    def signature(self) -> str:
        return f"{self.schema}.{self.name}({', '.join(a.type for a in self.args)})"

    @property
    def key(self) -> str:
        return f"function {self.signature}"

    def parts(self) -> dict[str, object]:
        return {
            "signature": [[a.name, a.type, a.default] for a in self.args] + [self.returns],
            "body": [self.body, self.language, self.volatility, self.security, [list(s) for s in self.settings]],
            "comment": self.comment,
            "grants": [[g.privilege, list(g.roles)] for g in self.grants],
        }


@dataclass(frozen=True)
class View(DbObject):
    kind: ClassVar[str] = "view"
    schema: str
    name: str
    query: str
    columns: tuple[tuple[str, str], ...] = ()  # (name, type), for the docs and the dashboard
    security_invoker: bool = True
    comment: str | None = None
    grants: tuple[Grant, ...] = ()
    reads: tuple[str, ...] = ()  # function signatures the query calls (its dependencies)

    @property
    def key(self) -> str:
        return f"view {self.schema}.{self.name}"

    def parts(self) -> dict[str, object]:
        return {
            "definition": [self.query, self.security_invoker],
            "comment": self.comment,
            "grants": [[g.privilege, list(g.roles)] for g in self.grants],
        }


@dataclass(frozen=True)
class MaterializedView(DbObject):
    """A private materialized view: a KPI cache stored as ``materialized_view`` (docs/storage.md).

    Like a cache table it may be dropped and built again (a changed query, or a table it reads being
    rebuilt); it is never exposed (no RLS on materialized views): reads go through the private definer
    functions, as for the incremental caches.
    """

    kind: ClassVar[str] = "matview"
    schema: str
    name: str
    query: str
    columns: tuple[Column, ...] = ()  # what the query returns (for sqlglot and the docs)
    comment: str | None = None  # SQL literal
    grants: tuple[Grant, ...] = ()
    reads: tuple[str, ...] = ()  # "schema.name" of the caches the query reads (rebuilt with them)

    @property
    def key(self) -> str:
        return f"matview {self.qualified}"

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    def parts(self) -> dict[str, object]:
        return {
            "definition": [self.query, [c.definition() for c in self.columns]],
            "comment": self.comment,
            "grants": [[g.privilege, list(g.roles)] for g in self.grants],
        }


@dataclass(frozen=True)
class Policy(DbObject):
    kind: ClassVar[str] = "policy"
    schema: str
    table: str  # unqualified table name
    name: str
    roles: tuple[str, ...]
    command: str = "all"
    using: str = "true"
    check: str | None = "true"

    @property
    def key(self) -> str:
        return f"policy {self.schema}.{self.table}.{self.name}"

    def parts(self) -> dict[str, object]:
        return {"definition": [self.roles, self.command, self.using, self.check]}


@dataclass(frozen=True)
class Row(DbObject):
    """One controlled row of a table (a tier, an event type, a KPI's event set member).

    ``values`` are SQL literals in column order; the first ``key_columns`` columns
    identify the row.  ``update`` lists the columns an upsert refreshes (empty:
    insert only).  ``removable`` rows may be deleted when they leave the taxonomy
    (wildcard memberships); others never are.
    """

    kind: ClassVar[str] = "row"
    schema: str
    table: str
    columns: tuple[str, ...]
    values: tuple[str, ...]
    key_columns: int = 1
    update: tuple[str, ...] = ()
    removable: bool = False

    @property
    def key(self) -> str:
        ident = ",".join(self.values[: self.key_columns])
        return f"row {self.schema}.{self.table}[{ident}]"

    def parts(self) -> dict[str, object]:
        return {"definition": list(self.values), "shape": [list(self.columns), self.key_columns, list(self.update)]}


@dataclass(frozen=True)
class CronJob(DbObject):
    kind: ClassVar[str] = "cron"
    name: str  # SQL literal
    schedule: str  # SQL literal
    command: str  # SQL literal
    comment: str = ""

    @property
    def key(self) -> str:
        return f"cron {self.name}"

    def parts(self) -> dict[str, object]:
        return {"definition": [self.schedule, self.command]}


@dataclass(frozen=True)
class Statement(DbObject):
    """A re-runnable statement with no object of its own (default privileges, a first partition run)."""

    kind: ClassVar[str] = "statement"
    name: str
    sql: str
    comment: str = ""

    @property
    def key(self) -> str:
        return f"statement {self.name}"

    def parts(self) -> dict[str, object]:
        return {"definition": self.sql}


@dataclass(frozen=True)
class Catalog:
    """Every object, in apply order (a dependency always comes before what needs it)."""

    objects: tuple[DbObject, ...]

    def __post_init__(self) -> None:
        seen: dict[str, DbObject] = {}
        for obj in self.objects:
            if obj.key in seen:
                raise ValueError(f"two catalog objects share the key {obj.key}")
            seen[obj.key] = obj

    def by_key(self) -> dict[str, DbObject]:
        return {o.key: o for o in self.objects}

    def of(self, cls: type) -> list:
        # the docs planner asks thousands of times (once per KPI and object kind): index once
        index = self.__dict__.setdefault("_of", {})
        if cls not in index:
            index[cls] = [o for o in self.objects if isinstance(o, cls)]
        return list(index[cls])

    def groups(self) -> list[str]:
        return sorted({o.group for o in self.objects})

    def in_group(self, group: str) -> list[DbObject]:
        return [o for o in self.objects if o.group == group]

    def snapshot(self) -> dict[str, dict]:
        """What the lock records per object: kind, origin entity and a digest per part."""
        out: dict[str, dict] = {}
        for obj in self.objects:
            entry: dict[str, object] = {"kind": obj.kind, "origin": obj.origin.entity, "parts": obj.digests()}
            if isinstance(obj, Table):
                entry["columns"] = {c.name: c.definition() for c in obj.columns}
                entry["role"] = obj.role
            elif isinstance(obj, Index):
                entry["table"] = obj.table  # a removed index goes with its table when that is dropped
            elif isinstance(obj, View):
                entry["reads"] = list(obj.reads)
            elif isinstance(obj, Row):
                entry["removable"] = obj.removable
                entry["columns"] = list(obj.columns[: obj.key_columns])
                entry["values"] = list(obj.values[: obj.key_columns])
            out[obj.key] = entry
        return dict(sorted(out.items()))
