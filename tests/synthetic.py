"""A synthetic organisation with planted effects, aggregated the way the database does it.

Respondents answer twelve 1–5 items around their unit's latent engagement; each unit's
client metrics and staff departures follow that latent engagement with effects the test
chooses (zero for the null). Everything is seeded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from reports.stats.linkage import LinkageInput

ITEMS = tuple(f"E{i:02d}" for i in range(1, 13))


@dataclass(frozen=True)
class Planted:
    """Effects per SD of the units' latent engagement."""

    csat: float = 0.0  # points on the 1–5 csat scale
    retention_log_odds: float = 0.0
    leave_log_hazard: float = 0.0
    lagged_csat: float = 0.0  # next month's csat per point of this month's engagement


def synthetic_org(
    seed: int,
    units: int = 60,
    months: int = 12,
    respondents: int = 8,
    effects: Planted = Planted(),
    small_units: int = 0,
    reps: int = 300,
) -> tuple[LinkageInput, pd.DataFrame]:
    """A LinkageInput plus the respondent-level answers it was summed from."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(0.0, 0.35, units)
    z = (latent - latent.mean()) / latent.std()
    periods = pd.period_range("2025-01", periods=months, freq="M")
    answer_rows = []
    cell_rows = []
    item_rows = []
    size = np.full(units, respondents)
    if small_units:
        size[:small_units] = 3
    month_engagement = {}
    for g in range(units):
        for t, month in enumerate(periods):
            drift = rng.normal(0.0, 0.1)
            month_engagement[(g, t)] = latent[g] + drift
            people = 3.6 + latent[g] + drift + rng.normal(0.0, 0.55, size[g])
            values = np.clip(
                np.rint(people[:, None] + rng.normal(0, 0.6, (size[g], len(ITEMS)))), 1, 5
            )
            scores = values.mean(axis=1)
            enps = np.clip(np.rint(2 * people - 0.5 + rng.normal(0, 1.5, size[g])), 0, 10)
            for r in range(size[g]):
                answer_rows.append((g, month, r, *values[r]))
            totals = values.sum(axis=1)
            complete = {
                "n_complete": size[g],
                "t_sum": totals.sum(),
                "t_sq": (totals**2).sum(),
                **{f"cs_{c.lower()}": values[:, i].sum() for i, c in enumerate(ITEMS)},
                **{f"cq_{c.lower()}": (values[:, i] ** 2).sum() for i, c in enumerate(ITEMS)},
            }
            cell_rows.append(
                {
                    **complete,
                    "unit": g,
                    "month": month,
                    "k": 5,
                    "n": size[g],
                    "score_sum": scores.sum(),
                    "score_sq_sum": (scores**2).sum(),
                    "favourable": int((values >= 4).sum()),
                    "answered": values.size,
                    "enps_n": size[g],
                    "promoters": int((enps >= 9).sum()),
                    "detractors": int((enps <= 6).sum()),
                }
            )
            for i, code in enumerate(ITEMS):
                col = values[:, i]
                item_rows.append((g, month, code, size[g], col.sum(), (col**2).sum()))
    answers = pd.DataFrame(answer_rows, columns=["unit", "month", "respondent", *ITEMS])
    outcome_rows = []
    for g in range(units):
        csat = 4.2 + effects.csat * 0.25 * z[g] + rng.normal(0, 0.15)
        for t, month in enumerate(periods):
            if t > 0 and effects.lagged_csat:
                csat = (
                    0.5 * csat
                    + 0.5 * 4.2
                    + effects.lagged_csat * month_engagement[(g, t - 1)]
                    + rng.normal(0, 0.1)
                )
                value = csat
            else:
                value = 4.2 + effects.csat * 0.25 * z[g] + rng.normal(0, 0.15)
            outcome_rows.append((g, month, "csat", float(np.clip(value, 1, 5)), 40))
            at_risk = int(rng.integers(30, 80))
            p = 1 / (1 + np.exp(-(0.2 + effects.retention_log_odds * z[g])))
            returned = int(rng.binomial(at_risk, p))
            outcome_rows.append((g, month, "client_retention", returned / at_risk, at_risk))
            outcome_rows.append((g, month, "revenue", float(rng.gamma(20, 1000)), None))
    outcomes = pd.DataFrame(outcome_rows, columns=["unit", "month", "metric", "value", "n"])
    people_rows = []
    person = 0
    start = periods[0].start_time
    horizon = (periods[-1] + 1).start_time
    for g in range(units):
        for _ in range(respondents + 2):
            hired = start - pd.Timedelta(days=int(rng.integers(30, 1500)))
            rate = 1 / 900 * np.exp(effects.leave_log_hazard * z[g])
            tenure_left = rng.exponential(1 / rate)
            left = start + pd.Timedelta(days=int(tenure_left))
            people_rows.append((person, g, hired.date(), left.date() if left < horizon else None))
            person += 1
    people = pd.DataFrame(people_rows, columns=["person", "unit", "hired_on", "left_on"])
    data = LinkageInput(
        cells=pd.DataFrame(cell_rows),
        item_cells=pd.DataFrame(
            item_rows, columns=["unit", "month", "item", "n", "total", "sq_total"]
        ),
        outcomes=outcomes,
        people=people,
        aggregation_units=frozenset(range(units)),
        as_of=horizon.date(),
        bootstrap_reps=reps,
        seed=seed,
    )
    return data, answers
