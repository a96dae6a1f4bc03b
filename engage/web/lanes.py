"""Bounded lanes for staff's heavy requests, so the people answering are never queued.

One worker's event loop serves everyone. Left alone, a handful of HR clients reloading
reports and downloading PDFs keep it busy back to back, and an anonymous answer page
waits behind all of them. Report pages, downloads and the report API therefore pass a
small per-worker lane (``ENGAGE_REPORT_REQUESTS``, default 1; a report's first PDF render
holds it for a few seconds): more of them wait their turn without using the CPU, while
answering and every other page go straight through.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator

from litestar.types import ASGIApp, Receive, Scope, Send

from engage.settings import get_settings

_SLOTS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Semaphore]] = (
    weakref.WeakKeyDictionary()
)


@contextlib.asynccontextmanager
async def worker_slots(kind: str, size: int) -> AsyncIterator[None]:
    """Hold one of this worker's ``size`` slots of ``kind`` (one set per event loop)."""
    by_kind = _SLOTS.setdefault(asyncio.get_running_loop(), {})
    slots = by_kind.get(kind)
    if slots is None:
        slots = by_kind[kind] = asyncio.Semaphore(size)
    async with slots:
        yield


def report_lane(app: ASGIApp) -> ASGIApp:
    """Middleware for the report controllers: each request holds a report slot."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        async with worker_slots("reports", get_settings().report_requests):
            await app(scope, receive, send)

    return middleware


#: Handler opt key: the response is sent as it is, not gzipped (PDFs are compressed).
NO_COMPRESSION = "no_compression"
