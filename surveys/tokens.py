"""One-time invitation tokens and short kiosk codes; only their hashes are ever stored."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_BYTES = 24  # 192 bits, above the 128 DESIGN.md asks for
#: Crockford's base32: no I, L, O or U, so codes survive being read aloud and retyped.
KIOSK_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
KIOSK_LENGTH = 10  # 50 bits; the kiosk form is rate limited
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_token() -> str:
    """A URL-safe random token for an invitation link."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """What the database keeps of a token."""
    return hashlib.sha256(b"engage-token:" + token.encode()).hexdigest()


def new_kiosk_code() -> str:
    """A short code such as ``7KQ2M-XD4PA`` for staff without email."""
    raw = "".join(secrets.choice(KIOSK_ALPHABET) for _ in range(KIOSK_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def normalise_kiosk_code(text: str) -> str | None:
    """The canonical form of a typed code (case, spaces, dashes and O/I/L forgiven), or None."""
    cleaned = "".join(text.split()).replace("-", "").upper().translate(_CONFUSABLE)
    if len(cleaned) != KIOSK_LENGTH or any(c not in KIOSK_ALPHABET for c in cleaned):
        return None
    return cleaned


def kiosk_hash(code: str) -> str:
    """What the database keeps of a kiosk code (after ``normalise_kiosk_code``)."""
    return hashlib.sha256(b"engage-kiosk:" + code.encode()).hexdigest()
