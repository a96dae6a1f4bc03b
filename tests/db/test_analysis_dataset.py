"""The linkage report's analysis data set: the numbers the models used, and nothing smaller.

An organisation built to break it goes in through the real imports, on SQLite and
PostgreSQL: a location below k (Lakeside), one withheld because its siblings' remainder
would be below k (Riverside: North minus Riverside and Hilltop is Lakeside's 2), a location
below k in one month only (Ridge in February, which also hides Vale then), a region with the
same outcome as its locations (North), and eNPS that only differencing could give away
(North minus Hilltop is 3 people who answered it). None of it may show; what shows must
re-fit to the report's own estimates.
"""

from __future__ import annotations

import io
import math
from datetime import date

import numpy as np
import pandas as pd
import pytest
from litestar.testing import AsyncTestClient
from scipy import stats

from engage.app import create_app
from engage.auth.accounts import set_password
from engage.db.tables import ClientMetric, Unit
from engage.org.roster_import import import_roster
from engage.org.units_import import import_units
from engage.reporting.linkage import analysis_data, dataset_csv, dataset_json, linkage_report
from engage.reporting.linkage_data import ENPS_COLUMNS, SCORE_COLUMNS, published_cells
from engage.reporting.report_store import refresh_linkage
from engage.survey.history_import import import_responses
from reports.stats.linkage import ALPHA_COLUMNS, gate_cells
from surveys.items import ENGAGEMENT_CODES
from tests.factories import PASSWORD, login, roster_csv, units_csv

pytestmark = pytest.mark.db

K = 5
AS_OF = date(2025, 6, 1)
UNITS = units_csv(
    ("ROOT", "Acme Clinics", ""),
    ("R1", "North", "ROOT"),
    ("R2", "South", "ROOT"),
    ("R3", "East", "ROOT"),
    ("L1", "Riverside", "R1"),
    ("L2", "Hilltop", "R1"),
    ("L3", "Lakeside", "R1"),
    ("L4", "Harbour", "R2"),
    ("L5", "Bay", "R2"),
    ("L6", "Cove", "R2"),
    ("L7", "Ridge", "R3"),
    ("L8", "Vale", "R3"),
)
PARENT = {"L1": "R1", "L2": "R1", "L3": "R1", "L4": "R2", "L5": "R2", "L6": "R2"}
PARENT |= {"L7": "R3", "L8": "R3", "R1": "ROOT", "R2": "ROOT", "R3": "ROOT"}
ROSTER = roster_csv(
    ("P1", "", "Pat One", "L2", "employee", "en", "2020-01-01", ""),
    ("P2", "", "Pia Two", "L2", "employee", "en", "2020-01-01", ""),
    ("P3", "", "Paz Three", "L4", "employee", "en", "2020-01-01", "2025-01-20"),
    ("P4", "", "Poe Four", "L4", "employee", "en", "2020-01-01", ""),
    ("P5", "", "Pam Five", "L5", "employee", "en", "2020-01-01", ""),
    ("P6", "", "Per Six", "R1", "manager", "en", "2020-01-01", ""),
    ("P7", "", "Pol Seven", "L1", "employee", "en", "2020-01-01", ""),
    ("H1", "hr@east.test", "Hana HR", "ROOT", "hr", "en", "2020-01-01", ""),
    ("M2", "hilltop@east.test", "Mo Hilltop", "L2", "manager", "en", "2020-01-01", ""),
)
WAVES = {"2025-01": "2025-01-15", "2025-02": "2025-02-15"}
#: month → location → (scored respondents, how many of them answer eNPS, eNPS-only responses)
SIZES = {
    "2025-01": {
        "L1": (6, 1, 0),
        "L2": (7, 7, 0),
        "L3": (2, 1, 1),
        "L4": (5, 5, 0),
        "L5": (8, 8, 0),
        "L6": (9, 9, 0),
        "L7": (6, 6, 0),
        "L8": (5, 5, 0),
    },
}
SIZES["2025-02"] = {**SIZES["2025-01"], "L7": (4, 4, 0)}
EFFECT = {"L1": 0.2, "L2": 0.5, "L3": -0.4, "L4": -0.6, "L5": 0.1, "L6": 0.8, "L7": -0.2}
EFFECT["L8"] = 0.3
MONTHS = (1, 2, 3)


