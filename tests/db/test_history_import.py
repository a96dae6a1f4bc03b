"""Importing responses.csv: all or nothing, row-level errors, nothing linking back."""

from __future__ import annotations

from typing import Any

import pytest

from engage.csvio import ImportRejected
from engage.db.tables import Answer, Response, Wave
from engage.survey.history_import import import_responses
from tests.factories import build_small_org

HEADER = "wave,unit_id,respondent,E01,E02,E03,E04,E05,E06,E07,E08,E09,E10,E11,E12,ENPS,comment"


def csv(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def row(
    wave: str = "2025-03-15",
    unit: str = "T1",
    resp: str = "r1",
    values: str = "4,4,3,5,4,4,3,4,5,2,3,4",
    enps: str = "8",
    comment: str = "",
) -> str:
    return ",".join([wave, unit, resp, values, enps, comment])


@pytest.fixture(scope="module")
async def org(db: str) -> None:
    await build_small_org()


async def counts() -> tuple[int, int, int]:
    return await Wave.count().run(), await Response.count().run(), await Answer.count().run()


async def test_history_becomes_closed_imported_waves(org: None) -> None:
    before = await counts()
    data = csv(
        row(resp="a"),
        row(resp="b", values="5,5,5,5,5,5,5,5,5,5,5,", enps="", comment='"Good team, busy days"'),
        row(wave="2025-04-15", resp="a", unit="T2"),
    )
    summary = await import_responses(data)
    assert (summary.created, summary.rows) == (3, 3)
    after = await counts()
    assert (
        after[0] - before[0] == 2
        and after[1] - before[1] == 3
        and after[2] - before[2] == 12 + 11 + 12
    )
    wave = await Wave.select().where(Wave.name == "Imported 2025-03-15").first().run()
    assert wave is not None and wave["status"] == "closed" and wave["imported"]
    comment = await Response.select(Response.comment).where(Response.comment.is_not_null()).run()
    assert [c["comment"] for c in comment] == ["Good team, busy days"]


async def test_cells_of_one_respondent_may_span_rows(org: None) -> None:
    data = csv(
        row(wave="2025-05-15", resp="x", values="4,4,4,4,4,4,,,,,,", enps=""),
        row(wave="2025-05-15", resp="x", values=",,,,,,3,3,3,3,3,3", enps="7"),
    )
    summary = await import_responses(data)
    assert summary.created == 1
    wave = await Wave.select(Wave.id).where(Wave.name == "Imported 2025-05-15").first().run()
    assert wave is not None
    assert await Answer.count().where(Answer.wave == wave["id"]).run() == 12


@pytest.mark.parametrize(
    ("data", "where", "reason"),
    [
        (csv(row(wave="15/03/2025")), (2, "wave"), "not a date"),
        (csv(row(unit="NOPE")), (2, "unit_id"), "unknown unit"),
        (csv(row(resp="")), (2, "respondent"), "is empty"),
        (csv(row(values="4,4,3,6,4,4,3,4,5,2,3,4")), (2, "E04"), "not an answer from 1 to 5"),
        (csv(row(values="4,4,3,0,4,4,3,4,5,2,3,4")), (2, "E04"), "not an answer from 1 to 5"),
        (csv(row(enps="11")), (2, "ENPS"), "0 to 10"),
        (csv(row(values=",,,,,,,,,,,", enps="")), (2, None), "no answers"),
        (csv(row(comment="x" * 2001)), (2, "comment"), "longer than"),
        (csv(row(resp="z"), row(resp="z", unit="T2")), (3, "unit_id"), "is in unit"),
        (
            csv(row(resp="z"), row(resp="z", values="5,4,3,5,4,4,3,4,5,2,3,4")),
            (3, "E01"),
            "differs",
        ),
        (csv(row(wave="2025-03-15")), (2, "wave"), "imported before"),
        (csv(row(wave="2099-01-15")), (2, "wave"), "in the future"),
        (
            csv(row(resp="q", enps="8"), row(resp="q", values=",,,,,,,,,,,", enps="6")),
            (3, "ENPS"),
            "differs",
        ),
        (
            csv(row(resp="q", comment="a"), row(resp="q", values=",,,,,,,,,,,", comment="b")),
            (3, "comment"),
            "differs",
        ),
        (csv(header="wave,unit_id,respondent,comment"), (1, None), "no item columns"),
        (b"wave,unit_id\n2025-01-15,T1\n", (1, "respondent"), "missing required column"),
    ],
)
async def test_bad_rows_are_named_and_nothing_changes(
    org: None, data: bytes, where: tuple[int, Any], reason: str
) -> None:
    before = await counts()
    with pytest.raises(ImportRejected) as info:
        await import_responses(data)
    assert any((e.row, e.column) == where and reason in e.reason for e in info.value.errors), [
        str(e) for e in info.value.errors
    ]
    assert await counts() == before


async def test_one_bad_row_among_many_imports_nothing(org: None) -> None:
    rows = [row(wave="2025-06-15", resp=f"r{i}") for i in range(500)]
    rows[317] = row(wave="2025-06-15", resp="bad", values="4,4,4,4,4,4,4,4,4,4,4,9")
    before = await counts()
    with pytest.raises(ImportRejected) as info:
        await import_responses(csv(*rows))
    assert [(e.row, e.column) for e in info.value.errors] == [(319, "E12")]
    assert await counts() == before


async def test_unknown_item_columns_are_named_in_the_summary(org: None) -> None:
    header = HEADER + ",E13"
    summary = await import_responses(csv(row(wave="2025-07-15") + ",5", header=header))
    assert "columns ignored as unknown items: E13" in summary.message()
