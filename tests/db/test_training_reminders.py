"""Training reminders through a real local SMTP server (aiosmtpd), on both engines."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest

from engage import clock
from engage.db.tables import Person, TrainingAssignment, TrainingModule
from engage.jobs import run_due_jobs
from engage.settings import Settings, get_settings
from engage.training.reminders import send_training_reminders
from tests.db.test_mailing import Inbox, body, inbox  # noqa: F401 (the SMTP server fixture)
from tests.factories import build_small_org

TODAY = clock.today()


@pytest.fixture(scope="module")
async def setting(db: str, inbox: tuple[Inbox, int]) -> Settings:  # noqa: F811
    await build_small_org()
    return dataclasses.replace(
        get_settings(),
        smtp_host="127.0.0.1",
        smtp_port=inbox[1],
        smtp_security="none",
        public_url="https://engage.example",
        reminder_days=3,
    )


async def _assign(employee_id: str, module: str, due_on: date, assigned_on: date) -> int:
    person = (
        await Person.select(Person.id, Person.unit)
        .where(Person.employee_id == employee_id)
        .first()
        .run()
    )
    found = (
        await TrainingModule.select(TrainingModule.id)
        .where(TrainingModule.code == module)
        .first()
        .run()
    )
    assert person is not None and found is not None
    rows = await TrainingAssignment.insert(
        TrainingAssignment(
            module=found["id"],
            person=person["id"],
            unit=person["unit"],
            assigned_by="hr@acme.test",
            assigned_on=assigned_on,
            due_on=due_on,
            status="assigned",
        )
    ).run()
    return int(rows[0]["id"])


async def test_due_soon_and_overdue_reminders_go_once(
    setting: Settings,
    inbox: tuple[Inbox, int],  # noqa: F811
) -> None:
    handler = inbox[0]
    handler.take()
    soon = await _assign(
        "E1", "follow-up-calls", TODAY + timedelta(days=2), TODAY - timedelta(days=7)
    )
    later = await _assign(
        "E3", "follow-up-calls", TODAY + timedelta(days=20), TODAY - timedelta(days=1)
    )
    late = await _assign(
        "E4", "service-recovery", TODAY - timedelta(days=1), TODAY - timedelta(days=9)
    )
    no_mail = await _assign(
        "E2", "service-recovery", TODAY - timedelta(days=1), TODAY - timedelta(days=9)
    )
    done = await _assign(
        "E5", "service-recovery", TODAY - timedelta(days=1), TODAY - timedelta(days=9)
    )
    await (
        TrainingAssignment.update({TrainingAssignment.status: "completed"})
        .where(TrainingAssignment.id == done)
        .run()
    )

    result = await send_training_reminders(setting, TODAY)
    messages = handler.take()
    assert (result.sent, result.failed) == (2, 0)
    by_address = {str(m["To"]): m for m in messages}
    assert set(by_address) == {"e1@acme.test", "e4@acme.test"}  # E2 has no email; E3 not due
    assert "due" in str(by_address["e1@acme.test"]["Subject"]).lower()
    assert "overdue" in str(by_address["e4@acme.test"]["Subject"]).lower()
    text = body(by_address["e1@acme.test"])
    assert "https://engage.example/my/training" in text
    assert "never linked to your answers" in text
    # once only, also through the scheduler
    again = await run_due_jobs(setting, TODAY)
    assert again.training_reminders_sent == 0 and handler.take() == []
    stamped = (
        await TrainingAssignment.select(
            TrainingAssignment.id,
            TrainingAssignment.due_reminded_at,
            TrainingAssignment.overdue_reminded_at,
        )
        .where(TrainingAssignment.id.is_in([soon, later, late, no_mail]))
        .run()
    )
    flags = {
        r["id"]: (r["due_reminded_at"] is not None, r["overdue_reminded_at"] is not None)
        for r in stamped
    }
    assert flags == {
        soon: (True, False),
        later: (False, False),
        late: (False, True),
        no_mail: (False, False),
    }


async def test_reminders_follow_the_persons_language(
    setting: Settings,
    inbox: tuple[Inbox, int],  # noqa: F811
) -> None:
    handler = inbox[0]
    handler.take()
    await _assign("E3", "service-recovery", TODAY - timedelta(days=2), TODAY - timedelta(days=10))
    await send_training_reminders(setting, TODAY)
    (message,) = handler.take()
    assert message["To"] == "e3@acme.test"  # E3's language is zh
    assert "培训" in str(message["Subject"])


async def test_a_refusing_server_leaves_the_reminder_for_the_next_run(
    setting: Settings,
    inbox: tuple[Inbox, int],  # noqa: F811
) -> None:
    handler = inbox[0]
    handler.take()
    late = await _assign(
        "E1", "rebooking-conversations", TODAY - timedelta(days=1), TODAY - timedelta(days=5)
    )
    handler.refuse = True
    try:
        refused = await send_training_reminders(setting, TODAY)
    finally:
        handler.refuse = False
    assert refused.failed == 1 and refused.sent == 0
    row = (
        await TrainingAssignment.select(TrainingAssignment.overdue_reminded_at)
        .where(TrainingAssignment.id == late)
        .first()
        .run()
    )
    assert row is not None and row["overdue_reminded_at"] is None
    retried = await send_training_reminders(setting, TODAY)
    assert retried.sent == 1
