"""The linkage report as the JSON object DESIGN.md promises other tools.

``links`` (outcome, method, estimate, ci_low, ci_high, p_value, p_adjusted, n_units,
lag_months — plus n_obs, meaning, detail and warnings) and ``aggregation`` (alpha, icc1,
icc2, rwg_j_median — plus context). Numbers that could not be computed are ``null``, never
NaN, and the reason is in the nearest ``warnings``.
"""

from __future__ import annotations

import math
import platform
from collections.abc import Mapping
from importlib import metadata
from typing import Any

import pandas as pd

from reports.stats.linkage import DATASET_SCORE_COLUMNS, LinkageReport
from reports.stats.power import minimum_detectable_effect

LIBRARIES = ("engage", "numpy", "pandas", "scipy", "statsmodels")


def _number(value: float | int | None) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, int):
        return value
    return float(value) if math.isfinite(value) else None


def versions() -> dict[str, str]:
    """Python and the libraries whose code produced the numbers."""
    found = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "unknown"
    return found


def training_json(
    report: LinkageReport, titles: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """The measured effects of training (method ``did_imputation``), one per module and
    outcome, each with its event study."""
    titles = titles or {}
    out = []
    for item in report.training:
        effect, lead = item.result.effect, item.result.pre_trend
        out.append(
            {
                "module": item.module,
                "title": titles.get(item.module, item.module),
                "outcome": item.outcome,
                "method": "did_imputation",
                "estimate": _number(effect.estimate),
                "ci_low": _number(effect.ci_low),
                "ci_high": _number(effect.ci_high),
                "p_value": _number(effect.p_value),
                "p_adjusted": _number(item.p_adjusted),
                "n_units": effect.n_units,
                "n_obs": effect.n_obs,
                "n_treated_units": item.result.n_treated_units,
                "n_comparison_units": item.result.n_comparison_units,
                "n_partly_trained_units": item.n_partly_trained,
                "n_other_module_units": item.other_module_units,
                "n_months": item.result.n_months,
                "pre_trend_estimate": _number(lead.estimate),
                "pre_trend_p_value": _number(lead.p_value),
                "min_detectable_effect": _number(minimum_detectable_effect(effect)),
                "event_study": [
                    {
                        "months_since_training": e.months,
                        "estimate": _number(e.estimate.estimate),
                        "ci_low": _number(e.estimate.ci_low),
                        "ci_high": _number(e.estimate.ci_high),
                        "p_value": _number(e.estimate.p_value),
                        "n_treated_units": e.estimate.n_units,
                        "n_obs": e.estimate.n_obs,
                    }
                    for e in item.result.event_study
                ],
                "detail": effect.detail,
                "warnings": list(item.result.warnings),
            }
        )
    return out


def linkage_json(
    report: LinkageReport, context: dict[str, Any], titles: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The report object; ``context`` (organisation, generated_at, parameters) is merged in.

    ``titles`` names the training modules in ``training_effects``.
    """
    agg = report.aggregation
    return {
        **context,
        "links": [
            {
                "outcome": link.outcome,
                "method": link.method,
                "estimate": _number(link.estimate),
                "ci_low": _number(link.ci_low),
                "ci_high": _number(link.ci_high),
                "p_value": _number(link.p_value),
                "p_adjusted": _number(link.p_adjusted),
                "n_units": link.n_units,
                "lag_months": link.lag_months,
                "n_obs": link.n_obs,
                "meaning": link.meaning,
                "detail": link.detail,
                "warnings": list(link.warnings),
            }
            for link in report.links
        ],
        "aggregation": {
            "alpha": _number(agg.alpha),
            "icc1": _number(agg.icc1),
            "icc2": _number(agg.icc2),
            "rwg_j_median": _number(agg.rwg_j_median),
            "alpha_items": agg.alpha_items,
            "icc_f_p_value": _number(agg.icc_f_p_value),
            "low_agreement_unit_months": agg.low_agreement_cells,
            "rwg_star_j_median": _number(agg.rwg_star_j_median),
            "agreement_beyond_chance": _number(agg.agreement_beyond_chance),
            "n_units": agg.n_units,
            "waves": agg.waves,
            "warnings": list(agg.warnings),
        },
        "outcomes": [
            {
                "outcome": o.outcome,
                "n_units": o.n_units,
                "months": o.months,
                "min_detectable_r": _number(o.min_detectable_r),
                "min_detectable_within_unit": _number(o.min_detectable_within_unit),
                "reliability": _number(o.reliability),
                "warning": o.warning,
            }
            for o in report.outcomes
        ],
        "n_units": report.n_units,
        "n_unit_months": report.n_cells,
        "unit_months_below_threshold": report.cells_below_threshold,
        "engagement_sd": _number(report.engagement_sd),
        "training_effects": training_json(report, titles),
        "warnings": list(report.warnings),
        "versions": versions(),
    }


def _count(value: Any) -> int | float | None:
    number = _number(None if pd.isna(value) else float(value))
    if isinstance(number, float) and number.is_integer():
        return int(number)
    return number


def analysis_data_json(
    frame: pd.DataFrame,
    columns: Mapping[str, tuple[str, str | None]],
    context: dict[str, Any],
) -> dict[str, Any]:
    """The analysis data set: one object per unit and month, outcomes keyed by name.

    ``frame`` has unit_code, unit_name, month (YYYY-MM), the score columns and each
    outcome's columns as named in ``columns``; an outcome a row has no value for is left
    out of its ``outcomes``. Missing numbers are ``null``.
    """
    rows = []
    for record in frame.to_dict("records"):
        outcomes: dict[str, dict[str, float | int | None]] = {}
        for name, (value_column, n_column) in columns.items():
            value = record.get(value_column)
            if value is None or pd.isna(value):
                continue
            n = record.get(n_column) if n_column else None
            outcomes[name] = {"value": _number(float(value)), "n": _count(n)}
        rows.append(
            {
                "unit_code": str(record["unit_code"]),
                "unit_name": str(record["unit_name"]),
                "month": str(record["month"]),
                **{
                    c: _number(None if pd.isna(record[c]) else float(record[c]))
                    for c in DATASET_SCORE_COLUMNS
                },
                "outcomes": outcomes,
            }
        )
    return {**context, "outcomes": list(columns), "rows": rows, "versions": versions()}
