"""Import ``roster.csv``: people by ``employee_id``, with their login accounts kept in step."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from babel import Locale, UnknownLocaleError

from engage import clock
from engage.csvio import ErrorCollector, ImportSummary, Progress, chunked, parse_iso_date, read_csv
from engage.db.bulk import executemany
from engage.db.tables import ROLES, Invitation, OrgSettings, Person, Unit, User, Wave

WHAT = "roster.csv"
PERSON_COLUMNS = (
    "employee_id",
    "name",
    "unit",
    "hired_on",
    "email",
    "role",
    "language",
    "left_on",
    "search_text",
)
UPSERT_PERSON = (
    f"INSERT INTO person ({', '.join(PERSON_COLUMNS)}) "
    f"VALUES ({', '.join(['{}'] * len(PERSON_COLUMNS))}) "
    "ON CONFLICT (employee_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in PERSON_COLUMNS[1:])
)
USER_COLUMNS = ("email", "name", "role", "person", "active")
REQUIRED = ("employee_id", "name", "unit_id", "hired_on")
OPTIONAL = ("email", "role", "language", "left_on")
EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
MAX_ID = 64
MAX_NAME = 200
EARLIEST_DATE = date(1900, 1, 1)


@dataclass(frozen=True, slots=True)
class RosterRow:
    """One person as the file states them; ``None`` for a column the file does not have."""

    row: int
    employee_id: str
    name: str
    unit_code: str
    hired_on: date
    email: str | None
    role: str | None
    language: str | None
    left_on: date | None


def search_text(name: str, email: str | None, employee_id: str) -> str:
    """What the people search matches: name, email and id, case-folded (any script)."""
    return " ".join(part for part in (name, email or "", employee_id) if part).casefold()


def normalise_language(value: str) -> str | None:
    """A language tag such as ``en``, ``ru``, ``zh`` or ``pt-BR`` in Babel's form, or None."""
    try:
        return str(Locale.parse(value.replace("-", "_")))
    except (UnknownLocaleError, ValueError, TypeError):
        return None


