"""Seed the demo organisation through the same import paths a real customer uses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from engage import audit, clock
from engage.auth.accounts import set_password
from engage.csvio import Progress
from engage.db.tables import (
    ClientMetric,
    OrgSettings,
    Person,
    TrainingAssignment,
    TrainingModule,
    Unit,
)
from engage.demo_data import DEMO_ORG_NAME, DemoLogin, demo_logins, demo_roster_csv, demo_units_csv
from engage.demo_history import demo_responses_csv
from engage.demo_metrics import demo_outcomes_csv, demo_visits_csv
from engage.demo_training import demo_assignments
from engage.org.roster_import import import_roster
from engage.org.units_import import import_units
from engage.outcomes.outcomes_import import import_outcomes
from engage.outcomes.visits_import import import_visits
from engage.reporting.report_store import refresh_linkage
from engage.survey.delivery import issue_for_person
from engage.survey.history_import import import_responses
from engage.survey.pulses import create_pulse
from engage.survey.waves import WaveSpec, open_wave

DEMO_PASSWORD = "engage-demo-2026"  # noqa: S105 (printed for the demo on purpose)
DEMO_ROOT = "ORG"


class NotADemoDatabase(RuntimeError):
    """The database holds another organisation; the demo will not write into it."""


@dataclass(frozen=True, slots=True)
class DemoSeed:
    """What ``seed_demo`` did, how to log in, and a survey link to try."""

    created: bool
    logins: list[DemoLogin]
    password: str
    survey: tuple[str, str] | None = None  # (wave name, path of a one-time link)


async def seed_demo(progress: Progress | None = None) -> DemoSeed:
    """Seed the demo org into an empty database, or reuse one seeded before.

    Refuses a database that holds a different organisation.
    """
    today = clock.today()
    logins = demo_logins(today)
    settings = await OrgSettings.select(OrgSettings.name).first().run()
    if await Unit.count().run():
        if settings is None or settings["name"] != DEMO_ORG_NAME:
            raise NotADemoDatabase(
                "this database already holds an organisation that is not the demo; "
                "run the demo on another file, e.g. `engage demo --database demo.sqlite3`"
            )
        if not await ClientMetric.count().run():
            # seeded by a version without client metrics: add them now
            await _seed_client_metrics(today, progress)
        if not await TrainingAssignment.count().run():
            await _seed_training(today)
        return DemoSeed(
            created=False, logins=logins, password=DEMO_PASSWORD, survey=await _try_link(logins)
        )
    await import_units(demo_units_csv(), progress)
    await import_roster(demo_roster_csv(today), progress)
    await import_responses(demo_responses_csv(today), progress)
    await _seed_client_metrics(today, progress)
    await _seed_training(today)
    _, wave_id = await create_pulse(
        WaveSpec("Monthly pulse", (DEMO_ROOT,), today, today + timedelta(days=13)), "cli:demo"
    )
    await open_wave(wave_id, "cli:demo")
    await OrgSettings.update({OrgSettings.name: DEMO_ORG_NAME}).where(OrgSettings.id > 0).run()
    for login in logins:
        await set_password(login.email, DEMO_PASSWORD)
    if progress:
        progress("computing the linkage report", 0, 1)
    await refresh_linkage()  # stored, so the report opens at once
    await audit.record("cli:demo", "demo.seed", f"seeded {DEMO_ORG_NAME}")
    return DemoSeed(
        created=True, logins=logins, password=DEMO_PASSWORD, survey=await _try_link(logins)
    )


async def _seed_client_metrics(today: date, progress: Progress | None) -> None:
    """The demo's outcomes.csv and visits.csv, through the real importers."""
    units, roster = demo_units_csv(), demo_roster_csv(today)
    responses = demo_responses_csv(today)
    await import_outcomes(demo_outcomes_csv(units, roster, responses), progress)
    await import_visits(demo_visits_csv(units, responses, today), progress)


async def _seed_training(today: date) -> None:
    """The demo's assignments and completions (see ``engage.demo_training``)."""
    managers = {
        r["unit.code"]: r["email"]
        for r in await Person.select(Person.unit._.code, Person.email)
        .where((Person.role == "manager") & Person.email.is_not_null())
        .run()
    }
    wanted = demo_assignments(today, managers)
    people = {
        r["employee_id"]: r
        for r in await Person.select(Person.id, Person.employee_id, Person.unit).run()
    }
    modules = {
        r["code"]: r["id"]
        for r in await TrainingModule.select(TrainingModule.id, TrainingModule.code).run()
    }
    rows = [
        TrainingAssignment(
            module=modules[a.module],
            person=people[a.employee_id]["id"],
            unit=people[a.employee_id]["unit"],
            assigned_by=a.assigned_by,
            assigned_on=a.assigned_on,
            due_on=a.due_on,
            status="completed" if a.completed_on else "assigned",
            completed_on=a.completed_on,
            completion_source="self" if a.completed_on else None,
        )
        for a in wanted
        if a.employee_id in people and a.module in modules
    ]
    for start in range(0, len(rows), 500):
        await TrainingAssignment.insert(*rows[start : start + 500]).run()
    await audit.record("cli:demo", "demo.training", f"{len(rows)} demo assignments")


async def _try_link(logins: list[DemoLogin]) -> tuple[str, str] | None:
    """A fresh one-time link for the demo employee, if they still have a survey to answer."""
    employee = next((login for login in logins if login.role == "employee"), None)
    if employee is None:
        return None
    person = await Person.select(Person.id).where(Person.email == employee.email).first().run()
    if person is None:
        return None
    issued = await issue_for_person(person["id"])
    return (issued[0], f"/s/{issued[1]}") if issued else None
