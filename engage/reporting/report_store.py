"""The linkage report, computed when its inputs change and served from storage.

Every change to what the report is computed from (a wave published, an import, a
training completion, the organisation's settings) bumps one counter
(``engage.reporting.report_inputs``). ``refresh_linkage``, run by the background jobs
every minute and started when someone opens a report that is out of date, computes the
report for the current counter and day once: the run is claimed in the database (one row
per version and day, moved from pending to running by one UPDATE), so however many
workers try, exactly one computes; the fits run in the fitting process. Pages, the API,
the downloads and ``engage report linkage`` read the newest stored run
(``stored_linkage``), with whether a newer one is being computed or failed.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import pickle
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import anyio

from engage import clock
from engage.db.bulk import fetch
from engage.db.engine import current_engine
from engage.db.tables import ReportRun
from engage.reporting.linkage import (
    DEFAULT_REPS,
    AnalysisData,
    LinkageRun,
    analysis_data_of,
    linkage_run,
)
from engage.reporting.linkage_data import load_linkage_input
from engage.reporting.report_inputs import current_inputs
from engage.sidecar import FITTING, on_this_database
from reports.stats.estimate import DEFAULT_SEED

LINKAGE = "linkage"
#: A run still "running" after this long lost its worker (a crash, a restart), and one
#: that failed this long ago may have met a passing problem: the next refresh tries again.
ABANDONED_AFTER = timedelta(minutes=30)
#: Bumped when what a stored payload holds changes shape or meaning (3: within_unit and
#: between_units replace lagged_mixedlm): older payloads are recomputed.
PAYLOAD_FORMAT = 3
log = logging.getLogger(__name__)


def _key(version: int, day: date) -> str:
    return f"{LINKAGE}:{version}:{day.isoformat()}"


@dataclass(frozen=True, slots=True, eq=False)
class StoredLinkage:
    """The newest stored linkage report and what is happening to it.

    ``run``/``data`` are None when none was ever computed. ``current`` says it was
    computed from today's inputs; otherwise ``updating_since`` tells when a newer
    computation started, or ``failure`` why the newest attempt failed.
    """

    run: LinkageRun | None
    data: AnalysisData | None
    run_id: int | None
    computed_at: datetime | None
    current: bool
    updating_since: datetime | None
    failure: str | None


#: The stored report last read by this worker (run id, report, data set): a stored run
#: never changes, so a page view reads the payload only when a newer run exists.
_loaded: tuple[object, int, LinkageRun | None, AnalysisData | None] | None = None


async def _load(run_id: int, key: str) -> tuple[LinkageRun | None, AnalysisData | None]:
    global _loaded
    engine = current_engine()
    if _loaded is not None and _loaded[0] is engine and _loaded[1] == run_id:
        return _loaded[2], _loaded[3]
    row = await ReportRun.select(ReportRun.payload).where(ReportRun.id == run_id).first().run()
    run = data = None
    try:
        # Written by engage into its own database: whoever could plant a payload there
        # could already change every figure, so reading it trusts nothing new.
        form, run, data = (
            await anyio.to_thread.run_sync(pickle.loads, row["payload"])
            if row
            else (None, None, None)
        )
        if form != PAYLOAD_FORMAT:
            run = data = None
    except Exception:
        run = data = None
    if run is None:  # a payload of another version of engage: dropped, so it is recomputed
        log.warning("stored linkage report %s could not be read; recomputing", key)
        await ReportRun.delete().where(ReportRun.id == run_id).run()
        return None, None
    _loaded = (engine, run_id, run, data)
    return run, data


async def stored_linkage() -> StoredLinkage:
    """The newest successfully computed report, and the state of the newest attempt."""
    version, day = await current_inputs()
    key = _key(version, day)
    done = (
        await ReportRun.select(ReportRun.id, ReportRun.key, ReportRun.finished_at)
        .where(ReportRun.kind == LINKAGE, ReportRun.status == "done")
        .order_by(ReportRun.id, ascending=False)
        .first()
        .run()
    )
    run = data = None
    if done is not None:
        run, data = await _load(int(done["id"]), str(done["key"]))
    current = run is not None and done is not None and done["key"] == key
    attempt = None
    if not current:
        attempt = (
            await ReportRun.select(
                ReportRun.status, ReportRun.started_at, ReportRun.requested_at, ReportRun.error
            )
            .where(ReportRun.key == key)
            .first()
            .run()
        )
    updating = failure = None
    if attempt is not None and attempt["status"] in ("pending", "running"):
        updating = attempt["started_at"] or attempt["requested_at"]
    elif attempt is not None and attempt["status"] == "failed":
        failure = str(attempt["error"] or "unknown error")
    return StoredLinkage(
        run=run,
        data=data,
        run_id=int(done["id"]) if done is not None and run is not None else None,
        computed_at=done["finished_at"] if done is not None and run is not None else None,
        current=current,
        updating_since=updating,
        failure=failure,
    )


async def refresh_linkage() -> bool:
    """Compute and store the report for today's inputs unless it is stored, being
    computed elsewhere, or failed on them lately; True when this call made the attempt."""
    version, day = await current_inputs()
    key = _key(version, day)
    now = clock.now()
    engine = ReportRun._meta.db
    async with engine.transaction():
        await fetch(
            engine,
            "INSERT INTO report_run (key, kind, inputs_version, as_of, status, requested_at) "
            "VALUES ({}, {}, {}, {}, 'pending', {}) ON CONFLICT (key) DO NOTHING",
            key,
            LINKAGE,
            version,
            day,
            now,
        )
    async with engine.transaction():
        # one UPDATE moves the run to running: of several workers, one gets the row back.
        # A run abandoned while running, or failed a while ago, may be tried again.
        claimed = await fetch(
            engine,
            "UPDATE report_run SET status = 'running', started_at = {}, error = NULL "
            "WHERE key = {} AND (status = 'pending' "
            "OR (status = 'running' AND started_at < {}) "
            "OR (status = 'failed' AND finished_at < {})) RETURNING id",
            now,
            key,
            now - ABANDONED_AFTER,
            now - ABANDONED_AFTER,
        )
    if not claimed:
        return False
    run_id = int(claimed[0]["id"])
    try:
        payload = await computed_payload(day)
    except Exception as exc:  # stored as failed, shown with its reason; never a 500
        log.exception("linkage report %s failed", key)
        await (
            ReportRun.update(
                {
                    ReportRun.status: "failed",
                    ReportRun.finished_at: clock.now(),
                    ReportRun.error: f"{type(exc).__name__}: {exc}"[:2000],
                }
            )
            .where(ReportRun.id == run_id)
            .run()
        )
        return True
    await (
        ReportRun.update(
            {
                ReportRun.status: "done",
                ReportRun.finished_at: clock.now(),
                ReportRun.payload: payload,
            }
        )
        .where(ReportRun.id == run_id)
        .run()
    )
    # Keep the newest report only (and attempts since): storage stays one report's size.
    await ReportRun.delete().where(ReportRun.kind == LINKAGE, ReportRun.id < run_id).run()
    return True


async def computed_payload(day: date) -> bytes:
    """The stored form of the report as of ``day``, computed in the fitting process: the
    data load, the fits, the data set and the pickling all happen there, so the web
    worker's event loop only waits (and the people answering are not slowed)."""
    return await on_this_database(FITTING, _payload, day)


