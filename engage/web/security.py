"""Session login, CSRF and login rate limiting, all backed by shared (database) stores."""

from __future__ import annotations

import hashlib
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
#: Paths reachable without logging in (regular expressions matched from the start).
PUBLIC_PATHS = ["/login", "/static/", "/schema", "/healthz", "/favicon.ico"]


async def retrieve_user(
    session: dict[str, Any], _: ASGIConnection[Any, Any, Any, Any]
) -> CurrentUser | None:
    """The active user behind a session, re-read on every request (roles apply at once)."""
    user_id = session.get("user_id")
    return await load_user(int(user_id)) if isinstance(user_id, int) else None


def session_auth(settings: Settings) -> SessionAuth[CurrentUser, ServerSideSessionBackend]:
    """Server-side sessions kept in the ``sessions`` store; every path but the public ones."""
    return SessionAuth[CurrentUser, ServerSideSessionBackend](
        retrieve_user_handler=retrieve_user,
        session_backend_config=ServerSideSessionConfig(
            key="engage_session",
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
