"""The linkage report's data, aggregated in the database.

One pass over the answers of closed waves (GROUP BY response, then GROUP BY unit and wave)
returns additive sums per unit and wave: scored respondents and their score sums, item
sums for rwg(j), and the moments of complete responses for alpha. Sums roll up a subtree by
adding, so each unit that carries client metrics gets its subtree's engagement without a
second scan. Nothing here computes a statistic.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from engage.db.tables import ClientMetric, OrgSettings, Person, Response, Unit, Wave
from engage.reporting.training_data import training_cohorts
from reports.gate import shown_units, subtree_totals
from reports.stats.linkage import ALPHA_COLUMNS, LinkageInput
from surveys.anonymity import Thresholds
from surveys.items import ENGAGEMENT_CODES
from surveys.scoring import MIN_ANSWERED_SHARE

SCORE_COLUMNS = ["n", "score_sum", "score_sq_sum", "favourable", "answered"]
ENPS_COLUMNS = ["enps_n", "promoters", "detractors"]


@dataclass(frozen=True, slots=True)
class UnitInfo:
    """What the report needs of the org tree."""

    code: dict[int, str]
    name: dict[int, str]
    path: dict[int, str]


def _ancestors(path: str) -> list[int]:
    return [int(p) for p in path.strip("/").split("/") if p]


def _needed(asked: int) -> int:
    """Engagement items a respondent must answer to have a score (two thirds, rounded up)."""
    return math.ceil(asked * MIN_ANSWERED_SHARE)


def answers_sql(waves: dict[int, int]) -> str:
    """The one-pass aggregate over answers; ``waves`` maps closed wave id → items asked."""
    codes = ENGAGEMENT_CODES
    items = ", ".join(f"'{c}'" for c in codes)  # constants E01…E12, never user input
    ids = ", ".join(str(int(w)) for w in waves)
    need = " ".join(f"WHEN {int(w)} THEN {_needed(asked)}" for w, asked in waves.items())
    pivot = ",\n".join(
        f"MAX(CASE WHEN a.item = '{c}' THEN a.value END) AS v_{c.lower()}" for c in codes
    )
    full = len(codes)
    scored = "r.answered >= r.need"
    complete = f"r.answered = {full}"
    per_item = []
    for c in codes:
        v = f"r.v_{c.lower()}"
        per_item += [
            f"COUNT({v}) AS c_{c.lower()}",
            f"SUM({v}) AS s_{c.lower()}",
            f"SUM({v} * {v}) AS q_{c.lower()}",
            f"SUM(CASE WHEN {complete} THEN {v} END) AS cs_{c.lower()}",
            f"SUM(CASE WHEN {complete} THEN {v} * {v} END) AS cq_{c.lower()}",
        ]
    item_columns = ",\n  ".join(per_item)
    return f"""
SELECT r.unit AS unit, r.wave AS wave,
  SUM(CASE WHEN {scored} THEN 1 ELSE 0 END) AS n,
  SUM(CASE WHEN {scored} THEN r.total / r.answered END) AS score_sum,
  SUM(CASE WHEN {scored} THEN (r.total / r.answered) * (r.total / r.answered) END)
    AS score_sq_sum,
  SUM(CASE WHEN {scored} THEN r.fav ELSE 0 END) AS favourable,
  SUM(CASE WHEN {scored} THEN r.answered ELSE 0 END) AS answered,
  SUM(CASE WHEN {complete} THEN 1 ELSE 0 END) AS n_complete,
  SUM(CASE WHEN {complete} THEN r.total END) AS t_sum,
  SUM(CASE WHEN {complete} THEN r.total * r.total END) AS t_sq,
  {item_columns}
