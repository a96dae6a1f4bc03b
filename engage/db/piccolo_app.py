"""The Piccolo app that holds every engage table and its migrations."""

from __future__ import annotations

import os

from piccolo.conf.apps import AppConfig

from engage.db.tables import ALL_TABLES

APP_CONFIG = AppConfig(
    app_name="engage",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=list(ALL_TABLES),
    migration_dependencies=[],
    commands=[],
)
