"""Import ``visits.csv`` (``client_id,unit_id,visited_on``): client retention per unit and month.

Only the derived rows are stored (metric ``client_retention``, source ``visits``, ``n`` =
first-time clients); client ids and individual visits never reach the database. The rules
are in ``engage.outcomes.retention``. ``service`` and ``amount`` columns may be present and
are ignored, like any other extra column.

Built for files of millions of rows: the CSV is read column by column, checks run on the
distinct values (units, dates) rather than per row, and the derivation is vectorised. The
CPU-bound part runs in a worker thread so a web worker keeps answering meanwhile.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date

import anyio.to_thread
import numpy as np
import numpy.typing as npt
import pandas as pd

from engage import clock
from engage.csvio import (
    MAX_ERRORS,
    ErrorCollector,
    ImportSummary,
    Progress,
    parse_iso_date,
    read_csv_columns,
)
from engage.db.tables import Unit
from engage.outcomes.retention import Retention, derive_retention
from engage.outcomes.store import MetricRow, upsert_metrics
from engage.settings import MAX_RETURN_WINDOW_DAYS, get_settings

WHAT = "visits.csv"
REQUIRED = ("client_id", "unit_id", "visited_on")
METRIC = "client_retention"
EARLIEST_DATE = date(1900, 1, 1)


@dataclass(frozen=True, slots=True)
class Checked:
    """A visits file that passed every check, as arrays (one entry per visit)."""

    rows: int
    clients: npt.NDArray[np.intp]  # client codes (the ids themselves are dropped)
    units: pd.Categorical[str]  # unit codes
    days: npt.NDArray[np.int64]  # days since 1970-01-01


def _bad_rows(
    distinct: int, reasons: dict[int, str], codes: npt.NDArray[np.intp]
) -> npt.NDArray[np.bool_]:
    """Which rows hold a bad value: ``codes`` index ``distinct`` values, ``reasons`` the bad."""
    flags = np.zeros(distinct, dtype=bool)
    flags[list(reasons)] = True
    return flags[codes]


def check_visits(
    data: bytes, unit_codes: set[str], today: date, progress: Progress | None = None
) -> Checked:
    """Read and check a visits file; raise ``ImportRejected`` naming every bad row.

    Problems: an empty ``client_id``, an empty or unknown ``unit_id``, a ``visited_on``
    that is not a date ``YYYY-MM-DD``, lies after ``today`` or before 1900.
    """
    table = read_csv_columns(data, WHAT, REQUIRED, progress=progress, stage="reading visits.csv")
    errors = ErrorCollector()
    errors.need_rows(table.rows, "visits")
    errors.raise_if_any(WHAT)
    if progress:
        progress("checking visits", 0, 3)
    row_numbers = np.asarray(table.rows, dtype=np.int64)

    clients, client_ids = pd.factorize(np.asarray(table.columns.pop("client_id"), dtype=object))
    empty_client = {i: "is empty" for i, c in enumerate(client_ids) if c == ""}
    bad_client = _bad_rows(len(client_ids), empty_client, clients)
    del client_ids
    if progress:
        progress("checking visits", 1, 3)

    units, unit_values = pd.factorize(
        np.asarray(table.columns.pop("unit_id"), dtype=object), sort=True
    )
    unit_list = [str(u) for u in unit_values]
    unit_reasons = {
        i: "is empty" if not u else f"unknown unit {u!r} (import units.csv first)"
        for i, u in enumerate(unit_list)
        if u not in unit_codes
    }
    bad_unit = _bad_rows(len(unit_list), unit_reasons, units)
    if progress:
        progress("checking visits", 2, 3)

    dates, date_values = pd.factorize(np.asarray(table.columns.pop("visited_on"), dtype=object))
    date_list = [str(d) for d in date_values]
    date_reasons: dict[int, str] = {}
    day_of = np.zeros(len(date_list), dtype=np.int64)
    for i, text in enumerate(date_list):
        day = parse_iso_date(text)
        if day is None:
            date_reasons[i] = "is empty" if not text else f"{text!r} is not a date YYYY-MM-DD"
        elif day > today:
            date_reasons[i] = f"{day} is in the future"
        elif day < EARLIEST_DATE:
            date_reasons[i] = f"{day} looks wrong (check the year)"
        else:
            day_of[i] = (day - date(1970, 1, 1)).days
    bad_date = _bad_rows(len(date_list), date_reasons, dates)
    if progress:
        progress("checking visits", 3, 3)

    checks = (
        ("client_id", bad_client, clients, empty_client),
        ("unit_id", bad_unit, units, unit_reasons),
        ("visited_on", bad_date, dates, date_reasons),
    )
    problems = sum(int(mask.sum()) for _, mask, _, _ in checks)
    if problems:
        bad_rows = np.flatnonzero(bad_client | bad_unit | bad_date)[:MAX_ERRORS]
        for i in bad_rows:
            for column, mask, codes, reasons in checks:
                if mask[i]:
                    errors.add(int(row_numbers[i]), column, reasons[int(codes[i])])
        errors.count_more(problems - errors.total)
        errors.raise_if_any(WHAT)
    return Checked(
        rows=len(row_numbers),
        clients=clients,
        units=pd.Categorical.from_codes(units, categories=pd.Index(unit_list)),
        days=day_of[dates],
    )


def derive_from_file(
    data: bytes,
    unit_codes: set[str],
    today: date,
    window_days: int,
    progress: Progress | None = None,
) -> tuple[int, Retention]:
    """Check a visits file and derive client retention from it: (visits read, retention)."""
    checked = check_visits(data, unit_codes, today, progress)
    if progress:
        progress("deriving client retention", 0, 1)
    retention = derive_retention(
        checked.clients, checked.units, checked.days.astype("datetime64[D]"), window_days
    )
    if progress:
        progress("deriving client retention", 1, 1)
    return checked.rows, retention


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else plural or word + 's'}"


def notes(retention: Retention) -> tuple[str, ...]:
    """What the summary says about the derivation beyond the counts."""
    window = retention.window_days
    derived = retention.clients - retention.skipped_clients
    said = [
        f"{METRIC} derived for {_plural(len(retention.rows), 'unit-month')} from "
        f"{_plural(derived, 'first-time client')} (a return within {window} days counts); "
        "client ids and visits were not stored"
    ]
    if retention.skipped_months:
        assert retention.last_complete_month is not None
        skipped = len(retention.skipped_months)
        are, were = ("is", "was") if skipped == 1 else ("are", "were")
        said.append(
            f"{_plural(skipped, 'month')} after {retention.last_complete_month:%Y-%m} {are} "
            f"too recent to tell ({window} days after the month's end reaches past the last "
            f"visit in the file, {retention.last_visit}) and {were} not derived "
            f"({_plural(retention.skipped_clients, 'first-time client')}); stored values "
            "for them are kept"
        )
    return tuple(said)


async def import_visits(
    data: bytes, progress: Progress | None = None, window_days: int | None = None
) -> ImportSummary:
    """Derive client retention from a visits file and upsert it per unit and month.

    ``window_days`` defaults to the ``return_window_days`` setting. All or nothing: a bad
    row changes nothing; months the file does not cover (or cannot tell yet) stay as stored.
    """
    window = window_days if window_days is not None else get_settings().return_window_days
    if not 1 <= window <= MAX_RETURN_WINDOW_DAYS:
        raise ValueError(f"window_days must be from 1 to {MAX_RETURN_WINDOW_DAYS}, not {window}")
    units = {r["code"]: r["id"] for r in await Unit.select(Unit.id, Unit.code).run()}
    visits, retention = await anyio.to_thread.run_sync(
        functools.partial(derive_from_file, data, set(units), clock.today(), window, progress)
    )
    rows = [
        MetricRow(units[r.unit_id], r.month, METRIC, r.value, r.clients, "visits")
        for r in retention.rows
    ]

    def tick(done: int, total: int) -> None:
        if progress:
            progress("saving client retention", done, total)

    written = await upsert_metrics(rows, tick)
    return ImportSummary(
        kind="visits",
        rows=visits,
        created=written.created,
        updated=written.updated,
        unchanged=written.unchanged,
        notes=notes(retention),
    )
