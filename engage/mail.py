"""Sending email through the SMTP server the organisation configured (and nothing else)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

import aiosmtplib

from engage import clock
from engage.db.store import DatabaseStore
from engage.settings import Settings


class MailNotConfigured(RuntimeError):
    """No SMTP server is configured (``ENGAGE_SMTP_HOST``)."""


@dataclass(frozen=True, slots=True)
class Mail:
    """One plain-text email."""

    to: str
    subject: str
    body: str


def _domain(sender: str) -> str:
    address = parseaddr(sender)[1]
    return address.rsplit("@", 1)[1] if "@" in address else "localhost"


@dataclass(frozen=True, slots=True)
class DeliveryStatus:
    """How the newest attempt to send mail went: when, and the server's refusal if any."""

    at: datetime
    problem: str | None


_STATUS = DatabaseStore("mail_status")
_STATUS_KEY = "last"


async def delivery_status() -> DeliveryStatus | None:
    """The newest sending attempt's outcome (None before any), for HR's wave page."""
    raw = await _STATUS.get(_STATUS_KEY)
    if raw is None:
        return None
    value = json.loads(raw)
    return DeliveryStatus(datetime.fromisoformat(value["at"]), value["problem"])


async def _record(problem: str | None) -> None:
    value = {"at": clock.system_now().isoformat(), "problem": problem}
    await _STATUS.set(_STATUS_KEY, json.dumps(value))


async def send_all(settings: Settings, mails: list[Mail]) -> list[Mail]:
    """Send over one SMTP connection; return the mails that could not be sent (and keep
    how it went, with the server's reason, for ``delivery_status``)."""
    if not settings.smtp_host:
        raise MailNotConfigured("set ENGAGE_SMTP_HOST to send email")
    if not mails:
        return []
    client = aiosmtplib.SMTP(
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        use_tls=settings.smtp_security == "ssl",
        start_tls=settings.smtp_security == "starttls",
        timeout=30,
    )
    failed: list[Mail] = []
    problem: str | None = None
    try:
        await client.connect()
        if settings.smtp_user and settings.smtp_password:
            await client.login(settings.smtp_user, settings.smtp_password)
        for mail in mails:
            message = EmailMessage()
            message["From"] = settings.smtp_from
            message["To"] = mail.to
            message["Subject"] = mail.subject
            message["Date"] = format_datetime(clock.now())
            message["Message-ID"] = make_msgid(domain=_domain(settings.smtp_from))
            message.set_content(mail.body)
            try:
                await client.send_message(message)
            except aiosmtplib.SMTPException as exc:
                failed.append(mail)
                # the kind and code only: the server's text may name the recipient, and a
                # refused reminder's recipient is someone who has not answered (rule 7)
                code = getattr(exc, "code", None)
                problem = type(exc).__name__ + (f" (SMTP {code})" if code else "")
    except (aiosmtplib.SMTPException, OSError) as exc:
        await _record(f"{type(exc).__name__}: {exc}"[:500])
        return list(mails)
    finally:
        if client.is_connected:
            await client.quit()
    await _record(problem)
    return failed


async def send_claimed(
    settings: Settings, mails: dict[int, Mail], release: Callable[[list[int]], Awaitable[None]]
) -> tuple[int, int]:
    """Send mails of claimed rows (by row id); rows whose mail was refused are released.

    Returns (sent, failed). A refused mail's row goes back to unsent so the next run tries
    it again.
    """
    undelivered = {id(m) for m in await send_all(settings, list(mails.values()))}
    retry = [i for i, m in mails.items() if id(m) in undelivered]
    if retry:
        await release(retry)
    return len(mails) - len(retry), len(retry)
