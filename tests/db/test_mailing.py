"""Invitations and reminders through a real local SMTP server (aiosmtpd), on both engines."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import socket
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from engage import clock
from engage.db.tables import Wave
from engage.jobs import run_due_jobs
from engage.mail import delivery_status
from engage.settings import Settings, get_settings
from engage.survey.answering import Credential, Problem, find_ballot, submit
from engage.survey.delivery import Delivery, delivery_counts, issue
from engage.survey.waves import WaveSpec, create_wave, open_wave
from surveys.answers import Submission
from tests.factories import build_small_org

TODAY = clock.today()
LINK = re.compile(r"https://engage\.example/s/([A-Za-z0-9_\-]+)")


class Inbox:
    """An SMTP handler that keeps every message, or refuses them all when asked."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse = False

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.refuse:  # as real servers do, naming the recipient
            return f"550 mailbox {envelope.rcpt_tos[0]} unavailable"
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"

    def take(self) -> list[EmailMessage]:
        taken, self.messages = self.messages, []
        return taken


@pytest.fixture(scope="module")
def inbox() -> Iterator[tuple[Inbox, int]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


@pytest.fixture(scope="module")
async def setting(db: str, inbox: tuple[Inbox, int]) -> Settings:
    await build_small_org()
    return dataclasses.replace(
        get_settings(),
        smtp_host="127.0.0.1",
        smtp_port=inbox[1],
        smtp_security="none",
        public_url="https://engage.example",
        reminder_days=3,
    )


def body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def token_for(messages: list[EmailMessage], address: str) -> str:
    message = next(m for m in messages if m["To"] == address)
    found = LINK.search(body(message))
    assert found is not None
    return found.group(1)


async def test_invitations_reminders_and_no_double_sending(
    setting: Settings, inbox: tuple[Inbox, int]
) -> None:
    box = inbox[0]
    closes = TODAY + timedelta(days=10)
    await create_wave(WaveSpec("Autumn pulse", ("ROOT",), TODAY, closes), "hr@acme.test")
    # two workers at once: the draft opens once and each person gets exactly one email
    first, second = await asyncio.gather(run_due_jobs(setting), run_due_jobs(setting))
    assert len(first.opened) + len(second.opened) == 1
    assert first.invitations_sent + second.invitations_sent == 9  # Emil has no email
    invites = box.take()
    assert sorted(m["To"] for m in invites) == sorted(
        {m["To"] for m in invites}
    )  # no address twice
    rita = next(m for m in invites if m["To"] == "riverside@acme.test")
    assert rita["Subject"].startswith("Две минуты") and "анонимный" in body(rita)
    erin = next(m for m in invites if m["To"] == "e3@acme.test")
    assert "调查是匿名的" in body(erin)
    eve_first = token_for(invites, "e1@acme.test")
    assert (
        await submit(Credential.from_token(eve_first), Submission({"E01": 5}, None, None), "en")
        is None
    )
    again = await run_due_jobs(setting)
    assert again.invitations_sent == 0 and box.take() == []

    # a few days before closing: reminders to the 8 who have not answered, with new links
    near = await run_due_jobs(setting, today=closes - timedelta(days=2))
    assert near.reminders_sent == 8
    reminders = box.take()
    assert "e1@acme.test" not in {m["To"] for m in reminders}
    ezra_old = token_for(invites, "e4@acme.test")
    ezra_new = token_for(reminders, "e4@acme.test")
    assert await find_ballot(Credential.from_token(ezra_old)) is Problem.unknown
    assert not isinstance(await find_ballot(Credential.from_token(ezra_new)), Problem)
    # Eve answered: her old link stops working too, so old links tell nothing
    assert await find_ballot(Credential.from_token(eve_first)) is Problem.unknown
    assert (await run_due_jobs(setting, today=closes - timedelta(days=1))).reminders_sent == 0


async def test_a_refusing_server_means_retry_later(
    setting: Settings, inbox: tuple[Inbox, int]
) -> None:
    box = inbox[0]
    await create_wave(
        WaveSpec("Harbour check-in", ("L3",), TODAY, TODAY + timedelta(days=5)), "hr@acme.test"
    )
    box.refuse = True
    refused = await run_due_jobs(setting)
    assert refused.invitations_sent == 0 and refused.mail_failures == 2
    # HR's wave page can say why: the server's own reason is kept with the time
    status = await delivery_status()
    assert status is not None and status.problem is not None and "550" in status.problem
    # … but never whom it was for: a refused reminder would name someone who has not answered
    assert "@" not in status.problem
    wave = await Wave.select(Wave.id).where(Wave.name == "Harbour check-in").first().run()
    assert wave is not None
    assert await delivery_counts(int(wave["id"])) == Delivery(mailed=0, waiting=2, no_email=0)
    box.refuse = False
    retried = await run_due_jobs(setting)
    assert retried.invitations_sent == 2
    assert sorted(m["To"] for m in box.take()) == ["e5@acme.test", "harbour@acme.test"]
    status = await delivery_status()
    assert status is not None and status.problem is None
    assert await delivery_counts(int(wave["id"])) == Delivery(mailed=2, waiting=0, no_email=0)


async def test_who_gets_an_invitation_does_not_tell_who_answered(
    setting: Settings, inbox: tuple[Inbox, int]
) -> None:
    """Attack: HR hands one person a slip while email is down, then watches the mail go
    out: had only unanswered invitations been mailed, the count would name who answered."""
    box = inbox[0]
    box.take()
    closes = TODAY + timedelta(days=6)
    wave = await create_wave(WaveSpec("Slip first", ("L1",), TODAY, closes), "hr@acme.test")
    await open_wave(wave, "hr@acme.test")
    slips = {i.name: i.secret for i in await issue(wave, "kiosk")}
    rita = Credential.from_kiosk_code(slips["Rita Riverside"])
    assert rita is not None
    assert await submit(rita, Submission({"E01": 4}, None, None), "en") is None
    before = await delivery_counts(wave)
    report = await run_due_jobs(setting)
    messages = box.take()
    mailed = {m["To"] for m in messages}
    assert "riverside@acme.test" in mailed  # answered, and mailed like everyone else
    after = await delivery_counts(wave)
    assert before.waiting == after.mailed == report.invitations_sent == len(mailed)
    # her emailed link opens a ballot like any other
    link = Credential.from_token(token_for(messages, "riverside@acme.test"))
    assert not isinstance(await find_ballot(link), Problem)


async def test_no_reminder_in_the_same_run_as_the_invitation(
    setting: Settings, inbox: tuple[Inbox, int]
) -> None:
    box = inbox[0]
    box.take()
    await create_wave(
        WaveSpec("Last-minute", ("T2",), TODAY, TODAY + timedelta(days=1)), "hr@acme.test"
    )
    report = await run_due_jobs(setting)
    assert (report.invitations_sent, report.reminders_sent) == (1, 0)
    (invite,) = box.take()
    token = token_for([invite], "e3@acme.test")
    assert not isinstance(await find_ballot(Credential.from_token(token)), Problem)


async def test_without_smtp_the_jobs_say_so(setting: Settings) -> None:
    report = await run_due_jobs(dataclasses.replace(setting, smtp_host=None))
    assert any("ENGAGE_SMTP_HOST" in note for note in report.notes)
