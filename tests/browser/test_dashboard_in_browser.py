"""Dashboards in a real browser: a manager sees their units, HR the organisation."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser

from tests.browser.test_pages_in_browser import open_logged_in


async def test_manager_dashboard(browser: Browser, server: str, shots: Path) -> None:
    page = await open_logged_in(browser, server, "manager")
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    await page.wait_for_url(f"{server}/dashboard")
    await page.wait_for_selector("[data-chart='trend'][data-drawn='true']", timeout=15_000)
    text = await page.locator("main").inner_text()
    assert "The twelve elements" in text and "Organisation" in text and "eNPS" in text
    # only units of the manager's own location are offered
    options = await page.locator("#d-unit option").all_inner_texts()
    assert options and all("Yorkville" in o for o in options)
    assert errors == [] and page.outside_requests == []  # type: ignore[attr-defined]
    await page.screenshot(path=str(shots / "dashboard-manager.png"), full_page=True)
    await page.close()


async def test_hr_dashboard_by_level(browser: Browser, server: str, shots: Path) -> None:
    page = await open_logged_in(browser, server, "hr")
    await page.goto(f"{server}/dashboard?level=2")
    await page.wait_for_selector("table.heatmap tbody tr")
    rows = await page.locator("table.heatmap tbody tr").count()
    assert rows >= 10  # the organisation row and every location
    await page.screenshot(path=str(shots / "dashboard-hr.png"), full_page=True)
    await page.close()
