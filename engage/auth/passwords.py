"""Password hashing with Argon2id (argon2-cffi's recommended parameters)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
MIN_LENGTH = 10
#: Verified against when the account does not exist, so timing does not tell which emails exist.
_DUMMY_HASH = _hasher.hash("engage-dummy-password-for-timing")


class WeakPassword(ValueError):
    """The password does not meet the minimum rules."""


def check_strength(password: str) -> None:
    """Raise ``WeakPassword`` saying what is wrong with a new password."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"the password must have at least {MIN_LENGTH} characters")
    if password.strip() != password:
        raise WeakPassword("the password must not start or end with a space")
    if len(set(password)) < 4:
        raise WeakPassword("the password is too repetitive")


def hash_password(password: str) -> str:
    """An Argon2id hash of ``password`` for storage."""
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash`` (always does the work, even with no hash)."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(stored_hash)
