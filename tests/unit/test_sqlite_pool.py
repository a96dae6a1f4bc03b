"""The SQLite pool: queries outside transactions reuse a few connections, nothing is lost."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import aiosqlite
import pytest

from engage.db.sqlite_pool import PooledSQLiteEngine


def _engine(tmp_path: Path) -> PooledSQLiteEngine:
    path = tmp_path / "pool.sqlite3"
    with sqlite3.connect(path) as con:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
        con.execute("CREATE TABLE child (id INTEGER PRIMARY KEY, t_id INTEGER REFERENCES t(id))")
    return PooledSQLiteEngine(path=str(path), timeout=30)


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[aiosqlite.Connection]:
    """Every SQLite connection opened through aiosqlite during the test."""
    seen: list[aiosqlite.Connection] = []
    real = aiosqlite.connect

    def counting(*args: Any, **kwargs: Any) -> aiosqlite.Connection:
        connection = real(*args, **kwargs)
        seen.append(connection)
        return connection

    monkeypatch.setattr(aiosqlite, "connect", counting)
    return seen


def _open(connections: list[aiosqlite.Connection]) -> list[aiosqlite.Connection]:
    """Those of ``connections`` still open (their thread still serving them)."""
    return [c for c in connections if c._connection is not None]


async def test_a_started_pool_keeps_its_connections_and_sees_other_writers(
    tmp_path: Path, opened: list[aiosqlite.Connection]
) -> None:
    engine = _engine(tmp_path)
    await engine.start_connection_pool(max_size=3)
    try:
        await engine._run_in_new_connection("INSERT INTO t (v) VALUES (?)", ["a"])
        for i in range(30):
            await engine._run_in_new_connection("INSERT INTO t (v) VALUES (?)", [str(i)])
            rows = await engine._run_in_new_connection("SELECT count(*) AS n FROM t")
            assert rows == [{"n": i + 2}]
        assert len(opened) == 1  # no connection (and its thread) per query
        # another process's write is seen at the next statement (autocommit, no snapshot kept)
        with sqlite3.connect(engine.path) as con:
            con.execute("INSERT INTO t (v) VALUES ('outside')")
        rows = await engine._run_in_new_connection("SELECT v FROM t WHERE v = 'outside'")
        assert rows == [{"v": "outside"}]
        # a pooled write is committed for everyone else at once
        await engine._run_in_new_connection("UPDATE t SET v = 'b' WHERE v = 'a'")
        with sqlite3.connect(engine.path) as con:
            assert con.execute("SELECT count(*) FROM t WHERE v = 'b'").fetchone() == (1,)
        # foreign keys hold on pooled connections, and a refused statement leaves them usable
        with pytest.raises(sqlite3.IntegrityError):
            await engine._run_in_new_connection("INSERT INTO child (t_id) VALUES (999)")
        rows = await engine._run_in_new_connection("SELECT count(*) AS n FROM child")
        assert rows == [{"n": 0}]
    finally:
        await engine.close_connection_pool()
    assert engine._pool is None and _open(opened) == []


async def test_concurrent_queries_wait_for_a_connection_and_all_are_answered(
    tmp_path: Path, opened: list[aiosqlite.Connection]
) -> None:
    engine = _engine(tmp_path)
    await engine.start_connection_pool(max_size=2)
    try:
        answers = await asyncio.gather(
            *(engine._run_in_new_connection("SELECT ? AS x", [i]) for i in range(50))
        )
        assert [a[0]["x"] for a in answers] == list(range(50))
        assert len(opened) == 2  # at most the pool's size, however many wait
    finally:
        await engine.close_connection_pool()


async def test_without_a_pool_each_query_opens_and_closes_its_own(
    tmp_path: Path, opened: list[aiosqlite.Connection]
) -> None:
    engine = _engine(tmp_path)
    for _ in range(3):
        assert await engine._run_in_new_connection("SELECT 1 AS one") == [{"one": 1}]
    assert len(opened) == 3
    assert _open(opened) == []  # nothing left open for a command to wait on at exit
    await engine.start_connection_pool(max_size=2)
    await engine._run_in_new_connection("SELECT 1")
    assert len(_open(opened)) == 1
    await engine.close_connection_pool()
    assert _open(opened) == []  # the closed pool's connections are closed
