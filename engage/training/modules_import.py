"""Import a training catalogue: ``code,language,title,summary,elements,outcomes,
duration_minutes,format,url`` — one row per module and language version.

All or nothing. ``elements``, ``outcomes``, ``duration_minutes`` and ``format`` belong to
the module: rows of one module that give them must agree; an empty cell keeps what another
row (or the stored module) says. Re-importing updates modules by code and versions by
language; modules missing from the file are left as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engage import clock
from engage.csvio import ErrorCollector, ImportSummary, Progress, read_csv
from engage.db.sqlite_writer import atomic
from engage.db.tables import TrainingModule
from engage.org.roster_import import normalise_language
from engage.training.catalogue import (
    CODE,
    FORMATS,
    MAX_SUMMARY,
    MAX_TITLE,
    STARTER_FILE,
    ModuleText,
    _upsert_text,
    check_minutes,
    check_targets,
    check_url,
)

WHAT = "modules.csv"
REQUIRED = ("code", "language", "title")
OPTIONAL = ("summary", "elements", "outcomes", "duration_minutes", "format", "url")
SHARED = ("elements", "outcomes", "duration_minutes", "format")


@dataclass(slots=True)
class _Planned:
    """One module as the file describes it."""

    first_row: int
    shared: dict[str, tuple[int, str]] = field(default_factory=dict)  # column → (row, value)
    texts: list[ModuleText] = field(default_factory=list)


def _plan(data: bytes, stored: dict[str, dict[str, object]]) -> dict[str, _Planned]:
    table = read_csv(data, WHAT, required=REQUIRED, optional=OPTIONAL)
    present = set(table.header)
    errors = ErrorCollector()
    planned: dict[str, _Planned] = {}
    seen: dict[tuple[str, str], int] = {}
    for row_no, v in table.rows:
        code = v["code"].lower()
        if not CODE.match(code):
            errors.add(
                row_no, "code", f"{v['code']!r} is not a short code (lowercase letters, digits, -)"
            )
            code = f"row-{row_no}"  # keep checking the row's other cells
        plan = planned.setdefault(code, _Planned(first_row=row_no))
        language = normalise_language(v["language"])
        if language is None:
            errors.add(
                row_no, "language", f"{v['language']!r} is not a language code (en, ru, zh …)"
            )
        elif (code, language) in seen:
            errors.add(
                row_no, "language", f"{code} in {language} is already on row {seen[code, language]}"
            )
        else:
            seen[code, language] = row_no
        title = v["title"]
        if not title:
            errors.add(row_no, "title", "is empty")
        elif len(title) > MAX_TITLE:
            errors.add(row_no, "title", f"is longer than {MAX_TITLE} characters")
        summary = v.get("summary", "") if "summary" in present else ""
        if len(summary) > MAX_SUMMARY:
            errors.add(row_no, "summary", f"is longer than {MAX_SUMMARY} characters")
        for column in SHARED:
            value = v[column] if column in present else ""
            if not value:
                continue
            earlier = plan.shared.get(column)
            if earlier is not None and earlier[1].lower() != value.lower():
                errors.add(
                    row_no,
                    column,
                    f"{value!r} differs from {earlier[1]!r} on row {earlier[0]} "
                    f"({column} belong to the module: every language row must agree)",
                )
            elif earlier is None:
                plan.shared[column] = (row_no, value)
        url = v["url"] if "url" in present else ""
        if language is not None:
            plan.texts.append(ModuleText(language, title, summary, url))
    for code, plan in planned.items():
        old = stored.get(code, {})
        shared = {
            c: (plan.shared[c][1] if c in plan.shared else str(old.get(c, "") or ""))
            for c in SHARED
        }
        where = plan.shared.get("elements", plan.shared.get("outcomes", (plan.first_row, "")))[0]
        _, _, reason = check_targets(shared["elements"], shared["outcomes"])
        if reason:
            errors.add(where, "elements/outcomes", f"module {code}: {reason}")
        if not shared["duration_minutes"]:
            errors.add(
                plan.first_row, "duration_minutes", f"module {code} needs a duration in minutes"
            )
        else:
            minutes, reason = check_minutes(shared["duration_minutes"])
            if minutes is None:
                errors.add(
                    plan.shared.get("duration_minutes", (plan.first_row, ""))[0],
                    "duration_minutes",
                    reason,
                )
        fmt = shared["format"].lower()
        if fmt not in FORMATS:
            errors.add(
                plan.shared.get("format", (plan.first_row, ""))[0],
                "format",
                f"module {code}: {fmt!r} is not one of {', '.join(FORMATS)}"
                if fmt
                else f"module {code} needs a format ({', '.join(FORMATS)})",
            )
        for text in plan.texts:
            reason = check_url(text.url, fmt)
            if reason:
                errors.add(plan.first_row, "url", f"module {code} ({text.language}): {reason}")
    errors.need_rows(table.rows, "modules")
    errors.raise_if_any(WHAT)
    for code, plan in planned.items():
        old = stored.get(code, {})
        for c in SHARED:
            if c not in plan.shared:
                plan.shared[c] = (plan.first_row, str(old.get(c, "") or ""))
    return planned


async def import_modules(data: bytes, progress: Progress | None = None) -> ImportSummary:
    """Check and store a catalogue file (all or nothing)."""
    stored = {r["code"]: r for r in await TrainingModule.select().run()}
    planned = _plan(data, stored)
    created = updated = unchanged = 0
    rows = sum(len(p.texts) for p in planned.values())
    engine = TrainingModule._meta.db
    async with atomic(engine):
        for code, plan in planned.items():
            els, outs, _ = check_targets(plan.shared["elements"][1], plan.shared["outcomes"][1])
            minutes, _ = check_minutes(plan.shared["duration_minutes"][1])
            values: dict[str, Any] = {
                "elements": ";".join(els),
                "outcomes": ";".join(outs),
                "duration_minutes": minutes,
                "format": plan.shared["format"][1].lower(),
            }
            changed = False
            if code in stored:
                module_id = int(str(stored[code]["id"]))
                if any(stored[code][k] != v for k, v in values.items()):
                    await (
                        TrainingModule.update(
                            {getattr(TrainingModule, k): v for k, v in values.items()}
                        )
                        .where(TrainingModule.id == module_id)
                        .run()
                    )
                    changed = True
            else:
                module_id = (
                    await TrainingModule.insert(
                        TrainingModule(code=code, created_at=clock.now(), **values)
                    ).run()
                )[0]["id"]
                created += 1
            for text in plan.texts:  # a new title or summary is a change of the module too
                changed = await _upsert_text(module_id, text) != "unchanged" or changed
            if code in stored:
                updated, unchanged = (
                    (updated + 1, unchanged) if changed else (updated, unchanged + 1)
                )
    return ImportSummary(
        kind="modules",
        rows=rows,
        created=created,
        updated=updated,
        unchanged=unchanged,
        notes=(f"{len(planned)} module{'s' if len(planned) != 1 else ''} in the file",),
    )


async def ensure_starter_catalogue() -> bool:
    """Load the shipped starter catalogue into an empty catalogue; True when it did.

    Modules are retired, never deleted, so this runs only on a new installation.
    """
    if await TrainingModule.exists().run() or not STARTER_FILE.is_file():
        return False
    await import_modules(STARTER_FILE.read_bytes())
    return True
