"""Litestar guards: role checks that raise before a handler runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from engage.auth.identity import CurrentUser, Role

Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]


def current_user(connection: ASGIConnection[Any, Any, Any, Any]) -> CurrentUser:
    """The logged-in user, or 401."""
    user = connection.scope.get("user")
    if not isinstance(user, CurrentUser):
        raise NotAuthorizedException("please log in")
    return user


def requires_role(minimum: str) -> Guard:
    """A guard admitting ``minimum`` or any higher role (admin > hr > manager > employee)."""
    needed = Role[minimum]

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        user = current_user(connection)
        if user.rank < needed:
            raise PermissionDeniedException(f"this needs the {minimum} role or higher")

    guard.__name__ = f"requires_{minimum}"
    return guard


def requires_admin(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Only admins (user management, settings)."""
    if current_user(connection).rank < Role.admin:
        raise PermissionDeniedException("this needs the admin role")
