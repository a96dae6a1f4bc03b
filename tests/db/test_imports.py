"""units.csv and roster.csv imports against a real database (SQLite and PostgreSQL).

Every rejected import must leave org_unit, person and app_user exactly as they were.
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any

import pytest

from engage import clock
from engage.csvio import ImportRejected, ImportSummary
from engage.db.tables import Person, Unit, User
from engage.org.roster_import import import_roster
from engage.org.units_import import import_units

pytestmark = pytest.mark.db

UNITS_HEADER = "unit_id,name,parent_id"
ROSTER_HEADER = "employee_id,email,name,unit_id,role,language,hired_on,left_on"
#: R ─┬─ A ── A1 ── A1x
#:    └─ B
TREE = ("R,Head office,", "A,Salon A,R", "A1,Nails A,A", "A1x,Nails A evening,A1", "B,Salon B,R")


def csv_bytes(header: str, *rows: str) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def units_csv(*rows: str) -> bytes:
    return csv_bytes(UNITS_HEADER, *rows)


def roster_csv(*rows: str) -> bytes:
    return csv_bytes(ROSTER_HEADER, *rows)


def person(
    emp: str,
    email: str,
    name: str = "Someone",
    unit: str = "A",
    role: str = "employee",
    language: str = "en",
    hired_on: str = "2024-01-15",
    left_on: str = "",
) -> str:
    """One roster line in the contract's column order."""
    return ",".join([emp, email, name, unit, role, language, hired_on, left_on])


#: E1 and E2 work in salon A, E3 (no email) and E4 in salon B.
STAFF = (
    person("E1", "ann@example.com", "Ann", "A", "employee"),
    person("E2", "bob@example.com", "Bob", "A", "manager"),
    person("E3", "", "Cy", "B", "employee"),
    person("E4", "dee@example.com", "Dee", "B", "hr"),
)


@pytest.fixture(autouse=True)
async def empty_org(db: str) -> None:
    """Each test starts from an organisation without units, people or logins."""
    await User.delete(force=True).run()
    await Person.delete(force=True).run()
    await Unit.update({Unit.parent: None}, force=True).run()
    await Unit.delete(force=True).run()


async def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row of the tables an import may touch."""
    return {
        "org_unit": await Unit.select().order_by(Unit.id).run(),
        "person": await Person.select().order_by(Person.id).run(),
        "app_user": await User.select().order_by(User.id).run(),
    }


async def units_by_code() -> dict[str, dict[str, Any]]:
    rows = await Unit.select(
        Unit.id, Unit.code, Unit.name, Unit.path, Unit.depth, Unit.parent.code
    ).run()
    return {r["code"]: r for r in rows}


async def people() -> dict[str, dict[str, Any]]:
    rows = await Person.select(Person.all_columns(), Person.unit.code).run()
    return {r["employee_id"]: r for r in rows}


async def logins() -> dict[str, dict[str, Any]]:
    rows = await User.select(User.all_columns(), User.person.employee_id).run()
    return {r["email"]: r for r in rows}


async def setup_org() -> None:
    await import_units(units_csv(*TREE))
    await import_roster(roster_csv(*STAFF))


def counts(summary: ImportSummary) -> tuple[int, int, int, int]:
    return summary.rows, summary.created, summary.updated, summary.unchanged


async def assert_rejected_unchanged(importer: Any, data: bytes) -> ImportRejected:
    """Run an import that must fail; check that the database did not move."""
    before = await snapshot()
    with pytest.raises(ImportRejected) as info:
        await importer(data)
    assert await snapshot() == before
    assert "nothing was imported" in str(info.value)
    return info.value


# ---------------------------------------------------------------- units: good files


async def test_first_units_import_builds_the_tree() -> None:
    summary = await import_units(units_csv(*TREE))
    assert counts(summary) == (5, 5, 0, 0)
    units = await units_by_code()
    ids = {code: u["id"] for code, u in units.items()}
    expected = {
        "R": ("/{R}/", 0, None),
        "A": ("/{R}/{A}/", 1, "R"),
        "A1": ("/{R}/{A}/{A1}/", 2, "A"),
        "A1x": ("/{R}/{A}/{A1}/{A1x}/", 3, "A1"),
        "B": ("/{R}/{B}/", 1, "R"),
    }
    for code, (path, depth, parent) in expected.items():
        u = units[code]
        assert (u["path"], u["depth"], u["parent.code"]) == (path.format(**ids), depth, parent)
    assert units["A1x"]["name"] == "Nails A evening"


async def test_children_before_parents_bom_extra_columns_header_case_and_quotes() -> None:
    data = (
        "\ufeff Unit_ID ,Colour,NAME,Parent_ID\n"
        'A1,red,"Nails, A",A\n'
        'A,blue,"Salon ""A""",R\n'
        "R,green,Head office,\n"
    ).encode()
    assert counts(await import_units(data)) == (3, 3, 0, 0)
    units = await units_by_code()
    assert units["A1"]["name"] == "Nails, A"
    assert units["A"]["name"] == 'Salon "A"'
    assert units["A1"]["path"] == f"/{units['R']['id']}/{units['A']['id']}/{units['A1']['id']}/"


