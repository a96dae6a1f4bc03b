"""Waves: create a draft, open it (freezing thresholds and who is in which unit), close it.

Closing reduces the wave's invitations to per-unit counts and deletes them, then writes
its responses again in random order, so neither storage order nor the database's own
transaction stamps can tie a response to the moment (and the invitation) it came from.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from engage import audit, clock
from engage.db.bulk import executemany, fetch
from engage.db.tables import (
    Invitation,
    OrgSettings,
    ParticipationCount,
    Person,
    Response,
    SurveyItem,
    Unit,
    Wave,
    WaveAudience,
    WaveUnitCount,
)
from engage.reporting.publication import freeze_tree, frozen_or_current_paths, publish_wave
from engage.survey.response_store import NewResponse, insert_responses
from reports.gate import shown_units, subtree_totals
from surveys.anonymity import Thresholds
from surveys.participation import RECOUNT_EVERY_HOURS, Band, band, visible_bands

MAX_NAME = 200


class WaveError(ValueError):
    """A wave cannot be created or changed as asked; the message says why."""


@dataclass(frozen=True, slots=True)
class WaveSpec:
    """What HR fills in to create a wave."""

    name: str
    unit_codes: tuple[str, ...]
    opens_on: date
    closes_on: date
    item_codes: tuple[str, ...] = ()  # empty: every active item


@dataclass(frozen=True, slots=True)
class WaveRow:
    """A wave as the list shows it."""

    id: int
    name: str
    opens_on: date
    closes_on: date
    status: str
    imported: bool
    invited: int
    participation: Participation | None  # None: imported, draft, or under k invitees
    responses: int  # stored responses (history imports; closed waves)


async def create_wave(spec: WaveSpec, actor: str) -> int:
    """Validate and store a draft wave; return its id."""
    problems: list[str] = []
    name = spec.name.strip()
    if not name or len(name) > MAX_NAME:
        problems.append(f"name: enter 1 to {MAX_NAME} characters")
    if spec.closes_on < spec.opens_on:
        problems.append("closes_on: the wave cannot close before it opens")
    if spec.closes_on < clock.today():
        problems.append("closes_on: the closing date has already passed")
    if not spec.unit_codes:
        problems.append("audience: choose at least one unit")
    units = {
        r["code"]: r["id"]
        for r in await Unit.select(Unit.id, Unit.code)
        .where(Unit.code.is_in(list(spec.unit_codes) or [""]))
        .run()
    }
    unknown = [c for c in spec.unit_codes if c not in units]
    if unknown:
        problems.append(f"audience: unknown unit {', '.join(unknown)}")
    active = [
        r["code"]
        for r in await SurveyItem.select(SurveyItem.code)
        .where(SurveyItem.active == True)
        .order_by(SurveyItem.position)
        .run()
    ]
    items = list(spec.item_codes) or active
    bad_items = [c for c in items if c not in active]
    if bad_items:
        problems.append(f"items: unknown or retired item {', '.join(bad_items)}")
    if problems:
        raise WaveError("; ".join(problems))
    async with Wave._meta.db.transaction():
        row = (
            await Wave.insert(
                Wave(
                    name=name,
                    opens_on=spec.opens_on,
                    closes_on=spec.closes_on,
                    status="draft",
                    item_codes=",".join(items),
                    created_at=clock.now(),
                )
            )
            .returning(Wave.id)
            .run()
        )
        wave_id = int(row[0]["id"])
        await WaveAudience.insert(
            *[WaveAudience(wave=wave_id, unit=units[c]) for c in dict.fromkeys(spec.unit_codes)]
        ).run()
    await audit.record(actor, "wave.create", f"wave {wave_id} {name!r}")
    return wave_id


async def wave_exists(wave_id: int) -> bool:
    """Whether there is a wave with this id (whatever its state)."""
    return bool(await Wave.exists().where(Wave.id == wave_id).run())


async def open_wave(wave_id: int, actor: str) -> int:
    """Open a draft: freeze thresholds and invite everyone employed in the audience today.

    Each invitation keeps the unit its person is in now (DESIGN.md rule 5). Safe when
    several workers try at once: only one claims the draft. Returns how many were invited.
    """
    settings = await OrgSettings.select().first().run()
    assert settings is not None
    thresholds = Thresholds(settings["min_group_size"], settings["min_comment_group_size"])
    today = clock.today()
    engine = Wave._meta.db
    async with engine.transaction():
        claimed = await fetch(
            engine,
            "UPDATE wave SET status = 'open', min_group_size = {}, min_comment_group_size = {} "
            "WHERE id = {} AND status = 'draft' RETURNING id, closes_on",
            thresholds.scores,
            thresholds.comments,
            wave_id,
        )
        if not claimed:
            raise WaveError(f"wave {wave_id} is not a draft (already open, closed or missing)")
        paths = [
            r["unit.path"]
            for r in await WaveAudience.select(WaveAudience.unit._.path)
            .where(WaveAudience.wave == wave_id)
            .run()
        ]
        members: dict[int, tuple[int, str]] = {}
        for path in paths:
            rows = (
                await Person.select(Person.id, Person.unit, Person.language)
                .where(
                    Person.unit._.path.like(f"{path}%"),
                    Person.hired_on <= today,
                    (Person.left_on.is_null()) | (Person.left_on > today),
                )
                .run()
            )
            for r in rows:
                members[r["id"]] = (r["unit"], r["language"])
        await executemany(
            engine,
            "INSERT INTO invitation (wave, person, unit, language, spent) "
            "VALUES ({}, {}, {}, {}, {})",
            [(wave_id, pid, unit, lang, False) for pid, (unit, lang) in members.items()],
        )
        await freeze_tree(wave_id)
        await recount_participation(wave_id)
    await audit.record(actor, "wave.open", f"wave {wave_id}: {len(members)} invited")
    return len(members)


async def close_wave(wave_id: int, actor: str) -> None:
    """Close an open wave: publish its results, keep per-unit counts, delete invitations,
    shuffle responses — all in one transaction."""
    engine = Wave._meta.db
    async with engine.transaction():
        claimed = await fetch(
            engine,
            "UPDATE wave SET status = 'closed' WHERE id = {} AND status = 'open' "
            "RETURNING id, min_group_size",
            wave_id,
        )
        if not claimed:
            raise WaveError(f"wave {wave_id} is not open")
        k = int(claimed[0]["min_group_size"] or Thresholds().scores)
        await publish_wave(wave_id)
        totals = await _live_subtree_counts(wave_id, await frozen_or_current_paths(wave_id))
        # Only subtrees of at least k invitees are kept: no record says what one person did.
        await executemany(
            engine,
            "INSERT INTO wave_unit_count (wave, unit, invited, answered) VALUES ({}, {}, {}, {})",
            [(wave_id, unit, t[0], t[1]) for unit, t in totals.items() if t[0] >= k],
        )
        if engine.engine_type == "sqlite":
            await fetch(engine, "PRAGMA secure_delete = ON")
        await fetch(engine, "DELETE FROM invitation WHERE wave = {} RETURNING id", wave_id)
        await fetch(engine, "DELETE FROM participation_count WHERE wave = {} RETURNING id", wave_id)
        await rewrite_in_random_order(wave_id)
    await audit.record(actor, "wave.close", f"wave {wave_id}")
    await scrub_storage()


async def scrub_storage() -> None:
    """After a close: fold SQLite's write-ahead log into the file and empty it, or have
    PostgreSQL rewrite the response, answer and invitation tables and their indexes into new
    files (the old ones, with every pre-close key, token hash and row version, are deleted),
    so the open wave's history is not kept around.

    Best effort: a reader holding the SQLite log open delays the truncation; PostgreSQL's
    write-ahead log and copies made while the wave was open (backups, archived logs) are
    outside engage's reach. The rewrite locks the three tables while it runs.
    """
    engine = Response._meta.db
    if engine.engine_type == "sqlite":
        await engine.run_ddl("PRAGMA wal_checkpoint(TRUNCATE)")
    else:
        await engine.run_ddl("VACUUM FULL response, answer, invitation")


async def restamp_spent_invitations() -> None:
    """Rewrite the spent flags of open waves in one go (PostgreSQL stamps each row version
    with its transaction; re-stamping them together stops pairing a spent invitation with
    the response stored in the same transaction)."""
    await Invitation.raw(
        "UPDATE invitation SET spent = TRUE WHERE spent = TRUE AND wave IN "
        "(SELECT id FROM wave WHERE status = 'open')"
    ).run()


async def rewrite_in_random_order(wave_id: int) -> None:
    """Delete and re-insert a wave's responses and answers in a random order, with new keys.

    New keys mean that nothing seen of the wave while it was open (a backup, the SQLite
    write-ahead log, PostgreSQL's row versions) matches the rows that remain.
    """
    engine = Response._meta.db
    if engine.engine_type == "sqlite":
        await fetch(engine, "PRAGMA secure_delete = ON")  # deleted rows are overwritten
    responses = await fetch(
        engine, "SELECT id, unit, language, enps, comment FROM response WHERE wave = {}", wave_id
    )
    answers = await fetch(
        engine, "SELECT id, response, unit, item, value FROM answer WHERE wave = {}", wave_id
    )
    rng = random.SystemRandom()
    rng.shuffle(responses)
    by_response: dict[str, list[dict[str, Any]]] = {}
    for a in answers:
        by_response.setdefault(str(a["response"]), []).append(a)
    await fetch(engine, "DELETE FROM answer WHERE wave = {} RETURNING id", wave_id)
    await fetch(engine, "DELETE FROM response WHERE wave = {} RETURNING id", wave_id)
    await insert_responses(
        engine,
        wave_id,
        [
            NewResponse(
                unit=int(r["unit"]),
                language=str(r["language"]),
                enps=r["enps"],
                comment=r["comment"],
                answers={
                    str(a["item"]): int(a["value"]) for a in by_response.get(str(r["id"]), [])
                },
            )
            for r in responses
        ],
    )


async def list_waves() -> list[WaveRow]:
    """Every wave, newest first, with invited/answered counts (SQL aggregates)."""
    waves = await Wave.select().order_by(Wave.opens_on, ascending=False).run()
    # open waves: the last batch count (never the live one, which moves at each answer)
    live = {
        r["wave"]: r
        for r in await ParticipationCount.raw(
            "SELECT wave, SUM(invited) AS invited, SUM(answered) AS answered "
            "FROM participation_count GROUP BY wave"
        ).run()
    }
    kept = {
        r["wave"]: r
        for r in await WaveUnitCount.raw(
            # subtree totals: the audience's top units hold everyone (the largest row per wave)
            "SELECT c.wave, c.invited, c.answered FROM wave_unit_count c "
            "WHERE c.invited = (SELECT MAX(invited) FROM wave_unit_count m WHERE m.wave = c.wave)"
        ).run()
    }
    responses = {
        r["wave"]: r["n"]
        for r in await Response.raw("SELECT wave, COUNT(*) AS n FROM response GROUP BY wave").run()
    }
    out = []
    for w in waves:
        counts = live.get(w["id"]) or kept.get(w["id"]) or {}
        invited = int(counts.get("invited") or 0)
        k = int(w["min_group_size"] or Thresholds().scores)
        out.append(
            WaveRow(
                id=w["id"],
                name=w["name"],
                opens_on=w["opens_on"],
                closes_on=w["closes_on"],
                status=w["status"],
                imported=w["imported"],
                invited=invited,
                participation=participation(invited, int(counts.get("answered") or 0), k)
                if invited >= k
                else None,
                responses=int(responses.get(w["id"], 0)),
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class Participation:
    """How many of ``invited`` answered, as a band of at least k people (never a number).

    ``band`` is ``few`` (from none up to ``high``), ``most`` (from ``low`` up to everyone)
    or ``between``; see ``surveys.participation`` for why no band, alone or beside the
    others shown, says that everyone or no one in a group answered.
    """

    invited: int
    band: str
    low: int
    high: int

    @classmethod
    def of(cls, found: Band) -> Participation:
        """The page form of a band."""
        return cls(found.invited, found.kind, found.low, found.high)

    def text(self) -> str:
        """Words for the pages."""
        if self.band == "few":
            return f"fewer than {self.high + 1} of {self.invited} have answered"
        if self.band == "most":
            return f"{self.low} or more of {self.invited} have answered"
        return f"between {self.low} and {self.high} of {self.invited} have answered"


def participation(invited: int, answered: int, k: int) -> Participation | None:
    """The band of ``answered`` out of ``invited``, or None where only one band exists."""
    found = band(invited, answered, k)
    return Participation.of(found) if found is not None else None


@dataclass(frozen=True, slots=True)
class UnitRate:
    """A unit's participation; None when it has fewer than k invitees or would expose some."""

    unit_code: str
    unit_name: str
    depth: int
    participation: Participation | None


async def unit_rates(wave_id: int, scope_path: str | None) -> list[UnitRate]:
    """Per-unit response counts of a wave within a viewer's scope (DESIGN.md rule 7).

    Units are shown with their whole subtree's invitees; a unit with fewer than the
    wave's k invitees shows no counts at all.
    """
    wave = await Wave.select().where(Wave.id == wave_id).first().run()
    if wave is None:
        raise WaveError(f"no wave {wave_id}")
    k = wave["min_group_size"] or Thresholds().scores
    # the tree frozen when the wave opened: a later re-organisation changes nothing here
    paths = await frozen_or_current_paths(wave_id)
    if wave["status"] == "closed":
        # closing kept only subtree totals of units with at least k invitees
        totals = {
            r["unit"]: [int(r["invited"]), int(r["answered"])]
            for r in await WaveUnitCount.select(
                WaveUnitCount.unit, WaveUnitCount.invited, WaveUnitCount.answered
            )
            .where(WaveUnitCount.wave == wave_id)
            .run()
        }
    else:
        totals = await _counted_subtrees(wave_id, paths)
    query = Unit.select(Unit.id, Unit.code, Unit.name, Unit.path, Unit.depth)
    if scope_path is not None:
        query = query.where(Unit.path.like(f"{scope_path}%"))
    units = await query.order_by(Unit.path).run()
    invited = {i: t[0] for i, t in totals.items()}
    allowed = shown_units(paths, invited, k)
    bands = visible_bands(paths, invited, {i: t[1] for i, t in totals.items()}, allowed, k)
    out = []
    for u in units:
        if not invited.get(u["id"]):
            continue
        found = bands.get(u["id"])
        out.append(
            UnitRate(
                unit_code=u["code"],
                unit_name=u["name"],
                depth=u["depth"],
                participation=Participation.of(found) if found is not None else None,
            )
        )
    return out


async def recount_participation(wave_id: int) -> None:
    """Count invited and answered per unit of an open wave now (the batch pages show)."""
    engine = Wave._meta.db
    async with engine.transaction():
        rows = await fetch(
            engine,
            "SELECT unit, COUNT(*) AS invited, "
            "SUM(CASE WHEN spent THEN 1 ELSE 0 END) AS answered "
            "FROM invitation WHERE wave = {} GROUP BY unit",
            wave_id,
        )
        await fetch(engine, "DELETE FROM participation_count WHERE wave = {} RETURNING id", wave_id)
        now = clock.now()
        await executemany(
            engine,
            "INSERT INTO participation_count (wave, unit, invited, answered, counted_at) "
            "VALUES ({}, {}, {}, {}, {})",
            [(wave_id, r["unit"], int(r["invited"]), int(r["answered"] or 0), now) for r in rows],
        )


async def recount_due() -> list[int]:
    """Recount the open waves last counted RECOUNT_EVERY_HOURS ago or more; their ids."""
    due_before = clock.now() - timedelta(hours=RECOUNT_EVERY_HOURS)
    rows = await Wave.raw(
        "SELECT w.id AS id FROM wave w WHERE w.status = 'open' AND NOT EXISTS "
        "(SELECT 1 FROM participation_count c WHERE c.wave = w.id AND c.counted_at > {})",
        due_before,
    ).run()
    for r in rows:
        await recount_participation(int(r["id"]))
    return [int(r["id"]) for r in rows]


async def participation_counted_at(wave_id: int) -> datetime | None:
    """When an open wave's participation was last counted (None: closed or never)."""
    row = (
        await ParticipationCount.select(ParticipationCount.counted_at)
        .where(ParticipationCount.wave == wave_id)
        .first()
        .run()
    )
    return row["counted_at"] if row else None


async def _counted_subtrees(wave_id: int, paths: dict[int, str]) -> dict[int, list[int]]:
    """Invited and answered per subtree of the frozen tree, as last counted (in batches)."""
    rows = (
        await ParticipationCount.select(
            ParticipationCount.unit, ParticipationCount.invited, ParticipationCount.answered
        )
        .where(ParticipationCount.wave == wave_id)
        .run()
    )
    if not rows and await Invitation.exists().where(Invitation.wave == wave_id).run():
        await recount_participation(wave_id)  # opened before counts were kept
        return await _counted_subtrees(wave_id, paths)
    direct = {r["unit"]: (int(r["invited"]), int(r["answered"])) for r in rows}
    return _subtree_totals(direct, paths)


async def _live_subtree_counts(wave_id: int, paths: dict[int, str]) -> dict[int, list[int]]:
    """Invited and answered per unit subtree of the wave's frozen tree right now (for the
    counts kept at close; SQL GROUP BY per unit)."""
    rows = await Invitation.raw(
        "SELECT unit, COUNT(*) AS invited, SUM(CASE WHEN spent THEN 1 ELSE 0 END) AS answered "
        "FROM invitation WHERE wave = {} GROUP BY unit",
        wave_id,
    ).run()
    direct = {r["unit"]: (int(r["invited"]), int(r["answered"] or 0)) for r in rows}
    return _subtree_totals(direct, paths)


def _subtree_totals(
    direct: dict[int, tuple[int, int]], paths: dict[int, str]
) -> dict[int, list[int]]:
    """[invited, answered] per unit subtree from the counts sitting directly in each unit."""
    invited = subtree_totals({u: c[0] for u, c in direct.items()}, paths)
    answered = subtree_totals({u: c[1] for u, c in direct.items()}, paths)
    return {u: [n, answered.get(u, 0)] for u, n in invited.items()}
