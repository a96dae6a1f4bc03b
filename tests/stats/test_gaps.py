"""Gaps to the organisation: Newcombe's interval against the published example and statsmodels."""

from __future__ import annotations

import pytest
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from reports.stats.gaps import gap_to_organisation, newcombe_difference, wilson


def test_wilson_matches_statsmodels() -> None:
    for count, n in [(0, 10), (3, 7), (81, 263), (10, 10)]:
        assert wilson(count, n) == pytest.approx(proportion_confint(count, n, method="wilson"))


def test_newcombe_matches_the_published_example() -> None:
    # Newcombe (1998), Statistics in Medicine 17:873-890, Table II: 56/70 vs 48/80,
    # method 10 gives 0.0524 to 0.3339.
    d, low, high = newcombe_difference(56, 70, 48, 80)
    assert d == pytest.approx(0.2)
    assert (round(low, 4), round(high, 4)) == (0.0524, 0.3339)


def test_newcombe_matches_statsmodels() -> None:
    for args in [(56, 70, 48, 80), (9, 10, 3, 10), (5, 12, 140, 200)]:
        _, low, high = newcombe_difference(*args)
        ref = confint_proportions_2indep(*args, method="newcomb", compare="diff")
        assert (low, high) == pytest.approx(ref, abs=1e-10)


def test_gap_to_organisation_compares_with_the_rest() -> None:
    # unit 6 of 20 favourable; organisation 120 of 200 (rest: 114 of 180)
    gap = gap_to_organisation(6, 20, 120, 200)
    assert gap.unit_pct == pytest.approx(30.0)
    assert gap.org_pct == pytest.approx(60.0)
    assert gap.gap == pytest.approx(30.0 - 60.0)  # unit − org
    _, low, high = newcombe_difference(6, 20, 114, 180)
    assert gap.ci_low == pytest.approx(100 * 0.9 * low)
    assert gap.ci_high == pytest.approx(100 * 0.9 * high)
    assert gap.clearly_below


def test_a_small_gap_is_not_clearly_below() -> None:
    gap = gap_to_organisation(11, 20, 120, 200)
    assert gap.gap < 0 and not gap.clearly_below


def test_an_organisation_that_is_only_the_unit_is_refused() -> None:
    with pytest.raises(ValueError):
        gap_to_organisation(5, 10, 5, 10)
