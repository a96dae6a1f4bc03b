"""Unit scores from additive sums: mean engagement, spread, % favourable, eNPS.

The database sums per unit and wave (respondents, score sums and squares, favourable
answers, eNPS promoters and detractors), so subtrees roll up by adding; these functions
turn the sums into the numbers people read.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: The additive columns a cell of scores carries.
SUM_COLUMNS = (
    "n",
    "score_sum",
    "score_sq_sum",
    "favourable",
    "answered",
    "enps_n",
    "promoters",
    "detractors",
)


def cell_scores(cells: pd.DataFrame) -> pd.DataFrame:
    """Add engagement (mean respondent score), score_sd, pct_favourable and enps to ``cells``.

    ``n`` counts respondents with a score (≥ 2/3 of the engagement items answered);
    ``favourable``/``answered`` count item answers of 4–5 / all item answers; eNPS is
    % promoters (9–10) − % detractors (0–6) of those who answered it.
    """
    out = cells.copy()
    n = out["n"].astype(float)
    mean = out["score_sum"] / n.where(n > 0)
    variance = (out["score_sq_sum"] - n * mean**2) / (n - 1).where(n > 1)
    out["engagement"] = mean
    out["score_sd"] = np.sqrt(variance.clip(lower=0))
    answered = out["answered"].astype(float)
    out["pct_favourable"] = 100.0 * out["favourable"] / answered.where(answered > 0)
    enps_n = out["enps_n"].astype(float)
    out["enps"] = 100.0 * (out["promoters"] - out["detractors"]) / enps_n.where(enps_n > 0)
    return out
