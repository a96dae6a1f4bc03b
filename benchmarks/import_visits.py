"""Visits import speed: ``engage import visits`` (the real CLI) on a file of N visits.

Generates ``units.csv`` (200 teams) and ``visits.csv`` (N visits of N/3 clients over two
years, ``service,amount`` included), imports the units, then times per engine: the CLI
import of the visits into a fresh database, and a re-import of the same file (nothing
changes). Floors measured in the same run: the CLI's start-up (``engage --version``) plus
pandas' C parser reading the same three columns with no checks and no derivation.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

os.environ.setdefault("ENGAGE_SECRET_KEY", "benchmark-secret-0123456789abcdef0123456789")

import asyncpg
import numpy as np
import pandas as pd

from engage.db.engine import parse_database_url

PG = os.environ.get("ENGAGE_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")


def make_files(folder: Path, rows: int, seed: int = 1) -> tuple[Path, Path]:
    units = ["unit_id,name,parent_id", "ORG,Org,"]
    teams = []
    for r in range(10):
        units.append(f"R{r},Region {r},ORG")
        for loc in range(4):
            units.append(f"L{r}-{loc},Location {r}-{loc},R{r}")
            for t in range(5):
                code = f"T{r}-{loc}-{t}"
                units.append(f"{code},Team {code},L{r}-{loc}")
                teams.append(code)
    rng = np.random.default_rng(seed)
    clients = max(rows // 3, 1)
    client = rng.integers(0, clients, rows)
    home = rng.integers(0, len(teams), clients)
    unit = np.where(rng.random(rows) < 0.9, home[client], rng.integers(0, len(teams), rows))
    first = date(2023, 1, 1).toordinal()
    day = first + rng.integers(0, 730, rows)
    day_text = {o: date.fromordinal(int(o)).isoformat() for o in np.unique(day)}
    lines = ["client_id,unit_id,visited_on,service,amount"]
    lines += [
        f"C{c:07d},{teams[u]},{day_text[d]},cut,45.00"
        for c, u, d in zip(client.tolist(), unit.tolist(), day.tolist(), strict=True)
    ]
    units_file, visits_file = folder / "units.csv", folder / "visits.csv"
    units_file.write_text("\n".join(units) + "\n", encoding="utf-8")
    visits_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return units_file, visits_file


def cli(*args: str) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "engage", *args], capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"engage {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return elapsed, done.stdout.strip()


def floor(visits: Path) -> float:
    startup, _ = cli("--version")
    start = time.perf_counter()
    pd.read_csv(visits, usecols=["client_id", "unit_id", "visited_on"], dtype=str)
    return startup + time.perf_counter() - start


async def scratch_pg() -> str:
    cfg = parse_database_url(PG).postgres_config or {}
    conn = await asyncpg.connect(**cfg)
    name = f"engage_bench_{uuid.uuid4().hex[:8]}"
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return PG.rsplit("/", 1)[0] + "/" + name


async def drop_pg(url: str) -> None:
    cfg = parse_database_url(PG).postgres_config or {}
    conn = await asyncpg.connect(**cfg)
    await conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    await conn.close()


def run_engine(engine: str, url: str, units: Path, visits: Path, rows: int, base: float) -> None:
    cli("import", "units", str(units), "-d", url)  # also applies the migrations
    first, out = cli("import", "visits", str(visits), "-d", url)
    again, out_again = cli("import", "visits", str(visits), "-d", url)
    print(
        f"{engine:9} {rows:>9,} visits  import {first:6.2f}s  re-import {again:6.2f}s  "
        f"floor {base:5.2f}s  import/floor {first / base:4.1f}x  ({rows / first:,.0f} visits/s)"
    )
    print(f"          {out.split('. ')[0]}")
    assert " 0 created, 0 updated" in out_again, out_again


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        units, visits = make_files(folder, args.rows)
        print(
            f"generated {visits.stat().st_size / 1e6:.0f} MB of visits "
            f"in {time.perf_counter() - start:.1f}s"
        )
        base = floor(visits)
        if args.engine in ("sqlite", "both"):
            run_engine("sqlite", str(folder / "bench.sqlite3"), units, visits, args.rows, base)
        if args.engine in ("postgres", "both"):
            url = asyncio.run(scratch_pg())
            try:
                run_engine("postgres", url, units, visits, args.rows, base)
            finally:
                asyncio.run(drop_pg(url))


if __name__ == "__main__":
    main()
