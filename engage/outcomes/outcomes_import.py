"""Import ``outcomes.csv`` (``unit_id,month,metric,value,n``): client metrics per unit and month.

All or nothing: every row is checked first; valid files are upserted by unit, month and
metric (a metric already stored for that unit and month is updated).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date

from engage import clock
from engage.csvio import ISO_DATE, ISO_MONTH, ErrorCollector, ImportSummary, Progress, read_csv
from engage.db.tables import Unit
from engage.outcomes.store import MetricRow, upsert_metrics

WHAT = "outcomes.csv"
REQUIRED = ("unit_id", "month", "metric", "value")
OPTIONAL = ("n",)
METRIC = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
WHOLE = re.compile(r"^\+?\d+$")
MAX_N = 2_147_483_647  # a 32-bit integer column
EARLIEST_MONTH = date(1900, 1, 1)


@dataclass(frozen=True, slots=True)
class Bounds:
    """The values a known metric can take."""

    low: float | None
    high: float | None
    meaning: str


#: Metrics engage knows, with their ranges; other names take any finite number.
KNOWN_METRICS: dict[str, Bounds] = {
    "csat": Bounds(1, 5, "a mean satisfaction from 1 to 5"),
    "nps": Bounds(-100, 100, "a Net Promoter Score from −100 to 100"),
    "client_retention": Bounds(0, 1, "a share from 0 to 1 (e.g. 0.72, not 72%)"),
    "revenue": Bounds(0, None, "an amount of 0 or more"),
}
#: Derived from the roster (hired_on, left_on), so never imported.
ROSTER_METRICS = ("staff_retention", "staff_turnover")
#: Metrics whose ``n`` must be given: the clients at risk behind the share.
NEEDS_N = {"client_retention": "the number of clients at risk (first-time clients)"}


def parse_month(value: str) -> tuple[date | None, str]:
    """``YYYY-MM`` to the first day of that month, or None and the reason it is not one."""
    if not value:
        return None, "is empty"
    if ISO_DATE.match(value):
        return None, f"{value!r} is a date: write the month as YYYY-MM (e.g. {value[:7]})"
    if not ISO_MONTH.match(value) or not 1 <= int(value[5:]) <= 12:
        return None, f"{value!r} is not a month YYYY-MM (e.g. 2024-03)"
    return date(int(value[:4]), int(value[5:]), 1), ""


def parse_value(value: str) -> tuple[float | None, str]:
    """A finite decimal number, or None and the reason it is not one."""
    if not value:
        return None, "is empty"
    if value.endswith("%"):
        return None, f"{value!r} is a percentage: write a plain number (a share as 0.72)"
    if not NUMBER.match(value):
        hint = " (use a dot as the decimal separator)" if "," in value else ""
        return None, f"{value!r} is not a number{hint}"
    number = float(value)
    if not math.isfinite(number):
        return None, f"{value!r} is too large"
    return number, ""


def validate_outcomes(data: bytes, unit_ids: dict[str, int], today: date) -> list[MetricRow]:
    """Check an outcomes file against the known units; return the rows to store.

    Raises ``ImportRejected`` naming every bad row.
    """
    table = read_csv(data, WHAT, required=REQUIRED, optional=OPTIONAL)
    has_n = "n" in table.header
    this_month = today.replace(day=1)
    errors = ErrorCollector()
    seen: dict[tuple[str, date, str], int] = {}
    rows: list[MetricRow] = []
    for row_no, v in table.rows:
        ok = True
        code = v["unit_id"]
        if not code:
            errors.add(row_no, "unit_id", "is empty")
            ok = False
        elif code not in unit_ids:
            errors.add(row_no, "unit_id", f"unknown unit {code!r} (import units.csv first)")
            ok = False
        month, reason = parse_month(v["month"])
        if month is None:
            errors.add(row_no, "month", reason)
            ok = False
        elif month > this_month:
            errors.add(row_no, "month", f"{v['month']} is in the future")
            ok = False
        elif month < EARLIEST_MONTH:
            errors.add(row_no, "month", f"{v['month']} looks wrong (check the year)")
            ok = False
        metric = v["metric"].lower()
        if not metric:
            errors.add(row_no, "metric", "is empty")
            ok = False
        elif metric in ROSTER_METRICS:
            errors.add(
                row_no,
                "metric",
                f"{metric} is derived from the roster (hired_on, left_on), not imported; "
                "leave it out of outcomes.csv",
            )
            ok = False
        elif not METRIC.match(metric):
            errors.add(
                row_no,
                "metric",
                f"{v['metric']!r} is not a metric name: a letter, then up to 39 letters, "
                "digits or underscores (e.g. csat, nps, client_retention, revenue)",
            )
            ok = False
        value, reason = parse_value(v["value"])
        if value is None:
            errors.add(row_no, "value", reason)
            ok = False
        elif metric in KNOWN_METRICS:
            bounds = KNOWN_METRICS[metric]
            if (bounds.low is not None and value < bounds.low) or (
                bounds.high is not None and value > bounds.high
            ):
                errors.add(
                    row_no, "value", f"{v['value']} is out of range: {metric} is {bounds.meaning}"
                )
                ok = False
        n: int | None = None
        raw_n = v["n"] if has_n else ""
        if raw_n:
            if not WHOLE.match(raw_n) or int(raw_n) < 1:
                errors.add(row_no, "n", f"{raw_n!r} is not a whole number of 1 or more")
                ok = False
            elif int(raw_n) > MAX_N:
                errors.add(row_no, "n", f"{raw_n} is too large")
                ok = False
            else:
                n = int(raw_n)
        elif metric in NEEDS_N:
            where = "is empty" if has_n else "is missing (the header has no n column)"
            errors.add(row_no, "n", f"{where}: {metric} needs n, {NEEDS_N[metric]}")
            ok = False
        if code and month is not None and metric:
            key = (code, month, metric)
            if key in seen:
                errors.add(
                    row_no,
                    "metric",
                    f"duplicate: row {seen[key]} has the same unit_id, month and metric "
                    f"({code}, {month:%Y-%m}, {metric})",
                )
                ok = False
            else:
                seen[key] = row_no
        if ok:
            assert month is not None and value is not None
            rows.append(MetricRow(unit_ids[code], month, metric, value, n, "outcomes"))
    errors.need_rows(table.rows, "rows")
    errors.raise_if_any(WHAT)
    return rows


async def import_outcomes(data: bytes, progress: Progress | None = None) -> ImportSummary:
    """Validate an outcomes file, then upsert its metrics in one transaction (all or nothing)."""
    units = {r["code"]: r["id"] for r in await Unit.select(Unit.id, Unit.code).run()}
    rows = validate_outcomes(data, units, clock.today())

    def tick(done: int, total: int) -> None:
        if progress:
            progress("saving client metrics", done, total)

    written = await upsert_metrics(rows, tick)
    metrics = sorted({r.metric for r in rows})
    return ImportSummary(
        kind="outcomes",
        rows=len(rows),
        created=written.created,
        updated=written.updated,
        unchanged=written.unchanged,
        notes=(f"metrics: {', '.join(metrics)}",),
    )
