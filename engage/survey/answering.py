"""Answering a survey: find the ballot behind a token or kiosk code, and submit it.

A submit marks the invitation spent (no time recorded) and stores the response in one
transaction; the response row carries no reference to the invitation or the person.
Concurrent submits of one token store exactly one response: the conditional UPDATE lets
only one of them through.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from engage import clock
from engage.db.bulk import fetch
from engage.db.sqlite_writer import is_sqlite, write_transaction
from engage.db.tables import Invitation, SurveyItem, SurveyItemText
from engage.survey.response_store import NewResponse, insert_responses
from surveys.answers import Invalid, Submission, parse_submission
from surveys.items import ENPS, default_bank
from surveys.tokens import kiosk_hash, normalise_kiosk_code, token_hash


class Problem(StrEnum):
    """Why a token or code cannot be used (keys of the page strings)."""

    unknown = "problem_unknown"
    closed = "problem_closed"
    not_open = "problem_not_open"


@dataclass(frozen=True, slots=True)
class Item:
    """One question as shown: code, kind and text in the chosen language."""

    code: str
    kind: str
    text: str


@dataclass(frozen=True, slots=True)
class Ballot:
    """What the answering page needs; no person, no invitation id."""

    wave_name: str
    closes_on: date
    language: str
    items: tuple[Item, ...]
    min_group_size: int
    min_comment_group_size: int

    @property
    def likert_codes(self) -> list[str]:
        """Codes of the 1–5 items, in order."""
        return [i.code for i in self.items if i.kind == "likert"]

    @property
    def asks_enps(self) -> bool:
        """Whether the eNPS question is part of this wave."""
        return any(i.kind == "enps" for i in self.items)


@dataclass(frozen=True, slots=True)
class Credential:
    """A token from a link or a code typed at a kiosk, reduced to its stored hash."""

    column: str  # token_hash (a link, emailed or printed) or kiosk_hash
    digest: str

    @classmethod
    def from_token(cls, token: str) -> Credential:
        """The credential of an invitation link (from an email or a printed QR code)."""
        return cls("token_hash", token_hash(token))

    def where(self) -> tuple[str, tuple[str, ...]]:
        """SQL condition on ``invitation`` (``{}`` placeholders) and its parameters."""
        if self.column == "token_hash":
            return "(token_hash = {} OR slip_token_hash = {})", (self.digest, self.digest)
        return "kiosk_hash = {}", (self.digest,)

    @classmethod
    def from_kiosk_code(cls, code: str) -> Credential | None:
        """The credential of a typed kiosk code, or None if it cannot be a code."""
        normal = normalise_kiosk_code(code)
        return cls("kiosk_hash", kiosk_hash(normal)) if normal else None


async def item_texts(codes: list[str], language: str) -> list[Item]:
    """The wave's items with the organisation's wording, else the shipped one."""
    bank = default_bank()
    kinds = {
        r["code"]: r["kind"]
        for r in await SurveyItem.select(SurveyItem.code, SurveyItem.kind)
        .where(SurveyItem.code.is_in(codes or [""]))
        .run()
    }
    overrides: dict[tuple[str, str], str] = {
        (r["item.code"], r["language"]): r["text"]
        for r in await SurveyItemText.select(
            SurveyItemText.item._.code, SurveyItemText.language, SurveyItemText.text
        )
        .where(SurveyItemText.item._.code.is_in(codes or [""]))
        .run()
    }
    chosen = bank.language(language).code
    items = []
    shipped = bank.language(chosen).items
    for code in codes:
        # the person's language first (ours, then the shipped text), English only after that
        text = (
            overrides.get((code, chosen))
            or shipped.get(code)
            or overrides.get((code, "en"))
            or bank.languages["en"].items.get(code)
            or code
        )
        items.append(Item(code=code, kind=kinds.get(code, "likert"), text=text))
    return items


async def find_ballot(credential: Credential, language: str | None = None) -> Ballot | Problem:
    """The ballot a credential opens, or why it cannot be used. Changes nothing."""
    condition = (
        (Invitation.token_hash == credential.digest)
        | (Invitation.slip_token_hash == credential.digest)
        if credential.column == "token_hash"
        else Invitation.kiosk_hash == credential.digest
    )
    row = (
        await Invitation.select(
            Invitation.spent,
            Invitation.language,
            Invitation.wave._.name,
            Invitation.wave._.status,
            Invitation.wave._.opens_on,
            Invitation.wave._.closes_on,
            Invitation.wave._.item_codes,
            Invitation.wave._.min_group_size,
            Invitation.wave._.min_comment_group_size,
        )
        .where(condition)
        .first()
        .run()
    )
    if row is None:
        return Problem.unknown
    # A spent credential opens a ballot like any other (its second answer is not stored):
    # holding a link or a slip must not tell whether its owner answered (rule 7).
    if row["wave.status"] == "closed" or row["wave.closes_on"] < clock.today():
        return Problem.closed
    if row["wave.status"] != "open":
        return Problem.not_open
    lang = default_bank().language(language or row["language"]).code
    codes = [c for c in row["wave.item_codes"].split(",") if c]
    return Ballot(
        wave_name=row["wave.name"],
        closes_on=row["wave.closes_on"],
        language=lang,
        items=tuple(await item_texts(codes, lang)),
        min_group_size=row["wave.min_group_size"],
        min_comment_group_size=row["wave.min_comment_group_size"],
    )


@dataclass(frozen=True, slots=True)
class Stored:
    """A submission that was stored, with what the confirmation page shows."""

    submission: Submission
    language: str
    asked: int
    min_comment_group_size: int


class _Rollback(Exception):
    def __init__(self, invalid: Invalid) -> None:
        self.invalid = invalid


@contextlib.asynccontextmanager
async def _transaction(engine: Any) -> AsyncIterator[None]:
    # SQLite: one queued writer per process on a kept connection (see sqlite_writer).
    if is_sqlite(engine):
        async with write_transaction(engine):
            yield
        return
    async with engine.transaction():
        yield


async def _open_invitation(
    engine: Any, condition: str, params: tuple[Any, ...]
) -> dict[str, Any] | None:
    """The credential's invitation to a wave that is open today, or None.

    On PostgreSQL the wave's row is held (shared) until the caller's transaction ends, so
    a close, which marks the wave closed first, either waits for this answer (then
    publishes and rewrites it) or has closed the wave before it (nothing is stored).
    SQLite has one writer at a time, so the two cannot interleave there.
    """
    hold = "" if is_sqlite(engine) else " FOR SHARE OF w"
    found = await fetch(
        engine,
        "SELECT i.wave AS wave, i.unit AS unit, i.language AS language, "
        "w.item_codes AS item_codes, w.min_comment_group_size AS k_comments "
        f"FROM invitation i JOIN wave w ON w.id = i.wave WHERE {condition} "
        "AND w.status = 'open' AND w.closes_on >= {}" + hold,
        *params,
        clock.today(),
    )
    return dict(found[0]) if found else None


async def submit_form(
    credential: Credential, form: Mapping[str, str], language: str | None
) -> Stored | Invalid | Problem:
    """Spend the credential and store the validated answers, in one transaction.

    Invalid answers change nothing (the form comes back). A credential already spent gets
    the same confirmation and nothing is stored: the first answer stands, and whoever holds
    the credential learns nothing of whether its owner answered. This is the hot path: one
    connection, a handful of statements.
    """
    engine = Invitation._meta.db
    async with _transaction(engine):
        condition, params = credential.where()
        row = await _open_invitation(engine, condition, params)
        if row is None:
            return await _why_not(credential)
        codes = [c for c in str(row["item_codes"]).split(",") if c]
        likert = [c for c in codes if c != ENPS]
        parsed = parse_submission(form, likert, ENPS in codes)
        if isinstance(parsed, Invalid):
            return parsed  # nothing was written: the credential stays as it was
        chosen = default_bank().language(language or str(row["language"])).code
        spent = await fetch(
            engine,
            f"UPDATE invitation SET spent = TRUE WHERE {condition} AND spent = FALSE "
            "RETURNING wave",
            *params,
        )
        if spent:  # the first answer with this invitation; a later one is not stored
            await _store(engine, int(row["wave"]), int(row["unit"]), chosen, parsed)
    if spent and not is_sqlite(engine):
        # A new row version of the invitation, in another transaction, so the spent flag no
        # longer carries the same transaction id as the response (the minute job then
        # re-stamps all spent flags together).
        await Invitation.raw(f"UPDATE invitation SET spent = TRUE WHERE {condition}", *params).run()
    return Stored(
        submission=parsed,
        language=chosen,
        asked=len(likert),
        min_comment_group_size=int(row["k_comments"]),
    )


async def submit(credential: Credential, submission: Submission, language: str) -> Problem | None:
    """Spend the credential and store an already validated submission; None when accepted
    (also when the credential was spent before: then nothing is stored, as in
    ``submit_form``)."""
    engine = Invitation._meta.db
    async with _transaction(engine):
        condition, params = credential.where()
        if await _open_invitation(engine, condition, params) is None:
            return await _why_not(credential)
        spent = await fetch(
            engine,
            f"UPDATE invitation SET spent = TRUE WHERE {condition} AND spent = FALSE "
            "RETURNING wave, unit",
            *params,
        )
        if spent:
            await _store(engine, spent[0]["wave"], spent[0]["unit"], language, submission)
    return None


async def _store(engine: Any, wave: int, unit: int, language: str, submission: Submission) -> None:
    await insert_responses(
        engine,
        wave,
        [NewResponse(unit, language, submission.enps, submission.comment, submission.answers)],
    )


async def _why_not(credential: Credential) -> Problem:
    """Why a credential opens no open wave: unknown, not open yet or closed."""
    found = await find_ballot(credential)
    return found if isinstance(found, Problem) else Problem.closed
