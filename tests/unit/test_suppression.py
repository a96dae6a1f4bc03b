"""Complementary suppression of counts: no parent-minus-children group of 1..k-1 people."""

from __future__ import annotations

import itertools
import random

import pytest

from reports.gate import shown_units as suppress_small_remainders

#   1 (root) ─ 2 ─ 4, 5
#            └ 3 ─ 6
PATHS = {1: "/1/", 2: "/1/2/", 3: "/1/3/", 4: "/1/2/4/", 5: "/1/2/5/", 6: "/1/3/6/"}


def nearest_shown_below(paths: dict[int, str], unit: int, shown: set[int]) -> list[int]:
    """The shown units under ``unit`` with no shown unit between them and it."""
    below = [u for u in shown if u != unit and paths[u].startswith(paths[unit])]
    return [
        u
        for u in below
        if not any(v != u and paths[u].startswith(paths[v]) and v in below for v in below)
    ]


def exposed_groups(paths: dict[int, str], sizes: dict[int, int], shown: set[int], k: int) -> list:
    """Every shown unit minus its nearest shown descendants that is a group of 1..k-1."""
    bad = []
    for unit in shown:
        rest = sizes.get(unit, 0) - sum(
            sizes.get(c, 0) for c in nearest_shown_below(paths, unit, shown)
        )
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
    # root: 20 - 12 (unit 2) - 8 (unit 3) = 0 → nothing exposed; unit 3 = 8 = unit 6.
    # Keeping 4 instead would cost 2, 3 and 6 (the root would be left with unit 5's 3).
    assert shown == {1, 2, 3, 6}


def test_direct_members_count_in_the_remainder() -> None:
    # unit 3 has 8 people: 6 in team 6 and 2 directly (a manager and a deputy)
    sizes = {1: 20, 2: 12, 3: 8, 4: 6, 5: 6, 6: 6}
    shown = suppress_small_remainders(PATHS, sizes, 5)
    assert shown == {1, 2, 3, 4, 5}  # showing 6 would leave the two (8 − 6), in 3 or above
    assert exposed_groups(PATHS, sizes, shown, 5) == []


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


def random_tree(rng: random.Random, most: int) -> tuple[dict[int, str], dict[int, int]]:
    """A random tree of 1 … ``most`` units and its subtree sizes."""
    paths = {1: "/1/"}
    for unit in range(2, rng.randint(1, most) + 1):
        parent = rng.choice(list(paths))
        paths[unit] = f"{paths[parent]}{unit}/"
    direct = {u: rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 8, 11]) for u in paths}
    sizes = {u: sum(direct[o] for o, p in paths.items() if p.startswith(paths[u])) for u in paths}
    return paths, sizes


def aims(
    paths: dict[int, str], sizes: dict[int, int], shown: set[int], preferred: set[int]
) -> tuple[int, ...]:
    """What a choice keeps, most important first (the order the gate promises)."""

    def own(unit: int) -> int:  # people sitting in the unit itself
        kids = [u for u, p in paths.items() if p.rsplit("/", 2)[0] + "/" == paths[unit]]
        return sizes[unit] - sum(sizes[c] for c in kids if c != unit)

    return (
        int(1 in shown),
        len(shown & preferred),
        len(shown),
        sum(own(u) for u in shown),
        sum(sizes[u] for u in shown),
    )


def best_by_brute_force(
    paths: dict[int, str], sizes: dict[int, int], k: int, preferred: set[int]
) -> tuple[int, ...]:
    """The best aims over every safe subset of units (exponential; small trees only)."""
    big = [u for u in paths if sizes[u] >= k]
    best: tuple[int, ...] = ()
    for r in range(len(big) + 1):
        for subset in itertools.combinations(big, r):
            chosen = set(subset)
            if exposed_groups(paths, sizes, chosen, k) == []:
                best = max(best, aims(paths, sizes, chosen, preferred))
    return best


def test_the_choice_is_the_best_of_every_safe_choice() -> None:
    rng = random.Random(12)
    for _ in range(400):
        paths, sizes = random_tree(rng, 10)
        preferred = {u for u in paths if rng.random() < 0.4}
        k = rng.choice([1, 2, 3, 5])
        shown = suppress_small_remainders(paths, sizes, k, preferred)
        assert exposed_groups(paths, sizes, shown, k) == [], (paths, sizes, k)
        assert aims(paths, sizes, shown, preferred) == best_by_brute_force(
            paths, sizes, k, preferred
        ), (paths, sizes, k, preferred, shown)


def test_a_full_location_stays_shown_when_its_region_can_go_instead() -> None:
    # Region 2 = location 4 (10, all answered) + location 5 (15) + salon 6 (3, hidden);
    # salon 7 (4) sits under the organisation. The old greedy rule hid location 4 to show
    # region 2; hiding the region keeps both locations, and its 3 count with the
    # organisation's remainder (3 + 4).
    paths = {1: "/1/", 2: "/1/2/", 3: "/1/3/", 4: "/1/2/4/", 5: "/1/2/5/", 6: "/1/2/6/"}
    paths[7] = "/1/7/"
    sizes = {1: 52, 2: 28, 3: 20, 4: 10, 5: 15, 6: 3, 7: 4}
    shown = suppress_small_remainders(paths, sizes, 5)
    assert shown == {1, 3, 4, 5}
    # A manager's unit is kept before one no manager owns: with a regional manager, the
    # region stays and one location goes.
    assert 2 in suppress_small_remainders(paths, sizes, 5, preferred={2})


def test_inconsistent_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="unit 1 has 3 people but its children 5"):
        suppress_small_remainders({1: "/1/", 2: "/1/2/"}, {1: 3, 2: 5}, 2)


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
