"""The org tree's materialised paths (``/root/…/unit/``): the one place that reads them."""

from __future__ import annotations


def path_ids(path: str) -> list[int]:
    """The unit ids on a path, root first and the unit itself last."""
    return [int(p) for p in path.strip("/").split("/") if p]


def parent_of(path: str) -> int | None:
    """The id of the unit's parent on its path; None for a root."""
    ids = path_ids(path)
    return ids[-2] if len(ids) > 1 else None
