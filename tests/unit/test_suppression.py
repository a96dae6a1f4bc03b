"""Complementary suppression of counts: no parent-minus-children group of 1..k-1 people."""

from __future__ import annotations

import itertools
import random

from reports.gate import shown_units as suppress_small_remainders

#   1 (root) ─ 2 ─ 4, 5
#            └ 3 ─ 6
PATHS = {1: "/1/", 2: "/1/2/", 3: "/1/3/", 4: "/1/2/4/", 5: "/1/2/5/", 6: "/1/3/6/"}


def exposed_groups(paths: dict[int, str], sizes: dict[int, int], shown: set[int], k: int) -> list:
    """Every parent minus its shown children that is a group of 1..k-1 (should be none)."""
    bad = []
    for unit in shown:
        kids = [
            u for u, p in paths.items() if p.rsplit("/", 2)[0] + "/" == paths[unit] and u != unit
        ]
        rest = sizes.get(unit, 0) - sum(sizes.get(c, 0) for c in kids if c in shown)
        if 0 < rest < k:
            bad.append((unit, rest))
    return bad


def test_small_units_are_hidden() -> None:
    sizes = {1: 20, 2: 12, 3: 8, 4: 9, 5: 3, 6: 8}
    shown = suppress_small_remainders(PATHS, sizes, 5)
    assert 5 not in shown
    assert exposed_groups(PATHS, sizes, shown, 5) == []


def test_a_sibling_is_hidden_when_the_remainder_would_be_small() -> None:
    # 2 has 12 = 9 (unit 4) + 3 (unit 5): 5 is hidden, so showing 4 would expose 5 as 12 - 9.
    sizes = {1: 20, 2: 12, 3: 8, 4: 9, 5: 3, 6: 8}
    shown = suppress_small_remainders(PATHS, sizes, 5)
    assert 4 not in shown and 2 in shown
    # root: 20 - 12 (unit 2) - 8 (unit 3) = 0 → nothing exposed; unit 3 = 8 = unit 6
    assert {1, 2, 3, 6} <= shown


def test_direct_members_count_in_the_remainder() -> None:
    # unit 3 has 8 people: 6 in team 6 and 2 directly (a manager and a deputy)
    sizes = {1: 20, 2: 12, 3: 8, 4: 6, 5: 6, 6: 6}
    shown = suppress_small_remainders(PATHS, sizes, 5)
    assert 6 not in shown and 3 in shown


def test_random_trees_never_expose_a_small_group() -> None:
    rng = random.Random(3)
    for _ in range(300):
        paths = {1: "/1/"}
        for unit in range(2, rng.randint(3, 14)):
            parent = rng.choice(list(paths))
            paths[unit] = f"{paths[parent]}{unit}/"
        direct = {u: rng.choice([0, 0, 1, 2, 3, 5, 8]) for u in paths}
        sizes = {
            u: sum(direct[o] for o, p in paths.items() if p.startswith(paths[u])) for u in paths
        }
        for k in (3, 5):
            shown = suppress_small_remainders(paths, sizes, k)
            assert all(sizes[u] >= k for u in shown)
            assert exposed_groups(paths, sizes, shown, k) == []
            for a, b in itertools.permutations(shown, 2):  # nested shown pairs differ by 0 or ≥ k
                if a != b and paths[b].startswith(paths[a]):
                    assert sizes[a] - sizes[b] == 0 or sizes[a] - sizes[b] >= k, (paths, sizes, k)


def test_participation_is_never_exact_at_the_edges() -> None:
    from engage.survey.waves import participation

    assert participation(8, 8, 5) is None  # one band only: "all 8" could not be avoided
    assert participation(9, 0, 5).band == "few"  # "nobody answered" is not said …
    assert participation(9, 9, 5).text() == "5 or more of 9 have answered"  # … nor "all"
    assert participation(20, 10, 5).text() == "between 10 and 14 of 20 have answered"
    for n in range(5, 40):
        for a in range(n + 1):
            p = participation(n, a, 5)
            if p is not None:
                assert p.low <= a <= p.high and p.high - p.low + 1 >= 5
                assert p.low < n and p.high > 0
