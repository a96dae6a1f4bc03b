"""Only data errors that a request's own values cause are a 400; engage's own stay a 500."""

from __future__ import annotations

import asyncpg
from litestar import Litestar, get
from litestar.testing import TestClient

from engage.web import errors


@get("/api/range")
async def out_of_range() -> None:
    raise asyncpg.exceptions.NumericValueOutOfRangeError("integer out of range")


@get("/api/nul")
async def nul() -> None:
    raise asyncpg.exceptions.CharacterNotInRepertoireError("invalid byte sequence")


@get("/api/argument")
async def argument() -> None:
    raise asyncpg.exceptions.DataError("invalid input for query argument $1")


@get("/api/ours")
async def ours() -> None:
    raise asyncpg.exceptions.DivisionByZeroError("division by zero")


def test_request_values_are_400_and_engages_own_sql_is_500() -> None:
    app = Litestar(
        route_handlers=[out_of_range, nul, argument, ours],
        exception_handlers={
            asyncpg.exceptions.DataError: errors.value_refused,
            Exception: errors.server_error,
        },
    )
    with TestClient(app=app) as client:
        headers = {"accept": "application/json"}
        for path in ("/api/range", "/api/nul", "/api/argument"):
            assert client.get(path, headers=headers).status_code == 400, path
        assert client.get("/api/ours", headers=headers).status_code == 500
