"""The linkage report's input — the waves' publications — against the raw rows.

Responses go in through the real history import (which publishes each wave); client
metrics as rows. What the publication sums for a shown unit must equal pandas on the
respondent-level data, on SQLite and PostgreSQL; a withheld unit carries no sums at all.
"""

from __future__ import annotations

import json
import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from engage.db.tables import ClientMetric, Unit
from engage.reporting.linkage import linkage_report, to_csv
from engage.reporting.linkage_data import load_linkage_input
from engage.survey.history_import import import_responses
from reports.stats.linkage import alpha_moments
from reports.stats.psychometrics import alpha_from_variances, cronbach_alpha
from surveys.items import ENGAGEMENT_CODES
from tests.factories import build_small_org

pytestmark = pytest.mark.db

HEADER = "wave,unit_id,respondent," + ",".join(ENGAGEMENT_CODES) + ",ENPS,comment"
#: respondents per team and wave (the first of each has no score): Hilltop (L2, T3) stays
#: below k = 5, and Riverside (L1 = T1 + T2) is withheld by the gate because North (R1)
#: minus Riverside would be Hilltop's two scored respondents. Harbour (L3, T4) is shown.
SIZES = {"T1": 4, "T2": 3, "T3": 3, "T4": 6}
WAVES = ("2025-01-15", "2025-02-15")
LOCATION = {"T1": "L1", "T2": "L1", "T3": "L2", "T4": "L3"}


def _responses() -> pd.DataFrame:
    rng = np.random.default_rng(42)
    rows = []
    for wave in WAVES:
        for team, size in SIZES.items():
            for r in range(size):
                values: list[float] = list(rng.integers(1, 6, 12).astype(float))
                if r == 0:
                    values[7:] = [np.nan] * 5  # 7 of 12 answered: no score
                elif r == 1:
                    values[8:] = [np.nan] * 4  # 8 of 12: exactly two thirds, scored
                rows.append((wave, team, f"{team}-{r}", *values, int(rng.integers(0, 11))))
    return pd.DataFrame(rows, columns=["wave", "team", "respondent", *ENGAGEMENT_CODES, "enps"])


def _csv(frame: pd.DataFrame) -> bytes:
    lines = [HEADER]
    for rec in frame.itertuples(index=False):
        values = ["" if np.isnan(v) else str(int(v)) for v in rec[3:15]]
        lines.append(",".join([rec.wave, rec.team, rec.respondent, *values, str(rec.enps), ""]))
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture(scope="module")
async def seeded(db: str) -> pd.DataFrame:
    await build_small_org()
    frame = _responses()
    await import_responses(_csv(frame))
    units = {r["code"]: r["id"] for r in await Unit.select(Unit.id, Unit.code).run()}
    for code in ("L1", "L2", "L3"):
        for month in (1, 2, 3):
            await ClientMetric.insert(
                ClientMetric(
                    unit=units[code],
                    month=date(2025, month, 1),
                    metric="csat",
                    value=4.0 + month / 10,
                    n=30,
                )
            ).run()
    return frame


def _expected_cells(frame: pd.DataFrame) -> pd.DataFrame:
    items = frame[list(ENGAGEMENT_CODES)]
    answered = items.notna().sum(axis=1)
    scored = frame[answered >= 8].copy()
    scored_items = scored[list(ENGAGEMENT_CODES)]
    scored["score"] = scored_items.mean(axis=1)
    scored["fav"] = (scored_items >= 4).sum(axis=1)
    scored["answered"] = scored_items.notna().sum(axis=1)
    scored["unit"] = scored["team"].map(LOCATION)
    grouped = scored.groupby(["unit", "wave"])
    out = pd.DataFrame(
        {
            "n": grouped.size(),
            "score_sum": grouped["score"].sum(),
            "score_sq_sum": grouped["score"].apply(lambda s: (s**2).sum()),
            "favourable": grouped["fav"].sum(),
            "answered": grouped["answered"].sum(),
        }
    )
    return out


async def test_published_sums_equal_the_raw_rows(seeded: pd.DataFrame) -> None:
    data, units = await load_linkage_input(date(2025, 6, 1))
    expected = _expected_cells(seeded).loc[["L3"]]  # Harbour: the one unit shown
    cells = data.cells.copy()
    cells["code"] = cells["unit"].map(units.code)
    cells["wave"] = cells["month"].map(lambda p: f"{p}-15")
    got = cells.set_index(["code", "wave"])[list(expected.columns)].sort_index()
    pd.testing.assert_frame_equal(
        got.loc[["L3"]].astype(float),
        expected.sort_index().astype(float),
        check_names=False,
        rtol=1e-12,
    )
    assert set(cells["code"]) == {"L1", "L2", "L3"}
    assert (cells["k"] == 5).all()
    withheld = cells[cells["code"] != "L3"]
    assert (withheld["withheld"] == 1).all() and (withheld["n"] == 0).all()


