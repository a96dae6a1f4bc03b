"""Training completions and head counts per analysis unit, for the effect analysis.

Completions are person-level records; they are reduced here to counts per unit and month
and never meet survey answers, which reach the analysis only as gated unit-month means.
"""

from __future__ import annotations

import pandas as pd

from engage.db.tables import Person, TrainingAssignment, TrainingModuleText
from reports.stats.training_panel import cohorts, headcount


async def module_titles(language: str = "en") -> dict[str, str]:
    """Module code → title (``language``, else any version)."""
    rows = await TrainingModuleText.select(
        TrainingModuleText.module._.code, TrainingModuleText.language, TrainingModuleText.title
    ).run()
    titles: dict[str, str] = {}
    for r in sorted(rows, key=lambda r: r["language"] != language):
        titles.setdefault(r["module.code"], r["title"])
    return titles


async def training_cohorts(mapping: pd.DataFrame, months: pd.PeriodIndex) -> pd.DataFrame:
    """Per analysis unit and module: the first trained month, or partly trained.

    ``mapping`` holds (leaf, unit): each org unit and every analysis unit containing it.
    """
    columns = ["unit", "module", "first_treated", "partial"]
    done = await TrainingAssignment.raw(
        "SELECT a.unit, m.code AS module, a.person, a.completed_on "
        "FROM training_assignment a JOIN training_module m ON m.id = a.module "
        "WHERE a.status = 'completed' AND a.completed_on IS NOT NULL"
    ).run()
    if not done or mapping.empty or len(months) == 0:
        return pd.DataFrame(columns=columns)
    completions = pd.DataFrame(done, columns=["unit", "module", "person", "completed_on"])
    completions["month"] = pd.PeriodIndex(pd.to_datetime(completions["completed_on"]), freq="M")
    completions = completions.merge(mapping, left_on="unit", right_on="leaf", suffixes=("_x", ""))
    people = pd.DataFrame(
        await Person.select(Person.unit, Person.hired_on, Person.left_on).run(),
        columns=["unit", "hired_on", "left_on"],
    ).merge(mapping, left_on="unit", right_on="leaf", suffixes=("_x", ""))
    staff = headcount(people[["unit", "hired_on", "left_on"]], months)
    return cohorts(completions[["unit", "module", "person", "month"]], staff)
