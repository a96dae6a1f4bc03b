"""The ``engage`` command line: demo, serve, migrate, import, user."""

from __future__ import annotations

import asyncio
import functools
import os
import sqlite3
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from engage.settings import MAX_RETURN_WINDOW_DAYS
from reports.stats.estimate import DEFAULT_SEED

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")
console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def _set_database(ctx: click.Context, _: click.Parameter, value: str | None) -> str | None:
    if value:
        os.environ["ENGAGE_DATABASE_URL"] = value
        from engage.settings import get_settings

        get_settings.cache_clear()
    return value


def database_option(func: F) -> F:
    """``--database URL`` on every command (overrides ``ENGAGE_DATABASE_URL``)."""
    return click.option(
        "--database",
        "-d",
        metavar="URL",
        help="postgres://…, sqlite:///PATH or a file path (default ./engage.sqlite3, "
        "or ENGAGE_DATABASE_URL).",
        callback=_set_database,
        expose_value=False,
        is_eager=True,
    )(func)


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from synchronous CLI code."""
    return asyncio.run(coro)


async def _prepare() -> str:
    """Configure the engine, apply migrations; return the instance secret."""
    return (await _prepare_counting())[0]


async def _prepare_counting() -> tuple[str, int]:
    """Configure the engine and apply migrations; return the secret and how many applied."""
    from engage.db.engine import configure
    from engage.db.migrate import instance_secret, migrate
    from engage.settings import get_settings

    configure(get_settings().database_url)
    applied = await migrate()
    return await instance_secret(), applied


def _fail(message: str) -> None:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    sys.exit(1)


def friendly_errors(func: F) -> F:
    """Turn expected failures into one clear line and exit status 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from engage.auth.accounts import AccountError
        from engage.auth.passwords import WeakPassword
        from engage.csvio import ImportRejected
        from engage.db.engine import DatabaseURLError
        from engage.db.migrate import MigrationFailed
        from engage.demo import NotADemoDatabase
        from engage.reporting.report_store import NotReady
        from engage.settings import SettingsError

        try:
            return func(*args, **kwargs)
        except ImportRejected as exc:
            err.print(exc.summary(limit=50), highlight=False, markup=False)
            sys.exit(1)
        except (
            AccountError,
            WeakPassword,
            DatabaseURLError,
            NotADemoDatabase,
            NotReady,
            SettingsError,
        ) as exc:
            _fail(str(exc))
        except (OSError, sqlite3.Error, asyncpg.PostgresError, MigrationFailed) as exc:
            _fail(f"database: {exc.__class__.__name__}: {exc}")

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="engage")
def main() -> None:
    """engage: anonymous staff pulse surveys linked to client satisfaction and retention."""


@main.command()
@database_option
@friendly_errors
def migrate() -> None:
    """Create or update the database schema."""
    from engage.db.engine import parse_database_url
    from engage.settings import get_settings

    _, applied = run(_prepare_counting())
    where = parse_database_url(get_settings().database_url).describe()
    if applied:
        console.print(f"Applied {applied} migration{'s' if applied > 1 else ''}: {where} is ready.")
    else:
        console.print(f"Nothing to do: {where} is already up to date.")


def _serve(host: str, port: int, workers: int) -> None:
    import uvicorn

    trusted_proxies = os.environ.get("ENGAGE_FORWARDED_ALLOW_IPS", "").strip()
    uvicorn.run(
        "engage.app:create_app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,  # access logs would hold client IP addresses
        server_header=False,
        # X-Forwarded-For is believed only from proxies named in ENGAGE_FORWARDED_ALLOW_IPS:
        # by default nobody's, or anything on the machine could pick its own address per
        # request and never meet the login rate limit.
        proxy_headers=bool(trusted_proxies),
        forwarded_allow_ips=trusted_proxies or None,
        log_level="info",
    )


def _share_secret(secret: str) -> None:
    # Every worker signs sessions and CSRF tokens with the same secret, kept in the database.
    os.environ.setdefault("ENGAGE_SECRET_KEY", secret)
    from engage.settings import get_settings

    get_settings.cache_clear()


@main.command()
@database_option
@click.option(
    "--host", default=None, help="Interface to listen on (default 127.0.0.1, ENGAGE_HOST)."
)
@click.option("--port", type=int, default=None, help="Port (default 8000, ENGAGE_PORT).")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Worker processes (use PostgreSQL for more than one).",
)
@friendly_errors
def serve(host: str | None, port: int | None, workers: int) -> None:
    """Serve the web application (applies migrations first)."""
    from engage.db.engine import parse_database_url
    from engage.settings import get_settings

    settings = get_settings()
    _refuse_broken_mail(settings)
    target = parse_database_url(settings.database_url)
    if workers > 1 and target.kind == "sqlite":
        err.print(
            "[yellow]note:[/] several workers on SQLite work, "
            "but PostgreSQL is the production choice."
        )
    _share_secret(run(_prepare()))
    console.print(
        f"Serving engage on http://{host or settings.host}:{port or settings.port}/ "
        f"({target.describe()}, {workers} worker{'s' if workers > 1 else ''})"
    )
    _serve(host or settings.host, port or settings.port, workers)