async def test_enps_and_item_sums(seeded: pd.DataFrame) -> None:
    # One respondent set: eNPS and items count Harbour's scored respondents only.
    data, units = await load_linkage_input(date(2025, 6, 1))
    cells = data.cells.assign(code=data.cells["unit"].map(units.code))
    l3 = seeded[seeded["team"] == "T4"]
    first = cells[(cells["code"] == "L3") & (cells["month"] == pd.Period("2025-01", "M"))].iloc[0]
    wave = l3[l3["wave"] == "2025-01-15"]
    wave = wave[wave[list(ENGAGEMENT_CODES)].notna().sum(axis=1) >= 8]
    assert first["enps_n"] == len(wave)
    assert first["promoters"] == (wave["enps"] >= 9).sum()
    assert first["detractors"] == (wave["enps"] <= 6).sum()
    items = data.item_cells.assign(code=data.item_cells["unit"].map(units.code))
    january = items[(items["code"] == "L3") & (items["month"] == pd.Period("2025-01", "M"))]
    published = set(january["item"])
    for code in ENGAGEMENT_CODES:
        column = wave[code].dropna()
        if len(column) < 5:  # answered by fewer than k: withheld on its own
            assert code not in published
            continue
        row = january[january["item"] == code].iloc[0]
        assert (row["n"], row["total"], row["sq_total"]) == (
            len(column),
            column.sum(),
            (column**2).sum(),
        )
    assert published  # some items are there to compare


async def test_alpha_moments_are_those_of_complete_responses(seeded: pd.DataFrame) -> None:
    data, _ = await load_linkage_input(date(2025, 6, 1))
    moments = alpha_moments(data.cells)
    assert moments is not None
    complete = seeded[seeded["team"] == "T4"][list(ENGAGEMENT_CODES)].dropna()
    assert moments.n == len(complete)
    assert alpha_from_variances(moments.item_variances, moments.total_variance) == pytest.approx(
        cronbach_alpha(complete.to_numpy()), rel=1e-10
    )


async def test_alpha_in_the_report_never_sees_a_unit_below_k(seeded: pd.DataFrame) -> None:
    report, body = await linkage_report(date(2025, 6, 1), bootstrap_reps=200)
    shown = seeded[seeded["team"] == "T4"]  # only Harbour passes the gate
    complete = shown[list(ENGAGEMENT_CODES)].dropna()
    assert report.aggregation.alpha_respondents == len(complete)
    assert report.aggregation.alpha == pytest.approx(cronbach_alpha(complete.to_numpy()), rel=1e-10)
    scored = (shown[list(ENGAGEMENT_CODES)].notna().sum(axis=1) >= 8).sum()
    assert report.aggregation.n_respondents == scored
    # the report gives no respondent count: equal to the invited, it says everyone answered
    assert not {"n_respondents", "alpha_respondents", "mean_unit_size"} & body["aggregation"].keys()


async def test_people_map_to_their_nearest_analysis_unit(seeded: pd.DataFrame) -> None:
    data, units = await load_linkage_input(date(2025, 6, 1))
    codes = set(data.people["unit"].map(units.code))
    assert codes == {"L1", "L2", "L3"}  # ROOT and region staff have no analysis unit
    assert data.aggregation_units == frozenset(
        i for i, c in units.code.items() if c in {"L1", "L2", "L3"}
    )


async def test_report_leaves_small_units_out_and_never_emits_nan(seeded: pd.DataFrame) -> None:
    report, body = await linkage_report(date(2025, 6, 1), bootstrap_reps=200)
    # Hilltop (below k) and Riverside (withheld by the gate) in both waves: left out
    # before anything was computed, and counted.
    assert report.cells_below_threshold == 4
    assert len(report.analysis_units) == 1
    json.dumps(body, allow_nan=False)
    csat = next(lk for lk in body["links"] if lk["outcome"] == "csat" and lk["method"] == "pearson")
    assert csat["estimate"] is None and csat["warnings"]  # 1 unit: says why, no number
    assert all(lk["n_units"] <= 1 for lk in body["links"])
    lines = to_csv(body).splitlines()
    assert lines[0].startswith("outcome,method,estimate,ci_low,ci_high,p_value,p_adjusted,n_units")
    assert len(lines) == len(body["links"]) + 1
    assert not any(math.isnan(x) for x in [report.aggregation.alpha])
