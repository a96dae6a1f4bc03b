"""One long-lived SQLite connection per event loop for hot write transactions.

Piccolo's SQLite engine opens a new connection (and a thread) for every transaction; on
the survey submit path that costs more than the writes. Here each event loop keeps one
connection, writers queue on an ``asyncio.Lock`` (SQLite allows one writer anyway), and
the transaction is published where Piccolo and ``engage.db.bulk`` look for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiosqlite
from piccolo.engine.sqlite import SQLiteEngine, TransactionType, dict_factory


@dataclass(slots=True)
class _Writer:
    connection: aiosqlite.Connection
    lock: asyncio.Lock
    path: str


@dataclass(slots=True)
class _Transaction:
    """Just enough of a Piccolo transaction for queries to run on our connection."""

    connection: aiosqlite.Connection


_writers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Writer] = (
    weakref.WeakKeyDictionary()
)


async def _writer(engine: SQLiteEngine) -> _Writer:
    loop = asyncio.get_running_loop()
    writer = _writers.get(loop)
    if writer is not None and writer.path == engine.path:
        return writer
    if writer is not None:
        await writer.connection.close()
    connection = await aiosqlite.connect(**engine.connection_kwargs)
    connection.row_factory = dict_factory  # type: ignore[assignment]
    await connection.execute("PRAGMA foreign_keys = 1")
    writer = _Writer(connection=connection, lock=asyncio.Lock(), path=engine.path)
    _writers[loop] = writer
    return writer


@contextlib.asynccontextmanager
async def write_transaction(engine: SQLiteEngine) -> AsyncIterator[None]:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (or ``ROLLBACK`` on error) on the loop's connection."""
    writer = await _writer(engine)
    async with writer.lock:
        await writer.connection.execute("BEGIN IMMEDIATE")
        token = engine.current_transaction.set(_Transaction(writer.connection))  # type: ignore[arg-type]
        try:
            yield
        except BaseException:
            await writer.connection.execute("ROLLBACK")
            raise
        else:
            await writer.connection.execute("COMMIT")
        finally:
            engine.current_transaction.reset(token)


async def close_writers() -> None:
    """Close the connection of the running loop (at shutdown)."""
    writer = _writers.pop(asyncio.get_running_loop(), None)
    if writer is not None:
        await writer.connection.close()


def is_sqlite(engine: Any) -> bool:
    """Whether ``engine`` is Piccolo's SQLite engine."""
    return isinstance(engine, SQLiteEngine)


@contextlib.asynccontextmanager
async def atomic(engine: Any) -> AsyncIterator[None]:
    """A write transaction that reads and then writes without lock-upgrade failures.

    SQLite: ``BEGIN IMMEDIATE`` on a connection of its own (a deferred transaction that
    reads first fails with "database is locked" when another writer got in between; the
    busy timeout makes this one wait its turn instead); PostgreSQL: an ordinary transaction.
    Unlike ``write_transaction`` it keeps no connection open afterwards, so commands that
    use it exit cleanly.
    """
    if is_sqlite(engine):
        async with engine.transaction(transaction_type=TransactionType.immediate):
            yield
        return
    async with engine.transaction():
        yield
