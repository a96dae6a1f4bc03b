"""The demo survey history (engage.demo_history): a realistic, anonymous responses.csv."""

from __future__ import annotations

import csv
import io
import re
import statistics
from collections import Counter, defaultdict
from datetime import date

import pytest

from engage.demo_data import demo_roster_csv, demo_units_csv
from engage.demo_history import (
    DECLINING_LOCATIONS,
    IMPROVING_LOCATIONS,
    RESPONSES_HEADER,
    demo_responses_csv,
)
from engage.demo_training import TRAINED_LOCATIONS, TRAINING_LIFT

TODAY = date(2025, 6, 1)
ITEMS = [f"E{i:02d}" for i in range(1, 13)]
HEADER = "wave,unit_id,respondent,E01,E02,E03,E04,E05,E06,E07,E08,E09,E10,E11,E12,ENPS,comment"
CYRILLIC = re.compile(r"[\u0400-\u04ff]")
CJK = re.compile(r"[\u4e00-\u9fff]")


def parse(data: bytes) -> list[dict[str, str]]:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    header, body = rows[0], rows[1:]
    assert all(len(r) == len(header) for r in body)
    return [dict(zip(header, r, strict=True)) for r in body]


class History:
    """One generated history with the organisation it belongs to."""

    def __init__(self, today: date, seed: int, months: int = 14) -> None:
        self.today = today
        self.data = demo_responses_csv(today, seed, months)
        self.rows = parse(self.data)
        self.units = parse(demo_units_csv(seed))
        self.roster = parse(demo_roster_csv(today, seed))
        self.parent = {u["unit_id"]: u["parent_id"] for u in self.units}
        self.waves = sorted({r["wave"] for r in self.rows})

    def eligible(self, wave: str) -> list[dict[str, str]]:
        """Employees in teams and managers, employed on the wave date."""
        return [
            p
            for p in self.roster
            if (p["role"] == "manager" or (p["role"] == "employee" and p["unit_id"][:2] == "T-"))
            and p["hired_on"] <= wave
            and (not p["left_on"] or p["left_on"] > wave)
        ]

    def location(self, unit_id: str) -> str | None:
        if unit_id.startswith("L-"):
            return unit_id
        if unit_id.startswith("T-"):
            return self.parent[unit_id]
        return None

    def mean_score(self, waves: list[str], locations: set[str] | None = None) -> float:
        scores = [
            score(r)
            for r in self.rows
            if r["wave"] in waves
            and (locations is None or self.location(r["unit_id"]) in locations)
        ]
        assert len(scores) > 30
        return statistics.fmean(scores)


def score(row: dict[str, str]) -> float:
    values = [int(row[c]) for c in ITEMS if row[c]]
    return sum(values) / len(values)


def cronbach_alpha(rows: list[list[int]]) -> float:
    """k/(k-1) · (1 − Σ item variances / variance of totals), sample variances."""
    k = len(rows[0])
    item_variance = sum(statistics.variance([r[i] for r in rows]) for i in range(k))
    total_variance = statistics.variance([sum(r) for r in rows])
    return k / (k - 1) * (1 - item_variance / total_variance)


@pytest.fixture(scope="module")
def history() -> History:
    return History(TODAY, 7)


# --------------------------------------------------------------------------- the file


def test_same_arguments_give_the_same_bytes() -> None:
    assert demo_responses_csv(TODAY, 7) == demo_responses_csv(TODAY, 7)
    assert demo_responses_csv(TODAY, 7) != demo_responses_csv(TODAY, 8)
    assert demo_responses_csv(TODAY, 7, 3) != demo_responses_csv(TODAY, 7, 4)


def test_header_is_exact(history: History) -> None:
    assert history.data.decode("utf-8").split("\n", 1)[0] == HEADER
    assert ",".join(RESPONSES_HEADER) == HEADER
    assert history.data.endswith(b"\n")


def test_the_csv_reader_of_the_importers_accepts_it(history: History) -> None:
    from engage.csvio import read_csv

    table = read_csv(history.data, "responses.csv", ["wave", "unit_id", "respondent"], ITEMS)
    assert len(table.rows) == len(history.rows)


def test_months_must_be_positive() -> None:
    with pytest.raises(ValueError, match="months"):
        demo_responses_csv(TODAY, 7, 0)


# --------------------------------------------------------------------------- waves


