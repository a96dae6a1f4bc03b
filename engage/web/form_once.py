"""Ballot forms that give their answers back once: a resent form finds nothing to show.

A ballot sent with something to fix comes back filled in, so nobody loses what they typed.
On a shared kiosk the next person can press Back until the browser offers to send that
form again; the server would then fill it in once more with the previous person's answers.
So every ballot page carries a fresh form id (random and signed with a time limit: nothing
is written when a page is only shown), and a sent form's answers are shown back only the
first time its id arrives; a form sent again gets an empty ballot. Used ids are kept
(hashed, until their time limit) in the shared database store, so every worker knows.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from litestar import Request

from engage import clock
from engage.db.store import DatabaseStore
from engage.web.security import signed, signed_ok, signed_until

#: How long a ballot page may stay open before it is sent.
FORM_LIFETIME = timedelta(hours=3)
STORE = DatabaseStore("ballot_forms")
_PURPOSE = "ballot-form"


def new_form_id(request: Request[Any, Any, Any]) -> str:
    """A fresh id for one ballot page."""
    nonce = secrets.token_urlsafe(16)
    return f"{nonce}.{signed(request, _PURPOSE, nonce, FORM_LIFETIME.total_seconds())}"


async def first_use(request: Request[Any, Any, Any], form_id: str) -> bool:
    """Whether ``form_id`` is a valid, unexpired id sent for the first time (and mark it)."""
    nonce, _, token = form_id.partition(".")
    if not nonce or not signed_ok(request, _PURPOSE, nonce, token):
        return False
    left = signed_until(token) - clock.system_now().timestamp()
    return await STORE.claim(nonce, timedelta(seconds=max(1.0, left)))
