"""Run pure functions in forked processes while the caller goes on, on a machine with 2+ cores.

A large taxonomy's ClickHouse plan, SQL qualification (sqlglot) and SQL lint (pglast) each need
only part of the compiler's state and none needs the others' results until the end: the compiler
starts each in a ``Group`` as soon as its input exists, plans the rest meanwhile, then waits.
A function's result comes back pickled; it must not depend on anything the caller does after the
fork. The group stops the processes whose results were never asked for (an early return).

Nothing changes but the wall time: where ``fork`` is unavailable, with one core or other threads,
for small inputs or with ``TRACKGEN_JOBS=1``, a function simply runs inline, before ``start``
returns. If the child fails in any way, the function runs again inline, so its exception is
raised in the caller exactly as without the fork.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import threading
from collections.abc import Callable
from typing import Any


def parallel_allowed() -> bool:
    """Whether a second process can help: several cores, ``fork``, not switched off, and no other
    thread in this process (a fork copies only the calling thread: a lock another one holds, say
    on a stream, would stay held in the child)."""
    if os.environ.get("TRACKGEN_JOBS") == "1" or threading.active_count() > 1:
        return False
    return (os.cpu_count() or 1) > 1 and "fork" in multiprocessing.get_all_start_methods()


class Job:
    """A started function; ``result()`` waits for it."""

    def __init__(self, fn: Callable[..., Any], args: tuple, fork: bool):
        self.fn, self.args = fn, args
        self.value: Any = None
        self.process = None
        if not fork:
            self.value = fn(*args)
            return
        gc.freeze()  # the collector in either process would otherwise write to every shared object's page
        context = multiprocessing.get_context("fork")
        self.receive, send = context.Pipe(duplex=False)
        self.process = context.Process(target=_run, args=(send, fn, args), daemon=True)
        self.process.start()
        send.close()

    def result(self) -> Any:
        if self.process is None:
            return self.value
        try:
            status, payload = pickle.loads(self.receive.recv_bytes())
        except (EOFError, OSError, pickle.UnpicklingError):
            status, payload = "failed", None
        finally:
            self.receive.close()
            self.process.join()
            self.process = None
            gc.unfreeze()
        if status != "ok":
            return self.fn(*self.args)  # raises here as it would have without the fork
        self.value = payload
        return payload

    def cancel(self) -> None:
        """Stop a forked run whose result is no longer wanted (the caller returned early); a run
        already collected, or one that ran in this process, is left as it is."""
        if self.process is None:
            return
        self.process.terminate()
        self.process.join()
        self.receive.close()
        self.process = None
        gc.unfreeze()


def _run(send, fn: Callable[..., Any], args: tuple) -> None:
    try:
        message = pickle.dumps(("ok", fn(*args)), protocol=pickle.HIGHEST_PROTOCOL)
    except BaseException:  # noqa: BLE001 - the parent runs it again and raises there
        message = pickle.dumps(("failed", None))
    send.send_bytes(message)
    send.close()


class Group:
    """Jobs started together and never outliving the block: ``with Group(fork) as jobs: jobs.start(...)``.
    A caller that returns early (an error found before a job's result was wanted) leaves no process
    behind."""

    def __init__(self, fork: bool | None = None):
        self.fork = parallel_allowed() if fork is None else fork
        self.jobs: list[Job] = []

    def start(self, fn: Callable[..., Any], *args: Any) -> Job:
        job = Job(fn, args, self.fork)
        self.jobs.append(job)
        return job

    def __enter__(self) -> Group:
        return self

    def __exit__(self, *exc: object) -> None:
        for job in self.jobs:
            job.cancel()
