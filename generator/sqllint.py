"""SQL lint: PostgreSQL's own parser (libpg_query via pglast) on every generated statement.

Two kinds of finding, both bugs in a template or plan rather than in the taxonomy:

E920 syntax: the statement (or a PL/pgSQL body) does not parse.
E921 safety: the platform's rules for generated SQL, checked in every
     top-level statement and in every statement inside a function body
     (PL/pgSQL and SQL). Source data and the exposed API are additive: no DROP
     of a table other than a private cache being rebuilt, no RENAME, no column
     drop or type change. Functions, views, indexes and policies may be dropped
     and created again (a signature change recreates them in one transaction).
     Nothing outside the two analytics schemas is touched: every object a
     statement creates, alters, grants on or writes to is schema-qualified with
     one of them. Dynamic SQL (EXECUTE) is allowed only in the functions listed
     in DYNAMIC_SQL, whose generated statements are reviewed by hand.
"""

from __future__ import annotations

import json
import re

import pglast
from pglast import ast, enums, parser
from pglast.visitors import Visitor

from .diagnostics import Diagnostic, Span
from .plan import Artifact


def _position(text: str, offset: int) -> tuple[int, int]:
    before = text.encode()[:offset].decode(errors="ignore")
    line = before.count("\n") + 1
    col = len(before) - (before.rfind("\n") + 1) + 1
    return line, col


_CREATES = re.compile(
    r"create\s+(?:or\s+replace\s+)?(?:unique\s+)?(?:materialized\s+)?(?:function|table|view|index)\s+"
    r"(?:if\s+not\s+exists\s+)?(?:\"?\w+\"?\.)?\"?(\w+)", re.IGNORECASE)


def _statement_at(text: str, offset: int) -> tuple[str, int]:
    """The statement of ``text`` at or after byte ``offset``, and where its first token is."""
    data = text.encode()
    start = 0
    for stmt in parser.split(text, with_parser=False):
        found = data.find(stmt.encode(), start)
        if found < 0:
            break
        end = found + len(stmt.encode())
        if offset <= end:
            return stmt, max(found, offset) if found > offset else found
        start = end
    return "", offset


def _where(artifact: Artifact, text: str, offset: int) -> tuple[Span, str]:
    """Where to point: the taxonomy entity behind the failing statement when known, else the output line."""
    stmt, first = _statement_at(text, offset)
    line, col = _position(text, first if first >= offset else offset)
    output = f"{artifact.path}:{line}:{col}"
    match = _CREATES.search(stmt)
    origin = artifact.origins.get(match.group(1)) if match else None
    if origin is not None:
        return origin, f"templates/{artifact.template}, at {output}"
    return Span(artifact.path, line, col, line, col + 1), f"templates/{artifact.template}"


class _Targets(Visitor):
    """Collect the relations a statement names, with the role each plays."""

    def __init__(self) -> None:
        super().__init__()
        self.relations: list[ast.RangeVar] = []
        self.ctes: set[str] = set()  # WITH names: read unqualified, and never a catalog relation

        self.ctes: set[str] = set()

    def visit_RangeVar(self, ancestors, node: ast.RangeVar) -> None:
        self.relations.append(node)

    def visit_CommonTableExpr(self, ancestors, node: ast.CommonTableExpr) -> None:
        self.ctes.add(node.ctename)


_ALLOWED_EXTENSIONS = {"pgcrypto", "pg_cron"}
#: functions whose body may run dynamic SQL (partition maintenance names tables by month)
DYNAMIC_SQL = {"ensure_event_partitions"}
_RECREATABLE = {enums.ObjectType.OBJECT_FUNCTION, enums.ObjectType.OBJECT_VIEW, enums.ObjectType.OBJECT_INDEX,
                enums.ObjectType.OBJECT_MATVIEW}  # a materialized view is always a private cache


def _dropped_names(stmt: ast.DropStmt) -> list[list[str]]:
    out = []
    for obj in stmt.objects or ():
        if isinstance(obj, ast.ObjectWithArgs):
            out.append([n.sval for n in obj.objname])
        elif isinstance(obj, (list, tuple)):
            out.append([n.sval for n in obj if isinstance(n, ast.String)])
    return out


