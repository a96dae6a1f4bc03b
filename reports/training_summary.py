"""The training section of the HR report: one row per module and outcome, in words."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from reports.stats.estimate import Estimate
from reports.stats.linkage import LinkageReport
from reports.stats.training_effect import PRE_TREND_ALPHA, TrainingEffect, effect_statement
from reports.summary import OUTCOMES, outcome_title

#: What the analysis can and cannot show, said once above the table.
METHOD_NOTE = (
    "For each module, units where at least half the staff completed it are compared with "
    "units of the same kind where nobody did, before and after (difference-in-differences "
    "with unit and month effects; 95% intervals clustered by unit, from a wild bootstrap "
    "below 30 units). Units where some but fewer than half completed are left out. This "
    "shows whether trained units changed more than the others did over the same months; it "
    "cannot prove that the training caused it, because units were not chosen at random."
)


@dataclass(frozen=True, slots=True)
class TrainingRow:
    """One module × outcome as the report prints it."""

    module: str
    title: str
    outcome: str
    outcome_title: str
    estimate: float
    ci_low: float
    ci_high: float
    unit: str
    decimals: int
    p_adjusted: float
    n_treated: int
    n_comparison: int
    pre_trend_doubtful: bool
    ok: bool
    clear: bool
    statement: str


def _scaled(effect: TrainingEffect, scale: float) -> TrainingEffect:
    def s(e: Estimate) -> Estimate:
        return replace(
            e, estimate=e.estimate * scale, ci_low=e.ci_low * scale, ci_high=e.ci_high * scale
        )

    return replace(effect, effect=s(effect.effect), pre_trend=s(effect.pre_trend))


def training_rows(report: LinkageReport, titles: Mapping[str, str]) -> list[TrainingRow]:
    """Every measured effect, engagement first within each module."""
    rows = []
    for item in sorted(
        report.training, key=lambda i: (i.module, i.outcome != "engagement", i.outcome)
    ):
        if item.outcome == "engagement":
            label, scale, unit, decimals = "engagement (1–5)", 1.0, " points", 2
        else:
            _, scale, unit, decimals = OUTCOMES.get(item.outcome, ("", 1.0, "", 2))
            label = outcome_title(item.outcome)
        effect = _scaled(item.result, scale)
        est = effect.effect
        title = titles.get(item.module, item.module)
        lead = effect.pre_trend
        rows.append(
            TrainingRow(
                module=item.module,
                title=title,
                outcome=item.outcome,
                outcome_title=label,
                estimate=est.estimate,
                ci_low=est.ci_low,
                ci_high=est.ci_high,
                unit=unit.strip(),
                decimals=decimals,
                p_adjusted=item.p_adjusted,
                n_treated=effect.n_treated_units,
                n_comparison=effect.n_comparison_units,
                pre_trend_doubtful=lead.ok and lead.p_value < PRE_TREND_ALPHA,
                ok=est.ok,
                clear=est.ok and (est.ci_low > 0 or est.ci_high < 0),
                statement=effect_statement(effect, label, title, unit.strip() or "units"),
            )
        )
    return rows
