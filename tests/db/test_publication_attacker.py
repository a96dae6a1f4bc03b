"""The insider attacker of the publications: tree changes and imports between reads.

Hypothesis plays HR with planted answers: it re-parents units (``units.csv``), creates
units, moves people (``roster.csv``) and imports more waves of history, in any order, and
reads everything the dashboards and the analysis data set offer between the steps. It
keeps every figure it was shown and wins if

- a figure of a wave, once read, ever reads differently, or a unit gains a figure in a
  wave it had none in (a re-organisation would then tell the difference of two groups);
- or, by linear algebra over every group it was shown in a wave (on the wave's frozen
  tree, with the true number of respondents in each unit), it can isolate 1 … k − 1
  respondents.

The attacker's arithmetic is the one of ``tests/unit/test_gate.py``, independent of the
gate; its state carries over from one example to the next, so later examples attack an
organisation already re-organised by earlier ones.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from engage import clock
from engage.csvio import ImportRejected
from engage.db.tables import Person, Unit, WaveTreeUnit
from engage.org.roster_import import import_roster
from engage.org.units_import import import_units
from engage.reporting.dashboard_data import closed_waves, comments, load_dashboard
from engage.reporting.linkage import analysis_data
from engage.survey.history_import import import_responses
from reports.stats.linkage import DATASET_SCORE_COLUMNS
from surveys.items import ENGAGEMENT_CODES
from tests.factories import build_small_org, units_csv
from tests.unit.test_gate import Org, isolatable_small_sets

pytestmark = pytest.mark.db

HEADER = "wave,unit_id,respondent," + ",".join(ENGAGEMENT_CODES) + ",ENPS,comment"
CODES = ["ROOT", "R1", "R2", "L1", "L2", "L3", "T1", "T2", "T3", "T4"]
PEOPLE = ["RM1", "M1", "M3", "E1", "E2", "E3", "E4", "E5"]
K = 5  # the default threshold the small org keeps


class Attacker:
    """What the attacker has seen so far, and the truth it tries to recover."""

    def __init__(self) -> None:
        self.figures: dict[str, object] = {}  # "unit:wave:measure" → figure
        self.data: dict[tuple[str, str], dict[str, object]] = {}  # (unit, month) → scores
        self.shown: dict[int, set[int]] = {}  # wave → units shown
        self.planted: dict[str, dict[str, int]] = {}  # wave date → unit code → respondents
        self.next_month = 5

    def __repr__(self) -> str:  # hypothesis prints it with a failing example
        return f"Attacker(waves={sorted(self.planted)}, shown={self.shown})"


def _history(wave: str, sizes: dict[str, int]) -> bytes:
    lines = [HEADER]
    for unit, size in sizes.items():
        for r in range(size):
            values = ",".join(str(1 + (r * 7 + i + len(unit)) % 5) for i in range(12))
            lines.append(f"{wave},{unit},{wave}-{unit}-{r},{values},{(r * 3) % 11},c {unit} {r}")
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture(scope="module")
async def attacker(db: str) -> Attacker:
    await build_small_org()
    seen = Attacker()
    for wave, sizes in {
        "2025-03-15": {"T1": 6, "T2": 4, "T3": 1, "T4": 6, "L1": 2},
        "2025-04-15": {"T1": 5, "T2": 5, "T3": 2, "T4": 7, "R2": 3},
    }.items():
        await import_responses(_history(wave, sizes))
        seen.planted[wave] = sizes
    await _read(seen)
    return seen


async def _read(seen: Attacker) -> None:
    """Read every figure offered (every unit, wave and measure; comments; the data set)
    and check it against what was read before."""
    waves = await closed_waves()
    board = await load_dashboard(waves)
    units = {int(r["id"]): str(r["code"]) for r in await Unit.select(Unit.id, Unit.code).run()}
    for unit, code in units.items():
        for wave in waves:
            texts = await comments(unit, wave)
            read = {
                "score": board.engagement(unit, wave.id),
                "enps": board.enps(unit, wave.id),
                "comments": sorted(texts) if texts is not None else None,
                **{item: board.favourable(unit, wave.id, item) for item in ENGAGEMENT_CODES},
            }
            for measure, figure in read.items():
                key = f"{unit}:{wave.id}:{measure}"
                if key in seen.figures:
                    assert figure == seen.figures[key], (code, wave.name, measure)
                else:
                    seen.figures[key] = figure
            if read["score"].shown:
                seen.shown.setdefault(wave.id, set()).add(unit)
    frame = (await analysis_data(clock.today())).frame
    for row in frame.to_dict("records"):
        key = (str(row["unit_code"]), str(row["month"]))
        # the survey's columns only: outcomes (staff turnover …) follow the roster, rightly
        clean = {c: (None if pd.isna(row[c]) else row[c]) for c in DATASET_SCORE_COLUMNS}
        if key in seen.data:
            assert clean == seen.data[key], key
        else:
            seen.data[key] = clean


async def _frozen_org(wave_id: int, sizes: dict[str, int]) -> Org:
    """The wave's frozen tree with its true respondents per unit, as the attacker's model."""
    rows = await WaveTreeUnit.select(WaveTreeUnit.unit, WaveTreeUnit.path).where(
        WaveTreeUnit.wave == wave_id
    )
    paths = {int(r["unit"]): str(r["path"]) for r in rows}
    by_code = {str(r["code"]): int(r["id"]) for r in await Unit.select(Unit.id, Unit.code).run()}
    direct = {u: 0 for u in paths}
    for code, n in sizes.items():
        direct[by_code[code]] += n
    return Org(paths, {0: direct})


async def _name(code: str) -> str:
    row = await Unit.select(Unit.name).where(Unit.code == code).first().run()
    return str(row["name"]) if row else code


async def _moved(employee_id: str, code: str) -> bytes:
    """``roster.csv`` moving one person to another unit (the other columns as stored)."""
    p = await Person.select().where(Person.employee_id == employee_id).first().run()
    assert p is not None
    header = "employee_id,name,unit_id,hired_on"
    return f"{header}\n{employee_id},{p['name']},{code},{p['hired_on']}\n".encode()


steps = st.lists(
    st.one_of(
        st.tuples(st.just("move"), st.sampled_from(CODES[1:]), st.sampled_from(CODES)),
        st.tuples(st.just("new_unit"), st.sampled_from(CODES), st.integers(0, 3)),
        st.tuples(st.just("person"), st.sampled_from(PEOPLE), st.sampled_from(CODES)),
        st.tuples(
            st.just("history"),
            st.dictionaries(st.sampled_from(CODES), st.integers(1, 7), min_size=1, max_size=4),
        ),
        st.tuples(st.just("read")),
    ),
    min_size=1,
    max_size=5,
)


@settings(
    max_examples=8,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # a failing plan is short already
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(plan=steps)
async def test_no_tree_change_or_import_between_reads_gives_anyone_away(
    attacker: Attacker, plan: list[tuple]
) -> None:
    for step in plan:
        try:
            if step[0] == "move":  # HR re-parents a unit (a cycle is refused, as it must)
                _, code, parent = step
                await import_units(units_csv((code, await _name(code), parent)))
            elif step[0] == "new_unit":
                _, parent, n = step
                await import_units(units_csv((f"N{parent}{n}", f"New {parent} {n}", parent)))
            elif step[0] == "person":  # a roster import moves someone
                _, person, code = step
                await import_roster(await _moved(person, code))
            elif step[0] == "history":
                _, sizes = step
                month = attacker.next_month
                attacker.next_month += 1
                wave = f"{2025 + month // 12}-{month % 12 + 1:02d}-15"
                await import_responses(_history(wave, sizes))
                attacker.planted[wave] = sizes
        except ImportRejected:
            pass  # refused with its reasons and nothing changed; the next read checks it
        await _read(attacker)
    waves = {w.opens_on.isoformat(): w.id for w in await closed_waves()}
    for day, sizes in attacker.planted.items():
        wave_id = waves[day]
        org = await _frozen_org(wave_id, sizes)
        shown = attacker.shown.get(wave_id, set())
        assert isolatable_small_sets(org, 0, shown, K) == [], (day, sizes, shown)
