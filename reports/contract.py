"""The linkage report as the JSON object DESIGN.md promises other tools.

``links`` (outcome, method, estimate, ci_low, ci_high, p_value, p_adjusted, n_units,
lag_months — plus n_obs, meaning, detail and warnings) and ``aggregation`` (alpha, icc1,
icc2, rwg_j_median — plus context). Numbers that could not be computed are ``null``, never
NaN, and the reason is in the nearest ``warnings``.
"""

from __future__ import annotations

import math
import platform
from importlib import metadata
from typing import Any

from reports.stats.linkage import LinkageReport

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


def linkage_json(report: LinkageReport, context: dict[str, Any]) -> dict[str, Any]:
    """The report object; ``context`` (organisation, generated_at, parameters) is merged in."""
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
            "alpha_respondents": agg.alpha_respondents,
            "icc_f_p_value": _number(agg.icc_f_p_value),
            "low_agreement_unit_months": agg.low_agreement_cells,
            "n_units": agg.n_units,
            "n_respondents": agg.n_respondents,
            "mean_unit_size": _number(agg.mean_unit_size),
            "waves": agg.waves,
            "warnings": list(agg.warnings),
        },
        "outcomes": [
            {
                "outcome": o.outcome,
                "n_units": o.n_units,
                "months": o.months,
                "min_detectable_r": _number(o.min_detectable_r),
                "warning": o.warning,
            }
            for o in report.outcomes
        ],
        "n_units": report.n_units,
        "n_unit_months": report.n_cells,
        "unit_months_below_threshold": report.cells_below_threshold,
        "engagement_sd": _number(report.engagement_sd),
        "warnings": list(report.warnings),
        "versions": versions(),
    }
