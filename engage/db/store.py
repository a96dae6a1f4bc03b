"""A Litestar ``Store`` kept in the database, so sessions and rate limits are shared by workers."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from litestar.stores.base import NamespacedStore

from engage import clock
from engage.db.sqlite_writer import is_sqlite
from engage.db.tables import KeyValue


def _now() -> datetime:
    return clock.system_now()


def _as_aware(value: datetime | str | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite may hand back text
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class DatabaseStore(NamespacedStore):
    """Key-value rows with expiry in the ``kv_store`` table, one namespace per use."""

    __slots__ = ("namespace",)

    def __init__(self, namespace: str = "litestar") -> None:
        self.namespace = namespace

    def with_namespace(self, namespace: str) -> DatabaseStore:
        """A store whose keys live under ``namespace`` inside this one."""
        return DatabaseStore(f"{self.namespace}:{namespace}")

    def _key(self, key: str) -> str:
        # Keys are stored hashed: a session id read from the database (or a backup) does not
        # open anyone's session, and rate-limit keys show no address.
        return f"{self.namespace}:{hashlib.sha256(key.encode()).hexdigest()}"

    async def set(
        self, key: str, value: str | bytes, expires_in: int | timedelta | None = None
    ) -> None:
        """Store ``value`` under ``key``, replacing what was there."""
        data = value.encode() if isinstance(value, str) else value
        if isinstance(expires_in, int):
            expires_in = timedelta(seconds=expires_in)
        expires_at = _now() + expires_in if expires_in is not None else None
        await (
            KeyValue.insert(KeyValue(key=self._key(key), value=data, expires_at=expires_at))
            .on_conflict(
                target=KeyValue.key,
                action="DO UPDATE",
                values=[KeyValue.value, KeyValue.expires_at],
            )
            .run()
        )

    async def claim(self, key: str, expires_in: timedelta) -> bool:
        """Store ``key`` unless it is there already, in one statement: True for the one
        caller that stored it (two at once cannot both be first)."""
        rows = await (
            KeyValue.insert(
                KeyValue(key=self._key(key), value=b"1", expires_at=_now() + expires_in)
            )
            .on_conflict(target=KeyValue.key, action="DO NOTHING")
            .returning(KeyValue.id)
            .run()
        )
        return bool(rows)

    async def increment(self, key: str, expires_in: timedelta) -> int:
        """Add one to the count under ``key`` and return the new count, in one statement
        (parallel callers never overwrite each other's); an expired count starts again at
        one, and the expiry restarts from now."""
        await self._drop_expired(key)
        expires_at = _now() + expires_in
        if is_sqlite(KeyValue._meta.db):
            sql = (
                "INSERT INTO kv_store (key, value, expires_at) VALUES ({}, CAST('1' AS BLOB), {}) "
                "ON CONFLICT (key) DO UPDATE SET "
                "value = CAST(CAST(CAST(kv_store.value AS TEXT) AS INTEGER) + 1 AS BLOB), "
                "expires_at = excluded.expires_at RETURNING value"
            )
        else:
            sql = (
                "INSERT INTO kv_store (key, value, expires_at) VALUES ({}, '1'::bytea, {}) "
                "ON CONFLICT (key) DO UPDATE SET value = convert_to("
                "(convert_from(kv_store.value, 'UTF8')::bigint + 1)::text, 'UTF8'), "
                "expires_at = excluded.expires_at RETURNING value"
            )
        rows = await KeyValue.raw(sql, self._key(key), expires_at).run()
        return int(bytes(rows[0]["value"]).decode())

    async def decrement(self, key: str) -> None:
        """Take one off the count under ``key`` (never below zero), in one statement."""
        if is_sqlite(KeyValue._meta.db):
            sql = (
                "UPDATE kv_store SET value = CAST(MAX(CAST(CAST(value AS TEXT) AS INTEGER) - 1, 0)"
                " AS BLOB) WHERE key = {}"
            )
        else:
            sql = (
                "UPDATE kv_store SET value = convert_to(GREATEST(convert_from(value, 'UTF8')"
                "::bigint - 1, 0)::text, 'UTF8') WHERE key = {}"
            )
        await KeyValue.raw(sql, self._key(key)).run()

    async def _drop_expired(self, key: str) -> None:
        await (
            KeyValue.delete()
            .where(KeyValue.key == self._key(key), KeyValue.expires_at <= _now())
            .run()
        )

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        """The value under ``key`` unless it is missing or expired; optionally extend its life."""
        row = (
            await KeyValue.select(KeyValue.value, KeyValue.expires_at)
            .where(KeyValue.key == self._key(key))
            .first()
            .run()
        )
        if row is None:
            return None
        expires_at = _as_aware(row["expires_at"])
        if expires_at is not None and expires_at <= _now():
            await self.delete(key)
            return None
        if renew_for is not None and expires_at is not None:
            if isinstance(renew_for, int):
                renew_for = timedelta(seconds=renew_for)
            await (
                KeyValue.update({KeyValue.expires_at: _now() + renew_for})
                .where(KeyValue.key == self._key(key))
                .run()
            )
        return bytes(row["value"])

    async def delete(self, key: str) -> None:
        """Remove ``key`` if present."""
        await KeyValue.delete().where(KeyValue.key == self._key(key)).run()

    async def delete_all(self) -> None:
        """Remove every key of this namespace."""
        await KeyValue.delete().where(KeyValue.key.like(f"{self.namespace}:%")).run()

    async def exists(self, key: str) -> bool:
        """Whether ``key`` holds an unexpired value."""
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        """Seconds until ``key`` expires, or None when it never does or is missing."""
        row = (
            await KeyValue.select(KeyValue.expires_at)
            .where(KeyValue.key == self._key(key))
            .first()
            .run()
        )
        if row is None:
            return None
        expires_at = _as_aware(row["expires_at"])
        if expires_at is None:
            return None
        return max(0, int((expires_at - _now()).total_seconds()))

    @staticmethod
    async def delete_every_expired() -> int:
        """Purge expired rows of every namespace (sessions, counters, used form ids)."""
        rows = (
            await KeyValue.delete().where(KeyValue.expires_at < _now()).returning(KeyValue.id).run()
        )
        return len(rows)

    async def delete_expired(self) -> int:
        """Purge expired rows of this namespace; returns how many went."""
        rows = (
            await KeyValue.delete()
            .where(KeyValue.key.like(f"{self.namespace}:%"), KeyValue.expires_at < _now())
            .returning(KeyValue.id)
            .run()
        )
        return len(rows)
