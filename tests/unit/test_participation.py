"""Participation bands against brute force: nothing shown pins anyone's answering (rule 7)."""

from __future__ import annotations

import itertools
import random

import pytest

from surveys.participation import Band, band, band_edges, derived_bounds, visible_bands


def test_bands_hold_at_least_k_counts_and_cover_every_count() -> None:
    for invited in range(0, 40):
        edges = band_edges(invited, 5)
        counts = [c for lo, hi in edges for c in range(lo, hi + 1)]
        assert counts == list(range(invited + 1))
        if len(edges) > 1:
            assert all(hi - lo + 1 >= 5 for lo, hi in edges)


def test_a_unit_of_five_shows_nothing_and_all_five_is_never_said() -> None:
    assert band(5, 5, 5) is None and band(8, 8, 5) is None  # one band only: nothing to say
    assert band(9, 9, 5) == Band(9, 5, 9)  # "5 or more of 9", never "all 9"
    assert band(9, 0, 5) == Band(9, 0, 4)
    assert band(10, 10, 5) == Band(10, 5, 10)  # the short last band merged: 5 … 10
    assert [band(20, a, 5).kind for a in (0, 7, 19)] == ["few", "between", "most"]  # type: ignore[union-attr]


def test_a_parent_minus_a_child_would_name_who_answered() -> None:
    # C (10 invitees) shows 0-4, P = C + R (R: 6 people) shows 10-16: R must have answered
    # at least 6 of 6. visible_bands withholds the child's band.
    paths = {1: "/1/", 2: "/1/2/"}
    invited = {1: 16, 2: 10}
    answered = {1: 10, 2: 4}
    naive = {1: band(16, 10, 5), 2: band(10, 4, 5)}
    _, remainder, rest = derived_bounds(paths, invited, naive)  # type: ignore[arg-type]
    assert remainder[1] == (6, 6) and rest[1] == 6  # the attack
    shown = visible_bands(paths, invited, answered, {1, 2}, 5)
    assert set(shown) == {1}


def _random_tree(rng: random.Random) -> tuple[dict[int, str], dict[int, int]]:
    units = rng.randint(1, 5)
    paths = {1: "/1/"}
    for unit in range(2, units + 1):
        parent = rng.randint(1, unit - 1)
        paths[unit] = f"{paths[parent]}{unit}/"
    direct = {u: rng.choice([0, 1, 2, 3, 4, 5, 6]) for u in paths}
    return paths, direct


def _subtree(paths: dict[int, str], values: dict[int, int], unit: int) -> int:
    return sum(v for u, v in values.items() if paths[u].startswith(paths[unit]))


@pytest.mark.parametrize("seed", range(1000))
def test_no_combination_of_shown_bands_pins_anyone(seed: int) -> None:
    """Brute force: every assignment of answers consistent with all shown bands is a
    possible world; in no direct group of people may every world agree that all or none
    of them answered."""
    rng = random.Random(seed)
    k = 3
    paths, direct = _random_tree(rng)
    invited = {u: _subtree(paths, direct, u) for u in paths}
    allowed = {u for u, n in invited.items() if n >= k}
    # extremes are where a pin would show: whole groups answering, or none of them
    truth = {u: rng.choice([0, n, n, rng.randint(0, n)]) for u, n in direct.items()}
    answered = {u: _subtree(paths, truth, u) for u in paths}
    shown = visible_bands(paths, invited, answered, allowed, k)
    possible: dict[int, set[int]] = {u: set() for u in paths}
    units = sorted(paths)
    for world in itertools.product(*(range(direct[u] + 1) for u in units)):
        counts = dict(zip(units, world, strict=True))
        if all(b.low <= _subtree(paths, counts, u) <= b.high for u, b in shown.items()):
            for u in units:
                possible[u].add(counts[u])
    for unit in units:
        if direct[unit]:
            assert truth[unit] in possible[unit]
            assert possible[unit] != {direct[unit]}, (seed, unit, "all answered is derivable")
            assert possible[unit] != {0}, (seed, unit, "no one answered is derivable")


def test_large_units_keep_their_bands() -> None:
    # A region of two locations of 20: all three bands are shown.
    paths = {1: "/1/", 2: "/1/2/", 3: "/1/3/"}
    invited = {1: 40, 2: 20, 3: 20}
    shown = visible_bands(paths, invited, {1: 23, 2: 12, 3: 11}, {1, 2, 3}, 5)
    assert set(shown) == {1, 2, 3}
