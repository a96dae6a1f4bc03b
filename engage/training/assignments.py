"""Assigning modules to people, completing them, and the lists managers and HR follow.

A manager assigns within their subtree only; HR anywhere. Assignments are person-level
records and are never read together with survey answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from engage import audit
from engage.auth.identity import CurrentUser
from engage.db.sqlite_writer import atomic
from engage.db.tables import (
    Person,
    TrainingAssignment,
    TrainingModule,
    TrainingModuleText,
    Unit,
    User,
)
from engage.reporting.report_inputs import inputs_changed
from surveys.tree import path_ids

MAX_NOTE = 1000
MAX_REFLECTION = 2000
#: The latest due date a new assignment may have.
MAX_DUE = timedelta(days=366)
STATUSES = ("assigned", "completed", "cancelled")


class AssignmentError(ValueError):
    """An assignment request is wrong; the message names the field and reason."""


class OutOfScope(AssignmentError):
    """The target is outside the caller's area (answered as 'not found', naming nothing)."""


@dataclass(frozen=True, slots=True)
class AssignRequest:
    """Who gets which module by when: a whole unit (with its sub-units) or chosen people."""

    module_code: str
    due_on: date | None
    unit_code: str = ""
    employee_ids: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True, slots=True)
class AssignResult:
    """What an assignment did."""

    module_code: str
    created: int
    already_open: int
    due_on: date
    title: str = ""

    def message(self) -> str:
        """One line for the page."""
        who = "person" if self.created == 1 else "people"
        text = f"Assigned “{self.title or self.module_code}” to {self.created} {who}"
        text += f", due {self.due_on.isoformat()}"
        if self.already_open:
            text += f"; {self.already_open} already had it open and were left as they were"
        return text + "."


@dataclass(frozen=True, slots=True)
class AssignmentRow:
    """One assignment as lists show it."""

    id: int
    module_code: str
    module_title: str
    employee_id: str
    person_name: str
    unit_code: str
    unit_name: str
    assigned_by: str
    assigned_on: date
    due_on: date
    note: str
    status: str
    completed_on: date | None
    completion_source: str | None
    reflection: str | None
    today: date

    @property
    def overdue(self) -> bool:
        """Open and past its due date."""
        return self.status == "assigned" and self.due_on < self.today

    @property
    def state(self) -> str:
        """completed, overdue, open or cancelled."""
        if self.status == "assigned":
            return "overdue" if self.overdue else "open"
        return self.status


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _in_scope(user: CurrentUser, path: str) -> bool:
    return user.can_see_unit(path)


async def _module_id(code: str) -> int:
    row = (
        await TrainingModule.select(TrainingModule.id, TrainingModule.retired)
        .where(TrainingModule.code == code)
        .first()
        .run()
    )
    if row is None:
        raise AssignmentError(f"module: there is no module {code!r}")
    if row["retired"]:
        raise AssignmentError(f"module: {code} is retired; choose a current module")
    return int(row["id"])


def check_due(due_on: date | None, today: date) -> date:
    """A due date from today up to a year ahead, or ``AssignmentError``."""
    if due_on is None:
        raise AssignmentError("due date: choose a date (YYYY-MM-DD)")
    if due_on < today:
        raise AssignmentError(f"due date: {due_on.isoformat()} is in the past")
    if due_on > today + MAX_DUE:
        raise AssignmentError(f"due date: {due_on.isoformat()} is more than a year ahead")
    return due_on


async def _targets(user: CurrentUser, request: AssignRequest, today: date) -> list[dict[str, Any]]:
    """Current staff the request names, all within the caller's area, or an error."""
    current = Person.left_on.is_null() | (Person.left_on > today)
    columns = (Person.id, Person.employee_id, Person.unit, Person.unit._.path)
    if request.unit_code and request.employee_ids:
        raise AssignmentError("choose a unit or people, not both")
    if request.unit_code:
        unit = await Unit.select(Unit.path).where(Unit.code == request.unit_code).first().run()
        if unit is None or not _in_scope(user, unit["path"]):
            raise OutOfScope(f"unit: no unit {request.unit_code!r} in your area")
        rows = (
            await Person.select(*columns)
            .where(Person.unit._.path.like(unit["path"] + "%") & current)
            .run()
        )
        if not rows:
            raise AssignmentError(f"unit: {request.unit_code} has no current staff")
        return list(rows)
    if not request.employee_ids:
        raise AssignmentError("people: choose a unit or at least one person")
    wanted = list(dict.fromkeys(request.employee_ids))
    rows = (
        await Person.select(*columns, Person.left_on).where(Person.employee_id.is_in(wanted)).run()
    )
    mine = {r["employee_id"]: r for r in rows if _in_scope(user, r["unit.path"])}
    missing = [e for e in wanted if e not in mine]
    if missing:
        raise OutOfScope(
            "people: no current staff member "
            f"{', '.join(repr(m) for m in missing[:10])} in your area"
        )
    gone = [e for e in wanted if mine[e]["left_on"] is not None and mine[e]["left_on"] <= today]
    if gone:
        raise AssignmentError(f"people: {', '.join(gone[:10])} left and cannot be assigned")
    return [mine[e] for e in wanted]


