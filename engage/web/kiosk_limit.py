"""Kiosk codes: wrong guesses are limited, people answering never are.

A salon's tablet serves everyone on one address, so counting every request (as logins
are) turned the sixth person of a busy minute away, with their ballot filled in. Only
wrong codes count: ``WRONG_CODES_ALLOWED`` within ``WINDOW`` per address (a keyed hash of
it, nothing stored in the clear); once they are used up no code is checked from that
address until the window has passed (a right one included, or guessing would go on). A
code that opened a ballot comes back with the answers together with a pass (an HMAC of
the code's hash with a time limit), and a submission or a language switch with a valid
pass is always taken, whatever the count, so nobody loses a filled-in ballot; one
without a pass is a guess like any other.
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


async def attempt(request: Request[Any, Any, Any]) -> bool:
    """Take one of this address's guesses before a code is checked: False when they are
    used up for now. Taken first and atomically, so parallel guesses cannot all slip in
    under the limit; ``right`` gives it back when the code opened a ballot."""
    count = await _STORE.increment(hashed_client(request, "kiosk"), WINDOW)
    return count <= WRONG_CODES_ALLOWED


async def right(request: Request[Any, Any, Any]) -> None:
    """The code checked was right: its guess does not count."""
    await _STORE.decrement(hashed_client(request, "kiosk"))


def pass_for(request: Request[Any, Any, Any], digest: str) -> str:
    """The pass a ballot opened by a code carries back with its answers."""
    return signed(request, "kiosk-pass", digest, PASS_LIFETIME.total_seconds())


def valid_pass(request: Request[Any, Any, Any], digest: str, token: str) -> bool:
    """Whether ``token`` is an unexpired pass for the code with this hash."""
    return signed_ok(request, "kiosk-pass", digest, token)
