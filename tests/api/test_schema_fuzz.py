"""schemathesis over the published OpenAPI schema, as anonymous, employee, manager and HR.

Every operation gets schema-valid and schema-invalid requests from the in-process app: no
server error, no status the schema does not declare, every response as the schema says,
schema-invalid requests refused and schema-valid ones not refused as malformed (the schema
is as strict as the validation). The one exception is named: an import's body is a CSV
file whose rows are checked against the CSV contract (422), which JSON Schema cannot say
(only that check, and only there).
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from litestar import Litestar
from litestar.testing import AsyncTestClient
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.factories import Org, login

pytestmark = pytest.mark.db

#: role → login (None: not logged in)
ROLES = {
    "anonymous": None,
    "employee": "e1@acme.test",
    "manager": "riverside@acme.test",
    "hr": "hr@acme.test",
}
EXAMPLES = 12
#: operation → checks that cannot apply to it, with the reason above
NOT_APPLICABLE = {
    "POST /api/imports/{kind}": [positive_data_acceptance],
    "POST /api/imports/visits": [positive_data_acceptance],
}


async def _cookies(app: Litestar, email: str | None) -> dict[str, str]:
    """A session's cookies (and its CSRF token) after logging in as ``email``."""
    async with AsyncTestClient(app=app) as c:
        if email:
            answer = await login(c, email)
            assert answer.status_code in (302, 303), answer.text
        await c.get("/login")
        return dict(c.cookies)


def _fuzz(
    operation: Any, mode: GenerationMode, headers: dict[str, str], cookies: dict[str, str]
) -> Any:
    """A derandomised hypothesis test sending ``operation`` requests of ``mode``."""
    excluded = NOT_APPLICABLE.get(operation.label, [])

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, cookies=cookies, excluded_checks=excluded)

    return run


@pytest.mark.parametrize("role", list(ROLES))
async def test_schema_holds_for_every_role(
    app: Litestar, org: Org, stored_report: None, role: str
) -> None:
    cookies = await _cookies(app, ROLES[role])
    headers = {"x-csrftoken": cookies.get("engage_csrf", "")}
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", app)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 19
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            run = _fuzz(operation, mode, headers, cookies)
            try:
                run()
            except Unsatisfiable:
                # nothing can be sent that breaks this operation's schema (no inputs, or
                # every string is allowed where it is sent)
                assert mode is GenerationMode.NEGATIVE, operation.label
            except Exception as exc:
                failures.append(f"{role} {mode.value} {operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