def validate_roster(
    data: bytes,
    unit_codes: set[str],
    email_owner: dict[str, str],
    default_language: str,
) -> tuple[list[RosterRow], set[str]]:
    """Check a roster against known units and stored emails; return rows and present columns.

    ``email_owner`` maps each stored email to the employee_id holding it. Raises
    ``ImportRejected`` naming every bad row.
    """
    table = read_csv(data, WHAT, required=REQUIRED, optional=OPTIONAL)
    present = {c for c in OPTIONAL if c in table.header}
    errors = ErrorCollector()
    seen_ids: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    rows: list[RosterRow] = []
    file_ids = {v["employee_id"] for _, v in table.rows}
    latest_hire = clock.today() + timedelta(days=366)
    for row_no, v in table.rows:
        ok = True
        emp = v["employee_id"]
        if not emp:
            errors.add(row_no, "employee_id", "is empty")
            ok = False
        elif len(emp) > MAX_ID:
            errors.add(row_no, "employee_id", f"is longer than {MAX_ID} characters")
            ok = False
        elif emp in seen_ids:
            errors.add(row_no, "employee_id", f"duplicate id {emp!r} (also on row {seen_ids[emp]})")
            ok = False
        else:
            seen_ids[emp] = row_no
        name = v["name"]
        if not name:
            errors.add(row_no, "name", "is empty")
            ok = False
        elif len(name) > MAX_NAME:
            errors.add(row_no, "name", f"is longer than {MAX_NAME} characters")
            ok = False
        unit = v["unit_id"]
        if not unit:
            errors.add(row_no, "unit_id", "is empty")
            ok = False
        elif unit not in unit_codes:
            errors.add(row_no, "unit_id", f"unknown unit {unit!r} (import units.csv first)")
            ok = False
        hired_on = parse_iso_date(v["hired_on"])
        if hired_on is None:
            reason = (
                "is empty" if not v["hired_on"] else f"{v['hired_on']!r} is not a date YYYY-MM-DD"
            )
            errors.add(row_no, "hired_on", reason)
            ok = False
        elif not EARLIEST_DATE <= hired_on <= latest_hire:
            errors.add(row_no, "hired_on", f"{hired_on} looks wrong (check the year)")
            ok = False
        left_on: date | None = None
        if "left_on" in present and v["left_on"]:
            left_on = parse_iso_date(v["left_on"])
            if left_on is None:
                errors.add(row_no, "left_on", f"{v['left_on']!r} is not a date YYYY-MM-DD")
                ok = False
            elif hired_on is not None and left_on < hired_on:
                errors.add(row_no, "left_on", f"{left_on} is before hired_on {hired_on}")
                ok = False
        role: str | None = None
        if "role" in present:
            role = v["role"].lower() or "employee"
            if role not in ROLES:
                errors.add(
                    row_no, "role", f"unknown role {v['role']!r}; use one of {', '.join(ROLES)}"
                )
                ok = False
        language: str | None = None
        if "language" in present:
            language = default_language
            if v["language"]:
                normalised = normalise_language(v["language"])
                if normalised is None:
                    errors.add(row_no, "language", f"unknown language {v['language']!r}")
                    ok = False
                else:
                    language = normalised
        email: str | None = None
        if "email" in present and v["email"]:
            email = v["email"].lower()
            if not EMAIL.match(email) or len(email) > 254:
                errors.add(row_no, "email", f"{v['email']!r} is not an email address")
                ok = False
            elif email in seen_emails:
                errors.add(row_no, "email", f"{email} is also on row {seen_emails[email]}")
                ok = False
            else:
                seen_emails[email] = row_no
                owner = email_owner.get(email)
                if owner is not None and owner != emp and owner not in file_ids:
                    errors.add(row_no, "email", f"{email} already belongs to employee {owner!r}")
                    ok = False
        if ok:
            assert hired_on is not None
            rows.append(
                RosterRow(row_no, emp, name, unit, hired_on, email, role, language, left_on)
            )
    errors.need_rows(table.rows, "people")
    errors.raise_if_any(WHAT)
    return rows, present


