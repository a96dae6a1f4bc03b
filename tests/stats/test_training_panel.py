"""Who counts as trained, and the module effects against statsmodels on the same panel."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from reports.stats.training_effect import LEAD_MONTHS
from reports.stats.training_panel import cohorts, headcount, module_effects

M = pd.Period


def test_headcount_counts_staff_at_each_month_end() -> None:
    people = pd.DataFrame(
        {
            "unit": [1, 1, 1, 2],
            "hired_on": [date(2024, 1, 1), date(2024, 2, 10), date(2023, 5, 1), date(2024, 1, 31)],
            "left_on": [None, None, date(2024, 2, 29), None],
        }
    )
    months = pd.period_range("2024-01", "2024-03", freq="M")
    got = headcount(people, months).set_index(["unit", "month"])["staff"].to_dict()
    assert got == {
        (1, M("2024-01", "M")): 2,  # the leaver is still there at the end of January
        (1, M("2024-02", "M")): 2,  # left on the last day of February: gone at its end
        (1, M("2024-03", "M")): 2,
        (2, M("2024-01", "M")): 1,
        (2, M("2024-02", "M")): 1,
        (2, M("2024-03", "M")): 1,
    }


def test_half_the_staff_makes_a_unit_trained_and_fewer_partly() -> None:
    staff = pd.DataFrame(
        [
            (u, M(m, "M"), n)
            for u, n in ((1, 4), (2, 10))
            for m in ("2024-01", "2024-02", "2024-03")
        ],
        columns=["unit", "month", "staff"],
    )
    completions = pd.DataFrame(
        [
            (1, "a", 11, M("2024-01", "M")),
            (1, "a", 12, M("2024-02", "M")),  # 2 of 4 by February's end: trained from February
            (1, "a", 12, M("2024-03", "M")),  # a second completion of the same person: ignored
            (2, "a", 21, M("2024-01", "M")),
            (2, "a", 22, M("2024-02", "M")),
            (2, "a", 23, M("2024-03", "M")),  # 3 of 10: partly trained
        ],
        columns=["unit", "module", "person", "month"],
    )
    got = cohorts(completions, staff).set_index("unit")
    assert got.loc[1, "first_treated"] == M("2024-02", "M") and not got.loc[1, "partial"]
    assert pd.isna(got.loc[2, "first_treated"]) and got.loc[2, "partial"]


def _panel(seed: int, effect: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    months = pd.period_range("2024-01", "2025-02", freq="M")
    rows = []
    trained = []
    for unit in range(40):
        start = months[6 + unit % 4] if unit < 12 else None
        if start is not None:
            trained.append((unit, "m1", start, False))
        level = rng.normal(3.6, 0.3)
        for t, month in enumerate(months):
            lift = effect if start is not None and month >= start else 0.0
            rows.append((unit, month, level + 0.01 * t + lift + rng.normal(0, 0.15)))
    trained.append((12, "m1", pd.NaT, True))  # partly trained: left out
    engagement = pd.DataFrame(rows, columns=["unit", "month", "engagement"])
    cohort = pd.DataFrame(trained, columns=["unit", "module", "first_treated", "partial"])
    return engagement, cohort


def test_module_effect_matches_a_dummy_imputation() -> None:
    engagement, cohort = _panel(3, 0.25)
    (effect,) = module_effects(engagement, pd.DataFrame(), cohort)
    assert (effect.module, effect.outcome, effect.n_partly_trained) == ("m1", "engagement", 1)
    frame = engagement[engagement["unit"] != 12].copy()
    start = {r.unit: r.first_treated for r in cohort.itertuples() if not r.partial}
    since = [
        (m - start[u]).n if u in start else None
        for u, m in zip(frame["unit"], frame["month"], strict=True)
    ]
    frame["post"] = [s is not None and s >= 0 for s in since]
    frame["control"] = [s is None or s < -LEAD_MONTHS for s in since]
    frame["month_s"] = frame["month"].astype(str)
    # statsmodels' dummy regression on the untrained rows, predicted on the trained months
    fit = smf.ols("engagement ~ C(unit) + C(month_s)", data=frame[frame["control"]]).fit()
    trained = frame[frame["post"]]
    expected = float((trained["engagement"] - fit.predict(trained)).mean())
    assert effect.result.effect.estimate == pytest.approx(expected, abs=1e-8)
    assert effect.result.effect.ci_low < 0.25 < effect.result.effect.ci_high
    assert effect.result.n_treated_units == 12


def test_each_outcome_gets_its_own_effect() -> None:
    engagement, cohort = _panel(5, 0.0)
    outcomes = engagement.rename(columns={"engagement": "value"}).assign(metric="csat")
    effects = module_effects(engagement, outcomes, cohort)
    assert [e.outcome for e in effects] == ["engagement", "csat"]
    assert effects[0].result.effect.estimate == pytest.approx(effects[1].result.effect.estimate)


def test_no_trained_unit_means_no_effect() -> None:
    engagement, _ = _panel(1, 0.0)
    empty = pd.DataFrame(columns=["unit", "module", "first_treated", "partial"])
    assert module_effects(engagement, pd.DataFrame(), empty) == ()


def test_units_trained_in_another_module_are_no_comparison() -> None:
    engagement, cohort = _panel(7, 0.2)
    other = pd.DataFrame(
        [(30, "m2", M("2024-09", "M"), False), (31, "m2", pd.NaT, True)],
        columns=["unit", "module", "first_treated", "partial"],
    )
    effects = {
        e.module: e for e in module_effects(engagement, pd.DataFrame(), pd.concat([cohort, other]))
    }
    m1 = effects["m1"]
    assert m1.other_module_units == 2 and m1.partial_units == (12,)
    assert m1.result.n_comparison_units == 40 - 12 - 1 - 2
    assert [u for u, _ in m1.trained_units][:3] == [0, 4, 8]  # earliest month first
    m2 = effects["m2"]
    assert m2.result.n_treated_units == 1 and m2.other_module_units == 12 + 1  # m1: 12 + partly 1
