"""The HR linkage report in a real browser: charts drawn from local files, no errors."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser

from tests.browser.test_pages_in_browser import open_logged_in


async def test_hr_reads_the_linkage_report(browser: Browser, server: str, shots: Path) -> None:
    page = await open_logged_in(browser, server, "hr")
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    await page.get_by_role("link", name="Report", exact=True).click()
    await page.wait_for_url(f"{server}/reports/linkage")
    await page.get_by_role("heading", name="Engagement and outcomes").wait_for()
    await page.wait_for_selector("[data-chart][data-drawn='true']", timeout=15_000)
    drawn = await page.locator("[data-chart][data-drawn='true']").count()
    assert drawn == await page.locator("[data-chart]").count() >= 4
    text = await page.locator("main").inner_text()
    assert "Client satisfaction" in text and "95% CI" in text
    assert "Can unit scores be trusted?" in text
    assert errors == []
    assert page.outside_requests == []  # type: ignore[attr-defined]
    await page.screenshot(path=str(shots / "report-linkage.png"), full_page=True)
    await page.close()


async def test_a_manager_cannot_open_the_report(browser: Browser, server: str) -> None:
    page = await open_logged_in(browser, server, "manager")
    assert await page.get_by_role("link", name="Report", exact=True).count() == 0
    response = await page.goto(f"{server}/reports/linkage")
    assert response is not None and response.status == 403
    await page.close()