async def import_roster(data: bytes, progress: Progress | None = None) -> ImportSummary:
    """Validate and apply a roster in one transaction; people are matched by ``employee_id``.

    People missing from the file are left as they are; columns missing from the file keep
    their stored values (new people get the defaults: role employee, the organisation's
    language).
    """
    units = {r["code"]: r["id"] for r in await Unit.select(Unit.id, Unit.code).run()}
    stored = await Person.select(
        Person.id,
        Person.employee_id,
        Person.email,
        Person.name,
        Person.unit,
        Person.role,
        Person.language,
        Person.hired_on,
        Person.left_on,
        Person.search_text,
    ).run()
    by_emp = {r["employee_id"]: r for r in stored}
    email_owner = {r["email"]: r["employee_id"] for r in stored if r["email"]}
    settings = await OrgSettings.select(OrgSettings.default_language).first().run()
    default_language = settings["default_language"] if settings else "en"
    rows, present = validate_roster(data, set(units), email_owner, default_language)

    def full(r: RosterRow) -> dict[str, Any]:
        old = by_emp.get(r.employee_id)
        return {
            "employee_id": r.employee_id,
            "name": r.name,
            "unit": units[r.unit_code],
            "hired_on": r.hired_on,
            "email": r.email if "email" in present else (old["email"] if old else None),
            "role": r.role if "role" in present else (old["role"] if old else "employee"),
            "language": r.language
            if "language" in present
            else (old["language"] if old else default_language),
            "left_on": r.left_on if "left_on" in present else (old["left_on"] if old else None),
        }

    wanted = [full(r) for r in rows]
    for w in wanted:
        w["search_text"] = search_text(str(w["name"]), w["email"], str(w["employee_id"]))
    await check_login_emails(rows, wanted)
    created = [w for w in wanted if w["employee_id"] not in by_emp]
    updated = [
        w
        for w in wanted
        if w["employee_id"] in by_emp
        and any(by_emp[str(w["employee_id"])][k] != v for k, v in w.items())
    ]
    done = {"people": 0}

    def tick(n: int) -> None:
        done["people"] += n
        if progress:
            progress("saving people", done["people"], len(created) + len(updated))

    def logins_done(n: int) -> None:
        if progress:
            progress("updating logins", n, len(wanted))

    moved_emails = [
        str(w["employee_id"])
        for w in updated
        if by_emp[str(w["employee_id"])]["email"] != w["email"]
    ]
    engine = Person._meta.db
    async with engine.transaction():
        await executemany(
            engine,
            "UPDATE person SET email = NULL WHERE employee_id = {}",
            [(emp,) for emp in moved_emails],
        )
        for chunk in chunked(created + updated, 2000):
            await executemany(
                engine,
                UPSERT_PERSON,
                [tuple(w[c] for c in PERSON_COLUMNS) for w in chunk],
            )
            tick(len(chunk))
        today = clock.today()
        previously_left = {
            emp for emp, r in by_emp.items() if r["left_on"] is not None and r["left_on"] <= today
        }
        await sync_accounts(wanted, previously_left, logins_done)
    untouched = len(set(by_emp) - {str(w["employee_id"]) for w in wanted})
    notes: tuple[str, ...] = ()
    if untouched:
        notes = (
            f"{untouched} {'person' if untouched == 1 else 'people'} already stored but not in "
            "this file were left unchanged (set left_on to record a leaver).",
        )
    notes += await _open_wave_notes(
        [str(w["employee_id"]) for w in created],
        [by_emp[emp]["id"] for emp in moved_emails],
    )
    return ImportSummary(
        kind="roster",
        rows=len(rows),
        created=len(created),
        updated=len(updated),
        unchanged=len(rows) - len(created) - len(updated),
        notes=notes,
    )


def _listed(ids: list[str], most: int = 100) -> str:
    shown = ", ".join(ids[:most])
    return shown if len(ids) <= most else f"{shown} and {len(ids) - most} more"


async def _open_wave_notes(added: list[str], new_email_ids: list[int]) -> tuple[str, ...]:
    """What the audit log must show while a wave is open (README, threat model): who was
    added to the roster, and whose email changed while they hold an invitation (their next
    reminder, with a working link, goes to the new address)."""
    if not await Wave.exists().where(Wave.status == "open").run():
        return ()
    notes = []
    if added:
        notes.append(f"added while a wave is open: {_listed(sorted(added))}")
    if new_email_ids:
        rows = (
            await Invitation.select(Invitation.person.employee_id)
            .where(
                Invitation.person.is_in(new_email_ids),
                Invitation.wave.status == "open",
            )
            .distinct()
            .run()
        )
        invited = sorted(str(r["person.employee_id"]) for r in rows)
        if invited:
            notes.append(
                "email changed while invited to an open wave (reminders go to the new "
                f"address): {_listed(invited)}"
            )
    return tuple(notes)


