"""Training never meets survey answers, and suggestions only use what the gate shows."""

from __future__ import annotations

import pytest

from engage.db.tables import Response, TrainingAssignment, Unit
from engage.reporting.dashboard_data import closed_waves, load_dashboard
from engage.survey.history_import import import_responses
from engage.training.recommend import recommend
from surveys.items import ENGAGEMENT_CODES
from tests.factories import build_small_org

pytestmark = pytest.mark.db


@pytest.fixture(scope="module")
async def units(db: str) -> dict[str, int]:
    await build_small_org()
    lines = ["wave,unit_id,respondent," + ",".join(ENGAGEMENT_CODES) + ",ENPS,comment"]
    # T4 (3) is under k; its parent L3 also has 6 respondents of its own
    sizes = {"T1": 7, "T2": 6, "T3": 6, "L3": 6, "T4": 3}
    for team, size in sizes.items():
        for r in range(size):
            # Riverside (T1, T2) answers E04 (recognition) low; everyone else high
            values = [
                "2" if (team in ("T1", "T2") and code == "E04") else str(4 + (r + i) % 2)
                for i, code in enumerate(ENGAGEMENT_CODES)
            ]
            lines.append(f"2025-04-15,{team},{team}-{r},{','.join(values)},8,")
    await import_responses(("\n".join(lines) + "\n").encode())
    return {r["code"]: int(r["id"]) for r in await Unit.select(Unit.id, Unit.code).run()}


def test_training_tables_hold_no_link_to_the_survey() -> None:
    survey_tables = {"response", "answer", "invitation", "wave", "wave_unit_count"}
    for column in TrainingAssignment._meta.foreign_key_columns:
        target = column._foreign_key_meta.resolved_references._meta.tablename
        assert target not in survey_tables, column._meta.name
    response_columns = {c._meta.name for c in Response._meta.columns}
    assert not response_columns & {"person", "assignment", "training", "user"}


async def _shown_riverside_unit(units: dict[str, int]) -> int:
    waves = await closed_waves()
    board = await load_dashboard(waves)
    shown = [u for u in ("T1", "T2", "L1") if board.engagement(units[u], waves[0].id).shown]
    assert shown, "the fixture must leave one Riverside unit shown"
    return units[shown[0]]


async def test_the_weakest_element_is_suggested_with_its_modules(units: dict[str, int]) -> None:
    advice = await recommend(await _shown_riverside_unit(units))
    assert advice.reason is None
    weakest = advice.gaps[0]
    assert weakest.code == "E04" and weakest.gap.clearly_below
    assert any("E04" in m.elements for m in weakest.modules)
    assert "recognising-good-work" in {m.code for m in weakest.modules}


async def test_suggestions_use_exactly_the_dashboards_figures(units: dict[str, int]) -> None:
    waves = await closed_waves()
    board = await load_dashboard(waves)
    unit = await _shown_riverside_unit(units)
    advice = await recommend(unit)
    assert advice.gaps
    for g in advice.gaps:
        shown = board.favourable(unit, waves[0].id, g.code)
        org = board.favourable(units["ROOT"], waves[0].id, g.code)
        assert shown.shown and org.shown
        assert g.gap.unit_pct == pytest.approx(shown.value)
        assert g.gap.org_pct == pytest.approx(org.value)


@pytest.mark.parametrize("code", ["T4"])
async def test_no_suggestion_for_a_group_under_k(units: dict[str, int], code: str) -> None:
    advice = await recommend(units[code])
    assert advice.gaps == () and advice.reason is not None
    assert "fewer than" in advice.reason


async def test_no_suggestion_that_would_give_away_a_hidden_sibling(units: dict[str, int]) -> None:
    # whatever the gate withholds anywhere in the tree gets no suggestion either
    board = await load_dashboard(await closed_waves())
    wave = (await closed_waves())[0].id
    for code in units:
        advice = await recommend(units[code])
        if not board.engagement(units[code], wave).shown:
            assert advice.gaps == () and advice.reason is not None
