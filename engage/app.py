"""The application factory: the one list of routes, middleware, stores and plugins."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
from litestar import Litestar
from litestar.config.compression import CompressionConfig
from litestar.datastructures import State
from litestar.exceptions import HTTPException
from litestar.logging import LoggingConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from piccolo.engine.postgres import PostgresEngine

from engage import __version__
from engage.csvio import ImportRejected
from engage.db.engine import configure, current_engine
from engage.db.sqlite_pool import PooledSQLiteEngine
from engage.db.sqlite_writer import close_writers
from engage.db.store import DatabaseStore
from engage.jobs import run_forever
from engage.reporting.report_store import settle
from engage.settings import Settings, get_settings, project_root
from engage.web import errors
from engage.web.controllers.account import AccountController
from engage.web.controllers.admin import AdminController, AuditController
from engage.web.controllers.answer import AnswerController, KioskController
from engage.web.controllers.api import MeController, PeopleController, UnitsController
from engage.web.controllers.auth import AuthController
from engage.web.controllers.dashboard import DashboardController
from engage.web.controllers.imports import ImportPagesController, ImportsApiController
from engage.web.controllers.items import ItemsController
from engage.web.controllers.org import OrgPagesController
from engage.web.controllers.pages import HomeController
from engage.web.controllers.reports import ReportPagesController
from engage.web.controllers.reports_api import ReportsApiController
from engage.web.controllers.training import MyTrainingController, TrainingController
from engage.web.controllers.training_api import MyTrainingApiController, TrainingApiController
from engage.web.controllers.waves import WavesController
from engage.web.controllers.waves_api import WavesApiController
from engage.web.hygiene import hygiene_middleware
from engage.web.lanes import NO_COMPRESSION
from engage.web.openapi_refusals import declare_refusals
from engage.web.security import (
    csrf_config,
    csrf_of_this_session,
    login_rate_limit,
    purge_expired_sessions,
    session_auth,
)

TEMPLATES = Path(__file__).parent / "web" / "templates"
SWAGGER = "/static/vendor/swagger-ui"


@asynccontextmanager
async def _housekeeping(app: Litestar) -> AsyncIterator[None]:
    """Purge expired sessions and rate-limit counters and run the jobs in the background
    while serving."""
    tasks = [
        asyncio.create_task(purge_expired_sessions()),
        asyncio.create_task(run_forever(get_settings())),
    ]
    try:
        yield
    finally:
        await settle()  # a report computation a page started is finished and stored
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


@asynccontextmanager
async def _database_pool(app: Litestar) -> AsyncIterator[None]:
    engine = current_engine()
    pool_size = int(os.environ.get("ENGAGE_DB_POOL", "10"))
    # ENGAGE_DB_POOL=0 opens a connection per query (both engines).
    pooled = engine if isinstance(engine, PostgresEngine | PooledSQLiteEngine) else None
    if pool_size <= 0:
        pooled = None
    if pooled is not None:
        await pooled.start_connection_pool(max_size=pool_size)
    try:
        yield
    finally:
        if pooled is not None:
            await pooled.close_connection_pool()
        if not isinstance(engine, PostgresEngine):
            await close_writers()


def plotly_assets() -> Path:
    """plotly.js as shipped in the plotly package (served locally, never from a CDN)."""
    import plotly

    return Path(plotly.__file__).parent / "package_data"


def create_app(settings: Settings | None = None, secret_key: str | None = None) -> Litestar:
    """Build the ASGI app; the database engine must already be configured."""
    settings = settings or get_settings()
    secret = secret_key or settings.secret_key
    if not secret:
        raise RuntimeError(
            "no secret key: start the server with `engage serve` (which shares one through the "
            "database) or set ENGAGE_SECRET_KEY"
        )
    auth = session_auth(settings)
    openapi = OpenAPIConfig(
        title="engage API",
        version=__version__,
        description=(
            "Org, roster, waves, imports, training and the linkage report. Log in through "
            "/login first: calls use the session cookie, and changing calls need the "
            "`x-csrftoken` header (value of the `engage_csrf` cookie). 400: malformed or "
            "against the schema; 404: missing or outside your area; 409: a rule refuses it "
            "as things stand; 422: an import's rows; 503: the report is not stored yet."
        ),
        path="/schema",
        render_plugins=[
            SwaggerRenderPlugin(
                js_url=f"{SWAGGER}/swagger-ui-bundle.js",
                css_url=f"{SWAGGER}/swagger-ui.css",
                standalone_preset_js_url=f"{SWAGGER}/swagger-ui-standalone-preset.js",
                favicon="<link rel='icon' href='/static/img/favicon.svg'>",
            )
        ],
        components=Components(
            security_schemes={
                "session": SecurityScheme(
                    type="apiKey", name="engage_session", security_scheme_in="cookie"
                )
            }
        ),
        security=[{"session": []}],
    )
    app = Litestar(
        before_request=csrf_of_this_session,
        route_handlers=[
            AuthController,
            AnswerController,
            KioskController,
            HomeController,
            OrgPagesController,
            WavesController,
            ItemsController,
            WavesApiController,
            ImportPagesController,
            ImportsApiController,
            ReportsApiController,
            ReportPagesController,
            DashboardController,
            TrainingController,
            MyTrainingController,
            TrainingApiController,
            MyTrainingApiController,
            AdminController,
            AuditController,
            AccountController,
            MeController,
            UnitsController,
            PeopleController,
            create_static_files_router(
                path="/static/plotly",
                directories=[plotly_assets()],
                opt={"public": True},
                include_in_schema=False,
                name="plotly",
            ),
            create_static_files_router(
                path="/static",
                directories=[project_root() / "static"],
                opt={"public": True},
                include_in_schema=False,
            ),
        ],
        on_app_init=[auth.on_app_init],
        middleware=[hygiene_middleware, login_rate_limit(settings).middleware],
        csrf_config=csrf_config(secret, settings),
        stores={"sessions": DatabaseStore("sessions"), "rate_limit": DatabaseStore("rate_limit")},
        template_config=TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine),
        openapi_config=openapi,
        exception_handlers={
            HTTPException: errors.http_error,
            ImportRejected: errors.import_rejected,
            OverflowError: errors.value_refused,
            asyncpg.exceptions.DataError: errors.value_refused,
            Exception: errors.server_error,
        },
        # PDFs are compressed already: gzipping megabytes again per download only costs
        # the event loop time that the people answering would wait for
        compression_config=CompressionConfig(
            backend="gzip", minimum_size=1024, exclude_opt_key=NO_COMPRESSION
        ),
        request_max_body_size=settings.max_upload_mb * 1024 * 1024,
        lifespan=[_database_pool, _housekeeping],
        state=State({"rate_limit_salt": hashlib.sha256(b"rate-limit:" + secret.encode()).digest()}),
        logging_config=LoggingConfig(log_exceptions="always" if settings.debug else "debug"),
        debug=settings.debug,
    )
    declare_refusals(app)
    return app


def create_app_from_env() -> Litestar:
    """Uvicorn factory for worker processes: configure the database from the environment."""
    settings = get_settings()
    configure(settings.database_url)
    return create_app(settings)
