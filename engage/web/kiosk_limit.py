"""Kiosk codes: wrong guesses are limited, people answering never are.

A salon's tablet serves everyone on one address, so counting every request (as logins
are) turned the sixth person of a busy minute away, with their ballot filled in. Only
wrong codes count: ``WRONG_CODES_ALLOWED`` within ``WINDOW`` per address (a keyed hash of
it, nothing stored in the clear). A code that opened a ballot comes back with the answers
together with a pass (an HMAC of the code's hash with a time limit), and a submission with
a valid pass is always taken, whatever the count, so nobody loses a filled-in ballot; a
submission without one is a guess like any other.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Request

from engage.db.store import DatabaseStore
from engage.web.security import hashed_client, signed, signed_ok

WRONG_CODES_ALLOWED = 10
WINDOW = timedelta(minutes=10)
#: How long a ballot opened by code may take to be sent.
PASS_LIFETIME = timedelta(hours=3)
_STORE = DatabaseStore("kiosk_wrong")


async def _count(request: Request[Any, Any, Any]) -> int:
    value = await _STORE.get(hashed_client(request, "kiosk"))
    return int(value.decode()) if value else 0


async def too_many(request: Request[Any, Any, Any]) -> bool:
    """Whether this address has used up its wrong codes for now."""
    return await _count(request) >= WRONG_CODES_ALLOWED


async def wrong(request: Request[Any, Any, Any]) -> None:
    """Count one wrong code (the window restarts from it)."""
    key = hashed_client(request, "kiosk")
    await _STORE.set(key, str(await _count(request) + 1), expires_in=WINDOW)


def pass_for(request: Request[Any, Any, Any], digest: str) -> str:
    """The pass a ballot opened by a code carries back with its answers."""
    return signed(request, "kiosk-pass", digest, PASS_LIFETIME.total_seconds())


def valid_pass(request: Request[Any, Any, Any], digest: str, token: str) -> bool:
    """Whether ``token`` is an unexpired pass for the code with this hash."""
    return signed_ok(request, "kiosk-pass", digest, token)
