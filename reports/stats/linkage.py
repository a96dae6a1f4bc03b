"""The linkage report: every link of unit engagement with every outcome, tested and adjusted.

Input is already aggregated (unit × month sums rolled up to the units the client metrics
belong to); cells below the organisation's minimum group size are left out here, before
anything is computed, so nothing downstream can see them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np
import pandas as pd

from reports.stats.correlation import Correlation, pearson, spearman
from reports.stats.estimate import DEFAULT_SEED, Estimate
from reports.stats.multiplicity import benjamini_hochberg
from reports.stats.panel import lagged_links
from reports.stats.power import (
    minimum_detectable_correlation,
    minimum_detectable_effect,
    too_few_units_warning,
)
from reports.stats.psychometrics import (
    alpha_from_variances,
    icc_from_group_stats,
    r_star_critical,
    r_star_wg_j,
    slight_skew_null_variance,
    uniform_null_variance,
)
from reports.stats.quartiles import quartile_gap
from reports.stats.reliability import corrected_correlation
from reports.stats.retention import binomial_retention
from reports.stats.scores import cell_scores
from reports.stats.survival import counting_process, monthly_turnover, staff_retention_cox
from reports.stats.training_panel import (
    ModuleEffect,
    engagement_by_unit_month,
    module_effects,
)

METHODS = (
    "pearson",
    "spearman",
    "pearson_corrected",
    "within_unit",
    "between_units",
    "binomial_glm",
    "cox",
    "quartile_gap",
)
#: Figures shown beside the report's tests but not tested on their own: Spearman, the
#: quartile gap and the between-units term ask the same question of the same units as
#: Pearson's r (is engagement associated with the outcome across units?), so only r, the
#: pre-specified primary test, enters the Benjamini–Hochberg family; pearson_corrected
#: shares r's test.
DESCRIPTIVE = ("spearman", "quartile_gap", "between_units")
CLIENT_RETENTION = "client_retention"
STAFF_RETENTION = "staff_retention"
STAFF_TURNOVER = "staff_turnover"
#: Below this r*wg(j) (slightly skewed null) a unit's members are said to disagree
#: (LeBreton & Senter 2008: .70).
LOW_AGREEMENT = 0.70


#: Engagement item codes, for the complete-response columns of a cell.
ITEMS = tuple(f"E{i:02d}" for i in range(1, 13))
#: Additive columns of a cell over its complete responses (every engagement item answered):
#: how many, the sum and sum of squares of their totals, and of each item.
ALPHA_COLUMNS = (
    "n_complete",
    "t_sum",
    "t_sq",
    *(f"cs_{c.lower()}" for c in ITEMS),
    *(f"cq_{c.lower()}" for c in ITEMS),
)


@dataclass(frozen=True, slots=True)
class AlphaMoments:
    """What Cronbach's alpha needs, summed over the complete responses of shown cells."""

    items: tuple[str, ...]
    n: int
    item_variances: tuple[float, ...]
    total_variance: float


def alpha_moments(cells: pd.DataFrame) -> AlphaMoments | None:
    """Alpha's moments from the complete-response sums of ``cells`` (None without them)."""
    if not set(ALPHA_COLUMNS) <= set(cells.columns):
        return None
    n = float(cells["n_complete"].sum())
    if n < 2:
        return None
    variances = []
    for code in ITEMS:
        total = float(cells[f"cs_{code.lower()}"].sum())
        squares = float(cells[f"cq_{code.lower()}"].sum())
        variances.append((squares - total * total / n) / (n - 1))
    t_sum, t_sq = float(cells["t_sum"].sum()), float(cells["t_sq"].sum())
    return AlphaMoments(ITEMS, int(n), tuple(variances), (t_sq - t_sum * t_sum / n) / (n - 1))


