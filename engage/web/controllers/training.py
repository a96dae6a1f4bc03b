"""Training pages: the catalogue, assigning, per-unit follow-through, and one's own training."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath, QueryParameter
from litestar.response import Redirect, Template

from engage import clock
from engage.auth.guards import current_user, requires_role
from engage.auth.identity import CurrentUser
from engage.csvio import parse_iso_date
from engage.db.tables import Person
from engage.org.queries import find_unit, flatten, unit_tree
from engage.training.assignments import (
    AssignmentError,
    AssignRequest,
    OutOfScope,
    assign,
    cancel,
    complete,
    list_assignments,
    person_of,
    progress_by_unit,
)
from engage.training.catalogue import (
    FORMATS,
    OUTCOMES,
    CatalogueError,
    ModuleForm,
    ModuleText,
    list_modules,
    module_texts,
    save_module,
    save_settings,
    save_text,
    set_retired,
    split_codes,
)
from engage.training.recommend import recommend
from surveys.items import ELEMENTS

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
STATUS_FILTERS = ("open", "overdue", "completed", "cancelled", "all")


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


async def _person_language(user: CurrentUser) -> tuple[int | None, str]:
    """The roster person behind the login and their language (English without one)."""
    person = await person_of(user)
    if person is None:
        return None, "en"
    row = await Person.select(Person.language).where(Person.id == person).first().run()
    return person, str(row["language"]) if row else "en"


async def _language(user: CurrentUser) -> str:
    return (await _person_language(user))[1]


async def _index_page(
    request: Request[Any, Any, Any],
    message: str | None = None,
    error: str | None = None,
    form: dict[str, Any] | None = None,
    status: int = 200,
) -> Template:
    user = current_user(request)
    scope = user.scope_path()
    day = clock.today()
    return Template(
        "training.html",
        context={
            "modules": await list_modules(await _language(user), include_retired=True),
            "progress": await progress_by_unit(day, scope),
            "units": flatten(await unit_tree(scope)),
            "elements": ELEMENTS,
            "formats": FORMATS,
            "outcomes": OUTCOMES,
            "can_edit": user.sees_whole_org,
            "message": message,
            "error": error,
            "form": form or {"due_on": (day + timedelta(days=14)).isoformat()},
            "today": day,
        },
        status_code=status,
    )


async def _unit_page(
    request: Request[Any, Any, Any],
    code: str,
    status_filter: str = "open",
    message: str | None = None,
    error: str | None = None,
    http_status: int = 200,
) -> Template:
    user = current_user(request)
    node = await find_unit(code, user.scope_path())
    if node is None:
        raise NotFoundException(f"no unit {code!r} that you can see")
    day = clock.today()
    language = await _language(user)
    status = None if status_filter == "all" else status_filter
    rows = await list_assignments(
        day,
        unit_path=node.path,
        status="assigned" if status == "open" else status,
        language=language,
    )
    staff = (
        await Person.select(Person.employee_id, Person.name, Person.unit._.name)
        .where(
            Person.unit._.path.like(node.path + "%")
            & (Person.left_on.is_null() | (Person.left_on > day))
        )
        .order_by(Person.name)
        .run()
    )
    return Template(
        "training_unit.html",
        context={
            "node": node,
            "rows": rows,
            "status": status_filter,
            "statuses": STATUS_FILTERS,
            "staff": staff,
            "modules": await list_modules(language),
            "advice": await recommend(node.id, language),
            "message": message,
            "error": error,
            "due_default": (day + timedelta(days=14)).isoformat(),
            "today": day,
        },
        status_code=http_status,
    )


def _request_from(data: dict[str, Any]) -> AssignRequest:
    return AssignRequest(
        module_code=str(data.get("module", "")).strip(),
        due_on=parse_iso_date(str(data.get("due_on", "")).strip()),
        unit_code=str(data.get("unit", "") or "").strip(),
        employee_ids=tuple(e.strip() for e in _as_list(data.get("people")) if e.strip()),
        note=str(data.get("note", "") or ""),
    )


class TrainingController(Controller):
    """Catalogue and assignments for managers (their area) and HR (everywhere; edits modules)."""

    path = "/training"
    guards = [requires_role("manager")]
    include_in_schema = False

    @get("/", name="training")
    async def index(self, request: Request[Any, Any, Any]) -> Template:
        """Progress per unit, the assign form, and the catalogue."""
        return await _index_page(request)

    @post("/assign", name="training_assign", status_code=200)
    async def assign(self, request: Request[Any, Any, Any], data: FormData) -> Template | Redirect:
        """Assign a module to a whole unit or to chosen people of one unit's page."""
        user = current_user(request)
        back = str(data.get("back", "") or "")
        try:
            result = await assign(user, _request_from(data), clock.today())
        except OutOfScope as exc:
            raise NotFoundException(str(exc)) from None
        except AssignmentError as exc:
            if back:
                return await _unit_page(request, back, error=str(exc), http_status=400)
            return await _index_page(request, error=str(exc), form=data, status=400)
        nothing = result.message() if result.created == 0 else None
        message = None if nothing else result.message()
        if back:
            return await _unit_page(request, back, message=message, error=nothing)
        return await _index_page(request, message=message, error=nothing)

    @get("/units/{code:str}", name="training_unit")
    async def unit(
        self,
        request: Request[Any, Any, Any],
        code: FromPath[str],
        status: Annotated[str, QueryParameter(max_length=16)] = "open",
    ) -> Template:
        """A unit's suggested modules, its people's assignments and who is overdue."""
        if status not in STATUS_FILTERS:
            status = "open"
        return await _unit_page(request, code, status)

    @post("/assignments/{assignment_id:int}/cancel", name="training_cancel", status_code=200)
    async def cancel(
        self, request: Request[Any, Any, Any], assignment_id: FromPath[int], data: FormData
    ) -> Template:
        """Withdraw an open assignment of someone in your area."""
        back = str(data.get("back", "") or "")
        try:
            await cancel(current_user(request), assignment_id)
        except OutOfScope as exc:
            raise NotFoundException(str(exc)) from None
        except AssignmentError as exc:
            if not back:
                return await _index_page(request, error=str(exc), status=400)
            return await _unit_page(request, back, error=str(exc), http_status=400)
        if not back:
            return await _index_page(request, message="The assignment was withdrawn.")
        return await _unit_page(request, back, message="The assignment was withdrawn.")

    @get("/modules/{code:str}", name="training_module")
    async def module(self, request: Request[Any, Any, Any], code: FromPath[str]) -> Template:
        """One module with every language version; HR edits it here."""
        return await _module_page(request, code)

    @post("/modules", name="training_module_create", guards=[requires_role("hr")], status_code=200)
    async def create_module(
        self, request: Request[Any, Any, Any], data: FormData
    ) -> Template | Redirect:
        """Add a module (its first language version)."""
        try:
            code = await save_module(_module_form(data), current_user(request).email, new=True)
        except CatalogueError as exc:
            return await _index_page(request, error=str(exc), form=data, status=400)
        return Redirect(path=f"/training/modules/{code}")

    @post(
        "/modules/{code:str}",
        name="training_module_edit",
        guards=[requires_role("hr")],
        status_code=200,
    )
    async def edit_module(
        self, request: Request[Any, Any, Any], code: FromPath[str], data: FormData
    ) -> Template:
        """Change what the module targets, its duration and format (every language)."""
        try:
            await save_settings(
                code,
                ";".join(_as_list(data.get("elements"))),
                ";".join(_as_list(data.get("outcomes"))),
                str(data.get("duration_minutes", "")),
                str(data.get("format", "")),
                current_user(request).email,
            )
        except CatalogueError as exc:
            return await _module_page(request, code, error=str(exc), status=400)
        return await _module_page(request, code, message="Saved the module's settings.")

    @post(
        "/modules/{code:str}/text",
        name="training_module_text",
        guards=[requires_role("hr")],
        status_code=200,
    )
    async def edit_text(
        self, request: Request[Any, Any, Any], code: FromPath[str], data: FormData
    ) -> Template:
        """Add or replace one language version (title, summary, address)."""
        text = ModuleText(
            str(data.get("language", "")),
            str(data.get("title", "")),
            str(data.get("summary", "")),
            str(data.get("url", "") or ""),
        )
        try:
            language = await save_text(code, text, current_user(request).email)
        except CatalogueError as exc:
            return await _module_page(request, code, error=str(exc), form=data, status=400)
        return await _module_page(request, code, message=f"Saved the {language} version.")

    @post(
        "/modules/{code:str}/retire",
        name="training_module_retire",
        guards=[requires_role("hr")],
        status_code=200,
    )
    async def retire(
        self, request: Request[Any, Any, Any], code: FromPath[str], data: FormData
    ) -> Template:
        """Retire a module (no new assignments) or bring it back."""
        retired = data.get("retired", "1") == "1"
        try:
            await set_retired(code, retired, current_user(request).email)
        except CatalogueError as exc:
            raise NotFoundException(str(exc)) from None
        return await _module_page(
            request,
            code,
            message=(
                "Retired: it can no longer be assigned. Open assignments of it stay; withdraw "
                "them on the units' pages if they should stop."
                if retired
                else "Back in the catalogue."
            ),
        )


