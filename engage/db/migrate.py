"""Apply migrations and make sure the rows every installation needs exist."""

from __future__ import annotations

import contextlib
import io
import secrets

from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.apps.migrations.tables import Migration

from engage.db.tables import KeyValue, OrgSettings, SurveyItem
from engage.reporting.publication import publish_missing
from engage.training.modules_import import ensure_starter_catalogue
from surveys.items import ENGAGEMENT_CODES, ENPS

SECRET_KEY_NAME = "instance:secret_key"  # noqa: S105 (a key name, not a secret)


class MigrationFailed(RuntimeError):
    """A migration did not apply; the message says which and why."""


async def migrate(*, quiet: bool = True) -> int:
    """Bring the schema up to date; seed the settings row, the items, the starter training
    catalogue (into an empty catalogue) and the instance secret; publish closed waves that
    have no publication yet (databases from before publications).

    Returns how many migrations were applied (0 when the database was already current).
    """
    before = await _applied()
    out = io.StringIO()
    with contextlib.redirect_stdout(out) if quiet else contextlib.nullcontext():
        result = await run_forwards(app_name="engage")
    if not result.success:
        raise MigrationFailed(result.message or out.getvalue())
    if not await OrgSettings.exists().run():
        await OrgSettings.insert(OrgSettings()).run()
    await ensure_default_items()
    await ensure_starter_catalogue()
    await instance_secret()
    await publish_missing()
    return await _applied() - before


async def _applied() -> int:
    if not await Migration.table_exists().run():
        return 0
    return int(await Migration.count().where(Migration.app_name == "engage").run())


async def ensure_default_items() -> None:
    """The twelve engagement items and eNPS exist (texts come from the shipped bank)."""
    existing = {r["code"] for r in await SurveyItem.select(SurveyItem.code).run()}
    codes = [*ENGAGEMENT_CODES, ENPS]
    missing = [
        SurveyItem(
            code=code,
            kind="enps" if code == ENPS else "likert",
            element=None if code == ENPS else code,
            position=position,
            active=True,
        )
        for position, code in enumerate(codes, start=1)
        if code not in existing
    ]
    if missing:
        await SurveyItem.insert(*missing).run()


async def instance_secret() -> str:
    """The signing secret shared by every worker: created once, kept in the database."""
    row = await KeyValue.select(KeyValue.value).where(KeyValue.key == SECRET_KEY_NAME).first().run()
    if row is not None:
        return bytes(row["value"]).decode()
    value = secrets.token_urlsafe(48)
    await (
        KeyValue.insert(KeyValue(key=SECRET_KEY_NAME, value=value.encode(), expires_at=None))
        .on_conflict(target=KeyValue.key, action="DO NOTHING")
        .run()
    )
    row = await KeyValue.select(KeyValue.value).where(KeyValue.key == SECRET_KEY_NAME).first().run()
    assert row is not None
    return bytes(row["value"]).decode()
