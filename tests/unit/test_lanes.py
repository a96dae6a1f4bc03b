"""The report lane: staff's report requests take turns; nothing else waits for them."""

from __future__ import annotations

import asyncio

from engage.web.lanes import worker_slots


async def test_slots_of_one_kind_take_turns_and_other_kinds_do_not_wait() -> None:
    order: list[str] = []
    release = asyncio.Event()

    async def holder() -> None:
        async with worker_slots("reports", 1):
            order.append("first in")
            await release.wait()
        order.append("first out")

    async def second() -> None:
        async with worker_slots("reports", 1):
            order.append("second in")

    async def other() -> None:
        async with worker_slots("pdf", 1):
            order.append("other kind in")

    first = asyncio.create_task(holder())
    await asyncio.sleep(0)
    waiting = asyncio.create_task(second())
    await asyncio.sleep(0.01)
    await other()  # a different kind goes straight through
    assert order == ["first in", "other kind in"]
    release.set()
    await asyncio.gather(first, waiting)
    assert order == ["first in", "other kind in", "first out", "second in"]
