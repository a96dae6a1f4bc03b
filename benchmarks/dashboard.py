"""Dashboard and training-page speed on the demo organisation: p50/p95 beside hello-world.

Seeds the demo into a scratch SQLite file (or reuses --database), starts ``engage serve``,
logs in as the demo manager and HR lead, and times sequential requests to ``/dashboard``
(their own default view, and HR's level view), the training pages (follow-through per unit
and a unit's page with its suggestions) and ``/livez`` on the same server.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from engage import clock
from engage.demo import DEMO_PASSWORD
from engage.demo_data import demo_logins


def login(client: httpx.Client, email: str) -> None:
    client.get("/login")
    token = client.cookies["engage_csrf"]
    response = client.post(
        "/login",
        data={"email": email, "password": DEMO_PASSWORD, "next": "/", "_csrf_token": token},
    )
    response.raise_for_status()


def timed(client: httpx.Client, path: str, count: int) -> list[float]:
    client.get(path).raise_for_status()  # warm
    out = []
    for _ in range(count):
        start = time.perf_counter()
        client.get(path).raise_for_status()
        out.append((time.perf_counter() - start) * 1000)
    return out


def summary(label: str, ms: list[float]) -> None:
    ms = sorted(ms)
    p95 = ms[int(0.95 * (len(ms) - 1))]
    print(f"  {label:<34} p50 {statistics.median(ms):7.1f} ms   p95 {p95:7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--database", default=None)
    parser.add_argument("--port", type=int, default=8731)
    args = parser.parse_args()
    database = args.database or str(Path(tempfile.mkdtemp()) / "demo.sqlite3")
    env = {**os.environ, "ENGAGE_DATABASE_URL": database}
    subprocess.run(
        [sys.executable, "-m", "engage", "demo", "--no-serve"],
        env=env,
        check=True,
        capture_output=True,
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "engage", "serve", "--port", str(args.port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(100):
            try:
                httpx.get(f"{base}/livez")
                break
            except httpx.TransportError:
                time.sleep(0.2)
        logins = {x.role: x.email for x in demo_logins(clock.today())}
        print(f"demo organisation, {args.requests} sequential requests each (SQLite, 1 worker)")
        with httpx.Client(base_url=base, follow_redirects=True) as client:
            summary("GET /livez (hello-world)", timed(client, "/livez", args.requests))
        with httpx.Client(base_url=base, follow_redirects=True) as manager:
            login(manager, logins["manager"])
            summary("GET /dashboard as a manager", timed(manager, "/dashboard", args.requests))
            summary("GET /training as a manager", timed(manager, "/training", args.requests))
            summary(
                "GET /training/units/L-YORKVILLE",
                timed(manager, "/training/units/L-YORKVILLE", args.requests),
            )
        with httpx.Client(base_url=base, follow_redirects=True) as hr:
            login(hr, logins["hr"])
            summary("GET /dashboard as HR", timed(hr, "/dashboard", args.requests))
            summary("GET /dashboard?level=2 as HR", timed(hr, "/dashboard?level=2", args.requests))
            summary("GET /training as HR", timed(hr, "/training", args.requests))
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
