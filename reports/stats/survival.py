"""Staff retention: Cox proportional hazards of leaving, with the unit's engagement as a
time-varying covariate.

People enter the risk set when both they and a measurement of their unit's engagement are
there (left truncation, counting-process rows with entry times), on a time scale of days of
tenure. Ties are handled with Efron's method, as R and lifelines do (statsmodels defaults to
Breslow). The estimate is the hazard ratio of leaving per SD of engagement.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats
from statsmodels.duration.hazard_regression import PHReg

from reports.stats.estimate import DEFAULT_SEED, Estimate, clustered_ratio, kept_warnings

#: How long a unit's last engagement measurement stands for it when no newer wave came.
CARRY_FORWARD_MONTHS = 6


@dataclass(frozen=True, slots=True)
class CoxFit:
    """Coefficients of a Cox model with SEs, p-values and 95% CIs (log-hazard scale)."""

    params: tuple[float, ...]
    bse: tuple[float, ...]
    p_values: tuple[float, ...]
    ci_low: tuple[float, ...]
    ci_high: tuple[float, ...]
    n_obs: int
    n_events: int
    warnings: tuple[str, ...]


def fit_cox(
    time: npt.ArrayLike,
    event: npt.ArrayLike,
    exog: npt.ArrayLike,
    entry: npt.ArrayLike | None = None,
    groups: npt.ArrayLike | None = None,
) -> CoxFit:
    """Cox model with Efron ties (robust SEs by ``groups`` when given)."""
    x = np.asarray(exog, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    status = np.asarray(event, dtype=float)
    with kept_warnings() as caught:
        model = PHReg(
            np.asarray(time, dtype=float),
            x,
            status=status,
            entry=None if entry is None else _open_start(np.asarray(entry, dtype=float)),
            ties="efron",
        )
        result = model.fit()
    params = np.asarray(result.params, dtype=float)
    if groups is None:
        cov = np.asarray(result.cov_params(), dtype=float)
    else:
        starts = np.zeros(len(x)) if entry is None else np.asarray(entry, dtype=float)
        cov = _clustered_covariance(model, params, np.asarray(groups), starts)
    bse = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    z = params / bse
    p_values = 2 * stats.norm.sf(np.abs(z))
    half = stats.norm.ppf(0.975) * bse
    return CoxFit(
        params=tuple(params.tolist()),
        bse=tuple(bse.tolist()),
        p_values=tuple(p_values.tolist()),
        ci_low=tuple((params - half).tolist()),
        ci_high=tuple((params + half).tolist()),
        n_obs=int(x.shape[0]),
        n_events=int(status.sum()),
        warnings=tuple(caught),
    )


def _open_start(entry: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Entry times nudged just past themselves, so a row is at risk on (entry, exit].

    statsmodels counts a row as at risk at an event time equal to its entry; with
    counting-process rows that puts a person who is split at that time in the risk set
    twice. R's survival and lifelines use (start, stop]; a millionth of a day restores it.
    """
    return np.where(entry > 0, entry + 1e-6, entry)


