"""Pure helpers for the unit tree (no database)."""

from __future__ import annotations

from collections.abc import Mapping


def find_cycles(parent_of: Mapping[str, str | None]) -> list[list[str]]:
    """Every cycle in a child → parent map, each as the list of codes around it."""
    state: dict[str, int] = {}  # 0 unseen, 1 on the current walk, 2 done
    cycles: list[list[str]] = []
    for start in parent_of:
        if state.get(start):
            continue
        walk: list[str] = []
        node: str | None = start
        while node is not None and node in parent_of and not state.get(node):
            state[node] = 1
            walk.append(node)
            node = parent_of[node]
        if node is not None and state.get(node) == 1:
            cycles.append(walk[walk.index(node) :])
        for visited in walk:
            state[visited] = 2
    return cycles


def ancestors_path(code: str, parent_of: Mapping[str, str | None]) -> list[str]:
    """Codes from the root down to ``code`` (the tree must be acyclic)."""
    chain = [code]
    parent = parent_of.get(code)
    while parent is not None:
        chain.append(parent)
        parent = parent_of.get(parent)
    chain.reverse()
    return chain


def materialised_path(ids: list[int]) -> str:
    """The ``/id/…/id/`` string stored in ``org_unit.path`` for subtree queries."""
    return "/" + "/".join(str(i) for i in ids) + "/"
