"""The linkage report: every link of unit engagement with every outcome, tested and adjusted.

Input is already aggregated (unit × month sums rolled up to the units the client metrics
belong to); cells below the organisation's minimum group size are left out here, before
anything is computed, so nothing downstream can see them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from reports.stats.correlation import Correlation, corrected_for_unit_reliability, pearson, spearman
from reports.stats.estimate import Estimate
from reports.stats.multiplicity import benjamini_hochberg
from reports.stats.panel import lagged_mixedlm
from reports.stats.power import minimum_detectable_correlation, too_few_units_warning
from reports.stats.psychometrics import alpha_from_variances, icc_from_group_stats, rwg_j
from reports.stats.quartiles import quartile_gap
from reports.stats.retention import binomial_retention
from reports.stats.scores import cell_scores
from reports.stats.survival import counting_process, monthly_turnover, staff_retention_cox

METHODS = (
    "pearson",
    "spearman",
    "pearson_corrected",
    "lagged_mixedlm",
    "binomial_glm",
    "cox",
    "quartile_gap",
)
CLIENT_RETENTION = "client_retention"
STAFF_RETENTION = "staff_retention"
STAFF_TURNOVER = "staff_turnover"
#: Below this rwg(j) a unit's members are said to disagree (LeBreton & Senter 2008: .70).
LOW_AGREEMENT = 0.70


@dataclass(frozen=True, slots=True)
class AlphaMoments:
    """What Cronbach's alpha needs, summed in the database over complete responses."""

    items: tuple[str, ...]
    n: int
    item_variances: tuple[float, ...]
    total_variance: float


@dataclass(frozen=True, slots=True, eq=False)
class LinkageInput:
    """Aggregated data for one report.

    cells: unit, month (Period[M]), k (the wave's minimum group size) and the additive
    score sums of ``reports.stats.scores.SUM_COLUMNS``. item_cells: unit, month, item, n,
    total, sq_total (engagement item answers). outcomes: unit, month, metric, value, n.
    people: person, unit, hired_on, left_on (the roster mapped onto the same units).
    aggregation_units: the units that do not contain another analysis unit (so nobody is
    counted twice in ICC and rwg).
    """

    cells: pd.DataFrame
    item_cells: pd.DataFrame
    outcomes: pd.DataFrame
    people: pd.DataFrame
    alpha: AlphaMoments | None
    aggregation_units: frozenset[object]
    as_of: date
    scale_points: int = 5
    seed: int = 20261123
    bootstrap_reps: int = 2000


@dataclass(frozen=True, slots=True)
class Link:
    """One method's answer for one outcome."""

    outcome: str
    method: str
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    p_adjusted: float
    n_units: int
    n_obs: int
    lag_months: int
    meaning: str
    detail: str
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Aggregation:
    """Whether unit means are sound: alpha, ICC(1), ICC(2), median rwg(j)."""

    alpha: float
    alpha_items: int
    alpha_respondents: int
    icc1: float
    icc2: float
    icc_f_p_value: float
    rwg_j_median: float
    low_agreement_cells: int
    n_units: int
    n_respondents: int
    mean_unit_size: float
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class OutcomeSummary:
    """How much data an outcome has and what size of correlation it could detect."""

    outcome: str
    n_units: int
    months: int
    min_detectable_r: float
    warning: str | None


@dataclass(frozen=True, slots=True, eq=False)
class LinkageReport:
    """Everything the linkage report says, plus its unit-level analysis data set."""

    links: tuple[Link, ...]
    aggregation: Aggregation
    outcomes: tuple[OutcomeSummary, ...]
    engagement_sd: float
    n_units: int
    n_cells: int
    cells_below_threshold: int
    warnings: tuple[str, ...]
    analysis_units: pd.DataFrame = field(repr=False)
    analysis_cells: pd.DataFrame = field(repr=False)


