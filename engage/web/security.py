"""Session login, CSRF and login rate limiting, all backed by shared (database) stores."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

from litestar import Request
from litestar.config.csrf import CSRFConfig
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.exceptions import PermissionDeniedException
from litestar.middleware.rate_limit import RateLimitConfig, get_remote_address
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.security.session_auth import SessionAuth
from litestar.types import Empty, Message, ScopeSession
from litestar.utils.scope.state import ScopeState

from engage import clock
from engage.auth.accounts import load_user
from engage.auth.identity import CurrentUser
from engage.db.store import DatabaseStore
from engage.settings import Settings

SESSION_HOURS = 10
SESSION_COOKIE = "engage_session"
#: Paths reachable without logging in (regular expressions matched from the start).
PUBLIC_PATHS = [
    "/login",
    "/static/",
    "/schema",
    "/healthz",
    "/livez",
    "/favicon.ico",
    "/s/",
    "/kiosk",
]


async def retrieve_user(
    session: dict[str, Any], _: ASGIConnection[Any, Any, Any, Any]
) -> CurrentUser | None:
    """The active user behind a session, re-read on every request (roles apply at once).

    A session from before the user's password was reset (or the account deactivated) no
    longer matches their session version and is refused.
    """
    user_id = session.get("user_id")
    if not isinstance(user_id, int):
        return None
    user = await load_user(user_id)
    if user is None or session.get("v") != user.session_version:
        return None
    return user


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_COOKIE = "engage_csrf"


def _csrf_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _csrf_belongs(session: dict[str, Any], connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """Whether the request's CSRF cookie is the one this session was started with.

    The double-submit check alone accepts any valid pair, so a token planted in a
    browser (from a sibling subdomain, say) would pass; tying it to the session at login
    makes such a pair useless for anyone else's session."""
    bound = session.get("csrf")
    if not isinstance(bound, str):
        return True  # started without a CSRF cookie (none to tie); the middleware checks
    token = connection.cookies.get(CSRF_COOKIE, "")
    return hmac.compare_digest(_csrf_digest(token), bound)


def csrf_of_this_session(request: Request[Any, Any, Any]) -> None:
    """Before every handler: an unsafe request in a logged-in session must carry the CSRF
    cookie that session was started with (403 otherwise; the session itself stays).

    The CSRF cookie lasts as long as the browser, the session cookie up to
    ``SESSION_HOURS``: a browser that restarted comes back with the session and no CSRF
    cookie. Its first page then gets a fresh token made here by the server (one nobody
    else can know), and the session is tied to that one.
    """
    session = request.scope.get("session")
    if "user" not in request.scope or not isinstance(session, dict):
        return
    if not session.get("user_id"):
        return
    if request.method in SAFE_METHODS:
        fresh = ScopeState.from_scope(request.scope).csrf_token
        if CSRF_COOKIE not in request.cookies and isinstance(fresh, str) and fresh:
            request.set_session({**session, "csrf": _csrf_digest(fresh)})
        return
    if not _csrf_belongs(session, request):
        raise PermissionDeniedException("CSRF token does not belong to this session")


def start_session(request: Request[Any, Any, Any], user: CurrentUser) -> None:
    """Put the logged-in user (and their current session version) in the session, tied to
    the CSRF token the login came with."""
    token = request.cookies.get(CSRF_COOKIE)
    request.set_session(
        {
            "user_id": user.id,
            "v": user.session_version,
            **({"csrf": _csrf_digest(token)} if token else {}),
        }
    )


async def purge_expired_sessions(every_seconds: int = 600) -> None:
    """Delete expired sessions, counters and used form ids now and then (any worker may)."""
    while True:
        await asyncio.sleep(every_seconds)
        await DatabaseStore.delete_every_expired()


