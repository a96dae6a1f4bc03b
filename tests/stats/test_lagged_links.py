"""The lagged links against linearmodels and statsmodels, and in simulations that plant a
stable confounder (the case that made the random-intercept model claim an effect)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from linearmodels.panel import PanelOLS
from numpy.testing import assert_allclose
from scipy import stats

from reports.stats.estimate import WEBB_WEIGHTS
from reports.stats.fixed_effects import Groups
from reports.stats.panel import between_units, lagged_links, lagged_rows, within_unit
from reports.stats.wild import WEBB_BELOW, restricted_wild_bootstrap

START = pd.Period("2025-01", "M")


def simulated(
    seed: int, units: int, months: int, effect: float, confounder: float = 1.0
) -> pd.DataFrame:
    """A panel where units differ in a lasting way (``confounder``) that raises both their
    engagement and their outcome; engagement(t) moves outcome(t+1) by ``effect`` within a
    unit; outcomes carry over 30% of last month's deviation and share a seasonal swing."""
    rng = np.random.default_rng(seed)
    lasting = rng.normal(size=units) * confounder
    engagement = 3.6 + 0.3 * lasting[:, None] + rng.normal(0, 0.3, (units, months))
    outcome = np.empty((units, months))
    outcome[:, 0] = 4 + lasting + rng.normal(0, 0.3, units)
    for t in range(1, months):
        outcome[:, t] = (
            4
            + lasting
            + effect * (engagement[:, t - 1] - 3.6)
            + 0.3 * (outcome[:, t - 1] - 4 - lasting)
            + 0.2 * math.sin(t)
            + rng.normal(0, 0.3, units)
        )
    return pd.DataFrame(
        {
            "unit": np.repeat(np.arange(units), months),
            "month": [START + int(t) for t in np.tile(np.arange(months), units)],
            "engagement": engagement.ravel(),
            "outcome": outcome.ravel(),
        }
    )


def test_within_unit_equals_panelols_with_entity_and_time_effects() -> None:
    rows = lagged_rows(simulated(1, 40, 12, 0.3))
    ours = within_unit(rows)
    frame = rows.assign(time=rows["month"].dt.to_timestamp()).set_index(["unit", "time"])
    ref = PanelOLS(
        frame["outcome_next"],
        frame[["engagement", "outcome"]],
        entity_effects=True,
        time_effects=True,
    ).fit(cov_type="clustered", cluster_entity=True, debiased=False, group_debias=True)
    assert_allclose(ours.estimate, ref.params["engagement"], rtol=1e-9)
    # Same sandwich; the small-sample factor differs only in the degrees of freedom counted:
    # linearmodels counts every absorbed effect, engage (like reghdfe) not the unit effects
    # nested in the clusters.
    n, g, months = len(rows), 40, 11
    extra = ref.df_model - 2
    ours_se = (ours.ci_high - ours.ci_low) / 2 / stats.t.ppf(0.975, g - 1)
    factor = math.sqrt((n - extra) / (n - 2 - (months - 1)))
    assert_allclose(ours_se, ref.std_errors["engagement"] * factor, rtol=1e-8)
    assert ours.n_units == 40 and ours.n_obs == n
    assert "unit and month fixed effects" in ours.detail


def test_between_units_is_the_hybrid_models_between_term() -> None:
    rows = lagged_rows(simulated(2, 36, 10, 0.0))
    means = rows.groupby("unit")[["engagement", "outcome"]].transform("mean")
    design = pd.DataFrame(
        {
            "y": rows["outcome_next"],
            "mean_e": means["engagement"],
            "dev_e": rows["engagement"] - means["engagement"],
            "dev_o": rows["outcome"] - means["outcome"],
        }
    )
    ref = smf.ols("y ~ mean_e + dev_e + dev_o", design).fit(
        cov_type="cluster", cov_kwds={"groups": rows["unit"]}
    )
    ours = between_units(rows)
    assert_allclose(ours.estimate, ref.params["mean_e"], rtol=1e-9)
    half = stats.t.ppf(0.975, 35) * ref.bse["mean_e"]
    assert_allclose(
        [ours.ci_low, ours.ci_high],
        [ref.params["mean_e"] - half, ref.params["mean_e"] + half],
        rtol=1e-9,
    )
    # the between term is the T-weighted regression of unit means on unit means
    unit_means = rows.groupby("unit")[["engagement", "outcome_next"]].mean()
    weights = rows.groupby("unit").size()
    wls = sm.WLS(
        unit_means["outcome_next"], sm.add_constant(unit_means["engagement"]), weights=weights
    ).fit()
    assert_allclose(ours.estimate, wls.params["engagement"], rtol=1e-9)


def test_a_stable_confounder_is_between_units_not_month_to_month() -> None:
    rows = lagged_rows(simulated(3, 120, 12, 0.0, confounder=1.5))
    within, between = within_unit(rows), between_units(rows)
    assert between.p_value < 1e-6 and between.estimate > 1  # the lasting difference
    assert within.ci_low < 0 < within.ci_high  # not taken for an effect over time


