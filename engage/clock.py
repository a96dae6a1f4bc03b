"""The one clock: what "today" and "now" are for engage.

Every business date — a wave's open and close days, who is employed, due and overdue
training, the month a report runs up to, the time stamped on an audit event — comes from
here, so it can be pinned: ``ENGAGE_TODAY=YYYY-MM-DD`` (read through ``Settings``) pins it
for a whole process, ``pin``/``pinned`` for a block of code (tests, a reproduction of a
past report). Unpinned it is the system clock in UTC.

``system_now`` is the one exception: expiry of sessions and rate-limit windows measure
real elapsed seconds shared between workers, never a business date.
"""

from __future__ import annotations

import time as _time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta

from engage.settings import get_settings

_UNSET = object()
_override: object = _UNSET  # a date, None (explicitly unpinned) or _UNSET (use Settings)
_pinned_since = _time.monotonic()


def system_now() -> datetime:
    """The real time in UTC, for expiry and rate windows only (never a business date)."""
    return datetime.now(UTC)


def pinned_day() -> date | None:
    """The day the clock is pinned to, or None when it follows the system clock."""
    if _override is _UNSET:
        return get_settings().today
    return _override if isinstance(_override, date) else None


def now() -> datetime:
    """The current time in UTC; on a pinned day, noon of that day plus the time since pinning.

    A pinned clock still moves forward (so stamps keep their order), but stays on its day
    for twelve hours.
    """
    day = pinned_day()
    if day is None:
        return datetime.now(UTC)
    elapsed = timedelta(seconds=_time.monotonic() - _pinned_since)
    return datetime.combine(day, time(12), UTC) + elapsed


def today() -> date:
    """Today's date in UTC (the pinned day when the clock is pinned)."""
    day = pinned_day()
    return day if day is not None else datetime.now(UTC).date()


def pin(day: date | None) -> None:
    """Pin the clock to ``day`` for this process (None: follow the system clock)."""
    global _override, _pinned_since
    _override = day
    _pinned_since = _time.monotonic()


def unpin_to_settings() -> None:
    """Forget any ``pin``: the clock follows ``ENGAGE_TODAY`` again, or the system clock."""
    global _override
    _override = _UNSET


@contextmanager
def pinned(day: date | None) -> Iterator[None]:
    """Pin the clock to ``day`` inside a ``with`` block, and restore what it was after."""
    global _override, _pinned_since
    before, since = _override, _pinned_since
    pin(day)
    try:
        yield
    finally:
        _override, _pinned_since = before, since
