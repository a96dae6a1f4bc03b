"""Client retention per unit and month, derived from individual visits (pure: no database).

The rules, applied to one ``visits.csv`` as a whole:

1. A client's *first visit* is their earliest ``visited_on`` in the file. When they visited
   more than one unit that day, the unit with the smallest unit code takes it. That makes
   them a *first-time client* of that unit in that calendar month.
2. The client *returned* when they have any later visit — on a later day, at any unit of
   the organisation — at most ``window_days`` days after the first visit (inclusive: with a
   90-day window a visit 90 days later counts, 91 days later does not). A second visit on
   the same day is not a return.
3. Per unit and month: ``n`` = the month's first-time clients of the unit, ``value`` =
   the share of them who returned (``returned / n``).
4. A month is derived only when every window that starts in it is fully observed: the
   month's last day plus ``window_days`` is on or before the latest ``visited_on`` of the
   file. Later months are *too recent to tell* and are left out (``skipped_months``), so
   clients who simply have not had time to come back are never counted as lost.

Clients whose history starts before the file are counted as first-time clients on their
first visit in the file: send files that start where the visit history starts (or accept
that the first months overstate first-time clients).

Everything is vectorised with numpy and pandas: one sort of the visits, no loop per client.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd


@dataclass(frozen=True, slots=True)
class RetentionRow:
    """Client retention of one unit in one month."""

    unit_id: str
    month: date  # first day of the month
    clients: int  # first-time clients: the n behind the share
    returned: int

    @property
    def value(self) -> float:
        """The share of first-time clients who returned within the window."""
        return self.returned / self.clients


@dataclass(frozen=True, slots=True)
class Retention:
    """What a visits file tells about client retention."""

    rows: tuple[RetentionRow, ...]  # by unit code, then month
    window_days: int
    last_visit: date | None  # the latest visited_on of the file
    last_complete_month: date | None  # the latest month whose windows are all observed
    skipped_months: tuple[date, ...]  # months with first visits that are too recent to tell
    clients: int  # distinct clients in the file

    @property
    def skipped_clients(self) -> int:
        """First-time clients in the months too recent to tell."""
        return self.clients - sum(r.clients for r in self.rows)


def _month_start(days: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Day numbers (since 1970-01-01) to the month numbers (since 1970-01) they fall in."""
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def _as_date(month: int) -> date:
    return date.fromisoformat(str(np.datetime64(month, "M").astype("datetime64[D]")))


def last_complete_month(last_visit: date, window_days: int) -> date:
    """The latest month whose last day plus ``window_days`` is on or before ``last_visit``."""
    horizon = np.datetime64(last_visit, "D") - np.timedelta64(window_days, "D")
    # the month of ``horizon`` is complete only if ``horizon`` is its last day
    month = horizon.astype("datetime64[M]")
    if (month + 1).astype("datetime64[D]") - 1 != horizon:
        month -= 1
    return _as_date(int(month.astype(np.int64)))


def derive_retention(
    client_id: Any,
    unit_id: Any,
    visited_on: Any,
    window_days: int,
) -> Retention:
    """Derive client retention per unit and month from visits (see the module's rules).

    Parameters
    ----------
    client_id
        One value per visit (any hashable: strings or integer codes).
    unit_id
        The unit code of each visit: strings, or a pandas ``Categorical`` whose categories
        are the codes (their sort order breaks ties between same-day first visits).
    visited_on
        The date of each visit (anything numpy turns into ``datetime64[D]``).
    window_days
        Days after a first visit within which a return counts (inclusive), at least 1.

    Returns
    -------
    Retention
        Rows per unit and month for complete months, plus the months left out.
    """
    if window_days < 1:
        raise ValueError("window_days must be at least 1")
    clients, _ = pd.factorize(_array(client_id))
    units, unit_codes = pd.factorize(_array(unit_id), sort=True)
    days = np.asarray(visited_on, dtype="datetime64[D]").astype(np.int64)
    if not len(clients) == len(units) == len(days):
        raise ValueError("client_id, unit_id and visited_on must have the same length")
    if len(days) == 0:
        return Retention((), window_days, None, None, (), 0)
    last_day = int(days.max())
    last_visit = _as_day(last_day)

    # One sort: by client, then day, then unit code (ties go to the smallest code).
    order = np.lexsort((units, days, clients))
    client_sorted = clients[order]
    day_sorted = days[order]
    starts_group = np.empty(len(order), dtype=bool)
    starts_group[0] = True
    np.not_equal(client_sorted[1:], client_sorted[:-1], out=starts_group[1:])
    starts = np.flatnonzero(starts_group)
    first_day = day_sorted[starts]
    first_unit = units[order][starts]
    sizes = np.diff(np.append(starts, len(order)))
    lag = day_sorted - np.repeat(first_day, sizes)
    returned = np.logical_or.reduceat((lag > 0) & (lag <= window_days), starts)

    first_month = _month_start(first_day)
    complete_until = last_complete_month(last_visit, window_days)
    complete_month = _month_start(np.array([_day_number(complete_until)]))[0]
    complete = first_month <= complete_month
    skipped = tuple(_as_date(int(m)) for m in np.unique(first_month[~complete]))

    frame = pd.DataFrame(
        {
            "unit": first_unit[complete],
            "month": first_month[complete],
            "returned": returned[complete].astype(np.int64),
        }
    )
    grouped = frame.groupby(["unit", "month"], sort=True)["returned"].agg(["size", "sum"])
    rows = tuple(
        RetentionRow(
            unit_id=str(unit_codes[int(unit)]),
            month=_as_date(int(month)),
            clients=int(size),
            returned=int(total),
        )
        for (unit, month), size, total in zip(
            grouped.index, grouped["size"], grouped["sum"], strict=True
        )
    )
    return Retention(
        rows=rows,
        window_days=window_days,
        last_visit=last_visit,
        last_complete_month=complete_until,
        skipped_months=skipped,
        clients=len(starts),
    )


def _array(values: Any) -> Any:
    """Something ``pd.factorize`` takes: pandas and numpy arrays as they are, else objects."""
    if isinstance(values, pd.Series | pd.Index | pd.Categorical | np.ndarray):
        return values
    return np.asarray(list(values), dtype=object)


def _as_day(day: int) -> date:
    return date.fromisoformat(str(np.datetime64(day, "D")))


def _day_number(day: date) -> int:
    return int(np.datetime64(day, "D").astype(np.int64))
