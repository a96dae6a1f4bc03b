"""How far a unit's % favourable lies from its organisation's, with a 95% interval."""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats


@dataclass(frozen=True, slots=True)
class Gap:
    """Unit minus organisation, in percentage points, with its 95% interval."""

    unit_pct: float
    org_pct: float
    gap: float
    ci_low: float
    ci_high: float

    @property
    def clearly_below(self) -> bool:
        """The whole interval lies below zero."""
        return self.ci_high < 0


def wilson(count: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion (Wilson 1927)."""
    if n <= 0:
        raise ValueError("a proportion needs n ≥ 1")
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    p = count / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def newcombe_difference(
    count1: int, n1: int, count2: int, n2: int, confidence: float = 0.95
) -> tuple[float, float, float]:
    """p1 − p2 with Newcombe's hybrid score interval (1998, method 10): (diff, low, high).

    Keeps its coverage near 0 or 1 and with small groups, where the Wald interval does not.
    """
    p1, p2 = count1 / n1, count2 / n2
    l1, u1 = wilson(count1, n1, confidence)
    l2, u2 = wilson(count2, n2, confidence)
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return d, low, high


def gap_to_organisation(unit_fav: int, unit_n: int, org_fav: int, org_n: int) -> Gap:
    """The unit's % favourable minus its organisation's (which includes the unit).

    With the rest of the organisation r = org − unit, unit − org = (n_r / N)(p_u − p_r);
    the interval is Newcombe's for p_u − p_r, scaled the same way, so the unit is not
    compared with itself.
    """
    rest_n = org_n - unit_n
    rest_fav = org_fav - unit_fav
    if unit_n <= 0 or rest_n <= 0 or rest_fav < 0 or rest_fav > rest_n:
        raise ValueError("the organisation must hold the unit and more")
    d, low, high = newcombe_difference(unit_fav, unit_n, rest_fav, rest_n)
    share = rest_n / org_n
    return Gap(
        unit_pct=100 * unit_fav / unit_n,
        org_pct=100 * org_fav / org_n,
        gap=100 * share * d,
        ci_low=100 * share * low,
        ci_high=100 * share * high,
    )
