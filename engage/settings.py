"""Settings read once from the environment (and CLI flags, which set the environment)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

DEFAULT_DATABASE = "./engage.sqlite3"
#: Days after a first visit within which a client who comes back counts as retained.
DEFAULT_RETURN_WINDOW_DAYS = 90
MAX_RETURN_WINDOW_DAYS = 730


class SettingsError(ValueError):
    """An ``ENGAGE_*`` variable holds a value engage cannot use; the message says which."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the application reads from its environment."""

    database_url: str
    secret_key: str | None
    host: str
    port: int
    debug: bool
    secure_cookies: bool
    login_attempts_per_minute: int
    max_upload_mb: int
    public_url: str | None
    smtp_host: str | None
    smtp_port: int
    smtp_user: str | None
    smtp_password: str | None
    smtp_from: str
    smtp_security: str  # starttls, ssl or none
    reminder_days: int
    return_window_days: int  # client retention: a return within this many days of a first visit
    today: date | None = None  # ENGAGE_TODAY pins the clock (engage.clock); None: system clock
    pdf_renders: int = 1  # ENGAGE_PDF_RENDERS: PDFs a worker renders at once (others wait)
    #: ENGAGE_REPORT_REQUESTS: report pages, downloads and API calls a worker serves at once
    report_requests: int = 1


def _flag(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def return_window_days(value: str | None) -> int:
    """``ENGAGE_RETURN_WINDOW_DAYS`` as a number of days from 1 to 730 (default 90)."""
    if value is None or not value.strip():
        return DEFAULT_RETURN_WINDOW_DAYS
    text = value.strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_RETURN_WINDOW_DAYS:
        raise SettingsError(
            f"ENGAGE_RETURN_WINDOW_DAYS must be a whole number of days from 1 to "
            f"{MAX_RETURN_WINDOW_DAYS}, not {value!r}"
        )
    return int(text)


def small_count(name: str, value: str | None, default: int) -> int:
    """A setting that is a whole number from 1 to 8 (``default`` when unset)."""
    if value is None or not value.strip():
        return default
    text = value.strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 8:
        raise SettingsError(f"{name} must be a whole number from 1 to 8, not {value!r}")
    return int(text)


def pdf_renders(value: str | None) -> int:
    """``ENGAGE_PDF_RENDERS``: how many PDFs one worker renders at once, 1 to 8 (default 1)."""
    return small_count("ENGAGE_PDF_RENDERS", value, 1)


def pinned_today(value: str | None) -> date | None:
    """``ENGAGE_TODAY`` as an ISO date (``YYYY-MM-DD``), or None when unset or empty."""
    if value is None or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise SettingsError(
            f"ENGAGE_TODAY must be a date written YYYY-MM-DD, not {value!r}"
        ) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Read settings from ``ENGAGE_*`` environment variables (cached: call once per process)."""
    env = os.environ
    return Settings(
        database_url=env.get("ENGAGE_DATABASE_URL") or DEFAULT_DATABASE,
        secret_key=env.get("ENGAGE_SECRET_KEY") or None,
        host=env.get("ENGAGE_HOST", "127.0.0.1"),
        port=int(env.get("ENGAGE_PORT", "8000")),
        debug=_flag(env.get("ENGAGE_DEBUG")),
        secure_cookies=_flag(env.get("ENGAGE_SECURE_COOKIES")),
        login_attempts_per_minute=int(env.get("ENGAGE_LOGIN_ATTEMPTS_PER_MINUTE", "10")),
        max_upload_mb=int(env.get("ENGAGE_MAX_UPLOAD_MB", "200")),
        public_url=(env.get("ENGAGE_PUBLIC_URL") or "").rstrip("/") or None,
        smtp_host=env.get("ENGAGE_SMTP_HOST") or None,
        smtp_port=int(env.get("ENGAGE_SMTP_PORT", "587")),
        smtp_user=env.get("ENGAGE_SMTP_USER") or None,
        smtp_password=env.get("ENGAGE_SMTP_PASSWORD") or None,
        smtp_from=env.get("ENGAGE_SMTP_FROM", "engage <no-reply@localhost>"),
        smtp_security=(env.get("ENGAGE_SMTP_SECURITY") or "starttls").lower(),
        reminder_days=int(env.get("ENGAGE_REMINDER_DAYS", "3")),
        return_window_days=return_window_days(env.get("ENGAGE_RETURN_WINDOW_DAYS")),
        today=pinned_today(env.get("ENGAGE_TODAY")),
        pdf_renders=pdf_renders(env.get("ENGAGE_PDF_RENDERS")),
        report_requests=small_count("ENGAGE_REPORT_REQUESTS", env.get("ENGAGE_REPORT_REQUESTS"), 1),
    )


def mail_problem(settings: Settings) -> str | None:
    """Why email as configured cannot work, or None: SMTP without the public address would
    open waves and mail nobody, silently."""
    if settings.smtp_host and not settings.public_url:
        return (
            "ENGAGE_SMTP_HOST is set but ENGAGE_PUBLIC_URL is not: invitation emails need the "
            "address people open their link at (for example https://survey.example.com). "
            "Set ENGAGE_PUBLIC_URL, or unset ENGAGE_SMTP_HOST to hand out printed slips only."
        )
    return None


def project_root() -> Path:
    """The folder holding ``static/`` (the source checkout or the installed package root)."""
    return Path(__file__).resolve().parent.parent
