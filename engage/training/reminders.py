"""Training reminders by email: once a few days before the due date, once when overdue.

Each assignment is claimed in the database before it is mailed (``FOR UPDATE SKIP LOCKED``
on PostgreSQL), so several workers never send the same reminder twice; a mail the server
refuses is released and tried again on the next run.
"""

from __future__ import annotations

from datetime import date, timedelta

from engage import clock
from engage.db.bulk import executemany, fetch
from engage.db.sqlite_writer import atomic
from engage.db.tables import TrainingAssignment
from engage.mail import Mail, send_claimed
from engage.settings import Settings
from engage.survey.mailing import MailingResult
from surveys.items import default_bank

BATCH = 200
CONDITIONS = {
    # kind: (stamp column, SQL condition; its parameters come from _params in order)
    "due": (
        "due_reminded_at",
        "a.due_reminded_at IS NULL AND a.assigned_on < {} AND a.due_on >= {} AND a.due_on <= {}",
    ),
    "overdue": ("overdue_reminded_at", "a.overdue_reminded_at IS NULL AND a.due_on < {}"),
}


def _claim_sql(engine_type: str, kind: str) -> str:
    stamp, condition = CONDITIONS[kind]
    lock = " FOR UPDATE OF a SKIP LOCKED" if engine_type != "sqlite" else ""
    return (
        f"UPDATE training_assignment SET {stamp} = {{}} WHERE id IN ("
        "SELECT a.id FROM training_assignment a JOIN person p ON p.id = a.person "
        "WHERE a.status = 'assigned' AND p.email IS NOT NULL "
        f"AND (p.left_on IS NULL OR p.left_on > {{}}) AND {condition} "
        f"ORDER BY a.id LIMIT {BATCH}{lock}) RETURNING id"
    )


def _params(kind: str, today: date, settings: Settings) -> tuple[object, ...]:
    if kind == "due":
        return (today, today, today, today + timedelta(days=settings.reminder_days))
    return (today, today)


async def _send(settings: Settings, kind: str, today: date) -> MailingResult:
    engine = TrainingAssignment._meta.db
    stamp = CONDITIONS[kind][0]
    sent = failed = 0
    while True:
        async with atomic(engine):
            claimed = await fetch(
                engine,
                _claim_sql(engine.engine_type, kind),
                clock.now(),
                *_params(kind, today, settings),
            )
        if not claimed:
            break
        ids = [int(r["id"]) for r in claimed]
        details = await TrainingAssignment.raw(
            "SELECT a.id, a.due_on, p.name, p.email, p.language, m.id AS module, m.code, "
            "m.duration_minutes "
            "FROM training_assignment a JOIN person p ON p.id = a.person "
            "JOIN training_module m ON m.id = a.module WHERE a.id IN ("
            + ", ".join(["{}"] * len(ids))
            + ")",
            *ids,
        ).run()
        titles = {
            (int(r["module"]), r["language"]): r["title"]
            for r in await TrainingAssignment.raw(
                "SELECT module, language, title FROM training_module_text"
            ).run()
        }
        mails: dict[int, Mail] = {}
        for d in details:
            lang = default_bank().language(str(d["language"]))
            module_id = int(d["module"])
            title = titles.get((module_id, lang.code)) or titles.get((module_id, "en")) or d["code"]
            due = (
                d["due_on"]
                if isinstance(d["due_on"], date)
                else date.fromisoformat(str(d["due_on"]))
            )
            values = {
                "name": d["name"],
                "module": title,
                "minutes": d["duration_minutes"],
                "due": due.isoformat(),
                "link": f"{settings.public_url}/my/training",
            }
            mails[int(d["id"])] = Mail(
                to=str(d["email"]),
                subject=lang.t(f"email_training_{kind}_subject", **values),
                body=lang.t(f"email_training_{kind}_body", **values),
            )

        async def release(ids: list[int]) -> None:
            async with atomic(engine):
                await executemany(
                    engine,
                    f"UPDATE training_assignment SET {stamp} = NULL WHERE id = {{}}",
                    [(i,) for i in ids],
                )

        done, refused = await send_claimed(settings, mails, release)
        sent += done
        failed += refused
        if refused:
            break  # the server is refusing: try again on the next run
    return MailingResult(sent=sent, failed=failed)


async def send_training_reminders(settings: Settings, today: date) -> MailingResult:
    """Send every due-soon and overdue reminder not sent yet (each at most once)."""
    if not settings.public_url:
        raise RuntimeError("set ENGAGE_PUBLIC_URL: reminders link to the training page")
    due = await _send(settings, "due", today)
    overdue = await _send(settings, "overdue", today)
    return MailingResult(sent=due.sent + overdue.sent, failed=due.failed + overdue.failed)
