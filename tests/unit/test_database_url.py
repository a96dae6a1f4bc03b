"""Database URLs as the CLI and ENGAGE_DATABASE_URL accept them."""

from __future__ import annotations

import pytest

from engage.db.engine import DatabaseURLError, parse_database_url


def test_bare_path_is_sqlite() -> None:
    target = parse_database_url("data/engage.sqlite3")
    assert (target.kind, target.sqlite_path) == ("sqlite", "data/engage.sqlite3")


@pytest.mark.parametrize(
    ("url", "path"),
    [("sqlite:///rel.db", "rel.db"), ("sqlite:////abs/x.db", "/abs/x.db")],
)
def test_sqlite_urls(url: str, path: str) -> None:
    assert parse_database_url(url).sqlite_path == path


def test_postgres_url_with_password_and_escapes() -> None:
    target = parse_database_url("postgresql://app:p%40ss@db.example:6543/engage")
    assert target.kind == "postgres"
    assert target.postgres_config == {
        "host": "db.example",
        "port": 6543,
        "user": "app",
        "database": "engage",
        "password": "p@ss",
    }
    assert "p@ss" not in target.describe()


def test_postgres_defaults() -> None:
    cfg = parse_database_url("postgres://localhost").postgres_config
    assert cfg == {"host": "localhost", "port": 5432, "user": "postgres", "database": "postgres"}


@pytest.mark.parametrize("url", ["", "  ", "mysql://x/y", "sqlite://"])
def test_bad_urls_say_what_is_wrong(url: str) -> None:
    with pytest.raises(DatabaseURLError) as info:
        parse_database_url(url)
    assert str(info.value)
