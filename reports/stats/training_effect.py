"""Measured effect of training: the imputation estimator with an event study.

Did units whose staff completed a training module do better than they would have without
it? Units are trained in different months and the effect may differ between cohorts or
grow over time, so the effect is measured by imputation (``reports.stats.did_imputation``;
Borusyak, Jaravel & Spiess 2024): unit and month effects are fitted on the untrained
unit-months only — never-trained units, and trained units' months before their training
window — and each trained unit-month is compared with its prediction. Only never-trained
and not-yet-trained unit-months serve as controls; an already-trained unit never does.

The training window starts ``LEAD_MONTHS`` months before the training month: those months
are not used for the prediction, so a unit picked for training because of a dip is
compared with its months before the dip, and their own differences are the placebo leads
(the pre-trend check). The event study gives the difference for every month from
``LEAD_MONTHS`` before training to ``MAX_HORIZON`` after. Every p-value and interval comes
from a restricted wild cluster bootstrap by unit (the null imposed), which holds its size
with few trained units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from reports.stats.did_imputation import ANTICIPATION, Average, Imputation, TwoWay
from reports.stats.estimate import DEFAULT_SEED, Estimate
from reports.stats.power import minimum_detectable_effect

FloatArray = npt.NDArray[np.float64]

#: Months before the training month in the training window (placebo leads).
LEAD_MONTHS = ANTICIPATION
#: The event study runs to this many months after the training month.
MAX_HORIZON = 12
#: An event-study month is shown when at least this many trained units have results in it.
MIN_UNITS_AT_HORIZON = 2
#: Below this many trained units, the comparison rests on too few units to trust.
FEW_TREATED = 5
#: The pre-trend lead counts as clearly non-zero below this p-value.
PRE_TREND_ALPHA = 0.05

COLUMNS = ("unit", "month", "y", "first_treated")
DETAIL = (
    "imputation estimator (Borusyak, Jaravel & Spiess 2024): unit and month effects fitted "
    f"on untrained unit-months (never-trained units, and trained units' months more than "
    f"{LEAD_MONTHS} before training), the effect the mean difference of trained unit-months "
    "from that prediction"
)


@dataclass(frozen=True, slots=True)
class EventTime:
    """The mean difference ``months`` after the training month (negative: before)."""

    months: int
    estimate: Estimate


@dataclass(frozen=True, slots=True)
class TrainingEffect:
    """The measured effect of a training module on one outcome, with its pre-trend check.

    ``effect`` is the mean difference of trained unit-months from their untrained
    prediction, in the outcome's units (n_units = all units used, n_obs = unit-months);
    ``pre_trend`` the same over the ``LEAD_MONTHS`` months before training; ``event_study``
    month by month; ``warnings`` gathers every plain-language caveat (including why a fit
    failed).
    """

    effect: Estimate
    pre_trend: Estimate
    n_treated_units: int
    n_comparison_units: int
    n_months: int
    warnings: tuple[str, ...]
    event_study: tuple[EventTime, ...] = ()


def _months(values: pd.Series) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Calendar months as month counts (float, NaN where missing) and the missing mask."""
    periods = pd.PeriodIndex(values, freq="M")
    missing = np.asarray(periods.isna(), dtype=bool)
    counts = np.asarray(periods.year * 12 + periods.month, dtype=float)
    return np.where(missing, np.nan, counts), missing


