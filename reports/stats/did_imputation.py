"""The imputation estimator of a staggered training effect (Borusyak, Jaravel & Spiess 2024).

Units are trained in different months, and the effect may differ between cohorts or grow
with time since training. A two-way fixed-effects regression then uses already-trained
units as controls and can weigh some effects negatively; the imputation estimator does
not. It fits unit and month effects on the untrained unit-months only — every month of a
never-trained unit, and a trained unit's months before its training window — predicts
each trained unit-month from them (what it would have been untrained), and averages the
differences. ``ANTICIPATION`` months before the training month belong to the window: they
are neither used for the prediction nor counted in the effect, so a dip that prompted the
training (or early completions) does not pass for a rebound; their own differences are the
placebo leads of the event study.

The estimate of any average of differences is linear in the outcome, ``sum(v * y)``. Its
test and interval come from a restricted wild cluster bootstrap of that linear statistic
(the null imposed on the residuals, weights flipped by unit, studentised by the
cluster-robust variance under the null: Kline & Santos 2012; MacKinnon & Webb 2017),
which keeps its size when few units were trained; the interval inverts the test. Webb's
six-point weights are used when fewer than ``WEBB_BELOW`` units were trained (Rademacher
weights would give too few distinct draws), Rademacher otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.sparse import csgraph

from reports.stats.estimate import WEBB_WEIGHTS, inverted_interval
from reports.stats.wild import BISECTIONS, LEVEL, WEBB_BELOW

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]

#: Months before the training month that belong to the training window (see above).
ANTICIPATION = 3


class TwoWay:
    """Unit and month effects on a subset of rows: the normal equations solved exactly.

    With units G and months T, the month effects solve a T × T system (the Schur
    complement of the unit block), so a fit costs one small least-squares solve whatever
    the number of units.
    """

    def __init__(self, units: IntArray, months: IntArray, n_units: int, n_months: int) -> None:
        self.units, self.months = units, months
        self.n_units, self.n_months = n_units, n_months

    def _parts(self, rows: BoolArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        u, m = self.units[rows], self.months[rows]
        per_unit = np.bincount(u, minlength=self.n_units).astype(float)
        per_month = np.bincount(m, minlength=self.n_months).astype(float)
        cells = np.zeros((self.n_units, self.n_months))
        np.add.at(cells, (u, m), 1.0)
        return per_unit, per_month, cells

    def solve(
        self, rows: BoolArray, by_unit: FloatArray, by_month: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """(a, g) with X'X (a, g) = (by_unit, by_month), X the unit and month dummies of
        ``rows`` (columns: one per right-hand side). Any solution serves: fitted values and
        estimable contrasts do not depend on the normalisation."""
        per_unit, per_month, cells = self._parts(rows)
        inverse = np.divide(1.0, per_unit, out=np.zeros_like(per_unit), where=per_unit > 0)
        schur = np.diag(per_month) - cells.T @ (inverse[:, None] * cells)
        right = by_month - cells.T @ (inverse[:, None] * by_unit)
        g: FloatArray = np.asarray(np.linalg.lstsq(schur, right, rcond=None)[0], dtype=float)
        a = inverse[:, None] * (by_unit - cells @ g)
        return a, g

    def sums(self, rows: BoolArray, values: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Per-unit and per-month column sums of ``values`` over ``rows``."""
        by_unit = np.zeros((self.n_units, values.shape[1]))
        by_month = np.zeros((self.n_months, values.shape[1]))
        np.add.at(by_unit, self.units[rows], values[rows])
        np.add.at(by_month, self.months[rows], values[rows])
        return by_unit, by_month

    def fitted(self, rows: BoolArray, values: FloatArray) -> FloatArray:
        """a_unit + g_month fitted to ``values`` on ``rows``, evaluated on every row."""
        a, g = self.solve(rows, *self.sums(rows, values))
        fitted: FloatArray = a[self.units] + g[self.months]
        return fitted

    def identified(self, rows: BoolArray) -> BoolArray:
        """Rows whose a_unit + g_month the fit on ``rows`` determines: the unit and the month
        each have fitted rows, in the same connected part of the unit–month graph."""
        u, m = self.units[rows], self.months[rows]
        size = self.n_units + self.n_months
        graph = sparse.coo_matrix((np.ones(len(u)), (u, self.n_units + m)), shape=(size, size))
        _, label = csgraph.connected_components(graph, directed=False)
        has_unit = np.bincount(u, minlength=self.n_units) > 0
        has_month = np.bincount(m, minlength=self.n_months) > 0
        same = label[self.units] == label[self.n_units + self.months]
        ok: BoolArray = has_unit[self.units] & has_month[self.months] & same
        return ok


