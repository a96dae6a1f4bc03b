"""Wave publications in the database: the frozen tree, the one pass over answers, storage.

``freeze_tree`` stores the org tree with a wave when it opens (or is imported);
``publish_wave`` computes the wave's results once — additive sums per leaf unit over its
scored respondents in one SQL pass, rolled up and gated by ``reports.publication`` — and
stores them with the comments that may be shown. Every page, export and report reads
these rows (``published_figures``), never the responses.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from engage.db.bulk import executemany, fetch
from engage.db.tables import Unit, Wave, WaveComment, WaveFigure, WaveTreeUnit
from engage.org.queries import managed_units
from engage.reporting.report_inputs import inputs_changed
from reports.publication import SUM_KEYS, Publication, publish
from surveys.anonymity import Thresholds
from surveys.items import ENGAGEMENT_CODES
from surveys.scoring import DETRACTOR_MAX, FAVOURABLE_MIN, MIN_ANSWERED_SHARE, PROMOTER_MIN


def needed_items(asked: int) -> int:
    """Engagement items a respondent must answer to have a score (two thirds, rounded up)."""
    return math.ceil(asked * MIN_ANSWERED_SHARE)


def asked_engagement_items(item_codes: str | None) -> int:
    """How many engagement items a wave asked (all twelve when it lists none)."""
    listed = [c for c in str(item_codes or "").split(",") if c in ENGAGEMENT_CODES]
    return len(listed) or len(ENGAGEMENT_CODES)


def leaf_sums_sql(need: int) -> str:
    """One pass over one wave's answers: SUM_KEYS per leaf unit over scored respondents.

    ``need`` is the number of engagement items a score needs; the wave id is the query's
    one parameter. Item codes and thresholds are constants, never user input.
    """
    codes = ENGAGEMENT_CODES
    items = ", ".join(f"'{c}'" for c in codes)
    pivot = ",\n    ".join(
        f"MAX(CASE WHEN a.item = '{c}' THEN a.value END) AS v_{c.lower()}" for c in codes
    )
    complete = f"r.answered = {len(codes)}"
    per_item = []
    for c in codes:
        v = f"r.v_{c.lower()}"
        per_item += [
            f"COUNT({v}) AS c_{c.lower()}",
            f"SUM({v}) AS s_{c.lower()}",
            f"SUM({v} * {v}) AS q_{c.lower()}",
            f"SUM(CASE WHEN {v} >= {FAVOURABLE_MIN} THEN 1 ELSE 0 END) AS f_{c.lower()}",
            f"SUM(CASE WHEN {complete} THEN {v} END) AS cs_{c.lower()}",
            f"SUM(CASE WHEN {complete} THEN {v} * {v} END) AS cq_{c.lower()}",
        ]
    item_columns = ",\n  ".join(per_item)
    return f"""
SELECT r.unit AS unit, COUNT(*) AS n,
  SUM(r.total / r.answered) AS score_sum,
  SUM((r.total / r.answered) * (r.total / r.answered)) AS score_sq_sum,
  SUM(r.fav) AS favourable, SUM(r.answered) AS answered,
  COUNT(p.enps) AS enps_n,
  SUM(CASE WHEN p.enps >= {PROMOTER_MIN} THEN 1 ELSE 0 END) AS promoters,
  SUM(CASE WHEN p.enps <= {DETRACTOR_MAX} THEN 1 ELSE 0 END) AS detractors,
  SUM(CASE WHEN {complete} THEN 1 ELSE 0 END) AS n_complete,
  SUM(CASE WHEN {complete} THEN r.total END) AS t_sum,
  SUM(CASE WHEN {complete} THEN r.total * r.total END) AS t_sq,
  {item_columns}
