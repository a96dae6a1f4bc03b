"""The reporting gate: the one place that decides which group figures may be shown.

DESIGN.md rules 3 and 4. A group's figures (scores, distributions, counts, chart points,
exports) are shown only when it has at least k people, and no two groups a viewer can see
differ by 1 to k − 1 people: a parent minus its shown children (the remainder) is empty or
at least k. Every page, export and endpoint asks the gate; a cell it refuses says why
instead of vanishing.

Groups are org units with their whole subtree, one set per time slice (a wave). Because
the decision is made once for the whole tree of a slice, whatever subset of it a viewer is
shown — a manager's fixed cuts, a level filter, one unit's page — can only reveal less:
the figures of a subset span nothing new.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field

FEWER_THAN_K = "fewer than {k} responses"
PROTECTS_OTHERS = "hidden so that a smaller group cannot be worked out from the figures around it"


def _parent_of(path: str) -> int | None:
    parts = path.strip("/").split("/")
    return int(parts[-2]) if len(parts) > 1 else None


def subtree_totals(direct: Mapping[int, int], paths: Mapping[int, str]) -> dict[int, int]:
    """People per unit subtree from people sitting directly in each unit (units with any)."""
    totals: dict[int, int] = {}
    for unit, n in direct.items():
        if n <= 0 or unit not in paths:
            continue
        for ancestor in paths[unit].strip("/").split("/"):
            if ancestor:
                totals[int(ancestor)] = totals.get(int(ancestor), 0) + n
    return totals


def shown_units(paths: Mapping[int, str], sizes: Mapping[int, int], k: int) -> set[int]:
    """Units whose figures may be shown for one slice (subtree ``sizes``, threshold ``k``).

    At least k people each, and no shown unit minus its shown children leaves 1 … k − 1
    people. When a remainder is too small the smallest shown child is hidden (with its
    subtree), and so on until every remainder is empty or at least k. Linear in the units
    (apart from sorting): fast enough for every wave of a large organisation.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    children: dict[int, list[int]] = {}
    for unit, path in paths.items():
        parent = _parent_of(path)
        if parent is not None:
            children.setdefault(parent, []).append(unit)
    shown = {u for u, n in sizes.items() if n >= k and u in paths}

    def hide_subtree(unit: int) -> None:
        stack = [unit]
        while stack:
            current = stack.pop()
            shown.discard(current)
            stack.extend(children.get(current, []))

    # One pass from the root down: hiding a child changes only its parent's remainder (and
    # removes the child's own subtree), so each unit can be settled once, parents first.
    for unit in sorted(shown, key=lambda u: (paths[u].count("/"), paths[u])):
        if unit not in shown:
            continue
        kids = sorted(
            (c for c in children.get(unit, []) if c in shown), key=lambda c: (sizes[c], paths[c])
        )
        remainder = sizes[unit] - sum(sizes[c] for c in kids)
        while 0 < remainder < k and kids:
            smallest = kids.pop(0)
            hide_subtree(smallest)
            remainder += sizes[smallest]
    return shown


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether one group's figures may be shown, and if not, the words to show instead."""

    shown: bool
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ReportingGate:
    """Which units may be shown in each slice (wave), for one threshold k."""

    k: int
    sizes: Mapping[Hashable, Mapping[int, int]]
    shown: Mapping[Hashable, frozenset[int]] = field(default_factory=dict)

    @classmethod
    def build(
        cls, paths: Mapping[int, str], sizes: Mapping[Hashable, Mapping[int, int]], k: int
    ) -> ReportingGate:
        """Decide every slice at once (``sizes``: slice → unit → people in its subtree)."""
        decided = {s: frozenset(shown_units(paths, per_unit, k)) for s, per_unit in sizes.items()}
        return cls(k=k, sizes=sizes, shown=decided)

    def verdict(self, slice_key: Hashable, unit: int) -> Verdict:
        """May ``unit``'s figures in ``slice_key`` be shown? If not, why (in plain words)."""
        if unit in self.shown.get(slice_key, frozenset()):
            return Verdict(True)
        n = self.sizes.get(slice_key, {}).get(unit, 0)
        if n < self.k:
            return Verdict(False, FEWER_THAN_K.format(k=self.k))
        return Verdict(False, PROTECTS_OTHERS)

    def allowed(self, slice_key: Hashable, units: Iterable[int]) -> list[int]:
        """The given units that may be shown in this slice, in the order given."""
        ok = self.shown.get(slice_key, frozenset())
        return [u for u in units if u in ok]
