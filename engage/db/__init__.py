"""Persistence: Piccolo tables, migrations, engine configuration and the key-value store."""

import os

# Piccolo's migration runner finds the engine through this module.
os.environ.setdefault("PICCOLO_CONF", "engage.db.piccolo_conf")
