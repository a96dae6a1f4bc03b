"""validate_roster: every way a roster.csv can be wrong, without a database."""

from __future__ import annotations

from datetime import date

import pytest

from engage.csvio import ImportRejected, RowError
from engage.org.roster_import import RosterRow, validate_roster

HEADER = "employee_id,email,name,unit_id,role,language,hired_on,left_on"
UNITS = {"R", "A", "B"}


def roster_csv(*rows: str, header: str = HEADER) -> bytes:
    """A roster file: the header line, then one line per person (already comma-joined)."""
    return ("\n".join([header, *rows]) + "\n").encode()


def person(
    emp: str = "E1",
    email: str = "e1@example.com",
    name: str = "Ann Lee",
    unit: str = "A",
    role: str = "employee",
    language: str = "en",
    hired_on: str = "2024-01-15",
    left_on: str = "",
) -> str:
    """One roster line in the full contract's column order."""
    return ",".join([emp, email, name, unit, role, language, hired_on, left_on])


def validate(
    data: bytes, email_owner: dict[str, str] | None = None
) -> tuple[list[RosterRow], set[str]]:
    return validate_roster(data, UNITS, email_owner or {}, "ru")


def rejected(data: bytes, email_owner: dict[str, str] | None = None) -> ImportRejected:
    with pytest.raises(ImportRejected) as info:
        validate(data, email_owner)
    assert info.value.what == "roster.csv"
    assert "nothing was imported" in info.value.summary()
    return info.value


def only(exc: ImportRejected) -> RowError:
    assert len(exc.errors) == 1, exc.summary()
    return exc.errors[0]


def bad_field(field: str, value: str) -> RowError:
    """The single error for a file whose second person has ``field`` (of ``person``) = ``value``."""
    second = person(**{"emp": "E2", "email": "e2@example.com", field: value})
    exc = rejected(roster_csv(person(), second))
    error = only(exc)
    assert error.row == 3
    assert f"row 3, column {error.column}: " in exc.summary()
    return error


def test_a_valid_roster() -> None:
    rows, present = validate(
        roster_csv(
            person(),
            person(
                "E2", "Bob@Example.COM", "Bob", "B", "Manager", "zh", "2020-02-29", "2024-06-30"
            ),
            person("E3", "", "Cy", "R", "", "", "2021-01-01"),
        )
    )
    assert present == {"email", "role", "language", "left_on"}
    assert rows == [
        RosterRow(
            2, "E1", "Ann Lee", "A", date(2024, 1, 15), "e1@example.com", "employee", "en", None
        ),
        RosterRow(
            3,
            "E2",
            "Bob",
            "B",
            date(2020, 2, 29),
            "bob@example.com",
            "manager",
            "zh",
            date(2024, 6, 30),
        ),
        RosterRow(4, "E3", "Cy", "R", date(2021, 1, 1), None, "employee", "ru", None),
    ]


def test_only_required_columns() -> None:
    rows, present = validate(
        roster_csv("E1,Ann,A,2024-01-15", header="employee_id,name,unit_id,hired_on")
    )
    assert present == set()
    assert rows == [RosterRow(2, "E1", "Ann", "A", date(2024, 1, 15), None, None, None, None)]


def test_without_role_column_roles_are_not_set() -> None:
    rows, present = validate(
        roster_csv(
            "E1,Ann,A,2024-01-15,x@example.com", header="employee_id,name,unit_id,hired_on,email"
        )
    )
    assert "role" not in present
    assert rows[0].role is None


def test_bom_extra_columns_case_and_order() -> None:
    data = "\ufeffHIRED_ON , Name,cost_centre,Unit_Id,Employee_ID\n2024-01-15,Ann,77,A,E1\n"
    rows, _ = validate(data.encode())
    assert rows == [RosterRow(2, "E1", "Ann", "A", date(2024, 1, 15), None, None, None, None)]


def test_quoted_name_with_comma() -> None:
    rows, _ = validate(roster_csv(person(name='"Lee, Ann"')))
    assert rows[0].name == "Lee, Ann"


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("unit_id", "Z9", "unknown unit 'Z9'"),
        ("unit_id", "", "is empty"),
        ("role", "boss", "unknown role 'boss'; use one of employee, manager, hr, admin"),
        ("hired_on", "2024-13-01", "'2024-13-01' is not a date YYYY-MM-DD"),
        ("hired_on", "01/02/2024", "'01/02/2024' is not a date YYYY-MM-DD"),
        ("hired_on", "20240101", "'20240101' is not a date YYYY-MM-DD"),
        ("hired_on", "2023-02-29", "'2023-02-29' is not a date YYYY-MM-DD"),
        ("hired_on", "", "is empty"),
        ("left_on", "2024-13-01", "'2024-13-01' is not a date YYYY-MM-DD"),
        ("left_on", "31.12.2024", "'31.12.2024' is not a date YYYY-MM-DD"),
        ("left_on", "2024-01-14", "2024-01-14 is before hired_on 2024-01-15"),
        ("email", "not-an-email", "'not-an-email' is not an email address"),
        ("email", "a@b", "'a@b' is not an email address"),
        ("email", "a b@example.com", "'a b@example.com' is not an email address"),
        ("email", "a@@example.com", "'a@@example.com' is not an email address"),
        ("email", "x" * 250 + "@example.com", "is not an email address"),
        ("language", "xx", "unknown language 'xx'"),
        ("language", "english", "unknown language 'english'"),
        ("language", "en--", "unknown language 'en--'"),
        ("name", "", "is empty"),
        ("name", "n" * 201, "is longer than 200 characters"),
        ("employee_id", "", "is empty"),
        ("employee_id", "E" * 65, "is longer than 64 characters"),
    ],
)
def test_bad_values(column: str, value: str, expected: str) -> None:
    arg = {"unit_id": "unit", "employee_id": "emp"}.get(column, column)
    error = bad_field(arg, value)
    assert error.column == column
    assert expected in error.reason


