"""Client retention: binomial GLM of clients who came back, errors clustered by unit.

Each row is a unit and month: how many first-time clients there were (at risk) and how
many came back, beside the unit's engagement that month. The estimate is the odds ratio of
a client coming back per standard deviation of engagement.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import optimize, special
from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

from reports.stats.estimate import DEFAULT_SEED, Estimate, clustered_ratio, kept_warnings


def restricted_scores(
    returned: np.ndarray, at_risk: np.ndarray, z: np.ndarray, groups: np.ndarray, b: float = 0.0
) -> np.ndarray:
    """Each unit's efficient score for the engagement coefficient with it fixed at ``b``
    (log odds per SD) and the intercept refitted under that restriction."""

    def gap(a: float) -> float:
        return float((at_risk * special.expit(a + b * z)).sum() - returned.sum())

    share = returned.sum() / at_risk.sum()
    if 0 < share < 1:
        a = optimize.brentq(gap, -60.0, 60.0) if gap(-60.0) < 0 < gap(60.0) else math.nan
    else:
        a = math.nan
    p = special.expit(a + b * z)
    weight = at_risk * p * (1 - p)
    centred = z - (weight * z).sum() / weight.sum()
    scores = np.zeros(int(groups.max()) + 1)
    np.add.at(scores, groups, centred * (returned - at_risk * p))
    return scores


def binomial_retention(
    rows: pd.DataFrame, engagement_sd: float | None = None, seed: int = DEFAULT_SEED
) -> Estimate:
    """Odds ratio per SD of engagement from rows of unit, engagement, returned, at_risk.

    ``engagement_sd`` is the SD used to standardise (the report passes one SD for all
    models); by default the SD of engagement over these rows.
    """
    data = rows.dropna(subset=["engagement", "returned", "at_risk"])
    data = data[data["at_risk"] > 0]
    n_units = int(data["unit"].nunique())
    n_obs = len(data)
    detail = "binomial GLM (logit), errors clustered by unit"
    if n_units < 5 or n_obs < 10:
        return Estimate.failed(
            n_units,
            n_obs,
            detail,
            f"the binomial model needs at least 5 units and 10 unit-months with clients at "
            f"risk; there are {n_units} units and {n_obs} unit-months",
        )
    sd = float(engagement_sd) if engagement_sd else float(data["engagement"].std())
    if not sd > 0:
        return Estimate.failed(n_units, n_obs, detail, "engagement does not vary")
    returned = data["returned"].to_numpy(dtype=float)
    at_risk = data["at_risk"].to_numpy(dtype=float)
    endog = np.column_stack([returned, at_risk - returned])
    z = (data["engagement"].to_numpy(dtype=float) - float(data["engagement"].mean())) / sd
    exog = sm.add_constant(z, has_constant="add")
    groups = pd.factorize(data["unit"], sort=True)[
        0
    ]  # units in a fixed order: seeded draws per unit
    notes: list[str] = []
    try:
        with kept_warnings() as caught:
            result = sm.GLM(endog, exog, family=sm.families.Binomial()).fit(
                cov_type="cluster", cov_kwds={"groups": groups}
            )
        notes.extend(caught)
    except (np.linalg.LinAlgError, ValueError, PerfectSeparationWarning) as exc:
        return Estimate.failed(n_units, n_obs, detail, f"the binomial model failed: {exc}")
    beta = float(result.params[1])
    se = float(result.bse[1])
    if not (math.isfinite(beta) and math.isfinite(se)) or se == 0:
        return Estimate.failed(
            n_units, n_obs, detail, *notes, "the binomial model gave no usable SE"
        )
    return clustered_ratio(
        beta,
        se,
        n_units,
        n_obs,
        detail,
        notes,
        lambda b: restricted_scores(returned, at_risk, z, groups, b),
        seed,
    )
