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

import re
from collections import deque
from functools import lru_cache

import pglast
from pglast import ast, enums, parser

from . import sqlshape
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


def _targets(stmt: ast.Node) -> tuple[list[ast.RangeVar], set[str]]:
    """The relations a statement names (in pglast's Visitor order, breadth first) and its WITH names
    (read unqualified, and never a catalog relation). A plain walk: the generic Visitor builds an
    ancestor chain for every node, most of its cost on large views."""
    relations: list[ast.RangeVar] = []
    ctes: set[str] = set()
    todo: deque = deque([stmt])
    while todo:
        node = todo.popleft()
        for sub in (node if isinstance(node, tuple) else (node,)):
            if isinstance(sub, ast.Node):
                if sub.__class__ is ast.RangeVar:
                    relations.append(sub)
                elif sub.__class__ is ast.CommonTableExpr:
                    ctes.add(sub.ctename)
                for member in sub:
                    value = getattr(sub, member)
                    if isinstance(value, (tuple, ast.Node)):
                        todo.append(value)
            elif isinstance(sub, tuple):
                todo.extend(value for value in sub if isinstance(value, (tuple, ast.Node)))
    return relations, ctes


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
        relations, ctes = _targets(stmt)
        for rel in relations:
            if rel.schemaname is None and rel.relname not in ctes:
                return f"relation {rel.relname} is not schema-qualified (search_path must not matter)"
            if rel.schemaname is not None and rel.schemaname not in schemas:
                return f"relation {rel.schemaname}.{rel.relname} is outside {sorted(schemas)}"
    return None


def _plpgsql_queries(tree: object) -> tuple[list[str], bool]:
    """The SQL statements of a parsed PL/pgSQL body (its expressions are not statements), and whether
    it runs dynamic SQL."""
    queries: list[str] = []
    dynamic = False

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

    walk(tree)
    return queries, dynamic


@lru_cache(maxsize=65536)
def _query_problems(query: str, owned: frozenset[str], droppable: frozenset[str]) -> tuple[str, ...]:
    """The safety problems of one query inside a function body. Many bodies share their queries
    (every payload check looks up unknown keys the same way), so each distinct one is parsed once."""
    try:
        statements = parser.parse_sql(query)
    except parser.ParseError:
        return ()
    return tuple(problem for raw in statements
                 if (problem := _safety(raw.stmt, set(owned), droppable)) is not None)


def _body_problems(stmt: ast.CreateFunctionStmt, language: str | None, tree: object,
                   owned: frozenset[str], droppable: frozenset[str]) -> tuple[list[str], bool]:
    """The safety problems of the statements inside a function body, and whether it runs dynamic SQL.
    ``tree`` is the parsed PL/pgSQL body (None when it did not parse)."""
    if language == "plpgsql":
        if tree is None:
            return [], False
        queries, dynamic = _plpgsql_queries(tree)
        return [p for q in queries for p in _query_problems(q, owned, droppable)], dynamic
    if language == "sql":
        text = next((o.arg[0].sval for o in stmt.options or () if o.defname == "as"), "")
        return list(_query_problems(text, owned, droppable)), False
    return [], False


def lint_sql(artifact: Artifact, text: str, schemas: set[str] | None = None,
             droppable: frozenset[str] = frozenset()) -> list[Diagnostic]:
    """E920/E921 findings of every statement in ``text``.

    The text is first split into statements by PostgreSQL's parser in C (cheap: no Python syntax tree),
    and only statements not already known to pass, by their text or their shape (``sqlshape``), are
    turned into pglast nodes and checked: building the nodes is most of the cost, most statements
    share their shape with another (the same template for another KPI or event), and generate sees
    every statement twice (declarative file, first migration)."""
    owned = schemas or {artifact.context.get("pub_name", "analytics"), artifact.context.get("priv_name", "analytics_private")}
    try:
        slices = parser.split(text, with_parser=True, only_slices=True)
    except parser.ParseError as exc:
        offset = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else 0
        span, template = _where(artifact, text, max(offset - 1, 0))
        return [Diagnostic("E920", f"{artifact.path}: {exc.args[0]} (from {template})", span)]
    out: list[Diagnostic] = []
    context = (frozenset(owned), droppable)
    kept = sqlshape.kept_words(context[0] | _ALLOWED_EXTENSIONS | DYNAMIC_SQL | droppable)
    chars = start = 0  # _where counts bytes, as PostgreSQL's locations do: the offset is kept up as we go
    for piece in slices:
        start += len(text[chars:piece.start].encode())
        chars = piece.start
        source = text[piece]
        clean_key = (source, context)
        if _known_clean(clean_key):
            continue
        shape_key = (sqlshape.shape(source, kept), context)
        if shape_key[0] is not None and _shape_clean(shape_key, source):
            _CLEAN.add(clean_key)  # the first migration repeats the statement: found by its text there
            continue
        found = len(out)
        for raw in parser.parse_sql(source):
            out.extend(_statement_problems(artifact, text, raw.stmt, source, start, owned, droppable))
        if len(out) == found:
            _CLEAN.add(clean_key)
            if shape_key[0] is not None:
                _CLEAN_SHAPES.add(shape_key)
    return out


