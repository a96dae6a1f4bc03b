"""Client retention derived from visits (engage.outcomes.retention): pure, no database."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engage.outcomes.retention import (
    Retention,
    RetentionRow,
    derive_retention,
    last_complete_month,
)
from tests.unit.test_layering import FORBIDDEN, imported_roots

#: (client, unit, visited_on), deliberately not in date order. Window 90 days:
#: c1 Jan 10 at U1, back Apr 9 at U2: exactly 90 days later, at another unit → returned
#: c2 Jan 31 at U1, back May 1: 91 days later → not returned
#: c3 Jan 15 at U2 and U1 the same day: first visit goes to U1 (smaller code); same day → not
#: c4 Feb 3 at U2, back the next day → returned
#: c5 Feb 10 at U2 twice that day, back Aug 1 (long after) → not returned
#: c6 Feb 28 at U2 (listed after its later visit), back Mar 20 at U1 → returned
#: c7 Mar 5 at U1 only → not returned
#: c8 May 20 at U1, c9 Jul 1 at U2: months too recent (the last visit is Aug 1)
VISITS = [
    ("c1", "U1", "2024-01-10"),
    ("c1", "U2", "2024-04-09"),
    ("c2", "U1", "2024-01-31"),
    ("c2", "U1", "2024-05-01"),
    ("c3", "U2", "2024-01-15"),
    ("c3", "U1", "2024-01-15"),
    ("c4", "U2", "2024-02-04"),
    ("c4", "U2", "2024-02-03"),
    ("c5", "U2", "2024-02-10"),
    ("c5", "U2", "2024-02-10"),
    ("c5", "U2", "2024-08-01"),
    ("c6", "U1", "2024-03-20"),
    ("c6", "U2", "2024-02-28"),
    ("c7", "U1", "2024-03-05"),
    ("c8", "U1", "2024-05-20"),
    ("c9", "U2", "2024-07-01"),
]


def derive(visits: list[tuple[str, str, str]], window_days: int = 90) -> Retention:
    clients, units, days = zip(*visits, strict=True)
    return derive_retention(list(clients), list(units), list(days), window_days)


def table(result: Retention) -> dict[tuple[str, str], tuple[int, int]]:
    return {(r.unit_id, f"{r.month:%Y-%m}"): (r.clients, r.returned) for r in result.rows}


def test_hand_computed_case() -> None:
    result = derive(VISITS)
    assert table(result) == {
        ("U1", "2024-01"): (3, 1),  # c1 returned; c2 (91 days) and c3 (same day) did not
        ("U1", "2024-03"): (1, 0),  # c7
        ("U2", "2024-02"): (3, 2),  # c4 and c6 returned, c5 did not
    }
    assert [r.value for r in result.rows] == [pytest.approx(1 / 3), 0.0, pytest.approx(2 / 3)]
    assert result.rows[0] == RetentionRow("U1", date(2024, 1, 1), 3, 1)
    assert result.last_visit == date(2024, 8, 1)
    # Apr 30 + 90 days = Jul 29 ≤ Aug 1, May 31 + 90 days = Aug 29 > Aug 1
    assert result.last_complete_month == date(2024, 4, 1)
    assert result.skipped_months == (date(2024, 5, 1), date(2024, 7, 1))
    assert (result.clients, result.skipped_clients, result.window_days) == (9, 2, 90)


def test_exactly_the_window_counts_one_day_more_does_not() -> None:
    start = date(2023, 1, 10)
    later = {
        "at90": start + timedelta(days=90),
        "at91": start + timedelta(days=91),
        "at1": start + timedelta(days=1),
    }
    visits = [(c, "U1", start.isoformat()) for c in later]
    visits += [(c, "U1", day.isoformat()) for c, day in later.items()]
    visits.append(("watcher", "U1", "2023-12-31"))  # observe every window in full
    result = derive(visits, 90)
    assert table(result)[("U1", "2023-01")] == (3, 2)  # at1 and at90 returned, at91 not
    assert table(derive(visits, 91))[("U1", "2023-01")] == (3, 3)
    assert table(derive(visits, 89))[("U1", "2023-01")] == (3, 1)


def test_a_second_visit_the_same_day_is_not_a_return() -> None:
    visits = [("a", "U1", "2023-01-10"), ("a", "U2", "2023-01-10"), ("z", "U1", "2023-12-31")]
    assert table(derive(visits))[("U1", "2023-01")] == (1, 0)
    assert ("U2", "2023-01") not in table(derive(visits))


def test_the_smallest_unit_code_takes_a_tied_first_visit() -> None:
    visits = [("a", "B2", "2023-01-10"), ("a", "A9", "2023-01-10"), ("a", "B2", "2023-01-20")]
    visits.append(("z", "C", "2023-12-31"))
    assert table(derive(visits))[("A9", "2023-01")] == (1, 1)


def test_a_month_is_derived_only_when_its_whole_window_is_seen() -> None:
    # January's last first visit could be on Jan 31: its 90-day window ends Apr 30.
    base = [("a", "U1", "2024-01-10")]
    seen = derive([*base, ("z", "U1", "2024-04-30")])
    assert table(seen) == {("U1", "2024-01"): (1, 0)}
    assert seen.skipped_months == (date(2024, 4, 1),)  # z's own first visit
    short = derive([*base, ("z", "U1", "2024-04-29")])
    assert table(short) == {}
    assert short.skipped_months == (date(2024, 1, 1), date(2024, 4, 1))
    assert short.last_complete_month == date(2023, 12, 1)
    assert short.skipped_clients == 2


def test_last_complete_month() -> None:
    assert last_complete_month(date(2024, 4, 30), 90) == date(2024, 1, 1)
    assert last_complete_month(date(2024, 4, 29), 90) == date(2023, 12, 1)
    assert last_complete_month(date(2024, 3, 1), 1) == date(2024, 2, 1)  # leap day + 1
    assert last_complete_month(date(2024, 2, 29), 1) == date(2024, 1, 1)


def test_input_order_does_not_matter_and_categoricals_work() -> None:
    shuffled = VISITS[:]
    random.Random(7).shuffle(shuffled)
    assert derive(shuffled) == derive(VISITS)
    clients, units, days = zip(*VISITS, strict=True)
    codes = pd.Categorical(list(units), categories=["U1", "U2"])
    as_arrays = derive_retention(
        pd.factorize(np.asarray(clients, dtype=object))[0],
        codes,
        np.asarray(days, dtype="datetime64[D]"),
        90,
    )
    assert as_arrays == derive(VISITS)


def test_no_visits_and_bad_arguments() -> None:
    empty = derive_retention([], [], [], 90)
    assert (empty.rows, empty.skipped_months, empty.last_visit, empty.clients) == ((), (), None, 0)
    with pytest.raises(ValueError, match="at least 1"):
        derive_retention(["a"], ["U"], ["2024-01-01"], 0)
    with pytest.raises(ValueError, match="same length"):
        derive_retention(["a", "b"], ["U"], ["2024-01-01"], 90)


def naive(visits: list[tuple[str, str, date]], window: int) -> dict[tuple[str, str], list[int]]:
    """The rules, one client at a time (the reference the vectorised code must match)."""
    by_client: dict[str, list[tuple[date, str]]] = defaultdict(list)
    for client, unit, day in visits:
        by_client[client].append((day, unit))
    last = max(day for _, _, day in visits)
    out: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for seen in by_client.values():
        first_day, first_unit = min(seen)
        month_end = (first_day.replace(day=28) + timedelta(days=4)).replace(day=1)
        if month_end - timedelta(days=1) + timedelta(days=window) > last:
            continue
        back = any(0 < (day - first_day).days <= window for day, _ in seen)
        cell = out[(first_unit, f"{first_day:%Y-%m}")]
        cell[0] += 1
        cell[1] += int(back)
    return out


@pytest.mark.parametrize("window", [1, 30, 90, 365])
def test_matches_a_one_client_at_a_time_reference(window: int) -> None:
    rng = random.Random(window)
    start = date(2022, 11, 1)
    visits = [
        (f"c{rng.randrange(400)}", f"U{rng.randrange(7)}", start + timedelta(rng.randrange(700)))
        for _ in range(3000)
    ]
    result = derive([(c, u, d.isoformat()) for c, u, d in visits], window)
    expected = {k: tuple(v) for k, v in naive(visits, window).items()}
    assert table(result) == expected
    assert result.rows, "the case should derive something"


def test_the_derivation_module_is_pure() -> None:
    import engage.outcomes.retention as module

    assert imported_roots(Path(str(module.__file__))) & FORBIDDEN == set()
