"""Stored reports under load: what HR's heavy work costs the people answering.

Seeds the demo into a scratch SQLite file (or reuses --database), starts ``engage serve``
(one worker), and prints, beside ``GET /livez`` on the same server (the floor):

- the report page and ``GET /api/reports/linkage`` while the stored report is current
  (aim: p95 under 200 ms);
- the report PDF: the first download (rendered) and the second (kept; aim under 100 ms);
- the anonymous answer page (``GET /s/<link>``) idle, then while 4 clients download report
  PDFs and 4 keep the report being recomputed (each bumps the report's inputs and opens
  the page, as an import would) — aim: p95 at most 2× idle.

The links are one-time links of the open demo pulse, issued here; a GET does not spend one.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from engage import clock
from engage.demo import DEMO_PASSWORD
from engage.demo_data import demo_logins

os.environ.setdefault("ENGAGE_SECRET_KEY", "benchmark-secret-0123456789abcdef0123456789")


def login(client: httpx.Client, email: str) -> None:
    client.get("/login")
    token = client.cookies["engage_csrf"]
    client.post(
        "/login",
        data={"email": email, "password": DEMO_PASSWORD, "next": "/", "_csrf_token": token},
    ).raise_for_status()


def timed(client: httpx.Client, path: str, count: int) -> list[float]:
    client.get(path).raise_for_status()  # warm
    out = []
    for _ in range(count):
        start = time.perf_counter()
        client.get(path).raise_for_status()
        out.append((time.perf_counter() - start) * 1000)
    return out


def p95(ms: list[float]) -> float:
    ordered = sorted(ms)
    return ordered[int(0.95 * (len(ordered) - 1))]


def line(label: str, ms: list[float], floor: float | None = None) -> None:
    ratio = f"   {p95(ms) / floor:5.1f}× floor p95" if floor else ""
    print(f"  {label:<52} p50 {statistics.median(ms):8.1f} ms   p95 {p95(ms):8.1f} ms{ratio}")


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


def hr_load(base: str, email: str, database: str, stop: threading.Event, pdf: bool) -> None:
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
    args = parser.parse_args()
    database = args.database or str(Path(tempfile.mkdtemp()) / "demo.sqlite3")
    env = {**os.environ, "ENGAGE_DATABASE_URL": database}
    subprocess.run(
        [sys.executable, "-m", "engage", "demo", "--no-serve"],
        env=env,
        check=True,
        capture_output=True,
    )
    link = answer_link(database)
    server = subprocess.Popen(
        [sys.executable, "-m", "engage", "serve", "--port", str(args.port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(150):
            try:
                httpx.get(f"{base}/livez")
                break
            except httpx.TransportError:
                time.sleep(0.2)
        hr = {x.role: x.email for x in demo_logins(clock.today())}["hr"]
        print(f"demo organisation, SQLite, one worker; {args.requests} sequential requests each")
        with httpx.Client(base_url=base, timeout=300) as client:
            floor = p95(timed(client, "/livez", args.requests))
            line("GET /livez (floor)", timed(client, "/livez", args.requests))
            login(client, hr)
            line(
                "GET /reports/linkage (stored, current)",
                timed(client, "/reports/linkage", args.requests),
                floor,
            )
            line(
                "GET /api/reports/linkage (stored, current)",
                timed(client, "/api/reports/linkage", args.requests),
                floor,
            )
            start = time.perf_counter()
            client.get("/reports/linkage.pdf").raise_for_status()
            print(
                f"  {'first PDF download (rendered)':<52} {(time.perf_counter() - start) * 1000:8.0f} ms"
            )
            line("later PDF downloads (kept)", timed(client, "/reports/linkage.pdf", 20))
        with httpx.Client(base_url=base, timeout=300) as person:
            idle = timed(person, link, args.requests)
            line("GET answer page, idle", idle)
            stop = threading.Event()
            workers = [
                threading.Thread(
                    target=hr_load, args=(base, hr, database, stop, i < 4), daemon=True
                )
                for i in range(8)
            ]
            for w in workers:
                w.start()
            busy: list[float] = []
            deadline = time.monotonic() + args.seconds
            while time.monotonic() < deadline:
                busy += timed(person, link, 10)
            stop.set()
            line("GET answer page, 4 PDFs + 4 recomputing", busy)
            print(f"  answer page p95 under load / idle: {p95(busy) / p95(idle):5.1f}× (aim ≤ 2×)")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
