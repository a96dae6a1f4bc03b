"""The dashboard through HTTP: scope per role, the gate on every figure, comments rule 6."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from engage.survey.history_import import import_responses
from surveys.items import ENGAGEMENT_CODES
from tests.factories import Org, login

pytestmark = pytest.mark.db

#: respondents per team in the one closed wave: T2 stays below k = 5
SIZES = {"T1": 6, "T2": 3, "T3": 6, "T4": 6}
SECRET = "only-three-of-us-know-this"


@pytest.fixture(scope="module")
async def answered(org: Org) -> Org:
    lines = ["wave,unit_id,respondent," + ",".join(ENGAGEMENT_CODES) + ",ENPS,comment"]
    for team, size in SIZES.items():
        for r in range(size):
            comment = SECRET if team == "T2" else f"comment from {team}"
            values = ",".join(str(1 + (r + i) % 5) for i in range(12))
            lines.append(f"2025-03-15,{team},{team}-{r},{values},{r % 11},{comment}")
    await import_responses(("\n".join(lines) + "\n").encode())
    return org


async def page(client: AsyncTestClient[Any], who: str, org: Org, query: str = "") -> Any:
    await login(client, org.logins[who])
    return await client.get(f"/dashboard{query}")


async def test_a_manager_sees_their_location_with_small_teams_withheld(
    client: AsyncTestClient[Any], answered: Org
) -> None:
    res = await page(client, "riverside", answered)
    assert res.status_code == 200
    html = res.text
    assert "<h1>Riverside</h1>" in html
    assert "Riverside nurses" in html  # T2: 3 people, withheld
    # T1 (6) would show Riverside (9) minus T1 = T2's three people: withheld too, with the
    # same words (two reasons would tell that T1 has at least 5 respondents)
    assert "withheld: fewer than 5 responses, or a smaller group could be worked out" in html
    assert "hidden so that" not in html
    assert SECRET not in html  # Riverside has 9 < 10 respondents: no comments at all


async def test_a_manager_cannot_open_a_unit_outside_their_scope(
    client: AsyncTestClient[Any], answered: Org
) -> None:
    res = await page(client, "riverside", answered, "?unit=L3")
    assert res.status_code == 404
    assert "Harbour" not in res.text


async def test_hr_sees_comments_only_for_large_enough_groups(
    client: AsyncTestClient[Any], answered: Org
) -> None:
    res = await page(client, "hr", answered)
    assert res.status_code == 200
    assert "comment from T3" in res.text  # the whole organisation: 21 respondents
    north = await client.get("/dashboard?unit=R1")  # 15, but 21 − 15 = 6 would single out R2
    assert "comment from T3" not in north.text and "at least 10 respondents" in north.text


async def test_employees_and_strangers_are_refused(
    client: AsyncTestClient[Any], answered: Org
) -> None:
    res = await client.get("/dashboard", follow_redirects=False)
    assert res.status_code in (302, 303, 401)
    res = await page(client, "employee", answered)
    assert res.status_code == 403


async def test_bad_parameters_are_named(client: AsyncTestClient[Any], answered: Org) -> None:
    res = await page(client, "hr", answered, "?wave=999999")
    assert res.status_code == 404 and "999999" in res.text
    res = await client.get("/dashboard?level=abc")
    assert res.status_code == 400 and "level" in res.text
