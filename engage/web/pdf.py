"""PDFs: pages with WeasyPrint, vector charts with plotly.js in a headless Chromium.

WeasyPrint runs off the event loop and loads nothing but engage's own ``static/`` files
and the in-memory files it is given (a report's charts); every other address is refused.

Charts are drawn by :class:`PdfCharts`: one Chromium that starts in the background as
soon as it is created (so its start and plotly.js's load overlap with other work), draws
every chart of a document in one call, and closes while WeasyPrint lays out the pages.
This module stays light to import, so a caller can start Chromium before loading the
heavy statistics modules.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engage.settings import get_settings, project_root
from engage.sidecar import NICENESS, RENDERING
from engage.web.lanes import worker_slots

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from choreographer import Browser, Tab

BASE = "http://engage.local/"
TYPES = {".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png"}
#: Seconds Chromium may take to start (with plotly.js), or to draw all the charts,
#: before the document falls back to tables.
CHART_TIMEOUT = 60
#: Seconds Chromium may take to close before it is killed.
CLOSE_TIMEOUT = 10
NO_CHROMIUM = (
    "No Chromium is installed on the server, so the charts are shown as tables "
    "(install Debian's chromium package to get charts in the PDF)."
)
#: Draws every chart (a JSON list of {figure, width, height}) in turn on the page, which
#: has plotly.js loaded; each call plots into a detached element and purges it.
DRAW_ALL = """async function (charts) {
  const drawn = [];
  for (const c of JSON.parse(charts)) {
    drawn.push(await Plotly.toImage(
      {data: c.figure.data || [], layout: c.figure.layout || {}, config: {}},
      {format: "svg", width: c.width, height: c.height, imageDataOnly: true}));
  }
  return drawn;
}"""

#: A chart to draw: the plotly figure as JSON, its width and height in CSS pixels.
ChartSpec = tuple[str, int, int]


class ForbiddenFetch(ValueError):
    """A document asked for something other than engage's own static files."""


def _static_fetcher(images: Mapping[str, bytes]) -> Any:
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnly(URLFetcher):  # type: ignore[misc]
        """Serves ``images`` and engage's ``static/`` files, and refuses everything else."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            if not url.startswith(BASE):
                raise ForbiddenFetch(f"not fetched (no network at run time): {url}")
            relative = url.removeprefix(BASE)
            content_type = TYPES.get(Path(relative).suffix, "application/octet-stream")
            if relative in images:
                return URLFetcherResponse(
                    url, body=images[relative], headers={"Content-Type": content_type}
                )
            if not relative.startswith("static/"):
                raise ForbiddenFetch(f"not fetched (no network at run time): {url}")
            path = (project_root() / relative).resolve()
            if not path.is_relative_to(project_root() / "static") or not path.is_file():
                raise ForbiddenFetch(f"no such static file: {relative}")
            return URLFetcherResponse(
                url, body=path.read_bytes(), headers={"Content-Type": content_type}
            )

    return StaticOnly(fail_on_errors=True)


def warm_up() -> None:
    """Load WeasyPrint and Pango now (a moment), e.g. while something else is waited for."""
    import weasyprint  # noqa: F401


def _render(html: str, images: Mapping[str, bytes]) -> bytes:
    from weasyprint import HTML  # imported here: loading Pango takes a moment

    document = HTML(string=html, base_url=BASE, url_fetcher=_static_fetcher(images))
    return bytes(document.write_pdf())


async def html_to_pdf(html: str, images: Mapping[str, bytes] | None = None) -> bytes:
    """A PDF of ``html`` (CPU-heavy: laid out in the rendering sidecar process, so the
    server's event loop and the people answering do not wait for it).

    ``images`` maps paths under :data:`BASE` (such as ``chart/forest.svg``) to file
    contents the document may load, beside engage's ``static/`` files.
    """
    return await RENDERING.run(_render, html, dict(images or {}))


@contextlib.asynccontextmanager
async def pdf_slot() -> AsyncIterator[None]:
    """Hold one of the worker's PDF rendering slots (``ENGAGE_PDF_RENDERS``, default 1)
    while rendering: more requests wait their turn instead of each starting a Chromium
    and a layout, so memory stays bounded whatever the number of downloads."""
    async with worker_slots("pdf", get_settings().pdf_renders):
        yield


def chromium_path() -> str | None:
    """The Chromium that draws charts: ``ENGAGE_CHROMIUM``, Debian's, or one on PATH."""
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


def _write_page(folder: Path) -> Path:
    page = folder / "charts.html"
    page.write_text(
        '<!doctype html><html><head><meta charset="utf-8">'
        f'<script src="{plotly_js().as_uri()}" charset="utf-8"></script>'
        "</head><body></body></html>",
        encoding="utf-8",
    )
    return page


def yield_cpu(root: int) -> None:
    """Lower the priority of a started Chromium and every process it has started (its
    zygote, whose later renderers inherit it), as the sidecars' (``NICENESS``): drawing
    charts must not take the CPU from the web worker serving the people answering."""
    family, parents = {root}, _parents()
    grew = True
    while grew:
        found = {pid for pid, parent in parents.items() if parent in family} - family
        family |= found
        grew = bool(found)
    for pid in family:
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, pid, NICENESS)


