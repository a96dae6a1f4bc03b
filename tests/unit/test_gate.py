"""The reporting gate, attacked: whatever a viewer may request, no group under k is pinned down.

The attacker (hypothesis) builds a random org tree with random numbers of respondents per
unit and wave, issues any sequence of the requests the product offers (HR's organisation
view with a level filter, a manager's subtree, one unit's page with its children), keeps
every group figure it was shown, and then tries, by linear algebra over everything it
holds, to isolate any set of 1 … k − 1 respondents. Independent of the gate's own logic.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.gate import FEWER_THAN_K, PROTECTS_OTHERS, ReportingGate


@dataclass(frozen=True)
class Org:
    paths: dict[int, str]
    direct: dict[int, dict[int, int]]  # wave → unit → respondents sitting directly in it

    def subtree(self, unit: int) -> list[int]:
        return [u for u, p in self.paths.items() if p.startswith(self.paths[unit])]

    def sizes(self, wave: int) -> dict[int, int]:
        return {u: sum(self.direct[wave][o] for o in self.subtree(u)) for u in self.paths}

    def depth(self, unit: int) -> int:
        return self.paths[unit].count("/") - 2


@st.composite
def orgs(draw: st.DrawFn) -> Org:
    count = draw(st.integers(2, 8))
    paths = {1: "/1/"}
    for unit in range(2, count + 1):
        parent = draw(st.sampled_from(sorted(paths)))
        paths[unit] = f"{paths[parent]}{unit}/"
    waves = draw(st.integers(1, 2))
    direct = {
        w: {u: draw(st.sampled_from([0, 0, 1, 2, 3, 4, 5, 6, 9])) for u in paths}
        for w in range(waves)
    }
    return Org(paths, direct)


requests = st.lists(
    st.tuples(
        st.sampled_from(["hr", "manager", "unit_page"]),
        st.integers(1, 8),  # a unit (scope, page) or a depth for HR's level filter
        st.integers(0, 1),  # wave
    ),
    min_size=1,
    max_size=12,
)


def candidates(org: Org, kind: str, arg: int, wave: int) -> list[int]:
    """The units a request would show, before the gate."""
    if kind == "hr":
        level = arg % 4
        return [u for u in org.paths if org.depth(u) == level] + [1]
    unit = arg if arg in org.paths else 1
    if kind == "manager":
        return org.subtree(unit)
    kids = [u for u in org.paths if org.paths[u].rsplit("/", 2)[0] + "/" == org.paths[unit]]
    return [unit, *kids]


def isolatable_small_sets(org: Org, wave: int, seen: set[int], k: int) -> list[tuple[int, ...]]:
    """Sets of 1 … k − 1 respondents whose totals follow from the groups ``seen``."""
    atoms = [u for u in org.paths if org.direct[wave][u] > 0]
    if not atoms or not seen:
        return []
    rows = np.array([[1.0 if a in org.subtree(g) else 0.0 for a in atoms] for g in sorted(seen)])
    rank = np.linalg.matrix_rank(rows)
    found = []
    for size in range(1, len(atoms) + 1):
        for subset in itertools.combinations(range(len(atoms)), size):
            people = sum(org.direct[wave][atoms[i]] for i in subset)
            if not 0 < people < k:
                continue
            target = np.zeros(len(atoms))
            target[list(subset)] = 1.0
            if np.linalg.matrix_rank(np.vstack([rows, target])) == rank:
                found.append(tuple(atoms[i] for i in subset))
    return found


@settings(max_examples=300, deadline=None)
@given(org=orgs(), asked=requests, k=st.sampled_from([3, 5]))
def test_no_sequence_of_requests_pins_down_a_small_group(
    org: Org, asked: list[tuple[str, int, int]], k: int
) -> None:
    waves = sorted(org.direct)
    gate = ReportingGate.build(org.paths, {w: org.sizes(w) for w in waves}, k)
    seen: dict[int, set[int]] = {w: set() for w in waves}
    for kind, arg, wave_index in asked:
        wave = waves[wave_index % len(waves)]
        shown = gate.allowed(wave, candidates(org, kind, arg, wave))
        for unit in shown:
            assert org.sizes(wave)[unit] >= k
        seen[wave].update(shown)
    for wave in waves:
        assert isolatable_small_sets(org, wave, seen[wave], k) == [], (org, seen, k)


@settings(max_examples=200, deadline=None)
@given(org=orgs(), k=st.sampled_from([3, 5]))
def test_everything_the_gate_allows_at_once_is_safe(org: Org, k: int) -> None:
    waves = sorted(org.direct)
    gate = ReportingGate.build(org.paths, {w: org.sizes(w) for w in waves}, k)
    for wave in waves:
        assert isolatable_small_sets(org, wave, set(gate.shown[wave]), k) == []


def test_the_attacker_finds_a_leak_when_there_is_one() -> None:
    # Without the gate: parent 1 (7 people) and child 2 (5) shown → 1 − 2 = 2 people.
    org = Org({1: "/1/", 2: "/1/2/"}, {0: {1: 2, 2: 5}})
    assert isolatable_small_sets(org, 0, {1, 2}, 5) == [(1,)]
    gate = ReportingGate.build(org.paths, {0: org.sizes(0)}, 5)
    assert gate.shown[0] == frozenset({1})


def test_a_refused_cell_says_why() -> None:
    org = Org({1: "/1/", 2: "/1/2/", 3: "/1/3/"}, {0: {1: 0, 2: 6, 3: 3}})
    gate = ReportingGate.build(org.paths, {0: org.sizes(0)}, 5)
    assert gate.verdict(0, 1).shown
    assert gate.verdict(0, 3).reason == FEWER_THAN_K.format(k=5) == "fewer than 5 responses"
    assert gate.verdict(0, 2).reason == PROTECTS_OTHERS  # 9 − 6 would expose unit 3
    assert gate.verdict(7, 1).reason == "fewer than 5 responses"  # an unknown slice
