"""Lagged panel links: month-to-month (within a unit) and between units, kept apart.

A unit-month row pairs engagement(t) and outcome(t) with the same unit's outcome(t+1).
Two questions are asked of those rows, and answered by separate estimates because
they have different answers whenever locations differ in stable ways (the salon in the
better neighbourhood has happier staff *and* happier clients):

``within_unit`` — in months when a unit's engagement was above its own usual level, was
its next month's outcome higher than its usual, beyond this month's outcome? Unit and
month fixed effects: outcome(t+1) ~ engagement(t) + outcome(t) + a_unit + g_month. Stable
differences between units cannot create this estimate, and neither can a month that was
good or bad everywhere. Errors clustered by unit (CR1, t with G − 1 df).

``between_units`` — did units with higher average engagement have higher average
outcomes the following month? The between term of the hybrid (Mundlak) model
outcome(t+1) ~ mean_unit(engagement) + [engagement − mean_unit] + [outcome − mean_unit],
OLS with errors clustered by unit: a cross-sectional association, which stable
differences between units explain as well as engagement does.

Below ``FEW_CLUSTERS`` units both take their p-value and interval from a restricted wild
cluster bootstrap (``reports.stats.wild``), which keeps its size with few units.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm

from reports.stats.estimate import DEFAULT_SEED, FEW_CLUSTERS, Estimate, clustered_t
from reports.stats.fixed_effects import Groups, absorb, components
from reports.stats.wild import (
    clustered_coefficient,
    fixed_effects_demean,
    no_effects,
    restricted_wild_bootstrap,
)

#: Fewest units and rows a lagged estimate is attempted on.
MIN_UNITS = 5
MIN_ROWS = 10
#: A demeaned regressor keeping less than this share of its variation is collinear with
#: the fixed effects.
COLLINEAR = 1e-8

WITHIN_DETAIL = (
    "outcome(t+1) ~ engagement(t) + outcome(t) + unit and month fixed effects, "
    "errors clustered by unit (CR1)"
)
BETWEEN_DETAIL = (
    "hybrid (Mundlak) model: outcome(t+1) ~ unit mean of engagement + engagement and "
    "outcome(t) as deviations from their unit means, OLS, errors clustered by unit (CR1)"
)


def lagged_rows(panel: pd.DataFrame) -> pd.DataFrame:
    """Rows (unit, month t) with engagement(t), outcome(t) and outcome(t + 1 month).

    ``panel`` has columns unit, month (a pandas Period[M] or Timestamp), engagement and
    outcome; engagement may be missing in months without a wave.
    """
    frame = panel[["unit", "month", "engagement", "outcome"]].copy()
    frame["month"] = pd.PeriodIndex(frame["month"], freq="M")
    following = frame[["unit", "month", "outcome"]].copy()
    following["month"] = following["month"] - 1
    following = following.rename(columns={"outcome": "outcome_next"})
    rows = frame.merge(following, on=["unit", "month"], how="inner")
    return rows.dropna(subset=["engagement", "outcome", "outcome_next"]).reset_index(drop=True)


def _degenerate(rows: pd.DataFrame) -> str | None:
    """Why the lagged design cannot be fitted (a constant or perfectly predicted outcome)."""
    y = rows["outcome_next"].to_numpy(dtype=float)
    if np.ptp(y) == 0:
        return "the outcome never changes, so nothing can predict it"
    x = sm.add_constant(rows[["engagement", "outcome"]].to_numpy(dtype=float), has_constant="add")
    if np.linalg.matrix_rank(x) < x.shape[1]:
        return (
            "this month's outcome does not vary apart from engagement (or at all), "
            "so its effect cannot be separated"
        )
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    residual = y - x @ beta
    if float(residual.var()) <= 1e-12 * float(y.var()):
        return (
            "next month's outcome is fixed by this month's (e.g. a yearly figure repeated "
            "every month), so the lagged model has nothing to explain"
        )
    return None


def _few_units_note(n_units: int) -> str:
    return (
        f"only {n_units} units: the p-value and interval come from a restricted wild cluster "
        "bootstrap over units, which holds its size with few units; still treat them as "
        "approximate"
    )


def _clustered(
    y: np.ndarray,
    x: np.ndarray,
    units: Groups,
    months: Groups | None,
    k_absorbed: int,
    index: int,
    reps: int,
    seed: int,
    detail: str,
    n_obs: int,
) -> Estimate:
    """Coefficient ``index``: CR1 with t(G − 1), or WCR below ``FEW_CLUSTERS`` units."""
    g = units.size
    if g < FEW_CLUSTERS:
        wild = restricted_wild_bootstrap(
            y,
            x,
            units,
            index,
            demean=fixed_effects_demean(units, months) if months is not None else no_effects,
            k_absorbed=k_absorbed,
            reps=reps,
            seed=seed,
        )
        notes = [_few_units_note(g)]
        if not wild.converged:
            notes.append("the bootstrap's fixed-effects demeaning did not fully converge")
        how = (
            f"{detail}; restricted wild cluster bootstrap by unit ({wild.weights} weights, "
            f"{reps} draws, seed {seed}), interval by test inversion"
        )
        return Estimate(
            wild.estimate, wild.ci_low, wild.ci_high, wild.p_value, g, n_obs, how, tuple(notes)
        )
    beta, se, converged = clustered_coefficient(
        y,
        x,
        units,
        index,
        demean=fixed_effects_demean(units, months) if months is not None else no_effects,
        k_absorbed=k_absorbed,
    )
    low, high, p_value = clustered_t(beta, se, g)
    kept = () if converged else ("the fixed-effects demeaning did not fully converge",)
    return Estimate(beta, low, high, p_value, g, n_obs, f"{detail}; t with {g - 1} df", kept)


def within_unit(rows: pd.DataFrame, reps: int = 999, seed: int = DEFAULT_SEED) -> Estimate:
    """Month-to-month effect of engagement(t), per scale point, on outcome(t+1), with unit
    and month fixed effects and outcome(t) held fixed (see the module docstring)."""
    counts = rows.groupby("unit")["unit"].transform("size")
    rows = rows[counts >= 2].reset_index(drop=True)  # a unit's single row says nothing within
    n_units, n_obs = int(rows["unit"].nunique()), len(rows)
    if n_units < MIN_UNITS or n_obs < MIN_ROWS:
        return Estimate.failed(
            n_units,
            n_obs,
            "not fitted",
            "the month-to-month model needs at least two pairs of consecutive months in at "
            f"least {MIN_UNITS} units; there are {n_units} such units",
        )
    units = Groups(pd.factorize(rows["unit"], sort=True)[0].astype(np.intp))  # fixed draw order
    months = Groups(pd.factorize(rows["month"])[0].astype(np.intp))
    x = rows[["engagement", "outcome"]].to_numpy(dtype=float)
    y = rows["outcome_next"].to_numpy(dtype=float)
    demeaned, _ = absorb(np.column_stack([y, x]), units, months)
    kept = np.diag(np.linalg.qr(demeaned[:, 1:], mode="r")) ** 2
    total = ((x - x.mean(axis=0)) ** 2).sum(axis=0)
    if kept[0] <= COLLINEAR * total[0] or total[0] == 0:
        return Estimate.failed(
            n_units,
            n_obs,
            "not fitted",
            "engagement does not change within units apart from what changed everywhere "
            "that month, so a month-to-month effect cannot be measured",
        )
    if kept[1] <= COLLINEAR * total[1] or float((demeaned[:, 0] ** 2).sum()) == 0:
        return Estimate.failed(
            n_units,
            n_obs,
            "not fitted",
            "the outcome does not change within units from month to month, so nothing "
            "month-to-month can be measured",
        )
    k_absorbed = months.size - components(units, months)
    if n_obs - 2 - k_absorbed <= 0:
        return Estimate.failed(n_units, n_obs, "not fitted", "too few unit-months")
    return _clustered(y, x, units, months, k_absorbed, 0, reps, seed, WITHIN_DETAIL, n_obs)


def between_units(rows: pd.DataFrame, reps: int = 999, seed: int = DEFAULT_SEED) -> Estimate:
    """Association of a unit's mean engagement with its outcome the following month, per
    scale point: the between term of the hybrid model (see the module docstring)."""
    n_units, n_obs = int(rows["unit"].nunique()), len(rows)
    if n_units < MIN_UNITS or n_obs < MIN_ROWS:
        return Estimate.failed(
            n_units,
            n_obs,
            "not fitted",
            f"the between-units model needs consecutive months of engagement and outcome in "
            f"at least {MIN_UNITS} units ({MIN_ROWS} rows); there are {n_units} units and "
            f"{n_obs} rows",
        )
    codes = pd.factorize(rows["unit"], sort=True)[0].astype(np.intp)  # fixed draw order
    units = Groups(codes)
    level = units.means(rows[["engagement", "outcome"]].to_numpy(dtype=float))
    mean_e = level[codes, 0]
    if float(np.ptp(mean_e)) == 0:
        return Estimate.failed(
            n_units, n_obs, "not fitted", "every unit has the same average engagement"
        )
    x = np.column_stack(
        [
            np.ones(n_obs),
            mean_e,
            rows["engagement"].to_numpy(dtype=float) - mean_e,
            rows["outcome"].to_numpy(dtype=float) - level[codes, 1],
        ]
    )
    y = rows["outcome_next"].to_numpy(dtype=float)
    # Columns without variation (every unit's engagement constant, say) are dropped: they
    # are orthogonal to the between term and leave it unchanged.
    keep = [0, 1] + [j for j in (2, 3) if float(np.abs(x[:, j]).max()) > 0]
    return _clustered(y, x[:, keep], units, None, 0, 1, reps, seed, BETWEEN_DETAIL, n_obs)


def lagged_links(
    panel: pd.DataFrame, reps: int = 999, seed: int = DEFAULT_SEED
) -> tuple[Estimate, Estimate]:
    """The month-to-month and the between-units estimate on a panel's lagged rows."""
    rows = lagged_rows(panel)
    n_units, n_obs = int(rows["unit"].nunique()), len(rows)
    problem = None
    if len(rows) and rows["engagement"].std() == 0:
        problem = "engagement does not vary"
    elif len(rows) >= MIN_ROWS:
        problem = _degenerate(rows)
    if problem:
        failed = Estimate.failed(n_units, n_obs, "not fitted", problem)
        return failed, failed
    return within_unit(rows, reps, seed), between_units(rows, reps, seed)
