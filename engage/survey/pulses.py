"""Recurring pulses: a wave every month, created by the scheduler on its date."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from engage import audit, clock
from engage.db.bulk import fetch
from engage.db.tables import Pulse
from engage.survey.waves import WaveError, WaveSpec, create_wave


def add_month(day: date) -> date:
    """The same day next month (the month's last day when it has fewer days)."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def wave_name(pulse_name: str, opens_on: date) -> str:
    """``Monthly pulse · November 2026``."""
    return f"{pulse_name} · {opens_on:%B %Y}"


@dataclass(frozen=True, slots=True)
class PulseRow:
    """A pulse as the waves page lists it."""

    id: int
    name: str
    open_days: int
    next_opens_on: date
    active: bool


async def create_pulse(spec: WaveSpec, actor: str) -> tuple[int, int]:
    """Start a monthly pulse with ``spec`` as its first wave; return (pulse id, wave id)."""
    open_days = (spec.closes_on - spec.opens_on).days + 1
    if open_days > 27:
        raise WaveError("closes_on: a monthly pulse can stay open at most 27 days")
    wave_id = await create_wave(
        WaveSpec(
            wave_name(spec.name, spec.opens_on),
            spec.unit_codes,
            spec.opens_on,
            spec.closes_on,
            spec.item_codes,
        ),
        actor,
    )
    rows = (
        await Pulse.insert(
            Pulse(
                name=spec.name.strip(),
                unit_codes=",".join(spec.unit_codes),
                item_codes=",".join(spec.item_codes),
                open_days=open_days,
                next_opens_on=add_month(spec.opens_on),
                active=True,
                created_at=clock.now(),
            )
        )
        .returning(Pulse.id)
        .run()
    )
    pulse_id = int(rows[0]["id"])
    await audit.record(actor, "pulse.create", f"pulse {pulse_id} {spec.name!r}, monthly")
    return pulse_id, wave_id


async def create_due_waves(today: date, actor: str = "system:scheduler") -> list[int]:
    """Create the next wave of every active pulse whose date has come (once, whoever asks)."""
    created: list[int] = []
    engine = Pulse._meta.db
    for pulse in (
        await Pulse.select().where(Pulse.active == True, Pulse.next_opens_on <= today).run()
    ):
        opens_on = pulse["next_opens_on"]
        async with engine.transaction():
            claimed = await fetch(
                engine,
                "UPDATE pulse SET next_opens_on = {} WHERE id = {} AND next_opens_on = {} "
                "AND active = TRUE RETURNING id",
                add_month(opens_on),
                pulse["id"],
                opens_on,
            )
        if not claimed:
            continue  # another worker took it
        start = max(opens_on, today)
        spec = WaveSpec(
            wave_name(pulse["name"], opens_on),
            tuple(c for c in pulse["unit_codes"].split(",") if c),
            start,
            start + timedelta(days=pulse["open_days"] - 1),
            tuple(c for c in pulse["item_codes"].split(",") if c),
        )
        try:
            created.append(await create_wave(spec, actor))
        except WaveError as exc:
            await audit.record(actor, "pulse.skipped", f"pulse {pulse['id']}: {exc}")
    return created


async def list_pulses() -> list[PulseRow]:
    """Every pulse, active first."""
    rows = await Pulse.select().order_by(Pulse.active, ascending=False).order_by(Pulse.name).run()
    return [
        PulseRow(r["id"], r["name"], r["open_days"], r["next_opens_on"], r["active"]) for r in rows
    ]


async def stop_pulse(pulse_id: int, actor: str) -> None:
    """Create no further waves (waves already created stay)."""
    rows = (
        await Pulse.update({Pulse.active: False})
        .where(Pulse.id == pulse_id)
        .returning(Pulse.id)
        .run()
    )
    if not rows:
        raise WaveError(f"no pulse {pulse_id}")
    await audit.record(actor, "pulse.stop", f"pulse {pulse_id}")