def _parents() -> dict[int, int]:
    """Every process's parent, from /proc (empty where there is none)."""
    out: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            # the command name (2nd field) may hold spaces: the parent follows its ")"
            out[int(stat.parent.name)] = int(stat.read_text().rpartition(")")[2].split()[1])
    return out


class ChartPage:
    """A headless Chromium showing one page with plotly.js loaded, ready to draw charts.

    Driven with choreographer, the DevTools client kaleido 1.x is built on, rather than
    through kaleido's own calls: kaleido turns on the DevTools ``Runtime`` domain before
    plotly.js loads (that makes the load about 0.7 s slower) and reloads the page, so all
    of plotly.js, after every chart.
    """

    def __init__(self, browser: Browser, folder: tempfile.TemporaryDirectory[str]) -> None:
        self._browser = browser
        self._folder = folder

    @classmethod
    async def open(cls, browser: str) -> ChartPage:
        """Start Chromium at ``browser`` and load plotly.js into its tab."""
        import choreographer

        page = cls(
            choreographer.Browser(path=browser, headless=True),
            tempfile.TemporaryDirectory(prefix="engage-charts-"),
        )
        try:
            await asyncio.wait_for(page._load(), CHART_TIMEOUT)
        except BaseException:
            await page.close()
            raise
        return page

    async def _load(self) -> None:
        url = _write_page(Path(self._folder.name)).as_uri()
        await self._browser.open()
        process = getattr(self._browser, "subprocess", None)
        if process is not None:
            yield_cpu(process.pid)
        tab = self._tab()
        _result(await tab.send_command("Page.enable"))
        loaded = tab.subscribe_once("Page.loadEventFired")
        navigated = _result(await tab.send_command("Page.navigate", params={"url": url}))
        if navigated.get("errorText"):
            raise RuntimeError(f"the chart page did not load: {navigated['errorText']}")
        await loaded
        # The load event caught may be the blank first page's: wait until plotly.js is
        # there, in the document that will draw (else "Plotly is not defined", now and then).
        ready = "document.readyState === 'complete' && typeof Plotly !== 'undefined'"
        while True:
            answer = await tab.send_command(
                "Runtime.evaluate", params={"expression": ready, "returnByValue": True}
            )
            if _value(answer).get("value") is True:
                return
            await asyncio.sleep(0.02)

    def _tab(self) -> Tab:
        tab = self._browser.get_tab()
        if tab is None:
            raise RuntimeError("the browser has no tab to draw in")
        return tab

    async def draw(self, charts: Mapping[str, ChartSpec]) -> dict[str, str]:
        """Every chart as an SVG document, all drawn by one call into the page."""
        if not charts:
            return {}
        return await asyncio.wait_for(self._draw(charts), CHART_TIMEOUT)

    async def _draw(self, charts: Mapping[str, ChartSpec]) -> dict[str, str]:
        tab = self._tab()
        specs = ",".join(
            f'{{"figure":{figure},"width":{width},"height":{height}}}'
            for figure, width, height in charts.values()
        )
        window = _value(
            await tab.send_command("Runtime.evaluate", params={"expression": "globalThis"})
        )
        answer = await tab.send_command(
            "Runtime.callFunctionOn",
            params={
                "objectId": window["objectId"],
                "functionDeclaration": DRAW_ALL,
                "arguments": [{"value": f"[{specs}]"}],
                "awaitPromise": True,
                "returnByValue": True,
            },
        )
        drawn = _value(answer).get("value")
        if not isinstance(drawn, list) or len(drawn) != len(charts):
            raise RuntimeError("the browser did not return one SVG per chart")
        svgs: dict[str, str] = {}
        for key, text in zip(charts, drawn, strict=True):
            start = str(text).find("<svg")
            if start < 0:
                raise RuntimeError(f"the browser returned no SVG for {key}")
            svgs[key] = str(text)[start:]
        return svgs

    async def close(self) -> None:
        """Close the browser and remove the page, never raising (it may be half open)."""
        try:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._browser.close(), CLOSE_TIMEOUT)
        finally:
            process = getattr(self._browser, "subprocess", None)
            if process is not None and process.poll() is None:
                process.kill()  # it did not close in time: never leave a browser behind
            self._folder.cleanup()


