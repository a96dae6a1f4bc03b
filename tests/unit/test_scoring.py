"""Scoring rules against hand-computed cases."""

from __future__ import annotations

import pytest

from surveys.anonymity import ThresholdError, Thresholds
from surveys.scoring import enps, enps_category, is_favourable, respondent_score

ALL = {f"E{i:02d}": 4 for i in range(1, 13)}


def test_score_is_mean_of_answered_items() -> None:
    answers = dict(ALL, E01=5, E02=3, E03=None, E04=None)  # 10 answered: 5+3+8*4 = 40
    assert respondent_score(answers) == pytest.approx(4.0)
    answers = dict(ALL, E01=1, E02=2)  # 1+2+10*4 = 43 over 12
    assert respondent_score(answers) == pytest.approx(43 / 12)


def test_two_thirds_must_be_answered() -> None:
    eight = {f"E{i:02d}": 5 if i <= 8 else None for i in range(1, 13)}
    assert respondent_score(eight) == 5.0  # exactly 8 of 12 = 2/3
    seven = {f"E{i:02d}": 5 if i <= 7 else None for i in range(1, 13)}
    assert respondent_score(seven) is None
    assert respondent_score({}) is None


def test_favourable_and_enps_categories() -> None:
    assert [is_favourable(v) for v in range(1, 6)] == [False, False, False, True, True]
    assert [enps_category(v) for v in (0, 6, 7, 8, 9, 10)] == [
        "detractor",
        "detractor",
        "passive",
        "passive",
        "promoter",
        "promoter",
    ]


def test_enps_hand_computed() -> None:
    # 3 promoters, 2 passives, 5 detractors of 10: 30% - 50% = -20
    assert enps([10, 9, 9, 8, 7, 6, 5, 0, 3, 6]) == pytest.approx(-20.0)
    assert enps([]) is None


def test_thresholds_defaults_and_floors() -> None:
    t = Thresholds()
    assert (t.scores, t.comments) == (5, 10)
    assert not t.shows_scores(4) and t.shows_scores(5)
    assert not t.shows_comments(9) and t.shows_comments(10)
    assert not t.shows_response_rate(4) and t.shows_response_rate(5)
    for bad in [(2, 10), (5, 4), (6, 5)]:
        with pytest.raises(ThresholdError):
            Thresholds(*bad)
