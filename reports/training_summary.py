"""The training section of the HR report: one row per module and outcome, in words."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from reports.stats.estimate import Estimate
from reports.stats.linkage import LinkageReport
from reports.stats.training_effect import PRE_TREND_ALPHA, TrainingEffect, effect_statement
from reports.summary import ALPHA, OUTCOMES, outcome_title

#: What the analysis can and cannot show, said once above the table.
METHOD_NOTE = (
    "For each module, the months after at least half of a location's staff (or whichever "
    "units the outcome is measured on) completed it are compared with what that location "
    "would have had without it, predicted from its own months before training and from the "
    "same months in units not trained yet or never trained: did trained units do better "
    "than predicted? The three months just before training are left out of the prediction "
    "(a dip that prompted the training would otherwise pass for its effect) and shown as a "
    "check: there the difference should be near zero. Units where fewer than half "
    "completed, and units trained in another module, are left out of that comparison. This "
    "can show that trained units moved differently; it cannot prove the training caused "
    "it, because units were not chosen at random. The method is in the Methods section."
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


def signed(value: float, decimals: int) -> str:
    """'+0.12', '−0.05' with a true minus sign, thousands separated."""
    text = f"{abs(value):,.{decimals}f}"
    if float(text.replace(",", "")) == 0:
        return text
    return ("+" if value > 0 else "−") + text


def _scaled(effect: TrainingEffect, scale: float) -> TrainingEffect:
    def s(e: Estimate) -> Estimate:
        return replace(
            e, estimate=e.estimate * scale, ci_low=e.ci_low * scale, ci_high=e.ci_high * scale
        )

    return replace(
        effect,
        effect=s(effect.effect),
        pre_trend=s(effect.pre_trend),
        event_study=tuple(replace(e, estimate=s(e.estimate)) for e in effect.event_study),
    )


@dataclass(frozen=True, slots=True)
class ModuleBlock:
    """One module: which units counted, its one-line verdict, and a row per outcome."""

    module: str
    title: str
    verdict: str
    trained: tuple[str, ...]  # "Richmond Hill (from 2026-03)"
    partial: tuple[str, ...]
    other_module_units: int
    rows: tuple[TrainingRow, ...]


def training_blocks(
    report: LinkageReport, titles: Mapping[str, str], names: Mapping[Any, str]
) -> list[ModuleBlock]:
    """The training section, module by module, engagement first."""
    rows = training_rows(report, titles)
    blocks = []
    for module in dict.fromkeys(r.module for r in rows):
        mine = tuple(r for r in rows if r.module == module)
        item = next(i for i in report.training if i.module == module)
        main = next((r for r in mine if r.outcome == "engagement"), mine[0])
        blocks.append(
            ModuleBlock(
                module=module,
                title=main.title,
                verdict=_verdict(main, [r for r in mine if r is not main]),
                trained=tuple(f"{names.get(u, u)} (from {m})" for u, m in item.trained_units),
                partial=tuple(str(names.get(u, u)) for u in item.partial_units),
                other_module_units=item.other_module_units,
                rows=mine,
            )
        )
    return blocks


def _verdict(main: TrainingRow, others: list[TrainingRow]) -> str:
    if not main.ok:
        return f"{main.outcome_title}: could not be measured."
    direction = "rose" if main.estimate > 0 else "fell"
    size = f"{abs(main.estimate):.{main.decimals}f}{(' ' + main.unit) if main.unit else ''}"
    text = (
        f"{main.outcome_title[:1].upper()}{main.outcome_title[1:]} {direction} by {size} more "
        "than predicted without the training"
        if main.estimate > 0
        else f"{main.outcome_title[:1].upper()}{main.outcome_title[1:]} {direction} by {size} "
        "relative to the prediction without the training"
    )
    text += ": a clear difference." if main.clear else ", but that is not a clear difference."
    if main.pre_trend_doubtful:
        text += " Trained units were already moving differently before training: read with care."
    clear_others = [r.outcome_title for r in others if r.clear]
    text += (
        f" Clear on {', '.join(clear_others)} too."
        if clear_others
        else " No clear difference in the other outcomes."
    )
    return text


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
                clear=est.ok and (est.ci_low > 0 or est.ci_high < 0) and item.p_adjusted < ALPHA,
                statement=effect_statement(
                    effect, label, title, unit.strip() or "units", item.p_adjusted
                ),
            )
        )
    return rows