def _descendants(code: str) -> set[str]:
    """Units below ``code`` (not itself)."""
    below = {c for c, p in PARENT.items() if p == code}
    return below.union(*(_descendants(c) for c in below))


def _responses() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    rows = []
    for month, units in SIZES.items():
        for unit, (scored, with_enps, enps_only) in units.items():
            for r in range(scored + enps_only):
                person = 3.3 + EFFECT[unit] + rng.normal(0, 0.5)
                if r < scored:
                    values = np.clip(np.rint(person + rng.normal(0, 0.6, 12)), 1, 5)
                else:
                    values = np.full(12, np.nan)
                enps = float(rng.integers(0, 11)) if r < with_enps or r >= scored else np.nan
                rows.append((WAVES[month], month, unit, f"{unit}-{month}-{r}", *values, enps))
    columns = ["wave", "month", "unit", "respondent", *ENGAGEMENT_CODES, "enps"]
    return pd.DataFrame(rows, columns=columns)


def _csv(frame: pd.DataFrame) -> bytes:
    header = "wave,unit_id,respondent," + ",".join(ENGAGEMENT_CODES) + ",ENPS,comment"
    lines = [header]
    for rec in frame.itertuples(index=False):
        values = ["" if np.isnan(v) else str(int(v)) for v in rec[4:16]]
        enps = "" if np.isnan(rec.enps) else str(int(rec.enps))
        lines.append(",".join([rec.wave, rec.unit, rec.respondent, *values, enps, ""]))
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture(scope="module")
async def seeded(db: str) -> pd.DataFrame:
    await import_units(UNITS)
    await import_roster(ROSTER)
    frame = _responses()
    await import_responses(_csv(frame))
    ids = {r["code"]: r["id"] for r in await Unit.select(Unit.id, Unit.code).run()}
    rng = np.random.default_rng(5)
    metrics = []
    for code in ("R1", *EFFECT):
        for month in MONTHS:
            csat = 4.0 + 0.4 * EFFECT.get(code, 0.0) + rng.normal(0, 0.1)
            n = int(rng.integers(20, 80))
            metrics.append(
                ClientMetric(
                    unit=ids[code], month=date(2025, month, 1), metric="csat", value=csat, n=n
                )
            )
            if code != "R1":
                revenue = 1000 + 300 * EFFECT[code] + rng.normal(0, 50)
                metrics.append(
                    ClientMetric(
                        unit=ids[code],
                        month=date(2025, month, 1),
                        metric="revenue",
                        value=revenue,
                        n=None,
                    )
                )
    await ClientMetric.insert(*metrics).run()
    return frame


async def _rows() -> pd.DataFrame:
    """The CSV download, read back as a reader would."""
    text = dataset_csv(await analysis_data(AS_OF))
    return pd.read_csv(io.StringIO(text), dtype={"month": str})


async def test_columns_and_no_person_level_data(seeded: pd.DataFrame) -> None:
    text = dataset_csv(await analysis_data(AS_OF))
    header = text.splitlines()[0].split(",")
    assert header == [
        "unit_code",
        "unit_name",
        "month",
        "engagement",
        "pct_favourable",
        "enps",
        "csat",
        "csat_n",
        "revenue",
        "staff_turnover",
        "staff_turnover_n",
    ]
    data = await analysis_data(AS_OF)
    assert any("Person-level" in note for note in data.context["notes"])


async def test_below_k_and_withheld_unit_months_carry_no_scores(seeded: pd.DataFrame) -> None:
    rows = await _rows()
    # Lakeside (2 respondents) and Riverside (withheld for North's remainder) never appear:
    # no model uses a unit without a single shown month
    assert set(rows["unit_code"]) == {"R1", "L2", "L4", "L5", "L6", "L7", "L8"}
    scored = rows.dropna(subset=["engagement"])
    assert set(zip(scored["unit_code"], scored["month"], strict=True)) == {
        *((u, m) for u in ("R1", "L2", "L4", "L5", "L6") for m in WAVES),
        ("L7", "2025-01"),
        ("L8", "2025-01"),
    }
    # Ridge in February (4 respondents) and Vale then (shown, Ridge could be worked out
    # from East) keep their outcomes, which the models use, but no score of any kind
    for code in ("L7", "L8"):
        february = rows[(rows["unit_code"] == code) & (rows["month"] == "2025-02")]
        assert len(february) == 1
        blank = february[["engagement", "pct_favourable", "enps"]]
        assert blank.isna().all(axis=None)
        assert february["csat"].notna().all()


