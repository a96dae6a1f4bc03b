"""Benjamini–Hochberg false-discovery-rate adjustment over every test in a report."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from statsmodels.stats.multitest import multipletests


def benjamini_hochberg(p_values: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """BH-adjusted p-values; NaN entries (tests that could not run) stay NaN and do not count."""
    p = np.asarray(p_values, dtype=float)
    adjusted = np.full(p.shape, np.nan)
    present = np.isfinite(p)
    if present.any():
        adjusted[present] = multipletests(p[present], method="fdr_bh")[1]
    return adjusted