def _module_form(data: dict[str, Any]) -> ModuleForm:
    return ModuleForm(
        code=str(data.get("code", "")),
        language=str(data.get("language", "en") or "en"),
        title=str(data.get("title", "")),
        summary=str(data.get("summary", "")),
        elements=";".join(_as_list(data.get("elements"))),
        outcomes=";".join(_as_list(data.get("outcomes"))),
        duration_minutes=str(data.get("duration_minutes", "")),
        format=str(data.get("format", "")),
        url=str(data.get("url", "") or ""),
    )


async def _module_page(
    request: Request[Any, Any, Any],
    code: str,
    message: str | None = None,
    error: str | None = None,
    form: dict[str, Any] | None = None,
    status: int = 200,
) -> Template:
    found = await module_texts(code)
    if found is None:
        raise NotFoundException(f"no module {code!r}")
    row, texts = found
    return Template(
        "training_module.html",
        context={
            "row": row,
            "texts": texts,
            "elements": ELEMENTS,
            "module_elements": split_codes(str(row["elements"])),
            "module_outcomes": split_codes(str(row["outcomes"])),
            "formats": FORMATS,
            "outcomes": OUTCOMES,
            "can_edit": current_user(request).sees_whole_org,
            "message": message,
            "error": error,
            "form": form or {},
        },
        status_code=status,
    )


