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
from reports.stats.training_effect import LEAD_MONTHS

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
    since = [
        (pd.Period(m, freq="M") - start[u]).n if u in start else None
        for u, m in zip(frame["unit_code"], frame["month"], strict=True)
    ]
    frame["post"] = [s is not None and s >= 0 for s in since]
    frame["control"] = [s is None or s < -LEAD_MONTHS for s in since]
    # the imputation by hand: dummies fitted on untrained rows, predicted on trained months
    fit = smf.ols("engagement ~ C(unit_code) + C(month)", data=frame[frame["control"]]).fit()
    trained = frame[frame["post"]]
    expected = float((trained["engagement"] - fit.predict(trained)).mean())
    effect = _effect(run, "recognising-good-work", "engagement")
    assert effect["estimate"] == pytest.approx(expected, abs=1e-8)
    assert effect["event_study"][0]["months_since_training"] == -LEAD_MONTHS
    assert effect["n_treated_units"] == len(start)
    assert effect["n_units"] == frame["unit_code"].nunique()


async def test_the_planted_effect_is_found_and_the_null_one_is_not(run: LinkageRun) -> None:
    planted = _effect(run, "recognising-good-work", "engagement")
    assert planted["ci_low"] > 0  # the demo planted +0.6 or so on the latent scale
    assert planted["p_adjusted"] < 0.05
    null = _effect(run, "follow-up-calls", "engagement")
    assert null["ci_low"] < 0 < null["ci_high"] or null["pre_trend_p_value"] < 0.05
    for effect in run.body["training_effects"]:
        assert effect["method"] == "did_imputation"
        assert 0 <= effect["p_adjusted"] <= 1 and effect["p_adjusted"] >= effect["p_value"]


async def test_training_effects_share_the_reports_multiple_testing(run: LinkageRun) -> None:
    from reports.stats.linkage import DESCRIPTIVE
    from reports.stats.multiplicity import benjamini_hochberg

    tested = [
        link
        for link in run.body["links"]
        if link["method"] != "pearson_corrected" and link["method"] not in DESCRIPTIVE
    ]
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
    did = [r for r in rows if r["method"] == "did_imputation"]
    assert len(did) == len(run.body["training_effects"])
    planted = next(
        r for r in did if r["module"] == "recognising-good-work" and r["outcome"] == "engagement"
    )
    assert float(planted["estimate"]) == pytest.approx(  # 6 significant digits in the CSV
        _effect(run, "recognising-good-work", "engagement")["estimate"], rel=1e-5
    )
    assert all(r["module"] == "" for r in rows if r["method"] != "did_imputation")


async def test_the_demo_separates_lasting_differences_from_month_to_month_links(
    run: LinkageRun,
) -> None:
    """The demo's csat has a lasting location effect that goes with usual engagement, and a
    small month-to-month nudge: the between-units estimate carries the first, the
    within-unit one only the second (about 0.035 per SD of location-month engagement)."""
    links = {(lk["outcome"], lk["method"]): lk for lk in run.body["links"]}
    within, between = links[("csat", "within_unit")], links[("csat", "between_units")]
    assert between["estimate"] > 3 * within["estimate"] > 0


async def test_the_demo_training_effect_shows_in_its_event_study(run: LinkageRun) -> None:
    """Planted from the training month on (more for earlier cohorts, growing): the months
    before training stay below every month after it."""
    effect = _effect(run, "recognising-good-work", "engagement")
    event = {e["months_since_training"]: e for e in effect["event_study"]}
    leads = [event[k]["estimate"] for k in (-3, -2, -1)]
    after = [e["estimate"] for k, e in event.items() if k >= 0]
    assert len(after) >= 5
    assert min(after) > max(leads) + 0.2
    assert effect["pre_trend_estimate"] == pytest.approx(sum(leads) / 3, abs=0.05)
