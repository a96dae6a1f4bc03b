"""The linkage report's data: the waves' stored publications and the client metrics.

Each unit that carries client metrics takes its engagement from the published figures of
its whole subtree (on each wave's frozen tree): scored respondents and their score sums,
item sums for rwg(j), and the moments of complete responses for alpha. Nothing is read
from the responses, and nothing here computes a statistic.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from engage.db.tables import ClientMetric, OrgSettings, Person, Unit, Wave
from engage.reporting.publication import asked_engagement_items, published_figures
from engage.reporting.training_data import training_cohorts
from reports.stats.estimate import DEFAULT_SEED
from reports.stats.linkage import ALPHA_COLUMNS, LinkageInput
from surveys.anonymity import Thresholds
from surveys.items import ENGAGEMENT_CODES
from surveys.tree import path_ids

SCORE_COLUMNS = ["n", "score_sum", "score_sq_sum", "favourable", "answered"]
ENPS_COLUMNS = ["enps_n", "promoters", "detractors"]


@dataclass(frozen=True, slots=True)
class UnitInfo:
    """What the report needs of the org tree."""

    code: dict[int, str]
    name: dict[int, str]
    path: dict[int, str]


async def closed_waves() -> pd.DataFrame:
    """Closed waves with their month, frozen k and number of engagement items asked."""
    rows = await (
        Wave.select(Wave.id, Wave.opens_on, Wave.item_codes, Wave.min_group_size)
        .where(Wave.status == "closed")
        .run()
    )
    frame = pd.DataFrame(rows, columns=["id", "opens_on", "item_codes", "min_group_size"])
    frame["asked"] = [asked_engagement_items(codes) for codes in frame["item_codes"]]
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
        for ancestor in path_ids(path)
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
        found = [a for a in path_ids(path) if a in analysis]
        if found:
            nearest[unit] = found[-1]
    return nearest


async def load_linkage_input(
    as_of: date, seed: int = DEFAULT_SEED, bootstrap_reps: int = 2000
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
    published = (await published_figures(waves["id"].astype(int).tolist())).frame
    if not analysis and len(published):
        # No client metrics yet: analyse the lowest units that hold respondents.
        analysis = _lowest(set(published["unit"].astype(int)), units.path)
    mapping, lowest = analysis_map(units, analysis)
    cells, item_cells = published_cells(published[published["unit"].isin(analysis)], waves)
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


def _lowest(units: set[int], paths: dict[int, str]) -> set[int]:
    """The given units that contain none of the others (leaves of the respondents' tree)."""
    inner = {a for u in units for a in path_ids(paths.get(u, ""))[:-1]}
    return {u for u in units if u not in inner}


def published_cells(
    published: pd.DataFrame, waves: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Published unit-waves → unit × month sums (scores, eNPS, alpha moments); item sums long.

    Each row is a unit's whole frozen subtree as its wave's publication gave it; a
    unit-wave the publication withholds marks its month's cell ``withheld`` (and
    ``enps_withheld``), so gate_cells leaves it out and counts it with those below k.
    """
    codes = [c.lower() for c in ENGAGEMENT_CODES]
    sums = [*SCORE_COLUMNS, *ENPS_COLUMNS, *ALPHA_COLUMNS]
    empty_cells = pd.DataFrame(columns=["unit", "month", "k", *sums])
    empty_items = pd.DataFrame(columns=["unit", "month", "item", "n", "total", "sq_total"])
    if published.empty:
        return empty_cells, empty_items
    wave_info = waves[["id", "month", "k"]].rename(columns={"id": "wave"})
    rows = published.merge(wave_info, on="wave", how="inner")
    rows["withheld"] = (~rows["shown"].astype(bool)).astype(int)
    rows["enps_withheld"] = rows["withheld"]
    item_sum_cols = [f"{p}_{c}" for c in codes for p in ("c", "s", "q")]
    rows[sums + item_sum_cols] = rows[sums + item_sum_cols].astype(float).fillna(0.0)
    grouped = rows.groupby(["unit", "month"], sort=True)
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