async def test_reimporting_the_same_units_changes_nothing() -> None:
    await import_units(units_csv(*TREE))
    before = await snapshot()
    summary = await import_units(units_csv(*TREE))
    assert counts(summary) == (5, 0, 0, 5)
    assert "5 unchanged" in summary.message()
    assert await snapshot() == before


async def test_a_later_file_may_hold_only_new_units_and_renames() -> None:
    await import_units(units_csv(*TREE))
    summary = await import_units(units_csv("B,Salon B (renamed),R", "B1,Hair B,B"))
    assert counts(summary) == (2, 1, 1, 0)
    units = await units_by_code()
    assert len(units) == 6
    assert units["B"]["name"] == "Salon B (renamed)"
    assert units["B1"]["path"] == f"/{units['R']['id']}/{units['B']['id']}/{units['B1']['id']}/"
    assert units["B1"]["depth"] == 2


async def test_moving_a_unit_recomputes_the_paths_of_its_whole_subtree() -> None:
    await import_units(units_csv(*TREE))
    before = await units_by_code()
    summary = await import_units(units_csv("A,Salon A,B"))  # A (with A1, A1x) goes under B
    assert counts(summary) == (1, 0, 1, 0)
    after = await units_by_code()
    ids = {code: u["id"] for code, u in after.items()}
    assert ids == {code: u["id"] for code, u in before.items()}  # ids are kept
    assert after["A"]["parent.code"] == "B"
    assert (after["A"]["path"], after["A"]["depth"]) == ("/{R}/{B}/{A}/".format(**ids), 2)
    assert (after["A1"]["path"], after["A1"]["depth"]) == ("/{R}/{B}/{A}/{A1}/".format(**ids), 3)
    assert (after["A1x"]["path"], after["A1x"]["depth"]) == (
        "/{R}/{B}/{A}/{A1}/{A1x}/".format(**ids),
        4,
    )
    assert after["B"]["path"] == before["B"]["path"]
    assert after["R"]["path"] == before["R"]["path"]
    # subtree queries by path prefix now find A's branch under B
    under_b = await Unit.select(Unit.code).where(Unit.path.like(after["B"]["path"] + "%")).run()
    assert {r["code"] for r in under_b} == {"B", "A", "A1", "A1x"}


async def test_moving_a_subtree_and_adding_below_it_in_one_file() -> None:
    await import_units(units_csv(*TREE))
    await import_units(units_csv("C,Salon C,R", "A1,Nails A,C", "A1y,Nails A late,A1"))
    units = await units_by_code()
    ids = {code: u["id"] for code, u in units.items()}
    assert units["A1x"]["path"] == "/{R}/{C}/{A1}/{A1x}/".format(**ids)
    assert units["A1y"]["path"] == "/{R}/{C}/{A1}/{A1y}/".format(**ids)
    assert units["A"]["path"] == "/{R}/{A}/".format(**ids)