async def assign(user: CurrentUser, request: AssignRequest, today: date) -> AssignResult:
    """Assign a module to the request's people (skipping those who have it open already).

    Raises ``AssignmentError`` (or ``OutOfScope``) and changes nothing when anything is wrong.
    """
    if len(request.note) > MAX_NOTE:
        raise AssignmentError(f"note: longer than {MAX_NOTE} characters")
    module_id = await _module_id(request.module_code)
    due_on = check_due(request.due_on, today)
    people = await _targets(user, request, today)
    engine = TrainingAssignment._meta.db
    rows = [
        TrainingAssignment(
            module=module_id,
            person=int(p["id"]),
            unit=int(p["unit"]),
            assigned_by=user.email,
            assigned_on=today,
            due_on=due_on,
            note=request.note.strip(),
            status="assigned",
        )
        for p in people
    ]
    created = 0
    async with atomic(engine):
        for start in range(0, len(rows), 500):
            # one open assignment per person and module (a partial unique index): someone
            # who has it open already is skipped, also when two requests race
            inserted = (
                await TrainingAssignment.insert(*rows[start : start + 500])
                .on_conflict(action="DO NOTHING")
                .run()
            )
            created += len(inserted)
    busy = len(people) - created
    target = f" in unit {request.unit_code}" if request.unit_code else ""
    await audit.record(
        user.email,
        "training.assigned",
        f"{request.module_code} to {_people(created)}{target}, due {due_on.isoformat()}"
        + (f" ({_people(busy)} already had it open)" if busy else ""),
    )
    title = (
        await TrainingModuleText.select(TrainingModuleText.title)
        .where((TrainingModuleText.module == module_id) & (TrainingModuleText.language == "en"))
        .first()
        .run()
    )
    return AssignResult(request.module_code, created, busy, due_on, title["title"] if title else "")


def _people(n: int) -> str:
    return f"{n} person" if n == 1 else f"{n} people"


async def person_of(user: CurrentUser) -> int | None:
    """The roster person behind a login, if any."""
    row = await User.select(User.person).where(User.id == user.id).first().run()
    return None if row is None or row["person"] is None else int(row["person"])


async def complete(user: CurrentUser, assignment_id: int, reflection: str, today: date) -> None:
    """Mark one's own open assignment complete today, with an optional reflection."""
    if len(reflection) > MAX_REFLECTION:
        raise AssignmentError(f"reflection: longer than {MAX_REFLECTION} characters")
    person = await person_of(user)
    row = (
        await TrainingAssignment.select(
            TrainingAssignment.id,
            TrainingAssignment.person,
            TrainingAssignment.status,
            TrainingAssignment.module._.code,
        )
        .where(TrainingAssignment.id == assignment_id)
        .first()
        .run()
    )
    if row is None or person is None or int(row["person"]) != person:
        raise OutOfScope(f"no assignment {assignment_id} of yours")
    if row["status"] != "assigned":
        raise AssignmentError(f"this assignment is {row['status']} already")
    await (
        TrainingAssignment.update(
            {
                TrainingAssignment.status: "completed",
                TrainingAssignment.completed_on: today,
                TrainingAssignment.completion_source: "self",
                TrainingAssignment.reflection: reflection.strip() or None,
            }
        )
        .where((TrainingAssignment.id == assignment_id) & (TrainingAssignment.status == "assigned"))
        .run()
    )
    await inputs_changed()  # the training effects count completions
    await audit.record(
        user.email, "training.completed", f"assignment {assignment_id} ({row['module.code']})"
    )


async def cancel(user: CurrentUser, assignment_id: int) -> None:
    """Withdraw an open assignment of someone in the caller's area."""
    row = (
        await TrainingAssignment.select(
            TrainingAssignment.status,
            TrainingAssignment.unit._.path,
            TrainingAssignment.module._.code,
            TrainingAssignment.person._.employee_id,
        )
        .where(TrainingAssignment.id == assignment_id)
        .first()
        .run()
    )
    if row is None or not _in_scope(user, row["unit.path"]):
        raise OutOfScope(f"no assignment {assignment_id} in your area")
    if row["status"] != "assigned":
        raise AssignmentError(
            f"this assignment is {row['status']}; only open ones can be withdrawn"
        )
    await (
        TrainingAssignment.update({TrainingAssignment.status: "cancelled"})
        .where(TrainingAssignment.id == assignment_id)
        .run()
    )
    await audit.record(
        user.email,
        "training.cancelled",
        f"assignment {assignment_id} ({row['module.code']}, {row['person.employee_id']})",
    )


