"""Dashboard data from the database: the closed waves and their stored publications."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from engage.db.engine import current_engine
from engage.db.tables import OrgSettings, Unit, Wave, WaveFigure
from engage.reporting.publication import frozen_paths, published_comments, published_figures
from reports.dashboard import Dashboard
from surveys.anonymity import Thresholds


@dataclass(frozen=True, slots=True)
class WaveInfo:
    """A closed wave as the dashboard lists it."""

    id: int
    name: str
    opens_on: date
    k: int
    k_comments: int


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


#: Dashboards by (engine, closed waves): publications never change, so each worker reuses
#: what it read until another wave closes. Not shared state: any worker can read its own.
_BUILT: dict[tuple[object, ...], Dashboard] = {}
_KEEP = 4


async def load_dashboard(waves: list[WaveInfo]) -> Dashboard:
    """The published figures of these waves (nothing is recomputed)."""
    k = max((w.k for w in waves), default=Thresholds().scores)
    key = (current_engine(), tuple(w.id for w in waves), k)
    cached = _BUILT.get(key)
    if cached is not None:
        return cached
    published = await published_figures([w.id for w in waves])
    built = Dashboard(published.frame, k)
    if len(_BUILT) >= _KEEP:
        _BUILT.pop(next(iter(_BUILT)))
    _BUILT[key] = built
    return built


async def comments(unit: int, wave: WaveInfo) -> list[str] | None:
    """The published comments of a unit's subtree in a wave; None when the group is too
    small (rule 6: only where the publication showed the unit's comments)."""
    row = (
        await WaveFigure.select(WaveFigure.comments_shown)
        .where(WaveFigure.wave == wave.id, WaveFigure.unit == unit)
        .first()
        .run()
    )
    if row is None or not row["comments_shown"]:
        return None
    paths = await frozen_paths(wave.id)
    if unit not in paths:
        return None
    return await published_comments(wave.id, paths[unit], paths)
