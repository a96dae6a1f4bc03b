"""A wave's publication: every unit's figures on the wave's frozen tree, gated once.

DESIGN.md rule 5. When a wave closes (or a history import brings one in), its results are
computed once from additive sums per leaf unit — the units respondents sat in when the wave
opened — rolled up the tree as it stood then, and decided by the reporting gate as a whole.
What is published never changes afterwards: later re-organisations and imports change who
may look at a published figure, never the figures or which of them exist.

One respondent set per unit-wave: only respondents with a score (≥ 2/3 of the engagement
items answered) count, for the score, every item, eNPS and comments alike, and the gate
decides the unit once on their number. An item's or eNPS's answers are a subset of that
set (someone may skip a question), so no shown figure covers people another one leaves
out; a respondent without a score is in no figure at all.

Withheld units are published without figures, only with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from reports.gate import ReportingGate, shown_units
from reports.stats.scores import SUM_COLUMNS
from surveys.items import ENGAGEMENT_CODES
from surveys.tree import path_ids

_ITEM_KEYS = ("c", "s", "q", "f", "cs", "cq")
#: The additive sums a published unit-wave carries (over its scored respondents): how many,
#: their score sums and squares, favourable answers and all answers, eNPS counts, the
#: moments of complete responses (for Cronbach's alpha) and per item: answers (c_), sum
#: (s_), squares (q_), favourable answers (f_) and complete-response sum and squares.
SUM_KEYS: tuple[str, ...] = (
    *SUM_COLUMNS,
    "n_complete",
    "t_sum",
    "t_sq",
    *(f"{p}_{c.lower()}" for c in ENGAGEMENT_CODES for p in _ITEM_KEYS),
)


#: The one reason every withheld unit gives: saying "fewer than k" here and "to protect
#: others" there would itself tell whether a group had k respondents.
WITHHELD = "withheld: fewer than {k} responses, or a smaller group could be worked out from it"
#: Counts of answers per item and to eNPS, gated on their own, and the sums each carries.
_PARTS = {**{c.lower(): f"c_{c.lower()}" for c in ENGAGEMENT_CODES}, "enps": "enps_n"}
_PART_KEYS = {
    **{
        c.lower(): tuple(f"{p}_{c.lower()}" for p in ("c", "s", "q", "f")) for c in ENGAGEMENT_CODES
    },
    "enps": ("enps_n", "promoters", "detractors"),
}


@dataclass(frozen=True, slots=True)
class PublishedUnit:
    """One unit's published figures for one wave, or the reason they are withheld."""

    unit: int
    shown: bool
    reason: str | None
    comments_shown: bool
    sums: Mapping[str, float] | None  # None when withheld


@dataclass(frozen=True, slots=True)
class Publication:
    """Every unit of a wave's frozen tree that had respondents in its subtree."""

    k: int
    k_comments: int
    units: tuple[PublishedUnit, ...]

    def shown(self) -> dict[int, PublishedUnit]:
        """The units whose figures are shown, by id."""
        return {u.unit: u for u in self.units if u.shown}


def subtree_sums(leaf_sums: pd.DataFrame, paths: Mapping[int, str]) -> pd.DataFrame:
    """Each unit's sums over its whole subtree (``leaf_sums``: unit + SUM_KEYS columns)."""
    if leaf_sums.empty:
        return pd.DataFrame(columns=["unit", *SUM_KEYS])
    pairs = pd.DataFrame(
        [(leaf, owner) for leaf, path in paths.items() for owner in path_ids(path)],
        columns=["leaf", "owner"],
    )
    merged = leaf_sums.merge(pairs, left_on="unit", right_on="leaf", how="inner")
    out = merged.groupby("owner", as_index=False)[list(SUM_KEYS)].sum()
    return out.rename(columns={"owner": "unit"})


def publish(
    leaf_sums: pd.DataFrame,
    paths: Mapping[int, str],
    k: int,
    k_comments: int,
    preferred: Iterable[int] = (),
) -> Publication:
    """Roll leaf sums up the frozen tree and gate every unit once (scores: k; comments:
    ``k_comments``), both on the same count of scored respondents; where the gate must
    choose what to hide it keeps the ``preferred`` units (those managers own) first.

    Comments, and each item's and eNPS's answers, are shown only where the scores are:
    each is gated on its own count, choosing among the units whose scores are shown.
    """
    full = leaf_sums.reindex(columns=["unit", *SUM_KEYS]).fillna(0.0)
    totals = subtree_sums(full, paths)
    sizes = {int(u): int(n) for u, n in zip(totals["unit"], totals["n"], strict=True) if n > 0}
    keep = frozenset(preferred)
    gate = ReportingGate.build(paths, {"wave": sizes}, k, keep)
    scored = gate.shown["wave"]
    with_comments = frozenset(shown_units(paths, sizes, k_comments, keep, within=scored))
    records = {int(r["unit"]): r for r in totals.to_dict("records")}
    # An item (or eNPS) answered by fewer than k of a unit's respondents, or whose answers
    # could be worked out by subtraction across the tree, is withheld on its own: its
    # answer counts go through the gate too, and a withheld one is published as no answers.
    partial = {
        part: frozenset(
            shown_units(
                paths,
                {u: int(r[count]) for u, r in records.items() if r[count] > 0},
                k,
                keep,
                within=scored,
            )
        )
        for part, count in _PARTS.items()
    }
    units = []
    for unit in sorted(sizes):
        verdict = gate.verdict("wave", unit)
        sums = None
        if verdict.shown:
            sums = {key: float(records[unit][key]) for key in SUM_KEYS}
            for part, keys in _PART_KEYS.items():
                if unit not in partial[part]:
                    sums.update(dict.fromkeys(keys, 0.0))
        units.append(
            PublishedUnit(
                unit=unit,
                shown=verdict.shown,
                reason=None if verdict.shown else WITHHELD.format(k=k),
                comments_shown=verdict.shown and unit in with_comments,
                sums=sums,
            )
        )
    return Publication(k=k, k_comments=k_comments, units=tuple(units))
