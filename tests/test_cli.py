"""The command line, as an operator uses it (in-process, with click's runner)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from engage.cli import main
from engage.db.engine import configure
from engage.db.tables import Person, Unit, User
from tests.factories import SMALL_ROSTER, SMALL_UNITS, units_csv


@pytest.fixture
def dbfile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("ENGAGE_DATABASE_URL", str(tmp_path / "unused.sqlite3"))
    yield str(tmp_path / "cli.sqlite3")


def count(table: type[Unit] | type[Person] | type[User], url: str) -> int:
    configure(url)
    return asyncio.run(table.count().run())


def invoke(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), input=stdin)
    return result.exit_code, result.output


def test_migrate_creates_the_database(dbfile: str) -> None:
    code, out = invoke("migrate", "--database", dbfile)
    assert code == 0, out
    assert Path(dbfile).exists()
    assert "Applied" in out and "is ready" in out
    code, out = invoke("migrate", "--database", dbfile)
    assert code == 0 and "already up to date" in out


def test_import_units_and_roster(dbfile: str, tmp_path: Path) -> None:
    (tmp_path / "units.csv").write_bytes(SMALL_UNITS)
    (tmp_path / "roster.csv").write_bytes(SMALL_ROSTER)
    code, out = invoke("import", "units", str(tmp_path / "units.csv"), "--database", dbfile)
    assert code == 0, out
    assert "10 created" in out
    code, out = invoke("import", "roster", str(tmp_path / "roster.csv"), "-d", dbfile)
    assert code == 0, out
    assert count(Person, dbfile) == 11


def test_bad_import_exits_1_names_the_row_and_changes_nothing(dbfile: str, tmp_path: Path) -> None:
    (tmp_path / "units.csv").write_bytes(SMALL_UNITS)
    invoke("import", "units", str(tmp_path / "units.csv"), "-d", dbfile)
    bad = units_csv(("NEW", "New place", "ROOT"), ("X", "Broken", "NOWHERE"))
    (tmp_path / "bad.csv").write_bytes(bad)
    code, out = invoke("import", "units", str(tmp_path / "bad.csv"), "-d", dbfile)
    assert code == 1
    assert "row 3, column parent_id: unknown parent unit 'NOWHERE'" in out
    assert "nothing was imported" in out
    assert count(Unit, dbfile) == 10


def test_missing_file_is_a_clear_error(dbfile: str) -> None:
    code, out = invoke("import", "roster", "/no/such/roster.csv", "-d", dbfile)
    assert code == 2
    assert "does not exist" in out


def test_user_create_and_set_password(dbfile: str) -> None:
    code, out = invoke(
        "user",
        "create",
        "Boss@Example.com",
        "--role",
        "admin",
        "--password-stdin",
        "-d",
        dbfile,
        stdin="a-strong-password\n",
    )
    assert code == 0, out
    assert count(User, dbfile) == 1
    code, out = invoke(
        "user",
        "create",
        "boss@example.com",
        "--password-stdin",
        "-d",
        dbfile,
        stdin="a-strong-password\n",
    )
    assert code == 1 and "already exists" in out
    code, out = invoke(
        "user",
        "set-password",
        "boss@example.com",
        "--password-stdin",
        "-d",
        dbfile,
        stdin="short\n",
    )
    assert code == 1 and "at least 10 characters" in out
    code, out = invoke(
        "user",
        "set-password",
        "nobody@example.com",
        "--password-stdin",
        "-d",
        dbfile,
        stdin="another-strong-one\n",
    )
    assert code == 1 and "no user" in out


def test_manager_login_must_be_in_the_roster(dbfile: str) -> None:
    code, out = invoke(
        "user",
        "create",
        "m@example.com",
        "--role",
        "manager",
        "--password-stdin",
        "-d",
        dbfile,
        stdin="a-strong-password\n",
    )
    assert code == 1
    assert "roster" in out


def test_demo_seeds_once_and_refuses_other_orgs(dbfile: str, tmp_path: Path) -> None:
    code, out = invoke("demo", "--no-serve", "-d", dbfile)
    assert code == 0, out
    assert "Seeded the demo organisation" in out
    for role in ("admin", "hr", "manager", "employee"):
        assert role in out
    staff = count(Person, dbfile)
    assert staff > 300
    code, out = invoke("demo", "--no-serve", "-d", dbfile)
    assert code == 0 and "already seeded" in out
    assert count(Person, dbfile) == staff

    other = str(tmp_path / "other.sqlite3")
    (tmp_path / "units.csv").write_bytes(SMALL_UNITS)
    invoke("import", "units", str(tmp_path / "units.csv"), "-d", other)
    code, out = invoke("demo", "--no-serve", "-d", other)
    assert code == 1 and "not the demo" in out


def test_unsupported_database_url(dbfile: str) -> None:
    code, out = invoke("migrate", "--database", "mysql://x/y")
    assert code == 1 and "unsupported database URL" in out