FROM (
  SELECT a.unit AS unit, a.wave AS wave,
    CASE a.wave {need} ELSE {_needed(full)} END AS need,
    COUNT(*) AS answered,
    SUM(CAST(a.value AS DOUBLE PRECISION)) AS total,
    SUM(CASE WHEN a.value >= 4 THEN 1 ELSE 0 END) AS fav,
    {pivot}
  FROM answer a
  WHERE a.wave IN ({ids}) AND a.item IN ({items})
  GROUP BY a.response, a.unit, a.wave
) r
GROUP BY r.unit, r.wave
"""


def enps_sql(waves: dict[int, int]) -> str:
    """eNPS counts per unit and wave from the response rows."""
    ids = ", ".join(str(int(w)) for w in waves)
    return f"""
SELECT unit, wave, COUNT(enps) AS enps_n,
  SUM(CASE WHEN enps >= 9 THEN 1 ELSE 0 END) AS promoters,
  SUM(CASE WHEN enps <= 6 THEN 1 ELSE 0 END) AS detractors
FROM response WHERE wave IN ({ids}) GROUP BY unit, wave
"""


async def closed_waves() -> pd.DataFrame:
    """Closed waves with their month, frozen k and number of engagement items asked."""
    rows = await (
        Wave.select(Wave.id, Wave.opens_on, Wave.item_codes, Wave.min_group_size)
        .where(Wave.status == "closed")
        .run()
    )
    frame = pd.DataFrame(rows, columns=["id", "opens_on", "item_codes", "min_group_size"])
    asked = []
    for codes in frame["item_codes"]:
        listed = [c for c in str(codes or "").split(",") if c in ENGAGEMENT_CODES]
        asked.append(len(listed) or len(ENGAGEMENT_CODES))
    frame["asked"] = asked
    frame["month"] = pd.PeriodIndex(pd.to_datetime(frame["opens_on"]), freq="M")
    frame["k"] = frame["min_group_size"].fillna(Thresholds().scores).astype(int)
    return frame


async def unit_info() -> UnitInfo:
    """Codes, names and paths of every unit."""
    rows = await Unit.select(Unit.id, Unit.code, Unit.name, Unit.path).run()
    return UnitInfo(
        code={r["id"]: r["code"] for r in rows},
        name={r["id"]: r["name"] for r in rows},
        path={r["id"]: r["path"] for r in rows},
    )


def analysis_map(units: UnitInfo, analysis: set[int]) -> tuple[pd.DataFrame, frozenset[int]]:
    """(unit → every analysis unit containing it) and the analysis units containing no other."""
    pairs = [
        (unit, ancestor)
        for unit, path in units.path.items()
        for ancestor in _ancestors(path)
        if ancestor in analysis
    ]
    containers: dict[int, int] = defaultdict(int)
    for unit, ancestor in pairs:
        if unit != ancestor and unit in analysis:
            containers[ancestor] += 1
    lowest = frozenset(a for a in analysis if not containers.get(a))
    return pd.DataFrame(pairs, columns=["leaf", "unit"]), lowest


def nearest_analysis_unit(units: UnitInfo, analysis: set[int]) -> dict[int, int]:
    """Each unit's deepest analysis unit (itself or an ancestor)."""
    nearest: dict[int, int] = {}
    for unit, path in units.path.items():
        found = [a for a in _ancestors(path) if a in analysis]
        if found:
            nearest[unit] = found[-1]
    return nearest


