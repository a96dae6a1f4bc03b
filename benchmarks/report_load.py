"""Stored reports under load: what HR's heavy work costs the people answering.

Seeds the demo into a scratch SQLite file (or reuses --database), starts ``engage serve``
(one worker), and prints, beside ``GET /livez`` on the same server (the floor):

- the report page and ``GET /api/reports/linkage`` while the stored report is current
  (aim: p95 under 200 ms);
- the report PDF: the first download (rendered) and the second (kept; aim under 100 ms);
- the anonymous answer page (``GET /s/<link>``) idle, then while 4 clients download report
  PDFs and 4 keep the report being recomputed (each bumps the report's inputs and opens
  the page, as an import would) — aim: p95 at most 2× idle. The HR clients are processes
  of their own, so they do not slow the measuring client.

The links are one-time links of the open demo pulse, issued here; a GET does not spend one.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import sqlite3
import time
from typing import Any

import httpx
from demo_server import login, p95, seeded_demo, served, summary, timed

from engage import clock
from engage.demo_data import demo_logins

os.environ.setdefault("ENGAGE_SECRET_KEY", "benchmark-secret-0123456789abcdef0123456789")


def answer_link(database: str) -> str:
    """A fresh one-time link of the demo's open wave (issued in this process)."""

    async def make() -> str:
        from engage.db.engine import configure
        from engage.db.tables import Wave
        from engage.survey.delivery import issue

        configure(database)
        wave = await Wave.select(Wave.id).where(Wave.status == "open").first().run()
        assert wave is not None, "the demo has no open wave"
        return f"/s/{(await issue(int(wave['id']), 'token'))[0].secret}"

    return asyncio.run(make())


def hr_load(base: str, email: str, database: str, stop: Any, pdf: bool) -> None:
    with httpx.Client(base_url=base, timeout=300) as client:
        login(client, email)
        while not stop.is_set():
            if pdf:
                client.get("/reports/linkage.pdf")
            else:
                with sqlite3.connect(database, timeout=30) as con:
                    con.execute("UPDATE org_settings SET report_inputs = report_inputs + 1")
                client.get("/reports/linkage")
                time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the load phase")
    parser.add_argument("--database", default=None)
    parser.add_argument("--port", type=int, default=8741)
    parser.add_argument("--pdf-clients", type=int, default=4)
    parser.add_argument("--recompute-clients", type=int, default=4)
    args = parser.parse_args()
    database, env = seeded_demo(args.database)
    link = answer_link(database)
    with served(env, args.port) as base:
        hr = {x.role: x.email for x in demo_logins(clock.today())}["hr"]
        print(f"demo organisation, SQLite, one worker; {args.requests} sequential requests each")
        with httpx.Client(base_url=base, timeout=300) as client:
            floor = p95(timed(client, "/livez", args.requests))
            summary("GET /livez (floor)", timed(client, "/livez", args.requests))
            login(client, hr)
            summary(
                "GET /reports/linkage (stored, current)",
                timed(client, "/reports/linkage", args.requests),
                floor,
            )
            summary(
                "GET /api/reports/linkage (stored, current)",
                timed(client, "/api/reports/linkage", args.requests),
                floor,
            )
            start = time.perf_counter()
            client.get("/reports/linkage.pdf").raise_for_status()
            print(
                f"  {'first PDF download (rendered)':<52} {(time.perf_counter() - start) * 1000:8.0f} ms"
            )
            summary("later PDF downloads (kept)", timed(client, "/reports/linkage.pdf", 20))
        with httpx.Client(base_url=base, timeout=300) as person:
            idle = timed(person, link, args.requests)
            summary("GET answer page, idle", idle)
            # the HR clients are processes of their own: threads here would share this
            # process's GIL with the measuring client and slow it, not the server
            stop = multiprocessing.Event()
            pdfs, recomputes = args.pdf_clients, args.recompute_clients
            workers = [
                multiprocessing.Process(
                    target=hr_load, args=(base, hr, database, stop, i < pdfs), daemon=True
                )
                for i in range(pdfs + recomputes)
            ]
            for w in workers:
                w.start()
            busy: list[float] = []
            deadline = time.monotonic() + args.seconds
            while time.monotonic() < deadline:
                busy += timed(person, link, 10)
            stop.set()
            for w in workers:
                w.join(timeout=60)
            summary(f"GET answer page, {pdfs} PDFs + {recomputes} recomputing", busy)
            print(f"  answer page p95 under load / idle: {p95(busy) / p95(idle):5.1f}× (aim ≤ 2×)")


if __name__ == "__main__":
    main()