@dataclass(frozen=True, slots=True, eq=False)
class LinkageInput:
    """Aggregated data for one report.

    cells: unit, month (Period[M]), k (the wave's minimum group size), the additive
    score sums of ``reports.stats.scores.SUM_COLUMNS`` and, for alpha, ``ALPHA_COLUMNS``
    (so alpha, like everything else, only sees cells that pass the gate). item_cells:
    unit, month, item, n, total, sq_total (engagement item answers). outcomes: unit,
    month, metric, value, n.
    people: person, unit, hired_on, left_on (the roster mapped onto the same units).
    aggregation_units: the units that do not contain another analysis unit (so nobody is
    counted twice in alpha, ICC and rwg). ancestors: unit → the analysis units that contain
    it, so an outcome reported at two levels is analysed at the lowest only.
    """

    cells: pd.DataFrame
    item_cells: pd.DataFrame
    outcomes: pd.DataFrame
    people: pd.DataFrame
    aggregation_units: frozenset[object]
    as_of: date
    ancestors: Mapping[object, frozenset[object]] = field(default_factory=dict)
    scale_points: int = 5
    seed: int = DEFAULT_SEED
    bootstrap_reps: int = 2000
    training: pd.DataFrame | None = None  # cohorts: unit, module, first_treated, partial


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
    low_agreement_cells: int  # r*wg(j) against the slightly skewed null below LOW_AGREEMENT
    n_units: int
    n_respondents: int
    mean_unit_size: float
    waves: int = 0
    warnings: tuple[str, ...] = ()
    #: Median r*wg(j) against the slightly skewed null, and the share of unit-months whose
    #: r*wg(j) (uniform null) is above the 95% critical value for their size (agreement
    #: beyond chance).
    rwg_star_j_median: float = float("nan")
    agreement_beyond_chance: float = float("nan")
    #: Unit-months with an r*wg(j).
    agreement_cells: int = 0


@dataclass(frozen=True, slots=True)
class OutcomeSummary:
    """How much data an outcome has and what size of correlation it could detect."""

    outcome: str
    n_units: int
    months: int
    min_detectable_r: float
    warning: str | None
    left_out_containing: int = 0
    #: Reliability of the unit means correlated (``reports.stats.reliability``).
    reliability: float = float("nan")
    #: Smallest month-to-month effect (outcome units per point) found 8 times in 10.
    min_detectable_within_unit: float = float("nan")


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
    training: tuple[ModuleEffect, ...] = ()


#: Decimals of the unit-month figures every analysis uses and the data set exports: those
#: the dashboards show. Unrounded means give their respondent count away (a mean of scores
#: in twelfths over n people is a fraction with denominator 12n), and a count equal to the
#: unit's invited people says that every one of them answered (DESIGN.md rule 7).
SHOWN_PRECISION = {"engagement": 2, "pct_favourable": 0, "enps": 0}


