"""Aggregation checks: Cronbach's alpha, ICC(1) and ICC(2), and rwg(j).

Alpha says whether the items measure one thing; ICC(1) how much of the variance in
respondent scores lies between units; ICC(2) how reliable a unit's mean is (Bliese 2000);
rwg(j) how far a unit's members agree, against a uniform null (James, Demaree & Wolf 1984).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

from reports.stats.estimate import DEFAULT_SEED

FloatArray = npt.NDArray[np.float64]


def cronbach_alpha(items: npt.ArrayLike) -> float:
    """Alpha of a respondents × items matrix, over respondents who answered every item.

    Rows holding any missing value (NaN) are left out (listwise), as most tools do.
    Returns NaN when fewer than two items or two complete respondents remain.
    """
    matrix = np.asarray(items, dtype=float)
    if matrix.ndim != 2:
        raise ValueError("items must be a respondents × items matrix")
    complete = matrix[~np.isnan(matrix).any(axis=1)]
    n, k = complete.shape
    if k < 2 or n < 2:
        return float("nan")
    item_var = complete.var(axis=0, ddof=1)
    total_var = complete.sum(axis=1).var(ddof=1)
    return alpha_from_variances(item_var, float(total_var))


def alpha_from_variances(item_variances: npt.ArrayLike, total_variance: float) -> float:
    """Alpha from the item variances and the variance of the summed score (same respondents)."""
    item_var = np.asarray(item_variances, dtype=float)
    k = item_var.size
    if k < 2 or not np.isfinite(total_variance) or total_variance <= 0:
        return float("nan")
    return float(k / (k - 1) * (1.0 - item_var.sum() / total_variance))


@dataclass(frozen=True, slots=True)
class GroupAgreement:
    """ICC(1) and ICC(2) from a one-way ANOVA of respondent scores on their units."""

    icc1: float
    icc2: float
    ms_between: float
    ms_within: float
    f_value: float
    p_value: float
    n_groups: int
    n_respondents: int
    mean_group_size: float


def icc_from_group_stats(
    sizes: npt.ArrayLike, means: npt.ArrayLike, ss_within: npt.ArrayLike
) -> GroupAgreement:
    """ICC(1) and ICC(2) from each group's size, mean and within-group sum of squares.

    These three numbers per group are all a one-way ANOVA needs, so the database can
    return them instead of every answer. As in Bliese's ``multilevel`` package, the group
    size in ICC(1) is the mean group size (N / J).
    """
    n = np.asarray(sizes, dtype=float)
    m = np.asarray(means, dtype=float)
    ssw = np.asarray(ss_within, dtype=float)
    keep = n > 0
    n, m, ssw = n[keep], m[keep], ssw[keep]
    groups = int(n.size)
    total = float(n.sum())
    nan = float("nan")
    if groups < 2 or total - groups < 1:
        return GroupAgreement(nan, nan, nan, nan, nan, nan, groups, int(total), nan)
    grand = float((n * m).sum() / total)
    ss_between = float((n * (m - grand) ** 2).sum())
    ms_between = ss_between / (groups - 1)
    ms_within = float(ssw.sum()) / (total - groups)
    size = total / groups
    if ms_within <= 0 and ms_between <= 0:
        return GroupAgreement(nan, nan, ms_between, ms_within, nan, nan, groups, int(total), size)
    icc1 = (ms_between - ms_within) / (ms_between + (size - 1) * ms_within)
    icc2 = (ms_between - ms_within) / ms_between if ms_between > 0 else nan
    if ms_within > 0:
        f_value = ms_between / ms_within
        p_value = float(stats.f.sf(f_value, groups - 1, total - groups))
    else:
        f_value, p_value = float("inf"), 0.0
    return GroupAgreement(
        icc1=float(icc1),
        icc2=float(icc2),
        ms_between=ms_between,
        ms_within=ms_within,
        f_value=float(f_value),
        p_value=p_value,
        n_groups=groups,
        n_respondents=int(total),
        mean_group_size=size,
    )


def icc_oneway(values: npt.ArrayLike, groups: Sequence[object] | npt.ArrayLike) -> GroupAgreement:
    """ICC(1) and ICC(2) of respondent ``values`` nested in ``groups`` (one label each)."""
    y = np.asarray(values, dtype=float)
    labels = np.asarray(groups)
    if y.shape != labels.shape:
        raise ValueError("values and groups must have the same length")
    keep = ~np.isnan(y)
    y, labels = y[keep], labels[keep]
    _, inverse = np.unique(labels, return_inverse=True)
    sizes = np.bincount(inverse).astype(float)
    sums = np.bincount(inverse, weights=y)
    squares = np.bincount(inverse, weights=y * y)
    means = sums / sizes
    return icc_from_group_stats(sizes, means, squares - sums * means)


def uniform_null_variance(scale_points: int) -> float:
    """Variance of answers spread evenly over an A-point scale: (A² − 1) / 12."""
    if scale_points < 2:
        raise ValueError("a scale needs at least two points")
    return (scale_points**2 - 1) / 12.0


#: Null variances of a slightly skewed answer distribution (LeBreton & Senter 2008,
#: table 2): staff tend to answer at the agreeable end of a scale, so agreement is judged
#: against that tendency, not against answers spread evenly.
SLIGHT_SKEW_NULL_VARIANCE = {5: 1.34, 7: 2.90}
#: Groups drawn per critical value of r*wg(j) under the uniform null.
CRITICAL_DRAWS = 4000
#: Larger groups use this size's critical value: the bar only falls with size, so theirs
#: is a little stricter than needed, and the simulation's memory stays bounded.
CRITICAL_MAX_GROUP = 60
CRITICAL_MAX_ITEMS = 24


def slight_skew_null_variance(scale_points: int) -> float:
    """The slightly skewed null's variance (the uniform's when the scale has no table)."""
    return SLIGHT_SKEW_NULL_VARIANCE.get(scale_points, uniform_null_variance(scale_points))


def r_star_wg_j(mean_item_variance: npt.ArrayLike, null_variance: float) -> npt.NDArray[np.float64]:
    """r*wg(j) = 1 − mean item variance / null variance (Lindell, Brandt & Whitney 1999).

    Unlike rwg(j) it does not rise with the number of items (no Spearman–Brown step), so
    twelve items answered at random do not pass for agreement; it goes below 0 when the
    members disagree more than the null, and is floored at −1.
    """
    value = 1.0 - np.asarray(mean_item_variance, dtype=float) / null_variance
    floored: npt.NDArray[np.float64] = np.maximum(value, -1.0)
    return floored


@functools.lru_cache(maxsize=256)
def r_star_critical(group_size: int, items: int, scale_points: int = 5) -> float:
    """95th percentile of r*wg(j) (uniform null variance) for ``group_size`` members
    answering ``items`` items uniformly at random: above it, a group agrees beyond chance
    (Dunlap, Burke & Smith-Crowe 2003). Simulated with a fixed seed."""
    group_size = min(group_size, CRITICAL_MAX_GROUP)
    items = min(items, CRITICAL_MAX_ITEMS)
    rng = np.random.default_rng(DEFAULT_SEED + 1000 * group_size + items)
    answers = rng.integers(1, scale_points + 1, size=(CRITICAL_DRAWS, group_size, items))
    variance = answers.var(axis=1, ddof=1).mean(axis=1)
    null = r_star_wg_j(variance, uniform_null_variance(scale_points))
    return float(np.quantile(null, 0.95))


def rwg_j(item_variances: npt.ArrayLike, scale_points: int = 5) -> float:
    """rwg(j) from the within-group variance (ddof = 1) of each of the J items.

    The mean observed variance is compared with the uniform null; when it exceeds the null
    (less agreement than random answers) rwg(j) is set to 0, as LeBreton & Senter (2008)
    advise. NaN when no item has a variance.
    """
    variances = np.asarray(item_variances, dtype=float)
    variances = variances[~np.isnan(variances)]
    j = variances.size
    if j == 0:
        return float("nan")
    ratio = float(variances.mean()) / uniform_null_variance(scale_points)
    if ratio >= 1.0:
        return 0.0
    agreement = j * (1.0 - ratio)
    return float(agreement / (agreement + ratio))


def rwg_j_of_answers(answers: npt.ArrayLike, scale_points: int = 5) -> float:
    """rwg(j) of one group's respondents × items matrix (NaN = not answered)."""
    matrix = np.asarray(answers, dtype=float)
    if matrix.ndim != 2 or matrix.shape[0] < 2:
        return float("nan")
    variances = []
    for column in matrix.T:
        given = column[~np.isnan(column)]
        variances.append(float(given.var(ddof=1)) if given.size >= 2 else float("nan"))
    return rwg_j(variances, scale_points)
