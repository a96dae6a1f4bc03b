"""Dashboard data from the database: sums per unit and closed wave, aggregated in SQL."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

import pandas as pd

from engage.db.engine import current_engine
from engage.db.tables import OrgSettings, Response, Unit, Wave
from engage.reporting.linkage_data import _needed
from reports.dashboard import Dashboard
from reports.gate import shown_units, subtree_totals
from surveys.anonymity import Thresholds
from surveys.items import ENGAGEMENT_CODES


@dataclass(frozen=True, slots=True)
class WaveInfo:
    """A closed wave as the dashboard lists it."""

    id: int
    name: str
    opens_on: date
    k: int
    k_comments: int


def _codes() -> str:
    return ", ".join(f"'{c}'" for c in ENGAGEMENT_CODES)  # constants, never user input


def _scores_sql(needed: dict[int, int]) -> str:
    ids = ", ".join(str(int(w)) for w in needed)
    cases = " ".join(f"WHEN {int(w)} THEN {n}" for w, n in needed.items())
    return f"""
SELECT r.unit AS unit, r.wave AS wave, COUNT(*) AS n, SUM(r.score) AS score_sum,
  SUM(r.score * r.score) AS score_sq_sum
FROM (
  SELECT a.unit AS unit, a.wave AS wave, AVG(CAST(a.value AS DOUBLE PRECISION)) AS score,
    COUNT(*) AS answered, CASE a.wave {cases} ELSE 8 END AS need
  FROM answer a WHERE a.wave IN ({ids}) AND a.item IN ({_codes()})
  GROUP BY a.response, a.unit, a.wave
) r WHERE r.answered >= r.need
GROUP BY r.unit, r.wave
"""


def _items_sql(ids: str) -> str:
    return f"""
SELECT unit, wave, item, COUNT(*) AS n, SUM(CASE WHEN value >= 4 THEN 1 ELSE 0 END) AS favourable
FROM answer WHERE wave IN ({ids}) AND item IN ({_codes()}) GROUP BY unit, wave, item
"""


def _enps_sql(ids: str) -> str:
    return f"""
SELECT unit, wave, COUNT(enps) AS n, SUM(CASE WHEN enps >= 9 THEN 1 ELSE 0 END) AS promoters,
  SUM(CASE WHEN enps <= 6 THEN 1 ELSE 0 END) AS detractors
FROM response WHERE wave IN ({ids}) AND enps IS NOT NULL GROUP BY unit, wave
"""


async def closed_waves() -> list[WaveInfo]:
    """Closed waves, newest first, with the thresholds frozen when they opened."""
    settings = await OrgSettings.select().first().run()
    default_k = int(settings["min_group_size"]) if settings else Thresholds().scores
    default_c = int(settings["min_comment_group_size"]) if settings else Thresholds().comments
    rows = await (
        Wave.select(
            Wave.id,
            Wave.name,
            Wave.opens_on,
            Wave.min_group_size,
            Wave.min_comment_group_size,
            Wave.item_codes,
        )
        .where(Wave.status == "closed")
        .order_by(Wave.opens_on, ascending=False)
        .run()
    )
    return [
        WaveInfo(
            id=int(r["id"]),
            name=str(r["name"]),
            opens_on=r["opens_on"],
            k=int(r["min_group_size"] or default_k),
            k_comments=int(r["min_comment_group_size"] or default_c),
        )
        for r in rows
    ]


async def unit_paths() -> dict[int, str]:
    """Every unit's materialised path."""
    return {int(r["id"]): str(r["path"]) for r in await Unit.select(Unit.id, Unit.path).run()}


#: Built dashboards by (closed waves, k, org tree): closed waves do not change, so each
#: worker reuses what it built until a wave closes or the tree changes. Not shared state:
#: any worker can build its own.
_BUILT: dict[tuple[object, ...], Dashboard] = {}
_KEEP = 4


async def load_dashboard(waves: list[WaveInfo]) -> Dashboard:
    """Scores, items and eNPS of these waves, gated with the strictest of their k."""
    paths = await unit_paths()
    k = max((w.k for w in waves), default=Thresholds().scores)
    key = (current_engine(), tuple(w.id for w in waves), k, tuple(sorted(paths.items())))
    cached = _BUILT.get(key)
    if cached is not None:
        return cached
    built = await _build_dashboard(waves, paths, k)
    if len(_BUILT) >= _KEEP:
        _BUILT.pop(next(iter(_BUILT)))
    _BUILT[key] = built
    return built


async def _build_dashboard(waves: list[WaveInfo], paths: dict[int, str], k: int) -> Dashboard:
    if not waves:
        empty = pd.DataFrame()
        return Dashboard(empty, empty, empty, paths, k)
    item_codes = {
        int(r["id"]): str(r["item_codes"] or "")
        for r in await Wave.select(Wave.id, Wave.item_codes)
        .where(Wave.id.is_in([w.id for w in waves]))
        .run()
    }
    needed = {
        w: _needed(
            len([c for c in codes.split(",") if c in ENGAGEMENT_CODES]) or len(ENGAGEMENT_CODES)
        )
        for w, codes in item_codes.items()
    }
    ids = ", ".join(str(w.id) for w in waves)
    scores = pd.DataFrame(await Response.raw(_scores_sql(needed)).run())
    items = pd.DataFrame(await Response.raw(_items_sql(ids)).run())
    enps = pd.DataFrame(await Response.raw(_enps_sql(ids)).run())
    for frame in (scores, items, enps):
        for column in frame.columns:
            if column != "item":
                frame[column] = pd.to_numeric(frame[column])
    return Dashboard(scores, items, enps, paths, k)


async def comments(unit_path: str, wave: WaveInfo, paths: dict[int, str]) -> list[str] | None:
    """Comments of a unit's subtree in a wave, shuffled; None when the group is too small.

    Rule 6: only for groups of at least the comment threshold, and never for a group whose
    comments could be told apart from a shown neighbour's (the gate, with that threshold).
    """
    rows = await Response.raw(
        "SELECT unit, COUNT(*) AS n FROM response WHERE wave = {} GROUP BY unit", wave.id
    ).run()
    direct = {int(r["unit"]): int(r["n"]) for r in rows}
    allowed = shown_units(paths, subtree_totals(direct, paths), wave.k_comments)
    unit = next((u for u, p in paths.items() if p == unit_path), None)
    if unit is None or unit not in allowed:
        return None
    units = [u for u, p in paths.items() if p.startswith(unit_path)]
    texts = [
        str(r["comment"])
        for r in await Response.select(Response.comment)
        .where(Response.wave == wave.id, Response.unit.is_in(units), Response.comment.is_not_null())
        .run()
        if r["comment"]
    ]
    random.SystemRandom().shuffle(texts)
    return texts
