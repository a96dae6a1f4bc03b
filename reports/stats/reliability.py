"""How reliable the unit means are that the report correlates, and the correction for it.

A unit's engagement over the period is the mean of its unit-month scores; each of those
carries its respondents' sampling noise and the month's own ups and downs. The
reliability of that period mean — the share of its variance that is stable difference
between units — is what attenuates an observed correlation (Spearman 1904). One wave's
ICC(2) describes a single month's mean and understates the reliability of a mean over
many months; here it is estimated from the unit-month scores themselves, by one-way
ANOVA over the units of the outcome at hand, and Spearman–Brown at the units' (harmonic)
mean number of months. Its uncertainty is carried into the corrected correlation's
interval by a seeded bootstrap over units (the correlation and the reliability
recomputed in every draw).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from reports.stats.correlation import Correlation
from reports.stats.estimate import DEFAULT_SEED

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Reliability:
    """Reliability of units' period means, from unit-month scores."""

    value: float  # NaN when it cannot be estimated
    icc_months: float  # ICC(1) of unit-month scores: one month's share of stable variance
    months: float  # harmonic mean of months per unit
    n_units: int


def _anova(
    counts: FloatArray, sums: FloatArray, squares: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """ICC(1), Spearman–Brown reliability and harmonic months, along the last axis's units.

    Arrays are (draws × units) or (units,): per unit the number of months, the sum and the
    sum of squares of its scores.
    """
    n_total = counts.sum(axis=-1)
    groups = counts.shape[-1]
    grand = sums.sum(axis=-1) / n_total
    means = sums / counts
    ss_between = (counts * (means - grand[..., None]) ** 2).sum(axis=-1)
    ss_within = (squares - counts * means**2).sum(axis=-1)
    ms_between = ss_between / (groups - 1)
    ms_within = ss_within / (n_total - groups)
    k0 = (n_total - (counts**2).sum(axis=-1) / n_total) / (groups - 1)
    icc = (ms_between - ms_within) / (ms_between + (k0 - 1) * ms_within)
    months = groups / (1.0 / counts).sum(axis=-1)
    reliability = months * icc / (1 + (months - 1) * icc)
    return icc, reliability, months


def _unit_stats(cells: pd.DataFrame) -> tuple[pd.Index, FloatArray, FloatArray, FloatArray]:
    """Per unit: its months, and the sum and sum of squares of its scores."""
    scored = cells.dropna(subset=["engagement"])
    values = scored.assign(square=scored["engagement"] ** 2).groupby("unit")
    totals = values.agg(n=("engagement", "count"), s=("engagement", "sum"), q=("square", "sum"))
    return (
        totals.index,
        np.asarray(totals["n"], dtype=np.float64),
        np.asarray(totals["s"], dtype=np.float64),
        np.asarray(totals["q"], dtype=np.float64),
    )


def mean_reliability(cells: pd.DataFrame) -> Reliability:
    """Reliability of each unit's mean over its months; ``cells`` has unit and engagement
    (one row per unit-month). Needs at least 3 units and a unit with 2 or more months."""
    _, counts, sums, squares = _unit_stats(cells)
    n_units = int(counts.size)
    if n_units < 3 or counts.sum() - n_units < 1:
        nan = float("nan")
        return Reliability(nan, nan, nan, n_units)
    icc, reliability, months = _anova(counts, sums, squares)
    return Reliability(float(reliability), float(icc), float(months), n_units)


def corrected_correlation(
    observed: Correlation,
    cells: pd.DataFrame,
    outcome: pd.Series,
    reps: int = 2000,
    seed: int = DEFAULT_SEED,
) -> tuple[Correlation, Reliability]:
    """Pearson r of unit means with ``outcome`` (indexed by unit), divided by the square
    root of the unit means' reliability, with a bootstrap 95% CI over units.

    The outcome is taken as measured without error, so only engagement's reliability
    enters; the test is the observed r's (correction does not make a relation more or
    less certain). A corrected value past ±1 is reported as it is, with a note: it means
    the reliability is estimated too low for these units, not a correlation above 1.
    """
    units = outcome.dropna().index.intersection(pd.Index(cells["unit"].unique()))
    mine = cells[cells["unit"].isin(units)]
    reliability = mean_reliability(mine)
    nan = float("nan")
    if not math.isfinite(observed.r):
        return observed, reliability
    if not math.isfinite(reliability.value) or reliability.value <= 0:
        reason = (
            "the unit means' reliability is not positive: units hardly differ beyond chance, "
            "so there is nothing to correct"
        )
        return Correlation(
            nan, nan, nan, observed.p_value, observed.n_units, (reason,)
        ), reliability
    index, counts, sums, squares = _unit_stats(mine)
    y: FloatArray = np.asarray(outcome.reindex(index), dtype=np.float64)
    estimate = observed.r / math.sqrt(reliability.value)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, counts.size, size=(reps, counts.size))
    c, s, q, yy = counts[picks], sums[picks], squares[picks], y[picks]
    _, rel, _ = _anova(c, s, q)
    x = s / c
    xc = x - x.mean(axis=1, keepdims=True)
    yc = yy - yy.mean(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (xc * yc).sum(axis=1) / np.sqrt((xc**2).sum(axis=1) * (yc**2).sum(axis=1))
        draws = r / np.sqrt(rel)
    usable = np.isfinite(draws)
    notes = list(observed.warnings)
    if usable.mean() < 0.95:
        notes.append(
            "in more than 5% of bootstrap draws the reliability was not positive: no interval"
        )
        low = high = nan
    else:
        low, high = (float(v) for v in np.quantile(draws[usable], [0.025, 0.975]))
    if abs(estimate) > 1:
        notes.append(
            "the corrected correlation is past ±1: the unit means' reliability is estimated "
            "too low for so few units; read it as 'near perfect', not as a number"
        )
    return (
        Correlation(estimate, low, high, observed.p_value, observed.n_units, tuple(notes)),
        reliability,
    )
