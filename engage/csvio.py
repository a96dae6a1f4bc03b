"""Reading the CSV contracts: UTF-8 (BOM accepted), comma-separated, header row.

Every problem becomes a ``RowError`` naming the row (the header is row 1, as in a
spreadsheet), the column and the reason; imports collect them all and change nothing.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

#: Called as progress(stage, done, total) while a long import runs.
Progress = Callable[[str, int, int], None]

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_MONTH = re.compile(r"^\d{4}-\d{2}$")
MAX_ERRORS = 200
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RowError:
    """One thing wrong with an input file."""

    row: int | None
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.reason}" if where else self.reason


class ImportRejected(Exception):
    """An import found problems and changed nothing."""

    def __init__(self, what: str, errors: Sequence[RowError], total: int | None = None) -> None:
        self.what = what
        self.errors = list(errors)
        self.total = total if total is not None else len(self.errors)
        super().__init__(self.summary())

    def __reduce__(self) -> tuple[Any, ...]:
        # rebuilt from its parts when it crosses a process boundary (a helper's import)
        return (ImportRejected, (self.what, self.errors, self.total))

    def summary(self, limit: int = 20) -> str:
        """A readable message listing the first ``limit`` problems."""
        head = (
            f"{self.what}: nothing was imported, {self.total} "
            f"problem{'s' if self.total != 1 else ''} found"
        )
        lines = [head] + [f"  {e}" for e in self.errors[:limit]]
        if self.total > limit:
            lines.append(f"  … and {self.total - limit} more")
        return "\n".join(lines)


class ErrorCollector:
    """Collects row errors up to a cap while still counting all of them."""

    def __init__(self) -> None:
        self.errors: list[RowError] = []
        self.total = 0

    def add(self, row: int | None, column: str | None, reason: str) -> None:
        """Record one problem."""
        self.total += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(RowError(row, column, reason))

    def need_rows(self, rows: Sized, noun: str) -> None:
        """Record the one problem of a file with a header and nothing under it."""
        if not rows:
            self.add(None, None, f"the file has a header but no {noun}")

    def count_more(self, n: int) -> None:
        """Count ``n`` further problems that are not listed (beyond the cap)."""
        self.total += n

    def raise_if_any(self, what: str) -> None:
        """Raise ``ImportRejected`` if anything was recorded."""
        if self.total:
            raise ImportRejected(what, self.errors, self.total)


@dataclass(slots=True)
class CSVTable:
    """Parsed rows: ``rows`` holds (row number, {column: stripped value})."""

    header: list[str]
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)


def decode_utf8(data: bytes, what: str) -> str:
    """Decode a file as UTF-8 (a BOM is dropped) or say where it is not UTF-8."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportRejected(
            what,
            [RowError(None, None, "the file is UTF-16 text; save it as 'CSV UTF-8' and try again")],
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = data[: exc.start].count(b"\n") + 1
        raise ImportRejected(
            what,
            [
                RowError(
                    row,
                    None,
                    f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x} at position "
                    f"{exc.start}); save it as 'CSV UTF-8' and try again",
                )
            ],
        ) from None


@dataclass(slots=True)
class _Opened:
    """A reader positioned after a checked header."""

    reader: Iterator[list[str]]
    raw_header: list[str]
    header: list[str]
    index: dict[str, int]


def _open_csv(text: str, what: str, required: Sequence[str], optional: Iterable[str]) -> _Opened:
    """Read and check the header row of ``text``; raise ``ImportRejected`` on any fault."""
    errors = ErrorCollector()
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        raw_header = next(reader, None)
    except csv.Error as exc:
        raise ImportRejected(what, [RowError(1, None, f"unreadable header: {exc}")]) from None
    if raw_header is None or not any(c.strip() for c in raw_header):
        raise ImportRejected(what, [RowError(None, None, "the file is empty (no header row)")])
    header = [c.strip().lower() for c in raw_header]
    if len(header) == 1 and ";" in header[0]:
        raise ImportRejected(
            what,
            [
                RowError(
                    1,
                    None,
                    "the values are separated by semicolons (;), not commas: save the file as "
                    "'CSV UTF-8 (comma delimited)' and try again",
                )
            ],
        )
    seen: set[str] = set()
    for name in header:
        if name and name in seen and (name in required or name in set(optional)):
            errors.add(1, name, "column appears twice in the header")
        seen.add(name)
    missing = [c for c in required if c not in seen]
    if missing:
        errors.add(
            1,
            ", ".join(missing),
            f"missing required column{'s' if len(missing) > 1 else ''}; the header must have "
            + ",".join(required),
        )
    errors.raise_if_any(what)
    wanted = [c for c in (*required, *optional) if c in seen]
    return _Opened(reader, raw_header, header, {c: header.index(c) for c in wanted})


def _check_shape(
    record: list[str], row_number: int, opened: _Opened, errors: ErrorCollector
) -> bool:
    """Whether ``record`` is a row to read: blank lines are skipped, ragged rows reported."""
    width = len(opened.header)
    if not record or all(not cell.strip() for cell in record):
        return False  # blank line
    if len(record) > width and any(c.strip() for c in record[width:]):
        errors.add(row_number, None, f"has {len(record)} fields but the header has {width}")
        return False
    if len(record) < width:
        absent = ", ".join(opened.raw_header[len(record) :])
        errors.add(
            row_number,
            None,
            f"has {len(record)} fields but the header has {width} "
            f"(missing: {absent}); keep the commas of empty values",
        )
        return False
    return True


