"""Constrained types for the JSON API: each constraint is both checked (msgspec, Litestar)
and published in the OpenAPI schema, so the schema is exactly as strict as the check."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar.openapi.spec import OpenAPIType, Schema
from litestar.params import Parameter

#: Text a database can hold: PostgreSQL refuses NUL characters.
NO_NUL = "^[^\\u0000]*$"
#: Text with at least one visible character (everything Python's strip() removes, and
#: control characters, do not count), and no NUL.
VISIBLE = (
    "^[^\\u0000]*[^\\u0000-\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a"
    "\\u2028\\u2029\\u202f\\u205f\\u3000][^\\u0000]*$"
)
#: The largest id a row can have on both engines (PostgreSQL's integer).
MAX_ID = 2**31 - 1

#: A database row id in a path.
RowId = Annotated[int, Parameter(ge=1, le=MAX_ID, description="A row id (1 to 2,147,483,647).")]
#: A unit, item, module or employee code.
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=NO_NUL)]


def text(max_length: int) -> msgspec.Meta:
    """Free text of up to ``max_length`` characters, NUL-free."""
    return msgspec.Meta(max_length=max_length, pattern=NO_NUL)


def visible_text(max_length: int) -> msgspec.Meta:
    """A name: 1 to ``max_length`` characters, at least one of them visible."""
    return msgspec.Meta(min_length=1, max_length=max_length, pattern=VISIBLE)


#: A list of codes (the schema of each item published too: Litestar does not carry the
#: constraints of a list's items into the schema by itself).
_CODE_SCHEMA = Schema(type=OpenAPIType.STRING, min_length=1, max_length=64, pattern=NO_NUL)
Codes = Annotated[list[Code], Parameter(schema_extra={"items": _CODE_SCHEMA})]
#: At least one code (an empty list is the domain's refusal: msgspec's own length check
#: would hide the items' schema from Litestar).
SomeCodes = Annotated[list[Code], Parameter(min_items=1, schema_extra={"items": _CODE_SCHEMA})]
