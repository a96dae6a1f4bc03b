"""Reliability of the unit means correlated, the corrected correlation, and power figures."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from reports.stats.correlation import pearson
from reports.stats.estimate import Estimate
from reports.stats.power import minimum_detectable_effect, too_few_units_warning
from reports.stats.reliability import corrected_correlation, mean_reliability


def _cells(seed: int, units: int, months: int, true_sd: float, noise_sd: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    level = rng.normal(3.6, true_sd, units)
    return pd.DataFrame(
        {
            "unit": np.repeat(np.arange(units), months),
            "engagement": np.repeat(level, months) + rng.normal(0, noise_sd, units * months),
        }
    )


def test_balanced_reliability_is_one_minus_one_over_f() -> None:
    cells = _cells(1, 15, 8, 0.2, 0.3)
    groups = [g["engagement"].to_numpy() for _, g in cells.groupby("unit")]
    f = stats.f_oneway(*groups).statistic
    assert mean_reliability(cells).value == pytest.approx(1 - 1 / f, rel=1e-10)
    assert mean_reliability(cells).months == pytest.approx(8)


def test_spearman_brown_from_one_months_icc() -> None:
    cells = _cells(2, 30, 12, 0.2, 0.3)
    got = mean_reliability(cells)
    k, icc = 12, got.icc_months
    assert got.value == pytest.approx(k * icc / (1 + (k - 1) * icc), rel=1e-10)
    # the true reliability of a 12-month mean: 0.04 / (0.04 + 0.09 / 12)
    assert got.value == pytest.approx(0.04 / (0.04 + 0.09 / 12), abs=0.08)


def test_more_months_make_a_more_reliable_mean() -> None:
    few = mean_reliability(_cells(3, 80, 2, 0.2, 0.3)).value
    many = mean_reliability(_cells(3, 80, 18, 0.2, 0.3)).value
    assert many > few + 0.2


def test_the_correction_recovers_the_true_score_correlation_on_average() -> None:
    # true unit levels correlate 0.6 with the outcome; the observed unit means are noisy
    estimates, covered = [], 0
    for seed in range(40):
        rng = np.random.default_rng(100 + seed)
        units, months = 40, 6
        level = rng.normal(0, 0.2, units)
        outcome = pd.Series(0.6 * level / 0.2 + rng.normal(0, 0.8, units))
        cells = pd.DataFrame(
            {
                "unit": np.repeat(np.arange(units), months),
                "engagement": np.repeat(level, months) + rng.normal(0, 0.35, units * months),
            }
        )
        means = cells.groupby("unit")["engagement"].mean()
        r = pearson(means.to_numpy(), outcome.to_numpy())
        corrected, _ = corrected_correlation(r, cells, outcome, reps=400, seed=seed)
        estimates.append(corrected.r)
        covered += corrected.ci_low <= 0.6 <= corrected.ci_high
        assert corrected.p_value == r.p_value  # the test stays the observed r's
    assert np.mean(estimates) == pytest.approx(0.6, abs=0.06)
    assert covered >= 34  # of 40


def test_no_reliability_means_no_correction() -> None:
    cells = _cells(4, 10, 3, 0.0, 0.3)  # units do not differ at all
    outcome = pd.Series(np.arange(10.0))
    means = cells.groupby("unit")["engagement"].mean()
    r = pearson(means.to_numpy(), outcome.to_numpy())
    corrected, reliability = corrected_correlation(r, cells, outcome, reps=100)
    if reliability.value <= 0:
        assert math.isnan(corrected.r) and "not positive" in corrected.warnings[0]
    else:  # chance made units differ a little: then the correction is large and says so
        assert abs(corrected.r) >= abs(r.r)


def test_minimum_detectable_effect_is_2_8_standard_errors() -> None:
    estimate = Estimate(0.1, -0.096, 0.296, 0.3, 40, 400, "")
    se = 0.196 / 1.959963984540054
    assert minimum_detectable_effect(estimate) == pytest.approx(
        (stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) * se
    )
    assert math.isnan(minimum_detectable_effect(Estimate.failed(3, 3, "")))


def test_the_power_warning_measures_against_the_attenuated_size() -> None:
    assert too_few_units_warning(80, "csat", 1.0) is None  # finds 0.31, true size 0.30
    text = too_few_units_warning(80, "csat", 0.5)
    assert text is not None and "would show here as about 0.21" in text
    assert "0.3 between true scores" in text
