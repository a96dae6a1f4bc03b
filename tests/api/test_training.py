"""Training: catalogue, assignment within scope, completion, imports, audit (both engines)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from engage import clock
from engage.db.tables import AuditEvent, TrainingAssignment, TrainingModule, TrainingModuleText
from tests.factories import Org, csrf_token, login

TODAY = clock.today()
DUE = (TODAY + timedelta(days=10)).isoformat()


async def _post(client: AsyncTestClient[Any], path: str, data: dict[str, Any]) -> Any:
    token = await csrf_token(client)
    return await client.post(path, data={**data, "_csrf_token": token}, follow_redirects=False)


async def _json(client: AsyncTestClient[Any], path: str, body: dict[str, Any]) -> Any:
    token = await csrf_token(client)
    return await client.post(path, json=body, headers={"x-csrftoken": token})


async def _count(**where: Any) -> int:
    query = TrainingAssignment.count()
    for column, value in where.items():
        query = query.where(getattr(TrainingAssignment, column) == value)
    return int(await query.run())


async def test_the_starter_catalogue_is_there(client: AsyncTestClient[Any], org: Org) -> None:
    await login(client, org.logins["riverside"])
    modules = (await client.get("/api/training/modules")).json()
    codes = {m["code"] for m in modules}
    assert {"honest-consultations", "follow-up-calls", "service-recovery"} <= codes
    assert len(modules) >= 12
    elements = {e for m in modules for e in m["elements"]}
    assert elements == {f"E{i:02d}" for i in range(1, 13)}  # every element has a module
    ru = (await client.get("/api/training/modules", params={"language": "ru"})).json()
    assert all(m["language"] == "ru" for m in ru)
    page = await client.get("/training")
    assert page.status_code == 200 and "/training/modules/honest-consultations" in page.text


async def test_employees_have_no_training_admin(client: AsyncTestClient[Any], org: Org) -> None:
    await login(client, org.logins["employee"])
    assert (await client.get("/training")).status_code == 403
    assert (await client.get("/api/training/assignments")).status_code == 403
    assert (await client.get("/my/training")).status_code == 200


async def test_a_manager_assigns_their_unit(client: AsyncTestClient[Any], org: Org) -> None:
    await login(client, org.logins["riverside"])
    before = await _count()
    response = await _post(
        client,
        "/training/assign",
        {"module": "follow-up-calls", "unit": "L1", "due_on": DUE, "note": "Before the review"},
    )
    assert response.status_code == 200, response.text
    assert "Assigned “Post-treatment follow-up calls” to 4 people" in response.text  # M1, E1–E3
    assert await _count() == before + 4
    again = await _post(
        client, "/training/assign", {"module": "follow-up-calls", "unit": "T1", "due_on": DUE}
    )
    assert "2 already had it open" in again.text
    assert await _count() == before + 4


@pytest.mark.parametrize(
    "data",
    [
        {"module": "follow-up-calls", "unit": "L3", "due_on": DUE},  # Harbour: not theirs
        {"module": "follow-up-calls", "unit": "ROOT", "due_on": DUE},
        {"module": "follow-up-calls", "people": ["E5"], "due_on": DUE},  # a Harbour employee
        {"module": "follow-up-calls", "people": ["E1", "E5"], "due_on": DUE},  # one of each
        {"module": "follow-up-calls", "people": ["NOBODY"], "due_on": DUE},
    ],
)
async def test_nobody_outside_the_subtree_can_be_assigned(
    client: AsyncTestClient[Any], org: Org, data: dict[str, Any]
) -> None:
    await login(client, org.logins["riverside"])
    before = await _count()
    response = await _post(client, "/training/assign", data)
    assert response.status_code == 404
    assert "Elio" not in response.text and "Harbour front" not in response.text
    api = await _json(
        client,
        "/api/training/assignments",
        {
            "module": data["module"],
            "due_on": DUE,
            "unit_id": data.get("unit"),
            "employee_ids": data.get("people", []),
        },
    )
    assert api.status_code == 404
    assert await _count() == before


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"module": "follow-up-calls", "unit": "T2", "due_on": "2020-01-01"}, "in the past"),
        ({"module": "follow-up-calls", "unit": "T2", "due_on": "soon"}, "due date"),
        ({"module": "follow-up-calls", "unit": "T2", "due_on": "2099-01-01"}, "a year ahead"),
        ({"module": "no-such-module", "unit": "T2", "due_on": DUE}, "no module"),
        ({"module": "follow-up-calls", "due_on": DUE}, "choose a unit or at least one person"),
        ({"module": "follow-up-calls", "unit": "T2", "due_on": DUE, "note": "x" * 1001}, "note"),
        (
            {"module": "follow-up-calls", "unit": "T2", "people": ["E3"], "due_on": DUE},
            "not both",
        ),
    ],
)
async def test_bad_assignments_change_nothing(
    client: AsyncTestClient[Any], org: Org, data: dict[str, Any], problem: str
) -> None:
    await login(client, org.logins["riverside"])
    before = await _count()
    response = await _post(client, "/training/assign", data)
    assert response.status_code == 400
    assert problem in response.text
    assert await _count() == before


async def test_hr_assigns_anywhere_and_sees_progress(
    client: AsyncTestClient[Any], org: Org
) -> None:
    await login(client, org.logins["hr"])
    response = await _json(
        client,
        "/api/training/assignments",
        {"module": "service-recovery", "due_on": DUE, "employee_ids": ["E5", "E4"]},
    )
    assert response.status_code == 201, response.text
    assert response.json()["created"] == 2
    progress = {p["unit_id"]: p for p in (await client.get("/api/training/progress")).json()}
    assert progress["ROOT"]["open"] >= 2
    assert progress["L3"]["open"] >= 1


async def test_an_employee_completes_their_own_assignment(
    client: AsyncTestClient[Any], org: Org
) -> None:
    await login(client, org.logins["hr"])
    await _json(
        client,
        "/api/training/assignments",
        {"module": "rebooking-conversations", "due_on": DUE, "employee_ids": ["E1", "E3"]},
    )
    await client.post("/logout", headers={"x-csrftoken": await csrf_token(client)})
    await login(client, org.logins["employee"])  # E1
    page = await client.get("/my/training")
    assert "Rebooking" in page.text
    mine = (await client.get("/api/training/me")).json()
    own = next(a for a in mine if a["module"] == "rebooking-conversations")
    assert own["state"] == "open"
    others = (
        await TrainingAssignment.select(TrainingAssignment.id)
        .where(TrainingAssignment.person._.employee_id == "E3")
        .run()
    )
    for row in others:  # someone else's assignment: not found, unchanged
        stolen = await _post(client, f"/my/training/{row['id']}/complete", {"reflection": "x"})
        assert stolen.status_code == 404
    done = await _post(
        client, f"/my/training/{own['id']}/complete", {"reflection": "Offer the next slot."}
    )
    assert done.status_code == 200 and "Marked complete" in done.text
    twice = await _post(client, f"/my/training/{own['id']}/complete", {})
    assert twice.status_code == 400
    row = await TrainingAssignment.select().where(TrainingAssignment.id == own["id"]).first().run()
    assert row is not None
    assert (row["status"], row["completed_on"], row["reflection"]) == (
        "completed",
        TODAY,
        "Offer the next slot.",
    )
    e3 = (
        await TrainingAssignment.select(TrainingAssignment.status)
        .where(TrainingAssignment.person._.employee_id == "E3")
        .run()
    )
    assert all(r["status"] == "assigned" for r in e3)
    home = await client.get("/")
    assert "training module" in home.text or "to do" in home.text


async def test_a_manager_cannot_withdraw_outside_their_area(
    client: AsyncTestClient[Any], org: Org
) -> None:
    harbour = (
        await TrainingAssignment.select(TrainingAssignment.id)
        .where(
            (TrainingAssignment.person._.employee_id == "E5")
            & (TrainingAssignment.status == "assigned")
        )
        .first()
        .run()
    )
    assert harbour is not None
    await login(client, org.logins["riverside"])
    response = await _post(client, f"/training/assignments/{harbour['id']}/cancel", {"back": "L1"})
    assert response.status_code == 404
    api = await client.post(
        f"/api/training/assignments/{harbour['id']}/cancel",
        headers={"x-csrftoken": await csrf_token(client)},
    )
    assert api.status_code == 404
    unit_page = await client.get("/training/units/L3")
    assert unit_page.status_code == 404
    listing = await client.get("/api/training/assignments", params={"unit_id": "L3"})
    assert listing.status_code == 404
    mine = (await client.get("/api/training/assignments")).json()
    assert {a["unit_id"] for a in mine} <= {"L1", "T1", "T2"}


async def test_hr_manages_the_catalogue(client: AsyncTestClient[Any], org: Org) -> None:
    form = {
        "code": "chair-side-manner",
        "language": "en",
        "title": "Chair-side manner",
        "summary": "Explaining each step before it happens.",
        "elements": ["E09"],
        "outcomes": ["csat"],
        "duration_minutes": "25",
        "format": "in_person",
    }
    await login(client, org.logins["riverside"])
    assert (await _post(client, "/training/modules", form)).status_code == 403
    await client.post("/logout", headers={"x-csrftoken": await csrf_token(client)})
    await login(client, org.logins["hr"])
    bad = await _post(client, "/training/modules", {**form, "elements": ["E13"], "outcomes": []})
    assert bad.status_code == 400 and "E13" in bad.text
    assert not await TrainingModule.exists().where(TrainingModule.code == "chair-side-manner").run()
    created = await _post(client, "/training/modules", form)
    assert created.status_code in (301, 302, 303)
    ru = await _post(
        client,
        "/training/modules/chair-side-manner/text",
        {"language": "ru", "title": "Манера общения в кресле", "summary": "Объяснять шаги."},
    )
    assert ru.status_code == 200 and "Манера" in ru.text
    for bad_text, problem in (
        ({"language": "not a language", "title": "x"}, "language"),
        ({"language": "es", "title": ""}, "title: is empty"),
        ({"language": "es", "title": "x", "url": "ftp://x"}, "not an http(s) address"),
    ):
        refused_text = await _post(client, "/training/modules/chair-side-manner/text", bad_text)
        assert refused_text.status_code == 400 and problem in refused_text.text
    assert (
        not await TrainingModuleText.exists()
        .where(
            (TrainingModuleText.language == "es")
            | (TrainingModuleText.language == "not a language")
        )
        .run()
    )
    # a language version leaves the module's targets alone
    row = (
        await TrainingModule.select(TrainingModule.elements)
        .where(TrainingModule.code == "chair-side-manner")
        .first()
        .run()
    )
    assert row is not None and row["elements"] == "E09"
    settings = await _post(
        client,
        "/training/modules/chair-side-manner",
        {
            "elements": ["E09", "E04"],
            "outcomes": ["csat"],
            "duration_minutes": "30",
            "format": "in_person",
        },
    )
    assert settings.status_code == 200 and "Saved the module" in settings.text
    bad = await _post(
        client,
        "/training/modules/chair-side-manner",
        {"elements": [], "outcomes": [], "duration_minutes": "3", "format": "video"},
    )
    assert bad.status_code == 400
    assert "at least one element" in bad.text and "duration" in bad.text and "format" in bad.text
    retired = await _post(client, "/training/modules/chair-side-manner/retire", {"retired": "1"})
    assert "Retired" in retired.text
    refused = await _json(
        client,
        "/api/training/assignments",
        {"module": "chair-side-manner", "due_on": DUE, "unit_id": "T4"},
    )
    assert refused.status_code == 409 and "retired" in refused.text


async def test_imports_of_modules_and_completions(client: AsyncTestClient[Any], org: Org) -> None:
    await login(client, org.logins["hr"])
    token = await csrf_token(client)
    headers = {"content-type": "text/csv", "x-csrftoken": token}
    bad_modules = (
        "code,language,title,summary,elements,outcomes,duration_minutes,format,url\n"
        "phone-manner,en,Phone manner,,E09,csat,20,document,\n"
        "phone-manner,ru,Телефон,,E07,csat,20,document,\n"
    )
    response = await client.post("/api/imports/modules", content=bad_modules, headers=headers)
    assert response.status_code == 422
    assert '"row":3' in response.text and "differs" in response.text
    assert not await TrainingModule.exists().where(TrainingModule.code == "phone-manner").run()
    good = bad_modules.replace("E07", "")
    response = await client.post("/api/imports/modules", content=good, headers=headers)
    assert response.status_code == 200, response.text
    assert await TrainingModule.exists().where(TrainingModule.code == "phone-manner").run()
    again = await client.post("/api/imports/modules", content=good, headers=headers)
    assert (again.json()["updated"], again.json()["unchanged"]) == (0, 1)
    retitled = good.replace("Phone manner,", "Phone manners,")
    renamed = await client.post("/api/imports/modules", content=retitled, headers=headers)
    assert (renamed.json()["updated"], renamed.json()["unchanged"]) == (1, 0)  # a title counts

    before = await _count()
    bad = (
        "employee_id,module,completed_on\n"
        "E4,service-recovery,2099-01-01\nZZ,service-recovery,2025-01-01\n"
    )
    response = await client.post("/api/imports/completions", content=bad, headers=headers)
    assert response.status_code == 422
    assert "future" in response.text and "unknown employee" in response.text
    assert await _count() == before
    done = (TODAY - timedelta(days=2)).isoformat()
    good = f"employee_id,module,completed_on\nE4,service-recovery,{done}\nE2,phone-manner,{done}\n"
    response = await client.post("/api/imports/completions", content=good, headers=headers)
    assert response.status_code == 200, response.text
    e4 = (
        await TrainingAssignment.select(
            TrainingAssignment.status, TrainingAssignment.completion_source
        )
        .where(
            (TrainingAssignment.person._.employee_id == "E4")
            & (TrainingAssignment.module._.code == "service-recovery")
        )
        .run()
    )
    assert [(r["status"], r["completion_source"]) for r in e4] == [("completed", "import")]
    assert await _count() == before + 1  # E2's completion had no assignment: recorded


async def test_the_audit_log_has_the_training_events(
    client: AsyncTestClient[Any], org: Org
) -> None:
    actions = {r["action"] for r in await AuditEvent.select(AuditEvent.action).run()}
    assert {"training.assigned", "training.completed", "training.module_created"} <= actions
    await login(client, org.logins["hr"])
    page = await client.get("/audit")
    assert "training.assigned" in page.text
    await client.post("/logout", headers={"x-csrftoken": await csrf_token(client)})
    await login(client, org.logins["riverside"])
    assert (await client.get("/audit")).status_code == 403


async def test_unit_page_lists_overdue_and_suggests_nothing_without_results(
    client: AsyncTestClient[Any], org: Org
) -> None:
    await login(client, org.logins["riverside"])
    page = await client.get("/training/units/L1", params={"status": "all"})
    assert page.status_code == 200
    assert "Follow-up" in page.text or "follow-up" in page.text
    assert "no survey wave has closed yet" in page.text


async def test_a_double_click_assigns_once(client: AsyncTestClient[Any], org: Org) -> None:
    import asyncio

    await login(client, org.logins["hr"])
    before = await _count(status="assigned")
    body = {"module": "strengths-rota", "due_on": DUE, "unit_id": "L1"}
    responses = await asyncio.gather(
        *(_json(client, "/api/training/assignments", body) for _ in range(6))
    )
    assert all(r.status_code == 201 for r in responses), [r.text for r in responses]
    assert sum(r.json()["created"] for r in responses) == 4  # M1, E1, E2, E3
    assert await _count(status="assigned") == before + 4


async def test_a_leaver_in_the_area_gets_a_clear_refusal(
    client: AsyncTestClient[Any], org: Org
) -> None:
    await login(client, org.logins["hr"])
    before = await _count()
    response = await _json(
        client,
        "/api/training/assignments",
        {"module": "follow-up-calls", "due_on": DUE, "employee_ids": ["E6"]},
    )
    assert response.status_code == 409 and "E6 left" in response.text
    assert await _count() == before