def _refuse_broken_mail(settings: Any) -> None:
    """Stop before anything runs when email is configured so that it would mail nobody
    (serve, demo and jobs all open waves)."""
    from engage.settings import mail_problem

    problem = mail_problem(settings)
    if problem:
        _fail(problem)


def _progress() -> tuple[Progress, Callable[[str, int, int], None]]:
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    tasks: dict[str, Any] = {}

    def update(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total)
        bar.update(tasks[stage], completed=done, total=total)

    return bar, update


@main.command()
@database_option
@click.option("--host", default=None, help="Interface to listen on (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default 8000).")
@click.option("--no-serve", is_flag=True, help="Only seed the database, do not start the server.")
@friendly_errors
def demo(host: str | None, port: int | None, no_serve: bool) -> None:
    """Seed a realistic demo organisation (if the database is empty) and serve it."""
    from engage.demo import seed_demo
    from engage.settings import get_settings

    settings = get_settings()
    _refuse_broken_mail(settings)
    host = host or settings.host
    port = port or settings.port
    bar, update = _progress()

    async def go() -> Any:
        secret = await _prepare()
        with bar:
            seeded = await seed_demo(update)
        return secret, seeded

    secret, seeded = run(go())
    _share_secret(secret)
    url = f"http://{'localhost' if host in ('127.0.0.1', '0.0.0.0') else host}:{port}/"  # noqa: S104
    console.print(
        (
            "Seeded the demo organisation"
            if seeded.created
            else "The demo organisation is already seeded"
        )
        + f" in {settings.database_url}."
    )
    table = Table(title=f"Demo logins (password for all: {seeded.password})")
    table.add_column("role")
    table.add_column("email")
    table.add_column("who")
    for login in seeded.logins:
        table.add_row(login.role, login.email, login.description)
    console.print(table)
    if seeded.survey:
        console.print(
            f"Answer '{seeded.survey[0]}' as the demo employee (a one-time link, new at every "
            f"start): {url.rstrip('/')}{seeded.survey[1]}",
            highlight=False,
        )
    if no_serve:
        return
    console.print(f"Open [bold]{url}[/] and log in. Stop with Ctrl+C.")
    _serve(host, port, 1)


@main.command()
@database_option
@friendly_errors
def jobs() -> None:
    """Run what is due now (open and close waves, send invitations and reminders) and exit.

    Every `engage serve` worker does this each minute; use this from cron when no server
    runs, or to trigger it at once.
    """
    from engage.jobs import run_due_jobs
    from engage.settings import get_settings

    _refuse_broken_mail(get_settings())

    async def go() -> Any:
        await _prepare()
        return await run_due_jobs(get_settings())

    report = run(go())
    console.print(
        f"Opened {len(report.opened)} wave(s), closed {len(report.closed)}; "
        f"mailed {report.invitations_sent} invitation(s) and {report.reminders_sent} reminder(s)"
        + (f"; {report.mail_failures} to retry" if report.mail_failures else "")
        + "."
    )
    for note in report.notes:
        console.print(f"note: {note}")


@main.group(name="import")
def import_group() -> None:
    """Import CSV files (all or nothing: a bad row changes nothing)."""


def _import_file(kind: str, file: Path, window_days: int | None = None) -> None:
    """Import ``file`` as ``kind`` with a progress bar, then print the summary."""
    from engage.imports import run_import

    data = file.read_bytes()
    bar, update = _progress()

    async def go() -> Any:
        await _prepare()
        with bar:
            return await run_import(
                kind,
                data,
                f"cli:{os.environ.get('USER', 'unknown')}",
                update,
                window_days=window_days,
            )

    summary = run(go())
    console.print(summary.message(), highlight=False)


def _import_command(kind: str, help_text: str) -> None:
    @import_group.command(name=kind, help=help_text)
    @database_option
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @friendly_errors
    def command(file: Path) -> None:
        _import_file(kind, file)


_import_command("units", "Import units.csv: unit_id,name,parent_id.")
_import_command(
    "roster", "Import roster.csv: employee_id,email,name,unit_id,role,language,hired_on,left_on."
)
_import_command(
    "responses",
    "Import responses.csv (history from a previous tool): "
    "wave,unit_id,respondent,E01…E12,ENPS,comment.",
)
_import_command(
    "items",
    "Import items.csv: code,language,text (your wording of E01…E12/ENPS, or new items).",
)
_import_command(
    "outcomes",
    "Import outcomes.csv: unit_id,month,metric,value,n (month YYYY-MM; csat 1–5, nps "
    "−100…100, client_retention 0–1 with n = clients at risk, revenue ≥ 0, or metrics of "
    "your own).",
)
_import_command(
    "modules",
    "Import a training catalogue, modules.csv: code,language,title,summary,elements,outcomes,"
    "duration_minutes,format,url (one row per module and language; elements E01…E12 and "
    "outcomes separated by ';'; format link, document or in_person).",
)
_import_command(
    "completions",
    "Import training completions from another learning system, completions.csv: "
    "employee_id,module,completed_on (YYYY-MM-DD).",
)