def _result(response: Any) -> dict[str, Any]:
    """The ``result`` of a DevTools answer; an error answer raises."""
    if "error" in response:
        raise RuntimeError(f"DevTools: {response['error']}")
    return dict(response.get("result") or {})


def _value(response: Any) -> dict[str, Any]:
    """The JavaScript value of a DevTools ``Runtime`` answer; an exception raises."""
    body = _result(response)
    if "exceptionDetails" in body:
        details = body["exceptionDetails"]
        text = (details.get("exception") or {}).get("description") or details.get("text")
        raise RuntimeError(f"plotly.js: {text}")
    return dict(body.get("result") or {})


def _failed(exc: BaseException) -> str:
    return f"The charts could not be drawn ({exc.__class__.__name__}), so they are shown as tables."


class PdfCharts:
    """Chromium for one document: starts in the background at once, draws once, closes.

    Create it (inside the event loop) before other work, such as computing a report, so
    that Chromium's start and plotly.js's load happen meanwhile; use it as an async
    context manager so the browser is closed whatever happens::

        async with PdfCharts() as charts:
            ...  # other work
            svgs, note = await charts.draw(specs)
    """

    def __init__(self) -> None:
        browser = chromium_path()
        self._opening = asyncio.ensure_future(ChartPage.open(browser)) if browser else None
        self._closing: asyncio.Future[None] | None = None

    async def draw(self, charts: Mapping[str, ChartSpec]) -> tuple[dict[str, str], str | None]:
        """Every chart as SVG, or none and the reason why; the browser then starts closing."""
        try:
            if not charts:
                return {}, None
            if self._opening is None:
                return {}, NO_CHROMIUM
            try:
                return await (await self._opening).draw(charts), None
            except asyncio.CancelledError as exc:
                current = asyncio.current_task()
                if current is not None and current.cancelling():
                    raise  # this task is being cancelled, not just the browser's start
                return {}, _failed(exc)  # the browser's start was cancelled (it died)
            except Exception as exc:  # any browser failure must still give a document
                log.warning("charts could not be drawn: %s", exc)
                return {}, _failed(exc)
        finally:
            self.close_soon()

    def close_soon(self) -> None:
        """Start closing the browser in the background (e.g. while WeasyPrint works)."""
        if self._opening is not None and self._closing is None:
            self._closing = asyncio.ensure_future(self._close(self._opening))

    @staticmethod
    async def _close(opening: asyncio.Future[ChartPage]) -> None:
        opening.cancel()  # no-op once open; a page cancelled mid-start cleans up after itself
        try:
            page = await opening
        except (Exception, asyncio.CancelledError):
            return
        await page.close()

    async def aclose(self) -> None:
        """Close the browser and wait until it is closed."""
        self.close_soon()
        if self._closing is not None:
            await self._closing

    async def __aenter__(self) -> PdfCharts:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