def _safety(stmt: ast.Node, schemas: set[str], droppable: frozenset[str] = frozenset()) -> str | None:
    """A reason the statement breaks the platform's rules, or None."""
    if isinstance(stmt, ast.DropStmt):
        if stmt.removeType == enums.ObjectType.OBJECT_POLICY:
            return None
        names = _dropped_names(stmt)
        if stmt.removeType in _RECREATABLE:
            if all(len(n) == 2 and n[0] in schemas for n in names):
                return None
            return f"DROP of {names} outside {sorted(schemas)}"
        if stmt.removeType == enums.ObjectType.OBJECT_TABLE and all(".".join(n) in droppable for n in names):
            return None
        return ("DROP is not allowed here: source data (the event store, keys, reference tables) and the exposed "
                "API (views, functions, their columns) are additive (deprecate, never drop); private caches "
                "(rollups, materialized views) may be rebuilt: a storage change builds the new ones, switches "
                "the reads, then drops the old (docs/storage.md)")
    if isinstance(stmt, ast.RenameStmt):
        return "RENAME is not allowed: schema changes are additive"
    if isinstance(stmt, ast.AlterTableStmt):
        for cmd in stmt.cmds or ():
            if cmd.subtype in (enums.AlterTableType.AT_DropColumn, enums.AlterTableType.AT_AlterColumnType):
                return "dropping or retyping a column is not allowed: schema changes are additive"
    if isinstance(stmt, ast.CreateExtensionStmt) and stmt.extname not in _ALLOWED_EXTENSIONS:
        return f"extension {stmt.extname} is not one this schema may create"
    if isinstance(stmt, ast.CreateSchemaStmt) and stmt.schemaname not in schemas:
        return f"schema {stmt.schemaname} is not one of {sorted(schemas)}"
    if isinstance(stmt, ast.CreateFunctionStmt):
        qualifier = [n.sval for n in stmt.funcname]
        if len(qualifier) != 2 or qualifier[0] not in schemas:
            return f"function {'.'.join(qualifier)} must be created in {sorted(schemas)}"
    if isinstance(stmt, (ast.CreateStmt, ast.IndexStmt, ast.AlterTableStmt, ast.CreatePolicyStmt, ast.ViewStmt,
                         ast.CreateTableAsStmt, ast.InsertStmt, ast.UpdateStmt, ast.DeleteStmt)):
        targets = _Targets()
        targets(stmt)
        for rel in targets.relations:
            if rel.schemaname is None and rel.relname not in targets.ctes:
                return f"relation {rel.relname} is not schema-qualified (search_path must not matter)"
            if rel.schemaname is not None and rel.schemaname not in schemas:
                return f"relation {rel.schemaname}.{rel.relname} is outside {sorted(schemas)}"
    return None


def _body_statements(stmt: ast.CreateFunctionStmt, language: str | None, source: str) -> tuple[list, bool]:
    """The statements inside a function body, and whether it runs dynamic SQL."""
    out: list = []
    dynamic = False
    if language == "plpgsql":
        try:
            tree = pglast.parse_plpgsql(source + ";")
        except parser.ParseError:
            return [], False
        queries: list[str] = []

        def walk(node: object) -> None:
            nonlocal dynamic
            if isinstance(node, dict):
                for key, value in node.items():
                    if key in ("PLpgSQL_stmt_dynexecute", "PLpgSQL_stmt_dynfors"):
                        dynamic = True
                    if key == "PLpgSQL_expr" and isinstance(value, dict) and value.get("parseMode") == 0:
                        queries.append(value.get("query", ""))
                    walk(value)
            elif isinstance(node, list):
                for item in node:
                    walk(item)

        walk(json.loads(json.dumps(tree)))
        for query in queries:
            try:
                out.extend(r.stmt for r in parser.parse_sql(query))
            except parser.ParseError:
                continue
    elif language == "sql":
        text = next((o.arg[0].sval for o in stmt.options or () if o.defname == "as"), "")
        try:
            out.extend(r.stmt for r in parser.parse_sql(text))
        except parser.ParseError:
            pass
    return out, dynamic


def lint_sql(artifact: Artifact, text: str, schemas: set[str] | None = None,
             droppable: frozenset[str] = frozenset()) -> list[Diagnostic]:
    owned = schemas or {artifact.context.get("pub_name", "analytics"), artifact.context.get("priv_name", "analytics_private")}
    try:
        statements = parser.parse_sql(text)
    except parser.ParseError as exc:
        offset = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else 0
        span, template = _where(artifact, text, max(offset - 1, 0))
        return [Diagnostic("E920", f"{artifact.path}: {exc.args[0]} (from {template})", span)]
    out: list[Diagnostic] = []
    for raw in statements:
        stmt = raw.stmt
        start = raw.stmt_location or 0
        if isinstance(stmt, ast.CreateFunctionStmt):
            language = next((o.arg.sval for o in stmt.options or () if o.defname == "language"), None)
            end = start + (raw.stmt_len or len(text.encode()) - start)
            source = text.encode()[start:end].decode()
            fname = ".".join(n.sval for n in stmt.funcname)
            if language == "plpgsql":
                try:
                    pglast.parse_plpgsql(source + ";")
                except parser.ParseError as exc:
                    span, template = _where(artifact, text, start)
                    out.append(Diagnostic("E920", f"{artifact.path}: PL/pgSQL body of {fname}: "
                                                  f"{exc.args[0]} (from {template})", span))
            inner, dynamic = _body_statements(stmt, language, source)
            if dynamic and stmt.funcname[-1].sval not in DYNAMIC_SQL:
                span, template = _where(artifact, text, start)
                out.append(Diagnostic("E921", f"{artifact.path}: {fname} runs dynamic SQL (EXECUTE), which only "
                                              f"{sorted(DYNAMIC_SQL)} may (from {template})", span))
            for inner_stmt in inner:
                problem = _safety(inner_stmt, owned, droppable)
                if problem:
                    span, template = _where(artifact, text, start)
                    out.append(Diagnostic("E921", f"{artifact.path}: in the body of {fname}: {problem} "
                                                  f"(from {template})", span))
        problem = _safety(stmt, owned, droppable)
        if problem:
            span, template = _where(artifact, text, start)
            out.append(Diagnostic("E921", f"{artifact.path}: {problem} (from {template})", span))
    return out
