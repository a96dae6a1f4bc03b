"""A real server on a demo database and Debian's Chromium driven by Playwright.

Without /usr/bin/chromium these tests are skipped with a message saying so, unless
``ENGAGE_REQUIRE_BROWSER=1`` (set by CI), where they fail instead. Screenshots go to
``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

CHROMIUM = os.environ.get("ENGAGE_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        message = (
            f"Chromium not found at {CHROMIUM}: browser tests skipped (apt-get install chromium)"
        )
        if os.environ.get("ENGAGE_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def server_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The SQLite file the module's server uses."""
    return str(tmp_path_factory.mktemp("browser") / "demo.sqlite3")


@pytest.fixture(scope="module")
def server(server_database: str) -> Iterator[str]:
    """``engage demo`` on a fresh SQLite file, served by ``engage serve``; yields the base URL."""
    _require_chromium()
    database = server_database
    env = {**os.environ, "ENGAGE_DATABASE_URL": database}
    env.pop("ENGAGE_SECRET_KEY", None)  # let serve share the database's secret, as in production
    subprocess.run(
        [sys.executable, "-m", "engage.cli", "demo", "--no-serve"],
        env=env,
        check=True,
        capture_output=True,
    )
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "engage.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1) as response:  # noqa: S310
                if response.status == 200:
                    break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read().decode() if proc.stdout else ""
                proc.kill()
                raise RuntimeError(f"server did not start:\n{out}") from None
            time.sleep(0.2)
    yield base
    proc.terminate()
    proc.wait(timeout=10)
    if proc.stdout:
        proc.stdout.close()


@pytest.fixture(scope="module")
async def browser(server: str) -> AsyncIterator[Browser]:
    """One headless Chromium for the module."""
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        await b.close()


@pytest.fixture(scope="session")
def shots() -> Path:
    """Where screenshots are saved."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS
