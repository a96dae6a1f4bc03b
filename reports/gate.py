"""The reporting gate: the one place that decides which group figures may be shown.

DESIGN.md rules 3 and 4. A group's figures (scores, distributions, counts, chart points,
exports) are shown only when it has at least k people, and no two groups a viewer can see
differ by 1 to k − 1 people: a shown unit minus its nearest shown descendants (the
remainder) is empty or at least k. Every page, export and endpoint asks the gate; a cell
it refuses says why instead of vanishing.

Groups are org units with their whole subtree, one set per time slice (a wave). Because
the decision is made once for the whole tree of a slice, whatever subset of it a viewer is
shown — a manager's fixed cuts, a level filter, one unit's page — can only reveal less:
the figures of a subset span nothing new.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field

from surveys.tree import parent_of, path_ids

FEWER_THAN_K = "fewer than {k} responses"
PROTECTS_OTHERS = "hidden so that a smaller group cannot be worked out from the figures around it"


def subtree_totals(direct: Mapping[int, int], paths: Mapping[int, str]) -> dict[int, int]:
    """People per unit subtree from people sitting directly in each unit (units with any)."""
    totals: dict[int, int] = {}
    for unit, n in direct.items():
        if n <= 0 or unit not in paths:
            continue
        for ancestor in path_ids(paths[unit]):
            totals[ancestor] = totals.get(ancestor, 0) + n
    return totals


def _children(paths: Mapping[int, str]) -> dict[int | None, list[int]]:
    """Each unit's children (``None``: the roots), in path order."""
    children: dict[int | None, list[int]] = {}
    for unit in sorted(paths, key=lambda u: paths[u]):
        parent = parent_of(paths[unit])
        children.setdefault(parent if parent in paths else None, []).append(unit)
    return children


def exposed_groups(
    paths: Mapping[int, str], sizes: Mapping[int, int], shown: Iterable[int], k: int
) -> list[tuple[int, int]]:
    """Shown units whose remainder is 1 … k − 1 people, with it (a safe choice has none).

    A unit's remainder is its people minus those of its nearest shown descendants: with
    nested groups, every difference a viewer can work out from the shown figures is a sum
    of remainders, so all of them are empty or at least k exactly when each remainder is.
    A shown unit under k is reported with its size.
    """
    chosen = set(shown)
    children = _children(paths)
    bad = []
    for unit in sorted(chosen):
        n = sizes.get(unit, 0)
        if n < k:
            bad.append((unit, n))
            continue
        covered, stack = 0, list(children.get(unit, []))
        while stack:
            current = stack.pop()
            if current in chosen:
                covered += sizes.get(current, 0)
            else:
                stack.extend(children.get(current, []))
        if 0 < n - covered < k:
            bad.append((unit, n - covered))
    return bad


