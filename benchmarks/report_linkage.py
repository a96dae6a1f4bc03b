"""Linkage report speed: 2,000 units × 24 months × ~10 respondents (≈5.8M answers).

Prints, per engine, beside each other in one run:
- floor 1, the bare SQL aggregate: one GROUP BY unit, wave over every answer;
- floor 2, the model fits called directly on the aggregated frames (``build_report``);
- engage: publishing every wave once (what a close does: the one-pass SQL over the wave's
  answers, roll-up, gate, storage), the whole data load from the publications, and
  ``linkage_report`` end to end, with its ratio to the bare aggregate and to the sum of
  the two floors; then the stored report's recomputation after a change (aim: at most
  1.3× the model fits alone) and a read of the stored report;
- the stored report served: the HR report page and ``GET /api/reports/linkage`` from
  ``engage serve`` (one worker), p95 beside ``GET /livez`` (aim: under 200 ms).

The organisation is written straight through the driver (it is the data, not the thing
measured): SQLite with executemany, PostgreSQL with COPY.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

os.environ.setdefault("ENGAGE_SECRET_KEY", "benchmark-secret-0123456789abcdef0123456789")
os.environ["ENGAGE_DB_POOL"] = "0"

import asyncpg
import httpx
import numpy as np

from engage import clock
from engage.db.engine import configure, parse_database_url
from engage.db.migrate import migrate
from engage.db.tables import Response
from engage.org.roster_import import import_roster
from engage.org.units_import import import_units
from engage.reporting.linkage import linkage_report
from engage.reporting.linkage_data import load_linkage_input
from engage.reporting.publication import publish_missing
from engage.reporting.report_inputs import inputs_changed
from engage.reporting.report_store import refresh_linkage, stored_linkage
from engage.sidecar import in_fitting_process
from reports.stats.linkage import build_report
from surveys.items import ENGAGEMENT_CODES

PG = os.environ.get("ENGAGE_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
AS_OF = date(2026, 1, 31)


def org_files(units: int, staff: int) -> tuple[bytes, bytes]:
    lines = ["unit_id,name,parent_id", "ORG,Bench,"]
    for r in range(20):
        lines.append(f"R{r},Region {r},ORG")
    for u in range(units):
        lines.append(f"L{u:05d},Location {u},R{u % 20}")
    rng = np.random.default_rng(1)
    roster = ["employee_id,email,name,unit_id,role,language,hired_on,left_on"]
    for u in range(units):
        for s in range(staff):
            hired = date(2022, 1, 1).toordinal() + int(rng.integers(0, 1100))
            left = ""
            if rng.random() < 0.25:
                left_day = max(
                    hired + 30, date(2024, 1, 10).toordinal() + int(rng.integers(0, 720))
                )
                left = date.fromordinal(min(left_day, AS_OF.toordinal())).isoformat()
            roster.append(
                f"E{u:05d}{s:02d},,Person {u}-{s},L{u:05d},employee,en,"
                f"{date.fromordinal(hired).isoformat()},{left}"
            )
    return ("\n".join(lines) + "\n").encode(), ("\n".join(roster) + "\n").encode()


def generate(units: int, months: int, respondents: int, unit_ids: list[int], wave_ids: list[int]):  # type: ignore[no-untyped-def]
    """Responses, answers and client metrics as row tuples (numpy for the numbers)."""
    rng = np.random.default_rng(7)
    latent = rng.normal(0, 0.35, units)
    responses: list[tuple[object, ...]] = []
    answers: list[tuple[object, ...]] = []
    metrics: list[tuple[object, ...]] = []
    for w, wave in enumerate(wave_ids):
        sizes = rng.integers(respondents - 2, respondents + 3, units)
        month = date(2024 + w // 12, w % 12 + 1, 1)
        for u in range(units):
            people = 3.6 + latent[u] + rng.normal(0, 0.1) + rng.normal(0, 0.55, sizes[u])
            values = np.clip(np.rint(people[:, None] + rng.normal(0, 0.6, (sizes[u], 12))), 1, 5)
            for r in range(sizes[u]):
                rid = uuid.uuid4()
                responses.append((rid, wave, unit_ids[u], "en", int(rng.integers(0, 11)), None))
                for i, code in enumerate(ENGAGEMENT_CODES):
                    answers.append((uuid.uuid4(), rid, wave, unit_ids[u], code, int(values[r, i])))
            z = latent[u] / 0.35
            metrics.append(
                (unit_ids[u], month, "csat", 4.2 + 0.08 * z + rng.normal(0, 0.1), 60, "outcomes")
            )
            metrics.append(
                (unit_ids[u], month, "nps", 40 + 6 * z + rng.normal(0, 8), 60, "outcomes")
            )
            at_risk = int(rng.integers(20, 60))
            p = 1 / (1 + np.exp(-(0.2 + 0.2 * z)))
            metrics.append(
                (
                    unit_ids[u],
                    month,
                    "client_retention",
                    rng.binomial(at_risk, p) / at_risk,
                    at_risk,
                    "visits",
                )
            )
    return responses, answers, metrics


async def build(url: str, units: int, months: int, respondents: int) -> int:
    configure(url)
    await migrate()
    units_csv, roster_csv = org_files(units, respondents + 2)
    await import_units(units_csv)
    await import_roster(roster_csv)
    rows = await Response.raw(
        "SELECT id, code FROM org_unit WHERE code LIKE 'L%' ORDER BY code"
    ).run()
    unit_ids = [int(r["id"]) for r in rows]
    now = clock.now()
    wave_rows = [
        (
            f"Bench {w}",
            date(2024 + w // 12, w % 12 + 1, 15),
            date(2024 + w // 12, w % 12 + 1, 28),
            "closed",
            ",".join(ENGAGEMENT_CODES),
            5,
            10,
            True,
            now,
        )
        for w in range(months)
    ]
    cfg = parse_database_url(url)
    insert_wave = (
        "INSERT INTO wave (name, opens_on, closes_on, status, item_codes, min_group_size, "
        "min_comment_group_size, imported, created_at) VALUES ({})"
    )
    if cfg.postgres_config is None:
        path = cfg.sqlite_path
        con = sqlite3.connect(path)
        con.executemany(
            insert_wave.format(",".join("?" * 9)), [(*r[:8], r[8].isoformat()) for r in wave_rows]
        )
        con.commit()
        wave_ids = [r[0] for r in con.execute("SELECT id FROM wave ORDER BY id")]
    else:
        con_pg = await asyncpg.connect(**cfg.postgres_config)
        await con_pg.executemany(
            insert_wave.format(",".join(f"${i}" for i in range(1, 10))), wave_rows
        )
        wave_ids = [r["id"] for r in await con_pg.fetch("SELECT id FROM wave ORDER BY id")]
    responses, answers, metrics = generate(units, months, respondents, unit_ids, wave_ids)
    if cfg.postgres_config is None:
        con.executemany(
            "INSERT INTO response VALUES (?,?,?,?,?,?)", [(str(r[0]), *r[1:]) for r in responses]
        )
        con.executemany(
            "INSERT INTO answer (id, response, wave, unit, item, value) VALUES (?,?,?,?,?,?)",
            ((str(a[0]), str(a[1]), *a[2:]) for a in answers),
        )
        con.executemany(
            "INSERT INTO client_metric (unit, month, metric, value, n, source) VALUES (?,?,?,?,?,?)",
            [(m[0], m[1].isoformat(), *m[2:]) for m in metrics],
        )
        con.commit()
        con.execute("ANALYZE")
        con.close()
    else:
        await con_pg.copy_records_to_table(
            "response",
            records=responses,
            columns=["id", "wave", "unit", "language", "enps", "comment"],
        )
        await con_pg.copy_records_to_table(
            "answer", records=answers, columns=["id", "response", "wave", "unit", "item", "value"]
        )
        await con_pg.copy_records_to_table(
            "client_metric",
            records=metrics,
            columns=["unit", "month", "metric", "value", "n", "source"],
        )
        await con_pg.execute("VACUUM ANALYZE")
        await con_pg.close()
    return len(answers)


async def measure(url: str) -> dict[str, float]:
    configure(url)
    out: dict[str, float] = {}
    start = time.perf_counter()
    await Response.raw(
        "SELECT unit, wave, COUNT(*) AS n, AVG(value) AS mean FROM answer GROUP BY unit, wave"
    ).run()
    out["bare aggregate (GROUP BY unit, wave)"] = time.perf_counter() - start
    start = time.perf_counter()
    published = await publish_missing()
    out[f"publishing all {published} waves (once, at close)"] = time.perf_counter() - start
    start = time.perf_counter()
    data, _ = await load_linkage_input(AS_OF)
    out["data load (publications + roster)"] = time.perf_counter() - start
    start = time.perf_counter()
    build_report(data)
    out["model fits on the frames (build_report)"] = time.perf_counter() - start
    await in_fitting_process(int)  # start the fitting process (once per server process)
    start = time.perf_counter()
    await linkage_report(AS_OF)
    out["linkage_report end to end"] = time.perf_counter() - start
    # What a worker does after one more wave is published: the stored report goes out of
    # date and is recomputed (load from publications, fits in the fitting process, store).
    with clock.pinned(AS_OF):
        await refresh_linkage()  # the first stored report (and the fitting process started)
        await inputs_changed()
        start = time.perf_counter()
        await refresh_linkage()
        out["recompute after a change (refresh_linkage)"] = time.perf_counter() - start
        start = time.perf_counter()
        await stored_linkage()
        out["reading the stored report (stored_linkage)"] = time.perf_counter() - start
    return out


async def served_report(url: str, requests: int = 50) -> None:
    """The stored report served by ``engage serve`` (one worker) on this organisation: the
    HR page and the report API against ``GET /livez`` (aim: p95 under 200 ms)."""
    from demo_server import login, p95, served, summary, timed

    from engage.auth.accounts import create_user
    from engage.demo import DEMO_PASSWORD

    configure(url)
    email = "bench-hr@example.com"
    await create_user(email, "hr", "Bench HR", password=DEMO_PASSWORD)
    env = {**os.environ, "ENGAGE_DATABASE_URL": url, "ENGAGE_TODAY": AS_OF.isoformat()}
    with served(env, 8751) as base, httpx.Client(base_url=base, timeout=300) as client:
        floor = p95(timed(client, "/livez", requests))
        summary("GET /livez (floor)", timed(client, "/livez", requests))
        login(client, email)
        start = time.perf_counter()
        client.get("/reports/linkage").raise_for_status()
        print(
            f"  {'first view of the report page (charts built)':<52} "
            f"{(time.perf_counter() - start) * 1000:8.0f} ms"
        )
        for path in ("/reports/linkage", "/api/reports/linkage"):
            ms = timed(client, path, requests)
            summary(f"GET {path} (stored, current)", ms, floor)
            print(f"  {'':<52} p95 {'under' if p95(ms) < 200 else 'OVER'} 200 ms")


async def run_engine(engine: str, units: int, months: int, respondents: int) -> None:
    if engine == "sqlite":
        url = str(Path(tempfile.mkdtemp()) / "bench.sqlite3")
        drop = None
    else:
        admin = await asyncpg.connect(**(parse_database_url(PG).postgres_config or {}))
        name = f"engage_bench_{uuid.uuid4().hex[:8]}"
        await admin.execute(f'CREATE DATABASE "{name}"')
        await admin.close()
        url = f"{PG.rsplit('/', 1)[0]}/{name}"
        drop = name
    try:
        start = time.perf_counter()
        count = await build(url, units, months, respondents)
        print(f"\n{engine}: {count:,} answers written in {time.perf_counter() - start:.0f} s")
        times = await measure(url)
        bare = times["bare aggregate (GROUP BY unit, wave)"]
        floors = bare + times["model fits on the frames (build_report)"]
        for label, seconds in times.items():
            print(f"  {label:<42} {seconds:7.2f} s   {seconds / bare:5.2f}× bare")
        total = times["linkage_report end to end"]
        print(f"  whole report / (bare aggregate + fits)      {total / floors:5.2f}×")
        fits = times["model fits on the frames (build_report)"]
        again = times["recompute after a change (refresh_linkage)"]
        print(f"  recompute / model fits alone                {again / fits:5.2f}× (aim ≤ 1.3×)")
        await served_report(url)
    finally:
        if drop:
            admin = await asyncpg.connect(**(parse_database_url(PG).postgres_config or {}))
            await admin.execute(f'DROP DATABASE IF EXISTS "{drop}" WITH (FORCE)')
            await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--units", type=int, default=2000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--respondents", type=int, default=10)
    parser.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    engines = ["sqlite", "postgres"] if args.engine == "both" else [args.engine]
    for engine in engines:
        asyncio.run(run_engine(engine, args.units, args.months, args.respondents))


if __name__ == "__main__":
    main()
