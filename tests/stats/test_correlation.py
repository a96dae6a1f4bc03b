"""Correlations across units: Fisher-z intervals, scipy's tests, the ICC(2) correction, power."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from reports.stats.correlation import (
    fisher_z_interval,
    pearson,
    spearman,
)
from reports.stats.multiplicity import benjamini_hochberg
from reports.stats.power import minimum_detectable_correlation, too_few_units_warning, units_needed


def test_fisher_z_interval_published_value() -> None:
    assert_allclose(fisher_z_interval(0.30, 50), (0.023625, 0.533775), atol=5e-7)


def test_pearson_uses_units_as_n_and_matches_scipy() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=40)
    y = 0.4 * x + rng.normal(size=40)
    res = pearson(x, y)
    ref = stats.pearsonr(x, y)
    assert res.n_units == 40
    assert_allclose([res.r, res.p_value], [ref.statistic, ref.pvalue], rtol=1e-12)
    z, half = math.atanh(ref.statistic), 1.959963984540054 / math.sqrt(37)
    assert_allclose(
        [res.ci_low, res.ci_high], [math.tanh(z - half), math.tanh(z + half)], rtol=1e-12
    )


def test_spearman_matches_scipy_with_fieller_interval() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=30)
    y = x**3 + rng.normal(size=30)
    res = spearman(x, y)
    ref = stats.spearmanr(x, y)
    assert_allclose([res.r, res.p_value], [ref.statistic, ref.pvalue], rtol=1e-12)
    z, half = math.atanh(ref.statistic), 1.959963984540054 * math.sqrt(1.06 / 27)
    assert_allclose(
        [res.ci_low, res.ci_high], [math.tanh(z - half), math.tanh(z + half)], rtol=1e-12
    )


def test_missing_pairs_are_dropped_not_counted() -> None:
    res = pearson([1, 2, 3, 4, 5, np.nan], [2, 1, 4, 3, np.nan, 6])
    assert res.n_units == 4


def test_too_few_units_or_no_variation_is_a_warning_not_a_number() -> None:
    few = pearson([1, 2, 3], [3, 2, 1])
    assert math.isnan(few.r) and "at least 4" in few.warnings[0]
    flat = spearman([1, 1, 1, 1, 1], [1, 2, 3, 4, 5])
    assert math.isnan(flat.r) and "same for every unit" in flat.warnings[0]


def test_minimum_detectable_correlation_matches_cohens_tables() -> None:
    # Cohen (1988): r = .30 needs about 85 units and r = .50 about 29 for 80% power.
    assert_allclose(minimum_detectable_correlation(85), 0.30, atol=0.002)
    assert units_needed(0.30) == 85
    assert units_needed(0.50) in (29, 30)
    assert math.isnan(minimum_detectable_correlation(3))


def test_too_few_units_warning_is_plain_and_only_when_needed() -> None:
    text = too_few_units_warning(12, "csat")
    assert text is not None and "12 units" in text and "0.7" in text
    assert too_few_units_warning(200, "csat") is None
    assert "too few" in (too_few_units_warning(2, "nps") or "")


def test_benjamini_hochberg_hand_computed() -> None:
    adjusted = benjamini_hochberg([0.01, 0.04, 0.03, 0.005, np.nan])
    assert_allclose(adjusted[:4], [0.02, 0.04, 0.04, 0.02])
    assert math.isnan(adjusted[4])


@pytest.mark.parametrize("p", [[0.5], [0.001, 0.9]])
def test_benjamini_hochberg_never_lowers_a_p_value(p: list[float]) -> None:
    assert np.all(benjamini_hochberg(p) >= np.asarray(p))
