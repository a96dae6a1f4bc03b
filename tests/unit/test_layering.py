"""Dependencies point one way: the statistics core and the survey domain stay pure."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {"litestar", "piccolo", "engage", "asyncpg", "aiosqlite", "jinja2", "uvicorn"}
PURE_PACKAGES = ["reports", "surveys"]


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", PURE_PACKAGES)
def test_pure_packages_import_no_web_or_database(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"{package}/ has no modules"
    offenders = {
        str(f.relative_to(ROOT)): sorted(imported_roots(f) & FORBIDDEN)
        for f in files
        if imported_roots(f) & FORBIDDEN
    }
    assert offenders == {}


def test_the_checker_sees_imports(tmp_path: Path) -> None:
    sample = tmp_path / "m.py"
    sample.write_text("import litestar.app\nfrom piccolo.table import Table\nfrom . import x\n")
    assert imported_roots(sample) == {"litestar", "piccolo"}


SYSTEM_CLOCK_READS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "localtime"),
    ("time", "gmtime"),
}
#: The one module that reads the system's date and time (engage.clock).
CLOCK = Path("engage/clock.py")


def system_clock_reads(path: Path) -> list[str]:
    """Calls such as ``datetime.now()`` or ``date.today()`` in one file, as ``line: call``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", None)
            if (name, node.func.attr) in SYSTEM_CLOCK_READS:
                found.append(f"{node.lineno}: {name}.{node.func.attr}()")
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", None) == "formatdate"
            and not node.args
        ):
            found.append(f"{node.lineno}: formatdate() of the system time")
    return found


@pytest.mark.parametrize("package", ["engage", "surveys", "reports", "tests"])
def test_only_the_clock_reads_the_system_date(package: str) -> None:
    """Business dates come from engage.clock, so tests and reproductions can pin the day."""
    offenders = {
        str(f.relative_to(ROOT)): system_clock_reads(f)
        for f in sorted((ROOT / package).rglob("*.py"))
        if f.relative_to(ROOT) != CLOCK and system_clock_reads(f)
    }
    assert offenders == {}


def test_the_clock_checker_sees_reads(tmp_path: Path) -> None:
    sample = tmp_path / "m.py"
    sample.write_text(
        "import datetime, time\nfrom datetime import date\n"
        "a = datetime.datetime.now()\nb = date.today()\nc = time.time()\nd = clock.today()\n"
    )
    assert system_clock_reads(sample) == [
        "3: datetime.now()",
        "4: date.today()",
        "5: time.time()",
    ]


def test_one_module_writes_responses_and_answers() -> None:
    """Rule 1 holds in one place: only engage/survey/response_store.py inserts those rows."""
    writers = {
        str(f.relative_to(ROOT))
        for f in sorted((ROOT / "engage").rglob("*.py"))
        if "piccolo_migrations" not in f.parts
        and any(
            marker in f.read_text(encoding="utf-8")
            for marker in (
                "INSERT INTO response",
                "INSERT INTO answer",
                "Response.insert",
                "Answer.insert",
            )
        )
    }
    assert writers == {"engage/survey/response_store.py"}


def test_one_module_reads_unit_paths() -> None:
    """A unit's materialised path is taken apart only by surveys/tree.py."""
    readers = {
        str(f.relative_to(ROOT))
        for package in ("engage", "reports", "surveys")
        for f in sorted((ROOT / package).rglob("*.py"))
        if 'split("/")' in f.read_text(encoding="utf-8")
    }
    assert readers == {"surveys/tree.py"}


def test_paths_are_read_root_first() -> None:
    from surveys.tree import parent_of, path_ids

    assert path_ids("/1/12/305/") == [1, 12, 305]
    assert parent_of("/1/12/305/") == 12
    assert parent_of("/1/") is None
    assert path_ids("") == []