class MyTrainingController(Controller):
    """Everyone's own assignments: see them, mark them complete."""

    path = "/my/training"
    include_in_schema = False

    @get("/", name="my_training")
    async def mine(self, request: Request[Any, Any, Any]) -> Template:
        """Open and completed assignments of the logged-in person."""
        return await _my_page(request)

    @post("/{assignment_id:int}/complete", name="my_training_complete", status_code=200)
    async def complete(
        self, request: Request[Any, Any, Any], assignment_id: FromPath[int], data: FormData
    ) -> Template:
        """Mark one's own assignment complete, with an optional reflection."""
        try:
            await complete(
                current_user(request),
                assignment_id,
                str(data.get("reflection", "") or ""),
                clock.today(),
            )
        except OutOfScope as exc:
            raise NotFoundException(str(exc)) from None
        except AssignmentError as exc:
            return await _my_page(request, error=str(exc), status=400)
        return await _my_page(request, message="Marked complete. Thank you.")


async def _my_page(
    request: Request[Any, Any, Any],
    message: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Template:
    user = current_user(request)
    person, language = await _person_language(user)
    day = clock.today()
    modules = {m.code: m for m in await list_modules(language, include_retired=True)}
    rows = (
        [] if person is None else await list_assignments(day, person_id=person, language=language)
    )
    return Template(
        "my_training.html",
        context={
            "person": person,
            "open": [r for r in rows if r.status == "assigned"],
            "done": [r for r in rows if r.status == "completed"],
            "modules": modules,
            "message": message,
            "error": error,
            "today": day,
        },
        status_code=status,
    )
