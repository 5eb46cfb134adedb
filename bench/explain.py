"""EXPLAIN (ANALYZE, BUFFERS) of every read's typical query and of each refresh job's statements.

Refresh jobs are PL/pgSQL functions and reads go through SECURITY DEFINER SQL
functions, so a plain EXPLAIN shows one "Function Scan". ``auto_explain`` (loaded
in the bench's own session, superuser only) with ``log_nested_statements`` logs
the plan of every statement inside them, with actual times and buffers, to the
server log; the bench reads the lines its own backend wrote after a marker.
The "main statement" of a job is its slowest nested statement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import psycopg

from tests import dbutil

from .discover import Job, Read

AUTO_EXPLAIN = [
    "load 'auto_explain'",
    "set auto_explain.log_min_duration = 0",
    "set auto_explain.log_analyze = on",
    "set auto_explain.log_buffers = on",
    "set auto_explain.log_timing = on",
    "set auto_explain.log_nested_statements = on",
    "set auto_explain.log_format = 'text'",
    "set auto_explain.log_level = 'log'",
]
_ENTRY = re.compile(r"^@@ [^\[]*\[(\d+)\] ", re.M)
_PLAN = re.compile(r"duration: ([0-9.]+) ms\s+plan:\s*\n(.*)", re.S)


@dataclass
class Plan:
    ms: float
    query: str  # the statement's text (first line, trimmed)
    plan: str  # the plan text without the 'Query Text' line


def enable(conn: psycopg.Connection) -> None:
    for stmt in AUTO_EXPLAIN:
        conn.execute(stmt)


def disable(conn: psycopg.Connection) -> None:
    conn.execute("set auto_explain.log_min_duration = -1")


def _log_size(logfile: Path) -> int:
    return logfile.stat().st_size


def _plans_since(logfile: Path, offset: int, pid: int) -> list[Plan]:
    with open(logfile, encoding="utf-8", errors="replace") as f:
        f.seek(offset)
        text = f.read()
    out = []
    starts = [m for m in _ENTRY.finditer(text)]
    for i, m in enumerate(starts):
        if int(m.group(1)) != pid:
            continue
        body = text[m.end(): starts[i + 1].start() if i + 1 < len(starts) else len(text)]
        pm = _PLAN.search(body)
        if not pm:
            continue
        lines = [ln[1:] if ln.startswith("\t") else ln for ln in pm.group(2).rstrip().splitlines()]
        query_lines = []
        while lines and not _is_plan_line(lines[0]):
            query_lines.append(lines.pop(0))
        query = " ".join(q.strip() for q in query_lines).removeprefix("Query Text:").strip()
        out.append(Plan(float(pm.group(1)), query, "\n".join(lines)))
    return out


def _is_plan_line(line: str) -> bool:
    """auto_explain's text plans print costs on every node; the statement text above them does not."""
    return "(cost=" in line


def refresh_plans(conn: psycopg.Connection, logfile: Path, jobs: list[Job]) -> dict[str, dict]:
    """Run each job once with auto_explain on; per job: its slowest nested statement's plan, and the
    duration of every statement it ran."""
    enable(conn)
    pid = conn.info.backend_pid
    out: dict[str, dict] = {}
    try:
        for job in jobs:
            offset = _log_size(logfile)
            conn.execute(job.command)
            plans = [p for p in _plans_since(logfile, offset, pid) if p.query.strip().rstrip(";") != job.command]
            if not plans:
                out[job.name] = {"main": None, "statements": []}
                continue
            main = max(plans, key=lambda p: p.ms)
            out[job.name] = {
                "main": {"ms": main.ms, "query": main.query, "plan": main.plan},
                "statements": [{"ms": p.ms, "query": p.query[:160]} for p in plans],
            }
    finally:
        disable(conn)
    return out


def read_plans(conn: psycopg.Connection, logfile: Path, reads: list[Read], claims_site: dict, claims_net: dict,
               day_from: date, day_to: date) -> dict[str, dict]:
    """EXPLAIN (ANALYZE, BUFFERS) of each read's typical query as ``authenticated`` with a site (or
    network) reader's claims, plus the nested plans of the definer functions it calls."""
    enable(conn)
    pid = conn.info.backend_pid
    out: dict[str, dict] = {}
    params = {"from": day_from, "to": day_to}
    try:
        for r in reads:
            claims = claims_site if r.scope == "site" else claims_net
            offset = _log_size(logfile)
            with dbutil.as_caller(conn, "authenticated", claims) as cur:
                rows = cur.execute("explain (analyze, buffers) " + r.query(), params).fetchall()
            top = "\n".join(row[0] for row in rows)
            # statements that touch a table (claims helpers and set_config calls are left out)
            nested = [p for p in _plans_since(logfile, offset, pid)
                      if not p.query.lower().startswith("explain") and " on " in p.plan]
            out[r.name] = {"query": r.query() % {"from": f"'{day_from}'", "to": f"'{day_to}'"}, "plan": top,
                           "nested": [{"ms": p.ms, "query": p.query[:200], "plan": p.plan} for p in nested]}
    finally:
        disable(conn)
    return out


def seq_scans(plan: str, relations: list[str]) -> list[str]:
    """The relations of ``relations`` that a plan reads with a sequential scan."""
    found = []
    for rel in relations:
        if re.search(rf"Seq Scan on {re.escape(rel)}\b", plan):
            found.append(rel)
    return found
