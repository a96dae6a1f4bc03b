"""Import ``responses.csv`` (history from a previous survey tool), all or nothing.

Columns: ``wave`` (a date), ``unit_id``, ``respondent`` (groups one response's cells; it is
never stored), then one column per item code, ``ENPS`` and ``comment``. Each wave date
becomes a closed, imported wave. Responses are stored in a random order, so the file's
order (which may follow submission times in the old tool) is not kept either.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from engage import clock
from engage.csvio import (
    ErrorCollector,
    ImportSummary,
    Progress,
    chunked,
    parse_iso_date,
    read_csv,
)
from engage.db.bulk import fetch
from engage.db.tables import OrgSettings, SurveyItem, Unit, Wave
from engage.reporting.publication import freeze_tree, publish_wave
from engage.survey.response_store import NewResponse, insert_responses
from surveys.answers import MAX_COMMENT
from surveys.items import ENPS, ENPS_SCALE, SCALE

WHAT = "responses.csv"
ITEM_LIKE = re.compile(r"^[a-z]{1,4}\d{1,3}$")


@dataclass(slots=True)
class _Response:
    wave: date
    unit: str
    first_row: int
    values: dict[str, int] = field(default_factory=dict)
    enps: int | None = None
    comment: str | None = None


async def import_responses(data: bytes, progress: Progress | None = None) -> ImportSummary:
    """Validate the whole file, then store every response of every wave in one transaction."""
    items = {
        r["code"]: r["kind"]
        for r in await SurveyItem.select(SurveyItem.code, SurveyItem.kind).run()
    }
    likert = [c for c, kind in items.items() if kind == "likert"]
    table = read_csv(
        data,
        WHAT,
        required=("wave", "unit_id", "respondent"),
        optional=(*(c.lower() for c in likert), ENPS.lower(), "comment"),
    )
    asked = [c for c in likert if c.lower() in table.header]
    has_enps = ENPS.lower() in table.header
    if not asked and not has_enps:
        header_problem = ErrorCollector()
        header_problem.add(1, None, "no item columns (E01 … E12, ENPS) in the header")
        header_problem.raise_if_any(WHAT)
    units = {r["code"]: r["id"] for r in await Unit.select(Unit.id, Unit.code).run()}
    today = clock.today()
    known = {c.lower() for c in items} | {"wave", "unit_id", "respondent", "comment"}
    ignored = [c for c in table.header if c and c not in known and ITEM_LIKE.match(c)]
    errors = ErrorCollector()
    responses: dict[tuple[date, str], _Response] = {}
    allowed = {str(v) for v in SCALE}
    allowed_enps = {str(v) for v in ENPS_SCALE}
    for row_no, v in table.rows:
        wave = parse_iso_date(v["wave"])
        if wave is None:
            errors.add(row_no, "wave", f"{v['wave']!r} is not a date YYYY-MM-DD")
            continue
        if wave > today:
            errors.add(row_no, "wave", f"{wave} is in the future: history has happened already")
            continue
        if v["unit_id"] not in units:
            errors.add(row_no, "unit_id", f"unknown unit {v['unit_id']!r}")
            continue
        if not v["respondent"]:
            errors.add(row_no, "respondent", "is empty")
            continue
        key = (wave, v["respondent"])
        response = responses.setdefault(key, _Response(wave, v["unit_id"], row_no))
        if response.unit != v["unit_id"]:
            errors.add(
                row_no,
                "unit_id",
                f"respondent {v['respondent']!r} is in unit {response.unit!r} on row "
                f"{response.first_row} of the same wave",
            )
            continue
        for code in asked:
            raw = v[code.lower()]
            if not raw:
                continue
            if raw not in allowed:
                errors.add(row_no, code, f"{raw!r} is not an answer from 1 to 5")
            elif response.values.setdefault(code, int(raw)) != int(raw):
                errors.add(row_no, code, "differs from the same respondent's earlier row")
        if has_enps and v[ENPS.lower()]:
            raw = v[ENPS.lower()]
            if raw not in allowed_enps:
                errors.add(row_no, ENPS, f"{raw!r} is not a number from 0 to 10")
            elif response.enps is not None and response.enps != int(raw):
                errors.add(row_no, ENPS, "differs from the same respondent's earlier row")
            else:
                response.enps = int(raw)
        comment = v.get("comment", "")
        if comment:
            if len(comment) > MAX_COMMENT:
                errors.add(row_no, "comment", f"is longer than {MAX_COMMENT} characters")
            elif response.comment is not None and response.comment != comment:
                errors.add(row_no, "comment", "differs from the same respondent's earlier row")
            else:
                response.comment = comment
    for response in responses.values():
        if not response.values and response.enps is None and response.comment is None:
            errors.add(response.first_row, None, "the response has no answers at all")
    errors.need_rows(table.rows, "responses")
    waves = sorted({w for w, _ in responses})
    already = {
        r["opens_on"]
        for r in await Wave.select(Wave.opens_on)
        .where(Wave.imported == True, Wave.opens_on.is_in(waves or [date(1900, 1, 1)]))
        .run()
    }
    for wave in sorted(already):
        first = min(r.first_row for (w, _), r in responses.items() if w == wave)
        errors.add(first, "wave", f"wave {wave} was imported before; delete it to import it again")
    errors.raise_if_any(WHAT)

    settings = await OrgSettings.select().first().run()
    assert settings is not None
    columns = ",".join([*asked, *([ENPS] if has_enps else [])])
    by_wave: dict[date, list[_Response]] = defaultdict(list)
    for (wave, _), response in responses.items():
        by_wave[wave].append(response)
    rng = random.SystemRandom()
    total = len(responses)
    done = 0
    engine = Wave._meta.db
    async with engine.transaction():
        for wave_date in waves:
            created = await fetch(
                engine,
                "INSERT INTO wave (name, opens_on, closes_on, status, item_codes, min_group_size, "
                "min_comment_group_size, imported, created_at) "
                "VALUES ({}, {}, {}, 'closed', {}, {}, {}, TRUE, {}) RETURNING id",
                f"Imported {wave_date.isoformat()}",
                wave_date,
                wave_date,
                columns,
                settings["min_group_size"],
                settings["min_comment_group_size"],
                clock.now(),
            )
            wave_id = created[0]["id"]
            batch = by_wave[wave_date]
            rng.shuffle(batch)
            for part in chunked(batch, 2000):
                await insert_responses(
                    engine,
                    wave_id,
                    [NewResponse(units[r.unit], "", r.enps, r.comment, r.values) for r in part],
                )
                done += len(part)
                if progress:
                    progress("saving responses", done, total)
            # published like a wave that closed here, on today's tree (rule 5)
            await freeze_tree(wave_id)
            await publish_wave(wave_id)
    return ImportSummary(
        kind="responses",
        rows=len(table.rows),
        created=total,
        updated=0,
        unchanged=0,
        notes=(
            f"{len(waves)} wave{'s' if len(waves) != 1 else ''} created",
            *(
                [f"columns ignored as unknown items: {', '.join(c.upper() for c in ignored)}"]
                if ignored
                else []
            ),
        ),
    )