async def test_a_new_root_above_the_old_one_moves_the_whole_tree_down() -> None:
    await import_units(units_csv(*TREE))
    summary = await import_units(units_csv("G,Group,", "R,Head office,G"))
    assert counts(summary) == (2, 1, 1, 0)
    units = await units_by_code()
    ids = {code: u["id"] for code, u in units.items()}
    assert (units["G"]["path"], units["G"]["depth"]) == ("/{G}/".format(**ids), 0)
    assert (units["A1x"]["path"], units["A1x"]["depth"]) == (
        "/{G}/{R}/{A}/{A1}/{A1x}/".format(**ids),
        4,
    )


async def test_unit_import_reports_progress_to_the_end() -> None:
    calls: list[tuple[str, int, int]] = []
    await import_units(units_csv(*TREE), progress=lambda *a: calls.append(a))
    assert calls
    _stage, done, total = calls[-1]
    assert done == total > 0
    assert all(d <= t for _, d, t in calls)


# ---------------------------------------------------------------- units: bad files


def _latin1_units() -> bytes:
    return b"unit_id,name,parent_id\nC,Caf\xe9,R\n"


BAD_UNITS = [
    # (case, file, row, column, words the reason must contain)
    ("missing column", b"unit_id,name\nC,Salon C\n", 1, "parent_id", "missing required column"),
    ("duplicate id", units_csv("C,Salon C,R", "C,Salon C2,R"), 3, "unit_id", "duplicate id 'C'"),
    ("empty id", units_csv(",Salon C,R"), 2, "unit_id", "is empty"),
    ("empty name", units_csv("C,,R"), 2, "name", "is empty"),
    ("unknown parent", units_csv("C,Salon C,Q"), 2, "parent_id", "unknown parent unit 'Q'"),
    ("self parent", units_csv("C,Salon C,C"), 2, "parent_id", "cannot be its own parent"),
    ("cycle of two", units_csv("C,C,D", "D,D,C"), 2, "parent_id", "cycle in the unit tree"),
    (
        "cycle of three",
        units_csv("X,Fine,R", "C,C,D", "D,D,E", "E,E,C"),
        3,
        "parent_id",
        "cycle in the unit tree",
    ),
    ("cycle with stored child", units_csv("A,Salon A,A1"), 2, "parent_id", "cycle"),
    ("cycle through stored root", units_csv("R,Head office,A1x"), 2, "parent_id", "cycle"),
    ("second root", units_csv("S,Second office,"), 2, "parent_id", "more than one root"),
    ("stored unit made a root", units_csv("B,Salon B,"), 2, "parent_id", "more than one root"),
    ("not utf-8", _latin1_units(), 2, None, "not UTF-8"),
    ("empty file", b"", None, None, "empty"),
    ("header only", units_csv(), None, None, "no units"),
    ("too many fields", units_csv("C,Smith, Jones,R"), 2, None, "has 4 fields"),
    ("name too long", units_csv(f"C,{'n' * 201},R"), 2, "name", "longer than 200"),
    ("id too long", units_csv(f"{'c' * 65},C,R"), 2, "unit_id", "longer than 64"),
    ("NUL in name", units_csv("C,Sal\x00on,R"), 2, "name", "NUL"),
]


@pytest.mark.parametrize(
    ("data", "row", "column", "reason"),
    [case[1:] for case in BAD_UNITS],
    ids=[case[0] for case in BAD_UNITS],
)
async def test_bad_units_file_changes_nothing(
    data: bytes, row: int | None, column: str | None, reason: str
) -> None:
    await setup_org()
    exc = await assert_rejected_unchanged(import_units, data)
    error = exc.errors[0]
    assert (error.row, error.column) == (row, column), exc.summary()
    assert reason in error.reason
    if row is not None:
        assert f"row {row}" in exc.summary()


async def test_one_bad_unit_among_a_thousand_imports_nothing() -> None:
    rows = ["R,Root,"] + [f"U{i},Team {i},R" for i in range(3, 1001)]
    rows[517 - 2] = "U517,,R"
    exc = await assert_rejected_unchanged(import_units, units_csv(*rows))
    assert [(e.row, e.column) for e in exc.errors] == [(517, "name")]
    assert "row 517, column name: is empty" in str(exc)
    assert await Unit.count().run() == 0


async def test_a_good_units_file_after_a_bad_one() -> None:
    await assert_rejected_unchanged(import_units, units_csv("R,Root,", "A,A,Q"))
    assert counts(await import_units(units_csv("R,Root,", "A,A,R"))) == (2, 2, 0, 0)


