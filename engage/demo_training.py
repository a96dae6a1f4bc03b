"""The demo's training history: which locations completed which module, and when.

Four locations completed "Recognising good work" five to eight months ago and their
engagement rose afterwards (``TRAINING_LIFT`` on the latent scale, planted in
``demo_history``; more for earlier cohorts, and growing month by month); two completed
"Follow-up calls" with no planted effect. The other six
locations completed nothing, so each module has comparison units. The effect
analysis of the HR report should find the first and not the second. The flagship's manager
has open assignments to follow up, one of them overdue.
"""

from __future__ import annotations

import csv
import datetime
import io
import random
from dataclasses import dataclass

from engage.demo_data import demo_roster_csv

#: location → (module code, how many months before this month its staff completed it)
TRAINED_LOCATIONS: dict[str, tuple[str, int]] = {
    "L-RICHMOND-HILL": ("recognising-good-work", 8),
    "L-THORNHILL": ("recognising-good-work", 7),
    "L-ETOBICOKE": ("recognising-good-work", 6),
    "L-OAKVILLE": ("recognising-good-work", 5),
    "L-PORT-CREDIT": ("follow-up-calls", 7),
    "L-THE-ANNEX": ("follow-up-calls", 5),
}
#: The rise in latent engagement in a module's training month (planted; the analysis must
#: recover it) for a location trained six months ago; earlier cohorts gained more
#: (``COHORT_STEP`` per month earlier), and every cohort's gain grows each month after
#: training (``GROWTH``): the case where a two-way fixed-effects regression misleads.
TRAINING_LIFT: dict[str, float] = {"recognising-good-work": 0.6, "follow-up-calls": 0.0}
COHORT_STEP: dict[str, float] = {"recognising-good-work": 0.05, "follow-up-calls": 0.0}
GROWTH: dict[str, float] = {"recognising-good-work": 0.03, "follow-up-calls": 0.0}
#: Share of a trained location's staff who completed (the rest left it open).
COMPLETION_SHARE = 0.85
#: Completions fall on the first days of the training month, before its wave on the 15th.
COMPLETION_DAYS = 10


@dataclass(frozen=True, slots=True)
class DemoAssignment:
    """One demo assignment: who, which module, by whom, when due, and whether done."""

    employee_id: str
    module: str
    assigned_by: str
    assigned_on: datetime.date
    due_on: datetime.date
    completed_on: datetime.date | None


def training_month(today: datetime.date, months_ago: int) -> datetime.date:
    """The first day of the month ``months_ago`` months before ``today``'s."""
    index = today.year * 12 + today.month - 1 - months_ago
    return datetime.date(index // 12, index % 12 + 1, 1)


def lift(location: str | None, wave: datetime.date, today: datetime.date) -> float:
    """The planted training effect on a location's latent engagement at a wave."""
    if location is None or location not in TRAINED_LOCATIONS:
        return 0.0
    module, months_ago = TRAINED_LOCATIONS[location]
    start = training_month(today, months_ago)
    if wave < start:
        return 0.0
    since = (wave.year - start.year) * 12 + wave.month - start.month
    cohort = TRAINING_LIFT[module] + COHORT_STEP[module] * (months_ago - 6)
    return cohort + GROWTH[module] * since


def _location(unit_id: str) -> str | None:
    if unit_id.startswith("L-"):
        return unit_id
    if unit_id.startswith("T-"):
        # team ids are T-<SITE>-<kind>; the location is L-<SITE>
        site = unit_id[2:].rsplit("-", 1)[0]
        return f"L-{site}"
    return None


def demo_assignments(
    today: datetime.date, manager_of: dict[str, str], seed: int = 11
) -> list[DemoAssignment]:
    """Every demo assignment: the trained locations' history and the flagship's open ones.

    ``manager_of`` maps a location id to its manager's email (the assigner).
    """
    rng = random.Random(seed)
    roster = list(csv.DictReader(io.StringIO(demo_roster_csv(today).decode("utf-8"))))
    out: list[DemoAssignment] = []
    for location, (module, months_ago) in TRAINED_LOCATIONS.items():
        start = training_month(today, months_ago)
        assigned_on = start - datetime.timedelta(days=14)
        due_on = start + datetime.timedelta(days=COMPLETION_DAYS)
        for person in roster:
            if _location(person["unit_id"]) != location or person["role"] not in (
                "employee",
                "manager",
            ):
                continue
            hired = datetime.date.fromisoformat(person["hired_on"])
            left = datetime.date.fromisoformat(person["left_on"]) if person["left_on"] else None
            if hired > assigned_on or (left is not None and left <= due_on):
                continue
            done = rng.random() < COMPLETION_SHARE
            day = start + datetime.timedelta(days=rng.randrange(COMPLETION_DAYS))
            out.append(
                DemoAssignment(
                    person["employee_id"],
                    module,
                    manager_of.get(location, "cli:demo"),
                    assigned_on,
                    due_on,
                    day if done else None,
                )
            )
    flagship = "L-YORKVILLE"
    staff = [
        p
        for p in roster
        if _location(p["unit_id"]) == flagship
        and p["role"] == "employee"
        and not p["left_on"]
        and p["email"]
    ]
    assigner = manager_of.get(flagship, "cli:demo")
    for person in staff[:6]:
        out.append(
            DemoAssignment(
                person["employee_id"],
                "service-recovery",
                assigner,
                today - datetime.timedelta(days=5),
                today + datetime.timedelta(days=10),
                None,
            )
        )
    for person in staff[6:10]:
        out.append(
            DemoAssignment(
                person["employee_id"],
                "pre-shift-checks",
                assigner,
                today - datetime.timedelta(days=20),
                today - datetime.timedelta(days=3),
                None,
            )
        )
    return out