def test_left_on_equal_to_hired_on_is_fine() -> None:
    rows, _ = validate(roster_csv(person(hired_on="2024-01-15", left_on="2024-01-15")))
    assert rows[0].left_on == date(2024, 1, 15)


def test_language_tags_are_normalised() -> None:
    rows, _ = validate(
        roster_csv(
            person("E1", "1@x.org", language="EN"),
            person("E2", "2@x.org", language="pt-BR"),
            person("E3", "3@x.org", language="zh"),
        )
    )
    assert [r.language for r in rows] == ["en", "pt_BR", "zh"]


def test_empty_role_and_language_take_the_defaults() -> None:
    rows, _ = validate(roster_csv(person(role="", language="")))
    assert (rows[0].role, rows[0].language) == ("employee", "ru")


def test_duplicate_employee_id() -> None:
    exc = rejected(
        roster_csv(person("E1", "a@x.org"), person("E2", "b@x.org"), person("E1", "c@x.org"))
    )
    error = only(exc)
    assert (error.row, error.column) == (4, "employee_id")
    assert "duplicate id 'E1' (also on row 2)" in error.reason


def test_duplicate_email_in_file_ignores_case() -> None:
    exc = rejected(roster_csv(person("E1", "ann@x.org"), person("E2", "ANN@x.org")))
    error = only(exc)
    assert (error.row, error.column) == (3, "email")
    assert "ann@x.org is also on row 2" in error.reason


def test_email_of_another_stored_person() -> None:
    exc = rejected(roster_csv(person("E1", "ann@x.org")), email_owner={"ann@x.org": "E9"})
    error = only(exc)
    assert (error.row, error.column) == (2, "email")
    assert "already belongs to employee 'E9'" in error.reason


def test_own_stored_email_is_fine() -> None:
    rows, _ = validate(roster_csv(person("E1", "ann@x.org")), email_owner={"ann@x.org": "E1"})
    assert rows[0].email == "ann@x.org"


def test_email_taken_from_a_stored_person_who_changes_theirs_in_the_same_file() -> None:
    data = roster_csv(person("E1", "bob@x.org"), person("E2", "ann@x.org"))
    rows, _ = validate(data, email_owner={"ann@x.org": "E1", "bob@x.org": "E2"})
    assert [r.email for r in rows] == ["bob@x.org", "ann@x.org"]


def test_missing_required_column() -> None:
    exc = rejected(roster_csv("E1,a@x.org,Ann,A", header="employee_id,email,name,unit_id"))
    error = only(exc)
    assert (error.row, error.column) == (1, "hired_on")
    assert "missing required column" in error.reason


def test_wrong_encoding() -> None:
    data = (HEADER + "\n" + person(name="Zoë") + "\n").encode("cp1252")
    error = only(rejected(data))
    assert error.row == 2
    assert "not UTF-8" in error.reason


def test_header_only() -> None:
    assert "no people" in only(rejected(roster_csv())).reason


def test_every_problem_in_a_row_is_reported() -> None:
    exc = rejected(roster_csv(person("E1", "nope", "", "Z", "boss", "xx", "2024-13-01", "bad")))
    assert [e.column for e in exc.errors] == [
        "name",
        "unit_id",
        "hired_on",
        "left_on",
        "role",
        "language",
        "email",
    ]
    assert {e.row for e in exc.errors} == {2}


def test_a_valid_file_after_an_invalid_one() -> None:
    rejected(roster_csv(person(unit="Z9")))
    rows, _ = validate(roster_csv(person()))
    assert [r.employee_id for r in rows] == ["E1"]


def test_one_bad_row_among_a_thousand() -> None:
    people = [person(f"E{i}", f"e{i}@x.org") for i in range(2, 1001)]
    people[517 - 2] = person("E517", "e517@x.org", hired_on="2024-02-30")
    exc = rejected(roster_csv(*people))
    error = only(exc)
    assert (error.row, error.column) == (517, "hired_on")
    assert "row 517, column hired_on: '2024-02-30' is not a date YYYY-MM-DD" in exc.summary()


@pytest.mark.parametrize("when", ["1800-01-01", "2999-01-01"])
def test_implausible_hire_dates_are_refused(when: str) -> None:
    from engage.csvio import ImportRejected
    from engage.org.roster_import import validate_roster

    data = (f"employee_id,name,unit_id,hired_on\nE1,Ann,A,{when}\n").encode()
    with pytest.raises(ImportRejected) as info:
        validate_roster(data, {"A"}, {}, "en")
    (error,) = info.value.errors
    assert (error.row, error.column) == (2, "hired_on") and "check the year" in error.reason
