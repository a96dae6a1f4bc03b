"""Every page renders for the roles that may see it, and forms behave."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from engage.auth.accounts import set_password
from engage.db.tables import OrgSettings, Unit, User
from engage.settings import project_root
from tests.factories import PASSWORD, Org, csrf_token, login, units_csv


@pytest.mark.parametrize(
    ("role", "paths"),
    [
        ("employee", ["/", "/account"]),
        ("riverside", ["/", "/org", "/org/units/L1", "/people", "/people?unit=T1&q=e", "/account"]),
        ("hr", ["/", "/org", "/org/units/ROOT", "/people?leavers=true", "/imports", "/audit"]),
        ("admin", ["/", "/admin/users", "/admin/settings", "/audit"]),
    ],
)
async def test_pages_render(
    client: AsyncTestClient[Any], org: Org, role: str, paths: list[str]
) -> None:
    await login(client, org.logins[role])
    for path in paths:
        response = await client.get(path)
        assert response.status_code == 200, path
        assert "<main" in response.text and "Log out" in response.text


async def test_navigation_follows_the_role(client: AsyncTestClient[Any], org: Org) -> None:
    await login(client, org.logins["employee"])
    home = (await client.get("/")).text
    assert 'href="/people"' not in home and 'href="/imports"' not in home
    assert "Riverside front desk" in home  # their own unit
    await client.post("/logout", data={"_csrf_token": await csrf_token(client)})
    await login(client, org.logins["riverside"])
    home = (await client.get("/")).text
    assert "Your area: Riverside" in home and 'href="/imports"' not in home


async def test_org_page_shows_tree_with_head_counts(client: AsyncTestClient[Any], org: Org) -> None:
    await login(client, org.logins["hr"])
    page = (await client.get("/org")).text
    assert "Acme Clinics" in page and "Harbour front desk" in page
    assert re.search(r"Acme Clinics</a>\s*<span class=\"count\"[^>]*>10<", page)


async def test_upload_page_imports_and_reports_problems(
    client: AsyncTestClient[Any], org: Org
) -> None:
    await login(client, org.logins["hr"])
    token = await csrf_token(client)
    before = await Unit.count().run()
    bad = units_csv(("T9", "Ghost team", "NOPE"))
    response = await client.post(
        "/imports/units",
        files={"file": ("units.csv", bad, "text/csv")},
        data={"_csrf_token": token},
    )
    assert response.status_code == 422
    assert "nothing was imported" in response.text
    assert "row 2, column parent_id: unknown parent unit &#39;NOPE&#39;" in response.text
    assert await Unit.count().run() == before
    good = units_csv(("T5", "Hilltop nurses", "L2"))
    response = await client.post(
        "/imports/units",
        files={"file": ("units.csv", good, "text/csv")},
        data={"_csrf_token": token},
    )
    assert response.status_code == 200
    assert "1 created" in response.text
    assert await Unit.count().run() == before + 1


async def test_upload_without_csrf_is_refused(client: AsyncTestClient[Any], org: Org) -> None:
    await login(client, org.logins["hr"])
    response = await client.post(
        "/imports/units", files={"file": ("units.csv", units_csv(("Z", "Z", "ROOT")), "text/csv")}
    )
    assert response.status_code == 403
    assert await Unit.count().where(Unit.code == "Z").run() == 0


async def test_api_import_answers_422_with_every_problem(
    client: AsyncTestClient[Any], org: Org
) -> None:
    await login(client, org.logins["hr"])
    token = await csrf_token(client)
    body = (
        b"employee_id,name,unit_id,hired_on,role\nX1,Xia,T1,2024-02-30,boss\nX2,,NOPE,2024-01-01,\n"
    )
    response = await client.post(
        "/api/imports/roster",
        content=body,
        headers={"content-type": "text/csv", "x-csrftoken": token},
    )
    assert response.status_code == 422
    problems = {(e["row"], e["column"]) for e in response.json()["errors"]}
    assert problems == {(2, "hired_on"), (2, "role"), (3, "name"), (3, "unit_id")}
    ok = b"employee_id,name,unit_id,hired_on\nX1,Xia,T1,2024-02-01\n"
    response = await client.post(
        "/api/imports/roster",
        content=ok,
        headers={"content-type": "text/csv", "x-csrftoken": token},
    )
    assert response.status_code == 200
    assert response.json()["created"] == 1


async def test_admin_creates_user_and_sets_password(client: AsyncTestClient[Any], org: Org) -> None:
    await login(client, org.logins["admin"])
    token = await csrf_token(client)
    response = await client.post(
        "/admin/users",
        data={
            "email": "consultant@ext.test",
            "role": "hr",
            "name": "Con",
            "password": "x",
            "_csrf_token": token,
        },
    )
    assert response.status_code == 400 and "at least 10 characters" in response.text
    assert await User.count().where(User.email == "consultant@ext.test").run() == 0
    response = await client.post(
        "/admin/users",
        data={
            "email": "consultant@ext.test",
            "role": "hr",
            "name": "Con",
            "password": "long-enough-pw",
            "_csrf_token": token,
        },
    )
    assert response.status_code == 200 and "Created consultant@ext.test" in response.text
    client.cookies.clear()
    assert (await login(client, "consultant@ext.test", "long-enough-pw")).status_code == 302


async def test_admin_cannot_deactivate_themselves(client: AsyncTestClient[Any], org: Org) -> None:
    await login(client, org.logins["admin"])
    me = await User.select(User.id).where(User.email == org.logins["admin"]).first().run()
    assert me is not None
    response = await client.post(
        f"/admin/users/{me['id']}/active", data={"_csrf_token": await csrf_token(client)}
    )
    assert response.status_code == 400
    assert await User.exists().where(User.email == org.logins["admin"], User.active == True).run()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("min_group_size", "2", "at least 3"),
        ("min_group_size", "five", "at least 3"),
        ("min_comment_group_size", "4", "at least 5"),
        ("default_language", "klingonish", "not a language code"),
        ("name", "", "1 to 200 characters"),
    ],
)
async def test_settings_reject_bad_values_and_change_nothing(
    client: AsyncTestClient[Any], org: Org, field: str, value: str, message: str
) -> None:
    await login(client, org.logins["admin"])
    before = await OrgSettings.select().first().run()
    form = {
        "name": "Acme",
        "min_group_size": "5",
        "min_comment_group_size": "10",
        "default_language": "en",
        field: value,
        "_csrf_token": await csrf_token(client),
    }
    response = await client.post("/admin/settings", data=form)
    assert response.status_code == 400 and message in response.text
    assert await OrgSettings.select().first().run() == before


async def test_settings_save(client: AsyncTestClient[Any], org: Org) -> None:
    await login(client, org.logins["admin"])
    form = {
        "name": "Acme Clinics",
        "min_group_size": "6",
        "min_comment_group_size": "12",
        "default_language": "ru",
        "_csrf_token": await csrf_token(client),
    }
    response = await client.post("/admin/settings", data=form)
    assert response.status_code == 200 and "Settings saved" in response.text
    row = await OrgSettings.select().first().run()
    assert row is not None and (row["min_group_size"], row["default_language"]) == (6, "ru")


async def test_change_own_password(client: AsyncTestClient[Any], org: Org) -> None:
    await login(client, org.logins["employee"])
    token = await csrf_token(client)
    wrong = await client.post(
        "/account/password",
        data={
            "current_password": "nope",
            "new_password": "brand-new-pass",
            "confirm_password": "brand-new-pass",
            "_csrf_token": token,
        },
    )
    assert wrong.status_code == 400 and "current password is not right" in wrong.text
    done = await client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "brand-new-pass",
            "confirm_password": "brand-new-pass",
            "_csrf_token": token,
        },
    )
    assert done.status_code == 200 and "Password changed" in done.text
    client.cookies.clear()
    assert (await login(client, org.logins["employee"], PASSWORD)).status_code == 400
    assert (await login(client, org.logins["employee"], "brand-new-pass")).status_code == 302
    await set_password(org.logins["employee"], PASSWORD)  # other tests log in with it


async def test_openapi_is_served_and_its_viewer_is_offline(client: AsyncTestClient[Any]) -> None:
    spec = (await client.get("/schema/openapi.json")).json()
    assert {
        "/api/units",
        "/api/units/{unit_id}",
        "/api/people",
        "/api/me",
        "/api/imports/{kind}",
    } <= set(spec["paths"])
    assert not any(p.startswith(("/admin", "/login", "/org")) for p in spec["paths"])
    viewer = (await client.get("/schema")).text
    urls = re.findall(r"(?:src|href)=['\"]([^'\"]+)['\"]", viewer)
    assert urls, "the viewer page loads no assets?"
    for url in urls:
        assert url.startswith("/static/"), url
        assert (project_root() / url.lstrip("/")).is_file(), url
        assert (await client.get(url)).status_code == 200
    assert "http://" not in viewer.replace("http://www.w3.org", "")
    assert "https://" not in viewer


def test_templates_and_css_load_nothing_from_the_network() -> None:
    roots = [project_root() / "engage" / "web" / "templates", project_root() / "static" / "css"]
    for root in roots:
        for path in Path(root).rglob("*"):
            if path.is_file():
                text = path.read_text(encoding="utf-8")
                assert not re.search(r"(src|href)=[\"']https?://", text), path
                assert "@import url(http" not in text, path


async def test_health_check_is_public(client: AsyncTestClient[Any]) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


async def test_admin_form_rejects_an_overlong_email(client: AsyncTestClient[Any], org: Org) -> None:
    await login(client, org.logins["admin"])
    response = await client.post(
        "/admin/users",
        data={
            "email": "a" * 300 + "@x.test",
            "role": "hr",
            "name": "",
            "password": "long-enough-pw",
            "_csrf_token": await csrf_token(client),
        },
    )
    assert response.status_code == 400 and "not an email address" in response.text


async def test_users_page_searches_and_filters(client: AsyncTestClient[Any], org: Org) -> None:
    await login(client, org.logins["admin"])
    page = (await client.get("/admin/users", params={"q": "harbour"})).text
    assert "harbour@acme.test" in page and "riverside@acme.test" not in page
    page = (await client.get("/admin/users", params={"role": "manager"})).text
    assert "riverside@acme.test" in page and "e1@acme.test" not in page


async def test_hr_home_lists_what_hr_can_do_and_every_link_opens(
    client: AsyncTestClient[Any], org: Org, stored_report: None
) -> None:
    await login(client, org.logins["hr"])
    home = (await client.get("/")).text
    section = home[home.index("What you can do") :]
    section = section[: section.index("</ul>")]
    links = re.findall(r'href="([^"]+)"', section)
    for needed in ("/waves", "/dashboard", "/reports/linkage", "/training", "/imports"):
        assert needed in links
    for link in links:
        res = await client.get(link)
        assert res.status_code == 200, (link, res.status_code)
