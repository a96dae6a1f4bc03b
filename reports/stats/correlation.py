"""Correlation of unit engagement with an outcome, across units.

n is always the number of units: respondents are already averaged into their unit's score
before anything here sees them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats

Z_975 = float(stats.norm.ppf(0.975))


@dataclass(frozen=True, slots=True)
class Correlation:
    """A correlation across units with its 95% CI and two-sided p-value."""

    r: float
    ci_low: float
    ci_high: float
    p_value: float
    n_units: int
    warnings: tuple[str, ...] = ()


def fisher_z_interval(r: float, n: int, se_scale: float = 1.0) -> tuple[float, float]:
    """95% CI of a correlation through Fisher's z: atanh(r) ± 1.96 · se_scale / √(n − 3)."""
    if n <= 3 or not math.isfinite(r):
        return float("nan"), float("nan")
    if abs(r) >= 1.0:
        return r, r
    z = math.atanh(r)
    half = Z_975 * se_scale / math.sqrt(n - 3)
    return math.tanh(z - half), math.tanh(z + half)


def _pairs(x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(x, dtype=float)
    b = np.asarray(y, dtype=float)
    if a.shape != b.shape:
        raise ValueError("x and y must have the same length")
    keep = np.isfinite(a) & np.isfinite(b)
    return a[keep], b[keep]


def _unusable(n: int, a: np.ndarray, b: np.ndarray) -> str | None:
    if n < 4:
        return f"only {n} units have both numbers; a correlation needs at least 4"
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return "one of the two variables is the same for every unit, so it cannot correlate"
    return None


def _correlate(
    x: npt.ArrayLike, y: npt.ArrayLike, test: Callable[..., Any], se_scale: float
) -> Correlation:
    a, b = _pairs(x, y)
    n = int(a.size)
    problem = _unusable(n, a, b)
    if problem:
        nan = float("nan")
        return Correlation(nan, nan, nan, nan, n, (problem,))
    result = test(a, b)
    r = float(result.statistic)
    low, high = fisher_z_interval(r, n, se_scale=se_scale)
    return Correlation(r, low, high, float(result.pvalue), n)


def pearson(x: npt.ArrayLike, y: npt.ArrayLike) -> Correlation:
    """Pearson r with a Fisher-z 95% CI (n = units) and scipy's exact-t p-value."""
    return _correlate(x, y, stats.pearsonr, 1.0)


def spearman(x: npt.ArrayLike, y: npt.ArrayLike) -> Correlation:
    """Spearman ρ; CI through Fisher's z with Fieller, Hartley & Pearson's SE √(1.06/(n−3))."""
    return _correlate(x, y, stats.spearmanr, math.sqrt(1.06))
