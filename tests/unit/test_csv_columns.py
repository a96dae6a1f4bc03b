"""``read_csv_columns`` (large files) reads exactly what ``read_csv`` reads, by column."""

from __future__ import annotations

import pytest

from engage.csvio import ImportRejected, read_csv, read_csv_columns

REQUIRED = ("client_id", "unit_id", "visited_on")

CASES = {
    "plain": "client_id,unit_id,visited_on\na,U1,2024-01-01\nb,U2,2024-01-02\n",
    "bom, case, spaces, extra columns": (
        "\ufeff Client_ID ,service,UNIT_ID,visited_on\n a ,cut, U1 ,2024-01-01\n"
    ),
    "blank lines": "client_id,unit_id,visited_on\n\na,U1,2024-01-01\n,,\n  , ,\nb,U1,2024-01-02",
    "trailing empty fields": "client_id,unit_id,visited_on\na,U1,2024-01-01,,\n",
    "quoted newline": 'client_id,unit_id,visited_on\n"a\nb",U1,2024-01-01\nc,U1,2024-01-02\n',
    "crlf": "client_id,unit_id,visited_on\r\na,U1,2024-01-01\r\n",
    "too many fields": "client_id,unit_id,visited_on\na,U1,2024-01-01,x\n",
    "too few fields": "client_id,unit_id,visited_on\na,U1\n",
    "NUL": "client_id,unit_id,visited_on\na\x00,U1,2024-01-01\nb,U1,2024-01-01\n",
    "unclosed quote": 'client_id,unit_id,visited_on\na,U1,2024-01-01\n"b,U1,2024-01-01\n',
    "missing column": "client_id,visited_on\na,2024-01-01\n",
    "semicolons": "client_id;unit_id;visited_on\na;U1;2024-01-01\n",
    "empty": "",
}


def outcome(reader: object, data: bytes) -> object:
    try:
        table = reader(data, "visits.csv", REQUIRED)  # type: ignore[operator]
    except ImportRejected as exc:
        return ("rejected", [(e.row, e.column, e.reason) for e in exc.errors], exc.total)
    if hasattr(table, "columns"):
        names = list(table.columns)
        return [(row, {c: table.columns[c][i] for c in names}) for i, row in enumerate(table.rows)]
    return table.rows


@pytest.mark.parametrize("text", CASES.values(), ids=CASES.keys())
def test_same_rows_and_same_problems_as_read_csv(text: str) -> None:
    data = text.encode()
    assert outcome(read_csv_columns, data) == outcome(read_csv, data)


def test_progress_reaches_the_end() -> None:
    rows = "".join(f"c{i},U1,2024-01-01\n" for i in range(70_000))
    calls: list[tuple[str, int, int]] = []
    table = read_csv_columns(
        ("client_id,unit_id,visited_on\n" + rows).encode(),
        "visits.csv",
        REQUIRED,
        progress=lambda *a: calls.append(a),
        stage="reading",
    )
    assert len(table.rows) == 70_000
    assert table.columns["client_id"][-1] == "c69999"
    assert len(calls) >= 2
    assert calls[-1] == ("reading", 70_001, 70_001)
    assert all(stage == "reading" and done <= total for stage, done, total in calls)
