"""Fill ``person.search_text`` for people stored before the column existed.

SQL ``lower()`` folds only ASCII on SQLite; the next roster import writes the full
Unicode case-fold.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T19:50:35:000000"
VERSION = "1.38.0"
DESCRIPTION = "backfill person.search_text"

BACKFILL = (
    "UPDATE person SET search_text = lower(name || ' ' || coalesce(email, '') || ' ' || "
    "employee_id) WHERE search_text = ''"
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="engage", description=DESCRIPTION)

    async def backfill() -> None:
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl(BACKFILL)

    manager.add_raw(backfill)
    return manager
