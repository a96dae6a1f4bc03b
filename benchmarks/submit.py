"""Survey submissions per second through the real HTTP server, beside hello-world.

One run per engine: seed N people, open a wave, issue N links, start ``engage serve``,
then drive GET /livez (no database: the floor) and POST /s/<token> (a full submission:
ballot lookup, validation, spend + store in one transaction) with wrk (Debian package
``wrk``) and the same number of concurrent connections. Prints throughput, p50/p99
latency and the ratio, and how many responses were stored.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import asyncpg
import httpx

from engage import clock
from engage.db.engine import configure, parse_database_url
from engage.db.migrate import migrate
from engage.db.tables import Response
from engage.org.roster_import import import_roster
from engage.org.units_import import import_units
from engage.survey.delivery import issue
from engage.survey.waves import WaveSpec, create_wave, open_wave

PG = os.environ.get("ENGAGE_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
ANSWERS = {f"E{i:02d}": str((i % 5) + 1) for i in range(1, 13)} | {"ENPS": "8", "lang": "en"}


async def seed(url: str, people: int) -> list[str]:
    configure(url)
    await migrate()
    units = ["unit_id,name,parent_id", "ORG,Org,"] + [f"T{i},Team {i},ORG" for i in range(50)]
    await import_units(("\n".join(units) + "\n").encode())
    roster = ["employee_id,name,unit_id,hired_on"] + [
        f"E{i:06d},Person {i},T{i % 50},2022-01-01" for i in range(people)
    ]
    await import_roster(("\n".join(roster) + "\n").encode())
    today = clock.today()
    wave = await create_wave(WaveSpec("Bench", ("ORG",), today, today + timedelta(days=7)), "bench")
    await open_wave(wave, "bench")
    return [i.secret for i in await issue(wave, "token")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(url: str, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "ENGAGE_DATABASE_URL": url, "ENGAGE_LOGIN_ATTEMPTS_PER_MINUTE": "100000"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "engage.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(os.environ.get("ENGAGE_BENCH_SERVER_LOG", os.devnull), "w"),  # noqa: SIM115
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/livez", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start")


WRK_SCRIPT = """
local tokens = {%(tokens)s}
local csrf = "%(csrf)s"
local body_tail = "%(body)s"
local counter = 0
local threads = %(threads)d
local next_index = 0
function setup(thread)
  thread:set("thread_index", next_index)
  next_index = next_index + 1
end
function init(args)
  counter = thread_index
end
local statuses = {}
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status ~= 200 and not shown then
    shown = true
    io.stderr:write("first refusal: " .. status .. " " .. string.sub(body, string.find(body, "<main") or 1, (string.find(body, "<main") or 1) + 400) .. "\\n")
  end
end
function request()
  local token = tokens[(counter %% #tokens) + 1]
  counter = counter + threads
  return wrk.format("POST", "/s/" .. token, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "engage_csrf=" .. csrf,
  }, body_tail .. "&_csrf_token=" .. csrf)
end
"""


def wrk(
    base: str, path: str, seconds: int, clients: int, script: str | None = None
) -> dict[str, float]:
    """Run wrk; return requests/s, p50 and p99 in ms, and non-2xx responses."""
    cmd = ["wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "--latency"]
    if script:
        cmd += ["-s", script]
    done = subprocess.run([*cmd, base + path], capture_output=True, text=True, check=True)
    out = done.stdout
    if done.stderr.strip():
        print(done.stderr.strip()[:400], file=sys.stderr)

    def ms(label: str) -> float:
        for line in out.splitlines():
            parts = line.split()
            if parts and parts[0] == label:
                value = parts[1]
                scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
                unit = "".join(c for c in value if c.isalpha())
                return float(value[: -len(unit)]) * scale[unit]
        return float("nan")

    rps = next(
        float(line.split()[1]) for line in out.splitlines() if line.startswith("Requests/sec")
    )
    bad = sum(
        int(line.split(":")[1]) for line in out.splitlines() if "Non-2xx or 3xx responses" in line
    )
    return {"rps": rps, "p50": ms("50%"), "p99": ms("99%"), "bad": bad}


async def bench(engine: str, url: str, n: int, clients: int, workers: int, seconds: int) -> None:
    tokens = await seed(url, n)
    proc, base = start_server(url, workers)
    try:
        csrf = httpx.get(f"{base}/kiosk").cookies.get("engage_csrf") or ""
        body = "&".join(f"{k}={v}" for k, v in ANSWERS.items())
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
            f.write(
                WRK_SCRIPT
                % {
                    "tokens": ",".join(f'"{t}"' for t in tokens),
                    "csrf": csrf,
                    "body": body,
                    "threads": 2,  # wrk -t2: each thread takes every other token
                }
            )
            script = f.name
        wrk(base, "/livez", 2, clients)  # warm up
        hello = wrk(base, "/livez", seconds, clients)
        submit = wrk(base, "/", seconds, clients, script)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        Path(script).unlink(missing_ok=True)
    stored = await Response.count().run()
    sent = round(submit["rps"] * seconds)
    print(
        f"{engine:9} workers={workers} clients={clients} | hello {hello['rps']:7.0f}/s "
        f"p99 {hello['p99']:6.1f} ms | submit {submit['rps']:6.0f}/s p50 {submit['p50']:6.1f} ms "
        f"p99 {submit['p99']:6.1f} ms | ratio {submit['rps'] / hello['rps']:5.1%} | "
        f"stored {stored} of ~{sent} sent, {int(submit['bad'])} refused"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--people", type=int, default=8000, help="tokens available (> rate × seconds)"
    )
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    if args.engine in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            await bench(
                "sqlite",
                str(Path(tmp) / "bench.sqlite3"),
                args.people,
                args.clients,
                args.workers,
                args.seconds,
            )
    if args.engine in ("postgres", "both"):
        cfg = parse_database_url(PG).postgres_config or {}
        name = f"engage_bench_{uuid.uuid4().hex[:8]}"
        conn = await asyncpg.connect(**cfg)
        await conn.execute(f'CREATE DATABASE "{name}"')
        await conn.close()
        try:
            await bench(
                "postgres",
                PG.rsplit("/", 1)[0] + "/" + name,
                args.people,
                args.clients,
                args.workers,
                args.seconds,
            )
        finally:
            conn = await asyncpg.connect(**cfg)
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.close()


if __name__ == "__main__":
    asyncio.run(main())
