"""Shared fixtures: a fresh database per test module, on SQLite and on PostgreSQL.

The environment is set before anything from engage is imported. The clock is pinned to
``TEST_TODAY`` (``ENGAGE_TODAY``, which subprocesses inherit too), so no test depends on the
day it runs; ``ENGAGE_TEST_TODAY`` moves it to try the suite on another day. Hypothesis runs
derandomized: the same examples on every machine. PostgreSQL tests use the
server at ``ENGAGE_TEST_POSTGRES_URL`` (default ``postgres://postgres@127.0.0.1:5432/test``);
when it cannot be reached they are skipped with a message saying so, unless
``ENGAGE_REQUIRE_POSTGRES=1`` (set by CI), where they fail instead.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

_TMP = Path(tempfile.mkdtemp(prefix="engage-tests-"))
os.environ["ENGAGE_DATABASE_URL"] = str(_TMP / "default.sqlite3")
os.environ.setdefault("ENGAGE_SECRET_KEY", "test-secret-key-0123456789abcdef0123456789")
os.environ["PICCOLO_CONF"] = "engage.db.piccolo_conf"
# The test client runs the app on its own event loop: no pool shared across loops.
os.environ["ENGAGE_DB_POOL"] = "0"
#: The day every test runs on, whatever the system clock says.
TEST_TODAY = date.fromisoformat(os.environ.get("ENGAGE_TEST_TODAY") or "2026-11-24")
os.environ["ENGAGE_TODAY"] = TEST_TODAY.isoformat()

import asyncpg  # noqa: E402
import pytest  # noqa: E402
from hypothesis import settings as hypothesis_settings  # noqa: E402

from engage.db.engine import configure, parse_database_url  # noqa: E402
from engage.db.migrate import migrate  # noqa: E402
from engage.db.sqlite_writer import close_writers  # noqa: E402

hypothesis_settings.register_profile("engage", derandomize=True, print_blob=True)
hypothesis_settings.load_profile("engage")

POSTGRES_URL = os.environ.get("ENGAGE_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
ENGINES = ("sqlite", "postgres")


async def _postgres_admin() -> asyncpg.Connection:
    cfg = parse_database_url(POSTGRES_URL).postgres_config or {}
    return await asyncpg.connect(timeout=5, **cfg)


async def _fresh_postgres_database() -> str:
    """Create an empty database on the test server; return its URL."""
    try:
        conn = await _postgres_admin()
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        message = (
            f"PostgreSQL not reachable at {POSTGRES_URL} ({exc.__class__.__name__}: {exc}); "
            "PostgreSQL variants of the database tests are skipped"
        )
        if os.environ.get("ENGAGE_REQUIRE_POSTGRES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    name = f"engage_test_{uuid.uuid4().hex[:12]}"
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = POSTGRES_URL.rsplit("/", 1)[0]
    return f"{base}/{name}"


async def _drop_postgres_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    conn = await _postgres_admin()
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="module", params=ENGINES)
async def db(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """A migrated, empty database for this test module; yields its URL (runs per engine)."""
    if request.param == "sqlite":
        url = str(_TMP / f"{uuid.uuid4().hex}.sqlite3")
    else:
        url = await _fresh_postgres_database()
    configure(url)
    await migrate()
    yield url
    await close_writers()
    if request.param == "postgres":
        await _drop_postgres_database(url)


@pytest.fixture(scope="module")
def sqlite_db() -> str:
    """A fresh SQLite file path (not migrated) for tests that drive the CLI."""
    return str(_TMP / f"{uuid.uuid4().hex}.sqlite3")
