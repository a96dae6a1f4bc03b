"""Participation told so that nobody can be said to have answered or not (DESIGN.md rule 7).

A unit's answers are shown as a band of people, never a number: the bands of a unit of n
invitees start at 0, k, 2k, … and the last one reaches n; every band holds at least k
possible counts (a last band too short is merged into the one before), so no band alone
says "everyone" or "no one". A unit whose n allows only one band shows nothing.

Bands of units inside each other can still be combined: a parent's band minus its
children's bands bounds the rest of the parent. ``visible_bands`` works out, over the
whole tree, every bound a viewer could derive from all the bands shown together (bounds
propagation over the tree's sum constraints, exact on a tree) and withholds bands until no
shown unit and no remainder is pinned to all or none of its people.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from surveys.tree import parent_of

#: Participation of an open wave is counted again at most this often, never per answer: a
#: band that moves right after someone is seen answering would say that they did.
RECOUNT_EVERY_HOURS = 6


@dataclass(frozen=True, slots=True)
class Band:
    """Between ``low`` and ``high`` of ``invited`` people have answered (both included)."""

    invited: int
    low: int
    high: int

    @property
    def kind(self) -> str:
        """``few`` (from none), ``most`` (up to everyone) or ``between``."""
        if self.low == 0:
            return "few"
        if self.high == self.invited:
            return "most"
        return "between"


def band_edges(invited: int, k: int) -> list[tuple[int, int]]:
    """The bands of a unit of ``invited`` people: consecutive, each of at least k counts."""
    if k < 1:
        raise ValueError("k must be at least 1")
    edges = [(start, min(start + k - 1, invited)) for start in range(0, invited + 1, k)]
    if len(edges) > 1 and edges[-1][1] - edges[-1][0] + 1 < k:
        last = edges.pop()
        edges[-1] = (edges[-1][0], last[1])
    return edges


def band(invited: int, answered: int, k: int) -> Band | None:
    """The band ``answered`` falls in, or None when the unit has only one band."""
    if not 0 <= answered <= invited:
        raise ValueError("answered must be between 0 and invited")
    edges = band_edges(invited, k)
    if len(edges) < 2:
        return None
    low, high = next((lo, hi) for lo, hi in edges if lo <= answered <= hi)
    return Band(invited, low, high)


def nearest_shown_children(
    paths: Mapping[int, str], shown: Collection[int]
) -> dict[int, list[int]]:
    """Each shown unit's nearest shown descendants (its children among the shown)."""
    children: dict[int, list[int]] = {u: [] for u in shown}
    for unit in shown:
        ancestor = parent_of(paths[unit])
        while ancestor is not None and ancestor not in children:
            ancestor = parent_of(paths[ancestor]) if ancestor in paths else None
        if ancestor is not None:
            children[ancestor].append(unit)
    return children


def derived_bounds(
    paths: Mapping[int, str], invited: Mapping[int, int], shown: Mapping[int, Band]
) -> tuple[dict[int, tuple[int, int]], dict[int, tuple[int, int]], dict[int, int]]:
    """The tightest bounds a viewer of all ``shown`` bands can derive: per shown unit, per
    shown unit's remainder (its people outside its shown children), and the remainders'
    sizes. Bounds propagation to a fixpoint; exact, as the sums form a tree."""
    kids = nearest_shown_children(paths, shown)
    rest = {u: invited[u] - sum(invited[c] for c in kids[u]) for u in shown}
    bounds = {u: (b.low, b.high) for u, b in shown.items()}
    remainder = {u: (0, rest[u]) for u in shown}
    changed = True
    while changed:
        changed = False
        for unit, children in kids.items():
            # answered(unit) = sum of answered(children) + answered(remainder)
            terms = [bounds[c] for c in children] + [remainder[unit]]
            lo_sum, hi_sum = sum(t[0] for t in terms), sum(t[1] for t in terms)
            own = bounds[unit]
            tight = (max(own[0], lo_sum), min(own[1], hi_sum))
            if tight != own:
                bounds[unit], changed = tight, True
            lo, hi = bounds[unit]
            for index, child in enumerate([*children, None]):
                term = terms[index]
                others_lo, others_hi = lo_sum - term[0], hi_sum - term[1]
                new = (max(term[0], lo - others_hi), min(term[1], hi - others_lo))
                if new == term:
                    continue
                changed = True
                if child is None:
                    remainder[unit] = new
                else:
                    bounds[child] = new
                terms[index] = new
                lo_sum, hi_sum = sum(t[0] for t in terms), sum(t[1] for t in terms)
    return bounds, remainder, rest


def _pinned(bounds: tuple[int, int], size: int) -> bool:
    """Whether bounds on a group of ``size`` people say that all or none answered."""
    return size > 0 and (bounds[0] >= size or bounds[1] <= 0)


def visible_bands(
    paths: Mapping[int, str],
    invited: Mapping[int, int],
    answered: Mapping[int, int],
    allowed: Collection[int],
    k: int,
) -> dict[int, Band]:
    """The bands that may be shown together, of the ``allowed`` units (those the gate
    shows on invitee counts): while anything a viewer could derive from all of them pins a
    unit or a remainder to all or none of its people, the smallest band involved (a child
    before its parent) is withheld."""
    shown = {u: b for u in allowed if (b := band(invited[u], answered.get(u, 0), k)) is not None}
    while shown:
        bounds, remainder, rest = derived_bounds(paths, invited, shown)
        bad = {u for u in shown if _pinned(bounds[u], invited[u])}
        bad |= {u for u in shown if _pinned(remainder[u], rest[u])}
        if not bad:
            break
        kids = nearest_shown_children(paths, shown)
        involved = bad | {c for u in bad for c in kids[u]}
        del shown[min(involved, key=lambda u: (invited[u], -paths[u].count("/"), u))]
    return shown
