"""Monthly pulses create their next wave once, on their date."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest

from engage import clock
from engage.db.tables import Pulse, Wave
from engage.survey.pulses import add_month, create_due_waves, create_pulse, stop_pulse
from engage.survey.waves import WaveError, WaveSpec
from tests.factories import build_small_org

TODAY = clock.today()


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 1, 31), date(2026, 2, 28)),
        (date(2028, 1, 31), date(2028, 2, 29)),
        (date(2026, 12, 15), date(2027, 1, 15)),
        (date(2026, 3, 1), date(2026, 4, 1)),
    ],
)
def test_add_month(day: date, expected: date) -> None:
    assert add_month(day) == expected


@pytest.fixture(scope="module")
async def org(db: str) -> None:
    await build_small_org()


async def test_a_pulse_creates_each_month_once(org: None) -> None:
    pulse_id, first = await create_pulse(
        WaveSpec("Monthly pulse", ("R1",), TODAY, TODAY + timedelta(days=9)), "hr"
    )
    first_wave = await Wave.select().where(Wave.id == first).first().run()
    assert first_wave is not None and first_wave["name"].startswith("Monthly pulse · ")
    assert await create_due_waves(TODAY) == []  # next month is not due yet
    next_month = add_month(TODAY)
    created = await asyncio.gather(create_due_waves(next_month), create_due_waves(next_month))
    assert sum(len(c) for c in created) == 1
    wave_id = next(iter(created[0] or created[1]))
    wave = await Wave.select().where(Wave.id == wave_id).first().run()
    assert wave is not None
    assert (wave["opens_on"], wave["closes_on"]) == (next_month, next_month + timedelta(days=9))
    assert wave["status"] == "draft"
    pulse = await Pulse.select().where(Pulse.id == pulse_id).first().run()
    assert pulse is not None and pulse["next_opens_on"] == add_month(next_month)
    await stop_pulse(pulse_id, "hr")
    assert await create_due_waves(add_month(next_month)) == []


async def test_a_pulse_cannot_stay_open_longer_than_a_month(org: None) -> None:
    with pytest.raises(WaveError, match="at most 27 days"):
        await create_pulse(WaveSpec("Long", ("R1",), TODAY, TODAY + timedelta(days=40)), "hr")
