"""Model fits in a process of their own, off the server's event loop and its GIL.

A report's fits take seconds of CPU. Run in a thread of the web worker they would slow
every request, the anonymous answer page included, and their recorded warnings would
race with anything else using ``warnings.catch_warnings`` (the module's filters are
process-wide). One spawned process per engine process does them, one at a time, and is
started on first use and kept.
"""

from __future__ import annotations

import asyncio
import atexit
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

T = TypeVar("T")

_pool: ProcessPoolExecutor | None = None
_lock = threading.Lock()


def _follow_parent(parent: int) -> None:
    """In the fitting process: exit as soon as the process that started it is gone (killed,
    or stopped without running its exit handlers), so no orphan keeps running."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="follow-parent", daemon=True).start()


def _executor() -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            # spawn: a fresh interpreter, not a fork of a process with threads and loops
            _pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_follow_parent,
                initargs=(os.getpid(),),
            )
        return _pool


def shutdown() -> None:
    """Stop the fitting process (at exit, or in tests)."""
    global _pool
    with _lock:
        if _pool is not None:
            _pool.shutdown(wait=True, cancel_futures=True)
            _pool = None


atexit.register(shutdown)


async def in_fitting_process(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` in the fitting process (both must pickle); a process that died
    is replaced once."""
    loop = asyncio.get_running_loop()
    try:
        return await loop.run_in_executor(_executor(), function, *args)
    except BrokenProcessPool:
        shutdown()
        return await loop.run_in_executor(_executor(), function, *args)
