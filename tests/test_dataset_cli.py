"""``engage report linkage --format dataset``: the analysis data set through the CLI.

Files another tool could have written go in through ``engage import``; the data set comes
out as CSV, and re-fitting Pearson's r from it gives the JSON report's estimate.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from surveys.items import ENGAGEMENT_CODES
from tests.factories import import_csv_org, run_cli

LOCATIONS = 12
MONTHS = 4


def _write_org() -> dict[str, list[str]]:
    rng = np.random.default_rng(8)
    units = ["unit_id,name,parent_id", "ORG,Generated,"]
    units += [f"L{i:02d},Location {i},ORG" for i in range(LOCATIONS)]
    roster = ["employee_id,email,name,unit_id,role,language,hired_on,left_on"]
    responses = ["wave,unit_id,respondent," + ",".join(ENGAGEMENT_CODES) + ",ENPS,comment"]
    outcomes = ["unit_id,month,metric,value,n"]
    latent = rng.normal(0, 0.4, LOCATIONS)
    for i in range(LOCATIONS):
        size = 3 if i == 0 else 6  # L00 stays below k = 5
        for s in range(size + 1):
            left = "2025-02-20" if s == 0 else ""
            roster.append(f"P{i:02d}{s},,Person {i}-{s},L{i:02d},employee,en,2023-03-01,{left}")
        for m in range(MONTHS):
            month = f"2025-{m + 1:02d}"
            people = 3.5 + latent[i] + rng.normal(0, 0.5, size)
            values = np.clip(np.rint(people[:, None] + rng.normal(0, 0.6, (size, 12))), 1, 5)
            for r in range(size):
                cells = ",".join(str(int(v)) for v in values[r])
                responses.append(f"{month}-15,L{i:02d},{i}-{m}-{r},{cells},{rng.integers(0, 11)},")
            csat = 4.2 + 0.3 * latent[i] + rng.normal(0, 0.1)
            outcomes.append(f"L{i:02d},{month},csat,{csat:.4f},{rng.integers(30, 90)}")
    return {"units": units, "roster": roster, "responses": responses, "outcomes": outcomes}


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("dataset")
    db = import_csv_org(folder, _write_org())
    return db


def test_help_names_the_dataset_format() -> None:
    text = run_cli("report", "linkage", "--help")
    flat = "".join(text.split())  # click wraps (and may break "person-level") anywhere
    assert "dataset:theunit-levelanalysisdataset" in flat and "neverperson-levelrows" in flat


def test_dataset_refits_to_the_json_report(imported: str, tmp_path: Path) -> None:
    out = tmp_path / "data.csv"
    run_cli("report", "linkage", "--format", "dataset", "--out", str(out), "-d", imported)
    report = tmp_path / "linkage.json"
    run_cli(
        "report",
        "linkage",
        "--format",
        "json",
        "--out",
        str(report),
        "--reps",
        "100",
        "-d",
        imported,
    )
    body = json.loads(report.read_text())
    rows = pd.read_csv(out)
    assert list(rows.columns[:6]) == [
        "unit_code",
        "unit_name",
        "month",
        "engagement",
        "pct_favourable",
        "enps",
    ]
    # L00 is below k in every month, and one more location is withheld each month so that
    # the organisation minus its shown locations is not L00's 3 respondents
    assert "L00" not in set(rows["unit_code"])
    scored = rows.dropna(subset=["engagement"])
    assert len(scored) == (LOCATIONS - 2) * MONTHS
    engagement = scored.groupby("unit_code")["engagement"].mean()
    csat = (rows["csat"] * rows["csat_n"]).groupby(rows["unit_code"]).sum() / rows.groupby(
        "unit_code"
    )["csat_n"].sum()
    both = pd.concat([engagement, csat], axis=1, join="inner")
    pearson = next(
        lk for lk in body["links"] if lk["outcome"] == "csat" and lk["method"] == "pearson"
    )
    assert pearson["n_units"] == len(both) == LOCATIONS - 2
    refit = stats.pearsonr(both.iloc[:, 0], both.iloc[:, 1])
    assert float(refit.statistic) == pytest.approx(pearson["estimate"], rel=1e-9)


def test_dataset_goes_to_standard_output_without_out(imported: str) -> None:
    text = run_cli("report", "linkage", "--format", "dataset", "-d", imported)
    rows = pd.read_csv(io.StringIO(text))
    assert {"csat", "csat_n", "staff_turnover", "staff_turnover_n"} <= set(rows.columns)
