"""Dashboard figures per unit and wave, from the waves' stored publications.

A unit's figures are its whole subtree's on the wave's frozen tree, all over one
respondent set, and exist only where the publication shows the unit (DESIGN.md rule 5).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from scipy import stats

from reports.publication import WITHHELD


@dataclass(frozen=True, slots=True)
class Figure:
    """One number for one group, or the reason it is withheld."""

    shown: bool
    value: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    n: int | None = None
    reason: str | None = None


class Dashboard:
    """Figures of every unit and closed wave, read from the waves' publications.

    Nothing is decided here: the publication said once, at close, which units are shown
    and why others are withheld (``reports.publication``); this only turns the published
    sums into the numbers people read.
    """

    def __init__(self, published: pd.DataFrame, k: int) -> None:
        """``published``: wave, unit, shown, reason and the publication's SUM_KEYS."""
        self.k = k
        self._rows: dict[tuple[int, int], dict[str, Any]] = {
            (int(r["unit"]), int(r["wave"])): {str(c): v for c, v in r.items()}
            for r in published.to_dict("records")
        }

    def _row(self, unit: int, wave: int) -> tuple[dict[str, Any] | None, str | None]:
        row = self._rows.get((unit, wave))
        if row is None or not row["shown"]:
            # one reason for all: no respondents, too few, or withheld for others' sake
            return None, WITHHELD.format(k=self.k)
        return row, None

    def engagement(self, unit: int, wave: int) -> Figure:
        """Mean respondent score with a 95% t interval, where the publication shows it."""
        row, reason = self._row(unit, wave)
        if row is None:
            return Figure(False, reason=reason)
        n = int(row["n"])
        mean = float(row["score_sum"]) / n
        variance = max((float(row["score_sq_sum"]) - n * mean * mean) / (n - 1), 0.0)
        half = float(stats.t.ppf(0.975, n - 1)) * math.sqrt(variance / n)
        return Figure(True, mean, mean - half, mean + half, n)

    def favourable(self, unit: int, wave: int, item: str) -> Figure:
        """% of the respondents' answers to an item that are 4 or 5."""
        counts = self.favourable_counts(unit, wave, item)
        if counts is None:
            _, reason = self._row(unit, wave)
            return Figure(False, reason=reason or WITHHELD.format(k=self.k))
        favourable, answered = counts
        return Figure(True, 100.0 * favourable / answered)

    def favourable_counts(self, unit: int, wave: int, item: str) -> tuple[int, int] | None:
        """(favourable answers, answers) of an item, or None where nothing is published."""
        row, _ = self._row(unit, wave)
        if row is None:
            return None
        answered = row.get(f"c_{item.lower()}")
        if answered is None or not answered > 0:
            return None
        return int(row[f"f_{item.lower()}"]), int(answered)

    def enps(self, unit: int, wave: int) -> Figure:
        """% promoters − % detractors among the respondents who answered it."""
        row, reason = self._row(unit, wave)
        if row is None:
            return Figure(False, reason=reason)
        n = float(row["enps_n"])
        if not n > 0:
            return Figure(False, reason=WITHHELD.format(k=self.k))
        return Figure(True, 100.0 * (float(row["promoters"]) - float(row["detractors"])) / n)

    def trend(self, unit: int, waves: Iterable[int]) -> list[tuple[int, Figure]]:
        """The unit's engagement in each wave (withheld waves say why)."""
        return [(wave, self.engagement(unit, wave)) for wave in waves]
