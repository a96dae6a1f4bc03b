"""JSON API for the org: who am I, units in scope, a unit, people search."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get
from litestar.exceptions import NotFoundException
from litestar.params import Parameter, QueryParameter

from engage.auth.guards import current_user, requires_role
from engage.org.queries import UnitNode, ancestors, find_unit, flatten, search_people, unit_tree
from engage.web.api_types import NO_NUL


class Me(msgspec.Struct):
    """The logged-in user."""

    email: str
    name: str
    role: str
    unit_id: str | None
    unit_name: str | None


class UnitOut(msgspec.Struct):
    """A unit with its current head counts."""

    unit_id: str
    name: str
    parent_id: str | None
    depth: int
    head_count: int
    subtree_head_count: int


class UnitDetail(msgspec.Struct):
    """A unit, the visible units above it, and its direct sub-units."""

    unit: UnitOut
    ancestors: list[str]
    children: list[UnitOut]


class PersonOut(msgspec.Struct):
    """A roster entry."""

    employee_id: str
    name: str
    email: str | None
    role: str
    language: str
    unit_id: str
    hired_on: date
    left_on: date | None


class PeopleOut(msgspec.Struct):
    """One page of people."""

    total: int
    page: int
    per_page: int
    people: list[PersonOut]


def _unit_out(node: UnitNode, codes: dict[int, str]) -> UnitOut:
    return UnitOut(
        unit_id=node.code,
        name=node.name,
        parent_id=codes.get(node.parent_id) if node.parent_id is not None else None,
        depth=node.depth,
        head_count=node.direct,
        subtree_head_count=node.total,
    )


class MeController(Controller):
    """The current user."""

    path = "/api/me"
    tags = ["account"]

    @get("/", summary="The logged-in user")
    async def me(self, request: Request[Any, Any, Any]) -> Me:
        """Email, role and roster unit of the caller."""
        user = current_user(request)
        return Me(user.email, user.name, user.role, user.unit_code, user.unit_name)


class UnitsController(Controller):
    """Org units within the caller's scope (a manager: their subtree; HR: all)."""

    path = "/api/units"
    guards = [requires_role("manager")]
    tags = ["org"]

    @get("/", summary="Units in scope with head counts")
    async def list_units(self, request: Request[Any, Any, Any]) -> list[UnitOut]:
        """Every unit the caller may see, depth-first."""
        nodes = flatten(await unit_tree(current_user(request).scope_path()))
        codes = {n.id: n.code for n in nodes}
        return [_unit_out(n, codes) for n in nodes]

    @get(
        "/{unit_id:str}",
        summary="One unit",
        description="404 when the unit does not exist or is outside the caller's scope.",
    )
    async def get_unit(
        self,
        request: Request[Any, Any, Any],
        unit_id: Annotated[str, Parameter(max_length=64, pattern=NO_NUL)],
    ) -> UnitDetail:
        """A unit with its sub-units; units outside the caller's scope are 'not found'."""
        user = current_user(request)
        node = await find_unit(unit_id, user.scope_path())
        if node is None:
            raise NotFoundException(f"no unit {unit_id!r} that you can see")
        codes = {node.id: node.code} | {c.id: c.code for c in node.children}
        crumbs = await ancestors(node.path, user.scope_path())
        out = _unit_out(node, codes)
        if node.parent_id is not None and crumbs:
            out.parent_id = crumbs[-1]["code"]
        return UnitDetail(
            unit=out,
            ancestors=[c["code"] for c in crumbs],
            children=[_unit_out(c, codes) for c in node.children],
        )


class PeopleController(Controller):
    """Roster search within the caller's scope."""

    path = "/api/people"
    guards = [requires_role("manager")]
    tags = ["org"]

    @get("/", summary="Search people in scope", raises=[NotFoundException])
    async def search(
        self,
        request: Request[Any, Any, Any],
        q: Annotated[
            str,
            QueryParameter(
                description="Part of a name, email or employee id", max_length=200, pattern=NO_NUL
            ),
        ] = "",
        unit_id: Annotated[
            str | None,
            QueryParameter(description="Only this unit's subtree", max_length=64, pattern=NO_NUL),
        ] = None,
        include_left: Annotated[
            bool, QueryParameter(description="Include people who left")
        ] = False,
        page: Annotated[int, QueryParameter(ge=1, le=1_000_000)] = 1,
        per_page: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
    ) -> PeopleOut:
        """People matching ``q``; a unit outside the caller's scope is 'not found'."""
        user = current_user(request)
        scope = user.scope_path()
        unit_path = None
        if unit_id:
            node = await find_unit(unit_id, scope)
            if node is None:
                raise NotFoundException(f"no unit {unit_id!r} that you can see")
            unit_path = node.path
        result = await search_people(scope, q, unit_path, include_left, page, per_page)
        return PeopleOut(
            total=result.total,
            page=result.page,
            per_page=result.per_page,
            people=[
                PersonOut(
                    employee_id=r.employee_id,
                    name=r.name,
                    email=r.email,
                    role=r.role,
                    language=r.language,
                    unit_id=r.unit_code,
                    hired_on=r.hired_on,
                    left_on=r.left_on,
                )
                for r in result.rows
            ],
        )
