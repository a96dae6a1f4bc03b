"""Who is asking: the current user as the web layer sees them, and their scope."""

from __future__ import annotations

from enum import IntEnum

import msgspec


class Role(IntEnum):
    """Roles in increasing power; a guard for a role admits every role above it."""

    employee = 0
    manager = 1
    hr = 2
    admin = 3


class CurrentUser(msgspec.Struct, frozen=True):
    """The logged-in user; ``unit_path`` is the materialised path of their roster unit."""

    id: int
    email: str
    name: str
    role: str
    unit_id: int | None
    unit_code: str | None
    unit_name: str | None
    unit_path: str | None
    session_version: int = 0

    @property
    def rank(self) -> Role:
        """The user's role as a ``Role``."""
        return Role[self.role]

    @property
    def sees_whole_org(self) -> bool:
        """HR and admins see the whole organisation."""
        return self.rank >= Role.hr

    def scope_path(self) -> str | None:
        """Path prefix of the subtree this user may see; None means the whole organisation.

        A manager sees their roster unit and everything under it; a user without a roster
        unit (or an employee) gets a prefix that matches nothing.
        """
        if self.sees_whole_org:
            return None
        if self.rank >= Role.manager and self.unit_path:
            return self.unit_path
        return "/no-scope/"

    def can_see_unit(self, unit_path: str) -> bool:
        """Whether a unit with this materialised path is inside the user's scope."""
        prefix = self.scope_path()
        return prefix is None or unit_path.startswith(prefix)
