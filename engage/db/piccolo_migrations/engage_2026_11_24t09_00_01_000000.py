"""One client metric per unit, month and metric: a unique index (upserts target it).

SQLite cannot add a composite UNIQUE constraint to an existing table; a unique index gives
the same guarantee on both engines.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-24T09:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique index on client_metric (unit, month, metric)"

CREATE = (
    "CREATE UNIQUE INDEX client_metric_unit_month_metric ON client_metric (unit, month, metric)"
)
DROP = "DROP INDEX IF EXISTS client_metric_unit_month_metric"


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
