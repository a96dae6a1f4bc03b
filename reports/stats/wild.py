"""Restricted wild cluster bootstrap (WCR) for one coefficient of a linear model.

With few clusters, cluster-robust t-tests reject a true null too often, and a wild
bootstrap that flips the unrestricted residuals (WCU) does too when only a handful of
clusters are treated. Imposing the null on the residuals that are flipped keeps the
test's size (Cameron, Gelbach & Miller 2008; MacKinnon & Webb 2017); the 95% interval is
the set of values the test does not reject (test inversion, as Stata's ``boottest`` and
R's ``fwildclusterboot`` do). Webb's six-point weights are used below ``WEBB_BELOW``
clusters, where Rademacher weights give too few distinct draws; Rademacher above.

Fixed effects are absorbed (``reports.stats.fixed_effects``) in the data and in every
bootstrap sample, so each draw equals the dummy-variable regression on that sample.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from reports.stats.estimate import DEFAULT_SEED, WEBB_WEIGHTS, inverted_interval
from reports.stats.fixed_effects import Groups, absorb

FloatArray = npt.NDArray[np.float64]
#: Below this many clusters the weights are Webb's six-point distribution.
WEBB_BELOW = 12
#: The test level whose inversion gives the interval.
LEVEL = 0.05
#: Bisection steps per interval end (the end is found to about 1e-9 of the SE).
BISECTIONS = 60

Demean = Callable[[FloatArray], tuple[FloatArray, bool]]


@dataclass(frozen=True, slots=True)
class WildResult:
    """A coefficient's WCR p-value (against 0) and test-inverted 95% interval."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    weights: str
    converged: bool


def no_effects(x: FloatArray) -> tuple[FloatArray, bool]:
    """The identity: a model without absorbed fixed effects."""
    return x, True


def _cr1(
    y_dm: FloatArray, x_dm: FloatArray, clusters: Groups, index: int, k_absorbed: int
) -> tuple[FloatArray, FloatArray, FloatArray, float, float]:
    """OLS on demeaned data: bread (X'X)⁻¹, coefficients, coefficient ``index``'s influence
    row, the CR1 factor G/(G−1)·(N−1)/(N−K) and that coefficient's CR1 SE."""
    n, k = x_dm.shape
    g = clusters.size
    bread = np.asarray(np.linalg.inv(x_dm.T @ x_dm), dtype=float)
    beta: FloatArray = bread @ (x_dm.T @ y_dm)
    resid = y_dm - x_dm @ beta
    influence: FloatArray = (bread @ x_dm.T)[index]
    correction = g / (g - 1) * (n - 1) / (n - k - k_absorbed)
    se = math.sqrt(
        correction * float((clusters.sums(influence[:, None] * resid[:, None]) ** 2).sum())
    )
    return bread, beta, influence, correction, se


def clustered_coefficient(
    y: FloatArray,
    x: FloatArray,
    clusters: Groups,
    index: int,
    *,
    demean: Demean = no_effects,
    k_absorbed: int = 0,
) -> tuple[float, float, bool]:
    """Coefficient ``index`` of ``y ~ x`` (+ absorbed effects), its CR1 SE (the same as
    ``restricted_wild_bootstrap`` studentises with), and whether the demeaning converged."""
    demeaned, converged = demean(np.column_stack([y, x]))
    _, beta, _, _, se = _cr1(demeaned[:, 0], demeaned[:, 1:], clusters, index, k_absorbed)
    return float(beta[index]), se, converged


def restricted_wild_bootstrap(
    y: FloatArray,
    x: FloatArray,
    clusters: Groups,
    index: int,
    *,
    demean: Demean = no_effects,
    k_absorbed: int = 0,
    reps: int = 999,
    seed: int = DEFAULT_SEED,
) -> WildResult:
    """WCR test and interval for coefficient ``index`` of ``y ~ x`` (+ absorbed effects).

    ``demean`` projects the absorbed fixed effects out of columns (the identity when there
    are none; ``x`` then holds its own intercept); ``k_absorbed`` is how many of those
    effects count in the CR1 factor G/(G−1)·(N−1)/(N−K), as in the model's own SE.
    """
    demeaned, converged = demean(np.column_stack([y, x]))
    y_dm, x_dm = demeaned[:, 0], demeaned[:, 1:]
    k = x_dm.shape[1]
    g = clusters.size
    bread, beta, influence, correction, se = _cr1(y_dm, x_dm, clusters, index, k_absorbed)
    others = [j for j in range(k) if j != index]
    x_o = x_dm[:, others]
    target = x_dm[:, index]
    if others:
        project = np.linalg.lstsq(x_o, np.column_stack([y_dm, target]), rcond=None)[0]
        u0 = y_dm - x_o @ project[:, 0]
        r_e = target - x_o @ project[:, 1]
    else:
        u0, r_e = y_dm.copy(), target.copy()
    # Restricted residuals under beta_index = b are u0 - b * r_e: linear in b, so the
    # bootstrap samples are drawn once and every tested value reuses them.
    rng = np.random.default_rng(seed)
    table = WEBB_WEIGHTS if g < WEBB_BELOW else np.array([-1.0, 1.0])
    weights = rng.choice(table, size=(g, reps))[clusters.codes]
    noise_a, ok_a = demean(u0[:, None] * weights)
    noise_b, ok_b = demean(r_e[:, None] * weights)
    delta_a, delta_b = bread @ (x_dm.T @ noise_a), bread @ (x_dm.T @ noise_b)
    scores_a = clusters.sums(influence[:, None] * (noise_a - x_dm @ delta_a))
    scores_b = clusters.sums(influence[:, None] * (noise_b - x_dm @ delta_b))
    top_a, top_b = delta_a[index], delta_b[index]
    # Sums of squared scores as a quadratic in b: aa - 2 b ab + b² bb per draw.
    aa = (scores_a**2).sum(axis=0)
    ab = (scores_a * scores_b).sum(axis=0)
    bb = (scores_b**2).sum(axis=0)
    est = float(beta[index])

    def p_at(b: float) -> float:
        spread = np.sqrt(np.clip(correction * (aa - 2 * b * ab + b * b * bb), 0.0, None))
        t_star = np.divide(top_a - b * top_b, spread, out=np.zeros(reps), where=spread > 0)
        t_obs = (est - b) / se if se > 0 else math.inf
        return float(np.mean(np.abs(t_star) >= abs(t_obs) - 1e-12))

    def reported(b: float) -> float:
        # as extreme as the data in k of B draws: (1 + k) / (B + 1), never 0
        return (1 + p_at(b) * reps) / (reps + 1)

    low, high = inverted_interval(
        lambda b: p_at(b) < LEVEL, est, se if se > 0 else max(abs(est), 1.0), BISECTIONS
    )

    name = "Webb" if g < WEBB_BELOW else "Rademacher"
    return WildResult(
        est,
        se,
        low,
        high,
        reported(0.0),
        name,
        converged and ok_a and ok_b,
    )


def fixed_effects_demean(units: Groups, months: Groups | None) -> Demean:
    """Projection of unit (and month) effects for ``restricted_wild_bootstrap``."""
    if months is None:
        return lambda x: (x - units.means(x)[units.codes], True)
    return lambda x: absorb(x, units, months)
