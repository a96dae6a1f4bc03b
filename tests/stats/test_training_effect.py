"""The training effect (imputation estimator): against hand sums, statsmodels dummies,
pyfixest's did2s and simulations with cohort-different, growing effects and few trained units."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from numpy.testing import assert_allclose

from reports.stats.did_imputation import Imputation, TwoWay
from reports.stats.estimate import Estimate
from reports.stats.training_effect import (
    LEAD_MONTHS,
    TrainingEffect,
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


def _labelled(frame: pd.DataFrame) -> pd.DataFrame:
    """The panel with months since training, the control/window split and integer codes."""
    out = frame.copy()
    trained = out["first_treated"].notna()
    out["since"] = [
        (m - s).n if s is not pd.NaT else np.nan
        for s, m in zip(out["first_treated"], out["month"], strict=True)
    ]
    out["window"] = (trained & (out["since"] >= -LEAD_MONTHS)).astype(int)
    out["post"] = (trained & (out["since"] >= 0)).astype(int)
    out["lead"] = ((out["window"] == 1) & (out["post"] == 0)).astype(int)
    out["m"] = out["month"].astype(str)
    out["unit_id"] = pd.factorize(out["unit"])[0]
    out["tm"] = [(m - START).n for m in out["month"]]
    return out


def _dummy_imputation(data: pd.DataFrame, column: str) -> float:
    """The reference by hand: OLS on unit and month dummies over the untrained rows (statsmodels),
    predicted on the rows flagged ``column``, mean of the differences."""
    control = data[data["window"] == 0]
    fit = smf.ols("y ~ C(unit) + C(m)", control).fit()
    rows = data[data[column] == 1]
    return float((rows["y"] - fit.predict(rows)).mean())


# --- point estimate ------------------------------------------------------------------------


def test_two_by_two_equals_the_difference_of_mean_changes() -> None:
    before, after = START, START + 4
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
    # No month in the 3 before training: the placebo lead cannot be measured.
    assert not result.pre_trend.ok
    assert "3 months before" in result.pre_trend.warnings[0]


def test_equals_dummy_regressions_on_untrained_rows_of_an_unbalanced_panel() -> None:
    panel = _panel(seed=7, n_units=50, n_months=14, effect=0.2, drop=0.1)
    assert len(panel) < 50 * 14 * 0.95  # really unbalanced
    result = did_effect(panel, reps=199)
    data = _labelled(panel)
    assert_allclose(result.effect.estimate, _dummy_imputation(data, "post"), atol=1e-9)
    assert_allclose(result.pre_trend.estimate, _dummy_imputation(data, "lead"), atol=1e-9)
    for event in result.event_study:
        data["at"] = (data["since"] == event.months).astype(int)
        assert_allclose(event.estimate.estimate, _dummy_imputation(data, "at"), atol=1e-9)
    assert result.event_study[0].months == -LEAD_MONTHS
    assert (result.effect.n_units, result.effect.n_obs) == (50, len(panel))


def test_equals_pyfixest_did2s_and_its_event_study() -> None:
    pyfixest = pytest.importorskip("pyfixest")
    panel = _staggered(seed=3, n_units=40, n_months=24, n_trained=16)
    result = did_effect(panel, reps=199)
    data = _labelled(panel)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pooled = pyfixest.did2s(
            data,
            yname="y",
            first_stage="~ 0 | unit_id + tm",
            second_stage="~ post + lead",
            treatment="window",
            cluster="unit_id",
        )
        data["rel"] = data["since"].fillna(-99).astype(int)
        data.loc[data["window"] == 0, "rel"] = -99
        events = pyfixest.did2s(
            data,
            yname="y",
            first_stage="~ 0 | unit_id + tm",
            second_stage="~ i(rel, ref=-99)",
            treatment="window",
            cluster="unit_id",
        )
    # pyfixest demeans iteratively to about 1e-8; the dummy regression above is exact
    assert_allclose(result.effect.estimate, pooled.coef()["post"], atol=1e-6)
    assert_allclose(result.pre_trend.estimate, pooled.coef()["lead"], atol=1e-6)
    by_name = events.coef()
    for event in result.event_study:
        name = f"rel::{event.months}"
        assert_allclose(event.estimate.estimate, by_name[name], atol=1e-6)


def test_the_estimate_is_linear_in_the_outcome_and_blind_to_unit_and_month_effects() -> None:
    panel = _panel(seed=12, n_units=30, n_months=12, effect=0.1, drop=0.15)
    result = did_effect(panel, reps=99)
    data = _labelled(panel)
    design = TwoWay(
        data["unit_id"].to_numpy(np.intp),
        pd.factorize(data["tm"])[0].astype(np.intp),
        data["unit_id"].nunique(),
        data["tm"].nunique(),
    )
    control = (data["window"] == 0).to_numpy()
    y = data["y"].to_numpy(float)
    imputation = Imputation(design, y, control, 99, 1, 15)
    v = imputation.influence((data["post"] == 1).to_numpy())
    assert_allclose(v @ y, result.effect.estimate, atol=1e-10)
    rng = np.random.default_rng(0)
    effects = (
        rng.normal(size=design.n_units)[design.units]
        + rng.normal(size=design.n_months)[design.months]
    )
    assert abs(v @ effects) < 1e-10


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
    removed = did_effect(panel.iloc[[i for i in range(len(panel)) if i % 7]])
    assert did_effect(gappy).effect.n_obs == removed.effect.n_obs


# --- simulation ---------------------------------------------------------------------------


def _staggered(
    seed: int,
    n_units: int,
    n_months: int,
    n_trained: int,
    base: float = 0.2,
    cohort: float = 0.05,
    growth: float = 0.02,
) -> pd.DataFrame:
    """Staggered training whose effect differs by cohort (later cohorts gain more) and grows
    with every month since training; unit and month effects and noise."""
    rng = np.random.default_rng(seed)
    month_effect = rng.normal(0, 0.2, n_months)
    rows = []
    for u in range(n_units):
        level = rng.normal(3.5, 0.4)
        start = int(rng.integers(6, n_months - 2)) if u < n_trained else None
        for t in range(n_months):
            effect = 0.0
            if start is not None and t >= start:
                effect = base + cohort * (start - 6) + growth * (t - start)
            first = START + start if start is not None else pd.NaT
            rows.append(
                (u, START + t, level + month_effect[t] + effect + rng.normal(0, 0.3), first)
            )
    return pd.DataFrame(rows, columns=["unit", "month", "y", "first_treated"])


def _true_average(
    panel: pd.DataFrame, base: float = 0.2, cohort: float = 0.05, growth: float = 0.02
) -> float:
    trained = _labelled(panel)
    post = trained[trained["post"] == 1]
    start = np.array([(s - START).n for s in post["first_treated"]])
    return float(np.mean(base + cohort * (start - 6) + growth * post["since"].to_numpy()))


def test_cohort_and_growing_effects_are_covered_where_two_way_fixed_effects_are_not() -> None:
    sims, covered, ours, twfe = 60, 0, [], []
    for s in range(sims):
        # earlier cohorts gain more, and every cohort's gain grows month by month
        panel = _staggered(
            seed=100 + s, n_units=40, n_months=24, n_trained=20, cohort=-0.02, growth=0.04
        )
        truth = _true_average(panel, cohort=-0.02, growth=0.04)
        effect = did_effect(panel, reps=299, seed=s).effect
        covered += effect.ci_low <= truth <= effect.ci_high
        ours.append(effect.estimate - truth)
        data = _labelled(panel)
        twfe.append(float(smf.ols("y ~ post + C(unit) + C(m)", data).fit().params["post"]) - truth)
    assert covered / sims >= 0.90, covered
    assert abs(np.mean(ours)) < 0.02
    assert np.mean(twfe) < -0.04  # already-trained units as controls: biased down


@pytest.mark.parametrize(
    ("trained", "units", "months", "sims", "first_seed"),
    [(3, 15, 24, 200, 500), (2, 14, 18, 100, 900)],
)
def test_the_null_holds_its_size_with_few_trained_units(
    trained: int, units: int, months: int, sims: int, first_seed: int
) -> None:
    rejected = sum(
        did_effect(
            _staggered(first_seed + s, units, months, trained, base=0, cohort=0, growth=0),
            reps=399,
            seed=s,
        ).effect.p_value
        < 0.05
        for s in range(sims)
    )
    assert rejected / sims <= 0.08, rejected


def test_a_growing_effect_shows_in_the_event_study() -> None:
    result = did_effect(
        _staggered(seed=9, n_units=80, n_months=24, n_trained=40, cohort=0, growth=0.05)
    )
    by_month = {e.months: e.estimate for e in result.event_study}
    assert all(abs(by_month[k].estimate) < 0.15 for k in (-3, -2, -1))
    assert by_month[8].estimate > by_month[0].estimate + 0.2
    assert by_month[0].ci_low < 0.2 < by_month[0].ci_high


def test_planted_effect_is_recovered() -> None:
    result = did_effect(_panel(seed=11, n_units=60, effect=0.3))
    assert result.effect.ci_low < 0.3 < result.effect.ci_high
    assert result.effect.p_value <= 1 / 1000  # no draw of 999 as extreme
    assert result.warnings == ()


def test_no_effect_is_rarely_significant() -> None:
    p_values = [did_effect(_panel(seed=seed, n_units=40)).effect.p_value for seed in range(20)]
    assert sum(p <= 0.05 for p in p_values) <= 3
    assert max(p_values) > 0.5  # the p-values are spread out, not all tiny


def test_a_dip_before_training_is_flagged_and_does_not_pass_for_an_effect() -> None:
    dipped = did_effect(_panel(seed=5, n_units=60, effect=0.3, pre_dip=-0.5))
    assert dipped.pre_trend.ok
    assert dipped.pre_trend.ci_low < -0.5 < dipped.pre_trend.ci_high
    assert dipped.pre_trend.p_value <= 1 / 1000
    assert any("not moving in parallel" in w for w in dipped.warnings)
    assert "Caution" in effect_statement(dipped, "engagement", "Honest consultations")
    # the dipped months are not the baseline: the effect is still the planted 0.3
    assert dipped.effect.ci_low < 0.3 < dipped.effect.ci_high

    clean = did_effect(_panel(seed=5, n_units=60, effect=0.3))
    assert clean.pre_trend.ok and clean.pre_trend.p_value > 0.05
    assert not any("parallel" in w for w in clean.warnings)


# --- few units and guards -----------------------------------------------------------------


def test_the_bootstrap_is_seeded_and_its_interval_inverts_its_test() -> None:
    reps = 199
    result = did_effect(_panel(seed=2, n_units=12, effect=0.3), reps=reps)
    assert "restricted wild cluster bootstrap" in result.effect.detail
    assert "Webb weights" in result.effect.detail  # 6 trained units: Webb
    assert 0 <= result.effect.p_value <= 1
    p = result.effect.p_value
    assert p * (reps + 1) == pytest.approx(round(p * (reps + 1)))  # (1 + k) / (B + 1)
    assert result.effect.ci_low < result.effect.estimate < result.effect.ci_high
    again = did_effect(_panel(seed=2, n_units=12, effect=0.3), reps=reps)
    assert again == result  # fixed seed
    # the interval's ends are where the test starts to reject: shifting the outcome of
    # the trained months by an end makes the shifted effect's p-value about 5%
    panel = _panel(seed=2, n_units=12, effect=0.3)
    data = _labelled(panel)
    for end in (result.effect.ci_low, result.effect.ci_high):
        shifted = panel.assign(y=panel["y"] - end * data["post"])
        p = did_effect(shifted, reps=reps).effect.p_value
        assert 0.03 <= p <= 0.08, (end, p)


def test_an_unbounded_interval_is_said_plainly() -> None:
    inf = math.inf
    effect = TrainingEffect(
        Estimate(0.4, -inf, inf, 0.3, 14, 200, "did"),
        Estimate(0.0, -0.1, 0.1, 0.9, 14, 200, "lead"),
        1,
        13,
        18,
        (),
    )
    text = effect_statement(effect, "engagement", "Module")
    assert "unbounded" in text and "inf" not in text.replace("unbounded", "")


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
    assert any("more than 3 months before" in w for w in result.effect.warnings)
    assert result.n_treated_units == 0


def test_training_confounded_with_calendar_months_fails() -> None:
    # Trained units seen only in months 1–8 (trained from month 6), comparison units only in
    # months 9–12: no untrained unit has results in a trained month, so nothing predicts it.
    rng = np.random.default_rng(0)
    rows = [
        (f"t{u}", START + i, rng.normal(3, 0.3), START + 5) for u in range(3) for i in range(8)
    ] + [(f"c{u}", START + i, rng.normal(3, 0.3), pd.NaT) for u in range(3) for i in range(8, 12)]
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


def test_shuffled_rows_give_the_same_bootstrap() -> None:
    panel = _panel(seed=2, n_units=12, effect=0.3)
    shuffled = panel.sample(frac=1.0, random_state=4)
    a, b = did_effect(panel, reps=199).effect, did_effect(shuffled, reps=199).effect
    assert a.p_value == b.p_value  # each unit keeps its draws
    assert [a.estimate, a.ci_low, a.ci_high] == pytest.approx(
        [b.estimate, b.ci_low, b.ci_high], rel=1e-6
    )


def test_units_trained_after_their_last_result_serve_as_not_yet_trained_controls() -> None:
    panel = _panel(seed=13, n_units=30, effect=0.3)
    late = pd.DataFrame(
        [("late", START + i, 3.5 + 0.01 * i, START + 20) for i in range(12)],
        columns=["unit", "month", "y", "first_treated"],
    )
    base = did_effect(panel, reps=99)
    more = did_effect(pd.concat([panel, late], ignore_index=True), reps=99)
    assert more.effect.n_units == base.effect.n_units + 1
    assert more.n_treated_units == base.n_treated_units
    assert any("no results after training yet" in w for w in more.warnings)
    assert more.effect.estimate != base.effect.estimate  # its months inform the prediction