# ---------------------------------------------------------------- roster: good files


async def test_first_roster_import_creates_people_and_logins() -> None:
    await import_units(units_csv(*TREE))
    summary = await import_roster(roster_csv(*STAFF))
    assert counts(summary) == (4, 4, 0, 0)
    assert summary.notes == ()
    staff = await people()
    assert {e: (p["name"], p["unit.code"], p["role"], p["email"]) for e, p in staff.items()} == {
        "E1": ("Ann", "A", "employee", "ann@example.com"),
        "E2": ("Bob", "A", "manager", "bob@example.com"),
        "E3": ("Cy", "B", "employee", None),
        "E4": ("Dee", "B", "hr", "dee@example.com"),
    }
    assert staff["E1"]["hired_on"] == date(2024, 1, 15)
    assert staff["E1"]["left_on"] is None
    users = await logins()
    assert set(users) == {"ann@example.com", "bob@example.com", "dee@example.com"}
    for email, emp, role in [
        ("ann@example.com", "E1", "employee"),
        ("bob@example.com", "E2", "manager"),
        ("dee@example.com", "E4", "hr"),
    ]:
        u = users[email]
        assert (u["person.employee_id"], u["role"], u["active"]) == (emp, role, True)
        assert u["password_hash"] is None


async def test_reimporting_the_same_roster_changes_nothing() -> None:
    await setup_org()
    before = await snapshot()
    summary = await import_roster(roster_csv(*STAFF))
    assert counts(summary) == (4, 0, 0, 4)
    assert await snapshot() == before


async def test_reimport_updates_by_employee_id() -> None:
    await setup_org()
    ids = {e: p["id"] for e, p in (await people()).items()}
    e4_before = (await people())["E4"]
    summary = await import_roster(
        roster_csv(
            person("E1", "ann@example.com", "Ann Smith", "B", "manager"),  # name, unit, role
            person("E2", "bob@example.com", "Bob", "A", "manager", left_on="2024-06-30"),
            person("E3", "", "Cy", "B", "employee"),  # unchanged; E4 is not in the file
        )
    )
    assert counts(summary) == (3, 0, 2, 1)
    assert "1 person already stored but not in this file were left unchanged" in summary.message()
    staff = await people()
    assert {e: p["id"] for e, p in staff.items()} == ids  # matched by id, nothing recreated
    assert (staff["E1"]["name"], staff["E1"]["unit.code"], staff["E1"]["role"]) == (
        "Ann Smith",
        "B",
        "manager",
    )
    assert staff["E2"]["left_on"] == date(2024, 6, 30)  # the leaver is kept
    assert staff["E4"] == e4_before
    users = await logins()
    assert (users["ann@example.com"]["role"], users["ann@example.com"]["name"]) == (
        "manager",
        "Ann Smith",
    )
    assert users["ann@example.com"]["active"] is True
    assert users["bob@example.com"]["active"] is False  # left: login deactivated, not deleted
    assert users["bob@example.com"]["person.employee_id"] == "E2"
    assert users["dee@example.com"]["active"] is True


async def test_a_leaver_who_comes_back_gets_the_login_back() -> None:
    await setup_org()
    await import_roster(roster_csv(person("E1", "ann@example.com", "Ann", left_on="2024-03-01")))
    assert (await logins())["ann@example.com"]["active"] is False
    await import_roster(roster_csv(person("E1", "ann@example.com", "Ann")))
    assert (await logins())["ann@example.com"]["active"] is True


async def test_a_login_an_admin_deactivated_stays_deactivated_on_reimport() -> None:
    await setup_org()
    await User.update({User.active: False}).where(User.email == "ann@example.com").run()
    await import_roster(roster_csv(*STAFF))
    assert (await logins())["ann@example.com"]["active"] is False
    assert (await logins())["bob@example.com"]["active"] is True


async def test_a_leaving_date_in_the_future_keeps_the_login_active() -> None:
    await setup_org()
    later = (clock.today() + timedelta(days=30)).isoformat()
    await import_roster(roster_csv(person("E1", "ann@example.com", "Ann", left_on=later)))
    assert (await logins())["ann@example.com"]["active"] is True


