"""Log in as each demo role in a real browser; pages work, stay local, and fit a phone."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, Page

from engage import clock
from engage.demo import DEMO_PASSWORD
from engage.demo_data import demo_logins

LOGINS = {login.role: login for login in demo_logins(clock.today())}
PHONE = {"width": 390, "height": 844}


async def open_logged_in(browser: Browser, server: str, role: str, phone: bool = False) -> Page:
    context = await browser.new_context(viewport=PHONE if phone else {"width": 1280, "height": 860})
    page = await context.new_page()
    outside: list[str] = []
    page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith(server) else None,
    )
    page.outside_requests = outside  # type: ignore[attr-defined]
    await page.goto(f"{server}/")
    assert page.url.startswith(f"{server}/login")
    await page.get_by_label("Email").fill(LOGINS[role].email)
    await page.get_by_label("Password").fill(DEMO_PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(f"{server}/")
    return page


async def test_wrong_password_shows_a_message(browser: Browser, server: str, shots: Path) -> None:
    page = await browser.new_page()
    await page.goto(f"{server}/login")
    await page.get_by_label("Email").fill(LOGINS["hr"].email)
    await page.get_by_label("Password").fill("not the password")
    await page.get_by_role("button", name="Log in").click()
    await page.get_by_role("alert").wait_for()
    assert "do not match" in await page.get_by_role("alert").inner_text()
    await page.screenshot(path=str(shots / "login-error.png"))
    await page.close()


@pytest.mark.parametrize(
    ("role", "links", "absent"),
    [
        ("hr", ["Organisation", "People", "Imports", "Audit log"], ["Users"]),
        ("admin", ["Users", "Settings", "Imports"], []),
        ("manager", ["Organisation", "People"], ["Imports", "Users"]),
        ("employee", ["Home"], ["Organisation", "People", "Imports"]),
    ],
)
async def test_navigation_per_role(
    browser: Browser, server: str, shots: Path, role: str, links: list[str], absent: list[str]
) -> None:
    page = await open_logged_in(browser, server, role)
    nav = page.get_by_role("navigation", name="Main")
    for name in links:
        assert await nav.get_by_role("link", name=name).count() == 1, name
    for name in absent:
        assert await nav.get_by_role("link", name=name).count() == 0, name
    await page.screenshot(path=str(shots / f"home-{role}.png"), full_page=True)
    assert page.outside_requests == []  # type: ignore[attr-defined]
    await page.context.close()


async def test_hr_walks_the_org_and_searches_people(
    browser: Browser, server: str, shots: Path
) -> None:
    page = await open_logged_in(browser, server, "hr")
    await (
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Organisation").click()
    )
    await page.get_by_role("heading", name="Organisation").wait_for()
    assert await page.locator(".tree .count").count() > 50
    await page.screenshot(path=str(shots / "org-hr.png"), full_page=True)
    await page.get_by_role("link", name="Lumen Yorkville", exact=True).first.click()
    await page.get_by_role("heading", name="Lumen Yorkville").wait_for()
    await page.screenshot(path=str(shots / "unit-hr.png"), full_page=True)
    await page.get_by_role("link", name="People in Lumen Yorkville").click()
    rows = await page.locator("tbody tr").count()
    assert rows > 5
    await page.get_by_label("Name, email or id").fill("E0000")
    await page.get_by_role("button", name="Search").click()
    await page.screenshot(path=str(shots / "people-hr.png"), full_page=True)
    assert page.outside_requests == []  # type: ignore[attr-defined]
    await page.context.close()


async def test_manager_cannot_open_another_location(browser: Browser, server: str) -> None:
    page = await open_logged_in(browser, server, "manager")
    response = await page.goto(f"{server}/org/units/L-MARKHAM")
    assert response is not None and response.status == 404
    assert "Not found" in await page.get_by_role("heading").first.inner_text()
    await page.context.close()


async def test_pages_fit_a_phone(browser: Browser, server: str, shots: Path) -> None:
    page = await open_logged_in(browser, server, "manager", phone=True)
    for path in ["/", "/org", "/people"]:
        await page.goto(f"{server}{path}")
        overflow = await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone"
        await page.screenshot(
            path=str(shots / f"phone-manager{path.replace('/', '-') or '-home'}.png")
        )
    await page.context.close()


async def test_import_page_shows_row_errors(
    browser: Browser, server: str, shots: Path, tmp_path: Path
) -> None:
    page = await open_logged_in(browser, server, "hr")
    await page.goto(f"{server}/imports")
    bad = tmp_path / "units.csv"
    bad.write_text("unit_id,name,parent_id\nT-NEW,New team,L-NOWHERE\n", encoding="utf-8")
    await page.get_by_label("units.csv").set_input_files(str(bad))
    await page.get_by_role("button", name="Import units").click()
    alert = page.get_by_role("alert")
    await alert.wait_for()
    text = await alert.inner_text()
    assert "nothing was imported" in text and "row 2, column parent_id" in text
    await page.screenshot(path=str(shots / "imports-error.png"), full_page=True)
    await page.context.close()


async def test_openapi_viewer_renders_offline(browser: Browser, server: str, shots: Path) -> None:
    page = await browser.new_page()
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(server) else None)
    await page.goto(f"{server}/schema")
    await page.get_by_text("/api/units/{unit_id}").first.wait_for(timeout=15000)
    await page.screenshot(path=str(shots / "openapi.png"))
    assert outside == []
    await page.close()
