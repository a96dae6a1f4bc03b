"""The refusals every API operation can give, declared in its OpenAPI entry by the layer
that gives them, so the published schema names each status a client can receive.

Handlers declare what they raise themselves (``raises=[NotFoundException]``); the layers
around them are added here from the same configuration that enforces them: the login
(401 unless the path is public), the role guards and the CSRF check on changing
methods (403), the router's "no such path" where a path has parameters (404),
and the body-size limit on calls that send a body (413).
"""

from __future__ import annotations

from litestar import Litestar
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
)
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute

from engage.web.security import PUBLIC_PATHS

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _is_public(path: str, handler: HTTPRouteHandler) -> bool:
    return bool(handler.opt.get("public")) or any(path.startswith(p) for p in PUBLIC_PATHS)


def _sends_body(handler: HTTPRouteHandler) -> bool:
    # ``data`` is a decoded body; ``body`` the raw one (a CSV import)
    return bool({"data", "body"} & handler.parsed_fn_signature.parameters.keys())


def refusals_of(path: str, handler: HTTPRouteHandler) -> list[type[HTTPException]]:
    """The refusals the layers around ``handler`` can give on ``path``."""
    found: list[type[HTTPException]] = []
    if not _is_public(path, handler):
        found.append(NotAuthorizedException)
    if handler.resolve_guards() or not handler.http_methods <= SAFE_METHODS:
        found.append(PermissionDeniedException)
    if "{" in path:
        found.append(NotFoundException)
    if _sends_body(handler):
        found.append(RequestEntityTooLarge)
    return found


def declare_refusals(app: Litestar) -> None:
    """Add each schema operation's layer refusals to what it declares it raises."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if not handler.resolve_include_in_schema():
                continue
            declared = list(handler.raises or [])
            for refusal in refusals_of(route.path, handler):
                if refusal not in declared:
                    declared.append(refusal)
            handler.raises = declared
