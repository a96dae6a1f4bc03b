"""GET /api/reports/linkage (and its analysis data set): HR and admin only; reproducible."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from engage import clock
from engage.reporting.linkage import DEFAULT_REPS, DEFAULT_SEED
from tests.factories import Org, login

pytestmark = pytest.mark.db


async def test_before_any_report_is_stored_the_api_says_it_is_being_computed(
    client: AsyncTestClient[Any], org: Org
) -> None:
    await login(client, org.logins["hr"])
    res = await client.get("/api/reports/linkage")
    assert res.status_code == 503 and res.headers["retry-after"] == "30"
    assert "being computed" in res.json()["detail"]
    for _ in range(300):  # the request started the computation in the background
        await asyncio.sleep(0.1)
        res = await client.get("/api/reports/linkage")
        if res.status_code != 503:
            break
    assert res.status_code == 200, res.text


async def test_hr_gets_the_linkage_object(
    client: AsyncTestClient[Any], org: Org, stored_report: None
) -> None:
    await login(client, org.logins["hr"])
    res = await client.get("/api/reports/linkage")
    assert res.status_code == 200, res.text
    body = res.json()
    assert {"links", "aggregation", "warnings", "versions"} <= body.keys()
    assert {"alpha", "icc1", "icc2", "rwg_j_median"} <= body["aggregation"].keys()
    assert body["as_of"] == clock.today().isoformat()
    assert body["parameters"]["bootstrap_reps"] == DEFAULT_REPS
    # The small org has no closed waves: the report says so instead of inventing numbers.
    assert any("no unit has a closed wave" in w for w in body["warnings"])
    # the stored report's own parameters are accepted; any other is refused, named
    same = {"as_of": clock.today().isoformat(), "seed": DEFAULT_SEED, "reps": DEFAULT_REPS}
    assert (await client.get("/api/reports/linkage", params=same)).status_code == 200
    res = await client.get(
        "/api/reports/linkage", params={"reps": 100, "as_of": "2026-01-01", "seed": 1}
    )
    assert res.status_code == 400  # seed and draws are fixed by the schema
    assert {e["key"] for e in res.json()["extra"]} == {"reps", "seed"}
    res = await client.get("/api/reports/linkage", params={"as_of": "2026-01-01"})
    assert res.status_code == 409  # a well-formed date the stored report is not as of
    assert "2026-01-01" in res.text and "engage report linkage" in res.text


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


DATA_HEADER = "unit_code,unit_name,month,engagement,pct_favourable,enps"


async def test_hr_gets_the_analysis_data_set(
    client: AsyncTestClient[Any], org: Org, stored_report: None
) -> None:
    await login(client, org.logins["hr"])
    res = await client.get("/api/reports/linkage/data")
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["report"] == "linkage-data" and body["rows"] == []  # no closed wave yet
    assert body["min_group_size"] == 5 and body["versions"]["pandas"]
    assert any("Person-level data is never exported" in n for n in body["notes"])
    res = await client.get("/reports/linkage/data.csv")
    assert res.status_code == 200
    assert res.headers["content-type"] == "text/csv; charset=utf-8"  # one charset, not two
    assert 'filename="linkage-data.csv"' in res.headers["content-disposition"]
    assert res.text == DATA_HEADER + "\n"


@pytest.mark.parametrize("who", ["regional", "riverside", "employee"])
@pytest.mark.parametrize("url", ["/api/reports/linkage/data", "/reports/linkage/data.csv"])
async def test_the_data_set_is_for_hr_only(
    client: AsyncTestClient[Any], org: Org, who: str, url: str
) -> None:
    await login(client, org.logins[who])
    assert (await client.get(url)).status_code == 403


async def test_anonymous_gets_no_data_set(client: AsyncTestClient[Any]) -> None:
    assert (await client.get("/api/reports/linkage/data")).status_code == 401
    res = await client.get("/reports/linkage/data.csv", follow_redirects=False)
    assert res.status_code in (302, 303, 401)


async def test_openapi_documents_the_data_set(client: AsyncTestClient[Any]) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    operation = schema["paths"]["/api/reports/linkage/data"]["get"]
    assert "AnalysisDataOut" in str(operation["responses"]["200"])
    row = schema["components"]["schemas"]["DataRowOut"]["properties"]
    assert {"unit_code", "month", "engagement", "outcomes"} <= row.keys()
    assert "n_respondents" not in row


async def test_the_page_shows_the_stored_report_while_updating_and_says_when_it_failed(
    client: AsyncTestClient[Any], org: Org, stored_report: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engage.reporting import report_store
    from engage.reporting.report_inputs import inputs_changed

    async def broken(*args: object) -> None:
        raise RuntimeError("the outcomes table is unreadable")

    await login(client, org.logins["hr"])
    await inputs_changed()  # say an import happened
    monkeypatch.setattr(report_store, "computed_payload", broken)
    res = await client.get("/reports/linkage")
    assert res.status_code == 200 and "updating since" in res.text
    assert "Engagement and outcomes" in res.text and "In short" in res.text  # the old one
    for _ in range(300):
        await asyncio.sleep(0.1)
        res = await client.get("/reports/linkage")
        if "could not be computed" in res.text:
            break
    assert res.status_code == 200
    assert "a newer one could not be computed: RuntimeError: the outcomes table is unreadable" in (
        res.text
    )
    assert (await client.get("/reports/linkage.csv")).status_code == 200  # the stored one


async def test_the_pdf_is_rendered_once_per_report_and_then_read(
    client: AsyncTestClient[Any], org: Org, stored_report: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engage.reporting import report_store
    from engage.web.controllers import reports

    await report_store.refresh_linkage()  # the previous test left a failed newer attempt
    rendered: list[int] = []
    original = reports.linkage_pdf

    async def counting(run: Any) -> bytes:
        rendered.append(1)
        return await original(run)

    monkeypatch.setenv("ENGAGE_CHROMIUM", "/no/such/browser")  # tables: quick
    monkeypatch.setattr(reports, "linkage_pdf", counting)
    await login(client, org.logins["hr"])
    first = await asyncio.gather(*(client.get("/reports/linkage.pdf") for _ in range(3)))
    assert [r.status_code for r in first] == [200, 200, 200]
    assert len(rendered) == 1  # three at once: one renders, the others wait and read it
    again = await client.get("/reports/linkage.pdf")
    assert again.content == first[0].content and len(rendered) == 1
    assert again.content.startswith(b"%PDF")