async def _payload(day: date) -> bytes:
    data, units = await load_linkage_input(day, DEFAULT_SEED, DEFAULT_REPS)
    run = await linkage_run(data, units)
    dataset = await analysis_data_of(data, units)
    return pickle.dumps((PAYLOAD_FORMAT, run, dataset), protocol=pickle.HIGHEST_PROTOCOL)


_kicked: set[asyncio.Task[bool]] = set()


def refresh_soon() -> None:
    """Start ``refresh_linkage`` in the background of this worker (a page found the
    stored report out of date); the claim makes a second start harmless."""
    task = asyncio.get_running_loop().create_task(refresh_linkage())
    _kicked.add(task)
    task.add_done_callback(_kicked.discard)


#: The kept PDF this worker last read or made (engine, run id, bytes): a stored run's PDF
#: never changes, so downloads after the first are served from memory.
_kept: tuple[object, int, bytes] | None = None


async def kept_pdf(run_id: int) -> bytes | None:
    """The PDF of a stored report, if one was rendered already."""
    global _kept
    engine = current_engine()
    if _kept is not None and _kept[0] is engine and _kept[1] == run_id:
        return _kept[2]
    row = await ReportRun.select(ReportRun.pdf).where(ReportRun.id == run_id).first().run()
    if not row or row["pdf"] is None:
        return None
    _kept = (engine, run_id, bytes(row["pdf"]))
    return _kept[2]


async def keep_pdf(run_id: int, pdf: bytes) -> None:
    """Keep a stored report's PDF, so the next download is a read."""
    global _kept
    await ReportRun.update({ReportRun.pdf: pdf}).where(ReportRun.id == run_id).run()
    _kept = (current_engine(), run_id, pdf)


async def settle() -> None:
    """Wait for the computations this worker's event loop started (at shutdown)."""
    loop = asyncio.get_running_loop()
    while mine := [t for t in _kicked if t.get_loop() is loop]:
        await asyncio.gather(*mine, return_exceptions=True)


async def linkage_for_viewer() -> StoredLinkage:
    """What a page or API call shows: the stored report; if it is out of date and nobody
    is computing it, a computation starts in the background (said as updating now)."""
    stored = await stored_linkage()
    if stored.current or stored.updating_since is not None or stored.failure is not None:
        return stored
    refresh_soon()
    return dataclasses.replace(stored, updating_since=clock.now())


class NotReady(Exception):
    """No linkage report is stored yet: it is being computed, or its computation failed."""

    def __init__(self, stored: StoredLinkage) -> None:
        self.stored = stored
        if stored.failure is not None:
            text = f"the linkage report could not be computed: {stored.failure}"
        else:
            since = stored.updating_since or clock.now()
            text = (
                "the linkage report is being computed (since "
                f"{since.replace(microsecond=0).isoformat()}); try again in a minute"
            )
        super().__init__(text)


async def ready_linkage() -> tuple[LinkageRun, AnalysisData, StoredLinkage]:
    """The stored report for a download or the API; ``NotReady`` when there is none yet."""
    stored = await linkage_for_viewer()
    if stored.run is None or stored.data is None:
        raise NotReady(stored)
    return stored.run, stored.data, stored


async def current_linkage() -> StoredLinkage:
    """The stored report, computed now first if it is out of date and nothing else is
    computing it (for the command line, which has no background worker to wait for)."""
    await refresh_linkage()
    return await stored_linkage()