def score_residuals(
    entry: npt.NDArray[np.float64],
    exit_: npt.NDArray[np.float64],
    event: npt.NDArray[np.float64],
    x: npt.NDArray[np.float64],
    params: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """Breslow-type score residuals of rows at risk on (entry, exit] (Therneau & Grambsch).

    statsmodels' own ``score_residuals`` mishandles rows with entry times (its robust SEs
    come out several times too large on counting-process data), so they are computed here
    with prefix sums over the event times.
    """
    risk = np.exp(x @ params - float(np.max(x @ params)))
    times = np.unique(exit_[event > 0])
    if times.size == 0:
        return np.zeros_like(x)
    order_exit = np.argsort(exit_)
    order_entry = np.argsort(entry)
    sorted_exit, sorted_entry = exit_[order_exit], entry[order_entry]

    def suffix(
        values: npt.NDArray[np.float64],
        order: npt.NDArray[np.intp],
        sorted_t: npt.NDArray[np.float64],
        side: str,
    ) -> npt.NDArray[np.float64]:
        """Sum of ``values`` over rows whose time is >= t (side='left') or > t ('right')."""
        ordered = values[order]
        tail = np.concatenate(
            [np.cumsum(ordered[::-1], axis=0)[::-1], np.zeros((1, *ordered.shape[1:]))]
        )
        return tail[np.searchsorted(sorted_t, times, side=side)]  # type: ignore[call-overload]

    s0 = suffix(risk, order_exit, sorted_exit, "left") - suffix(
        risk, order_entry, sorted_entry, "left"
    )
    weighted = x * risk[:, None]
    s1 = suffix(weighted, order_exit, sorted_exit, "left") - suffix(
        weighted, order_entry, sorted_entry, "left"
    )
    deaths = np.bincount(np.searchsorted(times, exit_[event > 0]), minlength=times.size)
    hazard = deaths / s0
    mean_x = s1 / s0[:, None]
    cum_hazard = np.concatenate([[0.0], np.cumsum(hazard)])
    cum_mean = np.vstack([np.zeros((1, x.shape[1])), np.cumsum(mean_x * hazard[:, None], axis=0)])
    first = np.searchsorted(times, entry, side="right")  # first event time after entry
    last = np.searchsorted(times, exit_, side="right")  # one past the last event time <= exit
    at_risk_hazard = cum_hazard[last] - cum_hazard[first]
    at_risk_mean = cum_mean[last] - cum_mean[first]
    compensator = risk[:, None] * (x * at_risk_hazard[:, None] - at_risk_mean)
    own = np.zeros_like(x)
    died = event > 0
    own[died] = x[died] - mean_x[np.searchsorted(times, exit_[died])]
    return np.asarray(own - compensator, dtype=float)


def _clustered_covariance(
    model: PHReg,
    params: npt.NDArray[np.float64],
    groups: npt.NDArray[Any],
    entry: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """Sandwich covariance with the score residuals summed within each cluster."""
    x = np.asarray(model.exog, dtype=float)
    scores = score_residuals(
        entry,
        np.asarray(model.endog, dtype=float),
        np.asarray(model.status, dtype=float),
        x,
        params,
    )
    _, codes = np.unique(groups, return_inverse=True)
    summed = np.zeros((int(codes.max()) + 1, scores.shape[1]))
    np.add.at(summed, codes, scores)
    bread = np.linalg.inv(np.asarray(model.hessian(params), dtype=float))
    meat = summed.T @ summed
    return np.asarray(bread @ meat @ bread, dtype=float)


def counting_process(people: pd.DataFrame, engagement: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Split each person's employment into intervals of constant unit engagement.

    ``people``: person, unit, hired_on, left_on (NaT while employed). ``engagement``: unit,
    month (Period[M]), engagement. A wave in month m is known from the start of month m + 1
    and stands until the next wave's value is known, for at most
    ``CARRY_FORWARD_MONTHS``. Returns rows person, unit, entry, exit (days of tenure),
    event (left at exit) and engagement.
    """
    cells = engagement[["unit", "month", "engagement"]].dropna().copy()
    cells["month"] = pd.PeriodIndex(cells["month"], freq="M")
    cells = cells.sort_values(["unit", "month"])
    known = (cells["month"] + 1).dt.start_time
    cap = (cells["month"] + 1 + CARRY_FORWARD_MONTHS).dt.start_time
    following = known.groupby(cells["unit"]).shift(-1)
    cells["from"] = known
    cells["until"] = following.where(following < cap, cap).fillna(cap)
    staff = people[["person", "unit", "hired_on", "left_on"]].copy()
    staff["hired_on"] = pd.to_datetime(staff["hired_on"])
    staff["left_on"] = pd.to_datetime(staff["left_on"])
    end_of_data = pd.Timestamp(as_of)
    staff["end"] = staff["left_on"].fillna(end_of_data)
    staff.loc[staff["end"] > end_of_data, "end"] = end_of_data
    rows = staff.merge(cells[["unit", "from", "until", "engagement"]], on="unit", how="inner")
    start = rows["from"].where(rows["from"] > rows["hired_on"], rows["hired_on"])
    stop = rows["until"].where(rows["until"] < rows["end"], rows["end"])
    rows = rows.assign(start=start, stop=stop)
    rows = rows[rows["start"] < rows["stop"]].copy()
    rows["event"] = (rows["left_on"].notna() & (rows["left_on"] == rows["stop"])).astype(int)
    rows["entry"] = (rows["start"] - rows["hired_on"]).dt.days.astype(float)
    rows["exit"] = (rows["stop"] - rows["hired_on"]).dt.days.astype(float)
    columns = ["person", "unit", "entry", "exit", "event", "engagement"]
    return rows[columns].sort_values(["person", "entry"]).reset_index(drop=True)


def staff_retention_cox(
    intervals: pd.DataFrame, engagement_sd: float | None = None, seed: int = DEFAULT_SEED
) -> Estimate:
    """Hazard ratio of leaving per SD of unit engagement (robust SEs clustered by unit)."""
    detail = "Cox PH (Efron ties), time-varying unit engagement, errors clustered by unit"
    n_units = int(intervals["unit"].nunique()) if len(intervals) else 0
    n_obs = len(intervals)
    events = int(intervals["event"].sum()) if len(intervals) else 0
    if n_units < 5 or events < 10:
        return Estimate.failed(
            n_units,
            n_obs,
            detail,
            f"staff retention needs at least 5 units and 10 leavers while engagement was "
            f"measured; there are {n_units} units and {events} leavers",
        )
    sd = float(engagement_sd) if engagement_sd else float(intervals["engagement"].std())
    if not sd > 0:
        return Estimate.failed(n_units, n_obs, detail, "engagement does not vary")
    groups = pd.factorize(intervals["unit"], sort=True)[0]  # fixed order for seeded draws
    try:
        fit = fit_cox(
            intervals["exit"],
            intervals["event"],
            intervals["engagement"].to_numpy(dtype=float) / sd,
            entry=intervals["entry"],
            groups=groups,
        )
    except (np.linalg.LinAlgError, ValueError) as exc:
        return Estimate.failed(n_units, n_obs, detail, f"the Cox model failed: {exc}")
    notes = list(fit.warnings)
    beta, se = fit.params[0], fit.bse[0]
    if not (math.isfinite(beta) and math.isfinite(se)) or se == 0:
        return Estimate.failed(n_units, n_obs, detail, *notes, "the Cox model gave no usable SE")

    def null_scores(b: float) -> npt.NDArray[np.float64]:
        at_null = score_residuals(
            intervals["entry"].to_numpy(dtype=float),
            intervals["exit"].to_numpy(dtype=float),
            intervals["event"].to_numpy(dtype=float),
            intervals[["engagement"]].to_numpy(dtype=float) / sd,
            np.array([b]),
        )[:, 0]
        by_unit = np.zeros(int(groups.max()) + 1)
        np.add.at(by_unit, groups, at_null)
        return by_unit

    return clustered_ratio(beta, se, n_units, n_obs, detail, notes, null_scores, seed)


def monthly_turnover(people: pd.DataFrame, months: pd.PeriodIndex) -> pd.DataFrame:
    """Staff turnover per unit and month: leavers in the month / headcount at its start.

    Headcount counts everyone employed on the 1st (hired that day included); leavers are
    those of them whose ``left_on`` falls in the month.

    ``people``: unit, hired_on, left_on (NaT while employed). Returns unit, month,
    headcount, leavers and rate (NaN when nobody was employed at the start).
    """
    staff = people[["unit", "hired_on", "left_on"]].copy()
    hired = pd.to_datetime(staff["hired_on"])
    left = pd.to_datetime(staff["left_on"])
    out = []
    for month in months:
        start = month.start_time
        end = (month + 1).start_time
        present = (hired <= start) & (left.isna() | (left >= start))
        leaving = present & left.notna() & (left < end)
        frame = pd.DataFrame(
            {"unit": staff["unit"], "present": present.astype(int), "leaving": leaving.astype(int)}
        )
        counts = frame.groupby("unit", sort=True)[["present", "leaving"]].sum()
        out.append(counts.reset_index().assign(month=pd.Series([month] * len(counts))))
    if not out:
        return pd.DataFrame(columns=["unit", "month", "headcount", "leavers", "rate"])
    table = pd.concat(out, ignore_index=True).rename(
        columns={"present": "headcount", "leaving": "leavers"}
    )
    table["rate"] = table["leavers"] / table["headcount"].where(table["headcount"] > 0)
    return table[["unit", "month", "headcount", "leavers", "rate"]]
