"""The organisation's item set: its own wording (e.g. licensed text) and its own items.

``items.csv`` has ``code,language,text``: a row for a shipped code (E01…E12, ENPS) replaces
the shipped wording in that language; a new code adds a custom 1–5 statement (it needs an
English text). All or nothing, like every import.
"""

from __future__ import annotations

import re

from engage.csvio import ErrorCollector, ImportSummary, Progress, read_csv
from engage.db.bulk import executemany
from engage.db.tables import SurveyItem, SurveyItemText
from surveys.items import ENGAGEMENT_CODES, ENPS, default_bank

WHAT = "items.csv"
CODE = re.compile(r"^[A-Z][A-Z0-9_]{1,15}$")
MAX_TEXT = 300


class ItemError(ValueError):
    """An item cannot be added or changed as asked."""


def _languages() -> set[str]:
    return set(default_bank().languages)


async def import_items(data: bytes, progress: Progress | None = None) -> ImportSummary:
    """Validate and apply an item wording file in one transaction."""
    table = read_csv(data, WHAT, required=("code", "language", "text"))
    existing = {
        r["code"]: r["id"] for r in await SurveyItem.select(SurveyItem.id, SurveyItem.code).run()
    }
    stored = {
        (r["item.code"], r["language"]): r["text"]
        for r in await SurveyItemText.select(
            SurveyItemText.item._.code, SurveyItemText.language, SurveyItemText.text
        ).run()
    }
    errors = ErrorCollector()
    languages = _languages()
    seen: dict[tuple[str, str], int] = {}
    wanted: dict[tuple[str, str], str] = {}
    for row_no, v in table.rows:
        code, language, text = v["code"].upper(), v["language"].lower(), v["text"]
        if not CODE.match(code):
            errors.add(
                row_no, "code", f"{v['code']!r} is not an item code (A–Z, digits, 2–16 long)"
            )
            continue
        if language not in languages:
            errors.add(
                row_no,
                "language",
                f"{v['language']!r}: the survey pages exist in {', '.join(sorted(languages))}",
            )
            continue
        if not text or len(text) > MAX_TEXT:
            errors.add(row_no, "text", f"enter 1 to {MAX_TEXT} characters")
            continue
        if (code, language) in seen:
            errors.add(
                row_no, "code", f"{code} in {language} is also on row {seen[code, language]}"
            )
            continue
        seen[code, language] = row_no
        wanted[code, language] = text
    new_codes = {code for code, _ in wanted} - set(existing)
    for code in sorted(new_codes):
        if (code, "en") not in wanted:
            errors.add(
                min(row for (c, _), row in seen.items() if c == code),
                "language",
                f"new item {code} needs an English text (the fallback language)",
            )
    errors.need_rows(table.rows, "items")
    errors.raise_if_any(WHAT)
    engine = SurveyItem._meta.db
    position = await _next_position()
    async with engine.transaction():
        for offset, code in enumerate(sorted(new_codes)):
            await SurveyItem.insert(
                SurveyItem(
                    code=code, kind="likert", element=None, position=position + offset, active=True
                )
            ).run()
        ids = {
            r["code"]: r["id"]
            for r in await SurveyItem.select(SurveyItem.id, SurveyItem.code).run()
        }
        await executemany(
            engine,
            "INSERT INTO survey_item_text (item, language, text) VALUES ({}, {}, {}) "
            "ON CONFLICT (item, language) DO UPDATE SET text = excluded.text",
            [(ids[code], language, text) for (code, language), text in wanted.items()],
        )
    changed = sum(1 for key, text in wanted.items() if key in stored and stored[key] != text)
    created = sum(1 for key in wanted if key not in stored)
    return ImportSummary(
        kind="items",
        rows=len(table.rows),
        created=created,
        updated=changed,
        unchanged=len(wanted) - created - changed,
        notes=(f"{len(new_codes)} new item{'s' if len(new_codes) != 1 else ''}",)
        if new_codes
        else (),
    )


async def _next_position() -> int:
    rows = (
        await SurveyItem.select(SurveyItem.position)
        .order_by(SurveyItem.position, ascending=False)
        .first()
        .run()
    )
    return int(rows["position"]) + 1 if rows else 1


async def set_active(code: str, active: bool) -> None:
    """Retire or restore an item (retired items are not offered for new waves)."""
    rows = (
        await SurveyItem.update({SurveyItem.active: active})
        .where(SurveyItem.code == code)
        .returning(SurveyItem.id)
        .run()
    )
    if not rows:
        raise ItemError(f"no item {code}")


async def item_table() -> list[dict[str, object]]:
    """Every item with its text in each shipped language (the organisation's, else shipped)."""
    bank = default_bank()
    overrides = {
        (r["item.code"], r["language"]): r["text"]
        for r in await SurveyItemText.select(
            SurveyItemText.item._.code, SurveyItemText.language, SurveyItemText.text
        ).run()
    }
    rows = []
    for item in await SurveyItem.select().order_by(SurveyItem.position).run():
        code = item["code"]
        texts = {}
        for language in sorted(bank.languages):
            own = overrides.get((code, language))
            shipped = bank.languages[language].items.get(code)
            texts[language] = {"text": own or shipped or "", "own": own is not None}
        rows.append(
            {
                **item,
                "texts": texts,
                "custom": code not in (*ENGAGEMENT_CODES, ENPS),
            }
        )
    return rows