async def test_login_roles_follow_the_roster() -> None:
    await setup_org()
    await import_roster(
        roster_csv(
            person("E1", "ann@example.com", "Ann", role="admin"),
            person("E2", "bob@example.com", "Bob", role="employee"),
            person("E4", "dee@example.com", "Dee", "B", role="MANAGER"),
        )
    )
    users = await logins()
    assert {e: users[e]["role"] for e in users} == {
        "ann@example.com": "admin",
        "bob@example.com": "employee",
        "dee@example.com": "manager",
    }
    assert {e: p["role"] for e, p in (await people()).items()} == {
        "E1": "admin",
        "E2": "employee",
        "E3": "employee",
        "E4": "manager",
    }


async def test_a_roster_without_the_role_column_keeps_stored_roles() -> None:
    await setup_org()
    data = csv_bytes(
        "employee_id,email,name,unit_id,hired_on",
        "E1,ann@example.com,Ann,A,2024-01-15",
        "E2,bob@example.com,Robert,A,2024-01-15",
        "E4,dee@example.com,Dee,B,2024-01-15",
        "E5,eve@example.com,Eve,B,2024-02-01",
    )
    summary = await import_roster(data)
    assert counts(summary) == (4, 1, 1, 2)
    staff = await people()
    assert {e: p["role"] for e, p in staff.items()} == {
        "E1": "employee",
        "E2": "manager",
        "E3": "employee",
        "E4": "hr",
        "E5": "employee",  # new people get the default
    }
    assert staff["E2"]["name"] == "Robert"
    users = await logins()
    assert users["bob@example.com"]["role"] == "manager"
    assert users["dee@example.com"]["role"] == "hr"
    assert users["eve@example.com"]["role"] == "employee"


async def test_a_roster_without_optional_columns_keeps_emails_languages_and_leaving_dates() -> None:
    await setup_org()
    await import_roster(
        roster_csv(person("E1", "ann@example.com", "Ann", language="zh", left_on="2024-05-01"))
    )
    before = await snapshot()
    data = csv_bytes(
        "employee_id,name,unit_id,hired_on", "E1,Ann,A,2024-01-15", "E3,Cy,B,2024-01-15"
    )
    assert counts(await import_roster(data)) == (2, 0, 0, 2)
    assert await snapshot() == before


async def test_two_people_swap_emails() -> None:
    await setup_org()
    users_before = await logins()
    summary = await import_roster(
        roster_csv(
            person("E1", "bob@example.com", "Ann", "A", "employee"),
            person("E2", "ann@example.com", "Bob", "A", "manager"),
        )
    )
    assert counts(summary) == (2, 0, 2, 0)
    staff = await people()
    assert (staff["E1"]["email"], staff["E2"]["email"]) == ("bob@example.com", "ann@example.com")
    users = await logins()
    # each login stays with its person and follows their new email
    assert users["bob@example.com"]["person.employee_id"] == "E1"
    assert users["bob@example.com"]["id"] == users_before["ann@example.com"]["id"]
    assert (users["bob@example.com"]["role"], users["bob@example.com"]["name"]) == (
        "employee",
        "Ann",
    )
    assert users["ann@example.com"]["person.employee_id"] == "E2"
    assert users["ann@example.com"]["id"] == users_before["bob@example.com"]["id"]
    assert users["ann@example.com"]["role"] == "manager"
    assert len(users) == 3


async def test_three_people_rotate_emails() -> None:
    await setup_org()
    await import_roster(
        roster_csv(
            person("E1", "bob@example.com", "Ann"),
            person("E2", "dee@example.com", "Bob", role="manager"),
            person("E4", "ann@example.com", "Dee", "B", "hr"),
        )
    )
    users = await logins()
    assert {e: u["person.employee_id"] for e, u in users.items()} == {
        "bob@example.com": "E1",
        "dee@example.com": "E2",
        "ann@example.com": "E4",
    }
    staff = await people()
    assert [staff[e]["email"] for e in ("E1", "E2", "E4")] == [
        "bob@example.com",
        "dee@example.com",
        "ann@example.com",
    ]


