"""Password guesses counted per account, beside the per-address rate limit.

Someone spreading guesses over many addresses meets this limit instead: after
``FAILURES_ALLOWED`` wrong passwords for one email within ``WINDOW``, that email is
refused (right password or not) until the window has passed since the last failure.
Counted by the email as typed, whether or not an account has it, so the refusal says
nothing about which accounts exist.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from engage.db.store import DatabaseStore

FAILURES_ALLOWED = 10
WINDOW = timedelta(minutes=15)
_STORE = DatabaseStore("login_failures")


def _key(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


async def failures(email: str) -> int:
    """Wrong passwords for this email within the window."""
    value = await _STORE.get(_key(email))
    return int(value.decode()) if value else 0


async def locked(email: str) -> bool:
    """Whether this email has used up its guesses for now."""
    return await failures(email) >= FAILURES_ALLOWED


async def failed(email: str) -> None:
    """Count one wrong password (the window restarts from it)."""
    await _STORE.set(_key(email), str(await failures(email) + 1), expires_in=WINDOW)


async def succeeded(email: str) -> None:
    """A right password: the count starts again."""
    await _STORE.delete(_key(email))
