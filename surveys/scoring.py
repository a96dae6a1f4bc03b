"""Scoring one response: the respondent's engagement score, favourability, eNPS category.

Rules from DESIGN.md: items are on a 1–5 agreement scale; a respondent's score is the mean
of the engagement items they answered and needs at least two thirds of them answered;
favourable means 4 or 5; eNPS promoters answer 9–10 and detractors 0–6.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fractions import Fraction

from surveys.items import ENGAGEMENT_CODES

MIN_ANSWERED_SHARE = Fraction(2, 3)
#: An answer of at least this (agree, strongly agree) is favourable.
FAVOURABLE_MIN = 4
#: eNPS answers of at least this are promoters, of at most DETRACTOR_MAX detractors.
PROMOTER_MIN = 9
DETRACTOR_MAX = 6


def respondent_score(
    answers: Mapping[str, int | None], codes: Iterable[str] = ENGAGEMENT_CODES
) -> float | None:
    """Mean of the answered engagement items, or None when fewer than 2/3 were answered."""
    asked = list(codes)
    given = [answers[c] for c in asked if answers.get(c) is not None]
    if not asked or Fraction(len(given), len(asked)) < MIN_ANSWERED_SHARE:
        return None
    return sum(v for v in given if v is not None) / len(given)


def is_favourable(value: int) -> bool:
    """4 (agree) or 5 (strongly agree)."""
    return value >= FAVOURABLE_MIN


def enps_category(value: int) -> str:
    """``promoter`` (9–10), ``passive`` (7–8) or ``detractor`` (0–6)."""
    if value >= PROMOTER_MIN:
        return "promoter"
    if value > DETRACTOR_MAX:
        return "passive"
    return "detractor"


def enps(values: Iterable[int]) -> float | None:
    """% promoters − % detractors over the given 0–10 answers (None when there are none)."""
    seen = list(values)
    if not seen:
        return None
    promoters = sum(1 for v in seen if v >= PROMOTER_MIN)
    detractors = sum(1 for v in seen if v <= DETRACTOR_MAX)
    return 100.0 * (promoters - detractors) / len(seen)
