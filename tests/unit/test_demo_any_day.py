"""The demo can be seeded on any day: its files are built back from "today", awkward days too."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from engage.demo_data import demo_roster_csv, demo_units_csv
from engage.demo_history import demo_responses_csv
from engage.demo_metrics import demo_outcomes_csv, demo_visits_csv
from engage.demo_training import demo_assignments

#: Month ends, a leap day, the turn of a year and the first of a month.
AWKWARD_DAYS = [date(2027, 1, 1), date(2028, 2, 29), date(2027, 3, 31), date(2026, 12, 31)]


def _rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


@pytest.mark.parametrize("today", AWKWARD_DAYS, ids=str)
def test_every_demo_file_is_built_and_ends_before_today(today: date) -> None:
    units, roster = demo_units_csv(), demo_roster_csv(today)
    responses = demo_responses_csv(today)
    waves = {date.fromisoformat(r["wave"]) for r in _rows(responses)}
    assert len(waves) == 14 and max(waves) < today.replace(day=1)
    for person in _rows(roster):
        assert date.fromisoformat(person["hired_on"]) <= today
        assert not person["left_on"] or date.fromisoformat(person["left_on"]) <= today
    months = {r["month"] for r in _rows(demo_outcomes_csv(units, roster, responses))}
    assert max(months) < f"{today:%Y-%m}"
    visits = _rows(demo_visits_csv(units, responses, today))
    assert visits and max(date.fromisoformat(v["visited_on"]) for v in visits) < today
    managers = {
        p["unit_id"]: p["email"] for p in _rows(roster) if p["role"] == "manager" and p["email"]
    }
    assigned = demo_assignments(today, managers)
    assert assigned and all(a.assigned_on <= today for a in assigned)
    assert all(a.completed_on is None or a.completed_on <= today for a in assigned)
