"""Accounts: create users, set passwords, check logins, load the current user."""

from __future__ import annotations

import re
from typing import Any

from piccolo.columns import Column

from engage import clock
from engage.auth.identity import CurrentUser, Role
from engage.auth.passwords import check_strength, hash_password, needs_rehash, verify_password
from engage.db.tables import Person, User

MAX_EMAIL = 254
MAX_NAME = 200
EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")


#: A new password (or deactivation) ends every session the user had.
SESSION_BUMP = User.session_version + 1


class AccountError(ValueError):
    """A user could not be created or changed; the message says why."""


async def load_user(user_id: int) -> CurrentUser | None:
    """The active user with this id, with their roster unit, or None."""
    row = (
        await User.select(
            User.id,
            User.email,
            User.name,
            User.role,
            User.active,
            User.session_version,
            User.person._.unit._.id.as_alias("unit_id"),
            User.person._.unit._.code.as_alias("unit_code"),
            User.person._.unit._.name.as_alias("unit_name"),
            User.person._.unit._.path.as_alias("unit_path"),
        )
        .where(User.id == user_id)
        .first()
        .run()
    )
    if row is None or not row["active"]:
        return None
    return CurrentUser(
        id=row["id"],
        email=row["email"],
        name=row["name"] or row["email"],
        role=row["role"],
        unit_id=row["unit_id"],
        unit_code=row["unit_code"],
        unit_name=row["unit_name"],
        unit_path=row["unit_path"],
        session_version=row["session_version"],
    )


async def authenticate(email: str, password: str) -> CurrentUser | None:
    """The user if ``email`` and ``password`` match an active account, else None."""
    if "\x00" in email or len(email) > MAX_EMAIL:
        verify_password(None, password)  # same work, same answer as an unknown email
        return None
    row = (
        await User.select(User.id, User.password_hash, User.active)
        .where(User.email == email.strip().lower())
        .first()
        .run()
    )
    stored = row["password_hash"] if row else None
    if not verify_password(stored, password) or row is None or not row["active"]:
        return None
    values: dict[Column | str, Any] = {User.last_login_at: clock.now()}
    if stored and needs_rehash(stored):
        values[User.password_hash] = hash_password(password)
    await User.update(values).where(User.id == row["id"]).run()
    return await load_user(row["id"])


async def create_user(email: str, role: str, name: str = "", password: str | None = None) -> int:
    """Create a login (linked to the roster person with that email, if any); return its id."""
    email = email.strip().lower()
    if not EMAIL.match(email) or len(email) > MAX_EMAIL or "\x00" in email:
        raise AccountError(f"{email[:60]!r} is not an email address")
    if len(name) > MAX_NAME or "\x00" in name:
        raise AccountError(f"the name must have at most {MAX_NAME} characters")
    if role not in Role.__members__:
        raise AccountError(f"unknown role {role!r}; use one of {', '.join(Role.__members__)}")
    if await User.exists().where(User.email == email).run():
        raise AccountError(
            f"a user with email {email} already exists (to give them a password: "
            f"engage user set-password {email})"
        )
    if password is not None:
        check_strength(password)
    person = await Person.select(Person.id, Person.name).where(Person.email == email).first().run()
    if role == "manager" and person is None:
        raise AccountError(
            "a manager must be in the roster (their unit defines what they manage): "
            "import them in roster.csv with role manager"
        )
    rows = await User.insert(
        User(
            email=email,
            role=role,
            name=name or (person["name"] if person else ""),
            password_hash=hash_password(password) if password is not None else None,
            person=person["id"] if person else None,
            active=True,
            created_at=clock.now(),
        )
    ).run()
    return int(rows[0]["id"])


async def set_password(email: str, password: str) -> None:
    """Set a user's password (checked for strength first)."""
    check_strength(password)
    email = email.strip().lower()
    rows = (
        await User.update(
            {User.password_hash: hash_password(password), User.session_version: SESSION_BUMP}
        )
        .where(User.email == email)
        .returning(User.id)
        .run()
    )
    if not rows:
        raise AccountError(f"no user with email {email}")


async def set_password_by_id(user_id: int, password: str) -> None:
    """Set a password for the user with this id (checked for strength first)."""
    check_strength(password)
    rows = (
        await User.update(
            {User.password_hash: hash_password(password), User.session_version: SESSION_BUMP}
        )
        .where(User.id == user_id)
        .returning(User.id)
        .run()
    )
    if not rows:
        raise AccountError(f"no user with id {user_id}")
