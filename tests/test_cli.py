"""The command line, as an operator uses it (in-process, with click's runner)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from engage.cli import main
from engage.db.engine import configure
from engage.db.tables import ClientMetric, Person, Unit, User
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


def retention(url: str) -> dict[tuple[str, str], tuple[float, int | None, str]]:
    configure(url)
    rows = asyncio.run(
        ClientMetric.select(
            ClientMetric.unit.code,
            ClientMetric.month,
            ClientMetric.value,
            ClientMetric.n,
            ClientMetric.source,
        )
        .where(ClientMetric.metric == "client_retention")
        .run()
    )
    return {
        (r["unit.code"], f"{r['month']:%Y-%m}"): (r["value"], r["n"], r["source"]) for r in rows
    }


def test_import_outcomes_and_visits_with_a_window(dbfile: str, tmp_path: Path) -> None:
    (tmp_path / "units.csv").write_bytes(SMALL_UNITS)
    invoke("import", "units", str(tmp_path / "units.csv"), "-d", dbfile)
    outcomes = tmp_path / "outcomes.csv"
    outcomes.write_bytes(
        b"unit_id,month,metric,value,n\nT1,2024-01,csat,4.5,\nT2,2024-01,client_retention,0.7,30\n"
    )
    code, out = invoke("import", "outcomes", str(outcomes), "-d", dbfile)
    assert code == 0, out
    assert "outcomes: 2 rows read — 2 created" in out
    visits = tmp_path / "visits.csv"
    visits.write_bytes(
        b"client_id,unit_id,visited_on\n"
        b"k1,T1,2024-01-05\nk1,T1,2024-02-24\nk2,T1,2024-01-10\nk3,T2,2024-06-30\n"
    )
    code, out = invoke("import", "visits", str(visits), "-d", dbfile)
    assert code == 0, out
    assert "visits: 4 rows read — 1 created" in out and "within 90 days" in out
    stored = retention(dbfile)
    assert stored[("T1", "2024-01")] == (0.5, 2, "visits")  # k1 back after 50 days
    assert stored[("T2", "2024-01")] == (0.7, 30, "outcomes")  # not in the visits file
    code, out = invoke("import", "visits", str(visits), "--window-days", "30", "-d", dbfile)
    assert code == 0, out
    assert "1 updated" in out and "within 30 days" in out
    assert retention(dbfile)[("T1", "2024-01")] == (0.0, 2, "visits")
    code, out = invoke("import", "visits", str(visits), "--window-days", "0", "-d", dbfile)
    assert code == 2 and "--window-days" in out
    code, out = invoke("import", "outcomes", str(visits), "--window-days", "30", "-d", dbfile)
    assert code == 2 and "No such option" in out
    bad = tmp_path / "bad_visits.csv"
    bad.write_bytes(b"client_id,unit_id,visited_on\nk1,T1,2024-01-05\n,T9,2024-02-31\n")
    code, out = invoke("import", "visits", str(bad), "-d", dbfile)
    assert code == 1
    assert "row 3, column client_id: is empty" in out
    assert "row 3, column unit_id: unknown unit 'T9'" in out
    assert "row 3, column visited_on: '2024-02-31' is not a date YYYY-MM-DD" in out
    assert retention(dbfile)[("T1", "2024-01")] == (0.0, 2, "visits")


def test_a_bad_return_window_setting_is_a_clear_error(
    dbfile: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engage.settings import get_settings

    (tmp_path / "visits.csv").write_bytes(b"client_id,unit_id,visited_on\nk1,T1,2024-01-05\n")
    monkeypatch.setenv("ENGAGE_RETURN_WINDOW_DAYS", "1000")
    get_settings.cache_clear()
    try:
        code, out = invoke("import", "visits", str(tmp_path / "visits.csv"), "-d", dbfile)
    finally:
        monkeypatch.delenv("ENGAGE_RETURN_WINDOW_DAYS")
        get_settings.cache_clear()
    assert code == 1
    assert "ENGAGE_RETURN_WINDOW_DAYS must be a whole number of days from 1 to 730" in out


@pytest.mark.parametrize("command", [("serve",), ("demo", "--no-serve"), ("jobs",)])
def test_commands_that_open_waves_refuse_email_without_the_public_address(
    dbfile: str, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    from engage.settings import get_settings

    monkeypatch.setenv("ENGAGE_SMTP_HOST", "smtp.example.com")
    monkeypatch.delenv("ENGAGE_PUBLIC_URL", raising=False)
    get_settings.cache_clear()
    try:
        code, out = invoke(*command, "-d", dbfile)
    finally:
        monkeypatch.delenv("ENGAGE_SMTP_HOST")
        get_settings.cache_clear()
    assert code == 1  # before serving anything: a wave would open and mail nobody
    assert "ENGAGE_SMTP_HOST is set but ENGAGE_PUBLIC_URL is not" in " ".join(out.split())


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


@pytest.mark.parametrize(
    ("configured", "proxy_headers", "allowed"),
    [(None, False, None), ("10.0.0.5", True, "10.0.0.5"), ("  ", False, None)],
)
def test_forwarded_headers_are_trusted_only_from_configured_proxies(
    monkeypatch: pytest.MonkeyPatch,
    configured: str | None,
    proxy_headers: bool,
    allowed: str | None,
) -> None:
    import uvicorn

    from engage.cli import _serve

    seen: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: seen.update(kw))
    if configured is None:
        monkeypatch.delenv("ENGAGE_FORWARDED_ALLOW_IPS", raising=False)
    else:
        monkeypatch.setenv("ENGAGE_FORWARDED_ALLOW_IPS", configured)
    _serve("127.0.0.1", 8000, 1)
    assert seen["proxy_headers"] is proxy_headers and seen["forwarded_allow_ips"] == allowed
