"""The whole linkage report on synthetic organisations with planted (and with no) effects."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from reports.contract import linkage_json
from reports.stats.linkage import METHODS, build_report
from tests.synthetic import Planted, synthetic_org

CONTRACT_KEYS = {
    "outcome",
    "method",
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "p_adjusted",
    "n_units",
    "lag_months",
}


def _link(report, outcome: str, method: str):  # type: ignore[no-untyped-def]
    found = [lk for lk in report.links if lk.outcome == outcome and lk.method == method]
    assert len(found) == 1, (outcome, method)
    return found[0]


@pytest.fixture(scope="module")
def planted():  # type: ignore[no-untyped-def]
    data, answers = synthetic_org(
        1,
        units=50,
        months=10,
        effects=Planted(csat=0.6, retention_log_odds=0.25, leave_log_hazard=-0.5),
        small_units=4,
    )
    return build_report(data), data, answers


def test_planted_effects_are_recovered_with_the_right_sign(planted) -> None:  # type: ignore[no-untyped-def]
    report, _, _ = planted
    csat = _link(report, "csat", "pearson")
    assert csat.estimate > 0.3 and csat.ci_low > 0 and csat.p_adjusted < 0.05
    glm = _link(report, "client_retention", "binomial_glm")
    assert glm.estimate > 1 and glm.ci_low > 1
    cox = _link(report, "staff_retention", "cox")
    assert cox.estimate < 1 and cox.ci_high < 1
    gap = _link(report, "csat", "quartile_gap")
    assert gap.estimate > 0 and gap.ci_low > 0


def test_every_contract_method_is_present(planted) -> None:  # type: ignore[no-untyped-def]
    report, _, _ = planted
    assert {lk.method for lk in report.links} == set(METHODS)
    assert {lk.outcome for lk in report.links} == {
        "client_retention",
        "csat",
        "revenue",
        "staff_retention",
        "staff_turnover",
    }


def test_units_below_the_minimum_group_size_are_left_out(planted) -> None:  # type: ignore[no-untyped-def]
    report, data, _ = planted
    small = data.cells[data.cells["n"] < data.cells["k"]]
    assert len(small) == 4 * 10 and report.cells_below_threshold == 40
    assert (report.analysis_cells["n"] >= 5).all()
    assert set(report.analysis_units["unit"]) == set(range(4, 50))
    assert all(lk.n_units <= 46 for lk in report.links)
    assert _link(report, "csat", "pearson").n_units == 46  # n is units, never respondents


def test_aggregation_matches_the_respondent_level_data(planted) -> None:  # type: ignore[no-untyped-def]
    report, _, answers = planted
    from reports.stats.psychometrics import cronbach_alpha, icc_oneway

    items = [c for c in answers.columns if c.startswith("E")]
    kept = answers[answers["unit"] >= 4]  # units 0-3 never reach k: not even alpha sees them
    assert report.aggregation.alpha == pytest.approx(cronbach_alpha(kept[items]), rel=1e-9)
    assert report.aggregation.alpha_respondents == len(kept)
    # ICC wave by wave (each wave's respondents are distinct people), then the median.
    per_wave = [
        icc_oneway(wave[items].mean(axis=1), wave["unit"]) for _, wave in kept.groupby("month")
    ]
    assert report.aggregation.icc1 == pytest.approx(np.median([w.icc1 for w in per_wave]))
    assert report.aggregation.icc2 == pytest.approx(np.median([w.icc2 for w in per_wave]))
    assert report.aggregation.waves == 10
    assert 0 < report.aggregation.rwg_j_median <= 1


def test_p_adjusted_is_benjamini_hochberg_over_all_tests(planted) -> None:  # type: ignore[no-untyped-def]
    report, _, _ = planted
    from statsmodels.stats.multitest import multipletests

    from reports.stats.linkage import DESCRIPTIVE

    tested = [
        lk
        for lk in report.links
        if lk.method != "pearson_corrected"
        and lk.method not in DESCRIPTIVE
        and not math.isnan(lk.p_value)
    ]
    # one primary test per outcome across units (pearson); the others only describe it
    for lk in report.links:
        if lk.method in DESCRIPTIVE:
            assert math.isnan(lk.p_adjusted) and lk.p_value == lk.p_value
    expected = multipletests([lk.p_value for lk in tested], method="fdr_bh")[1]
    assert [lk.p_adjusted for lk in tested] == pytest.approx(list(expected))
    for lk in report.links:
        if lk.method == "pearson_corrected":
            assert lk.p_adjusted == _link(report, lk.outcome, "pearson").p_adjusted


def test_json_contract_has_the_promised_fields_and_no_nan(planted) -> None:  # type: ignore[no-untyped-def]
    report, _, _ = planted
    body = linkage_json(report, {"organisation": "Synthetic"})
    text = json.dumps(body, allow_nan=False)
    parsed = json.loads(text)
    assert {"links", "aggregation"} <= parsed.keys()
    for link in parsed["links"]:
        assert link.keys() >= CONTRACT_KEYS
    assert {"alpha", "icc1", "icc2", "rwg_j_median"} <= parsed["aggregation"].keys()
    assert parsed["versions"]["statsmodels"]


def test_null_organisations_stay_unremarkable_after_adjustment() -> None:
    seeds = range(20)
    clean = 0
    for seed in seeds:
        data, _ = synthetic_org(100 + seed, units=30, months=6, respondents=6, reps=200)
        report = build_report(data)
        adjusted = [lk.p_adjusted for lk in report.links if not math.isnan(lk.p_adjusted)]
        assert adjusted, "the null report must still test something"
        clean += all(p > 0.05 for p in adjusted)
    assert clean >= 18, f"only {clean} of 20 null organisations had no adjusted p ≤ 0.05"


def test_too_few_units_warns_in_plain_words() -> None:
    data, _ = synthetic_org(5, units=10, months=4, respondents=6, reps=100)
    report = build_report(data)
    assert any("with 10 units" in w for w in report.warnings)
    assert all(np.isfinite(o.min_detectable_r) for o in report.outcomes)


def test_an_outcome_at_two_levels_is_analysed_at_the_lowest_only() -> None:
    data, _ = synthetic_org(7, units=30, months=4, respondents=6, reps=100)
    # Unit 100 is a region containing units 0-9 and reports csat too.
    region = data.cells[data.cells["unit"] < 10].groupby("month", as_index=False).sum()
    region["unit"], region["k"] = 100, 5
    cells = pd.concat([data.cells, region], ignore_index=True)
    csat = data.outcomes[data.outcomes["metric"] == "csat"]
    region_csat = (
        csat[csat["unit"] < 10].groupby(["month", "metric"], as_index=False)["value"].mean()
    )
    region_csat["unit"], region_csat["n"] = 100, 400
    outcomes = pd.concat([data.outcomes, region_csat], ignore_index=True)
    ancestors = {u: frozenset({u, 100}) if u < 10 else frozenset({u}) for u in range(30)}
    ancestors[100] = frozenset({100})
    report = build_report(replace(data, cells=cells, outcomes=outcomes, ancestors=ancestors))
    pearson = next(lk for lk in report.links if lk.outcome == "csat" and lk.method == "pearson")
    assert pearson.n_units == 30
    assert any("csat: 1 units that contain other units" in w for w in report.warnings)
