"""Piccolo configuration module (``PICCOLO_CONF=engage.db.piccolo_conf``).

``DB`` starts as the engine for ``ENGAGE_DATABASE_URL`` (or the default SQLite file);
``engage.db.engine.configure`` replaces it at start-up.
"""

from __future__ import annotations

from typing import Any

from piccolo.conf.apps import AppRegistry
from piccolo.engine.base import Engine

from engage.db.engine import make_engine, parse_database_url
from engage.settings import get_settings

DB: Engine[Any] = make_engine(parse_database_url(get_settings().database_url))

APP_REGISTRY = AppRegistry(apps=["engage.db.piccolo_app"])
