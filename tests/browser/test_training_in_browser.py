"""Training in a real browser: a manager assigns, the employee completes, the manager sees it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from playwright.async_api import Browser

from tests.browser.test_pages_in_browser import LOGINS, open_logged_in


def _person(database: str, email: str) -> tuple[str, str]:
    with sqlite3.connect(database) as conn:
        row = conn.execute(
            "SELECT employee_id, name FROM person WHERE email = ?", (email,)
        ).fetchone()
    assert row is not None
    return str(row[0]), str(row[1])


async def test_assign_then_complete(
    browser: Browser, server: str, server_database: str, shots: Path
) -> None:
    employee_id, name = _person(server_database, LOGINS["employee"].email)
    manager = await open_logged_in(browser, server, "manager")
    errors: list[str] = []
    manager.on("pageerror", lambda e: errors.append(str(e)))
    await manager.get_by_role("link", name="Training", exact=True).click()
    await manager.wait_for_url(f"{server}/training")
    await manager.screenshot(path=str(shots / "training-manager.png"), full_page=True)
    await manager.goto(f"{server}/training/units/L-YORKVILLE")
    text = await manager.locator("main").inner_text()
    assert "Suggested modules" in text
    await manager.screenshot(path=str(shots / "training-unit.png"), full_page=True)
    await manager.locator("#u-module").select_option("rebooking-conversations")
    await manager.locator(f"input[name='people'][value='{employee_id}']").check()
    await manager.get_by_role("button", name="Assign to the chosen people").click()
    await manager.get_by_role("status").wait_for()
    assert "to 1 person" in await manager.get_by_role("status").inner_text()

    employee = await open_logged_in(browser, server, "employee")
    home = await employee.locator("main").inner_text()
    assert "training module" in home
    await employee.get_by_role("link", name="My training").first.click()
    await employee.wait_for_url(f"{server}/my/training")
    card = employee.locator("article.assignment").filter(has_text="Rebooking")
    if await card.count() == 0:  # the module may be titled in the employee's language
        card = (
            employee.locator("article.assignment")
            .filter(has=employee.locator("form[action$='/complete']"))
            .last
        )
    await employee.screenshot(path=str(shots / "training-employee.png"), full_page=True)
    await card.locator("textarea").fill("Offer the next appointment before the client leaves.")
    await card.get_by_role("button").click()
    await employee.get_by_role("status").wait_for()
    assert "Marked complete" in await employee.get_by_role("status").inner_text()

    await manager.goto(f"{server}/training/units/L-YORKVILLE?status=completed")
    done = await manager.locator("main").inner_text()
    assert name in done and "completed" in done
    assert errors == [] and manager.outside_requests == []  # type: ignore[attr-defined]
    await manager.screenshot(path=str(shots / "training-unit-completed.png"), full_page=True)
    await manager.close()
    await employee.close()
