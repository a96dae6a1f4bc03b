"""Every GET endpoint, for every role: the right answer, never a 500, nothing out of scope.

The Riverside manager asks for Harbour (a unit outside their subtree) every way there is:
the answer is 403 or 404 and never names Harbour or its people. A new GET route that is not
listed here fails the test, so each endpoint gets its expectations written down.
"""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from engage.reporting.report_store import refresh_linkage
from engage.survey.history_import import import_responses
from surveys.items import ENGAGEMENT_CODES
from tests.factories import Org, login

pytestmark = pytest.mark.db

ROLES = ("employee", "riverside", "regional", "hr", "admin")
#: path → the lowest role that may open it (employee, manager, hr, admin) or "public"
PAGES = {
    "/": "employee",
    "/account": "employee",
    "/admin/settings": "admin",
    "/admin/users": "admin",
    "/api/me": "employee",
    "/api/people": "manager",
    "/api/reports/linkage": "hr",
    "/api/reports/linkage/data": "hr",
    "/api/training/assignments": "manager",
    "/api/training/me": "employee",
    "/api/training/modules": "manager",
    "/api/training/progress": "manager",
    "/api/units": "manager",
    "/api/units/L1": "manager",
    "/api/waves": "manager",
    # the sweep's wave is an imported one: it has no audience, so it reaches no manager
    "/api/waves/{wave}/response-counts": "hr",
    "/audit": "hr",
    "/dashboard": "manager",
    "/imports": "hr",
    "/items": "hr",
    "/my/training": "employee",
    "/org": "manager",
    "/org/units/L1": "manager",
    "/people": "manager",
    "/training": "manager",
    "/training/modules/follow-up-calls": "manager",
    "/training/units/L1": "manager",
    "/reports/linkage": "hr",
    "/reports/linkage.csv": "hr",
    "/reports/linkage.pdf": "hr",
    "/reports/linkage/data.csv": "hr",
    "/waves": "manager",
    "/waves/{wave}": "hr",
}
#: routes with no login (or their own token) that the sweep does not log into
PUBLIC = {"/healthz", "/livez", "/login", "/kiosk", "/s/{token:str}", "/schema"}
RANK = {"employee": 0, "manager": 1, "hr": 2, "admin": 3}
ROLE_RANK = {"employee": 0, "riverside": 1, "regional": 1, "hr": 2, "admin": 3}
#: ways to ask the Riverside manager about Harbour (L3) or its team (T4)
OUT_OF_SCOPE = (
    "/org/units/L3",
    "/api/units/L3",
    "/dashboard?unit=L3",
    "/dashboard?unit=T4",
    "/api/people?unit_id=L3",
    "/people?unit=L3",
    "/training/units/L3",
    "/training/units/T4",
    "/api/training/assignments?unit_id=L3",
)


@pytest.fixture(scope="module")
async def wave(org: Org) -> int:
    lines = ["wave,unit_id,respondent," + ",".join(ENGAGEMENT_CODES) + ",ENPS,comment"]
    for team in ("T1", "T3", "T4"):
        for r in range(6):
            values = ",".join(str(1 + (r + i) % 5) for i in range(12))
            lines.append(f"2025-04-15,{team},{team}-{r},{values},{r},")
    await import_responses(("\n".join(lines) + "\n").encode())
    from engage.db.tables import Wave

    row = await Wave.select(Wave.id).first().run()
    assert row is not None
    await refresh_linkage()  # the stored report, as the background jobs would compute it
    return int(row["id"])


def test_every_get_route_is_listed(app: Litestar) -> None:
    listed = {p.split("?")[0].replace("{wave}", "{wave_id:int}") for p in PAGES}
    listed |= {
        "/api/units/{unit_id:str}",
        "/org/units/{code:str}",
        "/training/units/{code:str}",
        "/training/modules/{code:str}",
    }
    routes = {
        route.path
        for route in app.routes
        if "GET" in getattr(route, "methods", set())
        and not route.path.startswith(("/static", "/schema/"))
    }
    missing = routes - listed - PUBLIC
    assert missing == set(), f"add expectations for {sorted(missing)}"


@pytest.mark.parametrize("who", ROLES)
async def test_each_role_gets_exactly_its_pages(
    client: AsyncTestClient[Any], org: Org, wave: int, who: str
) -> None:
    await login(client, org.logins[who])
    for path, needs in PAGES.items():
        url = path.replace("{wave}", str(wave))
        res = await client.get(url, follow_redirects=False)
        assert res.status_code < 500, (who, url, res.status_code)
        if ROLE_RANK[who] >= RANK[needs]:
            assert res.status_code == 200, (who, url, res.status_code, res.text[:300])
        else:
            assert res.status_code in (403, 404), (who, url, res.status_code)


@pytest.mark.parametrize("url", OUT_OF_SCOPE)
async def test_a_manager_learns_nothing_outside_their_subtree(
    client: AsyncTestClient[Any], org: Org, wave: int, url: str
) -> None:
    await login(client, org.logins["riverside"])
    res = await client.get(url, follow_redirects=False)
    assert res.status_code in (403, 404), (url, res.status_code)
    assert "Harbour" not in res.text and "Ezra" not in res.text and "Elio" not in res.text


async def test_anonymous_visitors_get_nothing(client: AsyncTestClient[Any], wave: int) -> None:
    for path in PAGES:
        url = path.replace("{wave}", str(wave))
        res = await client.get(url, follow_redirects=False)
        assert res.status_code in (302, 303, 401), (url, res.status_code)
