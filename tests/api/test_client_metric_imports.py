"""outcomes.csv and visits.csv over the API and the HR upload page."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from engage.db.tables import AuditEvent, ClientMetric
from tests.factories import Org, csrf_token, login

pytestmark = pytest.mark.db

OUTCOMES = (
    b"unit_id,month,metric,value,n\nT1,2024-01,csat,4.4,\nT2,2024-01,client_retention,0.6,25\n"
)
#: T1: two first-time clients in 2024-01, one back after 20 days, one after 40.
VISITS = (
    b"client_id,unit_id,visited_on,service,amount\n"
    b"k1,T1,2024-01-05,cut,40\nk1,T3,2024-01-25,cut,40\n"
    b"k2,T1,2024-01-10,colour,90\nk2,T1,2024-02-19,cut,40\n"
    b"k3,T4,2024-06-30,cut,40\n"
)


@pytest.fixture(autouse=True)
async def no_metrics(org: Org) -> None:
    await ClientMetric.delete(force=True).run()


async def retention_of_t1() -> tuple[float, int] | None:
    row = (
        await ClientMetric.select(ClientMetric.value, ClientMetric.n)
        .where(ClientMetric.unit.code == "T1", ClientMetric.metric == "client_retention")
        .first()
        .run()
    )
    return (row["value"], row["n"]) if row else None


async def api_post(client: AsyncTestClient[Any], path: str, body: bytes) -> Any:
    token = await csrf_token(client)
    return await client.post(
        path, content=body, headers={"content-type": "text/csv", "x-csrftoken": token}
    )


async def test_api_imports_outcomes(client: AsyncTestClient[Any], org: Org) -> None:
    await login(client, org.logins["hr"])
    bad = b"unit_id,month,metric,value,n\nT1,2024-01-15,csat,7,\nNOPE,2024-01,staff_turnover,1,\n"
    response = await api_post(client, "/api/imports/outcomes", bad)
    assert response.status_code == 422
    problems = {(e["row"], e["column"]) for e in response.json()["errors"]}
    assert problems == {(2, "month"), (2, "value"), (3, "unit_id"), (3, "metric")}
    assert await ClientMetric.count().run() == 0
    response = await api_post(client, "/api/imports/outcomes", OUTCOMES)
    assert response.status_code == 200, response.text
    assert (response.json()["kind"], response.json()["created"]) == ("outcomes", 2)
    response = await api_post(client, "/api/imports/outcomes", OUTCOMES)
    assert (response.json()["created"], response.json()["unchanged"]) == (0, 2)
    audit = await AuditEvent.select().where(AuditEvent.action == "import.outcomes").run()
    assert audit and audit[-1]["actor"] == "hr@acme.test"


async def test_api_imports_visits_with_a_window(client: AsyncTestClient[Any], org: Org) -> None:
    await login(client, org.logins["hr"])
    response = await api_post(client, "/api/imports/visits", VISITS)
    assert response.status_code == 200, response.text
    assert "within 90 days" in response.json()["message"]
    assert await retention_of_t1() == (1.0, 2)
    response = await api_post(client, "/api/imports/visits?window_days=30", VISITS)
    assert response.status_code == 200, response.text
    assert response.json()["updated"] == 1
    assert "within 30 days" in response.json()["message"]
    assert await retention_of_t1() == (0.5, 2)


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        ("/api/imports/units?window_days=30", "window_days applies only to visits imports"),
        ("/api/imports/outcomes?window_days=30", "window_days applies only to visits imports"),
        ("/api/imports/visits?window_days=0", "window_days"),
        ("/api/imports/visits?window_days=731", "window_days"),
        ("/api/imports/visits?window_days=soon", "window_days"),
    ],
)
async def test_api_refuses_a_misplaced_or_bad_window(
    client: AsyncTestClient[Any], org: Org, path: str, detail: str
) -> None:
    await login(client, org.logins["hr"])
    body = VISITS if "visits" in path else OUTCOMES
    response = await api_post(client, path, body)
    assert response.status_code == 400, response.text
    assert detail in response.text
    assert await ClientMetric.count().run() == 0


async def test_managers_cannot_import_client_metrics(
    client: AsyncTestClient[Any], org: Org
) -> None:
    await login(client, org.logins["riverside"])
    response = await api_post(client, "/api/imports/visits", VISITS)
    assert response.status_code == 403
    assert await ClientMetric.count().run() == 0


async def test_upload_page_explains_and_imports_both_files(
    client: AsyncTestClient[Any], org: Org
) -> None:
    await login(client, org.logins["hr"])
    page = (await client.get("/imports")).text
    assert 'action="/imports/outcomes"' in page and 'action="/imports/visits"' in page
    assert "<code>unit_id,month,metric,value,n</code>" in page
    assert "<code>client_id,unit_id,visited_on</code>" in page
    assert 'name="window_days"' in page and 'placeholder="90"' in page
    token = await csrf_token(client)

    async def upload(kind: str, body: bytes, window: str = "") -> Any:
        return await client.post(
            f"/imports/{kind}",
            files={"file": (f"{kind}.csv", body, "text/csv")},
            data={"_csrf_token": token, "window_days": window},
        )

    response = await upload("outcomes", b"unit_id,month,metric,value,n\nT1,2024-01,nps,101,\n")
    assert response.status_code == 422
    assert "row 2, column value: 101 is out of range" in response.text
    response = await upload("outcomes", OUTCOMES)
    assert response.status_code == 200 and "2 created" in response.text
    response = await upload("outcomes", OUTCOMES, window="30")
    assert response.status_code == 400
    assert "a return window applies only to visits imports" in response.text
    for bad in ("0", "731", "abc", "1.5"):
        response = await upload("visits", VISITS, window=bad)
        assert response.status_code == 400, bad
        assert "return window" in response.text and "from 1 to 730" in response.text
    assert await retention_of_t1() is None
    response = await upload("visits", VISITS, window="30")
    assert response.status_code == 200, response.text
    assert "a return within 30 days counts" in response.text
    assert "too recent to tell" in response.text  # k3's June
    assert await retention_of_t1() == (0.5, 2)
    response = await upload("visits", VISITS)
    assert response.status_code == 200 and "within 90 days" in response.text
    assert await retention_of_t1() == (1.0, 2)
    response = await upload("visits", b"client_id,unit_id,visited_on\nk9,NOPE,2024-01-01\n")
    assert response.status_code == 422
    assert "row 2, column unit_id: unknown unit &#39;NOPE&#39;" in response.text


async def test_a_large_upload_is_imported_in_a_process_of_its_own(
    client: AsyncTestClient[Any], org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every upload counts as large here: parsed in a fresh helper process, which gives its
    # memory back when it ends; answers, refusals and the audit are the same.
    import os

    from engage import imports

    seen: list[int] = []
    monkeypatch.setattr(imports, "APART_FROM_BYTES", 0)
    run = imports.IMPORTING.run

    async def counting(function: Any, *args: Any) -> Any:
        seen.append(os.getpid())
        return await run(function, *args)

    monkeypatch.setattr(imports.IMPORTING, "run", counting)
    await login(client, org.logins["hr"])
    bad = b"unit_id,month,metric,value,n\nNOPE,2024-01,csat,4,\n"
    response = await api_post(client, "/api/imports/outcomes", bad)
    assert response.status_code == 422  # the refusal crossed the process boundary intact
    assert response.json()["errors"][0]["column"] == "unit_id"
    before = await ClientMetric.count().run()
    response = await api_post(client, "/api/imports/visits", VISITS)
    assert response.status_code == 200, response.text
    assert "within 90 days" in response.json()["message"]
    assert await ClientMetric.count().run() >= before
    assert len(seen) == 2
    assert not list(Path(tempfile.gettempdir()).glob("engage-import-*"))  # files removed