def _has_nul(values: dict[str, str], row_number: int, errors: ErrorCollector) -> bool:
    with_nul = [c for c, value in values.items() if "\x00" in value]
    for column in with_nul:
        errors.add(
            row_number,
            column,
            "contains a NUL character, which text cannot hold; is this really a CSV text file?",
        )
    return bool(with_nul)


def _csv_error(exc: csv.Error, row_number: int, errors: ErrorCollector) -> None:
    if "unexpected end of data" in str(exc):
        errors.add(
            row_number + 1,
            None,
            'a quoted value is never closed (a " is missing), so the rest of the file '
            "would be read as one value",
        )
    else:
        errors.add(row_number + 1, None, f"unreadable CSV: {exc}")


def read_csv(
    data: bytes,
    what: str,
    required: Sequence[str],
    optional: Iterable[str] = (),
) -> CSVTable:
    """Parse ``data`` and check its header; raise ``ImportRejected`` on any structural fault.

    Column names are matched case-insensitively after trimming; unknown columns are ignored.
    """
    opened = _open_csv(decode_utf8(data, what), what, required, optional)
    errors = ErrorCollector()
    table = CSVTable(header=opened.header)
    row_number = 1
    try:
        for record in opened.reader:
            row_number += 1
            if not _check_shape(record, row_number, opened, errors):
                continue
            values = {c: record[i].strip() for c, i in opened.index.items()}
            if not _has_nul(values, row_number, errors):
                table.rows.append((row_number, values))
    except csv.Error as exc:
        _csv_error(exc, row_number, errors)
    errors.raise_if_any(what)
    return table


@dataclass(slots=True)
class CSVColumns:
    """Parsed rows column by column (for files of millions of rows).

    ``rows`` holds the row number of each kept row; ``columns`` each read column's stripped
    values in the same order. Blank lines are skipped, as in ``read_csv``.
    """

    header: list[str]
    rows: list[int]
    columns: dict[str, list[str]]


def read_csv_columns(
    data: bytes,
    what: str,
    required: Sequence[str],
    optional: Iterable[str] = (),
    progress: Progress | None = None,
    stage: str = "reading",
) -> CSVColumns:
    """``read_csv`` for large files: the same checks, values gathered by column.

    No dict per row: one list per column. ``progress(stage, done, total)`` is called every
    so many rows (``total`` counts the lines of the file).
    """
    text = decode_utf8(data, what)
    opened = _open_csv(text, what, required, optional)
    errors = ErrorCollector()
    width = len(opened.header)
    names = list(opened.index)
    positions = [opened.index[c] for c in names]
    columns: dict[str, list[str]] = {c: [] for c in names}
    appends = [columns[c].append for c in names]
    pairs = list(zip(appends, positions, strict=True))
    rows: list[int] = []
    keep_row = rows.append
    check_nul = "\x00" in text
    total = text.count("\n") + (0 if text.endswith("\n") else 1)
    step = 1 << 16
    row_number = 1
    try:
        for record in opened.reader:
            row_number += 1
            if progress is not None and row_number % step == 0:
                progress(stage, row_number, total)
            irregular = len(record) != width or not "".join(record).strip()
            if irregular and not _check_shape(record, row_number, opened, errors):
                continue
            if check_nul and _has_nul(
                {c: record[i] for c, i in opened.index.items()}, row_number, errors
            ):
                continue
            keep_row(row_number)
            for append, i in pairs:
                append(record[i].strip())
    except csv.Error as exc:
        _csv_error(exc, row_number, errors)
    errors.raise_if_any(what)
    if progress is not None:
        progress(stage, total, total)
    return CSVColumns(header=opened.header, rows=rows, columns=columns)


def parse_iso_date(value: str) -> date | None:
    """``YYYY-MM-DD`` to a date, or None if it is not exactly that."""
    if not ISO_DATE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """What an import did, for the CLI, the upload page and the API."""

    kind: str
    rows: int
    created: int
    updated: int
    unchanged: int
    notes: tuple[str, ...] = ()

    def message(self) -> str:
        """One line a person reads after the import."""
        text = (
            f"{self.kind}: {self.rows} rows read — {self.created} created, "
            f"{self.updated} updated, {self.unchanged} unchanged"
        )
        return ". ".join([text, *(n.rstrip(".") for n in self.notes)]) + "."


def chunked(items: list[T], size: int) -> list[list[T]]:
    """Split ``items`` into lists of at most ``size`` (for bulk statements)."""
    return [items[i : i + size] for i in range(0, len(items), size)]


#: What a spreadsheet reads as the start of a formula (OWASP, "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """A cell of a CSV file engage writes for people to open: text that a spreadsheet
    would run as a formula gets a leading apostrophe; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


#: Separators a spreadsheet may split on besides the comma, by locale or guess.
OTHER_SEPARATORS = (";", "\t")


def export_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """CSV text of ``rows`` under ``header``, every text cell through ``safe_cell``; a row
    with a text cell holding another separator has its text quoted, so a spreadsheet that
    splits on ``;`` cannot cut a formula out of the middle of a cell."""
    out = io.StringIO()
    plain = csv.writer(out, lineterminator="\n")
    quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
    for row in itertools.chain([header], rows):
        cells = [safe_cell(c) for c in row]
        if any(isinstance(c, str) and any(s in c for s in OTHER_SEPARATORS) for c in cells):
            quoted.writerow(cells)
        else:
            plain.writerow(cells)
    return out.getvalue()
