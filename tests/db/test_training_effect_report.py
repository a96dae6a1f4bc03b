"""The HR report's training effects on the demo, against statsmodels on the exported data."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pandas as pd
import pytest
import statsmodels.formula.api as smf

from engage import clock
from engage.demo import seed_demo
from engage.demo_training import TRAINED_LOCATIONS, training_month
from engage.reporting.linkage import LinkageRun, analysis_data, linkage_report

pytestmark = pytest.mark.db

#: The demo's history is generated back from "today": these tests see the demo of this day,
#: whatever day the suite runs on (or is pinned to with ENGAGE_TEST_TODAY).
DEMO_DAY = date(2026, 11, 24)


@pytest.fixture(scope="module")
async def run(db: str) -> AsyncIterator[LinkageRun]:
    with clock.pinned(DEMO_DAY):
        await seed_demo()
        yield await linkage_report(bootstrap_reps=200)


def _effect(run: LinkageRun, module: str, outcome: str) -> dict[str, object]:
    return next(
        e for e in run.body["training_effects"] if e["module"] == module and e["outcome"] == outcome
    )


async def test_the_engagement_effect_matches_a_dummy_regression(run: LinkageRun) -> None:
    data = await analysis_data()
    frame = data.frame.dropna(subset=["engagement"])
    other_module = {
        loc for loc, (module, _) in TRAINED_LOCATIONS.items() if module != "recognising-good-work"
    }
    frame = frame[
        frame["unit_code"].str.startswith("L-") & ~frame["unit_code"].isin(other_module)
    ].copy()
    today = pd.Timestamp(run.body["as_of"]).date()
    start = {
        loc: pd.Period(training_month(today, ago), freq="M")
        for loc, (module, ago) in TRAINED_LOCATIONS.items()
        if module == "recognising-good-work"
    }
    frame["D"] = [
        float(u in start and pd.Period(m, freq="M") >= start[u])
        for u, m in zip(frame["unit_code"], frame["month"], strict=True)
    ]
    fit = smf.ols("engagement ~ D + C(unit_code) + C(month)", data=frame).fit()
    effect = _effect(run, "recognising-good-work", "engagement")
    assert effect["estimate"] == pytest.approx(fit.params["D"], abs=1e-8)
    assert effect["n_treated_units"] == len(start)
    assert effect["n_units"] == frame["unit_code"].nunique()


async def test_the_planted_effect_is_found_and_the_null_one_is_not(run: LinkageRun) -> None:
    planted = _effect(run, "recognising-good-work", "engagement")
    assert planted["ci_low"] > 0  # the demo planted +0.45 on the latent scale
    assert planted["p_adjusted"] < 0.05
    null = _effect(run, "follow-up-calls", "engagement")
    assert null["ci_low"] < 0 < null["ci_high"] or null["pre_trend_p_value"] < 0.05
    for effect in run.body["training_effects"]:
        assert effect["method"] == "did_twfe"
        assert 0 <= effect["p_adjusted"] <= 1 and effect["p_adjusted"] >= effect["p_value"]


async def test_training_effects_share_the_reports_multiple_testing(run: LinkageRun) -> None:
    from reports.stats.multiplicity import benjamini_hochberg

    tested = [link for link in run.body["links"] if link["method"] != "pearson_corrected"]
    p = [link["p_value"] for link in tested] + [e["p_value"] for e in run.body["training_effects"]]
    p = [float("nan") if v is None else v for v in p]
    expected = benjamini_hochberg(p)[len(tested) :]
    got = [e["p_adjusted"] for e in run.body["training_effects"]]
    assert got == pytest.approx(list(expected))


async def test_the_api_and_the_csv_carry_the_training_effects(run: LinkageRun) -> None:
    import csv
    import io

    import msgspec

    from engage.reporting.linkage import to_csv
    from engage.web.controllers.reports_api import LinkageOut

    api = msgspec.convert(run.body, LinkageOut)
    assert {e.module for e in api.training_effects} == {
        "recognising-good-work",
        "follow-up-calls",
    }
    rows = list(csv.DictReader(io.StringIO(to_csv(run.body))))
    did = [r for r in rows if r["method"] == "did_twfe"]
    assert len(did) == len(run.body["training_effects"])
    planted = next(
        r for r in did if r["module"] == "recognising-good-work" and r["outcome"] == "engagement"
    )
    assert float(planted["estimate"]) == pytest.approx(
        _effect(run, "recognising-good-work", "engagement")["estimate"]
    )
    assert all(r["module"] == "" for r in rows if r["method"] != "did_twfe")