async def load_linkage_input(
    as_of: date, seed: int = 20261123, bootstrap_reps: int = 2000
) -> tuple[LinkageInput, UnitInfo]:
    """Everything the linkage report computes from, aggregated in SQL and rolled up."""
    waves = await closed_waves()
    units = await unit_info()
    metric_rows = await ClientMetric.select(
        ClientMetric.unit,
        ClientMetric.month,
        ClientMetric.metric,
        ClientMetric.value,
        ClientMetric.n,
    ).run()
    outcomes = pd.DataFrame(metric_rows, columns=["unit", "month", "metric", "value", "n"])
    analysis = set(outcomes["unit"].astype(int)) if len(outcomes) else set()
    raw = pd.DataFrame()
    enps = pd.DataFrame()
    if len(waves):
        asked = dict(zip(waves["id"].astype(int), waves["asked"].astype(int), strict=True))
        raw = pd.DataFrame(await Response.raw(answers_sql(asked)).run())
        enps = pd.DataFrame(await Response.raw(enps_sql(asked)).run())
    if not analysis and len(raw):
        # No client metrics yet: analyse the units that hold responses themselves.
        analysis = set(raw["unit"].astype(int))
    mapping, lowest = analysis_map(units, analysis)
    cells, item_cells = _roll_up(
        raw,
        enps,
        waves,
        mapping,
        gated_pairs(raw, waves, units.path),
        gated_pairs(enps, waves, units.path, column="enps_n"),
    )
    inside = mapping[mapping["leaf"].isin(analysis)]
    ancestors: dict[object, frozenset[object]] = {}
    for leaf, unit in zip(inside["leaf"].tolist(), inside["unit"].tolist(), strict=True):
        ancestors[int(leaf)] = ancestors.get(int(leaf), frozenset()) | {int(unit)}
    nearest = nearest_analysis_unit(units, analysis)
    people_rows = await Person.select(Person.id, Person.unit, Person.hired_on, Person.left_on).run()
    people = pd.DataFrame(people_rows, columns=["id", "unit", "hired_on", "left_on"])
    people["unit"] = people["unit"].map(nearest)
    people = people.dropna(subset=["unit"]).rename(columns={"id": "person"})
    people["unit"] = people["unit"].astype(int)
    if len(outcomes):
        outcomes["month"] = pd.PeriodIndex(pd.to_datetime(outcomes["month"]), freq="M")
        outcomes["value"] = outcomes["value"].astype(float)
        outcomes["n"] = outcomes["n"].astype(float)
    training = None
    if len(cells):
        months = pd.period_range(cells["month"].min(), cells["month"].max(), freq="M")
        training = await training_cohorts(mapping, months)
    data = LinkageInput(
        cells=cells,
        item_cells=item_cells,
        outcomes=outcomes,
        people=people,
        aggregation_units=frozenset(int(u) for u in lowest),
        as_of=as_of,
        ancestors=ancestors,
        seed=seed,
        bootstrap_reps=bootstrap_reps,
        training=training,
    )
    return data, units


def gated_pairs(
    raw: pd.DataFrame, waves: pd.DataFrame, paths: dict[int, str], column: str = "n"
) -> set[tuple[int, int]]:
    """(unit, wave) pairs whose scores the reporting gate shows, judged over the whole tree.

    A unit-wave enters the analysis only if the dashboards would show it too: at least k
    respondents, and not hidden to protect a smaller remainder next to it. Otherwise a
    unit's mean pooled over waves could give back a wave the dashboards withhold.
    ``column`` names the people counted: scored respondents (``n``), or those who answered
    the eNPS question (``enps_n``), which the dashboards gate on its own, as eNPS is.
    """
    if raw.empty or column not in raw.columns:
        return set()
    k_of = dict(zip(waves["id"].astype(int), waves["k"].astype(int), strict=True))
    pairs: set[tuple[int, int]] = set()
    for wave_key, rows in raw.groupby("wave"):
        wave = int(str(wave_key))
        direct = dict(
            zip(
                rows["unit"].astype(int).tolist(),
                pd.to_numeric(rows[column]).fillna(0).astype(int).tolist(),
                strict=True,
            )
        )
        sizes = subtree_totals(direct, paths)
        shown = shown_units(paths, sizes, k_of.get(wave, Thresholds().scores))
        pairs.update((unit, wave) for unit in shown)
    return pairs


