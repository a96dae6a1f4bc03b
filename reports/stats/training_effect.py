"""Measured effect of training: difference-in-differences with unit and month fixed effects.

Did units whose staff completed a training module change more than units that did not?
The model is the two-way fixed-effects regression

    y_it = a_i + g_t + beta * D_it + e_it,   D_it = 1 from the unit's training month on,

fitted without dummy matrices (an org can have thousands of units, and a report fits it for
every module and outcome): both sets of effects are absorbed by alternating projections
(Guimarães & Portugal 2010; Correia 2016, reghdfe) and beta is the OLS slope of the
demeaned outcome on the demeaned indicator (Frisch–Waugh–Lovell).

Standard errors are clustered by unit (CR1). Unit effects are nested in the clusters, so,
as Stata's reghdfe and xtreg, fe do, the small-sample factor G/(G−1)·(N−1)/(N−K) counts in
K only the month effects that are not already spanned by the unit effects (months − number
of connected unit–month components) and the regressors — not the unit dummies. A
dummy-variable OLS in statsmodels counts every column (K_sm = G + T + p − 1 with an
intercept), so its SE is this one times √((N − K)/(N − K_sm)). The 95% CI and p-value use t
with G − 1 degrees of freedom; below ``FEW_CLUSTERS`` units they come from a wild cluster
bootstrap-t (Webb weights, fixed seed) of the full fixed-effects model instead.

A placebo lead (the 1–3 months before training) checks the parallel-trends assumption.

With staggered training months and effects that grow or fade over time, the two-way
estimate is a weighted average that can mislead (Goodman-Bacon 2021); never-trained
comparison units are required here, which limits but does not remove that problem.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from reports.stats.estimate import FEW_CLUSTERS, WEBB_WEIGHTS, Estimate, clustered_t
from reports.stats.fixed_effects import MAX_SWEEPS, Groups, absorb, components

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

#: Months before the training month covered by the placebo (pre-trend) lead.
LEAD_MONTHS = 3
#: Below this many trained units, the comparison rests on too few units to trust.
FEW_TREATED = 5
#: The pre-trend lead counts as clearly non-zero below this p-value.
PRE_TREND_ALPHA = 0.05
#: A demeaned regressor keeping less than this share of its variation is collinear with
#: the fixed effects.
COLLINEAR = 1e-8
#: Bootstrap replicates are drawn in blocks of this many (bounds memory).
BLOCK = 256

COLUMNS = ("unit", "month", "y", "first_treated")


@dataclass(frozen=True, slots=True)
class TrainingEffect:
    """The measured effect of a training module on one outcome, with its pre-trend check.

    ``effect`` is beta in the outcome's units (n_units = all units used, n_obs = unit-months);
    ``pre_trend`` is the placebo lead for the 1–3 months before training; ``warnings``
    gathers every plain-language caveat (including why a fit failed).
    """

    effect: Estimate
    pre_trend: Estimate
    n_treated_units: int
    n_comparison_units: int
    n_months: int
    warnings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Fit:
    """OLS on the demeaned data: coefficients, CR1 SEs and what the bootstrap reuses."""

    beta: FloatArray
    se: FloatArray
    x: FloatArray  # demeaned regressors
    resid: FloatArray
    bread: FloatArray  # (X̃'X̃)⁻¹
    correction: float  # G/(G−1)·(N−1)/(N−K)
    converged: bool


def _fit(
    y: FloatArray, x: FloatArray, units: Groups, months: Groups, k_absorbed: int
) -> _Fit | None:
    """Two-way fixed-effects OLS of ``y`` on the columns of ``x``; None when one is collinear.

    ``k_absorbed`` is the number of month effects not nested in the unit clusters; it and
    the regressors make up K of the CR1 small-sample correction.
    """
    demeaned, converged = absorb(np.column_stack([y, x]), units, months)
    y_dm, x_dm = demeaned[:, 0], demeaned[:, 1:]
    # Variation each regressor keeps beyond the fixed effects and the earlier regressors.
    kept = np.diag(np.linalg.qr(x_dm, mode="r")) ** 2
    total = ((x - x.mean(axis=0)) ** 2).sum(axis=0)
    if np.any(kept <= COLLINEAR * total) or np.any(total == 0):
        return None
    bread = np.asarray(np.linalg.inv(x_dm.T @ x_dm), dtype=float)
    beta = bread @ (x_dm.T @ y_dm)
    resid = y_dm - x_dm @ beta
    scores = units.sums(x_dm * resid[:, None])
    n, k, g = len(y), k_absorbed + x.shape[1], units.size
    correction = g / (g - 1) * (n - 1) / (n - k)
    cov = correction * bread @ (scores.T @ scores) @ bread
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    return _Fit(beta, se, x_dm, resid, bread, correction, converged)


def _wild_draws(
    fit: _Fit, units: Groups, months: Groups, index: int, weights: FloatArray
) -> tuple[FloatArray, FloatArray, bool]:
    """Coefficient ``index`` and its CR1 SE in wild-bootstrap samples (one per weight column).

    Sample b is y* = fitted + e · w_unit(b) of the full fixed-effects model; the fixed
    effects are re-absorbed from the flipped residuals, so each draw's coefficient, residuals
    and SE equal those of the dummy-variable regression. ``weights`` is units × draws.
    """
    noise = fit.resid[:, None] * weights[units.codes]
    noise_dm, converged = absorb(noise, units, months)
    delta = fit.bread @ (fit.x.T @ noise_dm)
    resid = noise_dm - fit.x @ delta
    influence = (fit.bread @ fit.x.T)[index]
    scores = units.sums(influence[:, None] * resid)
    se = np.sqrt(fit.correction * (scores**2).sum(axis=0))
    return fit.beta[index] + delta[index], se, converged


def _wild_bootstrap(
    fit: _Fit, units: Groups, months: Groups, index: int, reps: int, seed: int
) -> tuple[float, float, float, bool]:
    """Wild cluster bootstrap-t 95% CI and p-value of coefficient ``index`` (Webb weights).

    Unrestricted residuals flipped unit by unit, as in ``reports.stats.panel``; each draw's
    t uses its own CR1 SE, which keeps coverage with few clusters (Cameron, Gelbach & Miller
    2008). Returns (ci_low, ci_high, p_value, converged).
    """
    beta, se = float(fit.beta[index]), float(fit.se[index])
    rng = np.random.default_rng(seed)
    t_stars: list[FloatArray] = []
    converged = True
    for start in range(0, reps, BLOCK):
        weights = rng.choice(WEBB_WEIGHTS, size=(units.size, min(BLOCK, reps - start)))
        betas, ses, ok = _wild_draws(fit, units, months, index, weights)
        converged = converged and ok
        t_stars.append(np.divide(betas - beta, ses, out=np.zeros_like(betas), where=ses > 0))
    t_star = np.concatenate(t_stars)
    t_hat = beta / se if se > 0 else math.inf
    upper_q, lower_q = np.quantile(t_star, [0.975, 0.025])
    p_value = float((1 + np.sum(np.abs(t_star) >= abs(t_hat) - 1e-12)) / (reps + 1))
    return beta - float(upper_q) * se, beta - float(lower_q) * se, p_value, converged


def _months(values: pd.Series) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Calendar months as month counts (float, NaN where missing) and the missing mask."""
    periods = pd.PeriodIndex(values, freq="M")
    missing = np.asarray(periods.isna(), dtype=bool)
    counts = np.asarray(periods.year * 12 + periods.month, dtype=float)
    return np.where(missing, np.nan, counts), missing


