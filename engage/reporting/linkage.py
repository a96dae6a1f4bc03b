"""The linkage report service: load aggregated data, fit off the event loop, shape the output."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import anyio.to_thread

from engage.reporting.linkage_data import load_linkage_input, organisation
from reports.contract import linkage_json
from reports.stats.linkage import LinkageReport, build_report

DEFAULT_SEED = 20261123
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
    "warnings",
)


@dataclass(frozen=True, slots=True, eq=False)
class LinkageRun:
    """A computed linkage report with what its pages need: the JSON, unit names, nesting."""

    report: LinkageReport
    body: dict[str, Any]
    names: dict[int, str]
    ancestors: Mapping[object, frozenset[object]]

    def __iter__(self) -> Iterator[Any]:
        """``report, body = run`` (the two things most callers want)."""
        return iter((self.report, self.body))


async def linkage_report(
    as_of: date | None = None, seed: int = DEFAULT_SEED, bootstrap_reps: int = DEFAULT_REPS
) -> LinkageRun:
    """Compute the report with its JSON object (DESIGN.md's contract)."""
    day = as_of or date.today()
    data, units = await load_linkage_input(day, seed, bootstrap_reps)
    report = await anyio.to_thread.run_sync(build_report, data)
    org = await organisation()
    context = {
        "report": "linkage",
        "organisation": org["name"],
        "generated_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "as_of": day.isoformat(),
        "parameters": {
            "min_group_size": org["min_group_size"],
            "seed": seed,
            "bootstrap_reps": bootstrap_reps,
            "confidence": 0.95,
            "multiple_testing": "Benjamini-Hochberg over every test in this report",
        },
    }
    return LinkageRun(report, linkage_json(report, context), dict(units.name), data.ancestors)


def to_json(body: dict[str, Any]) -> str:
    """The report object as JSON text (no NaN: missing numbers are null)."""
    return json.dumps(body, ensure_ascii=False, allow_nan=False, indent=2) + "\n"


def to_csv(body: dict[str, Any]) -> str:
    """The links as CSV, one row per outcome and method; warnings joined by ' | '."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for link in body["links"]:
        row = [link[c] for c in CSV_COLUMNS[:-1]]
        writer.writerow(["" if v is None else v for v in row] + [" | ".join(link["warnings"])])
    return out.getvalue()
