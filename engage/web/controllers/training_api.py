"""Training over the JSON API: catalogue, assignments (scoped like the pages), completion."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromQuery, JSONBody, QueryParameter

from engage import clock
from engage.auth.guards import current_user, requires_role
from engage.org.queries import find_unit
from engage.training.assignments import (
    MAX_NOTE,
    MAX_REFLECTION,
    AssignmentError,
    AssignmentRow,
    AssignRequest,
    OutOfScope,
    assign,
    cancel,
    complete,
    list_assignments,
    person_of,
    progress_by_unit,
)
from engage.training.catalogue import list_modules
from engage.web.api_types import NO_NUL, Code, Codes, RowId, text
from engage.web.errors import RuleConflict


class ModuleOut(msgspec.Struct):
    """A catalogue module in the requested language (English when it has no such version)."""

    code: str
    language: str
    title: str
    summary: str
    elements: list[str]
    outcomes: list[str]
    duration_minutes: int
    format: str
    url: str
    retired: bool
    languages: list[str]


class AssignIn(msgspec.Struct):
    """Assign a module to a whole unit (with its sub-units) or to people by employee id."""

    module: Code
    due_on: date
    unit_id: Code | None = None
    employee_ids: Codes = []
    note: Annotated[str, text(MAX_NOTE)] = ""


class AssignOut(msgspec.Struct):
    """What an assignment did."""

    module: str
    created: int
    already_open: int
    due_on: date


class AssignmentOut(msgspec.Struct):
    """One assignment; ``state`` is open, overdue, completed or cancelled."""

    id: int
    module: str
    employee_id: str
    person_name: str
    unit_id: str
    assigned_by: str
    assigned_on: date
    due_on: date
    state: str
    completed_on: date | None
    completion_source: str | None
    reflection: str | None


class ProgressOut(msgspec.Struct):
    """Assignment counts of a unit and its sub-units."""

    unit_id: str
    name: str
    open: int
    overdue: int
    completed: int


class CompleteIn(msgspec.Struct):
    """Completing one's own assignment."""

    reflection: Annotated[str, text(MAX_REFLECTION)] = ""


def _out(r: AssignmentRow) -> AssignmentOut:
    return AssignmentOut(
        r.id,
        r.module_code,
        r.employee_id,
        r.person_name,
        r.unit_code,
        r.assigned_by,
        r.assigned_on,
        r.due_on,
        r.state,
        r.completed_on,
        r.completion_source,
        r.reflection,
    )


class TrainingApiController(Controller):
    """Managers assign and follow up within their area; HR everywhere."""

    path = "/api/training"
    guards = [requires_role("manager")]
    tags = ["training"]

    @get("/modules", summary="The training catalogue")
    async def modules(
        self,
        language: Annotated[str, QueryParameter(max_length=16, pattern=NO_NUL)] = "en",
        retired: FromQuery[bool] = False,
    ) -> list[ModuleOut]:
        """Every module (current ones unless ``retired=true``), titled in ``language``."""
        return [
            ModuleOut(
                m.code,
                m.text.language,
                m.text.title,
                m.text.summary,
                list(m.elements),
                list(m.outcomes),
                m.duration_minutes,
                m.format,
                m.text.url,
                m.retired,
                list(m.languages),
            )
            for m in await list_modules(language, include_retired=retired)
        ]

    @get(
        "/assignments",
        summary="Assignments in your area (or one unit of it)",
        raises=[NotFoundException],
    )
    async def assignments(
        self,
        request: Request[Any, Any, Any],
        unit_id: Annotated[str, QueryParameter(max_length=64, pattern=NO_NUL)] = "",
        status: Annotated[
            Literal["assigned", "overdue", "completed", "cancelled"] | None,
            QueryParameter(description="only assignments in this state (overdue: past due)"),
        ] = None,
    ) -> list[AssignmentOut]:
        """Assignments of people in a unit subtree (by their unit when assigned)."""
        user = current_user(request)
        scope = user.scope_path()
        path = scope
        if unit_id:
            node = await find_unit(unit_id, scope)
            if node is None:
                raise NotFoundException(f"no unit {unit_id!r} that you can see")
            path = node.path
        rows = await list_assignments(clock.today(), unit_path=path, status=status, limit=5000)
        return [_out(r) for r in rows]

    @post(
        "/assignments",
        summary="Assign a module",
        status_code=201,
        raises=[NotFoundException, RuleConflict],
    )
    async def create(self, request: Request[Any, Any, Any], data: JSONBody[AssignIn]) -> AssignOut:
        """Assign to a unit (everyone in it now) or named people, all inside your area."""
        try:
            result = await assign(
                current_user(request),
                AssignRequest(
                    module_code=data.module,
                    due_on=data.due_on,
                    unit_code=data.unit_id or "",
                    employee_ids=tuple(data.employee_ids),
                    note=data.note,
                ),
                clock.today(),
            )
        except OutOfScope as exc:
            raise NotFoundException(str(exc)) from None
        except AssignmentError as exc:
            raise RuleConflict(str(exc)) from None
        return AssignOut(result.module_code, result.created, result.already_open, result.due_on)

    @post(
        "/assignments/{assignment_id:int}/cancel",
        summary="Withdraw an open assignment in your area",
        status_code=200,
        raises=[RuleConflict],
    )
    async def cancel(self, request: Request[Any, Any, Any], assignment_id: RowId) -> dict[str, Any]:
        """Withdraw an open assignment of someone in your area (404 outside it)."""
        try:
            await cancel(current_user(request), assignment_id)
        except OutOfScope as exc:
            raise NotFoundException(str(exc)) from None
        except AssignmentError as exc:
            raise RuleConflict(str(exc)) from None
        return {"id": assignment_id, "state": "cancelled"}

    @get("/progress", summary="Open, overdue and completed assignments per unit")
    async def progress(self, request: Request[Any, Any, Any]) -> list[ProgressOut]:
        """Per unit of your area (sub-units included in each count)."""
        user = current_user(request)
        return [
            ProgressOut(p.code, p.name, p.open, p.overdue, p.completed)
            for p in await progress_by_unit(clock.today(), user.scope_path())
        ]


class MyTrainingApiController(Controller):
    """Every logged-in person's own assignments."""

    path = "/api/training/me"
    tags = ["training"]

    @get("/", summary="Your assignments")
    async def mine(self, request: Request[Any, Any, Any]) -> list[AssignmentOut]:
        """Open and completed assignments of the logged-in person."""
        person = await person_of(current_user(request))
        if person is None:
            return []
        return [_out(r) for r in await list_assignments(clock.today(), person_id=person)]

    @post(
        "/{assignment_id:int}/complete",
        summary="Mark your assignment complete",
        status_code=200,
        raises=[RuleConflict],
    )
    async def complete(
        self,
        request: Request[Any, Any, Any],
        assignment_id: RowId,
        data: JSONBody[CompleteIn],
    ) -> AssignmentOut:
        """Complete one of your open assignments today, with an optional reflection."""
        user = current_user(request)
        try:
            await complete(user, assignment_id, data.reflection, clock.today())
        except OutOfScope as exc:
            raise NotFoundException(str(exc)) from None
        except AssignmentError as exc:
            raise RuleConflict(str(exc)) from None
        person = await person_of(user)
        rows = await list_assignments(clock.today(), person_id=person)
        return next(_out(r) for r in rows if r.id == assignment_id)