def gate_cells(cells: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Cells with at least k respondents (with their scores), and how many were dropped."""
    scored = cell_scores(cells)
    keep = scored["n"] >= scored["k"]
    kept = scored[keep].copy()
    small_enps = kept["enps_n"] < kept["k"]
    kept.loc[small_enps, "enps"] = np.nan
    return kept.reset_index(drop=True), int((~keep).sum())


def aggregation_checks(
    gated: pd.DataFrame,
    item_cells: pd.DataFrame,
    alpha: AlphaMoments | None,
    units: frozenset[object],
    scale_points: int,
) -> Aggregation:
    """Alpha, ICC(1)/ICC(2) over the lowest analysis units, and the median rwg(j) of their cells."""
    notes: list[str] = []
    base = gated[gated["unit"].isin(units)]
    pooled = base.groupby("unit")[["n", "score_sum", "score_sq_sum"]].sum()
    means = pooled["score_sum"] / pooled["n"]
    icc = icc_from_group_stats(
        pooled["n"], means, pooled["score_sq_sum"] - pooled["score_sum"] * means
    )
    keys = base[["unit", "month"]]
    items = item_cells.merge(keys, on=["unit", "month"], how="inner")
    items = items[items["n"] >= 2]
    variance = (items["sq_total"] - items["total"] ** 2 / items["n"]) / (items["n"] - 1)
    items = items.assign(variance=variance.clip(lower=0))
    rwg = items.groupby(["unit", "month"])["variance"].apply(
        lambda v: rwg_j(v.to_numpy(dtype=float), scale_points)
    )
    rwg_median = float(rwg.median()) if len(rwg) else float("nan")
    low = int((rwg < LOW_AGREEMENT).sum())
    if low:
        notes.append(
            f"{low} of {len(rwg)} unit-months have low agreement (rwg(j) < {LOW_AGREEMENT:.2f}): "
            "their members see the unit differently, so its mean hides a split"
        )
    if alpha is not None:
        alpha_value = alpha_from_variances(alpha.item_variances, alpha.total_variance)
        alpha_items, alpha_n = len(alpha.items), alpha.n
    else:
        alpha_value, alpha_items, alpha_n = float("nan"), 0, 0
        notes.append("alpha needs responses that answered every engagement item; there are none")
    if math.isfinite(alpha_value) and alpha_value < 0.7:
        notes.append(
            f"Cronbach's alpha is {alpha_value:.2f} (< 0.70): the items hang together poorly"
        )
    if math.isfinite(icc.icc2) and icc.icc2 < 0.7:
        notes.append(
            f"ICC(2) is {icc.icc2:.2f} (< 0.70): unit means are not very reliable, "
            "which weakens every correlation (see pearson_corrected)"
        )
    return Aggregation(
        alpha=alpha_value,
        alpha_items=alpha_items,
        alpha_respondents=alpha_n,
        icc1=icc.icc1,
        icc2=icc.icc2,
        icc_f_p_value=icc.p_value,
        rwg_j_median=rwg_median,
        low_agreement_cells=low,
        n_units=icc.n_groups,
        n_respondents=icc.n_respondents,
        mean_unit_size=icc.mean_group_size,
        warnings=tuple(notes),
    )


def _unit_outcome(series: pd.DataFrame) -> pd.Series:
    """Each unit's outcome over the period: n-weighted mean when every row has n, else the mean."""
    if series["n"].notna().all() and (series["n"] > 0).all():
        weighted = series.assign(w=series["value"] * series["n"]).groupby("unit")[["w", "n"]].sum()
        return weighted["w"] / weighted["n"]
    return series.groupby("unit")["value"].mean()


def _from_correlation(c: Correlation, outcome: str, method: str, meaning: str, detail: str) -> Link:
    return Link(
        outcome,
        method,
        c.r,
        c.ci_low,
        c.ci_high,
        c.p_value,
        float("nan"),
        c.n_units,
        c.n_units,
        0,
        meaning,
        detail,
        c.warnings,
    )


def _from_estimate(e: Estimate, outcome: str, method: str, lag: int, meaning: str) -> Link:
    return Link(
        outcome,
        method,
        e.estimate,
        e.ci_low,
        e.ci_high,
        e.p_value,
        float("nan"),
        e.n_units,
        e.n_obs,
        lag,
        meaning,
        e.detail,
        e.warnings,
    )


def _outcome_links(
    name: str,
    rows: pd.DataFrame,
    gated: pd.DataFrame,
    unit_engagement: pd.Series,
    icc2: float,
    sd: float,
    data: LinkageInput,
) -> tuple[list[Link], OutcomeSummary, pd.Series]:
    outcome_by_unit = _unit_outcome(rows)
    both = pd.concat(
        [unit_engagement.rename("engagement"), outcome_by_unit.rename("outcome")],
        axis=1,
        join="inner",
    ).dropna()
    x, y = both["engagement"].to_numpy(), both["outcome"].to_numpy()
    links: list[Link] = []
    r = pearson(x, y)
    links.append(
        _from_correlation(
            r,
            name,
            "pearson",
            "correlation across units (−1…1)",
            "Pearson r, Fisher-z 95% CI, n = units",
        )
    )
    links.append(
        _from_correlation(
            spearman(x, y),
            name,
            "spearman",
            "rank correlation across units (−1…1)",
            "Spearman ρ, Fisher-z CI with SE √(1.06/(n−3))",
        )
    )
    links.append(
        _from_correlation(
            corrected_for_unit_reliability(r, icc2),
            name,
            "pearson_corrected",
            "correlation across units corrected for the unreliability of unit means",
            f"r / √ICC(2), ICC(2) = {icc2:.3f}; test as for pearson",
        )
    )
    panel = gated[["unit", "month", "engagement"]].merge(
        rows[["unit", "month", "value"]].rename(columns={"value": "outcome"}),
        on=["unit", "month"],
        how="right",
    )
    links.append(
        _from_estimate(
            lagged_mixedlm(panel, seed=data.seed),
            name,
            "lagged_mixedlm",
            1,
            f"change in next month's {name} per 1 point of engagement (1–5), "
            f"beyond this month's {name}",
        )
    )
    if name == CLIENT_RETENTION and rows["n"].notna().any():
        glm_rows = gated[["unit", "month", "engagement"]].merge(
            rows, on=["unit", "month"], how="inner"
        )
        glm_rows = glm_rows.dropna(subset=["n"])
        glm_rows = glm_rows.assign(
            at_risk=glm_rows["n"], returned=(glm_rows["value"] * glm_rows["n"]).round()
        )
        links.append(
            _from_estimate(
                binomial_retention(glm_rows, engagement_sd=sd),
                name,
                "binomial_glm",
                0,
                "odds ratio of a first-time client coming back, per SD of engagement",
            )
        )
    links.append(
        _from_estimate(
            quartile_gap(x, y, reps=data.bootstrap_reps, seed=data.seed),
            name,
            "quartile_gap",
            0,
            f"{name} of the top quarter of units by engagement minus the bottom quarter",
        )
    )
    n_units = len(both)
    summary = OutcomeSummary(
        outcome=name,
        n_units=n_units,
        months=int(rows["month"].nunique()),
        min_detectable_r=minimum_detectable_correlation(n_units),
        warning=too_few_units_warning(n_units, name),
    )
    return links, summary, outcome_by_unit.rename(name)


def build_report(data: LinkageInput) -> LinkageReport:
    """Compute every link, then adjust all their p-values together (Benjamini–Hochberg)."""
    gated, dropped = gate_cells(data.cells)
    notes: list[str] = []
    if dropped:
        notes.append(
            f"{dropped} unit-months with fewer respondents than the minimum group size "
            "were left out"
        )
    aggregation = aggregation_checks(
        gated, data.item_cells, data.alpha, data.aggregation_units, data.scale_points
    )
    sd = float(gated["engagement"].std()) if len(gated) > 1 else float("nan")
    pooled = gated.groupby("unit")[["n", "score_sum"]].sum()
    unit_engagement = pooled["score_sum"] / pooled["n"]
    outcomes = data.outcomes.copy()
    if len(outcomes):
        outcomes["month"] = pd.PeriodIndex(outcomes["month"], freq="M")
    people = data.people
    series: dict[str, pd.DataFrame] = {
        str(m): g[["unit", "month", "value", "n"]].reset_index(drop=True)
        for m, g in outcomes.groupby("metric", sort=True)
    }
    if len(people) and len(gated):
        months = pd.period_range(gated["month"].min(), gated["month"].max(), freq="M")
        turnover = monthly_turnover(people, months)
        turnover = turnover[turnover["headcount"] > 0]
        series[STAFF_TURNOVER] = pd.DataFrame(
            {
                "unit": turnover["unit"],
                "month": turnover["month"],
                "value": turnover["rate"],
                "n": turnover["headcount"],
            }
        )
    links: list[Link] = []
    summaries: list[OutcomeSummary] = []
    per_unit: list[pd.Series] = [
        unit_engagement.rename("engagement"),
        pooled["n"].rename("respondents"),
    ]
    if len(gated) == 0:
        notes.append(
            "no unit has a closed wave with at least the minimum group size of respondents"
        )
    else:
        for name in sorted(series):
            found, summary, by_unit = _outcome_links(
                name, series[name], gated, unit_engagement, aggregation.icc2, sd, data
            )
            links.extend(found)
            summaries.append(summary)
            per_unit.append(by_unit)
            if summary.warning:
                notes.append(summary.warning)
        if len(people):
            intervals = counting_process(people, gated[["unit", "month", "engagement"]], data.as_of)
            links.append(
                _from_estimate(
                    staff_retention_cox(intervals, engagement_sd=sd),
                    STAFF_RETENTION,
                    "cox",
                    1,
                    "hazard ratio of a member of staff leaving, per SD of the unit's engagement",
                )
            )
    links = _adjust(links)
    analysis_units = pd.concat(per_unit, axis=1, join="outer")
    analysis_units = analysis_units[analysis_units["engagement"].notna()]
    return LinkageReport(
        links=tuple(links),
        aggregation=aggregation,
        outcomes=tuple(summaries),
        engagement_sd=sd,
        n_units=int(gated["unit"].nunique()),
        n_cells=len(gated),
        cells_below_threshold=dropped,
        warnings=tuple(notes),
        analysis_units=analysis_units.reset_index(names="unit"),
        analysis_cells=gated,
    )


def _adjust(links: list[Link]) -> list[Link]:
    """Benjamini–Hochberg over every test; pearson_corrected shares pearson's test."""
    tested = [i for i, link in enumerate(links) if link.method != "pearson_corrected"]
    adjusted = benjamini_hochberg([links[i].p_value for i in tested])
    by_index = dict(zip(tested, adjusted.tolist(), strict=True))
    pearson_adjusted = {
        links[i].outcome: by_index[i] for i in tested if links[i].method == "pearson"
    }
    out = []
    for i, link in enumerate(links):
        value = by_index.get(i, pearson_adjusted.get(link.outcome, float("nan")))
        out.append(_replace_adjusted(link, value))
    return out


def _replace_adjusted(link: Link, value: float) -> Link:
    from dataclasses import replace

    return replace(link, p_adjusted=value)
