"""Error responses: JSON for the API, a readable page (or a redirect to log in) for people."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import MediaType, Request, Response
from litestar.exceptions import (
    ClientException,
    HTTPException,
    NotAuthorizedException,
    ValidationException,
)
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from engage.csvio import ImportRejected
from engage.web.uploads import close_uploaded_files

TITLES = {
    400: "That request was not understood",
    401: "Please log in",
    403: "Not allowed",
    404: "Not found",
    409: "Not possible now",
    405: "Not allowed",
    413: "File too large",
    429: "Too many attempts",
    500: "Something went wrong",
}


class RuleConflict(ClientException):
    """A well-formed API request that a rule refuses as things stand (a wave's status,
    today's date, the roster, the catalogue): 409, the detail names every problem."""

    status_code = 409


def loggable_path(request: Request[Any, Any, Any]) -> str:
    """The request path with survey tokens blanked out: logs never hold them."""
    path = request.url.path
    return "/s/…" if path.startswith("/s/") else path


def _wants_json(request: Request[Any, Any, Any]) -> bool:
    return request.url.path.startswith("/api/") or request.url.path.startswith("/schema")


def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """Render an HTTP error for the audience that asked."""
    close_uploaded_files(request.scope)
    status = exc.status_code
    if _wants_json(request):
        body: dict[str, Any] = {"status_code": status, "detail": exc.detail}
        if isinstance(exc, ValidationException) and exc.extra:
            body["extra"] = exc.extra
        return Response(body, status_code=status, media_type=MediaType.JSON, headers=exc.headers)
    if isinstance(exc, NotAuthorizedException):
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        return Redirect(
            path=f"/login?next={quote(target, safe='/')}" if target != "/" else "/login"
        )
    detail = exc.detail
    if "csrf" in str(detail).lower():
        detail = (
            "The form had expired or came from elsewhere. Go back, reload the page and try again."
        )
    return Template(
        template_name="error.html",
        context={"status": status, "title": TITLES.get(status, "Error"), "detail": detail},
        status_code=status,
        headers=exc.headers,
    )


def import_rejected(request: Request[Any, Any, Any], exc: ImportRejected) -> Response[Any]:
    """An import API call with bad rows: 422 with every problem named."""
    return Response(
        {
            "status_code": 422,
            "detail": exc.summary(limit=0).splitlines()[0],
            "errors": [{"row": e.row, "column": e.column, "reason": e.reason} for e in exc.errors],
            "total_errors": exc.total,
        },
        status_code=422,
        media_type=MediaType.JSON,
    )


#: What a database refuses to hold: a number beyond its integers (SQLite from 2^63,
#: PostgreSQL from 2^31 for ids), or text with a NUL (PostgreSQL).
OUT_OF_RANGE = (
    "a value in the request cannot be stored: a number is out of range (ids and counts "
    "are whole numbers below 2,147,483,648) or a text holds a NUL character"
)


#: PostgreSQL data errors a request's own values cause: a value the driver cannot send
#: (22000, asyncpg's "invalid input for query argument"), too long (22001), out of range
#: (22003), or a character the database cannot hold (22021 NUL, 22P05). Any other data
#: error comes from engage's own SQL and stays a server error, logged as one.
REQUEST_VALUE_STATES = frozenset({"22000", "22001", "22003", "22021", "22P05"})


def value_refused(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A value the database cannot hold (the request's transaction is rolled back): a
    clear 400 instead of a server error."""
    state = getattr(exc, "sqlstate", None)
    if state is not None and state not in REQUEST_VALUE_STATES:
        return server_error(request, exc)
    request.logger.warning(
        "refused a value on %s %s: %s", request.method, loggable_path(request), type(exc).__name__
    )
    return http_error(request, ValidationException(OUT_OF_RANGE))


def server_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Unexpected failures: logged by Litestar, shown without internals."""
    request.logger.exception("unhandled error on %s %s", request.method, loggable_path(request))
    return http_error(
        request,
        HTTPException(status_code=HTTP_500_INTERNAL_SERVER_ERROR, detail="The error was logged."),
    )
