"""validate_units: every way a units.csv can be wrong, without a database."""

from __future__ import annotations

import pytest

from engage.csvio import ImportRejected, RowError
from engage.org.units_import import UnitRow, validate_units

HEADER = "unit_id,name,parent_id"


def units_csv(*rows: str, header: str = HEADER, bom: bool = False) -> bytes:
    """A units file: the header line, then one line per row (already comma-joined)."""
    text = "\n".join([header, *rows]) + "\n"
    return (("\ufeff" if bom else "") + text).encode()


def stored(*triples: tuple[str, str, str | None]) -> dict[str, UnitRow]:
    """Units already in the database, as validate_units receives them."""
    return {code: UnitRow(code, name, parent) for code, name, parent in triples}


def rejected(data: bytes, existing: dict[str, UnitRow] | None = None) -> ImportRejected:
    with pytest.raises(ImportRejected) as info:
        validate_units(data, existing or {})
    assert "nothing was imported" in info.value.summary()
    return info.value


def only(exc: ImportRejected) -> RowError:
    assert len(exc.errors) == 1, exc.summary()
    return exc.errors[0]


def test_a_valid_tree_is_returned_in_file_order() -> None:
    rows = validate_units(units_csv("R,Head office,", "A,Salon A,R", "A1,Nails,A"), {})
    assert rows == [
        UnitRow("R", "Head office", None),
        UnitRow("A", "Salon A", "R"),
        UnitRow("A1", "Nails", "A"),
    ]


def test_children_may_come_before_their_parent() -> None:
    rows = validate_units(units_csv("A1,Nails,A", "A,Salon A,R", "R,Head office,"), {})
    assert {r.code for r in rows} == {"R", "A", "A1"}


def test_a_file_may_add_units_under_stored_ones() -> None:
    existing = stored(("R", "Head office", None), ("A", "Salon A", "R"))
    assert validate_units(units_csv("A2,Hair,A"), existing) == [UnitRow("A2", "Hair", "A")]


def test_bom_extra_columns_and_header_case_are_accepted() -> None:
    data = units_csv("R,Root,,x", "A,Team,R,y", header=" Unit_ID ,NAME,Parent_Id,notes", bom=True)
    assert validate_units(data, {}) == [UnitRow("R", "Root", None), UnitRow("A", "Team", "R")]


def test_quoted_names_with_commas() -> None:
    rows = validate_units(units_csv('R,"Smith, Jones & Co",', 'A,"Salon ""A"", north",R'), {})
    assert [r.name for r in rows] == ["Smith, Jones & Co", 'Salon "A", north']


def test_missing_column() -> None:
    error = only(rejected(units_csv("R,Root", header="unit_id,name")))
    assert (error.row, error.column) == (1, "parent_id")
    assert "missing required column" in error.reason


def test_duplicate_unit_id_names_both_rows() -> None:
    error = only(rejected(units_csv("R,Root,", "A,Team A,R", "B,Team B,R", "A,Again,R")))
    assert (error.row, error.column) == (5, "unit_id")
    assert "duplicate" in error.reason
    assert "'A'" in error.reason
    assert "row 3" in error.reason


def test_empty_unit_id() -> None:
    error = only(rejected(units_csv("R,Root,", ",Team A,R")))
    assert (error.row, error.column, error.reason) == (3, "unit_id", "is empty")


def test_empty_name() -> None:
    error = only(rejected(units_csv("R,Root,", "A,  ,R")))
    assert (error.row, error.column, error.reason) == (3, "name", "is empty")


def test_empty_id_and_name_on_one_row_are_both_reported() -> None:
    exc = rejected(units_csv("R,Root,", ",,R"))
    assert {(e.row, e.column) for e in exc.errors} == {(3, "unit_id"), (3, "name")}


def test_too_long_values() -> None:
    exc = rejected(units_csv("R,Root,", f"{'x' * 65},Team,R", f"B,{'n' * 201},R"))
    assert [(e.row, e.column) for e in exc.errors] == [(3, "unit_id"), (4, "name")]
    assert all("longer than" in e.reason for e in exc.errors)


def test_longest_allowed_values_pass() -> None:
    rows = validate_units(units_csv(f"{'x' * 64},{'n' * 200},"), {})
    assert len(rows[0].code) == 64


def test_unknown_parent() -> None:
    error = only(rejected(units_csv("R,Root,", "A,Team A,R", "B,Team B,Q")))
    assert (error.row, error.column) == (4, "parent_id")
    assert "unknown parent" in error.reason
    assert "'Q'" in error.reason


def test_parent_ids_are_case_sensitive() -> None:
    error = only(rejected(units_csv("R,Root,", "A,Team A,r")))
    assert (error.row, error.column) == (3, "parent_id")


def test_self_parent() -> None:
    error = only(rejected(units_csv("R,Root,", "A,Team A,A")))
    assert (error.row, error.column) == (3, "parent_id")
    assert "own parent" in error.reason


def test_two_units_pointing_at_each_other() -> None:
    error = only(rejected(units_csv("R,Root,", "A,Team A,B", "B,Team B,A")))
    assert (error.row, error.column) == (3, "parent_id")
    assert "cycle" in error.reason
    assert "A → B → A" in error.reason or "B → A → B" in error.reason


