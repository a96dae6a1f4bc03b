"""Wave pages for HR and managers: create, open, hand out codes, close, and counts in scope."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from litestar.testing import AsyncTestClient

from engage import clock
from engage.db.tables import AuditEvent, Invitation, Wave
from engage.survey.answering import Credential, submit
from surveys.answers import Submission
from tests.factories import Org, csrf_token, login

TODAY = clock.today()


async def create(client: AsyncTestClient[Any], **over: Any) -> Any:
    form: dict[str, Any] = {
        "name": "April pulse",
        "opens_on": TODAY.isoformat(),
        "closes_on": (TODAY + timedelta(days=7)).isoformat(),
        "units": ["L1", "L3"],
        "items": ["E01", "E02", "ENPS"],
        "_csrf_token": await csrf_token(client),
    }
    form.update(over)
    return await client.post("/waves/", data=form, follow_redirects=False)


async def test_hr_creates_opens_prints_and_closes(client: AsyncTestClient[Any], org: Org) -> None:
    await login(client, org.logins["hr"])
    created = await create(client)
    assert created.status_code in (302, 303)
    url = created.headers["location"]
    wave_id = int(url.rsplit("/", 1)[1])
    row = await Wave.select().where(Wave.id == wave_id).first().run()
    assert row is not None and row["item_codes"] == "E01,E02,ENPS" and row["status"] == "draft"
    page = await client.get(url)
    assert "Open now" in page.text
    token = await csrf_token(client)
    opened = await client.post(f"{url}/open", data={"_csrf_token": token})
    assert opened.status_code == 200 and "6 people invited" in opened.text
    # how the emailed invitations stand (no mail server in the tests: said so)
    detail = await client.get(url)
    assert "Email invitations" in detail.text and "Email is not set up" in detail.text
    delivery = re.findall(r'<th scope="row">([^<]+)</th><td class="num">(\d+)</td>', detail.text)
    counts = dict(delivery)
    assert int(counts["Mailed"]) == 0
    assert int(counts["Waiting to be sent"]) + int(counts["No email address (need a slip)"]) == 6
    sheet = await client.post(
        f"{url}/sheet", data={"_csrf_token": token, "who": "all", "format": "html"}
    )
    assert sheet.status_code == 200
    codes = re.findall(r'<p class="code">([0-9A-Z]{5}-[0-9A-Z]{5})</p>', sheet.text)
    assert len(codes) == 6 and sheet.text.count("<svg") == 6
    assert "/kiosk" in sheet.text
    printed = await AuditEvent.select().where(AuditEvent.action == "wave.slips").run()
    assert [(e["actor"], e["detail"]) for e in printed] == [
        (org.logins["hr"], f"wave {wave_id}: 6 slips for the whole audience (everyone)")
    ]
    credential = Credential.from_kiosk_code(codes[0])
    assert credential is not None
    assert await submit(credential, Submission({"E01": 4}, None, None), "en") is None
    closed = await client.post(f"{url}/close", data={"_csrf_token": token})
    assert "Closed." in closed.text
    assert await Invitation.count().where(Invitation.wave == wave_id).run() == 0


async def test_bad_wave_form_comes_back_with_the_problem(
    client: AsyncTestClient[Any], org: Org
) -> None:
    await login(client, org.logins["hr"])
    before = await Wave.count().run()
    bad = await create(client, closes_on=(TODAY - timedelta(days=3)).isoformat())
    assert bad.status_code == 400 and "closes_on" in bad.text
    bad = await create(client, opens_on="tomorrow")
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.text
    bad = await create(client, units=[])
    assert bad.status_code == 400 and "at least one unit" in bad.text
    assert await Wave.count().run() == before


async def test_managers_see_counts_only_in_their_scope_and_change_nothing(
    client: AsyncTestClient[Any], org: Org
) -> None:
    await login(client, org.logins["hr"])
    created = await create(client, units=["ROOT"])
    url = created.headers["location"]
    await client.post(f"{url}/open", data={"_csrf_token": await csrf_token(client)})
    client.cookies.clear()
    await login(client, org.logins["riverside"])
    page = await client.get(url)
    assert page.status_code == 200
    assert "Harbour" not in page.text and "Acme Clinics" not in page.text
    assert "Open now" not in page.text and "Close now" not in page.text
    assert "Email invitations" not in page.text  # HR's, not a manager's
    token = await csrf_token(client)
    for action in ("open", "close", "sheet"):
        response = await client.post(f"{url}/{action}", data={"_csrf_token": token})
        assert response.status_code == 403, action
    assert (await client.post("/waves/", data={"_csrf_token": token})).status_code == 403


async def test_employees_cannot_see_waves(client: AsyncTestClient[Any], org: Org) -> None:
    await login(client, org.logins["employee"])
    assert (await client.get("/waves")).status_code == 403


async def test_a_wave_outside_a_managers_area_is_not_found(
    client: AsyncTestClient[Any], org: Org
) -> None:
    await login(client, org.logins["hr"])
    created = await create(client, name="Harbour only", units=["L3"])
    url = created.headers["location"]
    client.cookies.clear()
    await login(client, org.logins["riverside"])
    assert "Harbour only" not in (await client.get("/waves")).text
    assert (await client.get(url)).status_code == 404


async def test_hr_adds_and_retires_an_item(client: AsyncTestClient[Any], org: Org) -> None:
    await login(client, org.logins["hr"])
    token = await csrf_token(client)
    bad = await client.post(
        "/items/", data={"code": "C09", "text_ru": "Только", "_csrf_token": token}
    )
    assert bad.status_code == 400 and "needs an English text" in bad.text
    ok = await client.post(
        "/items/",
        data={
            "code": "C09",
            "text_en": "Breaks are long enough.",
            "text_zh": "休息时间足够。",
            "_csrf_token": token,
        },
    )
    assert ok.status_code == 200 and "Saved C09" in ok.text and "休息时间足够" in ok.text
    retired = await client.post("/items/C09/active", data={"active": "false", "_csrf_token": token})
    assert "C09 retired" in retired.text
    client.cookies.clear()
    await login(client, org.logins["riverside"])
    assert (await client.get("/items")).status_code == 403


async def test_hr_starts_and_stops_a_monthly_pulse(client: AsyncTestClient[Any], org: Org) -> None:
    await login(client, org.logins["hr"])
    created = await create(client, name="Team pulse", repeat="monthly")
    assert created.status_code in (302, 303)
    page = await client.get("/waves")
    assert "Monthly pulses" in page.text and "Team pulse · " in page.text
    match = re.search(r'action="/waves/pulses/(\d+)/stop"', page.text)
    assert match is not None
    stopped = await client.post(
        f"/waves/pulses/{match.group(1)}/stop", data={"_csrf_token": await csrf_token(client)}
    )
    assert stopped.status_code == 200 and "stopped" in stopped.text


async def test_slips_as_pdf(client: AsyncTestClient[Any], org: Org, tmp_path: Any) -> None:
    import shutil
    import subprocess

    await login(client, org.logins["hr"])
    created = await create(client, name="PDF slips", units=["L1"])
    url = created.headers["location"]
    token = await csrf_token(client)
    await client.post(f"{url}/open", data={"_csrf_token": token})
    pdf = await client.post(f"{url}/sheet", data={"_csrf_token": token, "who": "all"})
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    if shutil.which("pdftoppm") is None:
        return  # the page picture needs poppler-utils (CI installs it)
    (tmp_path / "slips.pdf").write_bytes(pdf.content)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", str(tmp_path / "slips.pdf"), str(tmp_path / "p")],
        check=True,
    )
    pages = sorted(tmp_path.glob("p*.png"))
    assert len(pages) == 1  # 4 slips fit one page
