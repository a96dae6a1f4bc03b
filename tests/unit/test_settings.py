"""Settings read from the environment: the return window for client retention."""

from __future__ import annotations

import pytest

from engage.settings import SettingsError, get_settings, pdf_renders, return_window_days


@pytest.mark.parametrize(("value", "days"), [(None, 90), ("", 90), (" 30 ", 30), ("730", 730)])
def test_return_window_days(value: str | None, days: int) -> None:
    assert return_window_days(value) == days


@pytest.mark.parametrize("value", ["0", "731", "-5", "1.5", "ninety", "²"])
def test_a_bad_return_window_is_a_clear_error(value: str) -> None:
    with pytest.raises(SettingsError, match="ENGAGE_RETURN_WINDOW_DAYS must be a whole number"):
        return_window_days(value)


def test_the_setting_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENGAGE_RETURN_WINDOW_DAYS", "45")
    get_settings.cache_clear()
    try:
        assert get_settings().return_window_days == 45
        monkeypatch.setenv("ENGAGE_RETURN_WINDOW_DAYS", "1000")
        get_settings.cache_clear()
        with pytest.raises(SettingsError, match="from 1 to 730, not '1000'"):
            get_settings()
    finally:
        monkeypatch.delenv("ENGAGE_RETURN_WINDOW_DAYS")
        get_settings.cache_clear()
    assert get_settings().return_window_days == 90


@pytest.mark.parametrize(("value", "renders"), [(None, 1), ("", 1), ("3", 3), (" 8 ", 8)])
def test_pdf_renders(value: str | None, renders: int) -> None:
    assert pdf_renders(value) == renders


@pytest.mark.parametrize("value", ["0", "9", "two", "-1", "1.5"])
def test_a_bad_pdf_renders_is_a_clear_error(value: str) -> None:
    with pytest.raises(
        SettingsError, match="ENGAGE_PDF_RENDERS must be a whole number from 1 to 8"
    ):
        pdf_renders(value)


def test_report_requests_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        for value, lanes in (("3", 3), ("", 1)):
            monkeypatch.setenv("ENGAGE_REPORT_REQUESTS", value)
            get_settings.cache_clear()
            assert get_settings().report_requests == lanes
        monkeypatch.setenv("ENGAGE_REPORT_REQUESTS", "12")
        get_settings.cache_clear()
        with pytest.raises(SettingsError, match="ENGAGE_REPORT_REQUESTS must be a whole number"):
            get_settings()
    finally:
        monkeypatch.delenv("ENGAGE_REPORT_REQUESTS")
        get_settings.cache_clear()
    assert get_settings().report_requests == 1