async def check_login_emails(rows: list[RosterRow], wanted: list[dict[str, Any]]) -> None:
    """Refuse an email that another login keeps using after this import.

    A login stays with its person (and its password): it never passes to someone else
    because an address did. An address can move to another person only when the login
    using it moves to that login-holder's new address in the same file.
    """
    users = await User.select(User.email, User.person.employee_id).run()
    holder_of: dict[str, str | None] = {u["email"]: u["person.employee_id"] for u in users}
    has_login = {u["person.employee_id"] for u in users if u["person.employee_id"]}
    new_email = {str(w["employee_id"]): w["email"] for w in wanted}
    errors = ErrorCollector()
    for r, w in zip(rows, wanted, strict=True):
        email, emp = w["email"], str(w["employee_id"])
        if not email or str(email) not in holder_of:
            continue
        holder = holder_of[str(email)]
        if holder == emp:
            continue
        if holder is None:
            if emp in has_login:
                errors.add(
                    r.row,
                    "email",
                    f"{email} is the login of another account (not linked to anyone on the "
                    f"roster) while employee {emp!r} has a login of their own; an admin must "
                    "change or remove one of the two logins first",
                )
            continue  # otherwise that account becomes this person's login
        moves_to = new_email.get(holder)
        if holder in new_email and moves_to and moves_to != email:
            continue  # the holder's login moves to their new address in this same import
        errors.add(
            r.row,
            "email",
            f"{email} is still the login of employee {holder!r}; a login cannot pass to "
            "another person, so an admin must change or remove that login first",
        )
    errors.raise_if_any(WHAT)


async def sync_accounts(
    wanted: list[dict[str, Any]],
    previously_left: set[str],
    tick: Callable[[int], None],
) -> None:
    """Give each roster person with an email a login account in step with their roster row.

    Accounts are created without a password (an admin or ``engage user set-password`` sets
    one); leavers' accounts are deactivated and re-hires' reactivated, while a login an admin
    deactivated stays so; roles follow the roster. A login stays with its person; an
    existing login is taken over by email only when it is linked to nobody.
    """
    today = clock.today()
    person_ids = {
        r["employee_id"]: r["id"] for r in await Person.select(Person.id, Person.employee_id).run()
    }
    users = await User.select(
        User.id, User.email, User.person, User.name, User.role, User.active
    ).run()
    by_person = {u["person"]: u for u in users if u["person"] is not None}
    unlinked_by_email = {u["email"]: u for u in users if u["person"] is None}
    new_users: list[tuple[Any, ...]] = []
    deactivate: list[tuple[int]] = []
    changes: list[tuple[dict[str, Any], dict[str, Any]]] = []
    now = clock.now()
    for w in wanted:
        pid = person_ids[str(w["employee_id"])]
        email = w["email"]
        left_on = w["left_on"]
        employed = left_on is None or (isinstance(left_on, date) and left_on > today)
        target: dict[str, Any] = {
            "email": email,
            "name": w["name"],
            "role": w["role"],
            "person": pid,
            "active": bool(employed and email),
        }
        user = by_person.get(pid) or (unlinked_by_email.get(str(email)) if email else None)
        if user is not None and employed and str(w["employee_id"]) not in previously_left:
            target["active"] = user["active"]  # keep an admin's deactivation
        if user is None:
            if email:
                new_users.append((*(target[c] for c in USER_COLUMNS), now))
            continue
        if not email:
            if user["active"]:
                deactivate.append((user["id"],))
            continue
        current = {k: user[k] for k in ("email", "name", "role", "person", "active")}
        if current != {str(k): v for k, v in target.items()}:
            changes.append((user, target))
    engine = User._meta.db
    await executemany(
        engine, "UPDATE app_user SET active = {} WHERE id = {}", [(False, i) for (i,) in deactivate]
    )
    # Logins whose address changes first step aside, so addresses can swap between people.
    await executemany(
        engine,
        "UPDATE app_user SET email = {} WHERE id = {}",
        [
            (f"moving-{login['id']}@engage.invalid", login["id"])
            for login, state in changes
            if state["email"] != login["email"]
        ],
    )
    await executemany(
        engine,
        "UPDATE app_user SET " + ", ".join(f"{c} = {{}}" for c in USER_COLUMNS) + " WHERE id = {}",
        [(*(state[c] for c in USER_COLUMNS), login["id"]) for login, state in changes],
    )
    for batch in chunked(new_users, 2000):
        await executemany(
            engine,
            f"INSERT INTO app_user ({', '.join(USER_COLUMNS)}, created_at) "
            f"VALUES ({', '.join(['{}'] * (len(USER_COLUMNS) + 1))})",
            batch,
        )
    tick(len(wanted))
