"""CPU-heavy work in processes of their own, off the server's event loop and its GIL.

A report's model fits take seconds of CPU, and a PDF's layout (WeasyPrint, pure Python)
most of a second. Run in a thread of the web worker they would hold the GIL and slow
every request, the anonymous answer page included; the fits' recorded warnings would also
race with anything else using ``warnings.catch_warnings`` (the filters are process-wide).
Each ``Sidecar`` is one spawned process per engine process, doing its jobs one at a time,
started on first use, kept, and gone when its parent is (even if killed).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import multiprocessing
import multiprocessing.connection
import os
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import date
from typing import Any, TypeVar

T = TypeVar("T")


#: Set in a sidecar process: work sent to a sidecar from there runs in place (it is off
#: the server already) instead of starting a process of its own.
_inside = False
#: Sidecars yield the CPU to the web workers they serve: on a small machine the answer
#: page keeps its latency while a report is fitted or a PDF laid out.
NICENESS = 10


def _follow_parent(parent: int) -> None:
    """In the sidecar: exit as soon as the process that started it is gone (killed, or
    stopped without running its exit handlers), so no orphan keeps running; and run at a
    lower priority than the server.

    Waits on the parent's sentinel (a pipe that reads as closed once the parent is gone)
    rather than polling with sleeps, which also holds under a shifted clock (libfaketime).
    """
    global _inside
    _inside = True
    with contextlib.suppress(OSError):  # where not allowed: the same priority
        os.nice(NICENESS)
    started_by = multiprocessing.parent_process()

    def watch() -> None:
        if started_by is not None:
            multiprocessing.connection.wait([started_by.sentinel])
        elif os.getppid() != parent:  # pragma: no cover - spawn always has a parent
            return
        os._exit(0)

    threading.Thread(target=watch, name="follow-parent", daemon=True).start()


class Sidecar:
    """One helper process for one kind of work (jobs queue; one runs at a time)."""

    def __init__(self, name: str, *, fresh: bool = False) -> None:
        """``fresh``: a new process for every job, so all its memory goes when it ends."""
        self.name = name
        self.fresh = fresh
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        atexit.register(self.shutdown)

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                # spawn: a fresh interpreter, not a fork of a process with threads and loops
                self._pool = ProcessPoolExecutor(
                    max_workers=1,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_follow_parent,
                    initargs=(os.getpid(),),
                    max_tasks_per_child=1 if self.fresh else None,
                )
            return self._pool

    def shutdown(self) -> None:
        """Stop the process (at exit, or in tests)."""
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` in the sidecar (both must pickle); a process that died is
        replaced once. Inside a sidecar, it runs in place."""
        if _inside:
            return function(*args)
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor(), function, *args)
        except BrokenProcessPool:
            self.shutdown()
            return await loop.run_in_executor(self._executor(), function, *args)


#: The linkage report's model fits.
FITTING = Sidecar("fitting")
#: PDF layout (WeasyPrint).
RENDERING = Sidecar("rendering")
#: Large imports: parsing millions of cells leaves a process holding its memory.
IMPORTING = Sidecar("importing", fresh=True)


async def in_fitting_process(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` in the fitting process."""
    return await FITTING.run(function, *args)


async def on_this_database(
    sidecar: Sidecar, function: Callable[..., Coroutine[Any, Any, T]], *args: Any
) -> T:
    """``await function(*args)`` in ``sidecar``, on this process's database and day (in
    place when already in a sidecar, or when no database URL is configured)."""
    from engage import clock
    from engage.db.engine import current_url

    url = current_url()
    if _inside or url is None:
        return await function(*args)
    return await sidecar.run(_on_database, url, clock.pinned_day(), function, *args)


def _on_database(
    url: str, pinned: date | None, function: Callable[..., Coroutine[Any, Any, T]], *args: Any
) -> T:
    """In the sidecar: the parent's database and day, then the job on a loop of its own."""
    from engage import clock
    from engage.db.engine import configure

    configure(url)
    clock.pin(pinned)
    return asyncio.run(function(*args))
