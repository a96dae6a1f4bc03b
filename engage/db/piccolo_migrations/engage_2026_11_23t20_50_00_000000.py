"""A unique index on printed-link fingerprints (SQLite cannot add a UNIQUE column)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T20:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique index on invitation.slip_token_hash"

CREATE = "CREATE UNIQUE INDEX invitation_slip_token_hash ON invitation (slip_token_hash)"
DROP = "DROP INDEX IF EXISTS invitation_slip_token_hash"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="engage", description=DESCRIPTION)

    async def create() -> None:
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl(CREATE)

    async def drop() -> None:
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl(DROP)

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
