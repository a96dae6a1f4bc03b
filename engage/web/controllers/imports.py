"""CSV imports for HR: an upload page and API endpoints, both all-or-nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema
from litestar.params import Body, FromPath, RawBody
from litestar.response import Template

from engage.auth.guards import current_user, requires_role
from engage.csvio import ImportRejected
from engage.imports import IMPORTERS, run_import
from engage.web.forms import UploadForm

ImportKind = Literal["units", "roster", "responses", "items"]


class ImportResult(msgspec.Struct):
    """What an import did."""

    kind: str
    rows: int
    created: int
    updated: int
    unchanged: int
    message: str


class ImportProblem(msgspec.Struct):
    """One problem in an uploaded file (the header is row 1)."""

    row: int | None
    column: str | None
    reason: str


class ImportProblems(msgspec.Struct):
    """A rejected import: nothing changed."""

    status_code: int
    detail: str
    errors: list[ImportProblem]
    total_errors: int


@dataclass
class CSVUploadOperation(Operation):
    """An operation whose request body is a CSV file sent as-is."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            content={"text/csv": OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING))},
            description="The CSV file (UTF-8, header row).",
            required=True,
        )


class ImportPagesController(Controller):
    """The HR upload page."""

    path = "/imports"
    guards = [requires_role("hr")]
    include_in_schema = False

    @get("/", name="imports")
    async def page(self) -> Template:
        """Upload forms with the expected formats."""
        return Template("imports.html", context={"kinds": list(IMPORTERS), "result": None})

    @post("/{kind:str}", name="import_upload")
    async def upload(
        self,
        request: Request[Any, Any, Any],
        kind: FromPath[str],
        data: Annotated[UploadForm, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> Template:
        """Import the uploaded file, then show what happened (or every problem found)."""
        if kind not in IMPORTERS:
            return Template(
                "imports.html",
                context={
                    "kinds": list(IMPORTERS),
                    "result": None,
                    "kind": kind,
                    "errors": [f"unknown import {kind!r}"],
                    "total": 1,
                },
                status_code=404,
            )
        if data.file is None or not data.file.filename:
            return Template(
                "imports.html",
                context={
                    "kinds": list(IMPORTERS),
                    "result": None,
                    "kind": kind,
                    "errors": ["choose a CSV file to upload"],
                    "total": 1,
                },
                status_code=400,
            )
        try:
            content = await data.file.read()
        finally:
            await data.file.close()
        try:
            summary = await run_import(kind, content, current_user(request).email)
        except ImportRejected as exc:
            return Template(
                "imports.html",
                context={
                    "kinds": list(IMPORTERS),
                    "result": None,
                    "kind": kind,
                    "filename": data.file.filename,
                    "errors": [str(e) for e in exc.errors],
                    "total": exc.total,
                },
                status_code=422,
            )
        return Template(
            "imports.html",
            context={
                "kinds": list(IMPORTERS),
                "result": summary,
                "kind": kind,
                "filename": data.file.filename,
            },
        )


class ImportsApiController(Controller):
    """Import CSV files over the API: send the file as the raw body (text/csv)."""

    path = "/api/imports"
    guards = [requires_role("hr")]
    tags = ["imports"]

    @post(
        "/{kind:str}",
        summary="Import units.csv, roster.csv, responses.csv or items.csv (all or nothing)",
        description=(
            "The request body is the CSV file itself (UTF-8, header row; see the README for "
            "columns). On any bad row nothing changes and the answer is 422 with every problem "
            "(row, column, reason)."
        ),
        status_code=200,
        operation_class=CSVUploadOperation,
        responses={
            422: ResponseSpec(
                data_container=ImportProblems,
                description="The file has problems; nothing was imported.",
            )
        },
    )
    async def import_csv(
        self,
        request: Request[Any, Any, Any],
        kind: FromPath[ImportKind],
        body: RawBody,
    ) -> ImportResult:
        """Import one CSV file."""
        if not body:
            raise ValidationException("the request body is empty: send the CSV file as the body")
        summary = await run_import(kind, body, current_user(request).email)
        return ImportResult(
            kind=summary.kind,
            rows=summary.rows,
            created=summary.created,
            updated=summary.updated,
            unchanged=summary.unchanged,
            message=summary.message(),
        )
