"""One entry point for every CSV import (CLI, upload page, API): run it and audit it."""

from __future__ import annotations

import functools
import os
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from engage import audit
from engage.csvio import ImportSummary, Progress
from engage.db.engine import current_url
from engage.org.roster_import import import_roster
from engage.org.units_import import import_units
from engage.outcomes.outcomes_import import import_outcomes
from engage.outcomes.visits_import import import_visits
from engage.reporting.report_inputs import inputs_changed
from engage.sidecar import IMPORTING, on_this_database
from engage.survey.history_import import import_responses
from engage.survey.items_service import import_items
from engage.training.completions_import import import_completions
from engage.training.modules_import import import_modules

Importer = Callable[[bytes, Progress | None], Awaitable[ImportSummary]]

IMPORTERS: dict[str, Importer] = {
    "units": import_units,
    "roster": import_roster,
    "responses": import_responses,
    "items": import_items,
    "outcomes": import_outcomes,
    "visits": import_visits,
    "modules": import_modules,
    "completions": import_completions,
}
#: Imports that take a return window (days): client retention derived from visits.
WINDOWED: dict[str, Callable[..., Awaitable[ImportSummary]]] = {"visits": import_visits}


class UnknownImport(ValueError):
    """No importer has that name."""


class UnsupportedOption(ValueError):
    """An option was given to an import that does not take it."""


#: Files at least this large are imported in a fresh helper process: parsing millions of
#: cells leaves a long-lived worker holding their memory (refused or not), and the event
#: loop free for everyone else meanwhile. Smaller ones are quicker in the worker itself.
APART_FROM_BYTES = 2 * 1024 * 1024


async def run_upload(
    kind: str, data: bytes, actor: str, *, window_days: int | None = None
) -> ImportSummary:
    """``run_import`` for an upload: a large file goes through a temporary file to a fresh
    process (``APART_FROM_BYTES``), which gives all its memory back when it ends."""
    if len(data) < APART_FROM_BYTES or current_url() is None:
        return await run_import(kind, data, actor, window_days=window_days)
    handle, name = tempfile.mkstemp(prefix="engage-import-", suffix=".csv")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        del data
        return await on_this_database(IMPORTING, _import_file, kind, name, actor, window_days)
    finally:
        os.unlink(name)


async def _import_file(kind: str, path: str, actor: str, window_days: int | None) -> ImportSummary:
    """In the importing process (nothing else waits on its loop): the file read, imported."""
    data = Path(path).read_bytes()  # noqa: ASYNC240
    return await run_import(kind, data, actor, window_days=window_days)


async def run_import(
    kind: str,
    data: bytes,
    actor: str,
    progress: Progress | None = None,
    *,
    window_days: int | None = None,
) -> ImportSummary:
    """Import ``data`` as ``kind`` (all or nothing) and write the outcome to the audit log.

    ``window_days`` (visits only) overrides the ``return_window_days`` setting.
    """
    importer = IMPORTERS.get(kind)
    if importer is None:
        raise UnknownImport(f"unknown import {kind!r}; use one of {', '.join(IMPORTERS)}")
    if window_days is not None:
        if kind not in WINDOWED:
            raise UnsupportedOption(
                f"window_days applies only to {', '.join(WINDOWED)} imports, not {kind}"
            )
        importer = functools.partial(WINDOWED[kind], window_days=window_days)
    summary = await importer(data, progress)
    await inputs_changed()
    await audit.record(actor, f"import.{kind}", summary.message())
    return summary