def _plural(count: int, noun: str) -> str:
    """'1 unit', '3 units'."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _interval(
    fit: _Fit, units: Groups, months: Groups, index: int, reps: int, seed: int
) -> tuple[float, float, float, str, bool]:
    """95% CI, p-value and how they were made, for coefficient ``index``."""
    beta, se = float(fit.beta[index]), float(fit.se[index])
    if units.size < FEW_CLUSTERS:
        low, high, p_value, ok = _wild_bootstrap(fit, units, months, index, reps, seed)
        how = f"wild cluster bootstrap-t by unit (Webb weights, {reps} draws, seed {seed})"
        return low, high, p_value, how, ok
    low, high, p_value = clustered_t(beta, se, units.size)
    return low, high, p_value, f"t with {units.size - 1} df", True


def did_effect(panel: pd.DataFrame, *, reps: int = 999, seed: int = 20261123) -> TrainingEffect:
    """Difference-in-differences effect of training on ``y``, with a pre-trend check.

    ``panel`` has one row per unit and month: ``unit``, ``month`` (Period "M"), ``y`` and
    ``first_treated`` (Period "M" from which the unit counts as trained; NaT for units never
    trained). Rows without ``y`` are dropped; unbalanced panels are fine. Trained units
    without a month both before and after training, and units with a single month, carry no
    information on change and are left out. See the module docstring for the method.
    """
    missing = [c for c in COLUMNS if c not in panel.columns]
    if missing:
        raise ValueError(f"panel lacks columns {missing}")
    frame = panel.loc[:, list(COLUMNS)].copy()
    frame["y"] = pd.to_numeric(frame["y"], errors="coerce").astype(float)
    frame["t"], month_missing = _months(frame["month"])
    frame["start"], never = _months(frame["first_treated"])
    frame["never"] = never
    frame = frame[np.isfinite(frame["y"].to_numpy()) & ~month_missing].reset_index(drop=True)
    if frame.duplicated(["unit", "month"]).any():
        raise ValueError("panel must have at most one row per unit and month")
    if (frame.groupby("unit")["start"].nunique(dropna=False) > 1).any():
        raise ValueError("first_treated must be the same in every row of a unit")

    treated_row = ~frame["never"] & (frame["t"] >= frame["start"])
    before_row = ~frame["never"] & (frame["t"] < frame["start"])
    per_unit = pd.DataFrame(
        {
            "never": frame["never"],
            "after": treated_row,
            "before": before_row,
            "rows": 1,
        }
    ).groupby(frame["unit"], sort=False)
    summary = per_unit.agg({"never": "first", "after": "any", "before": "any", "rows": "sum"})
    usable_treated = ~summary["never"] & summary["after"] & summary["before"]
    comparison = summary["never"] & (summary["rows"] >= 2)
    n_treated = int(usable_treated.sum())
    n_comparison = int(comparison.sum())
    notes: list[str] = []
    unusable = int((~summary["never"] & ~usable_treated).sum())
    if unusable:
        notes.append(
            f"{_plural(unusable, 'trained unit')} had no results both before and after "
            "training and were left out"
        )
    single = int((summary["never"] & ~comparison).sum())
    if single:
        notes.append(
            f"{_plural(single, 'comparison unit')} with a single month of results "
            "carried no information on change and were left out"
        )
    keep_units = summary.index[usable_treated | comparison]
    frame = frame[frame["unit"].isin(keep_units)].reset_index(drop=True)
    n_units, n_obs = n_treated + n_comparison, len(frame)
    n_months = int(frame["t"].nunique())
    detail = "difference-in-differences, unit and month fixed effects, CR1 clustered by unit"

    reasons: list[str] = []
    if n_treated == 0:
        reasons.append("no trained unit has results both before and after its training month")
    if int(summary["never"].sum()) == 0:
        reasons.append(
            "there are no comparison units: every unit was trained, so there is nothing to "
            "compare their change with"
        )
    elif n_comparison < 2:
        reasons.append(
            f"only {_plural(n_comparison, 'comparison unit')} with results in two or more "
            "months; at least 2 untrained units are needed to tell the training apart from "
            "what happens to a single unit"
        )

    def failed(*why: str) -> TrainingEffect:
        effect = Estimate.failed(n_units, n_obs, detail, *why)
        pre = Estimate.failed(
            n_units, n_obs, "pre-trend lead", "not checked: the effect could not be estimated"
        )
        return TrainingEffect(effect, pre, n_treated, n_comparison, n_months, (*notes, *why))

    if reasons:
        return failed(*reasons)

    units = Groups(pd.factorize(frame["unit"])[0].astype(np.intp))
    months = Groups(pd.factorize(frame["t"])[0].astype(np.intp))
    k_months = months.size - components(units, months)
    y = frame["y"].to_numpy(dtype=float)
    d = (~frame["never"] & (frame["t"] >= frame["start"])).to_numpy(dtype=float)
    if n_obs - (k_months + 2) <= 0:
        return failed("too few unit-months to estimate the effect and its uncertainty")
    fit = _fit(y, d[:, None], units, months, k_months)
    if fit is None:
        return failed(
            "training months coincide with calendar months for all units compared, so the "
            "effect of training cannot be told apart from what happened in those months"
        )

    effect_notes: list[str] = []
    if not fit.converged:
        effect_notes.append(
            f"the fixed-effects demeaning did not converge in {MAX_SWEEPS} sweeps; "
            "the estimate may be slightly off"
        )
    low, high, p_value, how, ok = _interval(fit, units, months, 0, reps, seed)
    if not ok:
        effect_notes.append("the bootstrap's fixed-effects demeaning did not fully converge")
    if n_units < FEW_CLUSTERS:
        effect_notes.append(
            f"only {n_units} units: cluster-robust intervals run narrow below about "
            f"{FEW_CLUSTERS} units, so the interval and p-value come from a wild cluster "
            "bootstrap over units; still treat them as approximate"
        )
    if n_treated < FEW_TREATED:
        effect_notes.append(
            f"only {_plural(n_treated, 'trained unit')}: the result rests on very few units, "
            "one unusual unit can drive it, and intervals (bootstrap ones included) are "
            "unreliable with so few trained units"
        )
    effect = Estimate(
        float(fit.beta[0]),
        low,
        high,
        p_value,
        n_units,
        n_obs,
        f"{detail}; {how}",
        tuple(effect_notes),
    )
    pre_trend = _pre_trend(frame, y, d, units, months, k_months, reps, seed)
    notes.extend(effect_notes)
    notes.extend(pre_trend.warnings)
    if pre_trend.ok and pre_trend.p_value < PRE_TREND_ALPHA:
        direction = "rising" if pre_trend.estimate > 0 else "falling"
        notes.append(
            f"trained units were already {direction} relative to comparison units in the "
            f"{LEAD_MONTHS} months before training (by {pre_trend.estimate:+.3g}, "
            f"p = {pre_trend.p_value:.2g}): the two groups were not moving in parallel, so "
            "part of the measured effect may be a change that was already under way"
        )
    return TrainingEffect(effect, pre_trend, n_treated, n_comparison, n_months, tuple(notes))


def _pre_trend(
    frame: pd.DataFrame,
    y: FloatArray,
    d: FloatArray,
    units: Groups,
    months: Groups,
    k_months: int,
    reps: int,
    seed: int,
) -> Estimate:
    """Placebo lead: the trained units' shift in the 1–3 months before training.

    Re-fits the model with an indicator for those months (trained units only), measured
    against the trained units' earlier months; under parallel trends it is zero.
    """
    detail = (
        f"pre-trend lead: months 1–{LEAD_MONTHS} before training, against earlier months, "
        "same model"
    )
    n_units, n_obs = units.size, len(y)
    gap = frame["start"] - frame["t"]
    lead = (~frame["never"] & (gap >= 1) & (gap <= LEAD_MONTHS)).to_numpy(dtype=float)
    if lead.sum() == 0:
        return Estimate.failed(
            n_units,
            n_obs,
            detail,
            f"pre-trend not checked: no trained unit has results in the {LEAD_MONTHS} months "
            "before its training",
        )
    if n_obs - (k_months + 3) <= 0:
        return Estimate.failed(n_units, n_obs, detail, "pre-trend not checked: too few unit-months")
    fit = _fit(y, np.column_stack([d, lead]), units, months, k_months)
    if fit is None:
        return Estimate.failed(
            n_units,
            n_obs,
            detail,
            f"pre-trend not checked: no trained unit has results from more than {LEAD_MONTHS} "
            "months before its training to compare with",
        )
    low, high, p_value, how, ok = _interval(fit, units, months, 1, reps, seed)
    notes = () if fit.converged and ok else ("pre-trend fit: demeaning did not fully converge",)
    return Estimate(
        float(fit.beta[1]), low, high, p_value, n_units, n_obs, f"{detail}; {how}", notes
    )


def _decimals(estimate: Estimate) -> int:
    """Decimals that show the CI half-width to about two significant digits."""
    half = (estimate.ci_high - estimate.ci_low) / 2
    if not half > 0 or not math.isfinite(half):
        return 2
    return max(0, min(4, 1 - math.floor(math.log10(half))))


def _signed(value: float, decimals: int) -> str:
    """'+0.12', '−0.05' (true minus sign), '0.00'."""
    text = f"{abs(value):.{decimals}f}"
    if float(text) == 0:
        return text
    return ("+" if value > 0 else "−") + text


def effect_statement(
    effect: TrainingEffect,
    outcome_label: str,
    module_title: str,
    unit: str = "points",
    p_adjusted: float | None = None,
) -> str:
    """One honest paragraph for an HR lead: the effect, its 95% CI, and what it cannot show.

    ``p_adjusted`` (the report's multiple-testing adjusted p-value) decides whether an
    interval that excludes zero is called clear.
    """
    est = effect.effect
    if not est.ok:
        why = "; ".join(est.warnings) or "the data do not allow it"
        return (
            f"The effect of completing '{module_title}' on {outcome_label} could not be "
            f"measured: {why}."
        )
    places = _decimals(est)
    size = f"{abs(est.estimate):.{places}f}"
    if float(size) == 0:
        change = f"changed by about the same in {outcome_label} as"
    elif est.estimate > 0:
        change = f"changed by +{size} {unit} more in {outcome_label} than"
    else:
        change = f"changed by {size} {unit} less in {outcome_label} than"
    ci = f"95% CI {_signed(est.ci_low, places)} to {_signed(est.ci_high, places)}"
    first = (
        f"Units whose staff completed '{module_title}' {change} comparable units that did "
        f"not ({ci}; {effect.n_treated_units} trained and "
        f"{_plural(effect.n_comparison_units, 'comparison unit')})"
    )
    excludes = est.ci_low > 0 or est.ci_high < 0
    if excludes and p_adjusted is not None and not p_adjusted < PRE_TREND_ALPHA:
        first += (
            ", and the interval excludes zero, but with the many tests in this report a "
            f"difference this size can arise by chance (adjusted p = {p_adjusted:.2f})."
        )
    elif excludes:
        first += ", and the interval excludes zero, so chance alone is an unlikely explanation."
    else:
        first += ", but the interval includes zero, so there is no clear effect either way."
    caveats = (
        "This compares trends over time, not randomised groups: managers chose which units "
        "to train, units picked for low scores can rebound on their own (regression to the "
        "mean), and other changes at the same time are not ruled out."
    )
    pre = effect.pre_trend
    if not pre.ok:
        check = (
            "Whether the two groups were moving in parallel before training could not be checked."
        )
    else:
        pre_places = _decimals(pre)
        pre_text = (
            f"{_signed(pre.estimate, pre_places)} {unit} in the {LEAD_MONTHS} months before; "
            f"95% CI {_signed(pre.ci_low, pre_places)} to {_signed(pre.ci_high, pre_places)}"
        )
        if pre.p_value < PRE_TREND_ALPHA:
            check = (
                f"Caution: trained units were already moving differently before training "
                f"({pre_text}), so the trends were probably not parallel and this estimate "
                "may be biased."
            )
        else:
            check = (
                f"Before training the check found no clear difference in trend "
                f"({pre_text}); with few units that is weak reassurance, not proof that "
                "the trends were parallel."
            )
    sentences = [first, caveats, check]
    if effect.n_treated_units < FEW_TREATED:
        sentences.append(
            f"With only {_plural(effect.n_treated_units, 'trained unit')}, treat this as a "
            "rough indication."
        )
    return " ".join(sentences)
