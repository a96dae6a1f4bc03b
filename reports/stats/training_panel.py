"""From training completions to the effect analysis: who counts as trained, and from when.

A unit counts as trained in a module from the first month by whose end at least half of its
staff (its whole subtree, counted at that month's end) had completed it. Units where some
but fewer than half completed are "partly trained": they are neither trained nor a fair
comparison, so they are left out of that module's analysis, and so are units trained (even
partly) in another module. Every other unit of the same kind (the units the outcome is
measured on) is a comparison unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from reports.stats.estimate import DEFAULT_SEED
from reports.stats.training_effect import TrainingEffect, did_effect

#: Share of a unit's staff who must have completed a module for the unit to count as trained.
TRAINED_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class ModuleEffect:
    """The measured effect of one module on one outcome."""

    module: str
    outcome: str
    result: TrainingEffect
    n_partly_trained: int
    p_adjusted: float = float("nan")  # Benjamini–Hochberg over the whole report
    trained_units: tuple[tuple[object, str], ...] = ()  # (unit, first trained month YYYY-MM)
    partial_units: tuple[object, ...] = ()  # some but fewer than half completed: left out
    other_module_units: int = 0  # trained in another module: left out of the comparison


def headcount(people: pd.DataFrame, months: pd.PeriodIndex) -> pd.DataFrame:
    """Staff per unit at each month's end: ``people`` has unit, hired_on, left_on."""
    if people.empty or len(months) == 0:
        return pd.DataFrame(columns=["unit", "month", "staff"])
    ends = months.to_timestamp(how="end").normalize()
    hired = pd.to_datetime(people["hired_on"])
    left = pd.to_datetime(people["left_on"])
    rows = []
    for month, end in zip(months, ends, strict=True):
        present = (hired <= end) & (left.isna() | (left > end))
        counts = people.loc[present.to_numpy(), "unit"].value_counts()
        rows.append(pd.DataFrame({"unit": counts.index, "month": month, "staff": counts.values}))
    return pd.concat(rows, ignore_index=True)


def cohorts(completions: pd.DataFrame, staff: pd.DataFrame) -> pd.DataFrame:
    """Each (unit, module) with completions: its first trained month, or partly trained.

    ``completions``: unit, module, person, month (Period "M" of the person's first
    completion); ``staff``: unit, month, staff (from ``headcount``). Returns unit, module,
    first_treated (Period or NaT) and partial (bool).
    """
    columns = ["unit", "module", "first_treated", "partial"]
    if completions.empty:
        return pd.DataFrame(columns=columns)
    first = completions.groupby(["unit", "module", "person"], as_index=False)["month"].min()
    per_month = first.groupby(["unit", "module", "month"], as_index=False).agg(
        done=("person", "nunique")
    )
    out = []
    for (unit, module), rows in per_month.groupby(["unit", "module"], sort=True):
        unit_staff = staff[staff["unit"] == unit].set_index("month")["staff"]
        done = rows.set_index("month")["done"].sort_index()
        months = unit_staff.index[unit_staff.index >= done.index.min()].sort_values()
        cumulative = done.reindex(months.union(done.index)).fillna(0).cumsum()
        reached = [
            m
            for m in months
            if unit_staff.get(m, 0) > 0 and cumulative.get(m, 0) >= TRAINED_SHARE * unit_staff[m]
        ]
        out.append(
            {
                "unit": unit,
                "module": module,
                "first_treated": reached[0] if reached else pd.NaT,
                "partial": not reached,
            }
        )
    return pd.DataFrame(out, columns=columns)


def module_effects(
    engagement: pd.DataFrame,
    outcomes: pd.DataFrame,
    trained: pd.DataFrame,
    *,
    reps: int = 999,
    seed: int = DEFAULT_SEED,
) -> tuple[ModuleEffect, ...]:
    """Difference-in-differences of every module with trained units, on every outcome.

    ``engagement``: unit, month, engagement (unit-months that passed the reporting gate);
    ``outcomes``: unit, month, metric, value; ``trained``: the output of ``cohorts``.
    Units outside ``engagement``'s and ``outcomes``' units are ignored.
    """
    if trained.empty:
        return ()
    series: dict[str, pd.DataFrame] = {}
    if not engagement.empty:
        series["engagement"] = engagement.rename(columns={"engagement": "y"})[
            ["unit", "month", "y"]
        ]
    if not outcomes.empty:
        for metric, rows in outcomes.groupby("metric", sort=True):
            series[str(metric)] = rows.rename(columns={"value": "y"})[["unit", "month", "y"]]
    results: list[ModuleEffect] = []
    touched = trained.groupby("unit")["module"].agg(set).to_dict()
    for module, rows in trained.groupby("module", sort=True):
        mask = rows["partial"].astype(bool)
        partial = set(rows.loc[mask, "unit"])
        start: Mapping[object, object] = dict(
            zip(rows.loc[~mask, "unit"], rows.loc[~mask, "first_treated"], strict=True)
        )
        if not start:
            continue
        # a unit trained (even partly) in another module is no clean comparison for this one
        others = {u for u, mods in touched.items() if u not in start and mods - {module}}
        left_out = partial | others
        for outcome, frame in series.items():
            panel = frame[~frame["unit"].isin(left_out)].copy()
            if not panel["unit"].isin(list(start)).any():
                continue
            panel["first_treated"] = pd.PeriodIndex(
                [start.get(u, pd.NaT) for u in panel["unit"]], freq="M"
            )
            panel = panel.groupby(["unit", "month"], as_index=False).agg(
                y=("y", "mean"), first_treated=("first_treated", "first")
            )
            result = did_effect(panel, reps=reps, seed=seed)
            results.append(
                ModuleEffect(
                    str(module),
                    outcome,
                    result,
                    len(partial),
                    trained_units=tuple(
                        (u, str(m)) for u, m in sorted(start.items(), key=lambda i: str(i[1]))
                    ),
                    partial_units=tuple(sorted(partial, key=str)),
                    other_module_units=len(others - partial),
                )
            )
    return tuple(results)


def engagement_by_unit_month(cells: pd.DataFrame) -> pd.DataFrame:
    """unit, month, engagement of the gated cells, as rounded for showing (``gate_cells``)."""
    if cells.empty:
        return pd.DataFrame(columns=["unit", "month", "engagement"])
    out = cells[["unit", "month", "engagement"]].astype({"engagement": float})
    kept: pd.DataFrame = out[np.isfinite(out["engagement"].to_numpy())]
    return kept
