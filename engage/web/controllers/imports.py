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
from litestar.params import Body, FromPath, QueryParameter, RawBody
from litestar.response import Template

from engage.auth.guards import current_user, requires_role
from engage.csvio import ImportRejected
from engage.imports import IMPORTERS, WINDOWED, run_upload
from engage.settings import MAX_RETURN_WINDOW_DAYS, get_settings
from engage.web.forms import UploadForm

#: the kinds without a return window (visits.csv has an operation of its own)
UnwindowedKind = Literal[
    "units", "roster", "responses", "items", "outcomes", "modules", "completions"
]


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


_PROBLEMS = {
    422: ResponseSpec(
        data_container=ImportProblems,
        description="The file has problems; nothing was imported.",
    )
}


@dataclass
class CSVUploadOperation(Operation):
    """An operation whose request body is a CSV file sent as-is."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            content={
                "text/csv": OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING, min_length=1))
            },
            description="The CSV file (UTF-8, header row).",
            required=True,
        )


def _page(status_code: int = 200, **context: Any) -> Template:
    """The imports page with ``context`` (a result or the problems of an upload)."""
    return Template(
        "imports.html",
        context={
            "kinds": list(IMPORTERS),
            "result": None,
            "window_default": get_settings().return_window_days,
            "window_max": MAX_RETURN_WINDOW_DAYS,
            **context,
        },
        status_code=status_code,
    )


def parse_window_days(kind: str, value: str) -> tuple[int | None, str | None]:
    """The upload form's return window: (days or None for the default, or a problem)."""
    text = value.strip()
    if not text:
        return None, None
    if kind not in WINDOWED:
        return None, f"a return window applies only to {', '.join(WINDOWED)} imports"
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_RETURN_WINDOW_DAYS:
        return None, (
            f"return window: {text!r} is not a whole number of days from 1 to "
            f"{MAX_RETURN_WINDOW_DAYS}"
        )
    return int(text), None


class ImportPagesController(Controller):
    """The HR upload page."""

    path = "/imports"
    guards = [requires_role("hr")]
    include_in_schema = False

    @get("/", name="imports")
    async def page(self) -> Template:
        """Upload forms with the expected formats."""
        return _page()

    @post("/{kind:str}", name="import_upload")
    async def upload(
        self,
        request: Request[Any, Any, Any],
        kind: FromPath[str],
        data: Annotated[UploadForm, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> Template:
        """Import the uploaded file, then show what happened (or every problem found)."""
        if kind not in IMPORTERS:
            if data.file is not None:
                await data.file.close()
            return _page(404, kind=kind, errors=[f"unknown import {kind!r}"], total=1)
        if data.file is None or not data.file.filename:
            return _page(400, kind=kind, errors=["choose a CSV file to upload"], total=1)
        try:
            content = await data.file.read()
        finally:
            await data.file.close()
        window_days, problem = parse_window_days(kind, data.window_days)
        if problem:
            return _page(400, kind=kind, filename=data.file.filename, errors=[problem], total=1)
        try:
            summary = await run_upload(
                kind, content, current_user(request).email, window_days=window_days
            )
        except ImportRejected as exc:
            return _page(
                422,
                kind=kind,
                filename=data.file.filename,
                errors=[str(e) for e in exc.errors],
                total=exc.total,
            )
        return _page(result=summary, kind=kind, filename=data.file.filename)


class ImportsApiController(Controller):
    """Import CSV files over the API: send the file as the raw body (text/csv)."""

    path = "/api/imports"
    guards = [requires_role("hr")]
    tags = ["imports"]

    @post(
        "/{kind:str}",
        summary=(
            "Import units.csv, roster.csv, responses.csv, items.csv, outcomes.csv, "
            "modules.csv or completions.csv (all or nothing)"
        ),
        description=(
            "The request body is the CSV file itself (UTF-8, header row; see the README for "
            "columns). On any bad row nothing changes and the answer is 422 with every problem "
            "(row, column, reason). outcomes.csv stores client metrics per unit and month. "
            "visits.csv has its own operation (`POST /api/imports/visits`)."
        ),
        status_code=200,
        operation_class=CSVUploadOperation,
        responses=_PROBLEMS,
    )
    async def import_csv(
        self, request: Request[Any, Any, Any], kind: FromPath[UnwindowedKind], body: RawBody
    ) -> ImportResult:
        """Import one CSV file."""
        if "window_days" in request.query_params:  # not a parameter here: say so
            raise ValidationException(
                f"window_days applies only to {', '.join(WINDOWED)} imports, not {kind}"
            )
        return await _import(request, kind, body, None)

    @post(
        "/visits",
        summary="Import visits.csv: client retention per unit and month (all or nothing)",
        description=(
            "The request body is visits.csv itself (UTF-8, header row; see the README). Only "
            "the client retention derived from it is stored: the share of a month's "
            "first-time clients who return within `window_days` (default the "
            "ENGAGE_RETURN_WINDOW_DAYS setting). On any bad row nothing changes and the "
            "answer is 422 with every problem (row, column, reason)."
        ),
        status_code=200,
        operation_class=CSVUploadOperation,
        responses=_PROBLEMS,
    )
    async def import_visits(
        self,
        request: Request[Any, Any, Any],
        body: RawBody,
        window_days: Annotated[
            int | None,
            QueryParameter(
                ge=1,
                le=MAX_RETURN_WINDOW_DAYS,
                description="days after a first visit within which a return counts "
                "(default: the ENGAGE_RETURN_WINDOW_DAYS setting, 90)",
            ),
        ] = None,
    ) -> ImportResult:
        """Import visits.csv."""
        return await _import(request, "visits", body, window_days)


async def _import(
    request: Request[Any, Any, Any], kind: str, body: bytes, window_days: int | None
) -> ImportResult:
    if not body:
        raise ValidationException("the request body is empty: send the CSV file as the body")
    summary = await run_upload(kind, body, current_user(request).email, window_days=window_days)
    return ImportResult(
        kind=summary.kind,
        rows=summary.rows,
        created=summary.created,
        updated=summary.updated,
        unchanged=summary.unchanged,
        message=summary.message(),
    )
