"""Background work: open scheduled waves, close ended ones, send invitations and reminders
(survey reminders and training reminders).

Every step claims its rows in the database, so any number of workers (or a cron job
running ``engage jobs``) can call ``run_due_jobs`` at the same time without doing anything
twice. Nothing waits in process memory.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from engage import clock
from engage.db.tables import Wave
from engage.mail import MailNotConfigured
from engage.reporting.report_store import refresh_linkage
from engage.settings import Settings
from engage.survey.mailing import send_invitations, send_reminders
from engage.survey.pulses import create_due_waves
from engage.survey.waves import (
    WaveError,
    close_wave,
    open_wave,
    recount_due,
    restamp_spent_invitations,
)
from engage.training.reminders import send_training_reminders

log = logging.getLogger("engage.jobs")
SYSTEM = "system:scheduler"


@dataclass(slots=True)
class JobReport:
    """What one run did."""

    created: list[int] = field(default_factory=list)
    opened: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    invitations_sent: int = 0
    reminders_sent: int = 0
    training_reminders_sent: int = 0
    mail_failures: int = 0
    report_computed: bool = False
    notes: list[str] = field(default_factory=list)


async def run_due_jobs(settings: Settings, today: date | None = None) -> JobReport:
    """Do whatever is due today; safe to run from several processes at once."""
    now = clock.now() if today is None else datetime.combine(today, time(12), UTC)
    today = today or now.date()
    report = JobReport()
    await restamp_spent_invitations()
    await recount_due()
    report.created = await create_due_waves(today, SYSTEM)
    for row in (
        await Wave.select(Wave.id).where(Wave.status == "open", Wave.closes_on < today).run()
    ):
        try:
            await close_wave(row["id"], SYSTEM)
            report.closed.append(row["id"])
        except WaveError:
            pass  # another worker closed it first
    for row in (
        await Wave.select(Wave.id)
        .where(Wave.status == "draft", Wave.opens_on <= today, Wave.closes_on >= today)
        .run()
    ):
        try:
            await open_wave(row["id"], SYSTEM)
            report.opened.append(row["id"])
        except WaveError:
            pass
    await _send_mail(settings, today, now, report)
    # Last, as it may take a while: the linkage report, if its inputs changed (a wave
    # closed above, an import, a new day); one worker computes it, the others go on.
    report.report_computed = await refresh_linkage()
    return report


async def _send_mail(settings: Settings, today: date, now: datetime, report: JobReport) -> None:
    if not settings.smtp_host:
        report.notes.append("email is off (ENGAGE_SMTP_HOST is not set): hand out printed slips")
        return
    if not settings.public_url:
        report.notes.append("email is off: ENGAGE_PUBLIC_URL is not set")
        return
    try:
        invites = await send_invitations(settings)
        reminders = await send_reminders(settings, today, now)
        training = await send_training_reminders(settings, today)
    except MailNotConfigured as exc:
        report.notes.append(str(exc))
        return
    report.invitations_sent = invites.sent
    report.reminders_sent = reminders.sent
    report.training_reminders_sent = training.sent
    report.mail_failures = invites.failed + reminders.failed + training.failed


async def run_forever(settings: Settings, every_seconds: int = 60) -> None:
    """The in-process scheduler each worker runs (after a first pause)."""
    while True:
        await asyncio.sleep(every_seconds)
        try:
            report = await run_due_jobs(settings)
        except Exception:  # a failed run must not stop later ones
            log.exception("scheduled jobs failed")
            continue
        if report.opened or report.closed or report.invitations_sent or report.reminders_sent:
            log.info(
                "jobs: opened %s, closed %s, %d invitations and %d reminders mailed",
                report.opened,
                report.closed,
                report.invitations_sent,
                report.reminders_sent,
            )
