"""Handing out invitations: fresh link tokens and kiosk codes, of which only hashes are kept.

A credential is made when it is delivered (printed or sent), never before, so nothing
secret waits in the database. Issuing again replaces the earlier credential of the same
kind for that invitation; spent invitations get none.
"""

from __future__ import annotations

from dataclasses import dataclass

from engage.db.bulk import executemany
from engage.db.tables import Invitation, Wave
from surveys.tokens import kiosk_hash, new_kiosk_code, new_token, normalise_kiosk_code, token_hash


class DeliveryError(ValueError):
    """Credentials cannot be issued for this wave; the message says why."""


@dataclass(frozen=True, slots=True)
class Issued:
    """One person's new credential, to print or send (never stored in clear)."""

    person_id: int
    name: str
    email: str | None
    unit_name: str
    language: str
    secret: str  # a link token or a kiosk code


COLUMNS = {"token": "token_hash", "slip": "slip_token_hash", "kiosk": "kiosk_hash"}


def _new_secret(kind: str) -> tuple[str, str]:
    """A fresh secret of ``kind`` and the hash stored for it."""
    if kind == "kiosk":
        code = new_kiosk_code()
        normal = normalise_kiosk_code(code)
        assert normal is not None
        return code, kiosk_hash(normal)
    token = new_token()
    return token, token_hash(token)


async def _selected(
    wave_id: int, unit_path: str | None, without_email_only: bool
) -> list[dict[str, object]]:
    wave = await Wave.select(Wave.status).where(Wave.id == wave_id).first().run()
    if wave is None:
        raise DeliveryError(f"no wave {wave_id}")
    if wave["status"] != "open":
        raise DeliveryError("invitations can be handed out only while the wave is open")
    query = Invitation.select(
        Invitation.id,
        Invitation.person,
        Invitation.spent,
        Invitation.language,
        Invitation.person._.name,
        Invitation.person._.email,
        Invitation.unit._.name,
    ).where(Invitation.wave == wave_id)
    if unit_path is not None:
        query = query.where(Invitation.unit._.path.like(f"{unit_path}%"))
    if without_email_only:
        query = query.where(Invitation.person._.email.is_null())
    rows = await query.order_by(Invitation.unit._.name).order_by(Invitation.person._.name).run()
    return list(rows)


async def issue(
    wave_id: int,
    kind: str,
    unit_path: str | None = None,
    without_email_only: bool = False,
) -> list[Issued]:
    """New credentials of ``kind`` (``token``: emailed link, ``slip``: printed link,
    ``kiosk``: printed code) for everyone selected in an open wave.

    Everyone gets a working credential, also people who have already answered: theirs opens
    a ballot like any other and a second answer is simply not stored, so neither a printed
    sheet nor typing its codes tells HR who has answered (DESIGN.md rule 7). Issuing again
    replaces earlier credentials of the same kind only; the other kinds keep working.
    """
    if kind not in COLUMNS:
        raise DeliveryError(f"unknown credential kind {kind!r}")
    rows = await _selected(wave_id, unit_path, without_email_only)
    issued: list[Issued] = []
    updates: list[tuple[str, int]] = []
    for r in rows:
        secret, digest = _new_secret(kind)
        updates.append((digest, int(str(r["id"]))))
        issued.append(
            Issued(
                person_id=int(str(r["person"])),
                name=str(r["person.name"]),
                email=r["person.email"] if isinstance(r["person.email"], str) else None,
                unit_name=str(r["unit.name"]),
                language=str(r["language"]),
                secret=secret,
            )
        )
    engine = Invitation._meta.db
    async with engine.transaction():
        await executemany(
            engine, f"UPDATE invitation SET {COLUMNS[kind]} = {{}} WHERE id = {{}}", updates
        )
    return issued


async def issue_for_person(person_id: int, kind: str = "token") -> tuple[str, str] | None:
    """A fresh credential for one person's unspent invitation to an open wave.

    Returns (wave name, secret), or None when they have nothing to answer.
    """
    row = (
        await Invitation.select(Invitation.id, Invitation.wave._.name)
        .where(
            Invitation.person == person_id,
            Invitation.spent == False,
            Invitation.wave._.status == "open",
        )
        .first()
        .run()
    )
    if row is None:
        return None
    secret, digest = _new_secret(kind)
    engine = Invitation._meta.db
    async with engine.transaction():
        await executemany(
            engine,
            f"UPDATE invitation SET {COLUMNS[kind]} = {{}} WHERE id = {{}}",
            [(digest, row["id"])],
        )
    return str(row["wave.name"]), secret


@dataclass(frozen=True, slots=True)
class Delivery:
    """How a wave's email invitations stand: mailed, waiting to be sent, and people with
    no address (who need a slip). Counted alike whether people answered or not."""

    mailed: int
    waiting: int
    no_email: int


async def delivery_counts(wave_id: int) -> Delivery:
    """The wave's invitations by email delivery (one GROUP BY over its invitations)."""
    rows = await Invitation.raw(
        "SELECT SUM(CASE WHEN p.email IS NOT NULL AND i.emailed_at IS NOT NULL THEN 1 ELSE 0 "
        "END) AS mailed, SUM(CASE WHEN p.email IS NOT NULL AND i.emailed_at IS NULL THEN 1 "
        "ELSE 0 END) AS waiting, SUM(CASE WHEN p.email IS NULL THEN 1 ELSE 0 END) AS no_email "
        "FROM invitation i JOIN person p ON p.id = i.person WHERE i.wave = {}",
        wave_id,
    ).run()
    row = rows[0] if rows else {}
    return Delivery(
        int(row.get("mailed") or 0), int(row.get("waiting") or 0), int(row.get("no_email") or 0)
    )
