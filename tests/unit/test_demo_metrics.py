"""The demo's client metrics: deterministic, in the CSV contracts, and linked to engagement."""

from __future__ import annotations

import csv
import datetime
import io

import numpy as np
import pytest

from engage.demo_data import demo_roster_csv, demo_units_csv
from engage.demo_history import demo_responses_csv
from engage.demo_metrics import (
    demo_outcomes_csv,
    demo_visits_csv,
    location_engagement,
)

TODAY = datetime.date(2026, 11, 23)


@pytest.fixture(scope="module")
def files() -> tuple[bytes, bytes, bytes]:
    return demo_units_csv(), demo_roster_csv(TODAY), demo_responses_csv(TODAY)


def rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode())))


def test_outcomes_are_deterministic_and_in_range(files: tuple[bytes, bytes, bytes]) -> None:
    first = demo_outcomes_csv(*files)
    assert first == demo_outcomes_csv(*files)
    table = rows(first)
    assert list(table[0]) == ["unit_id", "month", "metric", "value", "n"]
    for row in table:
        value = float(row["value"])
        if row["metric"] == "csat":
            assert 1 <= value <= 5 and int(row["n"]) > 0
        elif row["metric"] == "nps":
            assert -100 <= value <= 100
        else:
            assert row["metric"] == "revenue" and value >= 0 and row["n"] == ""


def test_csat_follows_engagement_moderately(files: tuple[bytes, bytes, bytes]) -> None:
    units, _, responses = files
    engagement = location_engagement(units, responses)
    csat: dict[str, list[float]] = {}
    for row in rows(demo_outcomes_csv(*files)):
        if row["metric"] == "csat":
            csat.setdefault(row["unit_id"], []).append(float(row["value"]))
    locations = sorted(csat)
    x = [np.mean(list(engagement[loc].values())) for loc in locations]
    y = [np.mean(csat[loc]) for loc in locations]
    r = float(np.corrcoef(x, y)[0, 1])
    assert 0.3 < r < 0.9  # real but not perfect


def test_visits_are_in_the_contract_and_end_before_today(files: tuple[bytes, bytes, bytes]) -> None:
    units, _, responses = files
    data = demo_visits_csv(units, responses, TODAY)
    assert data == demo_visits_csv(units, responses, TODAY)
    table = rows(data)
    assert list(table[0])[:3] == ["client_id", "unit_id", "visited_on"]
    days = [datetime.date.fromisoformat(r["visited_on"]) for r in table]
    assert max(days) < TODAY
    clients = {r["client_id"] for r in table}
    assert len(table) > len(clients) > 1000  # some come back
