"""Invitation and reminder emails. Each invitation is claimed in the database before it is
mailed (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so several workers never send twice.

Links are made at sending time; a reminder carries a fresh link that replaces the earlier
one. Reminders go to everyone with an email who has not answered, a few days before the
wave closes; nobody is told who that is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from engage import clock
from engage.db.bulk import executemany, fetch
from engage.db.tables import Invitation
from engage.mail import Mail, send_claimed
from engage.settings import Settings
from surveys.items import default_bank
from surveys.tokens import new_token, token_hash

BATCH = 200
#: A reminder (with its fresh link) never follows the invitation within this time.
REMINDER_GAP = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class MailingResult:
    """How many emails went out and how many will be retried."""

    sent: int
    failed: int


def _claim_sql(engine_type: str, condition: str, stamp_column: str) -> str:
    lock = " FOR UPDATE OF i SKIP LOCKED" if engine_type != "sqlite" else ""
    return (
        f"UPDATE invitation SET {stamp_column} = {{}} WHERE id IN ("
        "SELECT i.id FROM invitation i JOIN person p ON p.id = i.person "
        "JOIN wave w ON w.id = i.wave "
        f"WHERE w.status = 'open' AND p.email IS NOT NULL AND {condition} "
        f"ORDER BY i.id LIMIT {BATCH}{lock}) RETURNING id"
    )


async def _claim_and_mail(
    settings: Settings, condition: str, params: tuple[object, ...], stamp: str, kind: str
) -> MailingResult:
    if not settings.public_url:
        raise RuntimeError("set ENGAGE_PUBLIC_URL: emailed links need the address staff reach")
    engine = Invitation._meta.db
    now = clock.now()
    sent = failed = 0
    while True:
        async with engine.transaction():
            claimed = await fetch(
                engine, _claim_sql(engine.engine_type, condition, stamp), now, *params
            )
            if not claimed:
                break
            ids = [r["id"] for r in claimed]
            details = await fetch(
                engine,
                "SELECT i.id, i.language, p.name, p.email, w.name AS wave, w.closes_on, "
                "w.min_group_size FROM invitation i JOIN person p ON p.id = i.person "
                "JOIN wave w ON w.id = i.wave WHERE i.id IN (" + ", ".join(["{}"] * len(ids)) + ")",
                *ids,
            )
            tokens = {int(d["id"]): new_token() for d in details}
            await executemany(
                engine,
                "UPDATE invitation SET token_hash = {} WHERE id = {}",
                [(token_hash(t), i) for i, t in tokens.items()],
            )
        mails: dict[int, Mail] = {}
        for d in details:
            lang = default_bank().language(str(d["language"]))
            closes = (
                d["closes_on"]
                if isinstance(d["closes_on"], date)
                else date.fromisoformat(str(d["closes_on"]))
            )
            values = {
                "name": d["name"],
                "wave": d["wave"],
                "closes": closes.isoformat(),
                "k": d["min_group_size"],
                "link": f"{settings.public_url}/s/{tokens[int(d['id'])]}",
            }
            mails[int(d["id"])] = Mail(
                to=str(d["email"]),
                subject=lang.t(f"email_{kind}_subject", **values),
                body=lang.t(f"email_{kind}_body", **values),
            )

        async def release(ids: list[int]) -> None:
            async with engine.transaction():
                await executemany(
                    engine,
                    f"UPDATE invitation SET {stamp} = NULL WHERE id = {{}}",
                    [(i,) for i in ids],
                )

        done, refused = await send_claimed(settings, mails, release)
        sent += done
        failed += refused
        if refused:
            break  # the server is refusing: try again on the next run
    return MailingResult(sent=sent, failed=failed)


async def send_invitations(settings: Settings) -> MailingResult:
    """Email every open wave's not-yet-mailed invitations that have an address — also of
    those who answered already (by slip or kiosk): their link opens the survey like any
    other, and whom mail went to must not tell who has answered."""
    return await _claim_and_mail(settings, "i.emailed_at IS NULL", (), "emailed_at", "invite")


async def send_reminders(
    settings: Settings, today: date | None = None, now: datetime | None = None
) -> MailingResult:
    """Remind everyone mailed (a day ago or more) but not answered, once, near the close."""
    now = now or clock.now()
    today = today or now.date()
    due = (
        "i.emailed_at IS NOT NULL AND i.emailed_at <= {} AND i.reminded_at IS NULL "
        "AND w.closes_on >= {} AND w.closes_on <= {}"
    )
    params = (now - REMINDER_GAP, today, today + timedelta(days=settings.reminder_days))
    await _retire_answered_links(due, params, now)
    # reminders go to those who have not answered (rule 7), and are shown to nobody
    return await _claim_and_mail(
        settings, f"i.spent = FALSE AND {due}", params, "reminded_at", "reminder"
    )


async def _retire_answered_links(due: str, params: tuple[object, ...], now: datetime) -> None:
    """Replace the emailed links of those who answered when the others get reminders.

    A reminder replaces a non-answerer's link; if an answerer's old link kept working,
    trying old links would tell who answered (rule 7). Their new link is mailed to nobody.
    """
    engine = Invitation._meta.db
    async with engine.transaction():
        rows = await fetch(
            engine,
            "SELECT i.id AS id FROM invitation i JOIN wave w ON w.id = i.wave "
            f"WHERE w.status = 'open' AND i.spent = TRUE AND {due}",
            *params,
        )
        await executemany(
            engine,
            "UPDATE invitation SET token_hash = {}, reminded_at = {} WHERE id = {}",
            [(token_hash(new_token()), now, int(r["id"])) for r in rows],
        )