def gate_cells(cells: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Cells with at least k respondents (with their scores), and how many were dropped.

    A cell marked ``withheld`` (the reporting gate hides it to protect a smaller group next
    to it) is dropped and counted the same way. A kept cell's eNPS is blanked when fewer
    than k answered it or the gate withholds it (``enps_withheld``). Scores are rounded to
    ``SHOWN_PRECISION``: the models see what a reader of the dashboards sees, no more.
    """
    scored = cell_scores(cells)
    keep = scored["n"] >= scored["k"]
    if "withheld" in scored.columns:
        keep &= scored["withheld"] == 0
    kept = scored[keep].copy()
    small_enps = kept["enps_n"] < kept["k"]
    if "enps_withheld" in kept.columns:
        small_enps |= kept["enps_withheld"] != 0
    kept.loc[small_enps, "enps"] = np.nan
    for column, places in SHOWN_PRECISION.items():
        kept[column] = kept[column].round(places)
    return kept.reset_index(drop=True), int((~keep).sum())


def aggregation_checks(
    gated: pd.DataFrame,
    item_cells: pd.DataFrame,
    units: frozenset[object],
    scale_points: int,
) -> Aggregation:
    """Alpha, ICC(1)/ICC(2) and rwg(j) over the shown cells of the lowest analysis units.

    ICC is computed wave by wave (a wave's respondents are distinct people; pooling waves
    would count the same person again each month and overstate ICC(2)) and the median over
    waves is reported. rwg(j) is per unit-month, summarised by its median.
    """
    notes: list[str] = []
    base = gated[gated["unit"].isin(units)]
    per_wave = []
    for _, cells in base.groupby("month"):
        means = cells["score_sum"] / cells["n"]
        per_wave.append(
            icc_from_group_stats(
                cells["n"], means, cells["score_sq_sum"] - cells["score_sum"] * means
            )
        )
    usable = [g for g in per_wave if math.isfinite(g.icc1)]
    icc1 = float(np.median([g.icc1 for g in usable])) if usable else float("nan")
    icc2 = float(np.median([g.icc2 for g in usable])) if usable else float("nan")
    icc_p = float(np.median([g.p_value for g in usable])) if usable else float("nan")
    size = float(np.median([g.mean_group_size for g in usable])) if usable else float("nan")
    agreement = _agreement_by_cell(base[["unit", "month"]], item_cells, scale_points)
    rwg = agreement["rwg_j"]
    rwg_median = float(rwg.median()) if len(rwg) else float("nan")
    star = agreement["r_star_skew"]
    low = int((star < LOW_AGREEMENT).sum())
    beyond = float(agreement["beyond_chance"].mean()) if len(agreement) else float("nan")
    if low:
        notes.append(
            f"{low} of {len(star)} unit-months have low agreement (r*wg(j) < "
            f"{LOW_AGREEMENT:.2f} against answers slightly skewed to the agreeable end): "
            "their members see the unit differently, or no more alike than staff who "
            "simply tend to agree, so the unit's mean may hide a split"
        )
    moments = alpha_moments(base)
    if moments is not None:
        alpha_value = alpha_from_variances(moments.item_variances, moments.total_variance)
        alpha_items, alpha_n = len(moments.items), moments.n
    else:
        alpha_value, alpha_items, alpha_n = float("nan"), 0, 0
        notes.append("alpha needs responses that answered every engagement item; there are none")
    if math.isfinite(alpha_value) and alpha_value < 0.7:
        notes.append(
            f"Cronbach's alpha is {alpha_value:.2f} (< 0.70): the items hang together poorly"
        )
    if math.isfinite(icc2) and icc2 < 0.7:
        notes.append(
            f"ICC(2) is {icc2:.2f} (< 0.70): a unit's mean in one wave is not very reliable, "
            "which weakens every correlation (see pearson_corrected)"
        )
    return Aggregation(
        alpha=alpha_value,
        alpha_items=alpha_items,
        alpha_respondents=alpha_n,
        icc1=icc1,
        icc2=icc2,
        icc_f_p_value=icc_p,
        rwg_j_median=rwg_median,
        low_agreement_cells=low,
        rwg_star_j_median=float(star.median()) if len(star) else float("nan"),
        agreement_beyond_chance=beyond,
        agreement_cells=len(star),
        n_units=int(base["unit"].nunique()),
        n_respondents=int(base["n"].sum()),
        mean_unit_size=size,
        waves=len(usable),
        warnings=tuple(notes),
    )


def _agreement_by_cell(
    keys: pd.DataFrame, item_cells: pd.DataFrame, scale_points: int
) -> pd.DataFrame:
    """Per shown unit-month, from its item sums (vectorised): rwg(j) (uniform null),
    r*wg(j) against the slightly skewed null, and whether its r*wg(j) against the uniform
    null is above the 95% critical value for its size (agreement beyond chance)."""
    columns = ["rwg_j", "r_star_skew", "beyond_chance"]
    items = item_cells.merge(keys, on=["unit", "month"], how="inner")
    items = items[items["n"] >= 2]
    if items.empty:
        return pd.DataFrame(columns=columns)
    variance = ((items["sq_total"] - items["total"] ** 2 / items["n"]) / (items["n"] - 1)).clip(
        lower=0
    )
    grouped = items.assign(variance=variance).groupby(["unit", "month"])
    mean_var = grouped["variance"].mean()
    j = grouped["variance"].count()
    size = grouped["n"].median().round().astype(int)
    uniform = uniform_null_variance(scale_points)
    ratio = mean_var / uniform
    agreement = j * (1.0 - ratio)
    rwg = (agreement / (agreement + ratio)).where(ratio < 1.0, 0.0)
    star_uniform = r_star_wg_j(mean_var.to_numpy(), uniform)
    critical = np.array(
        [
            r_star_critical(int(n), int(k), scale_points)
            for n, k in zip(size.to_numpy(), j.to_numpy(), strict=True)
        ]
    )
    return pd.DataFrame(
        {
            "rwg_j": rwg,
            "r_star_skew": r_star_wg_j(
                mean_var.to_numpy(), slight_skew_null_variance(scale_points)
            ),
            "beyond_chance": star_uniform > critical,
        },
        index=mean_var.index,
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
    rows, containers = lowest_level(rows, data.ancestors)
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
    corrected, reliability = corrected_correlation(
        r,
        gated[["unit", "engagement"]],
        both["outcome"],
        reps=data.bootstrap_reps,
        seed=data.seed,
    )
    links.append(
        _from_correlation(
            corrected,
            name,
            "pearson_corrected",
            "correlation across units corrected for the unreliability of unit means",
            f"r / √reliability of the unit means over their months = {reliability.value:.3f} "
            f"(one month's ICC {reliability.icc_months:.3f}, {reliability.months:.1f} months "
            f"per unit; one wave's ICC(2) is {icc2:.3f}); bootstrap CI over units "
            f"({data.bootstrap_reps} draws, seed {data.seed}); test as for pearson",
        )
    )
    panel = gated[["unit", "month", "engagement"]].merge(
        rows[["unit", "month", "value"]].rename(columns={"value": "outcome"}),
        on=["unit", "month"],
        how="right",
    )
    within, between = lagged_links(panel, reps=min(data.bootstrap_reps, 999), seed=data.seed)
    links.append(
        _from_estimate(
            within,
            name,
            "within_unit",
            1,
            f"change in next month's {name} per 1 point of engagement (1–5) above the unit's "
            f"own usual level, beyond this month's {name}",
        )
    )
    links.append(
        _from_estimate(
            between,
            name,
            "between_units",
            1,
            f"difference in next month's {name} between units per 1 point of average "
            "engagement (1–5): an association across units",
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
                binomial_retention(glm_rows, engagement_sd=sd, seed=data.seed),
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
        warning=too_few_units_warning(n_units, name, reliability.value),
        left_out_containing=containers,
        reliability=reliability.value,
        min_detectable_within_unit=minimum_detectable_effect(within),
    )
    return links, summary, outcome_by_unit.rename(name)


def lowest_level(
    rows: pd.DataFrame, ancestors: Mapping[object, frozenset[object]]
) -> tuple[pd.DataFrame, int]:
    """Drop units that contain another unit with the same outcome; return how many.

    A region's engagement is its locations' respondents again: analysing both would count
    them twice and make every interval too narrow.
    """
    units = set(rows["unit"])
    containing = {a for u in units for a in ancestors.get(u, frozenset()) if a != u and a in units}
    if not containing:
        return rows, 0
    return rows[~rows["unit"].isin(containing)].reset_index(drop=True), len(containing)


def outcome_series(data: LinkageInput, gated: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Each outcome's rows (unit, month, value, n), by name, before ``lowest_level``.

    The client metrics by metric name, and staff turnover per unit and month from the
    roster (value = leavers / headcount at the start of the month, n = that headcount) over
    the months of the shown cells ``gated``.
    """
    outcomes = data.outcomes.copy()
    if len(outcomes):
        outcomes["month"] = pd.PeriodIndex(outcomes["month"], freq="M")
    series: dict[str, pd.DataFrame] = {
        str(m): g[["unit", "month", "value", "n"]].reset_index(drop=True)
        for m, g in outcomes.groupby("metric", sort=True)
    }
    people = data.people
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
    return series


#: The analysis data set's columns before the outcomes (``unit`` is an id here).
#: No respondent count: a count equal to the invited says that everyone answered.
DATASET_SCORE_COLUMNS = ("engagement", "pct_favourable", "enps")


@dataclass(frozen=True, slots=True, eq=False)
class AnalysisDataset:
    """The unit-level analysis data set: one row per analysis unit and month the models used.

    frame: unit, month (Period[M]), ``DATASET_SCORE_COLUMNS``, then per outcome its value
    column and, when any of its rows has an n, an n column; empty where a row has none.
    columns: outcome → (value column, n column or None) — the outcome's own name (and
    ``<name>_n``) unless that clashes with another column.
    """

    frame: pd.DataFrame
    columns: dict[str, tuple[str, str | None]]


def _dataset_columns(
    names: list[str], with_n: Mapping[str, bool]
) -> dict[str, tuple[str, str | None]]:
    """Column names per outcome: ``name`` and ``name_n``, prefixed ``outcome_`` on a clash."""
    taken = {"unit", "unit_code", "unit_name", "month", *DATASET_SCORE_COLUMNS}
    out: dict[str, tuple[str, str | None]] = {}
    for name in names:
        base = name
        while base in taken or (with_n[name] and f"{base}_n" in taken):
            base = f"outcome_{base}"
        n = f"{base}_n" if with_n[name] else None
        taken |= {base, *([n] if n else [])}
        out[name] = (base, n)
    return out


def analysis_dataset(data: LinkageInput) -> AnalysisDataset:
    """Exactly the unit-month numbers the report's models are fitted on.

    Engagement, % favourable and eNPS come only from the cells ``gate_cells`` keeps (at
    least k respondents, not withheld by the reporting gate; eNPS only where the gate shows
    it too); each outcome's values are its rows at the lowest level (``lowest_level``), as
    the correlations, quartile gap, lagged links and GLM see them. Only units with at least
    one kept cell appear (no model uses the others); their months with an outcome but no
    kept cell have empty score columns. Person-level data (the Cox model's rows) is never
    part of it.
    """
    gated, _ = gate_cells(data.cells)
    frame = gated[["unit", "month", *DATASET_SCORE_COLUMNS]]
    units = set(gated["unit"])
    parts: dict[str, pd.DataFrame] = {}
    for name, rows in sorted(outcome_series(data, gated).items()):
        lowest, _ = lowest_level(rows, data.ancestors)
        used = lowest[lowest["unit"].isin(units) & lowest["value"].notna()]
        if len(used):
            parts[name] = used[["unit", "month", "value", "n"]]
    columns = _dataset_columns(
        list(parts), {k: bool(v["n"].notna().any()) for k, v in parts.items()}
    )
    for name, rows in parts.items():
        value, n = columns[name]
        part = rows.rename(columns={"value": value, "n": n or "n"})
        frame = frame.merge(
            part[["unit", "month", value, *([n] if n else [])]], on=["unit", "month"], how="outer"
        )
    frame = frame.sort_values(["unit", "month"], kind="stable").reset_index(drop=True)
    return AnalysisDataset(frame, columns)


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
        gated, data.item_cells, data.aggregation_units, data.scale_points
    )
    sd = float(gated["engagement"].std()) if len(gated) > 1 else float("nan")
    unit_engagement = gated.groupby("unit")["engagement"].mean()
    people = data.people
    series = outcome_series(data, gated)
    links: list[Link] = []
    summaries: list[OutcomeSummary] = []
    per_unit: list[pd.Series] = [
        unit_engagement.rename("engagement"),
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
            if summary.left_out_containing:
                notes.append(
                    f"{name}: {summary.left_out_containing} units that contain other units "
                    f"with {name} were left out (their respondents would count twice); "
                    "the analysis uses the lowest level"
                )
            per_unit.append(by_unit)
            if summary.warning:
                notes.append(summary.warning)
        if len(people):
            intervals = counting_process(people, gated[["unit", "month", "engagement"]], data.as_of)
            links.append(
                _from_estimate(
                    staff_retention_cox(intervals, engagement_sd=sd, seed=data.seed),
                    STAFF_RETENTION,
                    "cox",
                    1,
                    "hazard ratio of a member of staff leaving, per SD of the unit's engagement",
                )
            )
    effects = _training_effects(data, gated, series)
    links, effects = _adjust(links, effects)
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
        training=effects,
    )