@dataclass(frozen=True, slots=True)
class Average:
    """One average of imputed differences: estimate, WCR p-value (against 0), 95% interval."""

    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    n_rows: int
    n_units: int


class Imputation:
    """The imputation estimator on one panel: untrained rows ``control``, trained rows
    ``window`` (the training window and after), ``y`` the outcome; clusters are units."""

    def __init__(
        self,
        design: TwoWay,
        y: FloatArray,
        control: BoolArray,
        reps: int,
        seed: int,
        n_trained: int,
    ) -> None:
        self.design, self.y, self.control = design, y, control
        self.predicted = design.fitted(control, y[:, None])[:, 0]
        table = (
            WEBB_WEIGHTS if min(n_trained, design.n_units) < WEBB_BELOW else np.array([-1.0, 1.0])
        )
        self.weight_name = "Webb" if table is WEBB_WEIGHTS else "Rademacher"
        self.draws = np.random.default_rng(seed).choice(table, size=(design.n_units, reps))
        self.reps = reps

    def differences(self) -> FloatArray:
        """Each row's outcome minus its untrained prediction."""
        out: FloatArray = self.y - self.predicted
        return out

    def influence(self, target: BoolArray) -> FloatArray:
        """v with sum(v * y) = the mean difference over ``target`` rows, for any y."""
        w = np.where(target, 1.0 / target.sum(), 0.0)
        a, g = self.design.solve(self.control, *self.design.sums(target, w[:, None]))
        imputed = np.where(self.control, a[self.design.units, 0] + g[self.design.months, 0], 0.0)
        v: FloatArray = w - imputed
        return v

    def average(self, target: BoolArray) -> Average:
        """The mean difference over ``target`` rows, tested by the restricted wild bootstrap.

        The null imposed is "every target row's effect is b" (one common effect): when
        effects differ between rows, that spread stays in the restricted residuals, so the
        test and its interval are conservative (wider than they need be), never narrow.
        """
        v = self.influence(target)
        estimate = float(v @ self.y)
        used = self.control | target
        # The null "every target row's effect is b" imposed: unit and month effects fitted
        # on the control and target rows to y − b·1_target; the residuals are linear in b.
        indicator = target.astype(float)
        fit = self.design.fitted(used, np.column_stack([self.y, indicator]))
        resid_y = np.where(used, self.y - fit[:, 0], 0.0)
        resid_t = np.where(used, indicator - fit[:, 1], 0.0)
        units, n = self.design.units, self.design.n_units
        c0 = np.bincount(units, weights=v * resid_y, minlength=n)
        c1 = np.bincount(units, weights=v * resid_t, minlength=n)
        w, w2 = self.draws, self.draws**2
        top0, top1 = w.T @ c0, w.T @ c1
        q00, q01, q11 = w2.T @ (c0 * c0), w2.T @ (c0 * c1), w2.T @ (c1 * c1)

        def p_at(b: float) -> float:
            c = c0 - b * c1
            spread = float(c @ c)
            if spread <= 0:
                return 1.0
            observed = (estimate - b) ** 2 / spread
            drawn = np.divide(
                (top0 - b * top1) ** 2,
                q00 - 2 * b * q01 + b * b * q11,
                out=np.zeros(self.reps),
                where=(q00 - 2 * b * q01 + b * b * q11) > 0,
            )
            return float(np.mean(drawn >= observed * (1 - 1e-10)))

        scale = math.sqrt(float(c0 @ c0)) or max(abs(estimate), 1.0)

        low, high = inverted_interval(lambda b: p_at(b) < LEVEL, estimate, scale, BISECTIONS)

        touched = np.unique(units[target])
        # as extreme as the data in k of B draws: (1 + k) / (B + 1), never 0
        p_value = (1 + p_at(0.0) * self.reps) / (self.reps + 1)
        return Average(estimate, low, high, p_value, int(target.sum()), int(touched.size))
