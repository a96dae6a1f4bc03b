"""Dashboard figures per unit subtree and wave, every one of them asked of the reporting gate.

Input is additive sums per unit (respondents sitting directly in it) and wave; a unit's
figures are its whole subtree's. Scores, each item's % favourable and eNPS are separate
slices of the gate, each judged on its own counts: an item skipped by a few people must not
let a small remainder through where the respondent count would not.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
from scipy import stats

from reports.gate import ReportingGate


@dataclass(frozen=True, slots=True)
class Figure:
    """One number for one group, or the reason it is withheld."""

    shown: bool
    value: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    n: int | None = None
    reason: str | None = None


def subtree_sums(rows: pd.DataFrame, paths: Mapping[int, str], keys: list[str]) -> pd.DataFrame:
    """Add each unit's rows to every unit above it: sums per (unit, *keys) over its subtree."""
    if rows.empty:
        return rows
    ancestors = pd.DataFrame(
        [(unit, int(a)) for unit, path in paths.items() for a in path.strip("/").split("/") if a],
        columns=["leaf", "owner"],
    )
    merged = rows.merge(ancestors, left_on="unit", right_on="leaf")
    values = [c for c in rows.columns if c not in ("unit", *keys)]
    out = merged.groupby(["owner", *keys], as_index=False)[values].sum()
    return out.rename(columns={"owner": "unit"})


def _lookup(frame: pd.DataFrame, keys: list[str]) -> dict[tuple[Any, ...], dict[str, float]]:
    """Rows of a small aggregated frame by their key columns, values as floats."""
    if frame.empty:
        return {}
    values = [c for c in frame.columns if c not in keys]
    out: dict[tuple[Any, ...], dict[str, float]] = {}
    for record in frame.to_dict("records"):
        key = tuple(int(record[k]) if k != "item" else str(record[k]) for k in keys)
        out[key] = {c: float(record[c]) for c in values}
    return out


class Dashboard:
    """Gated figures for every unit and closed wave of an organisation."""

    def __init__(
        self,
        scores: pd.DataFrame,
        items: pd.DataFrame,
        enps: pd.DataFrame,
        paths: Mapping[int, str],
        k: int,
    ) -> None:
        """``scores``: unit, wave, n, score_sum, score_sq_sum; ``items``: unit, wave, item, n,
        favourable; ``enps``: unit, wave, n, promoters, detractors (direct members only)."""
        self.paths = paths
        self.k = k
        self._scores = _lookup(subtree_sums(scores, paths, ["wave"]), ["unit", "wave"])
        self._items = _lookup(
            subtree_sums(items, paths, ["wave", "item"]), ["unit", "wave", "item"]
        )
        self._enps = _lookup(subtree_sums(enps, paths, ["wave"]), ["unit", "wave"])
        sizes: dict[Hashable, dict[int, int]] = {}
        for key, row in self._scores.items():
            sizes.setdefault(("score", key[1]), {})[int(key[0])] = int(row["n"])
        for key, row in self._items.items():
            sizes.setdefault(("item", key[1], key[2]), {})[int(key[0])] = int(row["n"])
        for key, row in self._enps.items():
            sizes.setdefault(("enps", key[1]), {})[int(key[0])] = int(row["n"])
        self.gate = ReportingGate.build(paths, sizes, k)

    def engagement(self, unit: int, wave: int) -> Figure:
        """Mean respondent score with a 95% t interval, if the gate allows it."""
        verdict = self.gate.verdict(("score", wave), unit)
        if not verdict.shown:
            return Figure(False, reason=verdict.reason)
        row = self._scores[(unit, wave)]
        n = int(row["n"])
        mean = float(row["score_sum"]) / n
        variance = max((float(row["score_sq_sum"]) - n * mean * mean) / (n - 1), 0.0)
        half = float(stats.t.ppf(0.975, n - 1)) * math.sqrt(variance / n)
        return Figure(True, mean, mean - half, mean + half, n)

    def favourable(self, unit: int, wave: int, item: str) -> Figure:
        """% of an item's answers that are 4 or 5, if the gate allows it."""
        verdict = self.gate.verdict(("item", wave, item), unit)
        if not verdict.shown:
            return Figure(False, reason=verdict.reason)
        row = self._items[(unit, wave, item)]
        return Figure(True, 100.0 * float(row["favourable"]) / float(row["n"]))

    def favourable_counts(self, unit: int, wave: int, item: str) -> tuple[int, int] | None:
        """(favourable answers, answers) of an item, or None where the gate withholds it."""
        if not self.gate.verdict(("item", wave, item), unit).shown:
            return None
        row = self._items[(unit, wave, item)]
        return int(row["favourable"]), int(row["n"])

    def enps(self, unit: int, wave: int) -> Figure:
        """% promoters − % detractors, if the gate allows it."""
        verdict = self.gate.verdict(("enps", wave), unit)
        if not verdict.shown:
            return Figure(False, reason=verdict.reason)
        row = self._enps[(unit, wave)]
        n = float(row["n"])
        return Figure(True, 100.0 * (float(row["promoters"]) - float(row["detractors"])) / n)

    def trend(self, unit: int, waves: Iterable[int]) -> list[tuple[int, Figure]]:
        """The unit's engagement in each wave (withheld waves say why)."""
        return [(wave, self.engagement(unit, wave)) for wave in waves]