def _statement_problems(artifact: Artifact, text: str, stmt: ast.Node, source: str, start: int,
                        owned: set[str], droppable: frozenset[str]) -> list[Diagnostic]:
    """The findings of one top-level statement (``source``, at byte ``start`` of ``text``)."""
    out: list[Diagnostic] = []
    if isinstance(stmt, ast.CreateFunctionStmt):
        language = next((o.arg.sval for o in stmt.options or () if o.defname == "language"), None)
        fname = ".".join(n.sval for n in stmt.funcname)
        tree = None
        if language == "plpgsql":
            try:
                tree = pglast.parse_plpgsql(source + ";")
            except parser.ParseError as exc:
                span, template = _where(artifact, text, start)
                out.append(Diagnostic("E920", f"{artifact.path}: PL/pgSQL body of {fname}: "
                                              f"{exc.args[0]} (from {template})", span))
        problems, dynamic = _body_problems(stmt, language, tree, frozenset(owned), droppable)
        if dynamic and stmt.funcname[-1].sval not in DYNAMIC_SQL:
            span, template = _where(artifact, text, start)
            out.append(Diagnostic("E921", f"{artifact.path}: {fname} runs dynamic SQL (EXECUTE), which only "
                                          f"{sorted(DYNAMIC_SQL)} may (from {template})", span))
        for problem in problems:
            span, template = _where(artifact, text, start)
            out.append(Diagnostic("E921", f"{artifact.path}: in the body of {fname}: {problem} "
                                          f"(from {template})", span))
    problem = _safety(stmt, owned, droppable)
    if problem:
        span, template = _where(artifact, text, start)
        out.append(Diagnostic("E921", f"{artifact.path}: {problem} (from {template})", span))
    return out


#: statements (their exact text, with the schemas and droppable tables they were checked against)
#: that passed every rule: a statement's findings depend on nothing else, and only passes are
#: remembered, so a finding is always reported with its own file and position
_CLEAN: set[tuple[str, tuple[frozenset[str], frozenset[str]]]] = set()


def _known_clean(key: tuple[str, tuple[frozenset[str], frozenset[str]]]) -> bool:
    """Whether the statement already passed with these schemas. ``droppable`` only ever permits (a DROP
    of a listed cache), so a pass with no droppable tables holds for any: the declarative files are
    linted with none, and the first migration then finds its statements already checked."""
    statement, (owned, droppable) = key
    return key in _CLEAN or (statement, (owned, frozenset())) in _CLEAN


#: shapes (``sqlshape``) of statements that passed, with the schemas and droppable tables they were
#: checked against: a statement of the same shape is the same statement with other ordinary names
_CLEAN_SHAPES: set[tuple[tuple, tuple[frozenset[str], frozenset[str]]]] = set()


def _shape_clean(key: tuple[tuple, tuple[frozenset[str], frozenset[str]]], source: str) -> bool:
    """Whether a statement of this shape passed; as for the text, a pass with no droppable tables holds
    for any (its shape is then taken with fewer words kept)."""
    if key in _CLEAN_SHAPES:
        return True
    owned, droppable = key[1]
    if not droppable:
        return False
    plain = sqlshape.shape(source, sqlshape.kept_words(owned | _ALLOWED_EXTENSIONS | DYNAMIC_SQL))
    return plain is not None and (plain, (owned, frozenset())) in _CLEAN_SHAPES


def clean_state() -> tuple[set, set]:
    """What the lint knows passed (statements, shapes), to hand from a forked lint to its parent."""
    return _CLEAN, _CLEAN_SHAPES


def remember_clean(state: tuple[set, set]) -> None:
    """Take what a lint (perhaps in another process) found clean: the first migration repeats it."""
    statements, shapes = state
    if statements is not _CLEAN:
        _CLEAN.update(statements)
        _CLEAN_SHAPES.update(shapes)
