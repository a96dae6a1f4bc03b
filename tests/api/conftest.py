"""An app and a small org per test module, on each engine."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from engage.app import create_app
from engage.db.store import DatabaseStore
from engage.reporting.report_store import refresh_linkage, settle
from tests.factories import Org, build_small_org


@pytest.fixture(scope="module")
async def org(db: str) -> Org:
    """The small org of tests/factories.py in this module's database."""
    return await build_small_org()


@pytest.fixture(scope="module")
def app(db: str) -> Litestar:
    """The application on this module's database."""
    return create_app()


@pytest.fixture
async def client(app: Litestar, org: Org) -> AsyncIterator[AsyncTestClient[Any]]:
    """A fresh browser-like client (no cookies, login attempts not yet counted) per test."""
    await DatabaseStore("rate_limit").delete_all()
    await DatabaseStore("login_failures").delete_all()
    await DatabaseStore("kiosk_wrong").delete_all()
    async with AsyncTestClient(app=app) as c:
        yield c
    await settle()  # a report computation a page started ends within the test's loop


@pytest.fixture(scope="module")
async def stored_report(org: Org) -> None:
    """The linkage report computed and stored, as the background jobs would have."""
    await refresh_linkage()
