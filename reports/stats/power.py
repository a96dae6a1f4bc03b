"""How large a link the data could detect: the minimum detectable correlation."""

from __future__ import annotations

import math

from scipy import stats

from reports.stats.estimate import Estimate

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


def minimum_detectable_effect(estimate: Estimate, power: float = 0.80) -> float:
    """Smallest true effect a two-sided 5% test with this estimate's precision finds with
    the given power: (z₀.₉₇₅ + z_power) · SE, the SE read off the 95% interval."""
    if not (math.isfinite(estimate.ci_low) and math.isfinite(estimate.ci_high)):
        return float("nan")
    se = (estimate.ci_high - estimate.ci_low) / (2 * float(stats.norm.ppf(0.975)))
    return float(stats.norm.ppf(0.975) + stats.norm.ppf(power)) * se


def too_few_units_warning(n_units: int, outcome: str, reliability: float = 1.0) -> str | None:
    """Plain words when ``n_units`` cannot reliably show a link of the typical size.

    The typical size is a true-score figure; observed correlations of unit means are
    smaller by √reliability, so that is the size the units are measured against.
    """
    if n_units < 4:
        return (
            f"{outcome}: only {n_units} units have data, too few to tell anything about a link "
            "with engagement."
        )
    mde = minimum_detectable_correlation(n_units)
    shrink = math.sqrt(reliability) if math.isfinite(reliability) and 0 < reliability < 1 else 1.0
    typical = TYPICAL_LINK * shrink
    if mde <= typical + 0.05:
        return None
    seen = (
        f"; with unit means as reliable as these ({reliability:.2f}) it would show here as "
        f"about {typical:.2f}"
        if shrink < 1
        else ""
    )
    return (
        f"{outcome}: with {n_units} units, only a correlation of about {mde:.2f} or stronger "
        f"would be found 8 times in 10. Large studies report links of about "
        f"{TYPICAL_LINK:.1f} between true scores{seen}, which needs about "
        f"{units_needed(typical)} units, so 'no clear link' here does not mean there is none."
    )