def _roll_up(
    raw: pd.DataFrame,
    enps: pd.DataFrame,
    waves: pd.DataFrame,
    mapping: pd.DataFrame,
    shown: set[tuple[int, int]] | None = None,
    enps_shown: set[tuple[int, int]] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Leaf sums → analysis-unit × month sums (scores, eNPS, alpha moments); item sums long.

    ``shown`` and ``enps_shown`` are the (unit, wave) pairs the reporting gate shows for
    scores and for eNPS; a cell holding any other is marked ``withheld`` /
    ``enps_withheld`` (None: nothing is marked).
    """
    codes = [c.lower() for c in ENGAGEMENT_CODES]
    sums = [*SCORE_COLUMNS, *ENPS_COLUMNS, *ALPHA_COLUMNS]
    empty_cells = pd.DataFrame(columns=["unit", "month", "k", *sums])
    empty_items = pd.DataFrame(columns=["unit", "month", "item", "n", "total", "sq_total"])
    if raw.empty:
        return empty_cells, empty_items
    raw = raw.apply(pd.to_numeric)
    if not enps.empty:
        # outer: a unit-wave whose responses answered eNPS but no engagement item still
        # counts in its cell's eNPS, as it does on the dashboards
        raw = raw.merge(enps.apply(pd.to_numeric), on=["unit", "wave"], how="outer")
    else:
        raw = raw.assign(enps_n=0, promoters=0, detractors=0)
    wave_info = waves[["id", "month", "k"]].rename(columns={"id": "wave"})
    raw = raw.merge(wave_info, on="wave", how="inner")
    rolled = raw.merge(mapping, left_on="unit", right_on="leaf", suffixes=("_leaf", ""))
    if shown is not None:
        # a unit-wave the gate withholds is marked, and left out by gate_cells like one
        # below k (and counted with them), so nothing downstream can use it
        rolled["withheld"] = [
            0 if (int(u), int(w)) in shown else 1
            for u, w in zip(rolled["unit"].tolist(), rolled["wave"].tolist(), strict=True)
        ]
    else:
        rolled["withheld"] = 0
    if enps_shown is not None:
        # eNPS counts its own respondents (also those without a score), so the gate decides
        # it on its own counts; a cell mixing a withheld eNPS wave shows no eNPS
        rolled["enps_withheld"] = [
            1 if n > 0 and (int(u), int(w)) not in enps_shown else 0
            for u, w, n in zip(
                rolled["unit"].tolist(),
                rolled["wave"].tolist(),
                rolled["enps_n"].fillna(0).tolist(),
                strict=True,
            )
        ]
    else:
        rolled["enps_withheld"] = 0
    item_sum_cols = [f"{p}_{c}" for c in codes for p in ("c", "s", "q")]
    rolled[sums + item_sum_cols] = rolled[sums + item_sum_cols].fillna(0)
    grouped = rolled.groupby(["unit", "month"], sort=True)
    cells = grouped[sums].sum()
    cells["k"] = grouped["k"].max()
    cells["withheld"] = grouped["withheld"].max()
    cells["enps_withheld"] = grouped["enps_withheld"].max()
    cells = cells.reset_index()
    item_sums = grouped[item_sum_cols].sum().reset_index()
    long = []
    for c, code in zip(codes, ENGAGEMENT_CODES, strict=True):
        part = item_sums[["unit", "month", f"c_{c}", f"s_{c}", f"q_{c}"]].copy()
        part.columns = pd.Index(["unit", "month", "n", "total", "sq_total"])
        part["item"] = code
        long.append(part[part["n"] > 0])
    item_cells = pd.concat(long, ignore_index=True) if long else empty_items
    return cells, item_cells


async def organisation() -> dict[str, Any]:
    """The organisation's name and score threshold, for the report's header."""
    row = await OrgSettings.select(OrgSettings.name, OrgSettings.min_group_size).first().run()
    if row is None:
        return {"name": "Our organisation", "min_group_size": Thresholds().scores}
    return {"name": row["name"], "min_group_size": int(row["min_group_size"])}
