"""Long-lived SQLite connections for the queries a server runs outside transactions.

Piccolo's SQLite engine opens a connection, and with it a thread, for every query outside
a transaction, then closes both: on the answer page that costs more than the queries, and
the thread starts compete for the interpreter with everything else the worker does. A
server (the app's lifespan) starts a pool of up to N connections that those queries borrow
in turn, as Piccolo's PostgreSQL engine does; with no pool started (commands, helper
processes) every query opens its own connection as before, so nothing is left open when a
command ends. Transactions keep their own connections (``engage.db.sqlite_writer``).
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiosqlite
from piccolo.engine.sqlite import SQLiteEngine, dict_factory


class _Pool:
    """Up to ``size`` open connections; a query waits for one when all are busy."""

    def __init__(self, engine: SQLiteEngine, size: int) -> None:
        self.engine = engine
        self.idle: list[aiosqlite.Connection] = []
        self.turns = asyncio.Semaphore(size)
        self.closed = False

    async def _connection(self) -> aiosqlite.Connection:
        if self.idle:
            return self.idle.pop()
        connection = await aiosqlite.connect(**self.engine.connection_kwargs)
        connection.row_factory = dict_factory  # type: ignore[assignment]
        await connection.execute("PRAGMA foreign_keys = 1")
        return connection

    async def fetch(self, query: str, args: list[Any]) -> list[dict[str, Any]]:
        """Run one statement (autocommit) on a pooled connection and return its rows."""
        async with self.turns:
            connection = await self._connection()
            try:
                rows = await connection.execute_fetchall(query, args)
            except ValueError:  # "Connection closed": do not hand it out again
                await connection.close()
                raise
            except BaseException:
                self._give_back(connection)
                raise
            self._give_back(connection)
            return list(rows)  # type: ignore[arg-type]

    def _give_back(self, connection: aiosqlite.Connection) -> None:
        if self.closed:
            asyncio.get_running_loop().create_task(connection.close())
        else:
            self.idle.append(connection)

    async def close(self) -> None:
        self.closed = True
        idle, self.idle = self.idle, []
        for connection in idle:
            await connection.close()


class PooledSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine, with an optional pool for queries outside transactions."""

    _pool: _Pool | None = None

    async def start_connection_pool(self, max_size: int = 4, **_: Any) -> None:
        """Borrow connections from a pool of ``max_size`` from now on (a server's lifespan)."""
        await self.close_connection_pool()
        self._pool = _Pool(self, max_size)

    async def close_connection_pool(self) -> None:
        """Close the pool's connections; later queries open their own again."""
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    async def _run_in_new_connection(
        self,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> Any:
        pool = self._pool
        if pool is None or self.get_version_sync() < 3.35:
            return await super()._run_in_new_connection(query, args, query_type, table)
        return await pool.fetch(query, args or [])