@pytest.mark.parametrize(("units", "months"), [(40, 12), (15, 12)])
def test_the_null_holds_its_size_under_a_stable_confounder(units: int, months: int) -> None:
    sims = 200 if units >= 30 else 120
    rejected = sum(
        within_unit(lagged_rows(simulated(1000 + s, units, months, 0.0)), reps=399, seed=s).p_value
        < 0.05
        for s in range(sims)
    )
    assert rejected / sims <= 0.08, rejected


def test_intervals_cover_a_planted_month_to_month_effect() -> None:
    sims, effect = 200, 0.30
    estimates = [
        within_unit(lagged_rows(simulated(2000 + s, 40, 12, effect)), seed=s) for s in range(sims)
    ]
    covered = sum(e.ci_low <= effect <= e.ci_high for e in estimates)
    assert covered / sims >= 0.90, covered
    assert abs(np.mean([e.estimate for e in estimates]) - effect) < 0.03


def _naive_wcr_p(
    y: np.ndarray, x: np.ndarray, codes: np.ndarray, index: int, null: float, weights: np.ndarray
) -> float:
    """The WCR p-value by brute force: restricted OLS, then one full OLS fit per draw."""
    others = [j for j in range(x.shape[1]) if j != index]
    restricted = sm.OLS(y - null * x[:, index], x[:, others]).fit()
    fitted = restricted.fittedvalues + null * x[:, index]
    resid = y - fitted

    def t_of(sample: np.ndarray) -> float:
        fit = sm.OLS(sample, x).fit(cov_type="cluster", cov_kwds={"groups": codes})
        return float((fit.params[index] - null) / fit.bse[index])

    observed = t_of(y)
    draws = [t_of(fitted + resid * weights[codes, b]) for b in range(weights.shape[1])]
    return float(np.mean(np.abs(draws) >= abs(observed) - 1e-12))


@pytest.mark.parametrize("clusters", [8, 14])
def test_restricted_wild_bootstrap_equals_brute_force(clusters: int) -> None:
    rng = np.random.default_rng(clusters)
    codes = np.repeat(np.arange(clusters), 6)
    x = sm.add_constant(rng.normal(size=codes.size) + rng.normal(size=clusters)[codes])
    y = 0.15 * x[:, 1] + rng.normal(size=codes.size) + rng.normal(size=clusters)[codes]
    reps, seed = 199, 5
    ours = restricted_wild_bootstrap(y, x, Groups(codes.astype(np.intp)), 1, reps=reps, seed=seed)
    table = WEBB_WEIGHTS if clusters < WEBB_BELOW else np.array([-1.0, 1.0])
    weights = np.random.default_rng(seed).choice(table, size=(clusters, reps))
    assert ours.weights == ("Webb" if clusters < WEBB_BELOW else "Rademacher")
    share = _naive_wcr_p(y, x, codes, 1, 0.0, weights)  # draws as extreme as the data
    assert ours.p_value == pytest.approx((1 + share * reps) / (reps + 1), abs=1e-12)
    ols = sm.OLS(y, x).fit(cov_type="cluster", cov_kwds={"groups": codes})
    assert_allclose(ours.estimate, ols.params[1], rtol=1e-10)
    assert_allclose(ours.se, ols.bse[1], rtol=1e-10)
    # the interval is the set the test does not reject: just inside, p ≥ 5%; outside, < 5%
    for end, inward in ((ours.ci_low, 1.0), (ours.ci_high, -1.0)):
        step = 1e-6 * ours.se
        assert _naive_wcr_p(y, x, codes, 1, end + inward * step, weights) >= 0.05
        assert _naive_wcr_p(y, x, codes, 1, end - inward * step * 50, weights) < 0.05


def test_few_units_say_how_their_interval_was_made() -> None:
    within, between = lagged_links(simulated(4, 10, 12, 0.3), reps=199, seed=1)
    for estimate in (within, between):
        assert "restricted wild cluster bootstrap" in estimate.detail
        assert "Webb weights" in estimate.detail
        assert any("only 10 units" in w for w in estimate.warnings)


def test_engagement_that_never_moves_within_a_unit_is_said_plainly() -> None:
    panel = simulated(5, 20, 8, 0.0)
    panel["engagement"] = panel.groupby("unit")["engagement"].transform("mean")
    within, between = lagged_links(panel, reps=99)
    assert math.isnan(within.estimate) and "within units" in within.warnings[0]
    assert between.ok


def test_shuffled_rows_give_the_same_bootstrap() -> None:
    panel = simulated(6, 12, 12, 0.2)
    shuffled = panel.sample(frac=1.0, random_state=3)
    for a, b in zip(
        lagged_links(panel, reps=199, seed=2), lagged_links(shuffled, reps=199, seed=2), strict=True
    ):
        assert a.p_value == b.p_value  # each unit keeps its draws
        assert [a.estimate, a.ci_low, a.ci_high] == pytest.approx(
            [b.estimate, b.ci_low, b.ci_high], rel=1e-6
        )
