"""Build small organisations in a few lines, through the real import paths."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from litestar.testing import AsyncTestClient

from engage.auth.accounts import set_password
from engage.org.roster_import import import_roster
from engage.org.units_import import import_units

PASSWORD = "correct-horse-battery"
ROSTER_HEADER = "employee_id,email,name,unit_id,role,language,hired_on,left_on"


def units_csv(*rows: tuple[str, str, str]) -> bytes:
    """``units.csv`` bytes from (unit_id, name, parent_id) triples."""
    lines = ["unit_id,name,parent_id", *(",".join(r) for r in rows)]
    return ("\n".join(lines) + "\n").encode()


def roster_csv(*rows: tuple[str, ...]) -> bytes:
    """``roster.csv`` bytes from 8-tuples in the contract's column order."""
    lines = [ROSTER_HEADER, *(",".join(r) for r in rows)]
    return ("\n".join(lines) + "\n").encode()


@dataclass
class Org:
    """A small organisation: logins by name and the unit codes."""

    logins: dict[str, str] = field(default_factory=dict)
    password: str = PASSWORD


#   ROOT ─ R1 ─ L1 ─ T1, T2
#        │    └ L2 ─ T3
#        └ R2 ─ L3 ─ T4
SMALL_UNITS = units_csv(
    ("ROOT", "Acme Clinics", ""),
    ("R1", "North", "ROOT"),
    ("R2", "South", "ROOT"),
    ("L1", "Riverside", "R1"),
    ("L2", "Hilltop", "R1"),
    ("L3", "Harbour", "R2"),
    ("T1", "Riverside front desk", "L1"),
    ("T2", "Riverside nurses", "L1"),
    ("T3", "Hilltop estheticians", "L2"),
    ("T4", "Harbour front desk", "L3"),
)
SMALL_ROSTER = roster_csv(
    ("A1", "admin@acme.test", "Ada Admin", "ROOT", "admin", "en", "2020-01-01", ""),
    ("H1", "hr@acme.test", "Hana HR", "ROOT", "hr", "en", "2020-01-01", ""),
    ("RM1", "north@acme.test", "Nina North", "R1", "manager", "en", "2020-01-01", ""),
    ("M1", "riverside@acme.test", "Rita Riverside", "L1", "manager", "ru", "2021-03-01", ""),
    ("M3", "harbour@acme.test", "Hugo Harbour", "L3", "manager", "zh", "2021-03-01", ""),
    ("E1", "e1@acme.test", "Eve One", "T1", "employee", "en", "2022-01-10", ""),
    ("E2", "", "Emil Two", "T1", "employee", "ru", "2022-02-10", ""),
    ("E3", "e3@acme.test", "Erin Three", "T2", "employee", "zh", "2023-01-10", ""),
    ("E4", "e4@acme.test", "Ezra Four", "T3", "employee", "en", "2023-01-10", ""),
    ("E5", "e5@acme.test", "Elio Five", "T4", "employee", "en", "2023-01-10", ""),
    ("E6", "gone@acme.test", "Gus Gone", "T4", "employee", "en", "2020-01-10", "2024-06-30"),
)


async def build_small_org() -> Org:
    """The org drawn above, with a password for every login."""
    await import_units(SMALL_UNITS)
    await import_roster(SMALL_ROSTER)
    org = Org()
    for key, email in {
        "admin": "admin@acme.test",
        "hr": "hr@acme.test",
        "regional": "north@acme.test",
        "riverside": "riverside@acme.test",
        "harbour": "harbour@acme.test",
        "employee": "e1@acme.test",
        "leaver": "gone@acme.test",
    }.items():
        await set_password(email, PASSWORD)
        org.logins[key] = email
    return org


async def csrf_token(client: AsyncTestClient[Any]) -> str:
    """Fetch a page so the CSRF cookie is set; return its value."""
    if "engage_csrf" not in client.cookies:
        await client.get("/login")
    return str(client.cookies["engage_csrf"])


def form_id(page: str) -> str:
    """The one-time form id a ballot page carries (engage.web.form_once)."""
    found = re.search(r'name="form_id" value="([^"]+)"', page)
    assert found is not None, "the page carries no form id"
    return found.group(1)


def without_form_id(page: str) -> str:
    """A ballot page with its one-time form id blanked, to compare two renderings."""
    return re.sub(r'name="form_id" value="[^"]+"', 'name="form_id" value=""', page)


async def login(client: AsyncTestClient[Any], email: str, password: str = PASSWORD) -> Any:
    """Log in through the form, as a browser would."""
    token = await csrf_token(client)
    return await client.post(
        "/login",
        data={"email": email, "password": password, "next": "/", "_csrf_token": token},
        follow_redirects=False,
    )


def run_cli(*args: str) -> str:
    """Run an ``engage`` command in-process; it must succeed. Returns what it printed."""
    from click.testing import CliRunner

    from engage.cli import main

    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, (result.output, repr(result.exception))
    return result.output


def import_csv_org(folder: Any, files: dict[str, list[str]]) -> str:
    """Write ``files`` (kind → CSV lines) into ``folder``, import them in contract order
    (units, roster, responses, outcomes) into a new SQLite file there; return its path."""
    db = str(folder / "org.sqlite3")
    for kind, lines in files.items():
        (folder / f"{kind}.csv").write_text("\n".join(lines) + "\n")
    for kind in ("units", "roster", "responses", "outcomes"):
        if kind in files:
            run_cli("import", kind, str(folder / f"{kind}.csv"), "--database", db)
    return db