class RotatingSessionBackend(ServerSideSessionBackend):
    """Server-side sessions that take a fresh id when a handler asks (at login).

    Litestar keeps whatever id the incoming cookie carries; without rotation a session id
    planted in a victim's browser before login would become their logged-in session.
    """

    async def load_from_connection(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> dict[str, Any]:
        """Load the session, remembering its stored bytes to skip rewriting it unchanged."""
        session_id = connection.cookies.get(self.config.key)
        if session_id and session_id != "null":
            store = self.config.get_store_from_app(connection.scope["app"])
            data = await self.get(session_id, store=store)
            if data is not None:
                connection.state["engage_session_bytes"] = data
                return self.deserialize_data(data)
        return {}

    async def store_in_message(
        self,
        scope_session: ScopeSession,
        message: Message,
        connection: ASGIConnection[Any, Any, Any, Any],
    ) -> None:
        """Write the session only when it changed; anonymous visitors leave no row at all."""
        incoming = connection.cookies.get(self.config.key)
        has_cookie = bool(incoming) and incoming != "null"
        if scope_session is Empty or not scope_session:
            if has_cookie:  # logged out or expired: forget it here and in the browser
                store = self.config.get_store_from_app(connection.scope["app"])
                await self.delete(str(incoming), store=store)
                headers = MutableScopeHeaders.from_message(message)
                headers.add(
                    "Set-Cookie",
                    Cookie(
                        key=self.config.key,
                        value="",
                        max_age=0,
                        expires=0,
                        path=self.config.path,
                        httponly=True,
                        secure=self.config.secure,
                        samesite=self.config.samesite,
                    ).to_header(header=""),
                )
            return
        rotating = bool(connection.state.get("engage_rotate_session"))
        unchanged = connection.state.get("engage_session_bytes") == self.serialize_data(
            scope_session, connection.scope
        )
        if has_cookie and unchanged and not rotating:
            return
        await super().store_in_message(scope_session, message, connection)

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
        cookie_name=CSRF_COOKIE,
        header_name="x-csrftoken",
        cookie_secure=settings.secure_cookies,
        cookie_httponly=False,
        cookie_samesite="lax",
    )


def hashed_client(request: Request[Any, Any, Any], group: str = "login") -> str:
    """The client's address as a keyed hash, so no IP address is stored or recoverable;
    each ``group`` counts apart (a clinic's tablet and its manager's PC often share one)."""
    secret = request.app.state.get("rate_limit_salt", b"")
    digest = hmac.new(secret, get_remote_address(request).encode(), hashlib.sha256).hexdigest()
    return f"{group}:{digest[:32]}"


def signed(request: Request[Any, Any, Any], purpose: str, subject: str, lifetime: float) -> str:
    """A token saying this server vouches for ``subject`` (for ``purpose``) until a time:
    ``until.mac``. Nothing is stored; ``signed_ok`` checks it."""
    until = int(clock.system_now().timestamp() + lifetime)
    return f"{until}.{_signature(request, purpose, subject, until)}"


def signed_ok(request: Request[Any, Any, Any], purpose: str, subject: str, token: str) -> bool:
    """Whether ``token`` is an unexpired ``signed`` token for this purpose and subject."""
    until, _, mac = token.partition(".")
    if not until.isdigit() or int(until) < clock.system_now().timestamp():
        return False
    return hmac.compare_digest(_signature(request, purpose, subject, int(until)), mac)


def signed_until(token: str) -> int:
    """The time (Unix seconds) a ``signed`` token is good until; 0 when malformed."""
    until = token.partition(".")[0]
    return int(until) if until.isdigit() else 0


def _signature(request: Request[Any, Any, Any], purpose: str, subject: str, until: int) -> str:
    secret = bytes(request.app.state.get("rate_limit_salt", b"")) + purpose.encode()
    return hmac.new(secret, f"{subject}:{until}".encode(), hashlib.sha256).hexdigest()


def _is_login_attempt(request: Request[Any, Any, Any]) -> bool:
    # Password guesses (kiosk codes are limited apart: engage.web.kiosk_limit).
    return request.method == "POST" and request.url.path == "/login"


def login_rate_limit(settings: Settings) -> RateLimitConfig:
    """At most N login attempts a minute per client, counted in the shared store."""
    return RateLimitConfig(
        rate_limit=("minute", settings.login_attempts_per_minute),
        check_throttle_handler=_is_login_attempt,
        identifier_for_request=hashed_client,
        store="rate_limit",
        set_rate_limit_headers=True,
    )