async def test_values_are_those_of_the_respondent_rows(seeded: pd.DataFrame) -> None:
    rows = await _rows()
    items = seeded[list(ENGAGEMENT_CODES)]
    scored = seeded[items.notna().sum(axis=1) >= 8].copy()
    scored["score"] = scored[list(ENGAGEMENT_CODES)].mean(axis=1)
    for rec in rows.dropna(subset=["engagement"]).itertuples(index=False):
        members = {rec.unit_code} | _descendants(rec.unit_code)
        cell = scored[scored["unit"].isin(members) & (scored["month"] == rec.month)]
        assert len(cell) >= K
        # as the dashboards show them: 2 decimals, whole percent
        assert rec.engagement == round(cell["score"].mean(), 2)
        answers = cell[list(ENGAGEMENT_CODES)]
        favourable = 100 * (answers >= 4).sum().sum() / answers.notna().sum().sum()
        assert rec.pct_favourable == round(favourable)


async def test_no_two_rows_differ_by_fewer_than_k_people(seeded: pd.DataFrame) -> None:
    rows = await _rows()
    january = rows[rows["month"] == "2025-01"].set_index("unit_code")
    # the dangerous pair is there: North and Hilltop in the same month
    assert {"R1", "L2"} <= set(january.dropna(subset=["engagement"]).index)
    # one respondent set: eNPS exists only beside a score and counts scored respondents
    with_enps = rows.dropna(subset=["enps"])
    assert with_enps["engagement"].notna().all()
    for rec in with_enps.itertuples(index=False):
        members = {rec.unit_code} | _descendants(rec.unit_code)
        part = seeded[seeded["unit"].isin(members) & (seeded["month"] == rec.month)]
        part = part[part[list(ENGAGEMENT_CODES)].notna().sum(axis=1) >= 8]["enps"].dropna()
        expected = 100 * ((part >= 9).mean() - (part <= 6).mean())
        assert rec.enps == round(expected)
    # the file gives no counts: the attacker's true counts of the shown rows are planted ones
    scored_people = seeded[seeded[list(ENGAGEMENT_CODES)].notna().sum(axis=1) >= 8]
    checked = 0
    for month, part in rows.groupby("month"):
        scored = part.dropna(subset=["engagement"]).set_index("unit_code")
        scored["n"] = [
            int(
                (
                    scored_people["unit"].isin({code} | _descendants(code))
                    & (scored_people["month"] == month)
                ).sum()
            )
            for code in scored.index
        ]
        assert (scored["n"] >= K).all()
        for parent in scored.index:
            inside = [c for c in scored.index if c in _descendants(parent)]
            # one child at a time, and every shown descendant at once (no double counting:
            # the file's units below a region are locations, which do not nest)
            for group in [*([c] for c in inside), inside] if inside else []:
                gap = scored.loc[parent, "n"] - scored.loc[group, "n"].sum()
                assert gap == 0 or gap >= K, (month, parent, group, gap)
                checked += 1
    assert checked > 0


async def test_pearson_refitted_from_the_file_is_the_reports(seeded: pd.DataFrame) -> None:
    rows = await _rows()
    _, body = await linkage_report(AS_OF, bootstrap_reps=200)
    estimates = {lk["outcome"]: lk["estimate"] for lk in body["links"] if lk["method"] == "pearson"}
    scored = rows.dropna(subset=["engagement"])
    engagement = scored.groupby("unit_code")["engagement"].mean()
    # csat: every row has an n, so each unit's csat is the n-weighted mean of its months
    csat_rows = rows.dropna(subset=["csat"])
    assert csat_rows["csat_n"].notna().all()
    csat = (csat_rows["csat"] * csat_rows["csat_n"]).groupby(csat_rows["unit_code"]).sum() / (
        csat_rows["csat_n"].groupby(csat_rows["unit_code"]).sum()
    )
    # revenue has no n: the plain mean
    revenue = rows.dropna(subset=["revenue"]).groupby("unit_code")["revenue"].mean()
    for name, outcome in (("csat", csat), ("revenue", revenue)):
        both = pd.concat([engagement, outcome], axis=1, join="inner").dropna()
        assert len(both) == 6  # L2, L4–L8: North's csat is left out for its locations'
        refit = stats.pearsonr(both.iloc[:, 0], both.iloc[:, 1])
        assert estimates[name] is not None
        assert float(refit.statistic) == pytest.approx(estimates[name], rel=1e-9, abs=1e-12)


