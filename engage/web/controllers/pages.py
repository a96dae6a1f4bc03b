"""The home page each role lands on, and the health check."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.response import Template

from engage import clock
from engage.auth.guards import current_user
from engage.db.tables import Person, Unit, User
from engage.org.queries import find_unit
from engage.training.assignments import list_assignments, person_of, progress_by_unit


class HomeController(Controller):
    """Landing page after login and a health check for load balancers."""

    path = "/"
    include_in_schema = False

    @get("/", name="home")
    async def home(self, request: Request[Any, Any, Any]) -> Template:
        """What the user can do, with the numbers their role may see."""
        user = current_user(request)
        context: dict[str, Any] = {"unit": None, "stats": None, "training": None}
        person = await person_of(user)
        if person is not None:
            day = clock.today()
            open_rows = await list_assignments(day, person_id=person, status="assigned")
            context["training"] = {
                "open": len(open_rows),
                "overdue": sum(1 for r in open_rows if r.overdue),
            }
        if user.sees_whole_org:
            context["stats"] = {
                "units": await Unit.count().run(),
                "staff": await Person.count().where(Person.left_on.is_null()).run(),
                "logins": await User.count().where(User.active == True).run(),
            }
        elif user.unit_code and user.rank >= 1:
            context["unit"] = await find_unit(user.unit_code, user.scope_path())
            if context["unit"] is not None:
                progress = await progress_by_unit(clock.today(), context["unit"].path)
                context["area_training"] = next(
                    (p for p in progress if p.code == user.unit_code), None
                )
        return Template("home.html", context=context)

    @get("/livez", opt={"public": True}, name="live")
    async def live(self) -> dict[str, bool]:
        """Liveness: the process answers (no database; the benchmarks' hello-world floor)."""
        return {"ok": True}

    @get("/healthz", opt={"public": True}, name="health")
    async def health(self) -> dict[str, str]:
        """Liveness and database reachability."""
        await Unit.count().run()
        return {"status": "ok"}
