"""Session login, CSRF and login rate limiting, all backed by shared (database) stores."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from litestar import Request
from litestar.config.csrf import CSRFConfig
from litestar.connection import ASGIConnection
from litestar.middleware.rate_limit import RateLimitConfig, get_remote_address
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.security.session_auth import SessionAuth

from engage.auth.accounts import load_user
from engage.auth.identity import CurrentUser
from engage.settings import Settings

SESSION_HOURS = 10
SESSION_COOKIE = "engage_session"
#: Paths reachable without logging in (regular expressions matched from the start).
PUBLIC_PATHS = ["/login", "/static/", "/schema", "/healthz", "/favicon.ico"]


async def retrieve_user(
    session: dict[str, Any], _: ASGIConnection[Any, Any, Any, Any]
) -> CurrentUser | None:
    """The active user behind a session, re-read on every request (roles apply at once)."""
    user_id = session.get("user_id")
    return await load_user(int(user_id)) if isinstance(user_id, int) else None


class RotatingSessionBackend(ServerSideSessionBackend):
    """Server-side sessions that take a fresh id when a handler asks (at login).

    Litestar keeps whatever id the incoming cookie carries; without rotation a session id
    planted in a victim's browser before login would become their logged-in session.
    """

    def get_session_id(self, connection: ASGIConnection[Any, Any, Any, Any]) -> str:
        """The cookie's id, or a new one once ``rotate_session_id`` was called."""
        state = connection.state
        if state.get("engage_rotate_session"):
            if not state.get("engage_fresh_session_id"):
                state["engage_fresh_session_id"] = self.generate_session_id()
            return str(state["engage_fresh_session_id"])
        return super().get_session_id(connection)


@dataclass
class RotatingSessionConfig(ServerSideSessionConfig):
    """``ServerSideSessionConfig`` using ``RotatingSessionBackend``."""

    _backend_class: type[ServerSideSessionBackend] = field(
        default=RotatingSessionBackend, init=False, repr=False
    )


async def rotate_session_id(request: Request[Any, Any, Any]) -> None:
    """Drop the current session id (and its stored data); the response carries a new one."""
    old = request.cookies.get(SESSION_COOKIE)
    if old and old != "null":
        await request.app.stores.get("sessions").delete(old)
    request.state["engage_rotate_session"] = True


def session_auth(settings: Settings) -> SessionAuth[CurrentUser, ServerSideSessionBackend]:
    """Server-side sessions kept in the ``sessions`` store; every path but the public ones."""
    return SessionAuth[CurrentUser, ServerSideSessionBackend](
        retrieve_user_handler=retrieve_user,
        session_backend_config=RotatingSessionConfig(
            key=SESSION_COOKIE,
            store="sessions",
            max_age=SESSION_HOURS * 3600,
            httponly=True,
            secure=settings.secure_cookies,
            samesite="lax",
            renew_on_access=False,
        ),
        exclude=PUBLIC_PATHS,
        exclude_opt_key="public",
    )


def csrf_config(secret: str, settings: Settings) -> CSRFConfig:
    """Double-submit CSRF tokens on every unsafe request (forms and API alike)."""
    return CSRFConfig(
        secret=secret,
        cookie_name="engage_csrf",
        header_name="x-csrftoken",
        cookie_secure=settings.secure_cookies,
        cookie_httponly=False,
        cookie_samesite="lax",
    )


def _hashed_client(request: Request[Any, Any, Any]) -> str:
    # Rate limits are keyed by a hash, so no IP address is ever stored.
    return hashlib.sha256(get_remote_address(request).encode()).hexdigest()[:32]


def _is_login_attempt(request: Request[Any, Any, Any]) -> bool:
    return request.method == "POST" and request.url.path == "/login"


def login_rate_limit(settings: Settings) -> RateLimitConfig:
    """At most N login attempts a minute per client, counted in the shared store."""
    return RateLimitConfig(
        rate_limit=("minute", settings.login_attempts_per_minute),
        check_throttle_handler=_is_login_attempt,
        identifier_for_request=_hashed_client,
        store="rate_limit",
        set_rate_limit_headers=True,
    )
