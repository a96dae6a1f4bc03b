"""Unit and month fixed effects absorbed without dummy matrices.

An organisation can have thousands of units, and a report fits several models for every
outcome: both sets of effects are projected out by alternating projections (Guimarães &
Portugal 2010; Correia 2016, reghdfe), after which a coefficient is the OLS slope of the
demeaned outcome on the demeaned regressors (Frisch–Waugh–Lovell).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.sparse import csgraph

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

#: Alternating projections stop when a sweep moves no unit mean by more than this
#: (relative to the column's largest absolute value).
TOLERANCE = 1e-10
#: Cap on the number of sweeps (unit then month) of the alternating projections.
MAX_SWEEPS = 10_000


class Groups:
    """One grouping of the rows (units or months) with sort-based sums and means per group."""

    __slots__ = ("codes", "counts", "order", "size", "starts")

    def __init__(self, codes: IntArray) -> None:
        self.codes = codes
        self.order = np.argsort(codes, kind="stable")
        counts = np.bincount(codes)
        self.size = int(counts.size)
        self.counts = counts.astype(float)[:, None]
        self.starts = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.intp)

    def sums(self, x: FloatArray) -> FloatArray:
        """Column sums of ``x`` (rows × columns) per group (groups × columns)."""
        return np.asarray(np.add.reduceat(x[self.order], self.starts, axis=0), dtype=float)

    def means(self, x: FloatArray) -> FloatArray:
        """Column means of ``x`` per group."""
        means: FloatArray = self.sums(x) / self.counts
        return means


def absorb(x: FloatArray, units: Groups, months: Groups) -> tuple[FloatArray, bool]:
    """Columns of ``x`` with unit and month effects projected out, and whether it converged.

    Alternating projections: subtract unit means, then month means, and repeat until a
    sweep leaves no unit mean above ``TOLERANCE`` (relative to the column's size).
    """
    scale = np.abs(x).max(axis=0) if len(x) else np.ones(x.shape[1])
    tol = TOLERANCE * np.where(scale > 0, scale, 1.0)
    out = x - units.means(x)[units.codes]
    for _ in range(MAX_SWEEPS):
        out -= months.means(out)[months.codes]
        drift = units.means(out)
        if np.all(np.abs(drift).max(axis=0) <= tol):
            return out, True
        out -= drift[units.codes]
    return out, False


def components(units: Groups, months: Groups) -> int:
    """Connected components of the unit–month graph (units linked by shared months)."""
    g, t = units.size, months.size
    edges = sparse.coo_matrix(
        (np.ones(len(units.codes)), (units.codes, g + months.codes)), shape=(g + t, g + t)
    )
    count, _ = csgraph.connected_components(edges, directed=False)
    return int(count)
