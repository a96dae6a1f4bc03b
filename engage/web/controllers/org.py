"""Org pages: the unit tree with head counts, a unit's page, and the people search."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Template

from engage.auth.guards import current_user, requires_role
from engage.org.queries import ancestors, find_unit, flatten, search_people, unit_tree


class OrgPagesController(Controller):
    """What managers (their subtree) and HR (everything) see of the organisation."""

    path = "/"
    guards = [requires_role("manager")]
    include_in_schema = False

    @get("/org", name="org")
    async def org(self, request: Request[Any, Any, Any]) -> Template:
        """The unit tree with current head counts."""
        user = current_user(request)
        roots = await unit_tree(user.scope_path())
        return Template("org.html", context={"roots": roots, "count": len(flatten(roots))})

    @get("/org/units/{code:str}", name="unit")
    async def unit(self, request: Request[Any, Any, Any], code: FromPath[str]) -> Template:
        """One unit: where it sits, its sub-units and head counts."""
        user = current_user(request)
        node = await find_unit(code, user.scope_path())
        if node is None:
            raise NotFoundException(f"no unit {code!r} that you can see")
        crumbs = await ancestors(node.path, user.scope_path())
        return Template("unit.html", context={"node": node, "crumbs": crumbs})

    @get("/people", name="people")
    async def people(
        self,
        request: Request[Any, Any, Any],
        q: Annotated[str, QueryParameter(max_length=200)] = "",
        unit: Annotated[str, QueryParameter(max_length=64)] = "",
        leavers: FromQuery[bool] = False,
        page: Annotated[int, QueryParameter(ge=1, le=1_000_000)] = 1,
    ) -> Template:
        """Search the roster within the user's scope."""
        user = current_user(request)
        scope = user.scope_path()
        units = flatten(await unit_tree(scope))
        unit_path = None
        if unit:
            chosen = next((u for u in units if u.code == unit), None)
            if chosen is None:
                raise NotFoundException(f"no unit {unit!r} that you can see")
            unit_path = chosen.path
        result = await search_people(scope, q, unit_path, leavers, page)
        return Template(
            "people.html",
            context={"result": result, "units": units, "q": q, "unit": unit, "leavers": leavers},
        )
