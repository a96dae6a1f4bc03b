"""Password hashing and strength rules."""

from __future__ import annotations

import pytest

from engage.auth.passwords import WeakPassword, check_strength, hash_password, verify_password


def test_hash_is_argon2id_and_verifies() -> None:
    stored = hash_password("a good long password")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "a good long password")
    assert not verify_password(stored, "a good long passworD")


def test_missing_or_broken_hash_never_verifies() -> None:
    assert not verify_password(None, "engage-dummy-password-for-timing")
    assert not verify_password("not-a-hash", "anything")


@pytest.mark.parametrize(
    "password", ["short", "aaaaaaaaaaaaaa", " leading-space-pw", "abababababab"]
)
def test_weak_passwords_are_refused(password: str) -> None:
    with pytest.raises(WeakPassword):
        check_strength(password)


def test_reasonable_password_passes() -> None:
    check_strength("correct-horse-battery")