async def test_changing_an_email_moves_the_login_with_the_person() -> None:
    await setup_org()
    before = await logins()
    await import_roster(roster_csv(person("E1", "ann.smith@example.com", "Ann")))
    users = await logins()
    assert "ann@example.com" not in users
    assert users["ann.smith@example.com"]["id"] == before["ann@example.com"]["id"]


async def test_removing_an_email_deactivates_the_login() -> None:
    await setup_org()
    await import_roster(roster_csv(person("E1", "", "Ann")))
    assert (await people())["E1"]["email"] is None
    ann = (await logins())["ann@example.com"]
    assert (ann["active"], ann["person.employee_id"]) == (False, "E1")


async def test_a_person_given_an_email_later_gets_a_login() -> None:
    await setup_org()
    await import_roster(roster_csv(person("E3", "cy@example.com", "Cy", "B")))
    cy = (await logins())["cy@example.com"]
    assert (cy["person.employee_id"], cy["active"], cy["role"]) == ("E3", True, "employee")


async def test_an_existing_login_with_the_same_email_is_linked_not_duplicated() -> None:
    await import_units(units_csv(*TREE))
    await User.insert(
        User(
            email="ann@example.com",
            name="Ann (admin)",
            role="admin",
            password_hash="hash",
            created_at=clock.now(),
        )
    ).run()
    await import_roster(roster_csv(person("E1", "ann@example.com", "Ann", role="hr")))
    users = await logins()
    assert len(users) == 1
    ann = users["ann@example.com"]
    assert (ann["person.employee_id"], ann["role"], ann["password_hash"]) == ("E1", "hr", "hash")


async def test_an_email_handed_on_does_not_hand_on_the_old_login() -> None:
    # Bob leaves and his address goes to a new hire: the new hire must not receive Bob's
    # account (with Bob's password); either the import says why it cannot proceed and
    # changes nothing, or the new hire ends up with an account of their own.
    await setup_org()
    bob = (await logins())["bob@example.com"]
    await User.update({User.password_hash: "bobs-hash"}).where(User.id == bob["id"]).run()
    data = roster_csv(
        person("E2", "", "Bob", role="manager", left_on="2024-06-30"),
        person("E5", "bob@example.com", "Eve", role="employee"),
    )
    before = await snapshot()
    try:
        await import_roster(data)
    except ImportRejected as exc:
        assert await snapshot() == before
        error = exc.errors[0]
        assert (error.row, error.column) == (3, "email")
        assert "bob@example.com" in error.reason
        return
    users = await logins()
    new = users["bob@example.com"]
    assert new["person.employee_id"] == "E5"
    assert new["id"] != bob["id"]
    assert new["password_hash"] is None


async def test_a_login_left_behind_earlier_is_not_handed_on_later() -> None:
    await setup_org()
    await import_roster(roster_csv(person("E2", "", "Bob", role="manager")))  # login kept, off
    exc = await assert_rejected_unchanged(
        import_roster, roster_csv(person("E5", "bob@example.com", "Eve"))
    )
    error = exc.errors[0]
    assert (error.row, error.column) == (2, "email")
    assert "bob@example.com is still the login of employee 'E2'" in error.reason


async def test_an_address_passes_on_when_its_login_moves_to_a_new_one() -> None:
    await setup_org()
    ann_login = (await logins())["ann@example.com"]["id"]
    summary = await import_roster(
        roster_csv(
            person("E5", "ann@example.com", "Eve"),  # the new hire comes first on purpose
            person("E1", "ann.lee@example.com", "Ann"),
        )
    )
    assert counts(summary) == (2, 1, 1, 0)
    users = await logins()
    assert users["ann.lee@example.com"]["id"] == ann_login
    assert users["ann.lee@example.com"]["person.employee_id"] == "E1"
    assert users["ann@example.com"]["id"] != ann_login
    assert users["ann@example.com"]["person.employee_id"] == "E5"


async def test_moving_to_the_address_of_an_unlinked_login_is_refused() -> None:
    await setup_org()
    await User.insert(
        User(email="boss@example.com", role="admin", password_hash="h", created_at=clock.now())
    ).run()
    exc = await assert_rejected_unchanged(
        import_roster, roster_csv(person("E1", "boss@example.com", "Ann"))
    )
    error = exc.errors[0]
    assert (error.row, error.column) == (2, "email")
    assert "boss@example.com is the login of another account" in error.reason


