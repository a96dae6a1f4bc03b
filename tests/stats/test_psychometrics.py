"""Alpha, ICC(1), ICC(2) and rwg(j) against published values, pingouin and hand-computed cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pingouin
import pytest
from numpy.testing import assert_allclose

from reports.stats.psychometrics import (
    alpha_from_variances,
    cronbach_alpha,
    icc_from_group_stats,
    icc_oneway,
    rwg_j,
    rwg_j_of_answers,
    uniform_null_variance,
)


def test_icc_matches_pingouins_published_wine_judge_values() -> None:
    data = pingouin.read_dataset("icc")
    res = icc_oneway(data["Scores"], data["Wine"])
    assert_allclose([res.icc1, res.icc2], [0.727521, 0.914384], atol=5e-7)


# pingouin itself calls a pandas API that pandas 3.1 deprecates; that is its warning, not ours.
@pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning")
def test_icc_matches_pingouin_called_directly() -> None:
    data = pingouin.read_dataset("icc")
    table = pingouin.intraclass_corr(data, targets="Wine", raters="Judge", ratings="Scores")
    ref = table.set_index("Type")["ICC"]
    res = icc_oneway(data["Scores"], data["Wine"])
    assert_allclose([res.icc1, res.icc2], [ref["ICC(1,1)"], ref["ICC(1,k)"]], rtol=1e-10)


def test_icc_hand_computed_three_teams() -> None:
    values = [4, 5, 4, 2, 3, 2, 3, 3, 4]
    res = icc_oneway(values, list("AAABBBCCC"))
    assert_allclose(res.icc1, 8 / 11, rtol=1e-12)
    assert_allclose(res.icc2, 8 / 9, rtol=1e-12)
    assert_allclose([res.ms_between, res.ms_within], [3.0, 1 / 3], rtol=1e-12)
    assert res.n_groups == 3 and res.n_respondents == 9


def test_icc_from_sums_equals_icc_from_respondents_with_unequal_groups() -> None:
    rng = np.random.default_rng(3)
    sizes = rng.integers(3, 15, 25)
    labels = np.repeat(np.arange(25), sizes)
    values = rng.normal(0, 1, labels.size) + rng.normal(0, 0.5, 25)[labels]
    direct = icc_oneway(values, labels)
    frame = pd.DataFrame({"g": labels, "v": values})
    grouped = frame.groupby("g")["v"]
    n, s, ss = grouped.size(), grouped.sum(), grouped.apply(lambda v: (v**2).sum())
    summed = icc_from_group_stats(n, s / n, ss - s**2 / n)
    assert_allclose([summed.icc1, summed.icc2], [direct.icc1, direct.icc2], rtol=1e-10)
    # ICC(1) with the mean group size (Bliese's multilevel::ICC1) and the F test's p.
    assert_allclose(direct.mean_group_size, labels.size / 25)
    from scipy import stats

    f = stats.f_oneway(*[values[labels == g] for g in range(25)])
    assert_allclose(direct.f_value, f.statistic, rtol=1e-10)
    assert_allclose(direct.p_value, f.pvalue, rtol=1e-8)


def test_icc_needs_two_groups() -> None:
    res = icc_oneway([1, 2, 3], ["a", "a", "a"])
    assert np.isnan(res.icc1) and np.isnan(res.icc2)


def test_rwg_j_hand_computed_case() -> None:
    team = [[4, 4, 5], [5, 4, 4], [4, 3, 4], [5, 5, 5], [4, 4, 4]]
    assert_allclose(rwg_j_of_answers(team, 5), 147 / 158, rtol=1e-12)
    assert_allclose(rwg_j([0.3, 0.5, 0.3], 5), 147 / 158, rtol=1e-12)


def test_rwg_j_uniform_null_and_truncation() -> None:
    assert uniform_null_variance(5) == 2.0
    assert uniform_null_variance(7) == 4.0
    # More spread than random answering: no agreement, reported as 0, not negative.
    assert rwg_j([2.5, 3.0], 5) == 0.0
    assert rwg_j([0.0, 0.0, 0.0], 5) == 1.0
    assert np.isnan(rwg_j([], 5))


def test_rwg_j_ignores_unanswered_cells() -> None:
    team = [[4, np.nan, 5], [5, 4, 4], [4, 3, 4], [5, 5, 5], [4, 4, 4]]
    variances = [
        np.var([4, 5, 4, 5, 4], ddof=1),
        np.var([4, 3, 5, 4], ddof=1),
        np.var([5, 4, 4, 5, 4], ddof=1),
    ]
    assert_allclose(rwg_j_of_answers(team, 5), rwg_j(variances, 5))


def test_cronbach_alpha_matches_pingouin_listwise() -> None:
    rng = np.random.default_rng(7)
    latent = rng.normal(0, 1, 300)
    items = np.clip(np.rint(3 + latent[:, None] + rng.normal(0, 0.8, (300, 6))), 1, 5)
    items[rng.integers(0, 300, 20), rng.integers(0, 6, 20)] = np.nan
    frame = pd.DataFrame(items)
    ref, _ = pingouin.cronbach_alpha(frame, nan_policy="listwise")
    assert_allclose(cronbach_alpha(items), ref, rtol=1e-10)


def test_alpha_from_variances_equals_alpha_of_the_matrix() -> None:
    rng = np.random.default_rng(8)
    items = rng.integers(1, 6, (50, 12)).astype(float) + rng.normal(0, 1, (50, 1))
    direct = cronbach_alpha(items)
    moments = alpha_from_variances(items.var(axis=0, ddof=1), float(items.sum(axis=1).var(ddof=1)))
    assert_allclose(moments, direct, rtol=1e-12)


def test_alpha_hand_computed() -> None:
    # Two items, variances 1 and 1, total variance 3 (covariance 0.5): 2·(1 − 2/3) = 2/3.
    assert_allclose(alpha_from_variances([1.0, 1.0], 3.0), 2 / 3)
    assert np.isnan(cronbach_alpha([[1, 2]]))


def test_cronbach_alpha_rejects_a_vector() -> None:
    with pytest.raises(ValueError, match="matrix"):
        cronbach_alpha([1, 2, 3])


# --- r*wg(j): agreement not inflated by many items, against a slightly skewed null ------


def _groups(
    rng: np.random.Generator, probabilities: list[float], groups: int, size: int
) -> np.ndarray:
    """Answers (groups × members × 12 items) drawn from one distribution over 1–5."""
    return rng.choice(np.arange(1, 6), p=probabilities, size=(groups, size, 12))


def test_r_star_wg_j_by_hand() -> None:
    from reports.stats.psychometrics import r_star_wg_j, slight_skew_null_variance

    assert float(r_star_wg_j(0.5, 2.0)) == pytest.approx(0.75)
    assert float(r_star_wg_j(5.0, 2.0)) == -1.0  # floored
    assert slight_skew_null_variance(5) == 1.34
    # the slight-skew distribution of LeBreton & Senter (2008) has that variance
    p = np.array([0.05, 0.15, 0.20, 0.35, 0.25])
    x = np.arange(1, 6)
    assert float(p @ x**2 - (p @ x) ** 2) == pytest.approx(1.34)


@pytest.mark.parametrize("size", [4, 5])
def test_random_and_skewed_answers_no_longer_pass_for_agreement(size: int) -> None:
    from reports.stats.psychometrics import r_star_wg_j, slight_skew_null_variance

    rng = np.random.default_rng(size)
    for probabilities in ([0.2] * 5, [0.05, 0.15, 0.20, 0.35, 0.25]):
        answers = _groups(rng, probabilities, 2000, size)
        variances = answers.var(axis=1, ddof=1)  # groups × items
        old = np.array([rwg_j(v) for v in variances])
        new = r_star_wg_j(variances.mean(axis=1), slight_skew_null_variance(5))
        assert (new < 0.70).mean() >= 0.95  # flagged as low agreement
        if probabilities[0] == 0.05:
            assert (old >= 0.70).mean() >= 0.85  # rwg(j) called most of these agreeing
    agreeing = _groups(rng, [0, 0, 0, 0.5, 0.5], 500, size).var(axis=1, ddof=1)
    assert (r_star_wg_j(agreeing.mean(axis=1), slight_skew_null_variance(5)) >= 0.70).mean() > 0.6


def test_the_critical_value_holds_five_percent_under_the_null() -> None:
    from reports.stats.psychometrics import r_star_critical, r_star_wg_j, uniform_null_variance

    rng = np.random.default_rng(77)
    answers = _groups(rng, [0.2] * 5, 3000, 5)
    values = r_star_wg_j(answers.var(axis=1, ddof=1).mean(axis=1), uniform_null_variance(5))
    assert (values > r_star_critical(5, 12)).mean() == pytest.approx(0.05, abs=0.015)
    assert r_star_critical(5, 12) > r_star_critical(30, 12)  # larger groups: a lower bar
