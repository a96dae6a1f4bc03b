"""outcomes.csv and visits.csv imports against a real database (SQLite and PostgreSQL).

Every rejected import must leave client_metric exactly as it was.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from engage import clock
from engage.csvio import MAX_ERRORS, ImportRejected, ImportSummary
from engage.db.tables import ClientMetric, Unit
from engage.imports import UnsupportedOption, run_import
from engage.org.units_import import import_units
from engage.outcomes.outcomes_import import import_outcomes
from engage.outcomes.visits_import import import_visits
from engage.settings import get_settings

pytestmark = pytest.mark.db

OUTCOMES_HEADER = "unit_id,month,metric,value,n"
VISITS_HEADER = "client_id,unit_id,visited_on"
UNITS = b"unit_id,name,parent_id\nR,Head office,\nA,Salon A,R\nB,Salon B,R\n"
TODAY = clock.today()
NEXT_MONTH = (TODAY.replace(day=28) + timedelta(days=4)).strftime("%Y-%m")
TOMORROW = (TODAY + timedelta(days=1)).isoformat()


def csv_bytes(header: str, *rows: str) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def outcomes_csv(*rows: str) -> bytes:
    return csv_bytes(OUTCOMES_HEADER, *rows)


def visits_csv(*rows: str) -> bytes:
    return csv_bytes(VISITS_HEADER, *rows)


#: A: 3 first-time clients in 2024-01 (c1 back after exactly 90 days at B, c2 after 91 days,
#: c3 the same day only); B: 2 in 2024-02 (c4 back the next day, c5 never).
#: The last visit (2024-08-01) makes 2024-01 … 2024-04 complete; c6's 2024-06 is too recent.
VISITS = (
    "c1,A,2024-01-10",
    "c1,B,2024-04-09",
    "c2,A,2024-01-31",
    "c2,A,2024-05-01",
    "c3,B,2024-01-15",
    "c3,A,2024-01-15",
    "c4,B,2024-02-03",
    "c4,B,2024-02-04",
    "c5,B,2024-02-10",
    "c6,A,2024-06-15",
    "c6,A,2024-08-01",
)

GOOD_OUTCOMES = (
    "A,2024-01,csat,4.5,",
    "A,2024-01,NPS,-20,35",
    "B,2024-01,client_retention,0.75,40",
    "B,2024-02,revenue,12500.50,",
    "R,2024-02,rebooking_rate,0.4,",
)


@pytest.fixture(autouse=True)
async def units(db: str) -> dict[str, int]:
    """Each test starts from units R, A, B and no client metrics."""
    await ClientMetric.delete(force=True).run()
    if not await Unit.exists().run():
        await import_units(UNITS)
    return {r["code"]: r["id"] for r in await Unit.select(Unit.id, Unit.code).run()}


async def stored() -> dict[tuple[str, str, str], tuple[float, int | None, str]]:
    """Client metrics by (unit code, YYYY-MM, metric): (value, n, source)."""
    rows = await ClientMetric.select(
        ClientMetric.unit.code,
        ClientMetric.month,
        ClientMetric.metric,
        ClientMetric.value,
        ClientMetric.n,
        ClientMetric.source,
    ).run()
    return {
        (r["unit.code"], f"{r['month']:%Y-%m}", r["metric"]): (r["value"], r["n"], r["source"])
        for r in rows
    }


async def snapshot() -> list[dict[str, Any]]:
    return await ClientMetric.select().order_by(ClientMetric.id).run()


def counts(summary: ImportSummary) -> tuple[int, int, int, int]:
    return summary.rows, summary.created, summary.updated, summary.unchanged


async def assert_rejected_unchanged(importer: Any, data: bytes) -> ImportRejected:
    """Run an import that must fail; check that client_metric did not move."""
    before = await snapshot()
    with pytest.raises(ImportRejected) as info:
        await importer(data)
    assert await snapshot() == before
    assert "nothing was imported" in str(info.value)
    return info.value


# ---------------------------------------------------------------- outcomes: good files


async def test_outcomes_are_stored_per_unit_month_and_metric() -> None:
    summary = await import_outcomes(outcomes_csv(*GOOD_OUTCOMES))
    assert counts(summary) == (5, 5, 0, 0)
    assert "client_retention, csat, nps, rebooking_rate, revenue" in summary.message()
    assert await stored() == {
        ("A", "2024-01", "csat"): (4.5, None, "outcomes"),
        ("A", "2024-01", "nps"): (-20.0, 35, "outcomes"),
        ("B", "2024-01", "client_retention"): (0.75, 40, "outcomes"),
        ("B", "2024-02", "revenue"): (12500.5, None, "outcomes"),
        ("R", "2024-02", "rebooking_rate"): (0.4, None, "outcomes"),
    }
    month = (await ClientMetric.select(ClientMetric.month).first().run() or {})["month"]
    assert month.day == 1 and isinstance(month, date)


async def test_reimporting_the_same_outcomes_changes_nothing() -> None:
    await import_outcomes(outcomes_csv(*GOOD_OUTCOMES))
    before = await snapshot()
    summary = await import_outcomes(outcomes_csv(*GOOD_OUTCOMES))
    assert counts(summary) == (5, 0, 0, 5)
    assert await snapshot() == before


async def test_outcomes_upsert_updates_and_leaves_the_rest() -> None:
    await import_outcomes(outcomes_csv(*GOOD_OUTCOMES))
    ids = {r["metric"]: r["id"] for r in await snapshot()}
    summary = await import_outcomes(
        outcomes_csv(
            "A,2024-01,csat,4.2,120",  # value and n change
            "A,2024-01,nps,-20,35",  # unchanged
            "A,2024-02,csat,4.0,",  # a new month
        )
    )
    assert counts(summary) == (3, 1, 1, 1)
    after = await stored()
    assert after[("A", "2024-01", "csat")] == (4.2, 120, "outcomes")
    assert after[("A", "2024-02", "csat")] == (4.0, None, "outcomes")
    assert after[("B", "2024-02", "revenue")] == (12500.5, None, "outcomes")  # not in the file
    assert len(after) == 6
    assert {r["metric"]: r["id"] for r in await snapshot() if r["month"].month == 1} == {
        k: v for k, v in ids.items() if k in {"csat", "nps", "client_retention"}
    }


async def test_outcomes_without_the_n_column_and_other_metric_values() -> None:
    data = b"\xef\xbb\xbfUnit_ID,Month,Metric,Value,comment\nA,2024-03,avg_ticket,-1.5e2,x\n"
    summary = await import_outcomes(data)
    assert counts(summary) == (1, 1, 0, 0)
    assert await stored() == {("A", "2024-03", "avg_ticket"): (-150.0, None, "outcomes")}


async def test_outcomes_at_the_edges_of_their_ranges() -> None:
    this_month = TODAY.strftime("%Y-%m")
    summary = await import_outcomes(
        outcomes_csv(
            "A,2024-01,csat,1,",
            "A,2024-02,csat,5,",
            "A,2024-01,nps,-100,",
            "A,2024-02,nps,100,",
            "A,2024-01,client_retention,0,1",
            "A,2024-02,client_retention,1,2147483647",
            "A,2024-01,revenue,0,",
            f"A,{this_month},csat,3,",
        )
    )
    assert summary.created == 8


# ---------------------------------------------------------------- outcomes: bad files

BAD_OUTCOMES = [
    # (case, row, column, words the reason must contain)
    ("Q,2024-01,csat,4,", "unit_id", "unknown unit 'Q'"),
    (",2024-01,csat,4,", "unit_id", "is empty"),
    ("A,2024-01-01,csat,4,", "month", "is a date: write the month as YYYY-MM (e.g. 2024-01)"),
    ("A,2024-13,csat,4,", "month", "not a month YYYY-MM"),
    ("A,Jan 2024,csat,4,", "month", "not a month YYYY-MM"),
    ("A,2024-1,csat,4,", "month", "not a month YYYY-MM"),
    ("A,,csat,4,", "month", "is empty"),
    (f"A,{NEXT_MONTH},csat,4,", "month", "in the future"),
    ("A,1899-12,csat,4,", "month", "check the year"),
    ("A,2024-01,,4,", "metric", "is empty"),
    ("A,2024-01,client retention,0.5,10", "metric", "not a metric name"),
    ("A,2024-01,1csat,4,", "metric", "not a metric name"),
    (f"A,2024-01,{'m' * 41},4,", "metric", "not a metric name"),
    ("A,2024-01,staff_retention,0.9,", "metric", "derived from the roster"),
    ("A,2024-01,Staff_Turnover,0.1,", "metric", "derived from the roster"),
    ("A,2024-01,csat,,", "value", "is empty"),
    ("A,2024-01,csat,good,", "value", "'good' is not a number"),
    ('A,2024-01,csat,"4,5",', "value", "use a dot as the decimal separator"),
    ("A,2024-01,client_retention,72%,100", "value", "is a percentage"),
    ("A,2024-01,revenue,nan,", "value", "'nan' is not a number"),
    ("A,2024-01,revenue,inf,", "value", "'inf' is not a number"),
    ("A,2024-01,revenue,1e999,", "value", "too large"),
    ("A,2024-01,revenue,1_000,", "value", "not a number"),
    ("A,2024-01,csat,0.9,", "value", "out of range: csat is a mean satisfaction from 1 to 5"),
    ("A,2024-01,csat,5.01,", "value", "out of range"),
    ("A,2024-01,nps,-101,", "value", "out of range: nps"),
    ("A,2024-01,nps,100.5,", "value", "out of range"),
    ("A,2024-01,client_retention,1.2,10", "value", "out of range: client_retention"),
    ("A,2024-01,client_retention,-0.1,10", "value", "out of range"),
    ("A,2024-01,revenue,-1,", "value", "out of range: revenue"),
    ("A,2024-01,client_retention,0.5,", "n", "client_retention needs n"),
    ("A,2024-01,csat,4,0", "n", "'0' is not a whole number of 1 or more"),
    ("A,2024-01,csat,4,-3", "n", "not a whole number"),
    ("A,2024-01,csat,4,12.5", "n", "not a whole number"),
    ("A,2024-01,csat,4,many", "n", "not a whole number"),
    ("A,2024-01,csat,4,2147483648", "n", "too large"),
]


@pytest.mark.parametrize(
    ("line", "column", "reason"), BAD_OUTCOMES, ids=[c[0] for c in BAD_OUTCOMES]
)
async def test_bad_outcome_row_changes_nothing(line: str, column: str, reason: str) -> None:
    await import_outcomes(outcomes_csv(*GOOD_OUTCOMES))
    exc = await assert_rejected_unchanged(
        import_outcomes, outcomes_csv("A,2024-03,csat,4.1,", line)
    )
    assert [(e.row, e.column) for e in exc.errors] == [(3, column)], exc.summary()
    assert reason in exc.errors[0].reason
    assert f"row 3, column {column}:" in exc.summary()


async def test_client_retention_needs_the_n_column() -> None:
    exc = await assert_rejected_unchanged(
        import_outcomes,
        b"unit_id,month,metric,value\nA,2024-01,csat,4\nA,2024-01,client_retention,0.5\n",
    )
    assert [(e.row, e.column) for e in exc.errors] == [(3, "n")]
    assert "the header has no n column" in exc.errors[0].reason


async def test_a_duplicate_in_the_file_names_the_earlier_row() -> None:
    exc = await assert_rejected_unchanged(
        import_outcomes,
        outcomes_csv("A,2024-01,csat,4.5,", "B,2024-01,csat,4.1,", "A,2024-01,CSAT,4.4,"),
    )
    assert [(e.row, e.column) for e in exc.errors] == [(4, "metric")]
    assert "duplicate: row 2 has the same unit_id, month and metric (A, 2024-01, csat)" in str(exc)


async def test_every_bad_outcome_row_is_named_and_nothing_changes() -> None:
    await import_outcomes(outcomes_csv(*GOOD_OUTCOMES))
    rows = [f"A,20{10 + i // 12:02d}-{i % 12 + 1:02d},csat,4," for i in range(150)]
    rows[40] = "A,2013-05,csat,6,"
    rows[99] = "Q,2018-04,csat,4,"
    exc = await assert_rejected_unchanged(import_outcomes, outcomes_csv(*rows))
    assert [(e.row, e.column) for e in exc.errors] == [(42, "value"), (101, "unit_id")]


async def test_outcomes_header_problems() -> None:
    exc = await assert_rejected_unchanged(import_outcomes, b"unit_id,month,value\nA,2024-01,4\n")
    assert (exc.errors[0].row, exc.errors[0].column) == (1, "metric")
    exc = await assert_rejected_unchanged(import_outcomes, outcomes_csv())
    assert "no rows" in str(exc)


# ---------------------------------------------------------------- visits: good files


async def test_visits_store_only_the_derived_client_retention() -> None:
    summary = await import_visits(visits_csv(*VISITS), window_days=90)
    assert counts(summary) == (11, 2, 0, 0)
    assert await stored() == {
        ("A", "2024-01", "client_retention"): (pytest.approx(1 / 3), 3, "visits"),
        ("B", "2024-02", "client_retention"): (0.5, 2, "visits"),
    }
    message = summary.message()
    assert "client_retention derived for 2 unit-months from 5 first-time clients" in message
    assert "a return within 90 days counts" in message
    assert "1 month after 2024-04 is too recent to tell" in message
    assert "last visit in the file, 2024-08-01" in message


async def test_reimporting_the_same_visits_changes_nothing() -> None:
    await import_visits(visits_csv(*VISITS), window_days=90)
    before = await snapshot()
    assert counts(await import_visits(visits_csv(*VISITS), window_days=90)) == (11, 0, 0, 2)
    assert await snapshot() == before


async def test_the_window_changes_the_shares() -> None:
    await import_visits(visits_csv(*VISITS), window_days=90)
    summary = await import_visits(visits_csv(*VISITS), window_days=91)
    assert counts(summary) == (11, 0, 1, 1)  # c2 (91 days) now returned; B unchanged
    assert (await stored())[("A", "2024-01", "client_retention")] == (
        pytest.approx(2 / 3),
        3,
        "visits",
    )
    summary = await import_visits(visits_csv(*VISITS), window_days=30)
    assert counts(summary) == (11, 1, 1, 1)  # a shorter window sees June in full
    assert "too recent" not in summary.message()
    after = await stored()
    assert after[("A", "2024-01", "client_retention")] == (0.0, 3, "visits")
    assert after[("A", "2024-06", "client_retention")] == (0.0, 1, "visits")


async def test_the_default_window_is_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENGAGE_RETURN_WINDOW_DAYS", "91")
    get_settings.cache_clear()
    try:
        summary = await import_visits(visits_csv(*VISITS))
    finally:
        monkeypatch.delenv("ENGAGE_RETURN_WINDOW_DAYS")
        get_settings.cache_clear()
    assert "a return within 91 days counts" in summary.message()
    assert (await stored())[("A", "2024-01", "client_retention")][0] == pytest.approx(2 / 3)
    summary = await import_visits(visits_csv(*VISITS))
    assert "a return within 90 days counts" in summary.message()


async def test_visits_replace_their_months_and_keep_the_others() -> None:
    await import_outcomes(
        outcomes_csv(
            "A,2024-01,client_retention,0.9,50",  # the visits file covers this month
            "A,2023-06,client_retention,0.8,40",  # not in the visits file
            "A,2024-06,client_retention,0.7,30",  # too recent to tell in the visits file
            "A,2024-01,csat,4.4,",  # another metric
        )
    )
    summary = await import_visits(visits_csv(*VISITS), window_days=90)
    assert counts(summary) == (11, 1, 1, 0)
    assert await stored() == {
        ("A", "2024-01", "client_retention"): (pytest.approx(1 / 3), 3, "visits"),
        ("B", "2024-02", "client_retention"): (0.5, 2, "visits"),
        ("A", "2023-06", "client_retention"): (0.8, 40, "outcomes"),
        ("A", "2024-06", "client_retention"): (0.7, 30, "outcomes"),
        ("A", "2024-01", "csat"): (4.4, None, "outcomes"),
    }


async def test_visit_import_reports_progress_to_the_end() -> None:
    calls: list[tuple[str, int, int]] = []
    extra = ",service,amount"
    data = csv_bytes(VISITS_HEADER + extra, *(f"{v},cut,45.00" for v in VISITS))
    await import_visits(data, progress=lambda *a: calls.append(a), window_days=90)
    stages = list(dict.fromkeys(stage for stage, _, _ in calls))
    assert stages == [
        "reading visits.csv",
        "checking visits",
        "deriving client retention",
        "saving client retention",
    ]
    last = {stage: (done, total) for stage, done, total in calls}
    assert all(done == total for done, total in last.values())
    assert all(d <= t for _, d, t in calls)


async def test_run_import_takes_a_window_only_for_visits() -> None:
    summary = await run_import("visits", visits_csv(*VISITS), "tester", window_days=91)
    assert "within 91 days" in summary.message()
    with pytest.raises(UnsupportedOption, match="window_days applies only to visits"):
        await run_import("outcomes", outcomes_csv(*GOOD_OUTCOMES), "tester", window_days=91)
    with pytest.raises(ValueError, match="from 1 to 730"):
        await import_visits(visits_csv(*VISITS), window_days=0)


# ---------------------------------------------------------------- visits: bad files

BAD_VISITS = [
    (",A,2024-01-10", "client_id", "is empty"),
    ("c9,Q,2024-01-10", "unit_id", "unknown unit 'Q'"),
    ("c9,,2024-01-10", "unit_id", "is empty"),
    ("c9,A,2024-01-32", "visited_on", "'2024-01-32' is not a date YYYY-MM-DD"),
    ("c9,A,10/01/2024", "visited_on", "not a date YYYY-MM-DD"),
    ("c9,A,2024-01", "visited_on", "not a date YYYY-MM-DD"),
    ("c9,A,", "visited_on", "is empty"),
    (f"c9,A,{TOMORROW}", "visited_on", "is in the future"),
    ("c9,A,1899-12-31", "visited_on", "check the year"),
]


@pytest.mark.parametrize(("line", "column", "reason"), BAD_VISITS, ids=[c[0] for c in BAD_VISITS])
async def test_bad_visit_row_changes_nothing(line: str, column: str, reason: str) -> None:
    await import_visits(visits_csv(*VISITS), window_days=90)
    exc = await assert_rejected_unchanged(import_visits, visits_csv(*VISITS[:5], line, *VISITS[5:]))
    assert [(e.row, e.column) for e in exc.errors] == [(7, column)], exc.summary()
    assert reason in exc.errors[0].reason


async def test_several_problems_are_listed_in_row_order() -> None:
    exc = await assert_rejected_unchanged(
        import_visits,
        visits_csv("c1,Q,2024-01-10", "c2,A,2024-01-10", ",B,someday", "c3,Q,2024-02-30"),
    )
    assert [(e.row, e.column) for e in exc.errors] == [
        (2, "unit_id"),
        (4, "client_id"),
        (4, "visited_on"),
        (5, "unit_id"),
        (5, "visited_on"),
    ]


async def test_a_file_full_of_bad_rows_lists_the_first_and_counts_all() -> None:
    rows = [f"c{i},Q{i % 3},2024-01-10" for i in range(MAX_ERRORS + 100)]
    exc = await assert_rejected_unchanged(import_visits, visits_csv(*VISITS, *rows))
    assert len(exc.errors) == MAX_ERRORS
    assert exc.total == MAX_ERRORS + 100
    assert exc.errors[0].row == len(VISITS) + 2
    assert f"{MAX_ERRORS + 100} problems found" in str(exc)


async def test_visits_header_problems() -> None:
    exc = await assert_rejected_unchanged(import_visits, b"client_id,visited_on\nc1,2024-01-01\n")
    assert (exc.errors[0].row, exc.errors[0].column) == (1, "unit_id")
    exc = await assert_rejected_unchanged(import_visits, visits_csv())
    assert "no visits" in str(exc)
    exc = await assert_rejected_unchanged(import_visits, visits_csv(*VISITS, "c7,A,2024-01-01,x"))
    assert (exc.errors[0].row, exc.errors[0].column) == (len(VISITS) + 2, None)