@import_group.command(name="visits")
@database_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--window-days",
    type=click.IntRange(1, MAX_RETURN_WINDOW_DAYS),
    default=None,
    metavar="N",
    help="Days after a first visit within which a return counts "
    "(default: ENGAGE_RETURN_WINDOW_DAYS, 90).",
)
@friendly_errors
def import_visits_command(file: Path, window_days: int | None) -> None:
    """Import visits.csv: client_id,unit_id,visited_on (+ service,amount, ignored).

    Stores client retention per unit and month (the share of a month's first-time clients
    who come back within the window), never the visits or client ids.
    """
    _import_file("visits", file, window_days)


@main.group()
def user() -> None:
    """Manage logins."""


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    value: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


@user.command(name="create")
@database_option
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice(["admin", "hr", "manager", "employee"]),
    default="admin",
    show_default=True,
)
@click.option("--name", default="", help="Display name (default: the roster name, if any).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@friendly_errors
def user_create(email: str, role: str, name: str, password_stdin: bool) -> None:
    """Create a login (the first admin, or someone outside the roster)."""
    from engage import audit
    from engage.auth.accounts import create_user

    password = _read_password(password_stdin)

    async def go() -> None:
        await _prepare()
        await create_user(email, role, name, password)
        await audit.record(
            f"cli:{os.environ.get('USER', 'unknown')}", "user.create", f"{email} as {role}"
        )

    run(go())
    console.print(f"Created {email.strip().lower()} ({role}).")


@user.command(name="set-password")
@database_option
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@friendly_errors
def user_set_password(email: str, password_stdin: bool) -> None:
    """Set the password of an existing login."""
    from engage import audit
    from engage.auth.accounts import set_password

    password = _read_password(password_stdin)

    async def go() -> None:
        await _prepare()
        await set_password(email, password)
        await audit.record(f"cli:{os.environ.get('USER', 'unknown')}", "user.password", email)

    run(go())
    console.print(f"Password set for {email.strip().lower()}.")


@main.group()
def report() -> None:
    """Reports for HR: the linkage of engagement with client and staff outcomes."""


@report.command(name="linkage")
@database_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv", "html", "pdf", "dataset"]),
    default="json",
    show_default=True,
    help="json: the report object (DESIGN.md contract); csv: one row per outcome and method; "
    "html: one self-contained page with interactive charts; pdf: paginated, for printing "
    "(needs --out); dataset: the unit-level analysis data set as CSV, one row per analysis "
    "unit and month the models used (unit_code, unit_name, month, "
    "engagement, pct_favourable, enps, then each outcome and its n), only unit-months the "
    "reporting gate shows, never person-level rows.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to this file instead of standard output.",
)
@click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Date staff still employed are followed to (default today).",
)
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True, help="Bootstrap seed.")
@click.option(
    "--reps",
    type=click.IntRange(100, 100_000),
    default=2000,
    show_default=True,
    help="Bootstrap and permutation draws.",
)
@friendly_errors
def report_linkage(fmt: str, out: Path | None, as_of: Any, seed: int, reps: int) -> None:
    """How unit engagement goes with client satisfaction, client and staff retention.

    With --format dataset, the numbers the models were fitted on instead of their results
    (re-fit them and get the report's estimates); --seed and --reps do not apply.
    """
    from engage import clock
    from engage.reporting.documents import linkage_pdf, standalone_html
    from engage.reporting.linkage import (
        DEFAULT_REPS,
        AnalysisData,
        LinkageRun,
        analysis_data,
        dataset_csv,
        linkage_report,
        to_csv,
        to_json,
    )
    from engage.reporting.report_store import NotReady, current_linkage

    if fmt == "pdf" and out is None:
        _fail("a PDF needs a file: add --out report.pdf")

    async def report() -> tuple[LinkageRun | None, AnalysisData | None]:
        day = as_of.date() if as_of else None
        if (day in (None, clock.today())) and seed == DEFAULT_SEED and reps == DEFAULT_REPS:
            # the stored report, computed (and stored for the pages) first if out of date
            stored = await current_linkage()
            if stored.run is None or not stored.current:
                raise NotReady(stored)
            return stored.run, stored.data
        if fmt == "dataset":
            return None, await analysis_data(day)
        return await linkage_report(day, seed, reps), None

    async def go() -> str | bytes:
        await _prepare()
        result, data = await report()
        if fmt == "dataset":
            assert data is not None
            return dataset_csv(data)
        assert result is not None
        if fmt == "pdf":
            return await linkage_pdf(result)
        if fmt == "html":
            return standalone_html(result)
        return to_json(result.body) if fmt == "json" else to_csv(result.body)

    made = run(go())
    if out is None:
        sys.stdout.write(str(made))
        return
    if isinstance(made, bytes):
        out.write_bytes(made)
    else:
        out.write_text(made, encoding="utf-8")
    what = "analysis data set" if fmt == "dataset" else "linkage report"
    err.print(f"{what} written to {out}", highlight=False)


if __name__ == "__main__":
    main()
