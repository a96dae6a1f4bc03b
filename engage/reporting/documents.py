"""The linkage report as a file: a standalone HTML page or a paginated PDF.

The PDF draws its charts as vector SVG with kaleido through one Chromium kept open for the
whole report (a browser start per chart would cost seconds each). Where no Chromium is
installed, or it fails, the PDF still renders, with tables in place of the charts and a
note saying so.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from engage.reporting.linkage import LinkageRun
from engage.settings import project_root
from engage.web.pdf import html_to_pdf
from reports.charts import as_json, quartile_rows, report_figures
from reports.summary import heading, outcome_title, tell

TEMPLATES = Path(__file__).resolve().parents[1] / "web" / "templates"
#: Chart sizes in the PDF (CSS pixels at 96 dpi; A4 text width is about 680 px).
PDF_WIDTH = 680
CHECKS = (
    ("alpha", "Cronbach's alpha", "Do the twelve items measure one thing? 0.70 or more is good."),
    ("icc1", "ICC(1)", "How much of the spread in answers lies between units."),
    ("icc2", "ICC(2)", "How reliable one unit's mean in one wave is; 0.70 or more is good."),
    ("rwg_j_median", "rwg(j), median", "How far a unit's members agree; 0.70 or more is good."),
)


def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        enable_async=False,
    )


def chromium_path() -> str | None:
    """The Chromium kaleido should drive: ``ENGAGE_CHROMIUM``, Debian's, or one on PATH."""
    configured = os.environ.get("ENGAGE_CHROMIUM")
    if configured:
        return configured if Path(configured).is_file() else None
    for candidate in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if Path(candidate).is_file():
            return candidate
    return shutil.which("chromium") or shutil.which("google-chrome")


def plotly_js() -> Path:
    """plotly.js from the plotly package (charts never load anything from the network)."""
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


async def chart_svgs(figures: dict[str, Any]) -> tuple[dict[str, str], str | None]:
    """Every figure as inline SVG from one Chromium; or no charts and the reason why."""
    if not figures:
        return {}, None
    browser = chromium_path()
    if browser is None:
        return {}, (
            "No Chromium is installed on the server, so the charts are shown as tables "
            "(install Debian's chromium package to get charts in the PDF)."
        )
    os.environ.setdefault("BROWSER_PATH", browser)
    import kaleido

    drawn: dict[str, str] = {}
    try:
        async with kaleido.Kaleido(n=1, plotlyjs=str(plotly_js()), mathjax=False, timeout=60) as k:
            for key, figure in figures.items():
                height = int(figure.layout.height or 320)
                svg = await k.calc_fig(
                    figure, opts={"format": "svg", "width": PDF_WIDTH, "height": height}
                )
                text = svg.decode("utf-8") if isinstance(svg, bytes) else str(svg)
                drawn[key] = text[text.find("<svg") :]
    except Exception as exc:  # any browser failure must still give a PDF
        return {}, (
            f"The charts could not be drawn ({exc.__class__.__name__}), so they are shown as "
            "tables."
        )
    return drawn, None


def _context(run: LinkageRun) -> dict[str, Any]:
    body = run.body
    figures = report_figures(run.report, run.names, run.ancestors)
    shown_units = run.report.analysis_units
    quartiles = {}
    for summary in run.report.outcomes:
        if summary.outcome in shown_units:
            data = shown_units[["engagement", summary.outcome]].dropna()
            if len(data) >= 8:
                quartiles[summary.outcome] = quartile_rows(data, summary.outcome)
    return {
        "body": body,
        "stories": tell(run.report),
        "figures": figures,
        "quartiles": quartiles,
        "checks": [(label, body["aggregation"][key], meaning) for key, label, meaning in CHECKS],
        "title_of": outcome_title,
        "heading": heading,
    }


def standalone_html(run: LinkageRun) -> str:
    """One HTML file with everything inside (plotly.js too): opens offline, anywhere."""
    context = _context(run)
    charts = {key: as_json(fig) for key, fig in context["figures"].items()}
    css = (project_root() / "static" / "css" / "report.css").read_text(encoding="utf-8")
    return (
        _environment()
        .get_template("report_linkage_doc.html")
        .render(
            **context,
            mode="html",
            charts=charts,
            svgs={},
            chart_note=None,
            inline_css=css,
            plotly_js=plotly_js().read_text(encoding="utf-8"),
        )
    )


async def linkage_pdf(run: LinkageRun) -> bytes:
    """The paginated PDF: cover, contents, page numbers, vector charts (or tables)."""
    context = _context(run)
    svgs, note = await chart_svgs(context["figures"])
    html = (
        _environment()
        .get_template("report_linkage_doc.html")
        .render(
            **context,
            mode="pdf",
            charts={},
            svgs=svgs,
            chart_note=note,
            inline_css=None,
            plotly_js=None,
        )
    )
    return await html_to_pdf(html)
