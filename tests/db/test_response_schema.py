"""The stored shape of a response cannot point at a person (DESIGN.md anonymity rule 1)."""

from __future__ import annotations

import re

from engage.db.engine import current_engine
from engage.db.tables import Answer, Response

FORBIDDEN = re.compile(
    r"person|employee|user|invit|token|kiosk|email|ip|addr|agent|time|date|_at$|created|"
    r"submitted|updated|seq|serial|order",
    re.IGNORECASE,
)


async def columns(table: str) -> dict[str, str]:
    engine = current_engine()
    if engine.engine_type == "sqlite":
        rows = await Response.raw(f"PRAGMA table_info({table})").run()
        return {r["name"]: r["type"].lower() for r in rows}
    rows = await Response.raw(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = {}",
        table,
    ).run()
    return {r["column_name"]: r["data_type"].lower() for r in rows}


async def test_response_holds_only_what_rule_1_allows(db: str) -> None:
    cols = await columns("response")
    assert set(cols) == {"id", "wave", "unit", "language", "enps", "comment"}
    assert "uuid" in cols["id"]


async def test_answer_holds_no_link_to_anyone(db: str) -> None:
    cols = await columns("answer")
    assert set(cols) == {"id", "response", "wave", "unit", "item", "value"}
    assert "uuid" in cols["id"]


async def test_no_forbidden_column_names(db: str) -> None:
    for table in ("response", "answer"):
        for name in await columns(table):
            assert not FORBIDDEN.search(name), f"{table}.{name}"


def test_the_name_check_would_catch_a_leak() -> None:
    for leak in ("person_id", "submitted_at", "ip_address", "user_agent", "invitation"):
        assert FORBIDDEN.search(leak)


def test_keys_are_random_uuids_not_sequences() -> None:
    assert Response._meta.primary_key.__class__.__name__ == "UUID"
    assert Answer._meta.primary_key.__class__.__name__ == "UUID"
