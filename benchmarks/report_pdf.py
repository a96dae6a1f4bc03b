"""Linkage report PDF speed on the demo organisation, beside the report computation alone.

Seeds the demo into a scratch SQLite file (or reuses --database) and prints, in one run:
- floor: ``linkage_report`` alone (the statistics every format of the report needs);
- engage: the whole PDF in one process, as the HR page and ``engage report linkage`` make
  it (``linkage_report``, then ``linkage_pdf``), and with ``linkage_report_pdf`` (Chromium
  starting while the report is computed), median and max over --runs, and the ratio to
  the floor;
- the parts, each timed on its own in the same runs: the report, the figures (and loading
  WeasyPrint), Chromium's start with plotly.js, drawing every chart, WeasyPrint;
- for reference, drawing the same charts with one ``kaleido.calc_fig`` per chart (kaleido
  reloads its page, so plotly.js, after each) in one kaleido browser, as engage did before;
- ``engage report linkage --format pdf`` as a command (a fresh process: imports, the
  schema check, the report and the PDF), median of --cli-runs.

Needs Chromium (``/usr/bin/chromium`` or ``ENGAGE_CHROMIUM``); without it the PDF has
tables instead of charts and the chart rows are skipped.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("ENGAGE_SECRET_KEY", "benchmark-secret-0123456789abcdef0123456789")
os.environ["ENGAGE_DB_POOL"] = "0"

from demo_server import seeded_demo

from engage.db.engine import configure
from engage.reporting import documents
from engage.reporting.linkage import linkage_report
from engage.web.pdf import NO_CHROMIUM, ChartPage, chromium_path, html_to_pdf, plotly_js

Timings = dict[str, list[float]]
PARTS = "  figures and loading WeasyPrint"  # the first of the parts


async def clock(times: Timings, label: str, work: Callable[[], Awaitable[Any]]) -> Any:
    start = time.perf_counter()
    result = await work()
    times.setdefault(label, []).append(time.perf_counter() - start)
    return result


async def kaleido_per_chart(figures: dict[str, Any], browser: str) -> None:
    """The charts as engage drew them before: one ``calc_fig`` per chart, one browser."""
    import kaleido

    async with kaleido.Kaleido(n=1, plotlyjs=str(plotly_js()), mathjax=False, path=browser) as k:
        for figure in figures.values():
            await k.calc_fig(
                figure,
                opts={
                    "format": "svg",
                    "width": documents.PDF_WIDTH,
                    "height": int(figure.layout.height or 320),
                },
            )


async def one_run(times: Timings, browser: str | None, reference: bool) -> None:
    # the whole PDF, as the HR page and the command make it
    start = time.perf_counter()
    run = await clock(times, "floor: report computation (linkage_report)", lambda: linkage_report())
    pdf = await documents.linkage_pdf(run)
    times.setdefault("PDF end to end (report, then linkage_pdf)", []).append(
        time.perf_counter() - start
    )
    assert pdf.startswith(b"%PDF")
    await clock(times, "PDF end to end (linkage_report_pdf)", documents.linkage_report_pdf)
    # its parts, one after another
    context, specs = await clock(
        times, PARTS, lambda: asyncio.to_thread(documents._pdf_context, run)
    )
    svgs: dict[str, str] = {}
    if browser is not None:
        page = await clock(
            times, "  Chromium start + plotly.js load", lambda: ChartPage.open(browser)
        )
        try:
            svgs = await clock(times, "  drawing every chart (one call)", lambda: page.draw(specs))
        finally:
            await clock(times, "  Chromium close (beside WeasyPrint)", page.close)
        if reference:
            await clock(
                times,
                "  for reference: kaleido.calc_fig per chart",
                lambda: kaleido_per_chart(context["figures"], browser),
            )
    files = {f"chart/{key}.svg": svg.encode("utf-8") for key, svg in svgs.items()}
    html = documents.pdf_html(context, svgs, None if svgs else NO_CHROMIUM)
    await clock(times, "  WeasyPrint (HTML and SVG to PDF)", lambda: html_to_pdf(html, files))


def cli_runs(database: str, count: int) -> list[float]:
    out = []
    with tempfile.TemporaryDirectory() as folder:
        pdf = str(Path(folder) / "linkage.pdf")
        command = [sys.executable, "-m", "engage", "report", "linkage", "--format", "pdf"]
        for _ in range(count):
            start = time.perf_counter()
            subprocess.run(
                [*command, "--out", pdf, "--database", database], check=True, capture_output=True
            )
            out.append(time.perf_counter() - start)
    return out


def line(label: str, seconds: list[float], floor: float) -> None:
    median = statistics.median(seconds)
    print(
        f"  {label:<46} median {median:6.2f} s   max {max(seconds):6.2f} s"
        f"   {median / floor:5.2f}× floor"
    )


async def measure(database: str, runs: int, reference: bool) -> Timings:
    configure(database)
    browser = chromium_path()
    times: Timings = {}
    await one_run({}, browser, False)  # warm: lazy imports, plotly validators, fonts
    for index in range(runs):
        await one_run(times, browser, reference and index == 0)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cli-runs", type=int, default=3)
    parser.add_argument("--database", default=None)
    parser.add_argument("--no-reference", action="store_true", help="skip the kaleido row")
    args = parser.parse_args()
    database, _ = seeded_demo(args.database)
    if chromium_path() is None:
        print("no Chromium: the PDF has tables instead of charts, chart rows are skipped")
    times = asyncio.run(measure(database, args.runs, not args.no_reference))
    floor = statistics.median(times["floor: report computation (linkage_report)"])
    print(
        f"demo organisation, linkage report PDF, {args.runs} runs in one process ({os.cpu_count()} CPUs)"
    )
    for label, seconds in times.items():
        if label == PARTS:
            print("  its parts, timed one after another:")
        line(label, seconds, floor)
    if args.cli_runs:
        line(
            "engage report linkage --format pdf (command)", cli_runs(database, args.cli_runs), floor
        )


if __name__ == "__main__":
    main()
