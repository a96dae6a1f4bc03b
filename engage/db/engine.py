"""Turn a database URL into a Piccolo engine and point every table at it."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine

from engage.db.sqlite_pool import PooledSQLiteEngine


class DatabaseURLError(ValueError):
    """The database URL is not one engage understands."""


@dataclass(frozen=True, slots=True)
class DatabaseTarget:
    """A parsed database URL: the engine kind plus what that engine needs to connect."""

    kind: str  # "sqlite" or "postgres"
    sqlite_path: str | None = None
    postgres_config: dict[str, object] | None = None

    def describe(self) -> str:
        """A human description without any password."""
        if self.kind == "sqlite":
            return f"SQLite file {self.sqlite_path}"
        cfg = self.postgres_config or {}
        where = f"{cfg.get('host')}:{cfg.get('port')}/{cfg.get('database')}"
        return f"PostgreSQL {cfg.get('user')}@{where}"


def parse_database_url(url: str) -> DatabaseTarget:
    """Parse ``postgres://…``, ``sqlite:///PATH`` or a bare path (SQLite)."""
    url = url.strip()
    if not url:
        raise DatabaseURLError("database URL is empty")
    if url.startswith(("postgres://", "postgresql://")):
        parts = urlparse(url)
        database = parts.path.lstrip("/") or "postgres"
        config: dict[str, object] = {
            "host": parts.hostname or "127.0.0.1",
            "port": parts.port or 5432,
            "user": unquote(parts.username) if parts.username else "postgres",
            "database": unquote(database),
        }
        if parts.password:
            config["password"] = unquote(parts.password)
        return DatabaseTarget(kind="postgres", postgres_config=config)
    if url.startswith("sqlite://"):
        path = url.removeprefix("sqlite://")
        # sqlite:///relative.db -> "relative.db"; sqlite:////abs/path.db -> "/abs/path.db"
        if path.startswith("/"):
            path = path[1:]
        if not path:
            raise DatabaseURLError("sqlite URL has no file path: use sqlite:///PATH")
        return DatabaseTarget(kind="sqlite", sqlite_path=path)
    if "://" in url:
        raise DatabaseURLError(
            f"unsupported database URL scheme in {url.split('://')[0]!r}: "
            "use postgres://…, sqlite:///PATH or a file path"
        )
    return DatabaseTarget(kind="sqlite", sqlite_path=url)


def make_engine(target: DatabaseTarget) -> Engine[Any]:
    """Build the Piccolo engine for a parsed URL (no connection is opened)."""
    if target.kind == "postgres":
        return PostgresEngine(config=dict(target.postgres_config or {}))
    assert target.sqlite_path is not None
    return PooledSQLiteEngine(path=target.sqlite_path, timeout=30)


def prepare_sqlite_file(path: str) -> None:
    """Create the SQLite file's folder and switch the file to WAL (a setting kept in the file)."""
    Path(path).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")


def configure(url: str) -> Engine[Any]:
    """Point Piccolo (and so every engage table and the migration runner) at ``url``."""
    from engage.db import piccolo_conf
    from engage.db.tables import ALL_TABLES

    global _url
    target = parse_database_url(url)
    _url = url
    if target.kind == "sqlite":
        assert target.sqlite_path is not None
        prepare_sqlite_file(target.sqlite_path)
    engine = make_engine(target)
    piccolo_conf.DB = engine
    for table in ALL_TABLES:
        table._meta.db = engine
    from piccolo.apps.migrations.tables import Migration

    Migration._meta.db = engine
    return engine


_url: str | None = None


def current_url() -> str | None:
    """The database URL ``configure`` was given (for a helper process to connect to)."""
    return _url


def current_engine() -> Engine[Any]:
    """The engine that ``configure`` set."""
    from engage.db import piccolo_conf

    return piccolo_conf.DB