def _plural(count: int, noun: str) -> str:
    """'1 unit', '3 units'."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _estimate(average: Average, n_units: int, n_obs: int, how: str) -> Estimate:
    return Estimate(
        average.estimate,
        average.ci_low,
        average.ci_high,
        average.p_value,
        n_units,
        n_obs,
        how,
    )


def did_effect(panel: pd.DataFrame, *, reps: int = 999, seed: int = DEFAULT_SEED) -> TrainingEffect:
    """The effect of training on ``y``, with its pre-trend check and event study.

    ``panel`` has one row per unit and month: ``unit``, ``month`` (Period "M"), ``y`` and
    ``first_treated`` (Period "M" from which the unit counts as trained; NaT for units never
    trained). Rows without ``y`` are dropped; unbalanced panels are fine. Trained units
    without results both before their training window and after training, and units with
    a single month, carry no information on change and are left out. See the module
    docstring for the method.
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

    after_row = ~frame["never"] & (frame["t"] >= frame["start"])
    before_row = ~frame["never"] & (frame["t"] < frame["start"] - LEAD_MONTHS)
    per_unit = pd.DataFrame(
        {"never": frame["never"], "after": after_row, "before": before_row, "rows": 1}
    ).groupby(frame["unit"], sort=False)
    summary = per_unit.agg({"never": "first", "after": "any", "before": "any", "rows": "sum"})
    usable_treated = ~summary["never"] & summary["after"] & summary["before"]
    # trained after their last result: their months before the window are not-yet-trained
    # controls, though they give no effect of their own
    not_yet = ~summary["never"] & ~summary["after"] & summary["before"]
    comparison = summary["never"] & (summary["rows"] >= 2)
    n_treated = int(usable_treated.sum())
    n_comparison = int(comparison.sum())
    notes: list[str] = []
    unusable = int((~summary["never"] & ~usable_treated & ~not_yet).sum())
    if unusable:
        notes.append(
            f"{_plural(unusable, 'trained unit')} had no results both from more than "
            f"{LEAD_MONTHS} months before training and after it, and were left out"
        )
    if int(not_yet.sum()):
        notes.append(
            f"{_plural(int(not_yet.sum()), 'trained unit')} had no results after training "
            "yet: their earlier months count as untrained"
        )
    single = int((summary["never"] & ~comparison).sum())
    if single:
        notes.append(
            f"{_plural(single, 'comparison unit')} with a single month of results "
            "carried no information on change and were left out"
        )
    keep_units = summary.index[usable_treated | comparison | not_yet]
    frame = frame[frame["unit"].isin(keep_units)].reset_index(drop=True)
    n_units = n_treated + n_comparison + int(not_yet.sum())
    n_months = int(frame["t"].nunique())

    reasons: list[str] = []
    if n_treated == 0:
        reasons.append(
            f"no trained unit has results both from more than {LEAD_MONTHS} months before its "
            "training month and after it"
        )
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

    def failed(*why: str, n_obs: int = len(frame)) -> TrainingEffect:
        effect = Estimate.failed(n_units, n_obs, DETAIL, *why)
        pre = Estimate.failed(
            n_units, n_obs, "pre-trend lead", "not checked: the effect could not be estimated"
        )
        return TrainingEffect(effect, pre, n_treated, n_comparison, n_months, (*notes, *why))

    if reasons:
        return failed(*reasons)

    unit_codes = pd.factorize(frame["unit"], sort=True)[0].astype(np.intp)  # fixed draws
    month_codes, month_values = pd.factorize(frame["t"])
    design = TwoWay(unit_codes, month_codes.astype(np.intp), n_units, len(month_values))
    gap = (frame["t"] - frame["start"]).to_numpy()  # months since training (NaN: never)
    never_row = frame["never"].to_numpy(dtype=bool)
    control = never_row | (gap < -LEAD_MONTHS)
    window = ~control
    predictable = design.identified(control)
    lost = int((window & ~predictable).sum())
    if lost:
        notes.append(
            f"{_plural(lost, 'trained unit-month')} could not be predicted (no untrained "
            "unit had results that month) and were left out"
        )
    window &= predictable
    post = window & (gap >= 0)
    lead = window & (gap < 0)
    n_obs = int(control.sum() + window.sum())
    if not post.any():
        return failed(
            "training months coincide with calendar months for all units compared, so the "
            "effect of training cannot be told apart from what happened in those months",
            n_obs=n_obs,
        )
    y = frame["y"].to_numpy(dtype=float)
    imputation = Imputation(design, y, control, reps, seed, n_treated)
    how = (
        f"{DETAIL}; restricted wild cluster bootstrap by unit ({imputation.weight_name} "
        f"weights, {reps} draws, seed {seed}), interval by test inversion"
    )
    main = imputation.average(post)
    effect_notes: list[str] = []
    if not (math.isfinite(main.ci_low) and math.isfinite(main.ci_high)):
        effect_notes.append(
            f"with {_plural(n_treated, 'trained unit')} the bootstrap cannot reject any effect "
            "size, so the 95% interval is unbounded"
        )
    if n_treated < FEW_TREATED:
        effect_notes.append(
            f"only {_plural(n_treated, 'trained unit')}: the result rests on very few units "
            "and one unusual unit can drive it; the bootstrap keeps the test honest, so "
            "intervals are wide"
        )
    effect = Estimate(
        main.estimate,
        main.ci_low,
        main.ci_high,
        main.p_value,
        n_units,
        n_obs,
        how,
        tuple(effect_notes),
    )
    lead_detail = (
        f"pre-trend lead: the mean difference in the {LEAD_MONTHS} months before training, "
        "same prediction"
    )
    if lead.any():
        pre_trend = _estimate(imputation.average(lead), n_units, n_obs, f"{lead_detail}; {how}")
    else:
        pre_trend = Estimate.failed(
            n_units,
            n_obs,
            lead_detail,
            f"pre-trend not checked: no trained unit has results in the {LEAD_MONTHS} months "
            "before its training",
        )
    events = []
    for months_since in range(-LEAD_MONTHS, MAX_HORIZON + 1):
        at = window & (gap == months_since)
        if len(np.unique(unit_codes[at])) >= MIN_UNITS_AT_HORIZON:
            average = imputation.average(at)
            events.append(
                EventTime(
                    months_since,
                    _estimate(average, average.n_units, int(at.sum()), f"event study; {how}"),
                )
            )
    notes.extend(effect_notes)
    notes.extend(pre_trend.warnings)
    if pre_trend.ok and pre_trend.p_value < PRE_TREND_ALPHA:
        direction = "above" if pre_trend.estimate > 0 else "below"
        notes.append(
            f"in the {LEAD_MONTHS} months before training, trained units were already "
            f"{direction} their prediction (by {pre_trend.estimate:+.3g}, p = "
            f"{pre_trend.p_value:.2g}): the groups were not moving in parallel, or units were "
            "picked for training because of a dip; those months are left out of the "
            "prediction, but treat the effect with care"
        )
    return TrainingEffect(
        effect, pre_trend, n_treated, n_comparison, n_months, tuple(notes), tuple(events)
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
    if math.isfinite(est.ci_low) and math.isfinite(est.ci_high):
        ci = f"95% CI {_signed(est.ci_low, places)} to {_signed(est.ci_high, places)}"
    else:
        ci = "the 95% interval is unbounded: so few trained units cannot rule out any size"
    first = (
        f"Units whose staff completed '{module_title}' {change} predicted from their own "
        f"earlier months and from units not yet or never trained ({ci}; "
        f"{effect.n_treated_units} trained and "
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
        first += ", but the interval includes zero, so there is no clear effect either way"
        smallest = minimum_detectable_effect(est)
        if math.isfinite(smallest):
            first += (
                f"; with this precision only an effect of about {smallest:.{places}f} {unit} "
                "or more would be found 8 times in 10"
            )
        first += "."
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
