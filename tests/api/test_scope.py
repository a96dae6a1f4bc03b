"""Roles and scope: every org endpoint against callers who must not see it."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from engage.db.tables import Unit
from tests.factories import Org, csrf_token, login, units_csv


async def test_manager_sees_only_their_subtree(client: AsyncTestClient[Any], org: Org) -> None:
    await login(client, org.logins["riverside"])
    units = [u["unit_id"] for u in (await client.get("/api/units")).json()]
    assert sorted(units) == ["L1", "T1", "T2"]
    people = (await client.get("/api/people", params={"per_page": 500})).json()
    assert {p["unit_id"] for p in people["people"]} <= {"L1", "T1", "T2"}
    assert {p["employee_id"] for p in people["people"]} == {"M1", "E1", "E2", "E3"}


async def test_regional_manager_sees_their_region(client: AsyncTestClient[Any], org: Org) -> None:
    await login(client, org.logins["regional"])
    units = sorted(u["unit_id"] for u in (await client.get("/api/units")).json())
    assert units == ["L1", "L2", "R1", "T1", "T2", "T3"]
    detail = (await client.get("/api/units/L2")).json()
    assert detail["ancestors"] == ["R1"]  # ROOT is outside their scope: not shown


@pytest.mark.parametrize(
    "path",
    [
        "/api/units/L3",
        "/api/units/T4",
        "/api/units/ROOT",
        "/api/units/R2",
        "/api/people?unit_id=L3",
        "/api/people?unit_id=ROOT",
        "/org/units/L3",
        "/org/units/ROOT",
        "/people?unit=L3",
    ],
)
async def test_manager_asking_for_another_locations_data_gets_404(
    client: AsyncTestClient[Any], org: Org, path: str
) -> None:
    await login(client, org.logins["riverside"])
    response = await client.get(path)
    assert response.status_code == 404
    for secret in ("Harbour", "Hugo", "Elio", "Acme Clinics"):
        assert secret not in response.text


async def test_unknown_and_forbidden_units_look_the_same(
    client: AsyncTestClient[Any], org: Org
) -> None:
    await login(client, org.logins["riverside"])
    forbidden = await client.get("/api/units/L3")
    missing = await client.get("/api/units/NO-SUCH-UNIT")
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.json()["detail"].replace("L3", "X") == missing.json()["detail"].replace(
        "NO-SUCH-UNIT", "X"
    )


async def test_people_search_cannot_reach_outside_scope(
    client: AsyncTestClient[Any], org: Org
) -> None:
    await login(client, org.logins["riverside"])
    for q in ("Hugo", "harbour", "E5", "%", "_", "gone"):
        found = (await client.get("/api/people", params={"q": q, "include_left": True})).json()
        assert all(p["unit_id"] in {"L1", "T1", "T2"} for p in found["people"]), q
    page = await client.get("/people", params={"q": "Hugo"})
    assert page.status_code == 200 and "Hugo Harbour" not in page.text and "0 people" in page.text


@pytest.mark.parametrize(
    "path", ["/api/units", "/api/people", "/org", "/people", "/api/units/T1", "/org/units/T1"]
)
async def test_employee_cannot_see_org_data(
    client: AsyncTestClient[Any], org: Org, path: str
) -> None:
    await login(client, org.logins["employee"])
    assert (await client.get(path)).status_code == 403


@pytest.mark.parametrize("role", ["employee", "riverside", "regional"])
async def test_only_hr_and_admin_can_import(
    client: AsyncTestClient[Any], org: Org, role: str
) -> None:
    await login(client, org.logins[role])
    token = await csrf_token(client)
    before = await Unit.count().run()
    response = await client.post(
        "/api/imports/units",
        content=units_csv(("NEW", "Sneaky", "L1")),
        headers={"content-type": "text/csv", "x-csrftoken": token},
    )
    assert response.status_code == 403
    page = await client.get("/imports")
    assert page.status_code == 403
    assert await Unit.count().run() == before


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("hr", "/admin/users"),
        ("hr", "/admin/settings"),
        ("riverside", "/audit"),
        ("employee", "/audit"),
    ],
)
async def test_admin_and_audit_pages_need_their_roles(
    client: AsyncTestClient[Any], org: Org, role: str, path: str
) -> None:
    await login(client, org.logins[role])
    assert (await client.get(path)).status_code == 403


async def test_hr_sees_everything(client: AsyncTestClient[Any], org: Org) -> None:
    await login(client, org.logins["hr"])
    units = (await client.get("/api/units")).json()
    assert len(units) == 10
    root = next(u for u in units if u["unit_id"] == "ROOT")
    assert root["subtree_head_count"] == 10  # the leaver does not count
    assert (await client.get("/api/units/L3")).status_code == 200
    assert (await client.get("/org/units/T4")).status_code == 200


async def test_role_change_in_roster_applies_to_open_sessions(
    client: AsyncTestClient[Any], org: Org
) -> None:
    from engage.org.roster_import import import_roster
    from tests.factories import roster_csv

    await login(client, org.logins["harbour"])
    assert (await client.get("/api/units")).status_code == 200
    await import_roster(
        roster_csv(
            ("M3", "harbour@acme.test", "Hugo Harbour", "L3", "employee", "zh", "2021-03-01", "")
        )
    )
    try:
        assert (await client.get("/api/units")).status_code == 403
    finally:
        await import_roster(
            roster_csv(
                ("M3", "harbour@acme.test", "Hugo Harbour", "L3", "manager", "zh", "2021-03-01", "")
            )
        )


async def test_search_ignores_case_in_every_script(client: AsyncTestClient[Any], org: Org) -> None:
    from engage.org.roster_import import import_roster
    from tests.factories import roster_csv

    await import_roster(
        roster_csv(
            ("C1", "", "Анна Петрова", "T1", "employee", "ru", "2023-01-01", ""),
            ("C2", "", "José Núñez", "T1", "employee", "en", "2023-01-01", ""),
        )
    )
    await login(client, org.logins["hr"])
    for q, who in [
        ("анна", "C1"),
        ("АННА", "C1"),
        ("петРОВА", "C1"),
        ("josé", "C2"),
        ("NÚÑEZ", "C2"),
    ]:
        found = (await client.get("/api/people", params={"q": q})).json()["people"]
        assert [p["employee_id"] for p in found] == [who], q