def shown_units(
    paths: Mapping[int, str],
    sizes: Mapping[int, int],
    k: int,
    preferred: Iterable[int] = (),
    within: Iterable[int] | None = None,
) -> set[int]:
    """Units whose figures may be shown for one slice (subtree ``sizes``, threshold ``k``).

    ``within`` limits the choice to those units (a part of the figures, such as comments
    at a higher threshold, is shown only where the whole figures are).

    Every shown unit has at least k people and leaves 0 or at least k people beyond its
    nearest shown descendants (``exposed_groups`` is empty). Among all such choices, the
    one that hides least, searched exactly, by these aims in order: the whole organisation
    (a root) is shown whenever it has k people; then the most ``preferred`` units (those
    managers own); then the most units; then the most respondents whose own unit (the one
    they sit in) is shown; then the most people-units (each shown unit counts its people).
    A parent may be hidden so that its children stay shown: its people then count with
    the unit above. Ties go to the first choice in path order, so the same input always
    gives the same answer.

    Exact dynamic programming over the tree: each unit passes up how many of its people
    no shown unit in its subtree covers, capped at k (0, 1 … k − 1, or "k or more" is all
    the units above need to know), so the search takes units × k² steps.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    children = _children(paths)
    want = set(preferred)
    allowed = None if within is None else set(within)
    n_units = len(paths)
    total = sum(sizes.get(u, 0) for u in children.get(None, []))
    # One integer per choice ranks the aims in order (each radix exceeds the most that all
    # the aims after it can add up to), so the search compares plain sums.
    r_own = n_units * max(total, 1) + 1
    r_count = (total + 1) * r_own
    r_preferred = (n_units + 1) * r_count
    r_root = (n_units + 1) * r_preferred
    roots = set(children.get(None, []))

    def direct(unit: int) -> int:
        inside = sum(sizes.get(c, 0) for c in children.get(unit, []))
        left = sizes.get(unit, 0) - inside
        if left < 0:
            raise ValueError(
                f"unit {unit} has {sizes.get(unit, 0)} people but its children {inside}: "
                "sizes must be whole subtrees"
            )
        return left

    unset = None
    # best[u][d]: the best value in u's subtree when d people (capped at k) are passed up.
    # choice[u][d]: (shown, the d each child passes up) of that best.
    best: dict[int, list[int | None]] = {}
    choice: dict[int, list[tuple[bool, tuple[int, ...]] | None]] = {}
    order = sorted(paths, key=lambda u: (-paths[u].count("/"), paths[u]))
    for unit in order:
        kids = children.get(unit, [])
        # Combine the children one at a time: table[d] = best sum with d passed up so far.
        start = min(direct(unit), k)
        table: list[int | None] = [unset] * (k + 1)
        table[start] = 0
        picks: list[list[tuple[int, int] | None]] = []
        for kid in kids:
            merged: list[int | None] = [unset] * (k + 1)
            came: list[tuple[int, int] | None] = [None] * (k + 1)
            for a, value in enumerate(table):
                if value is None:
                    continue
                for b, kid_value in enumerate(best[kid]):
                    if kid_value is None:
                        continue
                    d = min(a + b, k)
                    candidate = value + kid_value
                    current = merged[d]
                    if current is None or candidate > current:
                        merged[d], came[d] = candidate, (a, b)
            table = merged
            picks.append(came)

        def kid_passes(
            d: int, picks: list[list[tuple[int, int] | None]] = picks
        ) -> tuple[int, ...]:
            """What each child passes up in the best combination that passes ``d`` up."""
            passes = []
            for came in reversed(picks):
                step = came[d]
                assert step is not None
                d, passed = step
                passes.append(passed)
            return tuple(reversed(passes))

        row: list[int | None] = list(table)
        rows: list[tuple[bool, tuple[int, ...]] | None] = [
            (False, kid_passes(d)) if v is not None else None for d, v in enumerate(table)
        ]
        n = sizes.get(unit, 0)
        if n >= k and (allowed is None or unit in allowed):
            weight = (
                (r_root if unit in roots else 0)
                + (r_preferred if unit in want else 0)
                + r_count
                + direct(unit) * r_own
                + n
            )
            for atom in (0, k):  # what the unit itself leaves: none, or k or more
                value = table[atom]
                if value is None:
                    continue
                candidate = value + weight
                current = row[0]
                if current is None or candidate > current:
                    row[0], rows[0] = candidate, (True, kid_passes(atom))
        best[unit], choice[unit] = row, rows

    shown: set[int] = set()
    stack: list[tuple[int, int]] = []
    for root in children.get(None, []):
        values = best[root]
        top = max((v, -d) for d, v in enumerate(values) if v is not None)
        stack.append((root, -top[1]))
    while stack:
        unit, d = stack.pop()
        picked = choice[unit][d]
        assert picked is not None
        is_shown, passes = picked
        if is_shown:
            shown.add(unit)
        stack.extend(zip(children.get(unit, []), passes, strict=True))
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
        cls,
        paths: Mapping[int, str],
        sizes: Mapping[Hashable, Mapping[int, int]],
        k: int,
        preferred: Iterable[int] = (),
    ) -> ReportingGate:
        """Decide every slice at once (``sizes``: slice → unit → people in its subtree)."""
        keep = frozenset(preferred)
        decided = {
            s: frozenset(shown_units(paths, per_unit, k, keep)) for s, per_unit in sizes.items()
        }
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
