"""Values a database cannot hold get a clear 400 and change nothing (issue 14): ids beyond
the engines' integers, NUL characters in text on PostgreSQL, CSV downloads' content type."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from engage import clock
from engage.db.tables import Response, Wave
from engage.survey.delivery import issue
from engage.survey.waves import WaveSpec, create_wave, open_wave
from tests.factories import Org, csrf_token, form_id, login

pytestmark = pytest.mark.db

HUGE = (2**31, 2**63, 10**30)


@pytest.mark.parametrize("n", HUGE)
async def test_ids_beyond_the_engines_integers_are_refused_clearly(
    client: AsyncTestClient[Any], org: Org, n: int
) -> None:
    await login(client, org.logins["hr"])
    for url in (f"/waves/{n}", f"/api/waves/{n}/response-counts"):
        res = await client.get(url)
        assert res.status_code in (400, 404), (url, res.status_code, res.text[:200])
    res = await client.post(
        f"/api/waves/{n}/close", headers={"x-csrftoken": await csrf_token(client)}
    )
    assert res.status_code in (400, 404, 409), res.text[:200]
    assert res.json()["detail"]  # says what is wrong


async def test_a_nul_in_a_wave_name_is_refused_and_nothing_is_created(
    client: AsyncTestClient[Any], org: Org
) -> None:
    await login(client, org.logins["hr"])
    before = await Wave.count().run()
    today = clock.today()
    res = await client.post(
        "/api/waves",
        json={
            "name": "Spring\x00pulse",
            "unit_ids": ["ROOT"],
            "opens_on": today.isoformat(),
            "closes_on": (today + timedelta(days=7)).isoformat(),
        },
        headers={"x-csrftoken": await csrf_token(client)},
    )
    # the schema refuses a NUL on both engines, naming the field, before anything is stored
    assert res.status_code == 400, res.text[:300]
    assert await Wave.count().run() == before
    assert [e["key"] for e in res.json()["extra"]] == ["name"]


async def test_a_nul_in_the_anonymous_comment_asks_to_remove_it_and_keeps_the_ballot(
    client: AsyncTestClient[Any], org: Org
) -> None:
    today = clock.today()
    wave = await create_wave(
        WaveSpec("NUL pulse", ("L1",), today, today + timedelta(days=7)), "hr@acme.test"
    )
    await open_wave(wave, "hr@acme.test")
    token = (await issue(wave, "token"))[0].secret
    page = await client.get(f"/s/{token}")
    assert page.status_code == 200
    res = await client.post(
        f"/s/{token}",
        data={
            "E01": "4",
            "comment": "a\x00b",
            "_csrf_token": await csrf_token(client),
            "form_id": form_id(page.text),
        },
    )
    assert res.status_code == 400
    assert "NUL" in res.text  # in the invitee's language, naming the character
    assert "checked" in res.text  # the answers given are kept in the form
    assert await Response.count().where(Response.wave == wave).run() == 0


async def test_form_switches_take_only_their_own_values(
    client: AsyncTestClient[Any], org: Org
) -> None:
    """A value with something after it (a NUL, say) is refused, not read as its nearest."""
    from engage.db.tables import SurveyItem

    await login(client, org.logins["hr"])
    token = await csrf_token(client)
    res = await client.post("/items/E01/active", data={"active": "true\x00b", "_csrf_token": token})
    assert res.status_code == 400 and "neither true nor false" in res.text
    row = await SurveyItem.select(SurveyItem.active).where(SurveyItem.code == "E01").first().run()
    assert row is not None and row["active"]
    before = await Wave.count().run()
    today = clock.today()
    res = await client.post(
        "/waves/",
        data={
            "name": "Repeat pulse",
            "units": "ROOT",
            "opens_on": today.isoformat(),
            "closes_on": (today + timedelta(days=7)).isoformat(),
            "repeat": "monthly\x00",
            "_csrf_token": token,
        },
    )
    assert res.status_code == 400 and "Repeat" in res.text
    assert await Wave.count().run() == before