def _training_effects(
    data: LinkageInput, gated: pd.DataFrame, series: dict[str, pd.DataFrame]
) -> tuple[ModuleEffect, ...]:
    """Each trained module's difference-in-differences on engagement and every outcome.

    Engagement comes from the gated cells only; outcomes at their lowest level, as in the
    links.
    """
    if data.training is None or data.training.empty or gated.empty:
        return ()
    frames = []
    for name in sorted(series):
        rows, _ = lowest_level(series[name], data.ancestors)
        frames.append(rows[["unit", "month", "value"]].assign(metric=name))
    outcomes = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return module_effects(
        engagement_by_unit_month(gated),
        outcomes,
        data.training,
        reps=min(data.bootstrap_reps, 999),
        seed=data.seed,
    )


def _adjust(
    links: list[Link], effects: tuple[ModuleEffect, ...] = ()
) -> tuple[list[Link], tuple[ModuleEffect, ...]]:
    """Benjamini–Hochberg over the report's tests, training effects included: every link
    except the descriptive ones (``DESCRIPTIVE``, whose p_adjusted stays NaN);
    pearson_corrected shares pearson's test."""
    tested = [
        i
        for i, link in enumerate(links)
        if link.method != "pearson_corrected" and link.method not in DESCRIPTIVE
    ]
    adjusted = benjamini_hochberg(
        [links[i].p_value for i in tested] + [e.result.effect.p_value for e in effects]
    )
    by_index = dict(zip(tested, adjusted[: len(tested)].tolist(), strict=True))
    adjusted_effects = tuple(
        replace(e, p_adjusted=float(p))
        for e, p in zip(effects, adjusted[len(tested) :].tolist(), strict=True)
    )
    pearson_adjusted = {
        links[i].outcome: by_index[i] for i in tested if links[i].method == "pearson"
    }
    out = []
    for i, link in enumerate(links):
        if link.method == "pearson_corrected":
            value = pearson_adjusted.get(link.outcome, float("nan"))
        else:
            value = by_index.get(i, float("nan"))
        out.append(replace(link, p_adjusted=value))
    return out, adjusted_effects
