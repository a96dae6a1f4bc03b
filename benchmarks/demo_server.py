"""What the demo-based benchmarks share: seed the demo, serve it, log in, time requests."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from engage.demo import DEMO_PASSWORD


def seeded_demo(database: str | None) -> tuple[str, dict[str, str]]:
    """The demo seeded into ``database`` (a scratch file when None): its path and env."""
    path = database or str(Path(tempfile.mkdtemp()) / "demo.sqlite3")
    env = {**os.environ, "ENGAGE_DATABASE_URL": path}
    subprocess.run(
        [sys.executable, "-m", "engage", "demo", "--no-serve"],
        env=env,
        check=True,
        capture_output=True,
    )
    return path, env


@contextmanager
def served(env: dict[str, str], port: int) -> Iterator[str]:
    """``engage serve`` on ``port`` until the block ends; yields the base URL once live."""
    server = subprocess.Popen(
        [sys.executable, "-m", "engage", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                httpx.get(f"{base}/livez")
                break
            except httpx.TransportError:
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def login(client: httpx.Client, email: str) -> None:
    """Log in through the form, as a browser would."""
    client.get("/login")
    token = client.cookies["engage_csrf"]
    answer = client.post(
        "/login",
        data={"email": email, "password": DEMO_PASSWORD, "next": "/", "_csrf_token": token},
    )
    if answer.status_code not in (302, 303) or "engage_session" not in client.cookies:
        raise RuntimeError(f"login as {email} failed: {answer.status_code}")


def timed(client: httpx.Client, path: str, count: int) -> list[float]:
    """Milliseconds of ``count`` sequential GETs of ``path`` (after one to warm up)."""
    client.get(path).raise_for_status()
    out = []
    for _ in range(count):
        start = time.perf_counter()
        client.get(path).raise_for_status()
        out.append((time.perf_counter() - start) * 1000)
    return out


def p95(ms: list[float]) -> float:
    """The 95th percentile (nearest rank)."""
    ordered = sorted(ms)
    return ordered[int(0.95 * (len(ordered) - 1))]


def summary(label: str, ms: list[float], floor: float | None = None) -> None:
    """One line: p50 and p95, and the p95's ratio to a floor's when given."""
    ratio = f"   {p95(ms) / floor:5.1f}× floor p95" if floor else ""
    print(f"  {label:<52} p50 {statistics.median(ms):8.1f} ms   p95 {p95(ms):8.1f} ms{ratio}")
