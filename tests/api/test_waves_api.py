"""The waves API, for HR and managers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar.testing import AsyncTestClient

from engage import clock
from tests.factories import Org, csrf_token, login

TODAY = clock.today()


async def test_hr_creates_opens_and_closes_over_the_api(
    client: AsyncTestClient[Any], org: Org
) -> None:
    await login(client, org.logins["hr"])
    headers = {"x-csrftoken": await csrf_token(client)}
    body = {
        "name": "API pulse",
        "unit_ids": ["ROOT"],
        "opens_on": TODAY.isoformat(),
        "closes_on": (TODAY + timedelta(days=5)).isoformat(),
    }
    bad = await client.post("/api/waves", json={**body, "unit_ids": ["NOPE"]}, headers=headers)
    assert bad.status_code == 409 and "unknown unit NOPE" in bad.json()["detail"]
    created = await client.post("/api/waves", json=body, headers=headers)
    assert created.status_code == 201
    wave_id = created.json()["id"]
    opened = await client.post(f"/api/waves/{wave_id}/open", headers=headers)
    assert opened.json() == {"id": wave_id, "invited": 10}
    counts = (await client.get(f"/api/waves/{wave_id}/response-counts")).json()
    root = next(c for c in counts if c["unit_id"] == "ROOT")
    assert root["participation"] == {"invited": 10, "band": "few", "at_least": 0, "at_most": 4}
    assert all(c["participation"] is None or c["participation"]["invited"] >= 5 for c in counts)
    assert "answered" not in str(counts)  # never an exact number of answers
    assert (await client.post(f"/api/waves/{wave_id}/close", headers=headers)).status_code == 200
    again = await client.post(f"/api/waves/{wave_id}/close", headers=headers)
    assert again.status_code == 409  # well-formed, but the wave is closed already
    for action in ("open", "close"):  # a wave that is not there is not found, not refused
        missing = await client.post(f"/api/waves/2147483647/{action}", headers=headers)
        assert missing.status_code == 404, missing.text


async def test_managers_read_within_their_area_only(client: AsyncTestClient[Any], org: Org) -> None:
    await login(client, org.logins["hr"])
    headers = {"x-csrftoken": await csrf_token(client)}
    body = {
        "name": "Harbour API",
        "unit_ids": ["L3"],
        "opens_on": TODAY.isoformat(),
        "closes_on": (TODAY + timedelta(days=5)).isoformat(),
    }
    wave_id = (await client.post("/api/waves", json=body, headers=headers)).json()["id"]
    client.cookies.clear()
    await login(client, org.logins["riverside"])
    listed = (await client.get("/api/waves")).json()
    assert wave_id not in [w["id"] for w in listed]
    assert all(w["participation"] is None for w in listed)
    assert (await client.get(f"/api/waves/{wave_id}/response-counts")).status_code == 404
    headers = {"x-csrftoken": await csrf_token(client)}
    assert (await client.post(f"/api/waves/{wave_id}/open", headers=headers)).status_code == 403
    assert (await client.post("/api/waves", json=body, headers=headers)).status_code == 403
