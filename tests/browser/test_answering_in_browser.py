"""An employee answers in Russian and another in Chinese, in Debian's Chromium."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser

from engage import clock
from engage.db.engine import configure
from engage.survey.delivery import issue
from engage.survey.waves import WaveSpec, create_wave, open_wave

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
async def links(server: str, server_database: str) -> dict[str, str]:
    """A wave opened on the server's database; one link per language wanted."""
    configure(server_database)
    today = clock.today()
    wave = await create_wave(
        WaveSpec("Browser pulse", ("L-MARKHAM", "L-THORNHILL"), today, today + timedelta(days=7)),
        "test",
    )
    await open_wave(wave, "test")
    by_language: dict[str, str] = {}
    for invitation in await issue(wave, "token"):
        by_language.setdefault(invitation.language, f"{server}/s/{invitation.secret}")
    return by_language


@pytest.mark.parametrize(
    ("language", "heading", "agree", "thanks", "stored"),
    [
        ("ru", "Опрос сотрудников", "Согласен", "Спасибо", "остаются первые ответы"),
        ("zh", "员工脉搏调查", "同意", "谢谢", "保留第一次的回答"),
    ],
)
async def test_answer_on_a_phone(
    browser: Browser,
    links: dict[str, str],
    shots: Path,
    language: str,
    heading: str,
    agree: str,
    thanks: str,
    stored: str,
) -> None:
    context = await browser.new_context(viewport=PHONE)
    page = await context.new_page()
    await page.goto(links[language])
    await page.get_by_role("heading", name=heading).wait_for()
    await page.screenshot(path=str(shots / f"answer-{language}.png"), full_page=True)
    for index in range(1, 13):
        group = page.locator(f"#q-E{index:02d}")
        await group.get_by_label(agree, exact=True).check()
    await page.locator("#q-ENPS").get_by_label("9", exact=True).check()
    await page.get_by_role("textbox").fill("👍")
    await page.locator("button.send").click()
    await page.get_by_role("heading", name=thanks).wait_for()
    assert stored in await page.locator("main").inner_text()
    await page.screenshot(path=str(shots / f"answer-{language}-thanks.png"), full_page=True)
    assert "👍" not in await page.locator("main").inner_text()  # nothing of the answers
    # Back must not bring the answers back (the next person on a shared device)
    await page.go_back()
    await page.get_by_role("heading", name=heading).wait_for()
    checked = await page.locator("input[type=radio]:checked").count()
    assert checked == 0 and await page.get_by_role("textbox").input_value() == ""
    # spent, the link opens the survey like an unused one (it tells nothing)
    response = await page.goto(links[language])
    assert response is not None and response.status == 200
    await context.close()


async def test_keyboard_only_answering_shows_errors_first(
    browser: Browser, links: dict[str, str], shots: Path
) -> None:
    page = await browser.new_page()
    await page.goto(links["en"])
    await page.keyboard.press("Tab")  # skip link
    await page.locator("button.send").focus()
    await page.keyboard.press("Enter")
    alert = page.get_by_role("alert")
    await alert.wait_for()
    assert "at least one question" in await alert.inner_text()
    await page.screenshot(path=str(shots / "answer-en-error.png"))
    await page.close()
