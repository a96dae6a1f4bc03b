"""The shape every fitted link comes back in, and a way to keep a fit's warnings."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

NAN = float("nan")
#: The seed of every bootstrap and permutation unless a caller asks for another: the same
#: data always give the same numbers.
DEFAULT_SEED = 20261123

#: Below this many units, cluster-robust standard errors are known to be too small.
FEW_CLUSTERS = 30


@dataclass(frozen=True, slots=True)
class Estimate:
    """One tested link: estimate, 95% CI, two-sided p-value, sizes, how, and what went wrong.

    A fit that could not be made has NaN numbers and says why in ``warnings``.
    """

    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    n_units: int
    n_obs: int
    detail: str
    warnings: tuple[str, ...] = ()

    @classmethod
    def failed(cls, n_units: int, n_obs: int, detail: str, *reasons: str) -> Estimate:
        """A fit that could not be made, with the reasons."""
        return cls(NAN, NAN, NAN, NAN, n_units, n_obs, detail, tuple(reasons))

    @property
    def ok(self) -> bool:
        """True when the estimate is a number."""
        return self.estimate == self.estimate


@contextmanager
def kept_warnings() -> Iterator[list[str]]:
    """Collect every warning raised inside (convergence, boundary …) as plain messages."""
    messages: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield messages
    seen: set[str] = set()
    for item in caught:
        text = f"{item.category.__name__}: {item.message}"
        if text not in seen:
            seen.add(text)
            messages.append(text)


def clustered_t(beta: float, se: float, n_units: int) -> tuple[float, float, float]:
    """95% CI and p-value of a clustered estimate against t with G − 1 degrees of freedom.

    The normal reference over-rejects with few clusters (Cameron & Miller 2015 advise
    T(G − 1) with CR1 errors); returns (ci_low, ci_high, p_value) on the coefficient scale.
    """
    df = max(n_units - 1, 1)
    half = float(stats.t.ppf(0.975, df)) * se
    p_value = float(2 * stats.t.sf(abs(beta / se), df)) if se > 0 else float("nan")
    return beta - half, beta + half, p_value


#: Webb's six-point weights for wild bootstraps with few clusters.
WEBB_WEIGHTS = np.array(
    [-math.sqrt(1.5), -1.0, -math.sqrt(0.5), math.sqrt(0.5), 1.0, math.sqrt(1.5)]
)


def _score_p(e: npt.NDArray[np.float64], weights: npt.NDArray[np.float64]) -> float:
    if not np.all(np.isfinite(e)):
        return float("nan")  # the restricted fit failed (an absurd null): no test
    denominator = float((e**2).sum())
    if e.size < 2 or denominator <= 0:
        return float("nan")
    observed = float(e.sum()) ** 2 / denominator
    draws = (weights @ e) ** 2 / ((weights * e) ** 2).sum(axis=1)
    return float((1 + np.sum(draws >= observed - 1e-12)) / (weights.shape[0] + 1))


def score_bootstrap_p(
    cluster_scores: npt.ArrayLike, reps: int = 1999, seed: int = DEFAULT_SEED
) -> float:
    """p-value of a cluster-robust score test, by wild bootstrap of the cluster scores.

    ``cluster_scores`` are each cluster's summed (efficient) score for the tested
    coefficient at the fit that imposes the null. The statistic (Σ e)² / Σ e² is compared
    with its wild-bootstrap distribution (Webb weights), which keeps its size with few
    clusters where the normal or t reference does not (Kline & Santos 2012).
    """
    e = np.asarray(cluster_scores, dtype=float)
    rng = np.random.default_rng(seed)
    return _score_p(e, rng.choice(WEBB_WEIGHTS, size=(reps, e.size)))


def score_interval(
    scores_at: Callable[[float], npt.NDArray[np.float64]],
    beta: float,
    se: float,
    reps: int = 1999,
    seed: int = DEFAULT_SEED,
) -> tuple[float, float]:
    """95% interval of a coefficient: the values b whose wild score bootstrap test (cluster
    scores ``scores_at(b)`` under the null "coefficient = b") does not reject at 5%. Its
    ends are found by bisection; an end the test never reaches is infinite."""
    e0 = np.asarray(scores_at(beta), dtype=float)
    weights = np.random.default_rng(seed).choice(WEBB_WEIGHTS, size=(reps, e0.size))

    def rejects(b: float) -> bool:
        p = _score_p(np.asarray(scores_at(b), dtype=float), weights)
        return math.isfinite(p) and p < 0.05

    return inverted_interval(rejects, beta, se if se > 0 and math.isfinite(se) else 1.0)


def inverted_interval(
    rejects: Callable[[float], bool], estimate: float, step: float, bisections: int = 60
) -> tuple[float, float]:
    """A test's 95% interval by inversion: the values around ``estimate`` that ``rejects``
    does not reject at 5%. Steps outwards double until a value is rejected, then bisection
    finds the end; an end no value up to 2⁴⁰ steps away reaches is infinite."""

    def end(direction: float) -> float:
        inside, distance = estimate, step
        for _ in range(40):
            outside = estimate + direction * distance
            if rejects(outside):
                break
            inside, distance = outside, distance * 2
        else:
            return direction * math.inf
        for _ in range(bisections):
            middle = (inside + outside) / 2
            if rejects(middle):
                outside = middle
            else:
                inside = middle
        return (inside + outside) / 2

    return end(-1.0), end(1.0)


def clustered_ratio(
    beta: float,
    se: float,
    n_units: int,
    n_obs: int,
    detail: str,
    notes: list[str],
    null_scores: Callable[[float], npt.NDArray[np.float64]],
    seed: int,
) -> Estimate:
    """A log-scale coefficient with clustered SE as a ratio (odds or hazard) with its 95% CI.

    t with G − 1 degrees of freedom; with few units the p-value and the interval come from
    the wild score bootstrap of ``null_scores(b)`` (each unit's score under "the
    coefficient is b"; the interval inverts that test) and a note says so.
    """
    low, high, p_value = clustered_t(beta, se, n_units)
    how = f"t with {n_units - 1} df"
    note = few_clusters_note(n_units)
    if note:
        notes.append(note)
        p_value = score_bootstrap_p(null_scores(0.0), seed=seed)
        low, high = score_interval(null_scores, beta, se, seed=seed)
        how = "wild score bootstrap p-value, interval by test inversion"
    return Estimate(
        math.exp(beta),
        math.exp(low),
        math.exp(high),
        p_value,
        n_units,
        n_obs,
        f"{detail}; {how}",
        tuple(notes),
    )


def few_clusters_note(n_units: int) -> str | None:
    """The plain warning for cluster-robust intervals over too few units."""
    if n_units >= FEW_CLUSTERS:
        return None
    return (
        f"only {n_units} units: cluster-robust intervals run narrow below about "
        f"{FEW_CLUSTERS} units, so the p-value and the interval come from a wild score "
        "bootstrap over units (the interval is every value that bootstrap test does not "
        "reject), which keeps its size with few units"
    )
