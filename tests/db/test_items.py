"""The organisation's own item wording and custom items, on both engines."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engage import clock
from engage.csvio import ImportRejected
from engage.db.tables import SurveyItem, SurveyItemText
from engage.survey.answering import Credential, Problem, find_ballot
from engage.survey.delivery import issue
from engage.survey.items_service import import_items, item_table, set_active
from engage.survey.waves import WaveError, WaveSpec, create_wave, open_wave
from tests.factories import build_small_org

TODAY = clock.today()


def items_csv(*rows: str) -> bytes:
    return ("code,language,text\n" + "\n".join(rows) + "\n").encode()


@pytest.fixture(scope="module")
async def org(db: str) -> None:
    await build_small_org()


async def test_own_wording_and_a_custom_item_reach_the_answering_page(org: None) -> None:
    summary = await import_items(
        items_csv(
            "E05,en,My team lead looks out for me.",
            "C01,en,Our booking system makes my day easier.",
            "C01,ru,Система записи облегчает мой день.",
        )
    )
    assert (summary.created, summary.rows) == (3, 3)
    wave = await create_wave(
        WaveSpec("Wording", ("T1",), TODAY, TODAY + timedelta(days=3), ("E05", "C01")), "hr"
    )
    await open_wave(wave, "hr")
    token = (await issue(wave, "token"))[0].secret
    ballot = await find_ballot(Credential.from_token(token), "en")
    assert not isinstance(ballot, Problem)
    assert [i.text for i in ballot.items] == [
        "My team lead looks out for me.",
        "Our booking system makes my day easier.",
    ]
    ru = await find_ballot(Credential.from_token(token), "ru")
    assert not isinstance(ru, Problem)
    # no Russian wording of our own for E05: the shipped Russian text, not our English one
    assert ru.items[0].text.startswith("Здесь люди") and ru.items[1].text.startswith("Система")


async def test_reimport_updates_wording(org: None) -> None:
    summary = await import_items(items_csv("E05,en,My team lead has my back."))
    assert (summary.created, summary.updated) == (0, 1)
    rows = (
        await SurveyItemText.select(SurveyItemText.text)
        .where(SurveyItemText.language == "en")
        .run()
    )
    assert "My team lead has my back." in {r["text"] for r in rows}


@pytest.mark.parametrize(
    ("row", "where", "reason"),
    [
        ("e 1,en,x", (2, "code"), "not an item code"),
        ("C02,de,Hallo", (2, "language"), "survey pages exist in"),
        ("C02,en,", (2, "text"), "1 to 300"),
        ("C02,ru,Только по-русски", (2, "language"), "needs an English text"),
    ],
)
async def test_bad_item_rows_change_nothing(
    org: None, row: str, where: tuple[int, str], reason: str
) -> None:
    before = (await SurveyItem.count().run(), await SurveyItemText.count().run())
    with pytest.raises(ImportRejected) as info:
        await import_items(items_csv(row))
    assert [(e.row, e.column) for e in info.value.errors] == [where]
    assert reason in info.value.errors[0].reason
    assert (await SurveyItem.count().run(), await SurveyItemText.count().run()) == before


async def test_duplicate_rows_are_refused(org: None) -> None:
    with pytest.raises(ImportRejected, match="also on row 2"):
        await import_items(items_csv("E01,en,A", "E01,en,B"))


async def test_a_retired_item_is_not_offered_for_new_waves(org: None) -> None:
    await set_active("C01", False)
    with pytest.raises(WaveError, match="retired item C01"):
        await create_wave(WaveSpec("x", ("T1",), TODAY, TODAY, ("C01",)), "hr")
    table = {row["code"]: row for row in await item_table()}
    assert table["C01"]["active"] is False and table["C01"]["custom"] is True
    await set_active("C01", True)
