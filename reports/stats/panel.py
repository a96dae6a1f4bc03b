"""Lagged panel: does engagement this month predict the outcome next month beyond its own past?

outcome(t+1) ~ engagement(t) + outcome(t) + (1 | unit), fitted by REML with statsmodels
MixedLM. The fit is checked rather than trusted: when the unit variance collapses to the
boundary statsmodels can report convergence while returning fixed effects of exactly 0.0
(statsmodels issue #10239); then, and on any failed fit, the model is refitted by OLS with
errors clustered by unit — with a seeded wild cluster bootstrap when units are few.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
import statsmodels.api as sm
from scipy import optimize, stats
from statsmodels.regression.mixed_linear_model import MixedLM, MixedLMParams

from reports.stats.estimate import FEW_CLUSTERS, WEBB_WEIGHTS, Estimate, kept_warnings

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class RandomInterceptFit:
    """A checked random-intercept fit: coefficients, SEs, and whether it can be used."""

    params: dict[str, float]
    bse: dict[str, float]
    converged: bool
    unit_variance: float
    usable: bool
    warnings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ProfiledReml:
    """REML optimum of a random-intercept model found by profiling (a start for MixedLM)."""

    params: tuple[float, ...]
    variance_ratio: float  # unit variance / residual variance
    residual_variance: float


def profiled_reml(y: FloatArray, x: FloatArray, groups: npt.ArrayLike) -> ProfiledReml:
    """Maximise the REML likelihood of ``y = Xβ + u_unit + e`` over one variance ratio.

    With a random intercept only, V⁻¹ of a unit is (I − c·J)/σ² with c = g / (1 + n·g), so
    every quantity the likelihood needs is a sum per unit: one vectorised pass per
    evaluation instead of statsmodels' loop over units. Used to start MixedLM at its
    optimum, which makes it several times faster on thousands of units; MixedLM still does
    the fit that is reported.
    """
    _, codes = np.unique(np.asarray(groups), return_inverse=True)
    sizes = np.bincount(codes).astype(float)
    n_obs, p = x.shape
    sums = np.zeros((sizes.size, p))
    np.add.at(sums, codes, x)
    y_sums = np.bincount(codes, weights=y)
    xtx, xty = x.T @ x, x.T @ y

    def parts(gamma: float) -> tuple[FloatArray, FloatArray, float]:
        c = gamma / (1.0 + sizes * gamma)
        a = xtx - (sums * c[:, None]).T @ sums
        beta = np.asarray(np.linalg.solve(a, xty - (sums * c[:, None]).T @ y_sums), dtype=float)
        resid = y - x @ beta
        by_unit = np.bincount(codes, weights=resid, minlength=sizes.size)
        return a, beta, float(resid @ resid - (c * by_unit * by_unit).sum())

    def objective(log_gamma: float) -> float:
        gamma = math.exp(log_gamma)
        a, _, rss = parts(gamma)
        value: float = 0.5 * (
            float(np.log1p(sizes * gamma).sum())
            + float(np.linalg.slogdet(a)[1])
            + (n_obs - p) * math.log(max(float(rss), 1e-300))
        )
        return value

    found = optimize.minimize_scalar(
        objective, bounds=(-20.0, 12.0), method="bounded", options={"xatol": 1e-9}
    )
    gamma = math.exp(float(found.x))
    _, beta, rss = parts(gamma)
    return ProfiledReml(tuple(beta.tolist()), gamma, rss / (n_obs - p))


def fit_random_intercept(
    frame: pd.DataFrame,
    outcome: str,
    predictors: list[str],
    group: str,
    method: str | list[str] | None = None,
    warm_start: bool = True,
) -> RandomInterceptFit:
    """REML fit of ``outcome ~ predictors + (1 | group)``, with its health checked.

    Not usable when it did not converge, when the unit variance is on the boundary
    (relative to the residual variance below 1e-6), or when any coefficient came back as
    exactly 0.0 (the collapse in statsmodels issue #10239). ``warm_start`` starts the
    optimiser at the profiled REML optimum (``profiled_reml``).
    """
    exog = sm.add_constant(frame[predictors].to_numpy(dtype=float), has_constant="add")
    names = ["Intercept", *predictors]
    notes: list[str] = []
    try:
        with kept_warnings() as caught:
            endog = frame[outcome].to_numpy(dtype=float)
            model = MixedLM(endog, exog, groups=frame[group])
            start_params = None
            if warm_start:
                start = profiled_reml(endog, exog, frame[group].to_numpy())
                start_params = MixedLMParams.from_components(
                    fe_params=np.asarray(start.params), cov_re=np.array([[start.variance_ratio]])
                )
            result = model.fit(reml=True, method=method, start_params=start_params)
            fe = np.asarray(result.fe_params, dtype=float)
            bse = np.asarray(result.bse_fe, dtype=float)
            unit_var = float(np.asarray(result.cov_re)[0, 0])
            scale = float(result.scale)
        notes.extend(caught)
    except (np.linalg.LinAlgError, ValueError) as exc:
        notes.extend(caught)
        notes.append(f"MixedLM failed: {exc}")
        nan = float("nan")
        return RandomInterceptFit({}, {}, False, nan, False, tuple(notes))
    usable = bool(result.converged)
    if not result.converged:
        notes.append("MixedLM did not converge")
    if not scale > 0 or unit_var / scale < 1e-6:
        usable = False
        notes.append(
            "the unit random-intercept variance collapsed to zero (boundary fit); "
            "MixedLM's fixed effects are not trustworthy then"
        )
    if np.any(fe == 0.0):
        usable = False
        zeros = [n for n, v in zip(names, fe, strict=True) if v == 0.0]
        notes.append(
            f"MixedLM returned coefficients of exactly 0.0 for {', '.join(zeros)} "
            "(statsmodels issue #10239)"
        )
    if not np.all(np.isfinite(bse)):
        usable = False
        notes.append("MixedLM standard errors are not finite")
    return RandomInterceptFit(
        params=dict(zip(names, fe.tolist(), strict=True)),
        bse=dict(zip(names, bse.tolist(), strict=True)),
        converged=bool(result.converged),
        unit_variance=unit_var,
        usable=usable,
        warnings=tuple(notes),
    )


def _cluster_t(
    x: FloatArray, y: FloatArray, groups: npt.NDArray[np.int64], index: int
) -> tuple[float, float]:
    """OLS coefficient ``index`` and its CR1 cluster-robust SE."""
    xtx_inv = np.linalg.pinv(x.T @ x)
    beta = xtx_inv @ x.T @ y
    resid = y - x @ beta
    g = int(groups.max()) + 1
    scores = np.zeros((g, x.shape[1]))
    np.add.at(scores, groups, x * resid[:, None])
    meat = scores.T @ scores
    n, k = x.shape
    correction = g / (g - 1) * (n - 1) / (n - k)
    cov = correction * xtx_inv @ meat @ xtx_inv
    return float(beta[index]), float(math.sqrt(max(cov[index, index], 0.0)))


def wild_cluster_bootstrap(
    x: FloatArray,
    y: FloatArray,
    groups: npt.ArrayLike,
    index: int,
    reps: int = 999,
    seed: int = 20261123,
) -> tuple[float, float, float, float]:
    """OLS coefficient with a wild cluster bootstrap-t 95% CI and p-value (Webb weights).

    Residuals are flipped cluster by cluster (unrestricted, WCU); each replicate's t uses
    the CR1 SE, so the interval keeps its coverage when clusters are few (Cameron, Gelbach
    & Miller 2008). Returns (estimate, ci_low, ci_high, p_value).
    """
    _, codes = np.unique(np.asarray(groups), return_inverse=True)
    codes = codes.astype(np.int64)
    beta_hat, se_hat = _cluster_t(x, y, codes, index)
    xtx_inv = np.linalg.pinv(x.T @ x)
    full = xtx_inv @ x.T @ y
    fitted = x @ full
    resid = y - fitted
    rng = np.random.default_rng(seed)
    g = int(codes.max()) + 1
    t_stars = np.empty(reps)
    for b in range(reps):
        flips = rng.choice(WEBB_WEIGHTS, size=g)[codes]
        y_star = fitted + resid * flips
        beta_b, se_b = _cluster_t(x, y_star, codes, index)
        t_stars[b] = (beta_b - beta_hat) / se_b if se_b > 0 else 0.0
    t_hat = beta_hat / se_hat if se_hat > 0 else float("inf")
    upper_q, lower_q = np.quantile(t_stars, [0.975, 0.025])
    ci_low = beta_hat - upper_q * se_hat
    ci_high = beta_hat - lower_q * se_hat
    p_value = float((1 + np.sum(np.abs(t_stars) >= abs(t_hat))) / (reps + 1))
    return beta_hat, float(ci_low), float(ci_high), p_value


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


def lagged_mixedlm(panel: pd.DataFrame, reps: int = 999, seed: int = 20261123) -> Estimate:
    """Effect of engagement(t), per scale point, on outcome(t+1) given outcome(t)."""
    rows = lagged_rows(panel)
    n_units = int(rows["unit"].nunique())
    n_obs = len(rows)
    if n_units < 5 or n_obs < 10:
        return Estimate.failed(
            n_units,
            n_obs,
            "not fitted",
            f"the lagged model needs consecutive months of engagement and outcome in at least "
            f"5 units (10 rows); there are {n_units} units and {n_obs} rows",
        )
    if rows["engagement"].std() == 0:
        return Estimate.failed(n_units, n_obs, "not fitted", "engagement does not vary")
    problem = _degenerate(rows)
    if problem:
        return Estimate.failed(n_units, n_obs, "not fitted", problem)
    # Fit on the outcome in SD units (revenue in the thousands upsets the optimiser), then
    # scale the engagement coefficient back to outcome units.
    spread = float(rows["outcome"].std()) or 1.0
    scaled = rows.assign(
        outcome_next=rows["outcome_next"] / spread, outcome=rows["outcome"] / spread
    )
    fit = fit_random_intercept(scaled, "outcome_next", ["engagement", "outcome"], "unit")
    notes = list(fit.warnings)
    if fit.usable:
        beta = fit.params["engagement"] * spread
        se = fit.bse["engagement"] * spread
        z = beta / se
        p = float(2 * stats.norm.sf(abs(z)))
        half = 1.959963984540054 * se
        if n_units < FEW_CLUSTERS:
            notes.append(
                f"only {n_units} units: MixedLM's normal-theory interval is optimistic "
                "with so few units"
            )
        return Estimate(
            beta,
            beta - half,
            beta + half,
            p,
            n_units,
            n_obs,
            "MixedLM (REML), random intercept per unit",
            tuple(notes),
        )
    x = sm.add_constant(rows[["engagement", "outcome"]].to_numpy(dtype=float), has_constant="add")
    y = rows["outcome_next"].to_numpy(dtype=float)
    with kept_warnings() as caught:
        if n_units < FEW_CLUSTERS:
            beta, low, high, p = wild_cluster_bootstrap(
                x, y, rows["unit"].to_numpy(), 1, reps, seed
            )
            detail = f"OLS fallback, wild cluster bootstrap by unit ({reps} draws, seed {seed})"
        else:
            codes = pd.factorize(rows["unit"])[0]
            ols = sm.OLS(y, x).fit(cov_type="cluster", cov_kwds={"groups": codes})
            beta = float(ols.params[1])
            low, high = (float(v) for v in ols.conf_int()[1])
            p = float(ols.pvalues[1])
            detail = "OLS fallback, errors clustered by unit"
    notes.extend(caught)
    notes.append("refitted by OLS because the mixed model could not be trusted")
    return Estimate(beta, low, high, p, n_units, n_obs, detail, tuple(notes))
