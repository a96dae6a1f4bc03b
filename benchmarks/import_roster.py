"""Roster import speed: engage's all-or-nothing import against a bare driver bulk insert.

Prints, per engine, the end-to-end import of N new people, a re-import of the same file
(nothing changes), and the floor: the same rows inserted with the driver in one
transaction, with no validation.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import tempfile
import time
import uuid
from pathlib import Path

os.environ.setdefault("ENGAGE_SECRET_KEY", "benchmark-secret-0123456789abcdef0123456789")

import asyncpg

from engage.db.engine import configure, parse_database_url
from engage.db.migrate import migrate
from engage.org.roster_import import import_roster
from engage.org.units_import import import_units

PG = os.environ.get("ENGAGE_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")


def make_files(rows: int) -> tuple[bytes, bytes, list[tuple[object, ...]]]:
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
    roster = ["employee_id,email,name,unit_id,role,language,hired_on,left_on"]
    raw: list[tuple[object, ...]] = []
    for i in range(rows):
        email = f"person{i}@bench.example" if i % 3 else ""
        team = teams[i % len(teams)]
        left = "2025-06-30" if i % 7 == 0 else ""
        roster.append(f"E{i:06d},{email},Person {i},{team},employee,en,2022-01-15,{left}")
        raw.append((f"E{i:06d}", email or None, f"Person {i}", i % len(teams) + 1))
    return ("\n".join(units) + "\n").encode(), ("\n".join(roster) + "\n").encode(), raw


async def engage_import(url: str, units: bytes, roster: bytes) -> tuple[float, float]:
    configure(url)
    await migrate()
    await import_units(units)
    start = time.perf_counter()
    await import_roster(roster)
    first = time.perf_counter() - start
    start = time.perf_counter()
    await import_roster(roster)
    return first, time.perf_counter() - start


def sqlite_floor(raw: list[tuple[object, ...]]) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        conn = sqlite3.connect(Path(tmp) / "floor.sqlite3")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(
            "CREATE TABLE person (id INTEGER PRIMARY KEY, employee_id TEXT UNIQUE,"
            " email TEXT UNIQUE, name TEXT, unit INTEGER)"
        )
        start = time.perf_counter()
        with conn:
            conn.executemany(
                "INSERT INTO person (employee_id, email, name, unit) VALUES (?,?,?,?)", raw
            )
        elapsed = time.perf_counter() - start
        conn.close()
    return elapsed


async def pg_floor(url: str, raw: list[tuple[object, ...]]) -> float:
    cfg = parse_database_url(url).postgres_config or {}
    conn = await asyncpg.connect(**cfg)
    try:
        await conn.execute(
            "CREATE TEMP TABLE person (id serial PRIMARY KEY, employee_id text UNIQUE,"
            " email text UNIQUE, name text, unit integer)"
        )
        start = time.perf_counter()
        async with conn.transaction():
            await conn.executemany(
                "INSERT INTO person (employee_id, email, name, unit) VALUES ($1,$2,$3,$4)", raw
            )
        return time.perf_counter() - start
    finally:
        await conn.close()


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


def report(engine: str, rows: int, first: float, again: float, floor: float) -> None:
    print(
        f"{engine:9} {rows:>7} rows  import {first:6.2f}s  re-import {again:6.2f}s  "
        f"driver floor {floor:6.3f}s  import/floor {first / floor:5.1f}x  "
        f"({rows / first:,.0f} rows/s)"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    units, roster, raw = make_files(args.rows)
    if args.engine in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            first, again = await engage_import(str(Path(tmp) / "bench.sqlite3"), units, roster)
        report("sqlite", args.rows, first, again, sqlite_floor(raw))
    if args.engine in ("postgres", "both"):
        url = await scratch_pg()
        try:
            first, again = await engage_import(url, units, roster)
            floor = await pg_floor(url, raw)
        finally:
            await drop_pg(url)
        report("postgres", args.rows, first, again, floor)


if __name__ == "__main__":
    asyncio.run(main())
