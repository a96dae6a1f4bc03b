"""End to end through the contracts: CSV files in, ``engage report linkage`` JSON out.

An organisation generated here (as another tool would) with a planted link between
engagement and csat goes in through ``engage import``; the effect must come back out of
the JSON with the right sign and an interval that excludes zero, and units below the
minimum group size must be left out.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from engage.cli import main
from surveys.items import ENGAGEMENT_CODES
from tests.factories import import_csv_org, run_cli

LOCATIONS = 40
MONTHS = 12


def _write_org(effect: float, seed: int = 3) -> dict[str, list[str]]:
    rng = np.random.default_rng(seed)
    units = ["unit_id,name,parent_id", "ORG,Generated,"]
    units += [f"L{i:02d},Location {i},ORG" for i in range(LOCATIONS)]
    latent = rng.normal(0, 0.35, LOCATIONS)
    z = (latent - latent.mean()) / latent.std()
    roster = ["employee_id,email,name,unit_id,role,language,hired_on,left_on"]
    responses = ["wave,unit_id,respondent," + ",".join(ENGAGEMENT_CODES) + ",ENPS,comment"]
    outcomes = ["unit_id,month,metric,value,n"]
    for i in range(LOCATIONS):
        size = 3 if i < 2 else 8  # L00 and L01 stay below k = 5
        for s in range(size + 2):
            left = "2025-08-31" if s == 0 else ""
            roster.append(f"P{i:02d}{s},,Person {i}-{s},L{i:02d},employee,en,2023-03-01,{left}")
        for m in range(MONTHS):
            month = f"2025-{m + 1:02d}"
            people = 3.6 + latent[i] + rng.normal(0, 0.55, size)
            values = np.clip(np.rint(people[:, None] + rng.normal(0, 0.6, (size, 12))), 1, 5)
            for r in range(size):
                cells = ",".join(str(int(v)) for v in values[r])
                responses.append(f"{month}-15,L{i:02d},{i}-{m}-{r},{cells},{rng.integers(0, 11)},")
            csat = 4.2 + effect * z[i] + rng.normal(0, 0.12)
            outcomes.append(f"L{i:02d},{month},csat,{min(max(csat, 1), 5):.4f},50")
    return {"units": units, "roster": roster, "responses": responses, "outcomes": outcomes}


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("generated")
    db = import_csv_org(folder, _write_org(effect=0.15))
    return db


def test_planted_link_comes_back_through_the_json_contract(imported: str, tmp_path: Path) -> None:
    out = tmp_path / "linkage.json"
    run_cli(
        "report", "linkage", "--format", "json", "--out", str(out), "--reps", "300", "-d", imported
    )
    body = json.loads(out.read_text())
    links = {(lk["outcome"], lk["method"]): lk for lk in body["links"]}
    pearson = links[("csat", "pearson")]
    assert pearson["estimate"] > 0.5 and pearson["ci_low"] > 0 and pearson["p_adjusted"] < 0.05
    assert pearson["n_units"] == LOCATIONS - 2  # the two small locations are left out
    assert pearson["lag_months"] == 0
    assert links[("csat", "quartile_gap")]["ci_low"] > 0
    assert links[("csat", "within_unit")]["lag_months"] == 1
    assert links[("csat", "between_units")]["lag_months"] == 1
    assert ("csat", "lagged_mixedlm") not in links
    assert body["unit_months_below_threshold"] == 2 * MONTHS
    assert 0.8 < body["aggregation"]["alpha"] < 1
    for key in ("icc1", "icc2", "rwg_j_median"):
        assert body["aggregation"][key] is not None


def test_json_goes_to_standard_output_and_is_reproducible(imported: str) -> None:
    first = json.loads(run_cli("report", "linkage", "--reps", "200", "-d", imported))
    again = json.loads(run_cli("report", "linkage", "--reps", "200", "-d", imported))
    assert first["links"] == again["links"]


def test_csv_format(imported: str) -> None:
    text = run_cli("report", "linkage", "--format", "csv", "--reps", "200", "-d", imported)
    header = text.splitlines()[0].split(",")
    assert header[:9] == [
        "outcome",
        "method",
        "estimate",
        "ci_low",
        "ci_high",
        "p_value",
        "p_adjusted",
        "n_units",
        "lag_months",
    ]


def test_unknown_format_is_refused(imported: str) -> None:
    result = CliRunner().invoke(main, ["report", "linkage", "--format", "xml", "-d", imported])
    assert result.exit_code == 2 and "xml" in result.output


def _pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_pdf_has_cover_contents_pages_and_charts(imported: str, tmp_path: Path) -> None:
    if not Path("/usr/bin/chromium").exists():
        if os.environ.get("ENGAGE_REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium is required for the PDF charts in CI")
        pytest.skip("Chromium not installed: PDF charts cannot be drawn here")
    out = tmp_path / "linkage.pdf"
    run_cli(
        "report", "linkage", "--format", "pdf", "--out", str(out), "--reps", "200", "-d", imported
    )
    assert out.read_bytes().startswith(b"%PDF")
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(out), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 6  # cover, contents, summary, estimates, one page per outcome …
    text = _pdf_text(out)
    assert "Engagement and outcomes" in text and "Contents" in text
    assert "Page 2 of" in text and "Can unit scores be trusted?" in text
    assert "No Chromium" not in text and "could not be drawn" not in text
    # vector charts: the axis titles are text in the PDF, not pixels (the scatter with its
    # fit and band, the forest plot, the quartile bars labelled "Bottom quarter (9)" …)
    assert "Unit engagement (mean score, 1–5)" in text
    assert "Correlation with engagement" in text
    assert "Units by engagement (number of units)" in text and "Bottom quarter (" in text
    shots = Path("test-artifacts/screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "60",
            "-png",
            "-f",
            "1",
            "-l",
            "6",
            str(out),
            str(shots / "linkage-pdf"),
        ],
        check=True,
    )


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdf_without_chromium_has_tables_and_says_so(
    imported: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENGAGE_CHROMIUM", str(tmp_path / "no-such-browser"))
    out = tmp_path / "linkage.pdf"
    run_cli(
        "report", "linkage", "--format", "pdf", "--out", str(out), "--reps", "200", "-d", imported
    )
    text = _pdf_text(out)
    assert "No Chromium is installed" in text
    assert "Bottom quarter" in text and "Top quarter" in text  # the table standing in


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdf_when_the_browser_fails_has_tables_and_says_so(
    imported: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "broken-chromium"
    broken.write_text("#!/bin/sh\nexit 1\n")
    broken.chmod(0o755)
    monkeypatch.setenv("ENGAGE_CHROMIUM", str(broken))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    out = tmp_path / "linkage.pdf"
    run_cli(
        "report", "linkage", "--format", "pdf", "--out", str(out), "--reps", "200", "-d", imported
    )
    text = _pdf_text(out)
    assert "The charts could not be drawn" in text
    assert "Bottom quarter" in text and "Top quarter" in text  # the table standing in
    assert not list(tmp_path.glob("engage-charts-*"))  # the chart page is cleaned up


def test_pdf_loads_only_its_own_files(tmp_path: Path) -> None:
    import asyncio

    from weasyprint.urls import FatalURLFetchingError

    from engage.web.pdf import html_to_pdf

    chart = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="50">'
        '<text x="10" y="30">drawn as text</text></svg>'
    )
    html = '<link rel="stylesheet" href="static/css/report.css"><img src="chart/a.svg">'
    pdf = asyncio.run(html_to_pdf(html, images={"chart/a.svg": chart.encode()}))
    (tmp_path / "a.pdf").write_bytes(pdf)
    if shutil.which("pdftotext"):
        assert "drawn as text" in _pdf_text(tmp_path / "a.pdf")
    for elsewhere in ("chart/b.svg", "http://example.com/a.svg", "file:///etc/passwd"):
        with pytest.raises(FatalURLFetchingError, match="Error fetching"):
            asyncio.run(html_to_pdf(f'<img src="{elsewhere}">'))


def test_pdf_needs_a_file(imported: str) -> None:
    result = CliRunner().invoke(main, ["report", "linkage", "--format", "pdf", "-d", imported])
    assert result.exit_code == 1 and "--out" in result.output


def test_html_is_one_self_contained_file(imported: str, tmp_path: Path) -> None:
    out = tmp_path / "linkage.html"
    run_cli(
        "report", "linkage", "--format", "html", "--out", str(out), "--reps", "200", "-d", imported
    )
    html = out.read_text()
    assert "<h1>Engagement and outcomes</h1>" in html
    assert 'data-chart="scatter-csat"' in html and "Plotly.newPlot" in html
    assert "http://" not in html.split("<script>", 1)[0]  # nothing fetched from elsewhere
    # no script, style or image from another host (a bare "cdn" can occur in chart data)
    head = html.split("<script>", 1)[0]
    assert re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", head, re.IGNORECASE) is None
    assert "cdn.plot.ly" not in head
