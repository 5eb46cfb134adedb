"""Semantic lint with sqlglot: every read and aggregate query qualified against the catalog.

pglast (``sqllint``) proves the SQL is exactly PostgreSQL's syntax; it cannot say
whether ``r.tier`` exists in the table behind ``r``.  Here sqlglot gets the
catalog as its schema (every table's columns and types, and every set-returning
function's output columns as a table of its own) and qualifies:

- every view's query;
- every SQL-language function body (the site, range and network reads), with
  its parameters standing in as typed values;
- the SELECT of every INSERT ... SELECT in a PL/pgSQL refresh function (the
  aggregates), with the function's variables standing in as typed values.

An unknown or ambiguous column, or an equality/comparison between columns of
incompatible types (a uuid compared with text, a date with a number), is an
E922 error pointing at the taxonomy entity (KPI or event) behind the object.
"""

from __future__ import annotations

import json
import re

import pglast
import sqlglot
from sqlglot import exp
from sqlglot.errors import OptimizeError, ParseError
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify
from sqlglot.schema import MappingSchema

from .catalog import Catalog, Function, MaterializedView, Table, View
from .diagnostics import Diagnostic

_COMPARE = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NullSafeEQ, exp.NullSafeNEQ)
#: type families that may be compared with each other
_FAMILIES = {
    "numeric": {"INT", "BIGINT", "SMALLINT", "DECIMAL", "DOUBLE", "FLOAT", "BIGDECIMAL", "TINYINT"},
    "text": {"TEXT", "VARCHAR", "CHAR", "NAME"},
    "time": {"DATE", "TIMESTAMP", "TIMESTAMPTZ", "DATETIME"},
}
FN_TABLE = "{}__returns"  # the pseudo-table standing for a set-returning function's output


def _unquote(name: str) -> str:
    return name[1:-1].replace('""', '"') if name.startswith('"') else name


def _returns_table(returns: str) -> dict[str, str] | None:
    """'table (site_id uuid, p50 double precision)' -> {'site_id': 'uuid', 'p50': 'double precision'}."""
    m = re.fullmatch(r"table \((.*)\)", returns.strip(), re.S)
    if not m:
        return None
    out = {}
    for part in m.group(1).split(","):
        name, _, type_ = part.strip().partition(" ")
        out[_unquote(name)] = type_
    return out


def schema_of(catalog: Catalog) -> dict:
    """sqlglot's schema: {schema: {table: {column: type}}}, functions' outputs included."""
    out: dict[str, dict[str, dict[str, str]]] = {}
    for table in catalog.of(Table) + catalog.of(MaterializedView):
        out.setdefault(table.schema, {})[_unquote(table.name)] = {_unquote(c.name): c.type for c in table.columns}
    for fn in catalog.of(Function):
        cols = _returns_table(fn.returns)
        if cols:
            out.setdefault(fn.schema, {})[FN_TABLE.format(_unquote(fn.name))] = cols
    return out


def _functions_as_tables(tree: exp.Expression) -> exp.Expression:
    """``from s.fn(args) as x`` -> ``from s.fn__returns as x``: sqlglot then knows the columns."""
    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and isinstance(node.this, exp.Anonymous):
            fn = node.this
            table = exp.table_(FN_TABLE.format(fn.name), db=node.args.get("db"), alias=node.alias or None)
            return table
        return node
    return tree.transform(swap, copy=False)


def _bind(tree: exp.Expression, variables: dict[str, str]) -> exp.Expression:
    """Unqualified references to a function's parameters or variables become typed NULLs."""
    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and not node.table and node.name in variables:
            try:
                return exp.cast(exp.null(), variables[node.name], dialect="postgres")
            except ParseError:  # a type sqlglot does not know (xid8): typed as unknown
                return exp.null()
        return node
    return tree.transform(swap, copy=False)


def _family(dtype: exp.DataType | None) -> str | None:
    if dtype is None or dtype.this in (exp.DataType.Type.UNKNOWN, exp.DataType.Type.NULL):
        return None
    name = dtype.this.name
    for family, members in _FAMILIES.items():
        if name in members:
            return family
    return name


