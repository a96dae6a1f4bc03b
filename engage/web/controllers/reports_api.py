"""The linkage report over the API, for HR: the same object as ``engage report linkage``."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import msgspec
from litestar import Controller, get
from litestar.exceptions import ServiceUnavailableException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import QueryParameter

from engage import clock
from engage.auth.guards import requires_role
from engage.reporting.linkage import DEFAULT_REPS, dataset_json
from engage.reporting.report_store import NotReady, ready_linkage
from engage.web.errors import RuleConflict
from engage.web.lanes import report_lane
from reports.stats.estimate import DEFAULT_SEED


class LinkOut(msgspec.Struct):
    """One method's answer for one outcome; null numbers could not be computed (see warnings)."""

    outcome: str
    method: str
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    p_adjusted: float | None
    n_units: int
    lag_months: int
    n_obs: int
    meaning: str
    detail: str
    warnings: list[str]


class AggregationOut(msgspec.Struct):
    """Whether unit means are sound: alpha, ICC(1), ICC(2), median rwg(j) and context."""

    alpha: float | None
    icc1: float | None
    icc2: float | None
    rwg_j_median: float | None
    alpha_items: int
    icc_f_p_value: float | None
    #: Unit-months whose r*wg(j) against a slightly skewed null is below 0.70.
    low_agreement_unit_months: int
    #: Median r*wg(j) against the slightly skewed null (Lindell, Brandt & Whitney 1999).
    rwg_star_j_median: float | None
    #: Share of unit-months agreeing beyond chance (r*wg(j) above its 95% critical value).
    agreement_beyond_chance: float | None
    n_units: int
    waves: int
    warnings: list[str]


class OutcomeOut(msgspec.Struct):
    """How much data an outcome has and the smallest correlation it could detect."""

    outcome: str
    n_units: int
    months: int
    min_detectable_r: float | None
    #: Smallest month-to-month effect (outcome units per engagement point) found 8 times in 10.
    min_detectable_within_unit: float | None
    #: Reliability of the unit means correlated (their months pooled).
    reliability: float | None
    warning: str | None


class ParametersOut(msgspec.Struct):
    """Settings the numbers depend on."""

    min_group_size: int
    seed: int
    bootstrap_reps: int
    confidence: float
    multiple_testing: str


class EventTimeOut(msgspec.Struct):
    """The mean difference from the untrained prediction so many months after training
    (negative: before, the pre-trend check)."""

    months_since_training: int
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    n_treated_units: int
    n_obs: int


class TrainingEffectOut(msgspec.Struct):
    """The measured effect of one training module on one outcome (imputation estimator).

    ``estimate`` is the mean difference of trained unit-months from what they would have
    been untrained (predicted from untrained unit-months), in the outcome's units; the
    pre-trend check is the same difference in the three months before training.
    """

    module: str
    title: str
    outcome: str
    method: str
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    p_adjusted: float | None
    n_units: int
    n_obs: int
    n_treated_units: int
    n_comparison_units: int
    n_partly_trained_units: int
    n_other_module_units: int
    n_months: int
    pre_trend_estimate: float | None
    pre_trend_p_value: float | None
    #: Smallest true effect found 8 times in 10 with this precision (outcome units).
    min_detectable_effect: float | None
    event_study: list[EventTimeOut]
    detail: str
    warnings: list[str]


class LinkageOut(msgspec.Struct):
    """The linkage report (DESIGN.md: links and aggregation, plus context)."""

    report: str
    organisation: str
    generated_at: str
    as_of: str
    parameters: ParametersOut
    links: list[LinkOut]
    aggregation: AggregationOut
    outcomes: list[OutcomeOut]
    n_units: int
    n_unit_months: int
    unit_months_below_threshold: int
    engagement_sd: float | None
    training_effects: list[TrainingEffectOut]
    warnings: list[str]
    versions: dict[str, str]


class OutcomeValueOut(msgspec.Struct):
    """One outcome of one unit-month as the models used it, with its n (null: none)."""

    value: float | None
    n: float | None


