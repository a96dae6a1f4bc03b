"""Suggested modules for a unit: its weakest elements against the organisation.

Only figures the reporting gate shows are used (the same as the dashboard's heatmap), so a
suggestion never covers fewer than k people or reveals what a report would not.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engage.reporting.dashboard_data import closed_waves, load_dashboard, unit_paths
from engage.training.catalogue import Module, list_modules
from reports.stats.gaps import Gap, gap_to_organisation
from surveys.items import ELEMENTS, ENGAGEMENT_CODES

#: How many of the weakest elements get suggestions.
WEAKEST = 3


@dataclass(frozen=True, slots=True)
class ElementGap:
    """One element where the unit trails the organisation, and modules that target it."""

    code: str
    name: str
    gap: Gap
    modules: tuple[Module, ...]


@dataclass(frozen=True, slots=True)
class Recommendations:
    """Suggestions for one unit from its latest closed wave, or why there are none."""

    wave_name: str | None
    reason: str | None
    gaps: tuple[ElementGap, ...] = field(default_factory=tuple)
    compared: int = 0  # elements compared (for the multiple-comparisons note)
    older_than: str | None = None  # the latest wave's name, when it withheld this unit

    @property
    def any_clear(self) -> bool:
        """Whether some gap's whole interval lies below zero."""
        return any(g.gap.clearly_below for g in self.gaps)


async def recommend(unit_id: int, language: str = "en") -> Recommendations:
    """The unit's up-to-three weakest elements (below the organisation) with modules for each."""
    waves = await closed_waves()
    if not waves:
        return Recommendations(None, "no survey wave has closed yet")
    paths = await unit_paths()
    root = next((u for u, p in paths.items() if p.count("/") == 2), None)
    if root is None or root == unit_id:
        return Recommendations(None, "the organisation as a whole has nothing to compare with")
    data = await load_dashboard(waves)
    wave = next((w for w in waves if data.engagement(unit_id, w.id).shown), None)
    if wave is None:
        verdict = data.engagement(unit_id, waves[0].id)
        return Recommendations(
            waves[0].name,
            f"no closed wave shows this unit's results ({verdict.reason or 'withheld'})",
        )
    older = waves[0].name if wave.id != waves[0].id else None
    modules = await list_modules(language)
    gaps: list[ElementGap] = []
    for code in ENGAGEMENT_CODES:
        mine = data.favourable_counts(unit_id, wave.id, code)
        org = data.favourable_counts(root, wave.id, code)
        if mine is None or org is None or org[1] <= mine[1]:
            continue
        gap = gap_to_organisation(mine[0], mine[1], org[0], org[1])
        targeting = tuple(m for m in modules if code in m.elements)
        gaps.append(ElementGap(code, ELEMENTS[code], gap, targeting))
    compared = len(gaps)
    weakest = sorted((g for g in gaps if g.gap.gap < 0), key=lambda g: g.gap.gap)[:WEAKEST]
    if not weakest:
        reason = (
            f"no element is below the organisation in the survey “{wave.name}”"
            if compared
            else f"the survey “{wave.name}” shows no element of this unit (too few answers "
            "per item)"
        )
        return Recommendations(wave.name, reason, (), compared, older)
    return Recommendations(wave.name, None, tuple(weakest), compared, older)
