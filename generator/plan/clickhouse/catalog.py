"""The ClickHouse catalog: typed objects the ClickHouse printer prints, in apply order.

Same idea as ``generator/catalog.py`` (a key per object, ``parts`` digested into the lock so a
migration touches only what changed), for ClickHouse's own object kinds.  One catalog serves
both layouts: ``Variant`` says how an object is laid out on a single node or on a sharded,
replicated cluster, and the template (``templates/clickhouse/schema.sql.j2``) only prints.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import ClassVar

#: what ``json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)`` builds on every call
_DIGEST_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str).encode


def _digest(value: object) -> str:
    return hashlib.sha256(_DIGEST_JSON(value).encode()).hexdigest()[:16]


def quote(text: str) -> str:
    """A ClickHouse string literal."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


@dataclass(frozen=True)
class ChColumn:
    name: str
    type: str
    comment: str | None = None


@dataclass(frozen=True)
class ChObject:
    kind: ClassVar[str] = "object"
    origin: str = field(default="core", kw_only=True)

    @property
    def key(self) -> str:
        raise NotImplementedError

    def parts(self) -> dict[str, object]:
        raise NotImplementedError

    def digests(self) -> dict[str, str]:
        return {name: _digest(value) for name, value in sorted(self.parts().items())}


@dataclass(frozen=True)
class ChDatabase(ChObject):
    kind: ClassVar[str] = "database"
    name: str
    comment: str

    @property
    def key(self) -> str:
        return f"database {self.name}"

    def parts(self) -> dict[str, object]:
        return {"definition": self.name}


@dataclass(frozen=True)
class ChTable(ChObject):
    """A MergeTree-family table.  ``role`` as in the PostgreSQL catalog: ``source`` (only columns are
    ever added), ``reference`` (controlled rows, on every node) or ``cache`` (a KPI aggregate that a
    migration may drop and rebuild with ``rebuild``, an INSERT ... SELECT over the event table)."""

    kind: ClassVar[str] = "table"
    database: str
    name: str
    columns: tuple[ChColumn, ...]
    engine: str  # MergeTree, ReplacingMergeTree, AggregatingMergeTree
    order_by: str
    partition_by: str | None = None
    settings: tuple[tuple[str, str], ...] = ()
    comment: str = ""
    role: str = "source"
    #: the sharding key of the cluster layout (None: a reference table, replicated to every node)
    shard_key: str | None = None
    rebuild: str | None = None

    @property
    def key(self) -> str:
        return f"table {self.qualified}"

    @property
    def qualified(self) -> str:
        return f"{self.database}.{self.name}"

    def parts(self) -> dict[str, object]:
        return {
            "columns": {c.name: c.type for c in self.columns},
            "shape": [self.engine, self.order_by, self.partition_by, list(map(list, self.settings)), self.role,
                      self.shard_key],
            "comment": self.comment,
        }


@dataclass(frozen=True)
class ChMaterializedView(ChObject):
    """An incremental materialized view (``source`` set: fires on every insert into that table), or a
    refreshable one (``refresh`` set: ``EVERY 60 SECOND``), appending to ``target``."""

    kind: ClassVar[str] = "materialized view"
    database: str
    name: str
    target: str  # "db.table"
    query: str  # SELECT over {source} (the placeholder is the layout's table name)
    source: str | None = None  # "db.table" the view listens to
    refresh: str | None = None
    comment: str = ""

    @property
    def key(self) -> str:
        return f"materialized view {self.database}.{self.name}"

    def parts(self) -> dict[str, object]:
        return {"definition": [self.target, self.query, self.source, self.refresh]}


@dataclass(frozen=True)
class ChView(ChObject):
    kind: ClassVar[str] = "view"
    database: str
    name: str
    query: str
    columns: tuple[tuple[str, str], ...] = ()
    comment: str = ""

    @property
    def key(self) -> str:
        return f"view {self.database}.{self.name}"

    def parts(self) -> dict[str, object]:
        return {"definition": self.query}


@dataclass(frozen=True)
class ChRows(ChObject):
    """Controlled rows of a reference table (re-runnable: the table replaces rows with equal keys)."""

    kind: ClassVar[str] = "rows"
    table: str  # "db.table"
    set_name: str
    columns: tuple[str, ...]
    values: tuple[tuple[str, ...], ...]  # ClickHouse literals

    @property
    def key(self) -> str:
        return f"rows {self.table}[{self.set_name}]"

    def parts(self) -> dict[str, object]:
        return {"definition": [list(self.columns), [list(v) for v in self.values]]}


@dataclass(frozen=True)
class ChCatalog:
    objects: tuple[ChObject, ...]

    def __post_init__(self) -> None:
        keys = [o.key for o in self.objects]
        if len(keys) != len(set(keys)):
            raise ValueError("two ClickHouse catalog objects share a key")

    def of(self, cls: type) -> list:
        return [o for o in self.objects if isinstance(o, cls)]

    def by_key(self) -> dict[str, ChObject]:
        return {o.key: o for o in self.objects}

    def snapshot(self) -> dict[str, dict]:
        out = {}
        for o in self.objects:
            entry: dict[str, object] = {"kind": o.kind, "origin": o.origin, "parts": o.digests()}
            if isinstance(o, ChTable):
                entry["columns"] = {c.name: c.type for c in o.columns}
                entry["role"] = o.role
            out[o.key] = entry
        return dict(sorted(out.items()))


@dataclass(frozen=True)
class Variant:
    """How the catalog is laid out: one node, or shards of replicas (``cluster`` names the cluster)."""

    cluster: str | None = None

    @property
    def on_cluster(self) -> str:
        return f" ON CLUSTER {quote(self.cluster)}" if self.cluster else ""

    def local(self, table: ChTable) -> str:
        """Where a table's rows live: the table itself, or on a cluster its shard-local part."""
        return f"{table.qualified}_local" if self.cluster and table.shard_key else table.qualified

    def engine(self, table: ChTable) -> str:
        if not self.cluster:
            return f"{table.engine}()" if table.engine != "MergeTree" else "MergeTree()"
        # sharded tables: one Keeper path per shard; reference tables: one path, a replica on every node
        shard = "{shard}/" if table.shard_key else ""
        return f"Replicated{table.engine}('/clickhouse/tables/{shard}{{database}}/{{table}}', '{{replica}}')"

    def distributed(self, table: ChTable) -> str | None:
        if not (self.cluster and table.shard_key):
            return None
        return (f"Distributed({quote(self.cluster)}, {table.database}, {table.name}_local, "
                f"{table.shard_key})")

    def source(self, view: ChMaterializedView, tables: dict[str, ChTable]) -> str:
        """The table an incremental view listens to: on a cluster, each shard's local part."""
        assert view.source is not None
        return self.local(tables[view.source])

    def target(self, view: ChMaterializedView, tables: dict[str, ChTable]) -> str:
        # incremental views write next to the rows they read; the ingestion appends through the
        # Distributed table, which routes each event to its site's shard
        table = tables[view.target]
        return self.local(table) if view.source else table.qualified