async def test_roster_import_reports_progress_to_the_end() -> None:
    await import_units(units_csv(*TREE))
    calls: list[tuple[str, int, int]] = []
    await import_roster(roster_csv(*STAFF), progress=lambda *a: calls.append(a))
    assert calls
    assert calls[-1][1] == calls[-1][2] > 0


# ---------------------------------------------------------------- roster: bad files


BAD_ROSTERS = [
    # (case, file, row, column, words the reason must contain)
    ("unknown unit", roster_csv(person("E5", "e5@x.org", unit="Z9")), 2, "unit_id",
     "unknown unit 'Z9'"),
    ("unknown role", roster_csv(person("E5", "e5@x.org", role="owner")), 2, "role",
     "unknown role 'owner'; use one of employee, manager, hr, admin"),
    ("month 13", roster_csv(person("E5", "e5@x.org", hired_on="2024-13-01")), 2, "hired_on",
     "'2024-13-01' is not a date YYYY-MM-DD"),
    ("d/m/y date", roster_csv(person("E5", "e5@x.org", hired_on="01/02/2024")), 2, "hired_on",
     "'01/02/2024' is not a date YYYY-MM-DD"),
    ("compact date", roster_csv(person("E5", "e5@x.org", hired_on="20240101")), 2, "hired_on",
     "'20240101' is not a date YYYY-MM-DD"),
    ("empty hired_on", roster_csv(person("E5", "e5@x.org", hired_on="")), 2, "hired_on",
     "is empty"),
    ("bad left_on", roster_csv(person("E1", "ann@example.com", left_on="2024-02-30")), 2,
     "left_on", "'2024-02-30' is not a date"),
    ("left before hired", roster_csv(person("E1", "ann@example.com", left_on="2023-12-31")), 2,
     "left_on", "2023-12-31 is before hired_on 2024-01-15"),
    ("duplicate id", roster_csv(person("E5", "a@x.org"), person("E6", "b@x.org"),
                                person("E5", "c@x.org")), 4, "employee_id",
     "duplicate id 'E5' (also on row 2)"),
    ("duplicate email", roster_csv(person("E5", "same@x.org"), person("E6", "Same@X.org")), 3,
     "email", "same@x.org is also on row 2"),
    ("email of a stored person", roster_csv(person("E5", "Ann@Example.com")), 2, "email",
     "ann@example.com already belongs to employee 'E1'"),
    ("bad email", roster_csv(person("E5", "eve(at)x.org")), 2, "email",
     "'eve(at)x.org' is not an email address"),
    ("unknown language", roster_csv(person("E5", "e5@x.org", language="klingon")), 2,
     "language", "unknown language 'klingon'"),
    ("missing column", csv_bytes("employee_id,name,hired_on", "E5,Eve,2024-01-01"), 1,
     "unit_id", "missing required column"),
    ("wrong encoding", "employee_id,name,unit_id,hired_on\nE5,Zoë,A,2024-01-01\n".encode(
        "latin-1"), 2, None, "not UTF-8"),
    ("header only", roster_csv(), None, None, "no people"),
    ("NUL in name", roster_csv(person("E5", "e5@x.org", "Ev\x00e")), 2, "name", "NUL"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("data", "row", "column", "reason"),
    [case[1:] for case in BAD_ROSTERS],
    ids=[case[0] for case in BAD_ROSTERS],
)
async def test_bad_roster_changes_nothing(
    data: bytes, row: int | None, column: str | None, reason: str
) -> None:
    await setup_org()
    exc = await assert_rejected_unchanged(import_roster, data)
    error = exc.errors[0]
    assert (error.row, error.column) == (row, column), exc.summary()
    assert reason in error.reason
    if row is not None:
        assert f"row {row}" in exc.summary()


async def test_a_bad_row_rejects_the_good_rows_with_it() -> None:
    await setup_org()
    await assert_rejected_unchanged(
        import_roster,
        roster_csv(
            person("E1", "ann@example.com", "Ann Changed", role="admin"),
            person("E5", "eve@example.com", "Eve"),
            person("E6", "fay@example.com", "Fay", unit="NOPE"),
        ),
    )


async def test_a_valid_roster_after_an_invalid_one() -> None:
    await setup_org()
    await assert_rejected_unchanged(import_roster, roster_csv(person("E5", "e5@x.org", unit="Z")))
    summary = await import_roster(roster_csv(person("E5", "e5@x.org", "Eve", unit="B")))
    assert counts(summary) == (1, 1, 0, 0)
    assert (await people())["E5"]["unit.code"] == "B"
    assert (await logins())["e5@x.org"]["person.employee_id"] == "E5"


async def test_one_bad_person_among_a_thousand_imports_nothing() -> None:
    await import_units(units_csv(*TREE))
    staff = [person(f"E{i}", f"e{i}@x.org", f"Person {i}", "A1") for i in range(2, 1001)]
    staff[517 - 2] = person("E517", "e517@x.org", "Person 517", "A1", role="chief")
    exc = await assert_rejected_unchanged(import_roster, roster_csv(*staff))
    assert [(e.row, e.column) for e in exc.errors] == [(517, "role")]
    assert "row 517, column role: unknown role 'chief'" in str(exc)
    assert await Person.count().run() == 0
    assert await User.count().run() == 0


# ---------------------------------------------------------------- speed sanity


async def test_ten_thousand_people() -> None:
    units = ["R,Head office,"] + [f"L{i},Location {i},R" for i in range(50)]
    await import_units(units_csv(*units))
    staff = [
        person(
            f"E{i:05}",
            f"person{i}@example.com",
            f"Person {i}",
            f"L{i % 50}",
            "manager" if i % 25 == 0 else "employee",
            ("en", "ru", "zh")[i % 3],
            "2023-03-01",
            "2024-06-30" if i % 10 == 0 else "",
        )
        for i in range(10_000)
    ]
    data = roster_csv(*staff)
    started = time.perf_counter()
    summary = await import_roster(data)
    first = time.perf_counter() - started
    assert counts(summary) == (10_000, 10_000, 0, 0)
    assert await Person.count().run() == 10_000
    assert await User.count().run() == 10_000
    assert await User.count().where(User.active == False).run() == 1_000
    assert await User.count().where(User.role == "manager").run() == 400

    started = time.perf_counter()
    summary = await import_roster(data)
    again = time.perf_counter() - started
    assert counts(summary) == (10_000, 0, 0, 10_000)
    print(f"\n10,000-person roster: first import {first:.2f}s, unchanged re-import {again:.2f}s")


async def test_a_drag_filled_parent_column_is_rejected_on_every_engine() -> None:
    # U1 under U0, U2 under U1 … 700 levels: the materialised path would not fit its column
    await setup_org()
    rows = ["U0,Team 0,R"] + [f"U{i},Team {i},U{i - 1}" for i in range(1, 700)]
    exc = await assert_rejected_unchanged(import_units, units_csv(*rows))
    assert [(e.row, e.column) for e in exc.errors] == [(101, "parent_id")]
    assert "'U99' would be 101 levels deep" in exc.errors[0].reason


@pytest.mark.parametrize(
    ("kind", "header"),
    [
        ("units", "unit_id,name,parent_id"),
        ("roster", "employee_id,name,unit_id,hired_on"),
        ("responses", "wave,unit_id,respondent,E01"),
        ("items", "code,language,text"),
        ("outcomes", "unit_id,month,metric,value,n"),
        ("visits", "client_id,unit_id,visited_on"),
        ("modules", "code,language,title"),
        ("completions", "employee_id,module,completed_on"),
    ],
)
async def test_every_kind_refuses_a_file_with_only_a_header(kind: str, header: str) -> None:
    from engage.csvio import ImportRejected
    from engage.imports import IMPORTERS, run_import

    assert kind in IMPORTERS
    before = await snapshot()
    with pytest.raises(ImportRejected) as caught:
        await run_import(kind, (header + "\n").encode(), "hr@example.com")
    assert "the file has a header but no" in str(caught.value)
    assert await snapshot() == before
