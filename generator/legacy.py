"""The released catalog of migrations written before the lock kept one, read back from their SQL.

The first migrations were the whole declarative state, re-runnable.  To move
such a database onto catalog migrations, the objects those files create are
listed here with PostgreSQL's own parser and marked ``legacy``: their digests
are unknown, so the delta planner re-issues every object once and drops what
the old layout had and the new one does not (KPI caches are rebuilt).
"""

from __future__ import annotations

from pglast import ast, parser
from pglast.stream import RawStream

from .sqlquote import literal

#: private tables that hold source data, not caches (everything else named kpi_* is a cache)
STATE_TABLES = {"kpi_watermarks"}


def _type(node: ast.TypeName) -> str:
    return RawStream()(node)


def legacy_snapshot(migrations: dict[str, str]) -> dict[str, dict]:
    out: dict[str, dict] = {}

    def add(key: str, kind: str, **extra: object) -> None:
        out[key] = {"kind": kind, "legacy": True, "origin": "core", "parts": {}, **extra}

    for name in sorted(migrations):
        for raw in parser.parse_sql(migrations[name]):
            stmt = raw.stmt
            if isinstance(stmt, ast.CreateStmt):
                rel = stmt.relation
                columns = {c.colname: "?" for c in stmt.tableElts or () if isinstance(c, ast.ColumnDef)}
                role = "cache" if rel.relname.startswith("kpi_") and rel.relname not in STATE_TABLES else "source"
                add(f"table {rel.schemaname}.{rel.relname}", "table", role=role, columns=columns)
            elif isinstance(stmt, ast.IndexStmt):
                add(f"index {stmt.relation.schemaname}.{stmt.idxname}", "index")
            elif isinstance(stmt, ast.ViewStmt):
                add(f"view {stmt.view.schemaname}.{stmt.view.relname}", "view", reads=[])
            elif isinstance(stmt, ast.CreatePolicyStmt):
                rel = stmt.table
                add(f"policy {rel.schemaname}.{rel.relname}.{stmt.policy_name}", "policy")
            elif isinstance(stmt, ast.CreateFunctionStmt):
                names = [n.sval for n in stmt.funcname]
                args = [_type(p.argType) for p in stmt.parameters or ()
                        if str(p.mode) in ("FunctionParameterMode.FUNC_PARAM_IN",
                                           "FunctionParameterMode.FUNC_PARAM_DEFAULT", "i", "d")]
                add(f"function {'.'.join(names)}({', '.join(args)})", "function")
            elif isinstance(stmt, ast.SelectStmt) and stmt.targetList:
                call = stmt.targetList[0].val
                if isinstance(call, ast.FuncCall) and [n.sval for n in call.funcname] == ["cron", "schedule"]:
                    job = call.args[0]
                    if isinstance(job, ast.A_Const) and isinstance(job.val, ast.String):
                        add(f"cron {literal(job.val.sval)}", "cron")
    return out
