"""At most one open assignment of a module per person: a partial unique index.

Two managers (or a double click) assigning at once then cannot create the same open
assignment twice; inserts skip the conflicting rows.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-24T10:00:02:000000"
VERSION = "1.38.0"
DESCRIPTION = "one open training assignment per person and module"

CREATE = (
    "CREATE UNIQUE INDEX training_assignment_one_open "
    "ON training_assignment (person, module) WHERE status = 'assigned'"
)
DROP = "DROP INDEX IF EXISTS training_assignment_one_open"


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
