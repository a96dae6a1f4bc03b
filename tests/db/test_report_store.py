"""The stored linkage report: computed once per change of its inputs, claimed by one worker,
served from storage, failures kept with their reason (issue 13)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from engage import clock
from engage.db.tables import ReportRun
from engage.imports import run_import
from engage.reporting import report_store
from engage.reporting.report_inputs import current_inputs
from engage.reporting.report_store import refresh_linkage, stored_linkage
from surveys.items import ENGAGEMENT_CODES
from tests.factories import build_small_org

pytestmark = pytest.mark.db


def _history(day: str) -> bytes:
    lines = ["wave,unit_id,respondent," + ",".join(ENGAGEMENT_CODES) + ",ENPS,comment"]
    for team in ("T1", "T4"):
        for r in range(6):
            values = ",".join(str(1 + (r + i) % 5) for i in range(12))
            lines.append(f"{day},{team},{team}-{r},{values},{r},")
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture(scope="module")
async def org(db: str) -> None:
    await build_small_org()


async def test_nothing_is_stored_until_computed_then_it_is_served(org: None) -> None:
    empty = await stored_linkage()
    assert empty.run is None and not empty.current and empty.failure is None
    assert await refresh_linkage() is True
    stored = await stored_linkage()
    assert stored.current and stored.run is not None and stored.data is not None
    assert stored.run.body["as_of"] == clock.today().isoformat()
    assert await refresh_linkage() is False  # nothing changed: nothing is computed again


async def test_a_change_of_inputs_makes_it_out_of_date_until_recomputed(org: None) -> None:
    before = await current_inputs()
    await run_import("responses", _history("2025-05-15"), "hr@acme.test")
    assert (await current_inputs())[0] > before[0]  # the import and its publication count
    stale = await stored_linkage()
    assert not stale.current and stale.run is not None  # the old one is still shown
    assert await refresh_linkage() is True
    fresh = await stored_linkage()
    assert fresh.current and fresh.run is not None
    assert fresh.run.body["aggregation"]["waves"] == 1
    # only the newest report is kept
    assert await ReportRun.count().where(ReportRun.status == "done").run() == 1


async def test_a_new_day_makes_it_out_of_date(org: None) -> None:
    await refresh_linkage()
    with clock.pinned(clock.today() + timedelta(days=1)):
        assert not (await stored_linkage()).current


async def test_of_several_workers_exactly_one_computes(org: None) -> None:
    await run_import("responses", _history("2025-06-15"), "hr@acme.test")
    results = await asyncio.gather(*(refresh_linkage() for _ in range(4)))
    assert sorted(results) == [False, False, False, True]
    assert (await stored_linkage()).current


async def test_a_failed_computation_is_stored_with_its_reason(
    org: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object) -> None:
        raise RuntimeError("the outcomes table is unreadable")

    await run_import("responses", _history("2025-07-15"), "hr@acme.test")
    monkeypatch.setattr(report_store, "computed_payload", broken)
    assert await refresh_linkage() is True
    stored = await stored_linkage()
    assert stored.failure == "RuntimeError: the outcomes table is unreadable"
    assert stored.run is not None and not stored.current  # the older report still shows
    assert await refresh_linkage() is False  # not tried again at once …
    monkeypatch.undo()
    row = await ReportRun.select(ReportRun.id).where(ReportRun.status == "failed").first().run()
    assert row is not None
    await (
        ReportRun.update(
            {
                ReportRun.finished_at: clock.now()
                - report_store.ABANDONED_AFTER
                - timedelta(seconds=1)
            }
        )
        .where(ReportRun.id == row["id"])
        .run()
    )
    assert await refresh_linkage() is True  # … but a while later
    assert (await stored_linkage()).current


async def test_a_run_abandoned_by_its_worker_is_taken_over(org: None) -> None:
    await run_import("responses", _history("2025-08-15"), "hr@acme.test")
    version, day = await current_inputs()
    long_ago = clock.now() - report_store.ABANDONED_AFTER - timedelta(seconds=1)
    await ReportRun.insert(
        ReportRun(
            key=f"linkage:{version}:{day.isoformat()}",
            kind="linkage",
            inputs_version=version,
            as_of=day,
            status="running",
            requested_at=long_ago,
            started_at=long_ago,
        )
    ).run()
    updating = await stored_linkage()
    assert updating.updating_since is not None and not updating.current
    assert await refresh_linkage() is True
    assert (await stored_linkage()).current


async def test_a_payload_engage_cannot_read_is_dropped_and_computed_again(org: None) -> None:
    await refresh_linkage()
    done = await ReportRun.select(ReportRun.id).where(ReportRun.status == "done").first().run()
    assert done is not None
    await (
        ReportRun.update({ReportRun.payload: b"written by another version"})
        .where(ReportRun.id == done["id"])
        .run()
    )
    report_store._loaded = None  # as in a worker that has not read it yet
    assert (await stored_linkage()).run is None
    assert await refresh_linkage() is True
    assert (await stored_linkage()).current
