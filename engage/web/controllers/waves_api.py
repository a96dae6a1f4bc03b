"""Waves over the JSON API: list, create, open, close, response counts (scoped like the pages)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import JSONBody

from engage.auth.guards import current_user, requires_role
from engage.survey.waves import (
    MAX_NAME,
    Participation,
    WaveError,
    WaveSpec,
    close_wave,
    create_wave,
    list_waves,
    open_wave,
    unit_rates,
    wave_exists,
)
from engage.web.api_types import Codes, RowId, SomeCodes, visible_text
from engage.web.controllers.waves import visible_waves, waves_reaching
from engage.web.errors import RuleConflict


class ParticipationOut(msgspec.Struct):
    """How many answered, never exactly: between ``at_least`` and ``at_most``
    people (a band of at least k; ``band`` is ``few``, ``between`` or ``most``)."""

    invited: int
    band: str
    at_least: int
    at_most: int


class WaveOut(msgspec.Struct):
    """A wave; participation is organisation-wide and given to HR only."""

    id: int
    name: str
    opens_on: date
    closes_on: date
    status: str
    imported: bool
    participation: ParticipationOut | None
    responses: int | None


class WaveIn(msgspec.Struct):
    """A new draft wave."""

    name: Annotated[str, visible_text(MAX_NAME)]
    unit_ids: SomeCodes
    opens_on: date
    closes_on: date
    items: Codes = []


class UnitRateOut(msgspec.Struct):
    """A unit subtree's participation; null when hidden to protect a small group."""

    unit_id: str
    name: str
    participation: ParticipationOut | None


def _participation(p: Participation | None) -> ParticipationOut | None:
    return ParticipationOut(p.invited, p.band, p.low, p.high) if p else None


class Opened(msgspec.Struct):
    """The outcome of opening a wave."""

    id: int
    invited: int


class WavesApiController(Controller):
    """Waves: managers read within their area; HR creates, opens and closes."""

    path = "/api/waves"
    guards = [requires_role("manager")]
    tags = ["surveys"]

    @get("/", summary="Waves (managers: only those reaching their area, without org-wide counts)")
    async def list_all(self, request: Request[Any, Any, Any]) -> list[WaveOut]:
        """Every wave the caller may see, newest first."""
        user = current_user(request)
        waves = await visible_waves(user)
        hr = user.sees_whole_org
        return [
            WaveOut(
                id=w.id,
                name=w.name,
                opens_on=w.opens_on,
                closes_on=w.closes_on,
                status=w.status,
                imported=w.imported,
                participation=_participation(w.participation) if hr else None,
                responses=w.responses if hr and w.imported else None,
            )
            for w in waves
        ]

    @post(
        "/",
        summary="Create a draft wave",
        guards=[requires_role("hr")],
        status_code=201,
        raises=[RuleConflict],
    )
    async def create(self, request: Request[Any, Any, Any], data: JSONBody[WaveIn]) -> WaveOut:
        """Validate and store a draft; 400 names what is wrong."""
        spec = WaveSpec(
            data.name, tuple(data.unit_ids), data.opens_on, data.closes_on, tuple(data.items)
        )
        try:
            wave_id = await create_wave(spec, current_user(request).email)
        except WaveError as exc:
            raise RuleConflict(str(exc)) from None
        wave = next(w for w in await list_waves() if w.id == wave_id)
        return WaveOut(
            wave.id,
            wave.name,
            wave.opens_on,
            wave.closes_on,
            wave.status,
            wave.imported,
            None,
            None,
        )

    @post(
        "/{wave_id:int}/open",
        summary="Open a draft now",
        guards=[requires_role("hr")],
        status_code=200,
        raises=[RuleConflict],
    )
    async def open(self, request: Request[Any, Any, Any], wave_id: RowId) -> Opened:
        """Freeze thresholds and membership, invite the audience."""
        await _must_exist(wave_id)
        try:
            invited = await open_wave(wave_id, current_user(request).email)
        except WaveError as exc:
            raise RuleConflict(str(exc)) from None
        return Opened(id=wave_id, invited=invited)

    @post(
        "/{wave_id:int}/close",
        summary="Close an open wave now",
        guards=[requires_role("hr")],
        status_code=200,
        raises=[RuleConflict],
    )
    async def close(self, request: Request[Any, Any, Any], wave_id: RowId) -> dict[str, int]:
        """No more answers; invitations become per-unit counts."""
        await _must_exist(wave_id)
        try:
            await close_wave(wave_id, current_user(request).email)
        except WaveError as exc:
            raise RuleConflict(str(exc)) from None
        return {"id": wave_id}

    @get(
        "/{wave_id:int}/response-counts",
        summary="Answered of invited per unit, in the caller's scope",
    )
    async def counts(self, request: Request[Any, Any, Any], wave_id: RowId) -> list[UnitRateOut]:
        """Counts per unit subtree; null where fewer than k invitees or it would expose a group."""
        user = current_user(request)
        scope = user.scope_path()
        if scope is not None and wave_id not in await waves_reaching(scope):
            raise NotFoundException(f"no wave {wave_id}")
        try:
            rates = await unit_rates(wave_id, scope)
        except WaveError as exc:
            raise NotFoundException(str(exc)) from None
        return [
            UnitRateOut(r.unit_code, r.unit_name, _participation(r.participation)) for r in rates
        ]


async def _must_exist(wave_id: int) -> None:
    """404 for a wave that is not there (409 is for one a rule refuses)."""
    if not await wave_exists(wave_id):
        raise NotFoundException(f"no wave {wave_id}")
