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


async def attempt(email: str) -> bool:
    """Take one of this email's guesses before its password is checked: False when they
    are used up for now. Taken first and atomically, so parallel guesses cannot all slip
    in under the limit; a right password starts the count again (``succeeded``)."""
    return await _STORE.increment(_key(email), WINDOW) <= FAILURES_ALLOWED


async def succeeded(email: str) -> None:
    """A right password: the count starts again."""
    await _STORE.delete(_key(email))
