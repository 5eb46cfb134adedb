"""chdb helpers for the ClickHouse tests and the bench: one embedded ClickHouse per process.

chdb runs one embedded server per process, at one data path: every test module of a worker
shares it, and each user of it starts by dropping the databases it creates.
"""

from __future__ import annotations

import json
import re
import tempfile
from datetime import date

_CONN = None


_PATH = None


def connection():
    global _CONN, _PATH
    if _CONN is None:
        import chdb

        _PATH = _PATH or tempfile.mkdtemp(prefix="trackgen-chdb-")
        _CONN = chdb.connect(_PATH)
    return _CONN


def reopen():
    """Close the embedded server and open it again on the same data path (a restart)."""
    global _CONN
    if _CONN is not None:
        _CONN.close()
        _CONN = None
    return connection()


def statements(text: str) -> list[str]:
    """The statements of a generated ClickHouse file (each ends with ';' at the end of a line)."""
    body = "\n".join(line for line in text.splitlines() if not line.startswith("--"))
    return [s.strip() for s in re.split(r";\s*\n", body + "\n") if s.strip()]


def run(conn, sql: str) -> None:
    conn.query(sql)


def rows(conn, sql: str) -> list[dict]:
    res = conn.query(sql, "JSONEachRow")
    text = res.data() if hasattr(res, "data") else str(res)
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def scalar(conn, sql: str):
    out = rows(conn, sql)
    return next(iter(out[0].values())) if out else None


def reset(conn, databases=("analytics", "analytics_private")) -> None:
    for db in databases:
        conn.query(f"DROP DATABASE IF EXISTS {db} SYNC")


def apply(conn, text: str) -> int:
    n = 0
    for stmt in statements(text):
        conn.query(stmt)
        n += 1
    return n


def named_collection(conn, name: str, port: int, dbname: str, user: str) -> None:
    conn.query(f"DROP NAMED COLLECTION IF EXISTS {name}")
    conn.query(f"CREATE NAMED COLLECTION {name} AS host = '127.0.0.1', port = {port}, "
               f"database = '{dbname}', user = '{user}', password = ''")


def ingest(conn, view: str = "analytics_private.ingest_events") -> None:
    """One run of the ingestion view, waited for (what its schedule does every ingest_every seconds)."""
    conn.query(f"SYSTEM REFRESH VIEW {view}")
    conn.query(f"SYSTEM WAIT VIEW {view}")


def as_date(text: str) -> date:
    return date.fromisoformat(text)