class DataRowOut(msgspec.Struct):
    """One analysis unit and month; score fields are null where the gate shows none."""

    unit_code: str
    unit_name: str
    month: str
    engagement: float | None
    pct_favourable: float | None
    enps: float | None
    outcomes: dict[str, OutcomeValueOut]


class AnalysisDataOut(msgspec.Struct):
    """The linkage report's unit-level analysis data set, with how to read it."""

    report: str
    organisation: str
    generated_at: str
    min_group_size: int
    notes: list[str]
    outcomes: list[str]
    rows: list[DataRowOut]
    versions: dict[str, str]


class ReportsApiController(Controller):
    """Organisation-wide reports (HR and admin)."""

    path = "/api/reports"
    guards = [requires_role("hr")]
    middleware = [report_lane]
    tags = ["reports"]

    @get(
        "/linkage",
        summary="The linkage report: engagement against client and staff outcomes",
        description=(
            "Every link of unit engagement with each outcome (Pearson, Spearman, "
            "ICC(2)-corrected r, month-to-month within units, between units, binomial GLM, Cox, "
            "quartile gap), each with "
            "its 95% CI, p-value and Benjamini–Hochberg adjusted p-value, over units with at "
            "least the minimum group size of respondents. The report is computed in the "
            "background whenever its data change (as of today, with the default seed and "
            "draws) and served from storage: 503 with Retry-After while the first one is "
            "computed or when it failed (the reason in detail). Other seeds or draws are "
            "refused (400), another date is 409 (the stored report is as of today): "
            "`engage report linkage` computes those."
        ),
        responses={
            503: ResponseSpec(
                None, description="No report stored yet: being computed, or failed (why)."
            )
        },
        raises=[RuleConflict],
    )
    async def linkage(
        self,
        as_of: Annotated[
            date | None,
            QueryParameter(description="Only today (the stored report's date) is accepted."),
        ] = None,
        seed: Annotated[
            int | None,
            QueryParameter(
                ge=DEFAULT_SEED,
                le=DEFAULT_SEED,
                description=f"Only {DEFAULT_SEED} (`engage report linkage --seed` for others).",
            ),
        ] = None,
        reps: Annotated[
            int | None,
            QueryParameter(
                ge=DEFAULT_REPS,
                le=DEFAULT_REPS,
                description=f"Only {DEFAULT_REPS} (`engage report linkage --reps` for others).",
            ),
        ] = None,
    ) -> LinkageOut:
        """The stored report (reproducible: same data, seed and draws, same numbers)."""
        _only_stored(as_of)
        try:
            run, _, _ = await ready_linkage()
        except NotReady as exc:
            raise ServiceUnavailableException(str(exc), headers={"Retry-After": "30"}) from exc
        return msgspec.convert(run.body, LinkageOut)

    @get(
        "/linkage/data",
        summary="The linkage report's analysis data set: unit × month, above the threshold",
        description=(
            "Exactly the unit-month numbers the stored linkage report's models were fitted "
            "on, so every estimate can be re-fitted: per analysis unit and month, "
            "mean engagement, % favourable and eNPS as the dashboards show them (only for "
            "unit-months with at least the wave's minimum group size that the reporting gate "
            "shows; null otherwise; no respondent counts), and each outcome's value and n at "
            "the lowest level. Never person-level rows (the Cox model's data is left out). "
            "The same rows as /reports/linkage/data.csv; 503 while no report is stored."
        ),
        responses={503: ResponseSpec(None, description="No report stored yet.")},
    )
    async def linkage_data(self) -> AnalysisDataOut:
        """The stored report's analysis data set."""
        try:
            _, data, _ = await ready_linkage()
        except NotReady as exc:
            raise ServiceUnavailableException(str(exc), headers={"Retry-After": "30"}) from exc
        return msgspec.convert(dataset_json(data), AnalysisDataOut)


def _only_stored(as_of: date | None) -> None:
    """Refuse a date other than the stored report's (seed and draws are schema-checked)."""
    if as_of is not None and as_of != clock.today():
        raise RuleConflict(
            "the linkage report is computed in the background as of today "
            f"({clock.today()}); not available as of {as_of.isoformat()}. "
            "Use `engage report linkage --as-of` for another date."
        )
