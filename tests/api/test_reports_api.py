"""GET /api/reports/linkage: HR and admin only; the contract's object; reproducible."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tests.factories import Org, login

pytestmark = pytest.mark.db


async def test_hr_gets_the_linkage_object(client: AsyncTestClient[Any], org: Org) -> None:
    await login(client, org.logins["hr"])
    res = await client.get("/api/reports/linkage", params={"reps": 100, "as_of": "2026-01-01"})
    assert res.status_code == 200, res.text
    body = res.json()
    assert {"links", "aggregation", "warnings", "versions"} <= body.keys()
    assert {"alpha", "icc1", "icc2", "rwg_j_median"} <= body["aggregation"].keys()
    assert body["as_of"] == "2026-01-01" and body["parameters"]["bootstrap_reps"] == 100
    # The small org has no closed waves: the report says so instead of inventing numbers.
    assert any("no unit has a closed wave" in w for w in body["warnings"])


@pytest.mark.parametrize("who", ["regional", "riverside", "employee"])
async def test_managers_and_staff_are_refused(
    client: AsyncTestClient[Any], org: Org, who: str
) -> None:
    await login(client, org.logins[who])
    res = await client.get("/api/reports/linkage")
    assert res.status_code == 403


async def test_anonymous_is_refused(client: AsyncTestClient[Any]) -> None:
    res = await client.get("/api/reports/linkage")
    assert res.status_code == 401


async def test_bad_parameters_are_named(client: AsyncTestClient[Any], org: Org) -> None:
    await login(client, org.logins["admin"])
    res = await client.get("/api/reports/linkage", params={"reps": 5})
    assert res.status_code == 400 and "reps" in res.text
    res = await client.get("/api/reports/linkage", params={"as_of": "yesterday"})
    assert res.status_code == 400 and "as_of" in res.text


async def test_openapi_documents_the_report(client: AsyncTestClient[Any]) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    operation = schema["paths"]["/api/reports/linkage"]["get"]
    assert "LinkageOut" in str(operation["responses"]["200"])
