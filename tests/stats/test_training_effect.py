"""Difference-in-differences effect of training: against hand sums, statsmodels and simulation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from numpy.testing import assert_allclose
from scipy import stats

from reports.stats.estimate import Estimate
from reports.stats.fixed_effects import Groups
from reports.stats.training_effect import (
    TrainingEffect,
    _fit,
    _wild_draws,
    did_effect,
    effect_statement,
)

START = pd.Period("2025-01", freq="M")


def _panel(
    seed: int,
    n_units: int = 50,
    n_months: int = 12,
    effect: float = 0.0,
    drop: float = 0.1,
    pre_dip: float = 0.0,
) -> pd.DataFrame:
    """Half the units trained in staggered months, with unit and month effects and noise.

    ``pre_dip`` is added to trained units in the 3 months before their training (a planted
    pre-trend); about ``drop`` of the rows are removed at random, keeping ≥ 2 per unit.
    """
    rng = np.random.default_rng(seed)
    months = pd.period_range(START, periods=n_months, freq="M")
    month_effect = rng.normal(0, 0.2, n_months)
    rows = []
    for u in range(n_units):
        level = rng.normal(3.5, 0.4)
        start = months[rng.integers(4, n_months - 2)] if u % 2 == 0 else pd.NaT
        for i, month in enumerate(months):
            trained = start is not pd.NaT and month >= start
            dip = start is not pd.NaT and 1 <= (start - month).n <= 3
            y = level + month_effect[i] + effect * trained + pre_dip * dip + rng.normal(0, 0.3)
            rows.append((f"unit-{u}", month, y, start))
    frame = pd.DataFrame(rows, columns=["unit", "month", "y", "first_treated"])
    keep = (rng.random(len(frame)) > drop) | (frame.groupby("unit").cumcount() < 2)
    return frame[keep].reset_index(drop=True)


def _with_dummies(frame: pd.DataFrame) -> pd.DataFrame:
    """The panel with D and the 1–3-month lead as columns, for a statsmodels formula."""
    out = frame.copy()
    trained = out["first_treated"].notna()
    gap = np.where(
        trained,
        [
            (s - m).n if s is not pd.NaT else 0
            for s, m in zip(out.first_treated, out.month, strict=True)
        ],
        0,
    )
    out["D"] = (trained & (gap <= 0)).astype(float)
    out["lead"] = (trained & (gap >= 1) & (gap <= 3)).astype(float)
    out["m"] = out["month"].astype(str)
    return out


def _se_from_ci(estimate: Estimate) -> float:
    """The CR1 SE behind a t(G − 1) interval."""
    return (estimate.ci_high - estimate.estimate) / float(stats.t.ppf(0.975, estimate.n_units - 1))


# --- point estimate and standard error ----------------------------------------------------


def test_two_by_two_equals_the_difference_of_mean_changes() -> None:
    before, after = START, START + 1
    values = {  # unit: (first_treated, y before, y after)
        "t1": (after, 3.0, 3.6),
        "t2": (after, 3.2, 3.9),
        "c1": (pd.NaT, 3.1, 3.3),
        "c2": (pd.NaT, 2.9, 3.0),
    }
    rows = [
        (unit, month, y, start)
        for unit, (start, y0, y1) in values.items()
        for month, y in ((before, y0), (after, y1))
    ]
    panel = pd.DataFrame(rows, columns=["unit", "month", "y", "first_treated"])
    result = did_effect(panel, reps=99)
    # Trained: (3.6 + 3.9)/2 − (3.0 + 3.2)/2 = 0.65; comparison: 3.15 − 3.00 = 0.15.
    assert result.effect.estimate == pytest.approx(0.5, abs=1e-12)
    assert (result.n_treated_units, result.n_comparison_units, result.n_months) == (2, 2, 2)
    assert (result.effect.n_units, result.effect.n_obs) == (4, 8)
    # No month before the lead window: the placebo lead cannot be measured.
    assert not result.pre_trend.ok
    assert "more than 3 months before" in result.pre_trend.warnings[0]


def test_matches_statsmodels_dummy_regression_on_unbalanced_staggered_panel() -> None:
    panel = _panel(seed=7, n_units=50, n_months=10, effect=0.2, drop=0.1)
    assert len(panel) < 50 * 10 * 0.95  # really unbalanced
    result = did_effect(panel)
    data = _with_dummies(panel)
    groups = pd.factorize(data["unit"])[0]
    n, g, t = len(data), data["unit"].nunique(), data["m"].nunique()

    ref = smf.ols("y ~ D + C(unit) + C(m)", data).fit(
        cov_type="cluster", cov_kwds={"groups": groups}
    )
    assert len(ref.params) == g + t  # K of statsmodels: intercept, G − 1, T − 1, D
    assert_allclose(result.effect.estimate, ref.params["D"], rtol=0, atol=1e-8)
    # statsmodels: G/(G−1)·(N−1)/(N−K_sm) with K_sm = G + T; ours: K = (T − 1) + 1.
    se = _se_from_ci(result.effect)
    assert_allclose(se * math.sqrt((n - t) / (n - g - t)), ref.bse["D"], rtol=1e-8)
    assert (result.effect.n_units, result.effect.n_obs, result.n_months) == (g, n, t)
    assert result.n_treated_units + result.n_comparison_units == g

    lead_ref = smf.ols("y ~ D + lead + C(unit) + C(m)", data).fit(
        cov_type="cluster", cov_kwds={"groups": groups}
    )
    assert_allclose(result.pre_trend.estimate, lead_ref.params["lead"], rtol=0, atol=1e-8)
    lead_se = _se_from_ci(result.pre_trend)
    factor = math.sqrt((n - t - 1) / (n - g - t - 1))
    assert_allclose(lead_se * factor, lead_ref.bse["lead"], rtol=1e-8)


def test_rows_without_outcome_are_dropped() -> None:
    panel = _panel(seed=3, n_units=40, drop=0.0)
    gappy = panel.copy()
    gappy.loc[::7, "y"] = np.nan
    assert_allclose(
        did_effect(gappy).effect.estimate,
        did_effect(panel.iloc[[i for i in range(len(panel)) if i % 7]]).effect.estimate,
        rtol=0,
        atol=1e-12,
    )
    assert did_effect(gappy).effect.n_obs == len(panel) - len(panel.iloc[::7])


# --- simulation ---------------------------------------------------------------------------


def test_planted_effect_is_recovered() -> None:
    result = did_effect(_panel(seed=11, n_units=60, effect=0.3))
    assert result.effect.ci_low < 0.3 < result.effect.ci_high
    assert result.effect.p_value < 0.001
    assert result.warnings == ()


def test_no_effect_is_rarely_significant() -> None:
    p_values = [did_effect(_panel(seed=seed, n_units=40)).effect.p_value for seed in range(20)]
    assert sum(p <= 0.05 for p in p_values) <= 3
    assert max(p_values) > 0.5  # the p-values are spread out, not all tiny


def test_planted_pre_trend_is_detected_and_warned() -> None:
    dipped = did_effect(_panel(seed=5, n_units=60, effect=0.3, pre_dip=-0.5))
    assert dipped.pre_trend.ok
    assert dipped.pre_trend.ci_low < -0.5 < dipped.pre_trend.ci_high
    assert dipped.pre_trend.p_value < 0.001
    assert any("not moving in parallel" in w for w in dipped.warnings)
    assert "Caution" in effect_statement(dipped, "engagement", "Honest consultations")

    clean = did_effect(_panel(seed=5, n_units=60, effect=0.3))
    assert clean.pre_trend.ok and clean.pre_trend.p_value > 0.05
    assert not any("parallel" in w for w in clean.warnings)


# --- few units and guards -----------------------------------------------------------------


def test_few_units_use_the_wild_bootstrap_and_say_so() -> None:
    reps = 199
    result = did_effect(_panel(seed=2, n_units=12, effect=0.3), reps=reps)
    assert "wild cluster bootstrap" in result.effect.detail
    assert 0 < result.effect.p_value <= 1
    assert (result.effect.p_value * (reps + 1)) == pytest.approx(
        round(result.effect.p_value * (reps + 1))
    )
    assert result.effect.ci_low < result.effect.estimate < result.effect.ci_high
    assert any("only 12 units" in w for w in result.effect.warnings)
    assert any("only 12 units" in w for w in result.warnings)
    again = did_effect(_panel(seed=2, n_units=12, effect=0.3), reps=reps)
    assert again == result  # fixed seed


def test_wild_draws_equal_dummy_regressions_on_flipped_residuals() -> None:
    data = _with_dummies(_panel(seed=4, n_units=10, n_months=8, effect=0.2))
    unit_codes = pd.factorize(data["unit"])[0].astype(np.intp)
    units = Groups(unit_codes)
    months = Groups(pd.factorize(data["m"])[0].astype(np.intp))
    n, g, t = len(data), units.size, months.size
    y = data["y"].to_numpy()
    fit = _fit(y, data[["D"]].to_numpy(), units, months, t - 1)
    assert fit is not None
    weights = np.random.default_rng(1).choice([-1.0, 1.0, 0.5], size=(g, 3))
    betas, ses, converged = _wild_draws(fit, units, months, 0, weights)
    assert converged
    fitted = y - fit.resid  # fitted values of the full dummy model
    for b in range(weights.shape[1]):
        star = data.assign(y=fitted + fit.resid * weights[unit_codes, b])
        ref = smf.ols("y ~ D + C(unit) + C(m)", star).fit(
            cov_type="cluster", cov_kwds={"groups": unit_codes}
        )
        assert_allclose(betas[b], ref.params["D"], rtol=0, atol=1e-8)
        assert_allclose(ses[b] * math.sqrt((n - t) / (n - g - t)), ref.bse["D"], rtol=1e-8)


def test_few_trained_units_are_warned_about() -> None:
    panel = _panel(seed=8, n_units=40, effect=0.3)
    trained = panel.loc[panel["first_treated"].notna(), "unit"].unique()
    panel = panel[~panel["unit"].isin(trained[3:])]
    result = did_effect(panel, reps=99)
    assert result.n_treated_units == 3
    assert any("only 3 trained units" in w for w in result.warnings)
    assert "rough indication" in effect_statement(result, "engagement", "Module")


def _only(panel: pd.DataFrame, keep: pd.Series) -> pd.DataFrame:
    return panel[keep].reset_index(drop=True)


def test_no_comparison_units_fails_with_a_reason() -> None:
    panel = _panel(seed=1, n_units=20)
    result = did_effect(_only(panel, panel["first_treated"].notna()))
    assert not result.effect.ok and not result.pre_trend.ok
    assert any("no comparison units" in w for w in result.effect.warnings)
    assert result.n_comparison_units == 0


def test_a_single_comparison_unit_fails() -> None:
    panel = _panel(seed=1, n_units=20)
    keep = panel["first_treated"].notna() | (panel["unit"] == "unit-1")
    result = did_effect(_only(panel, keep))
    assert not result.effect.ok
    assert any("only 1 comparison unit" in w for w in result.effect.warnings)


def test_trained_units_without_a_month_before_training_fail() -> None:
    panel = _panel(seed=1, n_units=20)
    before = panel["first_treated"].notna() & (panel["month"] < panel["first_treated"])
    result = did_effect(_only(panel, ~before))
    assert not result.effect.ok
    assert any("before and after" in w for w in result.effect.warnings)
    assert result.n_treated_units == 0


def test_training_confounded_with_calendar_months_fails() -> None:
    # Trained units seen only in months 1–6 (trained from month 4), comparison units only in
    # months 7–12: D is a function of the month, so it cannot be separated.
    rng = np.random.default_rng(0)
    rows = [
        (f"t{u}", START + i, rng.normal(3, 0.3), START + 3) for u in range(3) for i in range(6)
    ] + [(f"c{u}", START + i, rng.normal(3, 0.3), pd.NaT) for u in range(3) for i in range(6, 12)]
    panel = pd.DataFrame(rows, columns=["unit", "month", "y", "first_treated"])
    result = did_effect(panel, reps=99)
    assert not result.effect.ok
    assert any("cannot be told apart" in w for w in result.effect.warnings)


def test_inconsistent_training_month_is_rejected() -> None:
    panel = _panel(seed=1, n_units=10)
    trained = panel.index[panel["first_treated"].notna()]
    panel.loc[trained[0], "first_treated"] = START
    with pytest.raises(ValueError, match="same in every row"):
        did_effect(panel)


# --- the plain-language statement ---------------------------------------------------------


def _effect(estimate: float, low: float, high: float, pre_p: float) -> TrainingEffect:
    effect = Estimate(estimate, low, high, 0.2, 54, 600, "did")
    pre = Estimate(0.02, -0.08, 0.12, pre_p, 54, 600, "lead")
    return TrainingEffect(effect, pre, 14, 40, 12, ())


def test_statement_gives_interval_counts_and_caveats() -> None:
    text = effect_statement(
        _effect(0.12, -0.05, 0.29, pre_p=0.6), "engagement", "Honest consultations"
    )
    assert "'Honest consultations'" in text and "engagement" in text
    assert "+0.12 points more" in text
    assert "95% CI −0.05 to +0.29" in text
    assert "14 trained and 40 comparison units" in text
    assert "no clear effect" in text and "includes zero" in text
    for caveat in ("randomised", "chose which units", "regression to the mean", "same time"):
        assert caveat in text
    assert "no clear difference in trend" in text
    assert "+0.02 points" in text
    assert 3 <= text.count(". ") + 1 <= 4


def test_statement_for_a_clear_effect_and_a_pre_trend() -> None:
    text = effect_statement(_effect(-0.31, -0.52, -0.10, pre_p=0.01), "CSAT", "Module", "pts")
    assert "0.31 pts less in CSAT" in text
    assert "95% CI −0.52 to −0.10" in text
    assert "excludes zero" in text and "no clear effect" not in text
    assert "Caution" in text and "not parallel" in text


def test_statement_for_a_failed_fit_gives_the_reason() -> None:
    panel = _panel(seed=1, n_units=20)
    result = did_effect(_only(panel, panel["first_treated"].notna()))
    text = effect_statement(result, "engagement", "Module")
    assert "could not be measured" in text and "no comparison units" in text


def test_units_with_one_month_are_left_out_without_changing_the_estimate() -> None:
    panel = _panel(seed=9, n_units=40, effect=0.3)
    lonely = pd.DataFrame(
        {"unit": ["lonely"], "month": [START + 2], "y": [9.0], "first_treated": [pd.NaT]}
    )
    base, extra = did_effect(panel), did_effect(pd.concat([panel, lonely], ignore_index=True))
    assert_allclose(extra.effect.estimate, base.effect.estimate, rtol=0, atol=1e-10)
    assert (extra.effect.n_units, extra.effect.n_obs) == (base.effect.n_units, base.effect.n_obs)
    assert extra.effect.ci_low == pytest.approx(base.effect.ci_low, abs=1e-10)
    assert any("single month" in w for w in extra.warnings)


def test_no_trained_unit_at_all_fails() -> None:
    panel = _panel(seed=1, n_units=10).assign(first_treated=pd.NaT)
    result = did_effect(panel)
    assert not result.effect.ok
    assert any("no trained unit" in w for w in result.effect.warnings)


def test_statement_weighs_the_adjusted_p_value() -> None:
    from reports.stats.estimate import Estimate
    from reports.stats.training_effect import TrainingEffect, effect_statement

    lead = Estimate(0.01, -0.05, 0.07, 0.7, 20, 200, "lead")
    effect = TrainingEffect(Estimate(0.2, 0.05, 0.35, 0.01, 20, 200, "did"), lead, 6, 14, 12, ())
    clear = effect_statement(effect, "engagement", "M", p_adjusted=0.03)
    assert "chance alone is an unlikely explanation" in clear
    doubtful = effect_statement(effect, "engagement", "M", p_adjusted=0.2)
    assert "can arise by chance" in doubtful and "adjusted p = 0.20" in doubtful
    assert "unlikely explanation" not in doubtful
