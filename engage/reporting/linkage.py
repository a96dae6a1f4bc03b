"""The linkage report service: load aggregated data, fit off the event loop, shape the output."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import anyio.to_thread
import pandas as pd

from engage import clock
from engage.csvio import export_csv
from engage.reporting.linkage_data import UnitInfo, load_linkage_input, organisation
from engage.reporting.training_data import module_titles
from engage.sidecar import in_fitting_process
from reports.contract import analysis_data_json, linkage_json
from reports.stats.estimate import DEFAULT_SEED
from reports.stats.linkage import (
    DATASET_SCORE_COLUMNS,
    AnalysisDataset,
    LinkageInput,
    LinkageReport,
    analysis_dataset,
    build_report,
)

DEFAULT_REPS = 2000
CSV_COLUMNS = (
    "outcome",
    "method",
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "p_adjusted",
    "n_units",
    "lag_months",
    "n_obs",
    "meaning",
    "detail",
    "module",
    "warnings",
)


@dataclass(frozen=True, slots=True, eq=False)
class LinkageRun:
    """A computed linkage report with what its pages need: the JSON, unit names, nesting."""

    report: LinkageReport
    body: dict[str, Any]
    names: dict[int, str]
    ancestors: Mapping[object, frozenset[object]]
    titles: Mapping[str, str] = field(default_factory=dict)  # training module code → title

    def __iter__(self) -> Iterator[Any]:
        """``report, body = run`` (the two things most callers want)."""
        return iter((self.report, self.body))


async def linkage_report(
    as_of: date | None = None, seed: int = DEFAULT_SEED, bootstrap_reps: int = DEFAULT_REPS
) -> LinkageRun:
    """Compute the report with its JSON object (DESIGN.md's contract)."""
    day = as_of or clock.today()
    data, units = await load_linkage_input(day, seed, bootstrap_reps)
    return await linkage_run(data, units)


async def linkage_run(data: LinkageInput, units: UnitInfo) -> LinkageRun:
    """Fit the report on loaded input (in the fitting process) and shape its JSON."""
    day, seed, bootstrap_reps = data.as_of, data.seed, data.bootstrap_reps
    report = await in_fitting_process(build_report, data)
    org = await organisation()
    context = {
        "report": "linkage",
        "organisation": org["name"],
        "generated_at": clock.now().replace(microsecond=0).isoformat(),
        "as_of": day.isoformat(),
        "parameters": {
            "min_group_size": org["min_group_size"],
            "seed": seed,
            "bootstrap_reps": bootstrap_reps,
            "confidence": 0.95,
            "multiple_testing": "Benjamini-Hochberg over every test in this report",
        },
    }
    titles = await module_titles()
    return LinkageRun(
        report, linkage_json(report, context, titles), dict(units.name), data.ancestors, titles
    )


def to_json(body: dict[str, Any]) -> str:
    """The report object as JSON text (no NaN: missing numbers are null)."""
    return json.dumps(body, ensure_ascii=False, allow_nan=False, indent=2) + "\n"


#: Results CSV precision: estimates and intervals to 6 significant digits, p-values to 6
#: decimals (0 there means below 0.0000005) — a reader's precision, not a float's.
ESTIMATE_DIGITS = 6
P_DECIMALS = 6


def _result_cell(column: str, value: Any) -> Any:
    """A results CSV cell: numbers rounded for reading (still numbers), the rest as is."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, float):
        return value
    if column in ("p_value", "p_adjusted"):
        return round(value, P_DECIMALS)
    return float(f"{value:.{ESTIMATE_DIGITS}g}")


def to_csv(body: dict[str, Any]) -> str:
    """The links as CSV, one row per outcome and method, then one per training module and
    outcome (method ``did_imputation``, with ``module``); warnings joined by ' | '. Numbers are
    rounded for reading (``ESTIMATE_DIGITS``, ``P_DECIMALS``); the JSON keeps them whole."""
    rows = []
    for link in body["links"]:
        row = [_result_cell(c, link.get(c, "")) for c in CSV_COLUMNS[:-1]]
        rows.append([*row, " | ".join(link["warnings"])])
    for effect in body.get("training_effects", []):
        values = {
            **effect,
            "lag_months": "",
            "meaning": (
                f"difference in {effect['outcome']} of units trained in {effect['title']} from "
                "their prediction without the training (imputation estimator)"
            ),
        }
        row = [_result_cell(c, values.get(c, "")) for c in CSV_COLUMNS[:-1]]
        rows.append([*row, " | ".join(effect["warnings"])])
    return export_csv(CSV_COLUMNS, rows)


#: What the analysis data set leaves out, and how to re-fit from it (CSV readers: README).
DATASET_NOTES = (
    "One row per analysis unit and month the linkage models used. Score columns "
    "(engagement, pct_favourable, enps) only for unit-months with at least "
    "the wave's minimum group size of respondents that the reporting gate shows; empty "
    "otherwise (no wave that month, too few respondents, or withheld to protect a smaller "
    "group). eNPS is empty where fewer than k answered it or the gate withholds it. Scores "
    "are rounded as the dashboards show them (engagement to 2 decimals, % favourable and eNPS "
    "to whole numbers) and the models use them so rounded; respondent counts are not given: "
    "a count equal to a unit's invited people would say that every one of them answered.",
    "Outcome columns hold each outcome's value (and its n) exactly as the models used it: "
    "at the lowest level only (empty for a unit that contains another unit with the same "
    "outcome). staff_turnover is leavers / headcount at the start of the month (n = "
    "headcount).",
    "A unit's engagement over the period is the mean of its rows (each month counts once); its "
    "outcome is the n-weighted mean of its rows when every row of that outcome has an n, "
    "else the plain mean. Pearson, Spearman and the quartile gap correlate these unit values. "
    "within_unit and between_units pair a row's engagement and outcome with the same unit's "
    "outcome of the next month (within_unit with unit and month fixed effects, between_units "
    "with the unit means); 'per SD of engagement' uses the SD of engagement over every row "
    "that has one.",
    "Person-level data is never exported: the Cox model of staff_retention is fitted on one "
    "row per person and period, which is not in this file.",
)


@dataclass(frozen=True, slots=True, eq=False)
class AnalysisData:
    """The analysis data set with unit codes and names, and its context (org, versions)."""

    dataset: AnalysisDataset
    frame: pd.DataFrame
    context: dict[str, Any]

    @property
    def columns(self) -> list[str]:
        """CSV columns: unit code, name, month, the scores, then each outcome (and its n)."""
        outcome_columns = [
            c for value, n in self.dataset.columns.values() for c in (value, n) if c is not None
        ]
        return ["unit_code", "unit_name", "month", *DATASET_SCORE_COLUMNS, *outcome_columns]


async def analysis_data(as_of: date | None = None) -> AnalysisData:
    """The unit-level analysis data set of the linkage report (no model is fitted)."""
    data, units = await load_linkage_input(as_of or clock.today())
    return await analysis_data_of(data, units)


async def analysis_data_of(data: LinkageInput, units: UnitInfo) -> AnalysisData:
    """The analysis data set of loaded input, with unit codes, names and its context."""
    dataset = await anyio.to_thread.run_sync(analysis_dataset, data)
    frame = dataset.frame.copy()
    frame.insert(0, "unit_code", frame["unit"].map(units.code))
    frame.insert(1, "unit_name", frame["unit"].map(units.name))
    frame["month"] = frame["month"].astype(str)
    frame = frame.sort_values(["unit_code", "month"], kind="stable").reset_index(drop=True)
    org = await organisation()
    context = {
        "report": "linkage-data",
        "organisation": org["name"],
        "generated_at": clock.now().replace(microsecond=0).isoformat(),
        "min_group_size": org["min_group_size"],
        "notes": list(DATASET_NOTES),
    }
    return AnalysisData(dataset, frame.drop(columns=["unit"]), context)


def _cell(value: Any, whole: bool) -> str | int | float:
    """A CSV cell: empty for missing, an integer for counts, full precision otherwise."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if whole and float(value).is_integer():
        return int(value)
    return float(value)


def dataset_csv(data: AnalysisData) -> str:
    """The analysis data set as CSV (floats written exactly, so re-fits give the same numbers)."""
    columns = data.columns
    counts = {n for _, n in data.dataset.columns.values() if n}
    return export_csv(
        columns,
        (
            [
                v if c in ("unit_code", "unit_name", "month") else _cell(v, c in counts)
                for c, v in zip(columns, row, strict=True)
            ]
            for row in data.frame[columns].itertuples(index=False)
        ),
    )


def dataset_json(data: AnalysisData) -> dict[str, Any]:
    """The analysis data set as the JSON object of ``GET /api/reports/linkage/data``."""
    return analysis_data_json(data.frame, data.dataset.columns, data.context)