LIST_SQL = (
    "SELECT a.id, m.code AS module_code, COALESCE(t.title, m.code) AS module_title, "
    "p.employee_id, p.name AS person_name, u.code AS unit_code, u.name AS unit_name, "
    "a.assigned_by, a.assigned_on, a.due_on, a.note, a.status, a.completed_on, "
    "a.completion_source, a.reflection "
    "FROM training_assignment a JOIN training_module m ON m.id = a.module "
    "JOIN person p ON p.id = a.person JOIN org_unit u ON u.id = a.unit "
    "LEFT JOIN training_module_text t ON t.module = m.id AND t.language = {} "
)


async def list_assignments(
    today: date,
    *,
    unit_path: str | None = None,
    person_id: int | None = None,
    status: str | None = None,
    language: str = "en",
    limit: int = 500,
) -> list[AssignmentRow]:
    """Assignments of a subtree (by the unit at assignment) or of one person, newest due last.

    ``status`` is assigned, completed, cancelled or overdue.
    """
    conditions: list[str] = []
    params: list[Any] = [language]
    if unit_path is not None:
        conditions.append("u.path LIKE {}")
        params.append(unit_path + "%")
    if person_id is not None:
        conditions.append("a.person = {}")
        params.append(person_id)
    if status == "overdue":
        conditions.append("a.status = 'assigned' AND a.due_on < {}")
        params.append(today)
    elif status in STATUSES:
        conditions.append("a.status = {}")
        params.append(status)
    sql = LIST_SQL + ("WHERE " + " AND ".join(conditions) if conditions else "")
    sql += f" ORDER BY a.status, a.due_on, p.name, a.id LIMIT {int(limit)}"
    rows = await TrainingAssignment.raw(sql, *params).run()
    return [
        AssignmentRow(
            id=int(r["id"]),
            module_code=r["module_code"],
            module_title=r["module_title"],
            employee_id=r["employee_id"],
            person_name=r["person_name"],
            unit_code=r["unit_code"],
            unit_name=r["unit_name"],
            assigned_by=r["assigned_by"],
            assigned_on=_as_date(r["assigned_on"]),
            due_on=_as_date(r["due_on"]),
            note=r["note"] or "",
            status=r["status"],
            completed_on=None if r["completed_on"] is None else _as_date(r["completed_on"]),
            completion_source=r["completion_source"],
            reflection=r["reflection"],
            today=today,
        )
        for r in rows
    ]


@dataclass(frozen=True, slots=True)
class UnitProgress:
    """Counts of a unit's assignments (the unit at assignment, with its sub-units)."""

    code: str
    name: str
    depth: int
    open: int
    overdue: int
    completed: int

    @property
    def completion_rate(self) -> float | None:
        """Completed out of completed and open (withdrawn ones left out)."""
        total = self.open + self.completed
        return None if total == 0 else self.completed / total


async def progress_by_unit(today: date, scope_path: str | None) -> list[UnitProgress]:
    """Open, overdue and completed assignments per unit of the caller's area, subtree totals.

    Counted with one GROUP BY over (assignment unit), then added up each unit's path.
    """
    rows = await TrainingAssignment.raw(
        "SELECT a.unit, "
        "SUM(CASE WHEN a.status = 'assigned' THEN 1 ELSE 0 END) AS open, "
        "SUM(CASE WHEN a.status = 'assigned' AND a.due_on < {} THEN 1 ELSE 0 END) AS overdue, "
        "SUM(CASE WHEN a.status = 'completed' THEN 1 ELSE 0 END) AS completed "
        "FROM training_assignment a GROUP BY a.unit",
        today,
    )
    units = await Unit.select(Unit.id, Unit.code, Unit.name, Unit.path, Unit.depth).run()
    by_id = {int(u["id"]): u for u in units}
    totals: dict[int, list[int]] = {}
    for r in rows:
        unit = by_id.get(int(r["unit"]))
        if unit is None:
            continue
        for part in path_ids(unit["path"]):
            t = totals.setdefault(part, [0, 0, 0])
            t[0] += int(r["open"] or 0)
            t[1] += int(r["overdue"] or 0)
            t[2] += int(r["completed"] or 0)
    out = [
        UnitProgress(u["code"], u["name"], int(u["depth"]), *totals[int(u["id"])])
        for u in sorted(units, key=lambda u: u["path"])
        if int(u["id"]) in totals and (scope_path is None or u["path"].startswith(scope_path))
    ]
    return out
