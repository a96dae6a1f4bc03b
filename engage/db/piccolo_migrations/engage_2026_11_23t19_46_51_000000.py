"""Composite unique indexes for the survey tables, and the index unit × item aggregates use.

Piccolo's ``Unique`` constraints are added with ``ALTER TABLE … ADD CONSTRAINT``, which
SQLite lacks; unique indexes give the same guarantee on both engines.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T19:46:51:000000"
VERSION = "1.38.0"
DESCRIPTION = "survey indexes: one text per item and language, one invitation per person"

INDEXES = [
    "CREATE UNIQUE INDEX survey_item_text_item_language ON survey_item_text (item, language)",
    "CREATE UNIQUE INDEX wave_audience_wave_unit ON wave_audience (wave, unit)",
    "CREATE UNIQUE INDEX invitation_wave_person ON invitation (wave, person)",
    "CREATE UNIQUE INDEX wave_unit_count_wave_unit ON wave_unit_count (wave, unit)",
    "CREATE INDEX answer_wave_unit_item ON answer (wave, unit, item)",
]


async def run(statement: str) -> None:
    engine = engine_finder()  # looked up each time: the configured engine may change
    assert engine is not None
    await engine.run_ddl(statement)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="engage", description=DESCRIPTION)

    async def create_indexes() -> None:
        for statement in INDEXES:
            await run(statement)

    async def drop_indexes() -> None:
        for statement in INDEXES:
            name = statement.split(" INDEX ")[1].split(" ON ")[0]
            await run(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
