"""The linkage report as a file: a standalone HTML page or a paginated PDF.

The PDF draws its charts as vector SVG with plotly.js in one headless Chromium
(:class:`engage.web.pdf.PdfCharts`). The browser starts once the report's model fits are
done, never during them: the warnings module's filters are process-wide, and the
browser's watchdog enters ``warnings.catch_warnings`` in the event loop, which would
lose (or raise) the warnings the fits record. It loads plotly.js while the figures are
built, draws every chart in a single call, and closes while WeasyPrint lays out the
pages (the SVGs are images of the document). Where no Chromium is installed, or it
fails, the PDF still renders, with tables in place of the charts and a note saying so.
"""

from __future__ import annotations

import asyncio
import functools
from datetime import date
from pathlib import Path
from typing import Any

import anyio.to_thread
from jinja2 import Environment, FileSystemLoader, select_autoescape

from engage.reporting.linkage import DEFAULT_REPS, LinkageRun, linkage_report
from engage.settings import project_root
from engage.sidecar import RENDERING
from engage.web.pdf import ChartSpec, PdfCharts, html_to_pdf, plotly_js, warm_up
from reports.charts import as_json, quartile_rows, report_figures
from reports.stats.estimate import DEFAULT_SEED
from reports.stats.quartiles import MIN_UNITS as QUARTILE_MIN_UNITS
from reports.summary import heading, outcome_title, tell
from reports.training_summary import METHOD_NOTE, signed, training_blocks

TEMPLATES = Path(__file__).resolve().parents[1] / "web" / "templates"
#: Chart sizes in the PDF (CSS pixels at 96 dpi; A4 text width is about 680 px).
PDF_WIDTH = 680
CHECKS = (
    ("alpha", "Cronbach's alpha", "Do the twelve items measure one thing? 0.70 or more is good."),
    ("icc1", "ICC(1)", "How much of the spread in answers lies between units."),
    ("icc2", "ICC(2)", "How reliable one unit's mean in one wave is; 0.70 or more is good."),
    (
        "rwg_j_median",
        "rwg(j), median",
        "How far a unit's members agree (uniform null); it rises with the number of "
        "items, so it flatters.",
    ),
    (
        "rwg_star_j_median",
        "r*wg(j), median",
        "Agreement against answers slightly skewed to the agreeable end, not inflated by "
        "many items; 0.70 or more is good.",
    ),
)


@functools.cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        enable_async=False,
    )


def chart_specs(figures: dict[str, Any]) -> dict[str, ChartSpec]:
    """The figures as the PDF draws them: plotly JSON, the text width, their own height."""
    return {
        key: (as_json(figure), PDF_WIDTH, int(figure.layout.height or 320))
        for key, figure in figures.items()
    }


async def chart_svgs(figures: dict[str, Any]) -> tuple[dict[str, str], str | None]:
    """Every figure as SVG from one Chromium; or no charts and the reason why."""
    if not figures:
        return {}, None
    async with PdfCharts() as charts:
        return await charts.draw(chart_specs(figures))


def _context(run: LinkageRun) -> dict[str, Any]:
    body = run.body
    figures = report_figures(run.report, run.names, run.ancestors)
    shown_units = run.report.analysis_units
    quartiles = {}
    for summary in run.report.outcomes:
        if summary.outcome in shown_units:
            data = shown_units[["engagement", summary.outcome]].dropna()
            if len(data) >= QUARTILE_MIN_UNITS:
                quartiles[summary.outcome] = quartile_rows(data, summary.outcome)
    return {
        "body": body,
        "stories": tell(run.report),
        "figures": figures,
        "quartiles": quartiles,
        "checks": [(label, body["aggregation"][key], meaning) for key, label, meaning in CHECKS],
        "title_of": outcome_title,
        "heading": heading,
        "training": training_blocks(run.report, run.titles, run.names),
        "training_note": METHOD_NOTE,
        "signed": signed,
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


def pdf_html(context: dict[str, Any], svgs: dict[str, str], note: str | None) -> str:
    """The PDF's HTML; each drawn chart is an image at ``chart/<key>.svg`` (see ``svgs``)."""
    return (
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


def _pdf_context(run: LinkageRun) -> tuple[dict[str, Any], dict[str, ChartSpec]]:
    """The page context and the charts to draw."""
    context = _context(run)
    return context, chart_specs(context["figures"])


async def linkage_pdf(run: LinkageRun, charts: PdfCharts | None = None) -> bytes:
    """The paginated PDF: cover, contents, page numbers, vector charts (or tables).

    The figures are built in a worker thread, and WeasyPrint loaded in the rendering
    process, while Chromium starts (pass ``charts`` created earlier to start it sooner);
    Chromium closes while WeasyPrint lays out the pages in that process.
    """
    if charts is None:
        async with PdfCharts() as own:
            return await linkage_pdf(run, own)
    warming = asyncio.ensure_future(RENDERING.run(warm_up))  # WeasyPrint loads meanwhile
    context, specs = await anyio.to_thread.run_sync(_pdf_context, run)
    svgs, note = await charts.draw(specs)  # and the browser starts closing
    files = {f"chart/{key}.svg": svg.encode("utf-8") for key, svg in svgs.items()}
    html = await anyio.to_thread.run_sync(pdf_html, context, svgs, note)
    await warming
    return await html_to_pdf(html, images=files)


async def linkage_report_pdf(
    as_of: date | None = None, seed: int = DEFAULT_SEED, bootstrap_reps: int = DEFAULT_REPS
) -> tuple[LinkageRun, bytes]:
    """The report and its PDF; Chromium starts after the fits (see the module's note)."""
    run = await linkage_report(as_of, seed, bootstrap_reps)
    return run, await linkage_pdf(run)