FROM (
  SELECT a.response AS response, a.unit AS unit, COUNT(*) AS answered,
    SUM(CAST(a.value AS DOUBLE PRECISION)) AS total,
    SUM(CASE WHEN a.value >= {FAVOURABLE_MIN} THEN 1 ELSE 0 END) AS fav,
    {pivot}
  FROM answer a
  WHERE a.wave = {{}} AND a.item IN ({items})
  GROUP BY a.response, a.unit
  HAVING COUNT(*) >= {int(need)}
) r
JOIN response p ON p.id = r.response
GROUP BY r.unit
"""


def scored_comments_sql(need: int) -> str:
    """Comments of one wave's scored respondents (unit, text); the wave id twice."""
    items = ", ".join(f"'{c}'" for c in ENGAGEMENT_CODES)
    return f"""
SELECT p.unit AS unit, p.comment AS comment FROM response p
WHERE p.wave = {{}} AND p.comment IS NOT NULL AND p.comment <> '' AND p.id IN (
  SELECT a.response FROM answer a WHERE a.wave = {{}} AND a.item IN ({items})
  GROUP BY a.response HAVING COUNT(*) >= {int(need)}
)
"""


async def freeze_tree(wave_id: int) -> None:
    """Store the org tree as it is now with the wave (once; at opening or import)."""
    engine = Wave._meta.db
    async with engine.transaction():  # joins the caller's transaction when there is one
        if await fetch(
            engine, "SELECT 1 AS x FROM wave_tree_unit WHERE wave = {} LIMIT 1", wave_id
        ):
            return
        units = await fetch(engine, "SELECT id, path FROM org_unit")
        await executemany(
            engine,
            "INSERT INTO wave_tree_unit (wave, unit, path) VALUES ({}, {}, {})",
            [(wave_id, int(u["id"]), str(u["path"])) for u in units],
        )


async def frozen_paths(wave_id: int) -> dict[int, str]:
    """The wave's tree as frozen when it opened: unit id → path."""
    rows = (
        await WaveTreeUnit.select(WaveTreeUnit.unit, WaveTreeUnit.path)
        .where(WaveTreeUnit.wave == wave_id)
        .run()
    )
    return {int(r["unit"]): str(r["path"]) for r in rows}


async def frozen_or_current_paths(wave_id: int) -> dict[int, str]:
    """The wave's frozen tree; today's tree for a draft (nothing is frozen before opening)."""
    paths = await frozen_paths(wave_id)
    if paths:
        return paths
    return {int(r["id"]): str(r["path"]) for r in await Unit.select(Unit.id, Unit.path).run()}


async def publish_wave(wave_id: int) -> Publication:
    """Compute and store a closed wave's publication (once: a second call changes nothing).

    Runs inside the caller's transaction when there is one (closing a wave publishes it in
    the same transaction).
    """
    engine = Wave._meta.db
    async with engine.transaction():  # joins the caller's transaction when there is one
        return await _publish(engine, wave_id)


async def _publish(engine: Any, wave_id: int) -> Publication:
    found = await fetch(
        engine,
        "SELECT min_group_size, min_comment_group_size, item_codes FROM wave WHERE id = {}",
        wave_id,
    )
    if not found:
        raise LookupError(f"no wave {wave_id}")
    wave = found[0]
    k = int(wave["min_group_size"] or Thresholds().scores)
    k_comments = int(wave["min_comment_group_size"] or Thresholds().comments)
    await freeze_tree(wave_id)  # a wave closed before trees were frozen: today's tree
    paths = {
        int(r["unit"]): str(r["path"])
        for r in await fetch(
            engine, "SELECT unit, path FROM wave_tree_unit WHERE wave = {}", wave_id
        )
    }
    need = needed_items(asked_engagement_items(wave["item_codes"]))
    rows = await fetch(engine, leaf_sums_sql(need), wave_id)
    leaf = pd.DataFrame(rows, columns=["unit", *SUM_KEYS]).apply(pd.to_numeric)
    publication = publish(leaf, paths, k, k_comments, preferred=await managed_units())
    if await fetch(engine, "SELECT 1 AS x FROM wave_figure WHERE wave = {} LIMIT 1", wave_id):
        return publication
    await executemany(
        engine,
        "INSERT INTO wave_figure (wave, unit, shown, reason, comments_shown, sums) "
        "VALUES ({}, {}, {}, {}, {}, {})",
        [
            (
                wave_id,
                u.unit,
                u.shown,
                u.reason,
                u.comments_shown,
                json.dumps(u.sums, sort_keys=True) if u.sums is not None else None,
            )
            for u in publication.units
        ],
    )
    await inputs_changed()  # the linkage report reads the publications
    with_comments = [u.unit for u in publication.units if u.comments_shown]
    covered = _covered_leaves(with_comments, paths)
    texts = [
        (int(r["unit"]), str(r["comment"]))
        for r in await fetch(engine, scored_comments_sql(need), wave_id, wave_id)
        if int(r["unit"]) in covered
    ]
    random.SystemRandom().shuffle(texts)
    await executemany(
        engine,
        "INSERT INTO wave_comment (wave, unit, text) VALUES ({}, {}, {})",
        [(wave_id, unit, text) for unit, text in texts],
    )
    return publication