async def test_json_rows_are_the_csv_rows(seeded: pd.DataFrame) -> None:
    data = await analysis_data(AS_OF)
    body = dataset_json(data)
    rows = await _rows()
    assert body["outcomes"] == ["csat", "revenue", "staff_turnover"]
    assert len(body["rows"]) == len(rows) and body["versions"]["pandas"]
    for obj, rec in zip(body["rows"], rows.to_dict("records"), strict=True):
        assert (obj["unit_code"], obj["month"]) == (rec["unit_code"], rec["month"])
        for column in ("engagement", "pct_favourable", "enps"):
            assert (obj[column] is None) == pd.isna(rec[column])
            if obj[column] is not None:
                assert obj[column] == rec[column]
        assert ("csat" in obj["outcomes"]) == pd.notna(rec["csat"])
        if "csat" in obj["outcomes"]:
            assert obj["outcomes"]["csat"] == {"value": rec["csat"], "n": rec["csat_n"]}
        if "revenue" in obj["outcomes"]:
            assert obj["outcomes"]["revenue"]["n"] is None


async def test_the_downloads_serve_these_rows_to_hr_only(seeded: pd.DataFrame) -> None:
    await set_password("hr@east.test", PASSWORD)
    await set_password("hilltop@east.test", PASSWORD)
    expected = dataset_csv(await analysis_data())
    await refresh_linkage()  # the stored report the downloads serve, as the jobs compute it
    async with AsyncTestClient(app=create_app()) as client:
        await login(client, "hilltop@east.test")
        for url in ("/reports/linkage/data.csv", "/api/reports/linkage/data"):
            assert (await client.get(url)).status_code == 403
    async with AsyncTestClient(app=create_app()) as client:
        await login(client, "hr@east.test")
        res = await client.get("/reports/linkage/data.csv")
        assert res.status_code == 200
        assert res.headers["content-type"].startswith("text/csv")
        assert "linkage-data.csv" in res.headers["content-disposition"]
        assert res.text == expected
        res = await client.get("/api/reports/linkage/data")
        assert res.status_code == 200, res.text
        body = res.json()
        assert body["rows"] == dataset_json(await analysis_data())["rows"]
        assert body["min_group_size"] == K and body["versions"]["statsmodels"]
        page = await client.get("/reports/linkage")
        assert 'href="/reports/linkage/data.csv"' in page.text


def test_a_withheld_wave_withholds_its_months_cell() -> None:
    # Two waves in one month: the second is withheld by its publication, so the month's
    # cell is marked and gate_cells drops it (a pooled mean must not give the wave back).
    sums = [*SCORE_COLUMNS, *ENPS_COLUMNS, *ALPHA_COLUMNS]
    items = [f"{p}_{c.lower()}" for c in ENGAGEMENT_CODES for p in ("c", "s", "q")]
    shown = {"unit": 1, "wave": 10, "shown": True, **dict.fromkeys([*sums, *items], 6.0)}
    other = {"unit": 1, "wave": 11, "shown": False, **dict.fromkeys([*sums, *items], math.nan)}
    waves = pd.DataFrame({"id": [10, 11], "month": [pd.Period("2025-01", "M")] * 2, "k": [5, 5]})
    cells, _ = published_cells(pd.DataFrame([shown]), waves)
    assert cells[["n", "enps_n", "withheld", "enps_withheld"]].iloc[0].tolist() == [6, 6, 0, 0]
    cells, item_cells = published_cells(pd.DataFrame([shown, other]), waves)
    assert cells["withheld"].tolist() == [1] and cells["enps_withheld"].tolist() == [1]
    assert cells["n"].tolist() == [6]  # the withheld wave adds nothing
    assert item_cells[item_cells["item"] == "E01"]["n"].tolist() == [6]
    gated, _ = gate_cells(cells)
    assert gated.empty
