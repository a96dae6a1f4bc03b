"""Migrations apply on both engines, are idempotent, and match the table classes."""

from __future__ import annotations

import sqlite3

from piccolo.apps.migrations.commands.new import AutoMigrationManager

from engage.db.engine import current_engine
from engage.db.migrate import instance_secret, migrate
from engage.db.piccolo_app import APP_CONFIG
from engage.db.tables import ALL_TABLES, OrgSettings


async def test_every_table_exists(db: str) -> None:
    for table in ALL_TABLES:
        assert await table.table_exists().run(), table._meta.tablename


async def test_migrate_twice_changes_nothing(db: str) -> None:
    await migrate()
    await migrate()
    assert await OrgSettings.count().run() == 1


async def test_default_anonymity_thresholds(db: str) -> None:
    row = await OrgSettings.select().first().run()
    assert row is not None
    assert (row["min_group_size"], row["min_comment_group_size"]) == (5, 10)


async def test_no_table_change_lacks_a_migration(db: str) -> None:
    statements = await AutoMigrationManager().get_alter_statements(app_config=APP_CONFIG)
    pending = [s for group in statements for s in group.statements]
    assert pending == [], f"tables changed without a migration: {pending}"


async def test_instance_secret_is_created_once(db: str) -> None:
    first = await instance_secret()
    assert len(first) >= 48
    assert await instance_secret() == first


async def test_sqlite_file_uses_wal(db: str) -> None:
    if current_engine().engine_type != "sqlite":
        return
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
