"""Many rows, one statement: bulk writes through the driver inside a Piccolo transaction.

Building a Piccolo object and query string per row costs about a hundred times the write
itself; imports of tens of thousands of rows (roster, responses, visits) go through here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from piccolo.engine.base import Engine


class NoTransaction(RuntimeError):
    """Bulk writes must run inside ``engine.transaction()`` (all or nothing)."""


def placeholders(engine_type: str, count: int, start: int = 1) -> list[str]:
    """Driver placeholders for ``count`` parameters: ``?`` (SQLite) or ``$n`` (PostgreSQL)."""
    if engine_type == "sqlite":
        return ["?"] * count
    return [f"${i}" for i in range(start, start + count)]


async def executemany(engine: Engine[Any], sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """Run ``sql`` (with ``{}`` where each parameter goes) once per row, in the open transaction."""
    if not rows:
        return
    transaction = engine.current_transaction.get()
    if transaction is None:
        raise NoTransaction("bulk writes need an open transaction")
    statement = sql.format(*placeholders(engine.engine_type, len(rows[0])))
    await transaction.connection.executemany(statement, [tuple(r) for r in rows])


async def fetch(engine: Engine[Any], sql: str, *params: Any) -> list[dict[str, Any]]:
    """Run one statement (``{}`` placeholders) in the open transaction; rows as dicts."""
    transaction = engine.current_transaction.get()
    if transaction is None:
        raise NoTransaction("this statement needs an open transaction")
    statement = sql.format(*placeholders(engine.engine_type, len(params)))
    if engine.engine_type == "sqlite":
        cursor = await transaction.connection.execute(statement, params)
        rows = await cursor.fetchall()
        await cursor.close()
        return [dict(r) for r in rows]
    return [dict(r) for r in await transaction.connection.fetch(statement, *params)]
