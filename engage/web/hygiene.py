"""Request hygiene: refuse NUL characters and frame-embedding, set protective headers."""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.exceptions import ClientException
from litestar.types import ASGIApp, Message, Receive, Scope, Send

#: Swagger UI (under /schema) needs inline script; every other page loads only our files.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
#: Report pages draw plotly charts, which set inline styles (scripts stay our files only).
CSP_CHARTS = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
CSP_SCHEMA = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"
)


def hygiene_middleware(app: ASGIApp) -> ASGIApp:
    """PostgreSQL text cannot hold NUL: such URLs get a 400 before any query runs."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        query = scope.get("query_string", b"")
        if "\x00" in scope["path"] or b"%00" in query or b"\x00" in query:
            raise ClientException("the address contains a NUL character")
        path = scope["path"]
        policy = (
            CSP_SCHEMA
            if path.startswith("/schema")
            else CSP_CHARTS
            if path.startswith(("/reports", "/dashboard"))
            else CSP
        )

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["X-Frame-Options"] = "DENY"
                headers["Referrer-Policy"] = "same-origin"
                headers["Content-Security-Policy"] = policy
            await send(message)

        await app(scope, receive, send_with_headers)

    return middleware
