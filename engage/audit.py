"""The audit log: who changed what. Never holds survey answers, tokens or IP addresses."""

from __future__ import annotations

from engage import clock
from engage.db.tables import AuditEvent


async def record(actor: str, action: str, detail: str = "") -> None:
    """Append one event (``actor`` is an email, or ``cli:…`` for command-line changes)."""
    await AuditEvent.insert(
        AuditEvent(at=clock.now(), actor=actor[:254], action=action[:64], detail=detail)
    ).run()


async def recent(limit: int = 200, offset: int = 0) -> list[dict[str, object]]:
    """The newest events first."""
    rows = (
        await AuditEvent.select(
            AuditEvent.at, AuditEvent.actor, AuditEvent.action, AuditEvent.detail
        )
        .order_by(AuditEvent.id, ascending=False)
        .limit(limit)
        .offset(offset)
        .run()
    )
    return list(rows)