def _covered_leaves(units: Iterable[int], paths: dict[int, str]) -> set[int]:
    """Units inside the subtree of any of ``units`` (on the frozen tree)."""
    prefixes = tuple(paths[u] for u in units if u in paths)
    return {leaf for leaf, path in paths.items() if prefixes and path.startswith(prefixes)}


async def publish_missing() -> int:
    """Publish every closed wave that has no publication yet (databases from before
    publications); returns how many. Their tree is today's: the best there is."""
    rows = await Wave.raw(
        "SELECT id FROM wave WHERE status = 'closed' AND id NOT IN "
        "(SELECT DISTINCT wave FROM wave_figure) ORDER BY id"
    ).run()
    for r in rows:
        await publish_wave(int(r["id"]))
    return len(rows)


@dataclass(frozen=True, slots=True)
class PublishedFigures:
    """Published rows of closed waves: one per (wave, unit) with respondents."""

    frame: pd.DataFrame  # wave, unit, shown, reason, comments_shown, then SUM_KEYS (NaN: withheld)


async def published_figures(wave_ids: Iterable[int]) -> PublishedFigures:
    """The stored publications of these waves as one frame (nothing is recomputed)."""
    ids = [int(w) for w in wave_ids]
    columns = ["wave", "unit", "shown", "reason", "comments_shown", *SUM_KEYS]
    if not ids:
        return PublishedFigures(pd.DataFrame(columns=columns))
    rows = (
        await WaveFigure.select(
            WaveFigure.wave,
            WaveFigure.unit,
            WaveFigure.shown,
            WaveFigure.reason,
            WaveFigure.comments_shown,
            WaveFigure.sums,
        )
        .where(WaveFigure.wave.is_in(ids))
        .run()
    )
    records = []
    for r in rows:
        sums = json.loads(r["sums"]) if r["sums"] else {}
        records.append(
            {
                "wave": int(r["wave"]),
                "unit": int(r["unit"]),
                "shown": bool(r["shown"]),
                "reason": r["reason"],
                "comments_shown": bool(r["comments_shown"]),
                **{key: sums.get(key, math.nan) for key in SUM_KEYS},
            }
        )
    return PublishedFigures(pd.DataFrame(records, columns=columns))


async def published_comments(
    wave_id: int, unit_path_prefix: str, paths: dict[int, str]
) -> list[str]:
    """The published comments of a wave from the frozen subtree whose path starts with the
    given prefix, in their stored (random) order."""
    leaves = [u for u, p in paths.items() if p.startswith(unit_path_prefix)]
    if not leaves:
        return []
    rows = (
        await WaveComment.select(WaveComment.text)
        .where(WaveComment.wave == wave_id, WaveComment.unit.is_in(leaves))
        .order_by(WaveComment.id)
        .run()
    )
    return [str(r["text"]) for r in rows]
