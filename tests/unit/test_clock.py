"""The one clock: pinned by ENGAGE_TODAY or in code, the system clock otherwise."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date

import pytest

from engage import clock
from engage.settings import SettingsError, get_settings, pinned_today
from tests.conftest import TEST_TODAY


def test_the_suite_runs_on_its_pinned_day() -> None:
    assert clock.pinned_day() == TEST_TODAY
    assert clock.today() == TEST_TODAY
    assert clock.now().date() == TEST_TODAY and clock.now().tzinfo == UTC


def test_a_pinned_clock_moves_forward_on_its_day() -> None:
    with clock.pinned(date(2027, 2, 28)):
        first, second = clock.now(), clock.now()
        assert first.date() == date(2027, 2, 28) and first.hour == 12
        assert second >= first
        assert clock.today() == date(2027, 2, 28)
    assert clock.today() == TEST_TODAY  # restored after the block


def test_unpinned_it_is_the_system_clock() -> None:
    with clock.pinned(None):
        assert clock.pinned_day() is None
        before = clock.system_now()
        day, moment = clock.today(), clock.now()
        after = clock.system_now()
    assert before.date() <= day <= after.date()
    assert before <= moment <= after


def test_pin_and_unpin_to_settings() -> None:
    try:
        clock.pin(date(2030, 1, 1))
        assert clock.today() == date(2030, 1, 1)
        clock.unpin_to_settings()
        assert clock.today() == TEST_TODAY  # ENGAGE_TODAY again
    finally:
        clock.unpin_to_settings()


@pytest.mark.parametrize(
    ("value", "day"), [(None, None), ("", None), (" 2026-03-31 ", date(2026, 3, 31))]
)
def test_engage_today_is_an_iso_date(value: str | None, day: date | None) -> None:
    assert pinned_today(value) == day


@pytest.mark.parametrize("value", ["2026-02-30", "tomorrow", "31.03.2026", "2026-13-01"])
def test_a_bad_engage_today_is_a_clear_error(value: str) -> None:
    with pytest.raises(SettingsError, match="ENGAGE_TODAY must be a date written YYYY-MM-DD"):
        pinned_today(value)


def test_engage_today_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENGAGE_TODAY", "2031-07-04")
    get_settings.cache_clear()
    try:
        assert clock.today() == date(2031, 7, 4)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert clock.today() == TEST_TODAY


def test_a_subprocess_inherits_the_pinned_day() -> None:
    # The CLI and the servers the browser tests start run on the suite's day too.
    out = subprocess.run(
        [sys.executable, "-c", "from engage import clock; print(clock.today())"],
        check=True,
        capture_output=True,
        text=True,
    )
    assert out.stdout.strip() == TEST_TODAY.isoformat()
