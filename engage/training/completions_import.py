"""Import completions from an external learning system: ``employee_id,module,completed_on``.

All or nothing. A completion closes the person's open assignment of that module; without
one it is recorded as a completed assignment of its own (assigned by the import), so the
effect analysis sees training done outside engage too.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from engage import clock
from engage.csvio import ErrorCollector, ImportSummary, Progress, parse_iso_date, read_csv
from engage.db.sqlite_writer import atomic
from engage.db.tables import Person, TrainingAssignment, TrainingModule

WHAT = "completions.csv"
REQUIRED = ("employee_id", "module", "completed_on")
EARLIEST = date(2000, 1, 1)
IMPORTER = "import:completions"


async def import_completions(data: bytes, progress: Progress | None = None) -> ImportSummary:
    """Check every row against the roster and catalogue, then record the completions."""
    table = read_csv(data, WHAT, required=REQUIRED)
    people = {
        r["employee_id"]: r
        for r in await Person.select(Person.id, Person.employee_id, Person.unit).run()
    }
    modules = {
        r["code"]: int(r["id"])
        for r in await TrainingModule.select(TrainingModule.id, TrainingModule.code).run()
    }
    today = clock.today()
    errors = ErrorCollector()
    seen: dict[tuple[str, str], int] = {}
    wanted: list[tuple[int, int, int, date]] = []  # person, unit, module, completed_on
    for row_no, v in table.rows:
        person = people.get(v["employee_id"])
        if not v["employee_id"]:
            errors.add(row_no, "employee_id", "is empty")
        elif person is None:
            errors.add(
                row_no,
                "employee_id",
                f"unknown employee {v['employee_id']!r} (import the roster first)",
            )
        code = v["module"].lower()
        if not code:
            errors.add(row_no, "module", "is empty")
        elif code not in modules:
            errors.add(
                row_no, "module", f"unknown module {v['module']!r} (see the catalogue's codes)"
            )
        done = parse_iso_date(v["completed_on"])
        if done is None:
            errors.add(row_no, "completed_on", f"{v['completed_on']!r} is not a date YYYY-MM-DD")
        elif done > today:
            errors.add(row_no, "completed_on", f"{done.isoformat()} is in the future")
        elif done < EARLIEST:
            errors.add(row_no, "completed_on", f"{done.isoformat()} looks wrong (check the year)")
        key = (v["employee_id"], code)
        if key in seen:
            errors.add(
                row_no, "module", f"{code} for {v['employee_id']} is already on row {seen[key]}"
            )
        else:
            seen[key] = row_no
        if person is not None and code in modules and done is not None and done <= today:
            wanted.append((int(person["id"]), int(person["unit"]), modules[code], done))
    errors.need_rows(table.rows, "completions")
    errors.raise_if_any(WHAT)
    created = updated = unchanged = 0
    engine = TrainingAssignment._meta.db
    async with atomic(engine):
        existing: dict[tuple[int, int], list[dict[str, Any]]] = {}
        person_ids = sorted({w[0] for w in wanted})
        for start in range(0, len(person_ids), 500):
            chunk = person_ids[start : start + 500]
            for r in (
                await TrainingAssignment.select(
                    TrainingAssignment.id,
                    TrainingAssignment.person,
                    TrainingAssignment.module,
                    TrainingAssignment.status,
                    TrainingAssignment.completed_on,
                )
                .where(TrainingAssignment.person.is_in(chunk))
                .run()
            ):
                existing.setdefault((int(r["person"]), int(r["module"])), []).append(r)
        new: list[TrainingAssignment] = []
        for person_id, unit_id, module_id, done in wanted:
            rows = existing.get((person_id, module_id), [])
            if any(r["status"] == "completed" and r["completed_on"] == done for r in rows):
                unchanged += 1
                continue
            open_rows = [r for r in rows if r["status"] == "assigned"]
            if open_rows:
                await (
                    TrainingAssignment.update(
                        {
                            TrainingAssignment.status: "completed",
                            TrainingAssignment.completed_on: done,
                            TrainingAssignment.completion_source: "import",
                        }
                    )
                    .where(TrainingAssignment.id == open_rows[0]["id"])
                    .run()
                )
                updated += 1
                continue
            new.append(
                TrainingAssignment(
                    module=module_id,
                    person=person_id,
                    unit=unit_id,
                    assigned_by=IMPORTER,
                    assigned_on=done,
                    due_on=done,
                    status="completed",
                    completed_on=done,
                    completion_source="import",
                )
            )
        for start in range(0, len(new), 500):
            await TrainingAssignment.insert(*new[start : start + 500]).run()
        created = len(new)
    return ImportSummary(
        kind="completions",
        rows=len(table.rows),
        created=created,
        updated=updated,
        unchanged=unchanged,
        notes=(
            f"{updated} open assignment{'s' if updated != 1 else ''} completed, {created} "
            f"completion{'s' if created != 1 else ''} recorded without an assignment",
        ),
    )