def test_waves_are_the_15th_of_the_last_full_months(history: History) -> None:
    expected = [f"2024-{m:02d}-15" for m in range(4, 13)] + [
        f"2025-{m:02d}-15" for m in range(1, 6)
    ]
    assert history.waves == expected
    assert [r["wave"] for r in history.rows] == sorted(r["wave"] for r in history.rows)
    assert all(date.fromisoformat(w) < TODAY for w in history.waves)


@pytest.mark.parametrize(
    ("today", "months", "expected"),
    [
        (date(2026, 2, 28), 3, ["2025-11-15", "2025-12-15", "2026-01-15"]),
        (date(2026, 1, 15), 2, ["2025-11-15", "2025-12-15"]),
        (date(2025, 3, 1), 1, ["2025-02-15"]),
    ],
)
def test_wave_dates_cross_year_boundaries(today: date, months: int, expected: list[str]) -> None:
    waves = sorted({r["wave"] for r in parse(demo_responses_csv(today, 3, months))})
    assert waves == expected
    assert all(date.fromisoformat(w) < today for w in waves)


# --------------------------------------------------------------------------- cells


def test_units_exist_and_are_where_respondents_sit(history: History) -> None:
    used = {r["unit_id"] for r in history.rows}
    assert used <= set(history.parent)
    assert "ORG" not in used
    assert any(u.startswith("T-") for u in used)
    assert any(u.startswith("L-") for u in used)  # location managers keep their unit


def test_values_are_on_their_scales_or_empty(history: History) -> None:
    for row in history.rows:
        for code in ITEMS:
            assert row[code] in {"", "1", "2", "3", "4", "5"}, row
        assert row["ENPS"] == "" or 0 <= int(row["ENPS"]) <= 10, row
        assert row["ENPS"] == "" or str(int(row["ENPS"])) == row["ENPS"]
        assert "\n" not in row["comment"]


def test_some_items_are_skipped_but_few(history: History) -> None:
    cells = [row[c] for row in history.rows for c in [*ITEMS, "ENPS"]]
    empty = sum(1 for c in cells if c == "") / len(cells)
    assert 0.015 < empty < 0.05


def test_all_five_points_and_a_realistic_mean(history: History) -> None:
    values = Counter(int(row[c]) for row in history.rows for c in ITEMS if row[c])
    assert set(values) == {1, 2, 3, 4, 5}
    mean = sum(v * n for v, n in values.items()) / sum(values.values())
    assert 3.4 < mean < 4.2
    enps_values = [int(r["ENPS"]) for r in history.rows if r["ENPS"]]
    assert min(enps_values) <= 3 and max(enps_values) == 10


def test_item_intercepts_differ(history: History) -> None:
    means = {c: statistics.fmean(int(r[c]) for r in history.rows if r[c]) for c in ITEMS}
    assert max(means["E04"], means["E10"]) < min(means["E01"], means["E09"]) - 0.4
    assert min(means, key=means.__getitem__) in {"E04", "E10"}
    assert max(means, key=means.__getitem__) in {"E01", "E09"}


# --------------------------------------------------------------------------- anonymity


def test_respondent_ids_are_opaque_and_unique(history: History) -> None:
    ids = [r["respondent"] for r in history.rows]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"r\d{6}", i) for i in ids)
    assert not set(ids) & {p["employee_id"] for p in history.roster}
    assert ids == sorted(ids)  # numbered in output order, nothing else


def test_comments_name_nobody(history: History) -> None:
    comments = {r["comment"] for r in history.rows if r["comment"]}
    names = {p["name"] for p in history.roster}
    assert not [c for c in comments if any(n in c for n in names)]


# --------------------------------------------------------------------------- who answered


def test_response_rate_per_wave(history: History) -> None:
    per_wave = Counter(r["wave"] for r in history.rows)
    for wave in history.waves:
        rate = per_wave[wave] / len(history.eligible(wave))
        assert 0.6 <= rate <= 0.85, (wave, rate)


def test_no_unit_has_more_responses_than_staff(history: History) -> None:
    answered = Counter((r["wave"], r["unit_id"]) for r in history.rows)
    for wave in history.waves:
        staff = Counter(p["unit_id"] for p in history.eligible(wave))
        for unit_id in staff:
            assert answered[wave, unit_id] <= staff[unit_id], (wave, unit_id)
        assert {u for w, u in answered if w == wave} <= set(staff)


