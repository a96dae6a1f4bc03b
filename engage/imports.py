"""One entry point for every CSV import (CLI, upload page, API): run it and audit it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from engage import audit
from engage.csvio import ImportSummary, Progress
from engage.org.roster_import import import_roster
from engage.org.units_import import import_units
from engage.survey.history_import import import_responses
from engage.survey.items_service import import_items

Importer = Callable[[bytes, Progress | None], Awaitable[ImportSummary]]

IMPORTERS: dict[str, Importer] = {
    "units": import_units,
    "roster": import_roster,
    "responses": import_responses,
    "items": import_items,
}


class UnknownImport(ValueError):
    """No importer has that name."""


async def run_import(
    kind: str, data: bytes, actor: str, progress: Progress | None = None
) -> ImportSummary:
    """Import ``data`` as ``kind`` (all or nothing) and write the outcome to the audit log."""
    importer = IMPORTERS.get(kind)
    if importer is None:
        raise UnknownImport(f"unknown import {kind!r}; use one of {', '.join(IMPORTERS)}")
    summary = await importer(data, progress)
    await audit.record(actor, f"import.{kind}", summary.message())
    return summary
