"""Drivers that write events: COPY into the event store (with the idempotency keys,
as ``track_events`` keeps them) and ``analytics.track_events`` calls as API callers.

Both spread their work over ``connections`` connections, one thread each (the
server does the work; the Python side only sends pre-formatted bytes, so the GIL
is not what is measured).
"""

from __future__ import annotations

import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from tests import dbutil

from .cluster import PRIVATE, Bench
from .progress import Progress
from .workload import EVENT_COLUMNS, KEY_COLUMNS, TrackBatch

EVENTS_TABLE = f"{PRIVATE}.events"
KEYS_TABLE = f"{PRIVATE}.event_keys"


@dataclass(frozen=True)
class Chunk:
    events: bytes
    keys: bytes
    rows: int


def _copy_sql(table: str, columns: tuple[str, ...]) -> sql.Composed:
    schema, name = table.split(".")
    return sql.SQL("copy {} ({}) from stdin").format(
        sql.Identifier(schema, name), sql.SQL(", ").join(sql.Identifier(c) for c in columns))


def copy_chunk(conn: psycopg.Connection, chunk: Chunk) -> None:
    """One transaction: the keys, then the events (the order track_events uses)."""
    with conn.transaction(), conn.cursor() as cur:
        if chunk.keys:
            with cur.copy(_copy_sql(KEYS_TABLE, KEY_COLUMNS)) as cp:
                cp.write(chunk.keys)
        if chunk.events:
            with cur.copy(_copy_sql(EVENTS_TABLE, EVENT_COLUMNS)) as cp:
                cp.write(chunk.events)


def copy_parallel(bench: Bench, chunks: Iterable[Chunk], connections: int = 4,
                  progress: Progress | None = None) -> float:
    """COPY every chunk, ``connections`` at a time; returns the wall time in seconds. ``chunks`` may be
    a generator (it is consumed by this thread while the workers load)."""
    work: queue.Queue[Chunk | None] = queue.Queue(maxsize=connections * 2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with bench.connect() as conn:
                while (chunk := work.get()) is not None:
                    copy_chunk(conn, chunk)
                    if progress:
                        progress.add(chunk.rows)
                # the tables a load wrote are found by their write counters (discover.write_counters):
                # flush this backend's now, as a closing backend flushes them only some time after
                # the client has gone (seen: a tiny run that found no event store)
                conn.execute("select pg_stat_force_next_flush()")
                conn.commit()
        except BaseException as e:  # reported by the caller
            errors.append(e)
            while work.get() is not None:  # drain so the producer never blocks
                pass

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for chunk in chunks:
        work.put(chunk)
        if errors:
            break
    for _ in threads:
        work.put(None)
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    if errors:
        raise errors[0]
    return elapsed


@dataclass
class TrackResult:
    elapsed: float = 0.0
    items: int = 0
    statuses: Counter = field(default_factory=Counter)
    reasons: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)  # seconds per call


def track_call(conn: psycopg.Connection, batch: TrackBatch) -> list[dict]:
    """One ``analytics.track_events`` call the way PostgREST makes it: a transaction with
    ``set local role authenticated`` and the caller's claims (tests/dbutil.py ``as_caller``)."""
    with dbutil.as_caller(conn, "authenticated", batch.claims, commit=True) as cur:
        return cur.execute("select analytics.track_events(%s::jsonb)", (batch.body,)).fetchone()[0]


def track_parallel(bench: Bench, batches: list[TrackBatch], connections: int = 4,
                   pace: Callable[[int], float] | None = None, stop: threading.Event | None = None) -> TrackResult:
    """Send ``batches`` over ``connections`` login connections (role ``authenticator``, as PostgREST).
    With ``pace(i)`` (seconds from the start at which batch i is due) the calls are paced, not
    back to back; with ``stop`` the drivers end early when it is set."""
    result = TrackResult()
    lock = threading.Lock()
    errors: list[BaseException] = []
    index = iter(range(len(batches)))

    def worker() -> None:
        try:
            with bench.connect(user=dbutil.LOGIN_ROLE) as conn:
                while not (stop is not None and stop.is_set()):
                    with lock:
                        i = next(index, None)
                    if i is None:
                        return
                    if pace is not None:
                        wait = t0 + pace(i) - time.perf_counter()
                        if wait > 0:
                            if stop is not None:
                                if stop.wait(wait):
                                    return
                            else:
                                time.sleep(wait)
                    s = time.perf_counter()
                    out = track_call(conn, batches[i])
                    took = time.perf_counter() - s
                    with lock:
                        result.latencies.append(took)
                        result.items += len(out)
                        for entry in out:
                            result.statuses[entry["status"]] += 1
                            if entry["status"] == "rejected":
                                result.reasons[entry.get("reason")] += 1
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.elapsed = time.perf_counter() - t0
    if errors:
        raise errors[0]
    if result.statuses.get("rejected"):
        raise RuntimeError(f"track_events rejected synthetic events (a bench or schema bug): {dict(result.reasons)}")
    return result

