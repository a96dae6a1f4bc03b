"""The report's sentences and charts say what the numbers say, and nothing more."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import plotly.io as pio
import pytest

from reports.charts import disjoint_units, report_charts, scatter
from reports.stats.linkage import Link, build_report
from reports.summary import heading, tell
from tests.synthetic import Planted, synthetic_org


@pytest.fixture(scope="module")
def report():  # type: ignore[no-untyped-def]
    data, _ = synthetic_org(2, units=40, months=6, effects=Planted(csat=0.8), reps=200)
    return build_report(data)


def test_a_clear_link_is_called_clear_and_carries_its_interval(report) -> None:  # type: ignore[no-untyped-def]
    stories = {s.outcome: s for s in tell(report)}
    csat = stories["csat"]
    assert csat.clear
    pearson = next(lk for lk in report.links if lk.outcome == "csat" and lk.method == "pearson")
    text = " ".join(csat.sentences)
    assert f"r = {pearson.estimate:.2f}" in text
    assert f"95% CI {pearson.ci_low:.2f} to {pearson.ci_high:.2f}" in text
    assert (
        "a clear association after allowing for the" in text and f"{pearson.n_units} units" in text
    )


def test_a_link_that_is_not_clear_is_never_called_clear(report) -> None:  # type: ignore[no-untyped-def]
    for story in tell(report):
        for sentence in story.sentences:
            if ": a clear link" in sentence or ": a clear association" in sentence:
                tail = sentence.rsplit("(adjusted p ", 1)[1]
                assert tail.startswith("< 0.001") or float(tail[2:].rstrip(").")) < 0.05
    revenue = next(s for s in tell(report) if s.outcome == "revenue")
    assert not revenue.clear


def test_a_sentence_never_claims_a_number_it_does_not_have() -> None:
    nan = float("nan")
    failed = Link("csat", "pearson", nan, nan, nan, nan, nan, 3, 3, 0, "", "", ("only 3 units",))
    data, _ = synthetic_org(3, units=10, months=3, reps=100)
    report = replace(build_report(data), links=(failed,))
    (story,) = tell(report)
    assert story.sentences == ("No correlation could be computed: only 3 units.",)
    assert not story.clear


def test_headings_keep_acronyms() -> None:
    assert heading("nps") == "NPS"
    assert heading("csat").startswith("Client satisfaction")
    assert heading("footfall") == "Footfall"


def test_charts_are_json_and_show_only_disjoint_units(report) -> None:  # type: ignore[no-untyped-def]
    names = {u: f"Unit {u}" for u in range(40)}
    # Pretend unit 0 contains units 1 and 2: its point must not be drawn beside theirs.
    ancestors = {1: frozenset({0, 1}), 2: frozenset({0, 2})}
    charts = report_charts(report, names, ancestors)
    assert {"forest-correlations", "forest-ratios", "scatter-csat", "quartiles-csat"} <= set(charts)
    json.loads(charts["scatter-csat"])  # plain JSON for Plotly.newPlot
    points = pio.from_json(charts["scatter-csat"]).data[-1]
    assert "Unit 0" not in points.text and "Unit 1" in points.text
    assert len(points.text) == len(report.analysis_units) - 1
    assert disjoint_units([0, 1, 2, 3], ancestors) == {1, 2, 3}


def test_scatter_band_is_the_least_squares_fit(report) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    figure = scatter(report, "csat", {})
    assert figure is not None
    rows = report.analysis_units[["engagement", "csat"]].dropna()
    slope, intercept = np.polyfit(rows["engagement"], rows["csat"], 1)
    line = figure.data[1]
    assert math.isclose(line.y[0], intercept + slope * line.x[0], rel_tol=1e-9)