def check_query(sql: str, schema: dict, variables: dict[str, str] | None = None) -> list[str]:
    """Problems of one query: unresolved columns and incompatible comparisons."""
    try:
        tree = sqlglot.parse_one(sql, read="postgres")
    except ParseError as exc:
        return [f"sqlglot cannot parse it: {str(exc).splitlines()[0]}"]
    tree = _bind(_functions_as_tables(tree), variables or {})
    try:
        tree = qualify(tree, schema=schema, dialect="postgres", validate_qualify_columns=True,
                       identify=False, quote_identifiers=False)
        tree = annotate_types(tree, schema=schema, dialect="postgres")
    except OptimizeError as exc:
        return [str(exc)]
    problems = []
    for node in tree.find_all(*_COMPARE):
        left, right = _family(node.left.type), _family(node.right.type)
        if left and right and left != right and isinstance(node.left, exp.Column) and isinstance(node.right, exp.Column):
            problems.append(f"compares {node.left.sql('postgres')} ({node.left.type.sql()}) with "
                            f"{node.right.sql('postgres')} ({node.right.type.sql()})")
    return problems


def _plpgsql_source(fn: Function) -> str:
    """The function as one CREATE statement, as PL/pgSQL's parser takes it."""
    args = ", ".join(f"{a.name} {a.type}" for a in fn.args)
    return f"create function {fn.schema}.{fn.name}({args}) returns {fn.returns} language plpgsql as $fn$\n{fn.body}\n$fn$"


#: the INSERT keyword (keywords are written as words, in any case); four in five of a refresh
#: function's statements (IF conditions, PERFORM, assignments) lack it
_INSERT = re.compile(r"\binsert\b", re.IGNORECASE)


def _plpgsql_selects(fn: Function) -> tuple[list[str], dict[str, str]]:
    """The SELECT of each INSERT ... SELECT in a PL/pgSQL body, and the body's variables with their types."""
    tree = json.loads(json.dumps(pglast.parse_plpgsql(_plpgsql_source(fn))))
    variables: dict[str, str] = {}
    queries: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            var = node.get("PLpgSQL_var")
            if isinstance(var, dict) and "datatype" in var:
                variables[var["refname"]] = var["datatype"]["PLpgSQL_type"]["typname"].split(".")[-1].strip('"')
            expr = node.get("PLpgSQL_expr")
            if isinstance(expr, dict) and expr.get("parseMode") == 0:
                queries.append(expr.get("query", ""))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(tree)
    selects = []
    for query in queries:
        if not _INSERT.search(query):  # no INSERT keyword, no INSERT statement: not built into pglast's nodes
            continue
        for raw in pglast.parse_sql(query):
            stmt = raw.stmt
            if isinstance(stmt, pglast.ast.InsertStmt) and stmt.selectStmt is not None and stmt.withClause is None:
                selects.append(pglast.stream.RawStream()(stmt.selectStmt))
    return selects, variables


def _changed(catalog: Catalog, released: dict[str, dict] | None) -> set[str] | None:
    """Keys of objects to check: new or changed against the released snapshot, plus every object whose
    SQL names a changed table or function (its columns may have moved).  None: check everything."""
    if not released:
        return None
    changed = {o.key for o in catalog.objects if (released.get(o.key) or {}).get("parts") != o.digests()}
    names = {_unquote(o.name) for o in catalog.objects
             if o.key in changed and isinstance(o, (Table, MaterializedView, Function))}
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, sorted(names))) + r")\b") if names else None
    for o in catalog.objects:
        text = o.query if isinstance(o, View | MaterializedView) else o.body if isinstance(o, Function) else ""
        if pattern is not None and text and pattern.search(text):
            changed.add(o.key)
    return changed


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LITERAL = re.compile(r"'(?:[^']|'')*'")


