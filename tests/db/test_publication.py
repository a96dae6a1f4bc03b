"""Wave publications against an insider: re-organisations, imports and mixed counting.

Each test plants answers and plays HR or a manager, who read the dashboards and the analysis
data set, change the tree or import more, and read again. The published figures must
not move, and nothing may cover a respondent without a score (DESIGN.md rule 5).
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from engage import clock
from engage.db.tables import Unit, Wave, WaveComment, WaveFigure, WaveTreeUnit
from engage.org.units_import import import_units
from engage.reporting.dashboard_data import closed_waves, comments, load_dashboard
from engage.reporting.linkage import analysis_data
from engage.reporting.publication import publish_wave, published_figures
from engage.survey.answering import Credential, submit
from engage.survey.delivery import issue
from engage.survey.history_import import import_responses
from engage.survey.waves import WaveSpec, close_wave, create_wave, open_wave, unit_rates
from surveys.answers import Submission
from surveys.items import ENGAGEMENT_CODES
from tests.factories import build_small_org, units_csv

pytestmark = pytest.mark.db

HEADER = "wave,unit_id,respondent," + ",".join(ENGAGEMENT_CODES) + ",ENPS,comment"
#: The lone team: one person whose answers an attacker wants.
LONE = "T3"
SECRET = "the-lone-person-wrote-this"


def _history(wave: str, sizes: dict[str, int], unscored: dict[str, int] | None = None) -> bytes:
    lines = [HEADER]
    for team, size in sizes.items():
        for r in range(size):
            values = ",".join(str(1 + (r + i + len(team)) % 5) for i in range(12))
            comment = SECRET if team == LONE else f"from {team} {r}"
            lines.append(f"{wave},{team},{team}-{r},{values},{(r * 3) % 11},{comment}")
    for team, size in (unscored or {}).items():
        for r in range(size):
            # 3 of 12 items, a strong eNPS and a comment: no score, so in no figure at all
            lines.append(f"{wave},{team},{team}-u{r},1,1,1,,,,,,,,,,10,unscored-{team}-{r}")
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture(scope="module")
async def org(db: str) -> None:
    await build_small_org()
    # Hilltop (L2 = T3) has one person; Riverside (L1) ten, Harbour six. The comment k is
    # 10, so North (R1 = 11) shows comments and Riverside (10) too.
    await import_responses(
        _history("2025-03-15", {"T1": 6, "T2": 4, LONE: 1, "T4": 6}, {"T1": 2, "T4": 1})
    )


async def _snapshot() -> tuple[dict[str, object], pd.DataFrame, dict[str, list[str] | None]]:
    waves = await closed_waves()
    board = await load_dashboard(waves)
    units = {r["code"]: r["id"] for r in await Unit.select(Unit.id, Unit.code).run()}
    figures: dict[str, object] = {}
    said: dict[str, list[str] | None] = {}
    for code, unit in units.items():
        for wave in waves:
            figures[f"{code}:{wave.id}:score"] = board.engagement(unit, wave.id)
            figures[f"{code}:{wave.id}:enps"] = board.enps(unit, wave.id)
            for item in ENGAGEMENT_CODES:
                figures[f"{code}:{wave.id}:{item}"] = board.favourable(unit, wave.id, item)
            texts = await comments(unit, wave)
            said[f"{code}:{wave.id}"] = sorted(texts) if texts is not None else None
    data = await analysis_data(clock.today())
    return figures, data.frame.sort_values(["unit_code", "month"]).reset_index(drop=True), said


async def test_a_reorganisation_after_the_wave_changes_no_published_figure(org: None) -> None:
    before = await _snapshot()
    # HR moves the one-person team under Riverside, then back under the region: the
    # location's figures before and after would differ by exactly that person.
    await import_units(units_csv(("T3", "Hilltop estheticians", "L1")))
    moved = await _snapshot()
    await import_units(units_csv(("L2", "Hilltop", "R2"), ("T3", "Hilltop estheticians", "L2")))
    again = await _snapshot()
    for after in (moved, again):
        assert after[0] == before[0]
        pd.testing.assert_frame_equal(after[1], before[1])
        assert after[2] == before[2]
    await import_units(units_csv(("L2", "Hilltop", "R1")))  # as it was for the next tests


async def test_the_lone_person_is_in_no_shown_figure_or_comment(org: None) -> None:
    figures, data, said = await _snapshot()
    assert all(not v.shown for k, v in figures.items() if k.startswith(("L2:", "T3:")))
    # North (R1) minus Riverside (L1) would be Hilltop: Riverside must be withheld
    assert any(v.shown for k, v in figures.items() if k.startswith("R1:"))
    assert not any(v.shown for k, v in figures.items() if k.startswith("L1:"))
    # comments only for groups of at least 10 respondents, and never beside a shown group
    # that differs by fewer than 10: ROOT (17) shows them, North (11) not (South has 6)
    wave = (await closed_waves())[0].id
    shown_with_comments = {k.split(":")[0] for k, texts in said.items() if texts is not None}
    assert shown_with_comments == {"ROOT"}
    assert SECRET in (said[f"ROOT:{wave}"] or [])
    assert data[data["unit_code"].isin(["L2", "T3"])]["engagement"].isna().all()


async def test_respondents_without_a_score_count_in_no_figure(org: None) -> None:
    figures, _, said = await _snapshot()
    wave = (await closed_waves())[0].id
    root = figures[f"ROOT:{wave}:score"]
    assert root.shown and root.n == 17  # 6 + 4 + 1 + 6 scored; the 3 unscored are not there
    published = (await published_figures([wave])).frame.set_index("unit")
    root_id = (await Unit.select(Unit.id).where(Unit.code == "ROOT").first().run())["id"]
    row = published.loc[root_id]
    assert row["enps_n"] == 17 and row["c_e01"] == 17  # not 20: their eNPS of 10 and E01 too
    assert all(not any(t.startswith("unscored") for t in texts or []) for texts in said.values())


async def test_a_later_import_or_republish_changes_nothing_published(org: None) -> None:
    wave = (await closed_waves())[0].id
    stored = await WaveFigure.select().where(WaveFigure.wave == wave).order_by(WaveFigure.id).run()
    texts = await WaveComment.count().where(WaveComment.wave == wave).run()
    await import_units(units_csv(("T5", "Hilltop new team", "L2")))
    await publish_wave(wave)
    await import_responses(_history("2025-04-15", {"T1": 6, "T4": 6}))
    assert (
        await WaveFigure.select().where(WaveFigure.wave == wave).order_by(WaveFigure.id).run()
    ) == stored
    assert await WaveComment.count().where(WaveComment.wave == wave).run() == texts
    # the new wave froze today's tree, with the new team in it
    newest = (await closed_waves())[0].id
    assert newest != wave
    frozen = await WaveTreeUnit.count().where(WaveTreeUnit.wave == newest).run()
    assert frozen == await Unit.count().run()


async def test_an_open_wave_keeps_the_tree_it_opened_with(org: None) -> None:
    # Invitations, participation and the publication all use the tree frozen at opening.
    today = clock.today()
    wave = await create_wave(
        WaveSpec("Pulse", ("ROOT",), today, today + timedelta(days=14)), "hr@acme.test"
    )
    await open_wave(wave, "hr@acme.test")
    frozen = {
        r["unit"]: r["path"]
        for r in await WaveTreeUnit.select().where(WaveTreeUnit.wave == wave).run()
    }
    rates_before = await _rates_by_code(wave)
    await import_units(units_csv(("T1", "Riverside front desk", "L2")))  # moved mid-wave
    assert await _rates_by_code(wave) == rates_before
    tokens = {i.name: i.secret for i in await issue(wave, "token")}
    for secret in tokens.values():
        assert None is await submit(
            Credential.from_token(secret),
            Submission(answers=dict.fromkeys(ENGAGEMENT_CODES, 4), enps=9, comment=None),
            "en",
        )
    await close_wave(wave, "hr@acme.test")
    assert {
        r["unit"]: r["path"]
        for r in await WaveTreeUnit.select().where(WaveTreeUnit.wave == wave).run()
    } == frozen
    t1 = (await Unit.select(Unit.id).where(Unit.code == "T1").first().run())["id"]
    l1 = (await Unit.select(Unit.id).where(Unit.code == "L1").first().run())["id"]
    assert frozen[t1].startswith(frozen[l1])  # T1 was under Riverside when the wave opened
    assert (await Wave.select(Wave.status).where(Wave.id == wave).first().run())["status"] == (
        "closed"
    )
    await import_units(units_csv(("T1", "Riverside front desk", "L1")))


async def _rates_by_code(wave: int) -> dict[str, object]:
    return {r.unit_code: r.participation for r in await unit_rates(wave, None)}


async def test_roster_changes_during_a_wave_are_in_the_audit_log(org: None) -> None:
    # Redirecting someone's email to HR's own address during a wave would send HR their
    # next reminder's working link; adding invented staff would fill a small team. Both
    # are fraud the gate cannot stop, so the audit log names them.
    from engage import audit
    from engage.imports import run_import
    from tests.factories import roster_csv

    today = clock.today()
    wave = await create_wave(
        WaveSpec("Audited", ("ROOT",), today, today + timedelta(days=14)), "hr@acme.test"
    )
    await open_wave(wave, "hr@acme.test")
    summary = await run_import(
        "roster",
        roster_csv(
            ("E4", "hr-inbox@acme.test", "Ezra Four", "T3", "employee", "en", "2023-01-10", ""),
            ("X1", "", "Xavier New", "T3", "employee", "en", "2024-01-10", ""),
        ),
        "hr@acme.test",
    )
    said = summary.message()
    assert "added while a wave is open: X1" in said
    assert "email changed while invited to an open wave" in said and "E4" in said
    logged = (await audit.recent(5))[0]
    assert logged["action"] == "import.roster" and "E4" in str(logged["detail"])
    await close_wave(wave, "hr@acme.test")
    quiet = await run_import(
        "roster",
        roster_csv(
            ("E4", "e4@acme.test", "Ezra Four", "T3", "employee", "en", "2023-01-10", ""),
        ),
        "hr@acme.test",
    )
    assert "open" not in quiet.message()  # no wave open: nothing to flag