def test_a_longer_cycle_names_every_unit_on_it() -> None:
    error = only(rejected(units_csv("R,Root,", "X,Fine,R", "C,C,A", "A,A,B", "B,B,C")))
    assert (error.row, error.column) == (4, "parent_id")
    assert "cycle" in error.reason
    for code in ("A", "B", "C"):
        assert f"{code} →" in error.reason
    assert "X" not in error.reason


def test_a_cycle_with_no_root_at_all() -> None:
    exc = rejected(units_csv("A,A,B", "B,B,A"))
    assert exc.errors[0].row == 2
    assert "cycle" in exc.errors[0].reason


def test_a_cycle_hanging_off_a_good_tree_is_still_caught() -> None:
    # D points into the loop but is not on it: only the loop is the problem
    error = only(rejected(units_csv("R,Root,", "D,D,A", "A,A,B", "B,B,A")))
    assert error.row == 4
    assert "D" not in error.reason.split(":", 1)[1]


def test_a_cycle_formed_with_stored_units() -> None:
    existing = stored(("R", "Root", None), ("A", "Team A", "R"), ("B", "Team B", "A"))
    # moving A under its own child B
    error = only(rejected(units_csv("A,Team A,B"), existing))
    assert (error.row, error.column) == (2, "parent_id")
    assert "cycle" in error.reason
    assert "A" in error.reason
    assert "B" in error.reason


def test_a_longer_cycle_formed_with_stored_units() -> None:
    existing = stored(("R", "Root", None), ("A", "A", "R"), ("B", "B", "A"), ("C", "C", "B"))
    error = only(rejected(units_csv("X,New,R", "A,A,C"), existing))
    assert (error.row, error.column) == (3, "parent_id")
    assert "cycle" in error.reason


def test_two_roots() -> None:
    error = only(rejected(units_csv("R,Root,", "A,Team A,R", "S,Second root,")))
    assert error.column == "parent_id"
    assert error.row == 2  # the first root's row; the message names both
    assert "more than one root" in error.reason
    assert "R, S" in error.reason


def test_a_second_root_next_to_a_stored_root() -> None:
    error = only(rejected(units_csv("S,Second root,"), stored(("R", "Root", None))))
    assert (error.row, error.column) == (2, "parent_id")
    assert "more than one root" in error.reason


def test_the_stored_root_may_be_repeated_in_the_file() -> None:
    existing = stored(("R", "Root", None))
    assert validate_units(units_csv("R,Renamed root,", "A,A,R"), existing)[0].name == (
        "Renamed root"
    )


def test_not_utf8() -> None:
    error = only(rejected(b"unit_id,name,parent_id\nR,Caf\xe9,\n"))
    assert error.row == 2
    assert "not UTF-8" in error.reason


def test_empty_file() -> None:
    error = only(rejected(b""))
    assert "empty" in error.reason


def test_header_only() -> None:
    error = only(rejected(units_csv()))
    assert "no units" in error.reason


def test_too_many_fields() -> None:
    error = only(rejected(units_csv("R,Root,", "A,Smith, Jones,R")))
    assert error.row == 3
    assert "fields" in error.reason


def test_every_problem_is_reported_at_once() -> None:
    exc = rejected(units_csv("R,Root,", ",Nameless,R", "B,,R", "R,Twice,"))
    assert [(e.row, e.column) for e in exc.errors] == [(3, "unit_id"), (4, "name"), (5, "unit_id")]


def test_one_bad_row_among_a_thousand() -> None:
    rows = ["R,Root,"] + [f"U{i},Team {i},R" for i in range(3, 1001)]
    rows[517 - 2] = "U517,Team 517,NOPE"  # file row 517 (header is row 1)
    exc = rejected(units_csv(*rows))
    error = only(exc)
    assert (error.row, error.column) == (517, "parent_id")
    assert "row 517, column parent_id: unknown parent unit 'NOPE'" in exc.summary()


def chain(prefix: str, length: int, top: str = "") -> list[str]:
    """Rows of ``length`` units each under the previous one (as a drag-filled column makes)."""
    rows = [f"{prefix}0,{prefix} 0,{top}"]
    return rows + [f"{prefix}{i},{prefix} {i},{prefix}{i - 1}" for i in range(1, length)]


def test_a_tree_of_a_hundred_levels_is_accepted() -> None:
    assert len(validate_units(units_csv(*chain("U", 100)), {})) == 100


def test_a_tree_deeper_than_a_hundred_levels_is_rejected() -> None:
    exc = rejected(units_csv(*chain("U", 150)))
    error = only(exc)  # one error for the first level too deep, not one per unit below it
    assert (error.row, error.column) == (102, "parent_id")  # U100 on row 102
    assert "'U100' would be 101 levels deep" in error.reason
    assert "at most 100 levels" in error.reason


def test_moving_a_stored_branch_under_a_deep_one_names_the_moved_row() -> None:
    existing = {
        u.code: u for u in validate_units(units_csv(*chain("D", 60), *chain("X", 60, top="D0")), {})
    }
    error = only(rejected(units_csv("R,New unit,D0", "X0,X 0,D59"), existing))
    assert (error.row, error.column) == (3, "parent_id")
    assert "101 levels deep" in error.reason
