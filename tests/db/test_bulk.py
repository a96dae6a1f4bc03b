"""Bulk writes go through the driver, inside the caller's transaction only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engage.db.bulk import NoTransaction, executemany, placeholders
from engage.db.tables import AuditEvent


def test_placeholders_per_engine() -> None:
    assert placeholders("sqlite", 3) == ["?", "?", "?"]
    assert placeholders("postgres", 3) == ["$1", "$2", "$3"]


async def test_bulk_write_needs_a_transaction(db: str) -> None:
    with pytest.raises(NoTransaction):
        await executemany(AuditEvent._meta.db, "DELETE FROM audit_event WHERE id = {}", [(1,)])


async def test_bulk_write_rolls_back_with_its_transaction(db: str) -> None:
    engine = AuditEvent._meta.db
    before = await AuditEvent.count().run()
    with pytest.raises(RuntimeError, match="boom"):
        async with engine.transaction():
            await executemany(
                engine,
                "INSERT INTO audit_event (at, actor, action, detail) VALUES ({}, {}, {}, {})",
                [(datetime(2026, 1, 1, tzinfo=UTC), "t", "bulk", str(i)) for i in range(50)],
            )
            assert await AuditEvent.count().run() == before + 50
            raise RuntimeError("boom")
    assert await AuditEvent.count().run() == before
