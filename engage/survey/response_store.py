"""The one writer of response and answer rows (DESIGN.md rules 1 and 2).

Answering, closing a wave (the rewrite under new keys) and the history import all store
responses through ``insert_responses``: a random UUID4 key per response and per answer, the
wave, the unit, the language, the answers and the optional comment — and nothing else, no
time, no person, no invitation. Callers open the transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from engage.db.bulk import executemany
from surveys.items import ENPS


@dataclass(frozen=True, slots=True)
class NewResponse:
    """One response to store: where it belongs and what it says (never who gave it)."""

    unit: int
    language: str
    enps: int | None
    comment: str | None
    answers: Mapping[str, int] = field(default_factory=dict)  # engagement and custom items
    key: uuid.UUID = field(default_factory=uuid.uuid4)


async def insert_responses(engine: Any, wave: int, responses: Sequence[NewResponse]) -> None:
    """Insert these responses and their answers, in this order, under random keys."""
    if not responses:
        return
    await executemany(
        engine,
        "INSERT INTO response (id, wave, unit, language, enps, comment) "
        "VALUES ({}, {}, {}, {}, {}, {})",
        [(r.key, wave, r.unit, r.language, r.enps, r.comment) for r in responses],
    )
    await executemany(
        engine,
        "INSERT INTO answer (id, response, wave, unit, item, value) "
        "VALUES ({}, {}, {}, {}, {}, {})",
        [
            (uuid.uuid4(), r.key, wave, r.unit, code, value)
            for r in responses
            for code, value in r.answers.items()
            if code != ENPS
        ],
    )