def test_some_team_months_fall_below_the_threshold(history: History) -> None:
    team_months = Counter(
        (r["wave"], r["unit_id"]) for r in history.rows if r["unit_id"].startswith("T-")
    )
    small = [k for k, n in team_months.items() if n < 5]
    assert small
    assert len(small) < len(team_months) / 2


# --------------------------------------------------------------------------- structure


def test_cronbach_alpha_helper() -> None:
    same = [[v] * 4 for v in (1, 2, 3, 4, 5)]
    assert cronbach_alpha(same) == pytest.approx(1.0)
    unrelated = [[1, 1, 1], [1, 5, 5], [5, 1, 5], [5, 5, 1]]
    assert cronbach_alpha(unrelated) < 0.1


def test_items_hang_together(history: History) -> None:
    complete = [[int(r[c]) for c in ITEMS] for r in history.rows if all(r[c] for c in ITEMS)]
    assert len(complete) > 0.6 * len(history.rows)
    assert 0.80 <= cronbach_alpha(complete) <= 0.95


def test_enps_follows_the_item_score(history: History) -> None:
    pairs = [(score(r), int(r["ENPS"])) for r in history.rows if r["ENPS"]]
    assert statistics.correlation(*zip(*pairs, strict=True)) > 0.5


def test_improving_locations_improve_and_the_org_stays_flat(history: History) -> None:
    first, last = history.waves[:3], history.waves[-3:]
    improving = set(IMPROVING_LOCATIONS)
    rise = history.mean_score(last, improving) - history.mean_score(first, improving)
    assert rise > 0.15
    # the organisation is flat apart from the locations trained in a module with a planted
    # effect (demo_training: their rise is the training's, measured in the report)
    lifted = {loc for loc, (module, _) in TRAINED_LOCATIONS.items() if TRAINING_LIFT[module]}
    others = {history.location(r["unit_id"]) for r in history.rows} - lifted - {None}
    org_change = history.mean_score(last, others) - history.mean_score(first, others)
    assert abs(org_change) < 0.15
    assert abs(org_change) < rise
    declining = set(DECLINING_LOCATIONS)
    fall = history.mean_score(last, declining) - history.mean_score(first, declining)
    assert fall < -0.15


def test_trend_locations_exist() -> None:
    locations = {u["unit_id"] for u in parse(demo_units_csv(7)) if u["unit_id"][:2] == "L-"}
    assert set(IMPROVING_LOCATIONS) | set(DECLINING_LOCATIONS) <= locations
    assert not set(IMPROVING_LOCATIONS) & set(DECLINING_LOCATIONS)


def test_locations_differ(history: History) -> None:
    """Location means (teams only, trend locations left out) spread well beyond what the
    ~25 people of a location would give by chance (about 0.08 on this scale)."""
    trending = set(IMPROVING_LOCATIONS) | set(DECLINING_LOCATIONS)
    by_location: dict[str, list[float]] = defaultdict(list)
    for r in history.rows:
        location = history.location(r["unit_id"])
        if r["unit_id"].startswith("T-") and location not in trending:
            by_location[str(location)].append(score(r))
    assert len(by_location) >= 8
    assert statistics.stdev(statistics.fmean(v) for v in by_location.values()) > 0.15


# --------------------------------------------------------------------------- comments


def test_comments_in_three_languages(history: History) -> None:
    comments = [r["comment"] for r in history.rows if r["comment"]]
    assert 0.08 < len(comments) / len(history.rows) < 0.16
    russian = [c for c in comments if CYRILLIC.search(c)]
    chinese = [c for c in comments if CJK.search(c)]
    english = [c for c in comments if c.isascii()]
    assert russian and chinese and english
    assert len(russian) + len(chinese) + len(english) == len(comments)
    assert any("," in c for c in english)
    assert len(set(comments)) >= 25


def test_comments_match_the_languages_spoken_in_the_unit(history: History) -> None:
    for row in history.rows:
        comment = row["comment"]
        if not comment or comment.isascii():
            continue
        language = "ru" if CYRILLIC.search(comment) else "zh"
        speakers = [
            p
            for p in history.eligible(row["wave"])
            if p["unit_id"] == row["unit_id"] and p["language"] == language
        ]
        assert speakers, row
