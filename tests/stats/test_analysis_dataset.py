"""The analysis data set on a synthetic organisation: exactly what the report's models used."""

from __future__ import annotations

import pandas as pd
import pytest
from scipy import stats

from reports.stats.linkage import (
    AnalysisDataset,
    LinkageReport,
    _dataset_columns,
    analysis_dataset,
    build_report,
)
from reports.stats.panel import lagged_links
from reports.stats.retention import binomial_retention
from tests.synthetic import Planted, synthetic_org


@pytest.fixture(scope="module")
def planted() -> tuple[LinkageReport, AnalysisDataset]:
    data, _ = synthetic_org(
        4,
        units=30,
        months=6,
        effects=Planted(csat=0.5, retention_log_odds=0.2, leave_log_hazard=-0.3),
        small_units=3,
    )
    return build_report(data), analysis_dataset(data)


def test_score_rows_are_the_reports_cells(planted: tuple[LinkageReport, AnalysisDataset]) -> None:
    report, dataset = planted
    scored = dataset.frame.dropna(subset=["engagement"])
    cells = report.analysis_cells
    assert len(scored) == len(cells) and (cells["n"] >= 5).all()
    got = scored.set_index(["unit", "month"])["engagement"].sort_index()
    want = cells.set_index(["unit", "month"]).sort_index()
    assert (got.to_numpy() == want["engagement"].to_numpy()).all()
    # the figures as the dashboards show them, computed from the sums independently
    exact = want["score_sum"] / want["n"]
    assert (got.to_numpy() == exact.round(2).to_numpy()).all()
    assert set(dataset.frame["unit"]) == set(report.analysis_units["unit"])  # small units: none


def test_no_respondent_count_and_no_unrounded_score(
    planted: tuple[LinkageReport, AnalysisDataset],
) -> None:
    """A count (or a mean with the count in its denominator) equal to the invited would say
    that everyone answered: the data set carries neither."""
    _, dataset = planted
    assert not {"n", "n_respondents", "respondents"} & set(dataset.frame.columns)
    for column, places in {"engagement": 2, "pct_favourable": 0, "enps": 0}.items():
        values = dataset.frame[column].dropna()
        assert len(values) and (values == values.round(places)).all(), column


def test_every_correlation_refits_from_the_rows(
    planted: tuple[LinkageReport, AnalysisDataset],
) -> None:
    report, dataset = planted
    frame = dataset.frame
    scored = frame.dropna(subset=["engagement"])
    engagement = scored.groupby("unit")["engagement"].mean()
    assert set(dataset.columns) == {"client_retention", "csat", "revenue", "staff_turnover"}
    for name, (value, n) in dataset.columns.items():
        rows = frame.dropna(subset=[value])
        if n is not None and rows[n].notna().all() and (rows[n] > 0).all():
            outcome = (rows[value] * rows[n]).groupby(rows["unit"]).sum() / rows.groupby("unit")[
                n
            ].sum()
        else:
            outcome = rows.groupby("unit")[value].mean()
        both = pd.concat([engagement, outcome], axis=1, join="inner").dropna()
        link = next(lk for lk in report.links if lk.outcome == name and lk.method == "pearson")
        assert link.n_units == len(both)
        r = stats.pearsonr(both.iloc[:, 0], both.iloc[:, 1]).statistic
        assert float(r) == pytest.approx(link.estimate, rel=1e-9), name
        rho = stats.spearmanr(both.iloc[:, 0], both.iloc[:, 1]).statistic
        spearman = next(lk for lk in report.links if lk.outcome == name and lk.method == "spearman")
        assert float(rho) == pytest.approx(spearman.estimate, rel=1e-9), name


def test_clashing_metric_names_get_their_own_columns() -> None:
    columns = _dataset_columns(
        ["csat", "csat_n", "engagement", "enps"],
        {"csat": True, "csat_n": False, "engagement": True, "enps": False},
    )
    assert columns == {
        "csat": ("csat", "csat_n"),
        "csat_n": ("outcome_csat_n", None),
        "engagement": ("outcome_engagement", "outcome_engagement_n"),
        "enps": ("outcome_enps", None),
    }


def test_the_panel_and_glm_refit_from_the_rows(
    planted: tuple[LinkageReport, AnalysisDataset],
) -> None:
    report, dataset = planted
    frame = dataset.frame
    links = {(lk.outcome, lk.method): lk for lk in report.links}
    panel = frame[["unit", "month", "engagement", "csat"]].rename(columns={"csat": "outcome"})
    within, between = lagged_links(panel.dropna(subset=["outcome"]), seed=20261123)
    for method, refit in (("within_unit", within), ("between_units", between)):
        assert refit.estimate == pytest.approx(links[("csat", method)].estimate, rel=1e-9)
        assert refit.n_obs == links[("csat", method)].n_obs
    # "per SD of engagement": the SD over every row with a score
    sd = float(frame["engagement"].dropna().std())
    assert sd == pytest.approx(report.engagement_sd, rel=1e-12)
    rows = frame.dropna(subset=["engagement", "client_retention", "client_retention_n"])
    glm = binomial_retention(
        rows.assign(
            at_risk=rows["client_retention_n"],
            returned=(rows["client_retention"] * rows["client_retention_n"]).round(),
        ),
        engagement_sd=sd,
        seed=20261123,
    )
    expected = links[("client_retention", "binomial_glm")]
    assert glm.estimate == pytest.approx(expected.estimate, rel=1e-9)
    assert glm.p_value == expected.p_value
    # below 30 units the interval inverts a bootstrap test whose p-value is a step function:
    # rows rounded for the export move its ends by a hair of a step
    assert (glm.ci_low, glm.ci_high) == pytest.approx((expected.ci_low, expected.ci_high), rel=0.01)
