"""The HR linkage report as a page (interactive charts) and as files."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import anyio
from litestar import Controller, Response, get
from litestar.response import Template

from engage.auth.guards import requires_role
from engage.db.engine import current_engine
from engage.reporting.documents import CHECKS, linkage_pdf
from engage.reporting.linkage import dataset_csv, to_csv
from engage.reporting.report_store import (
    NotReady,
    StoredLinkage,
    keep_pdf,
    kept_pdf,
    linkage_for_viewer,
    ready_linkage,
)
from engage.web.lanes import NO_COMPRESSION, report_lane
from engage.web.pdf import pdf_slot
from reports.charts import report_charts
from reports.stats.linkage import LinkageReport
from reports.summary import heading, outcome_title, tell
from reports.training_summary import METHOD_NOTE, signed, training_blocks


async def _context(
    report: LinkageReport,
    body: dict[str, Any],
    names: dict[int, str],
    ancestors: Any,
    titles: Mapping[str, str],
    stored: StoredLinkage,
) -> dict[str, Any]:
    """The page's context; all but ``stored`` is built once per stored report and worker
    (charts for thousands of units take a while, and a stored report never changes); in a
    thread, so the event loop goes on serving meanwhile."""
    global _built
    key = (current_engine(), stored.run_id)
    if _built is None or _built[0] != key:
        built = await anyio.to_thread.run_sync(
            _report_context, report, body, names, ancestors, titles
        )
        _built = (key, built)
    return {"stored": stored, **_built[1]}


_built: tuple[tuple[object, int | None], dict[str, Any]] | None = None


def _report_context(
    report: LinkageReport,
    body: dict[str, Any],
    names: dict[int, str],
    ancestors: Any,
    titles: Mapping[str, str],
) -> dict[str, Any]:
    return {
        "training": training_blocks(report, titles, names),
        "training_note": METHOD_NOTE,
        "signed": signed,
        "body": body,
        "stories": tell(report),
        "charts": report_charts(report, names, ancestors),
        "checks": [(label, body["aggregation"][key], meaning) for key, label, meaning in CHECKS],
        "title_of": outcome_title,
        "heading": heading,
    }


def _not_ready(exc: NotReady) -> Response[str]:
    """A download asked for before any report is stored: say so, and when to come back."""
    return Response(
        str(exc) + "\n",
        status_code=503,
        media_type="text/plain; charset=utf-8",
        headers={"Retry-After": "30"},
    )


class ReportPagesController(Controller):
    """Organisation-wide reports for HR and admins."""

    path = "/reports"
    guards = [requires_role("hr")]
    middleware = [report_lane]
    include_in_schema = False

    @get("/linkage", name="report_linkage")
    async def linkage(self) -> Template:
        """The stored linkage report with interactive charts (or why there is none yet)."""
        stored = await linkage_for_viewer()
        run = stored.run
        if run is None:
            return Template("report_pending.html", context={"stored": stored})
        return Template(
            "report_linkage.html",
            context=await _context(
                run.report, run.body, run.names, run.ancestors, run.titles, stored
            ),
        )

    @get("/linkage.pdf", name="report_linkage_pdf", opt={NO_COMPRESSION: True})
    async def pdf(self) -> Response[bytes] | Response[str]:
        """The paginated PDF (cover, contents, page numbers, vector charts)."""
        try:
            run, _, stored = await ready_linkage()
        except NotReady as exc:
            return _not_ready(exc)
        assert stored.run_id is not None
        pdf = await kept_pdf(stored.run_id)
        if pdf is None:
            async with pdf_slot():  # one render at a time per worker; the others wait …
                pdf = await kept_pdf(stored.run_id)  # … and find it made meanwhile
                if pdf is None:
                    pdf = await linkage_pdf(run)
                    await keep_pdf(stored.run_id, pdf)
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": 'attachment; filename="linkage.pdf"'},
        )

    @get("/linkage.csv", name="report_linkage_csv")
    async def linkage_csv(self) -> Response[str]:
        """Every estimate as CSV (one row per outcome and method)."""
        try:
            run, _, _ = await ready_linkage()
        except NotReady as exc:
            return _not_ready(exc)
        return Response(
            to_csv(run.body),
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="linkage.csv"'},
        )

    @get("/linkage/data.csv", name="report_linkage_data_csv")
    async def linkage_data_csv(self) -> Response[str]:
        """The unit-level analysis data set the models were fitted on, as CSV."""
        try:
            _, data, _ = await ready_linkage()
        except NotReady as exc:
            return _not_ready(exc)
        return Response(
            dataset_csv(data),
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="linkage-data.csv"'},
        )
