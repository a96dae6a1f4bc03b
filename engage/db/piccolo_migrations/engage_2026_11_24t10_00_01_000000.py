"""One text per module and language: a unique index (imports upsert on it)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-24T10:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique index on training_module_text (module, language)"

CREATE = (
    "CREATE UNIQUE INDEX training_module_text_module_language "
    "ON training_module_text (module, language)"
)
DROP = "DROP INDEX IF EXISTS training_module_text_module_language"


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