class Shapes:
    """Queries that differ only in the KPI names inside their identifiers (``kpi_<name>_facts``) and
    literals are checked once: sqlglot's verdict does not change when names are renamed consistently
    in the query, the tables it reads and its variables. The key is the query with each KPI name
    replaced by a placeholder in order of first appearance, with the columns of every table it
    names renamed alike. Only passes are remembered, so a problem is always found on its own
    query; a query that uses a KPI name as a bare identifier is always checked (a name could be
    a keyword there)."""

    def __init__(self, raw_schema: dict, kpi_names: set[str], checker=None):
        self.raw = raw_schema
        self.checker = checker or check_query  # (sql, schema, variables) -> problems; ClickHouse passes its own
        self.kpi_names = frozenset(kpi_names)
        self.names = (re.compile("|".join(map(re.escape, sorted(kpi_names, key=lambda n: (-len(n), n)))))
                      if kpi_names else None)
        self.passed: set[str] = set()
        #: table name -> (schema, table name as written in the schema); a query's tables are looked up by
        #: its words instead of every table of the schema being tried against every query
        self.tables: dict[str, list[tuple[str, str]]] = {}
        for db, tabs in raw_schema.items():
            for t in tabs:
                for name in {t, t.removesuffix("__returns")}:  # a function's output is named by the function
                    self.tables.setdefault(name, []).append((db, t))

    def key(self, sql: str, variables: dict[str, str] | None) -> str | None:
        if self.names is None:
            return None
        bare = set(_IDENT.findall(_LITERAL.sub("''", sql)))
        if not bare.isdisjoint(self.kpi_names):
            return None
        mapping: dict[str, str] = {}

        def rename(text: str) -> str:
            return self.names.sub(lambda m: mapping.setdefault(m.group(0), f"zzkpi{len(mapping)}zz"), text)

        query = rename(sql)
        tables: dict[str, dict[str, dict[str, str]]] = {rename(db): {} for db in self.raw}
        for token in sorted(set(_IDENT.findall(sql))):
            for db, t in self.tables.get(token, ()):
                tables[rename(db)][rename(t)] = {rename(c): ty for c, ty in self.raw[db][t].items()}
        binds = {rename(k): v for k, v in (variables or {}).items()}
        return json.dumps([query, tables, binds], sort_keys=True)

    def check(self, sql: str, schema: MappingSchema, variables: dict[str, str] | None = None) -> list[str]:
        key = self.key(sql, variables)
        if key is not None and key in self.passed:
            return []
        problems = self.checker(sql, schema, variables)
        if key is not None and not problems:
            self.passed.add(key)
        return problems


def check(catalog: Catalog, released: dict[str, dict] | None = None) -> list[Diagnostic]:
    """E922 problems of the catalog's queries; with ``released``, only of what changed since (the rest
    was checked when it was released)."""
    only = _changed(catalog, released)
    raw = schema_of(catalog)
    schema = MappingSchema(raw, dialect="postgres")
    shapes = Shapes(raw, {o.origin.entity[4:] for o in catalog.objects if o.origin.entity.startswith("kpi:")})
    out: list[Diagnostic] = []

    def report(obj: object, what: str, problems: list[str]) -> None:
        for problem in problems:
            out.append(Diagnostic("E922", f"{what}: {problem}", obj.origin.span,  # type: ignore[attr-defined]
                                  hint="a bug in trackgen's plan for this entity; please report it"))

    for view in catalog.of(View):
        if only is not None and view.key not in only:
            continue
        report(view, f"view {view.schema}.{view.name}", shapes.check(view.query, schema))
    for mv in catalog.of(MaterializedView):
        if only is None or mv.key in only:
            report(mv, f"materialized view {mv.qualified}", shapes.check(mv.query, schema))
    for fn in catalog.of(Function):
        if only is not None and fn.key not in only:
            continue
        if fn.language == "sql" and fn.returns.startswith("table"):
            variables = {_unquote(a.name): a.type for a in fn.args}
            report(fn, f"function {fn.signature}", shapes.check(fn.body.strip().rstrip(";"), schema, variables))
        elif fn.language == "plpgsql" and fn.name.startswith("refresh_"):
            # the selects and variables are read from the function's text: a function of a known shape
            # (another KPI's refresh with other names) yields selects of known shapes, and parsing it
            # with pglast and printing its selects back is most of the cost of this check
            whole = shapes.key(_plpgsql_source(fn), None)
            if whole is not None and whole in shapes.passed:
                continue
            selects, variables = _plpgsql_selects(fn)
            problems = [p for select in selects for p in shapes.check(select, schema, variables)]
            report(fn, f"function {fn.signature}", problems)
            if whole is not None and not problems:
                shapes.passed.add(whole)
    return out
