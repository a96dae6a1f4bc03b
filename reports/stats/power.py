"""How large a link the data could detect: the minimum detectable correlation."""

from __future__ import annotations

import math

from scipy import stats

#: The typical true-score link of engagement with customer outcomes in large studies
#: (Harter, Schmidt & Hayes 2002: .33 with customer satisfaction/loyalty).
TYPICAL_LINK = 0.30


def minimum_detectable_correlation(n_units: int, alpha: float = 0.05, power: float = 0.80) -> float:
    """Smallest |r| a two-sided test over ``n_units`` units finds with the given power.

    Fisher-z approximation: tanh((z₁₋α/₂ + z_power) / √(n − 3)). NaN below 4 units.
    """
    if n_units < 4:
        return float("nan")
    z = float(stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power))
    return math.tanh(z / math.sqrt(n_units - 3))


def units_needed(r: float, alpha: float = 0.05, power: float = 0.80) -> int:
    """Units needed to detect a correlation of ``r`` (same approximation)."""
    z = float(stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power))
    return math.ceil((z / math.atanh(abs(r))) ** 2 + 3)


def too_few_units_warning(n_units: int, outcome: str) -> str | None:
    """Plain words when ``n_units`` cannot reliably show a link of the typical size."""
    if n_units < 4:
        return (
            f"{outcome}: only {n_units} units have data, too few to tell anything about a link "
            "with engagement."
        )
    mde = minimum_detectable_correlation(n_units)
    if mde <= TYPICAL_LINK + 0.05:
        return None
    return (
        f"{outcome}: with {n_units} units, only a correlation of about {mde:.2f} or stronger "
        f"would be found 8 times in 10. Links of the size large studies report (about "
        f"{TYPICAL_LINK:.1f}) need about {units_needed(TYPICAL_LINK)} units, so 'no clear link' "
        "here does not mean there is none."
    )
