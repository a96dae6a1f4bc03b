"""Guards and scope rules, with a fake connection (no app, no database)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException

from engage.auth.guards import requires_admin, requires_role
from engage.auth.identity import CurrentUser


def user(role: str, path: str | None = "/1/2/3/") -> CurrentUser:
    return CurrentUser(
        id=1,
        email="x@y.z",
        name="X",
        role=role,
        unit_id=3,
        unit_code="L1",
        unit_name="Loc",
        unit_path=path,
    )


def conn(u: CurrentUser | None) -> Any:
    return SimpleNamespace(scope={"user": u} if u else {})


@pytest.mark.parametrize(
    ("minimum", "role", "allowed"),
    [
        ("manager", "employee", False),
        ("manager", "manager", True),
        ("manager", "hr", True),
        ("hr", "manager", False),
        ("hr", "hr", True),
        ("hr", "admin", True),
        ("admin", "hr", False),
    ],
)
def test_requires_role(minimum: str, role: str, allowed: bool) -> None:
    guard = requires_role(minimum)
    if allowed:
        guard(conn(user(role)), None)  # type: ignore[arg-type]
    else:
        with pytest.raises(PermissionDeniedException):
            guard(conn(user(role)), None)  # type: ignore[arg-type]


def test_no_user_is_401() -> None:
    with pytest.raises(NotAuthorizedException):
        requires_role("employee")(conn(None), None)  # type: ignore[arg-type]
    with pytest.raises(NotAuthorizedException):
        requires_admin(conn(None), None)  # type: ignore[arg-type]


def test_admin_guard() -> None:
    requires_admin(conn(user("admin")), None)  # type: ignore[arg-type]
    with pytest.raises(PermissionDeniedException):
        requires_admin(conn(user("hr")), None)  # type: ignore[arg-type]


def test_manager_scope_is_their_subtree_only() -> None:
    manager = user("manager", "/1/2/3/")
    assert manager.can_see_unit("/1/2/3/")
    assert manager.can_see_unit("/1/2/3/9/")
    assert not manager.can_see_unit("/1/2/")
    assert not manager.can_see_unit("/1/2/30/")  # a sibling whose id starts the same
    assert not manager.can_see_unit("/1/4/3/")


def test_hr_sees_all_and_employees_nothing() -> None:
    assert user("hr").scope_path() is None
    assert user("admin").can_see_unit("/1/")
    assert not user("employee").can_see_unit("/1/2/3/")
    assert not user("manager", None).can_see_unit("/1/")
