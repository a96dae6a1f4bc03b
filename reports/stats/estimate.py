"""The shape every fitted link comes back in, and a way to keep a fit's warnings."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

NAN = float("nan")

#: Below this many units, cluster-robust standard errors are known to be too small.
FEW_CLUSTERS = 30


@dataclass(frozen=True, slots=True)
class Estimate:
    """One tested link: estimate, 95% CI, two-sided p-value, sizes, how, and what went wrong.

    A fit that could not be made has NaN numbers and says why in ``warnings``.
    """

    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    n_units: int
    n_obs: int
    detail: str
    warnings: tuple[str, ...] = ()

    @classmethod
    def failed(cls, n_units: int, n_obs: int, detail: str, *reasons: str) -> Estimate:
        """A fit that could not be made, with the reasons."""
        return cls(NAN, NAN, NAN, NAN, n_units, n_obs, detail, tuple(reasons))

    @property
    def ok(self) -> bool:
        """True when the estimate is a number."""
        return self.estimate == self.estimate


@contextmanager
def kept_warnings() -> Iterator[list[str]]:
    """Collect every warning raised inside (convergence, boundary …) as plain messages."""
    messages: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield messages
    seen: set[str] = set()
    for item in caught:
        text = f"{item.category.__name__}: {item.message}"
        if text not in seen:
            seen.add(text)
            messages.append(text)


def few_clusters_note(n_units: int) -> str | None:
    """The plain warning for cluster-robust intervals over too few units."""
    if n_units >= FEW_CLUSTERS:
        return None
    return (
        f"only {n_units} units: cluster-robust intervals are too narrow below about "
        f"{FEW_CLUSTERS} units, so this interval is optimistic"
    )
