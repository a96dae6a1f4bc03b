"""Admin pages: users and roles, organisation settings, and the audit log (HR reads it too)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath, QueryParameter
from litestar.response import Template
from piccolo.columns import Column

from engage import audit
from engage.auth.accounts import SESSION_BUMP, AccountError, create_user, set_password_by_id
from engage.auth.guards import current_user, requires_admin, requires_role
from engage.auth.identity import Role
from engage.auth.passwords import WeakPassword
from engage.db.tables import OrgSettings, User
from engage.org.roster_import import normalise_language
from engage.reporting.report_inputs import inputs_changed
from engage.web.forms import NewUserForm, SetPasswordForm, SettingsForm

MIN_K = 3
MIN_COMMENT_K = 5


USERS_PER_PAGE = 100
#: Staff roles first (the logins an admin looks after most), then employees.
ROLE_ORDER = {"admin": 0, "hr": 1, "manager": 2, "employee": 3}


async def _users_page(
    message: str | None = None,
    error: str | None = None,
    status: int = 200,
    q: str = "",
    role: str = "",
    page: int = 1,
) -> Template:
    query = User.select(
        User.id,
        User.email,
        User.name,
        User.role,
        User.active,
        User.last_login_at,
        User.password_hash,
        User.person._.employee_id.as_alias("employee_id"),
    )
    count = User.count()
    text = q.strip().lower()
    if text:
        pattern = "%" + text.replace("%", "").replace("_", "") + "%"
        match = User.email.like(pattern) | User.name.like(pattern)
        query, count = query.where(match), count.where(match)
    if role in ROLE_ORDER:
        query, count = query.where(User.role == role), count.where(User.role == role)
    total = await count.run()
    users = (
        await query.order_by(User.email)
        .limit(USERS_PER_PAGE)
        .offset((page - 1) * USERS_PER_PAGE)
        .run()
    )
    for u in users:
        u["has_password"] = u.pop("password_hash") is not None
    return Template(
        "admin_users.html",
        context={
            "users": users,
            "roles": list(Role.__members__),
            "message": message,
            "error": error,
            "q": q,
            "role": role,
            "page": page,
            "pages": max(1, -(-total // USERS_PER_PAGE)),
            "total": total,
        },
        status_code=status,
    )


class AdminController(Controller):
    """User accounts and organisation settings."""

    path = "/admin"
    guards = [requires_admin]
    include_in_schema = False

    @get("/users", name="admin_users")
    async def users(
        self,
        q: Annotated[str, QueryParameter(max_length=200)] = "",
        role: Annotated[str, QueryParameter(max_length=16)] = "",
        page: Annotated[int, QueryParameter(ge=1, le=1_000_000)] = 1,
    ) -> Template:
        """Logins with role, status and last login; searchable, 100 a page."""
        return await _users_page(q=q, role=role, page=page)

    @post("/users", name="admin_user_create")
    async def create(
        self,
        request: Request[Any, Any, Any],
        data: Annotated[NewUserForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template:
        """Create a login (for people outside the roster, e.g. an external HR consultant)."""
        try:
            await create_user(data.email, data.role, data.name, data.password or None)
        except (AccountError, WeakPassword) as exc:
            return await _users_page(error=str(exc), status=400)
        await audit.record(
            current_user(request).email, "user.create", f"{data.email} as {data.role}"
        )
        return await _users_page(message=f"Created {data.email.strip().lower()}.")

    @post("/users/{user_id:int}/password", name="admin_user_password")
    async def set_password(
        self,
        request: Request[Any, Any, Any],
        user_id: FromPath[int],
        data: Annotated[SetPasswordForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template:
        """Set a (temporary) password that the admin hands over."""
        row = await User.select(User.email).where(User.id == user_id).first().run()
        if row is None:
            raise NotFoundException("no such user")
        try:
            await set_password_by_id(user_id, data.password)
        except (AccountError, WeakPassword) as exc:
            return await _users_page(error=f"{row['email']}: {exc}", status=400)
        await audit.record(current_user(request).email, "user.password", row["email"])
        return await _users_page(message=f"Password set for {row['email']}.")

    @post("/users/{user_id:int}/active", name="admin_user_active")
    async def toggle_active(
        self, request: Request[Any, Any, Any], user_id: FromPath[int]
    ) -> Template:
        """Deactivate or reactivate a login (not one's own)."""
        me = current_user(request)
        row = await User.select(User.email, User.active).where(User.id == user_id).first().run()
        if row is None:
            raise NotFoundException("no such user")
        if user_id == me.id:
            return await _users_page(error="You cannot deactivate your own account.", status=400)
        await (
            User.update({User.active: not row["active"], User.session_version: SESSION_BUMP})
            .where(User.id == user_id)
            .run()
        )
        action = "user.deactivate" if row["active"] else "user.activate"
        await audit.record(me.email, action, row["email"])
        state = "deactivated" if row["active"] else "reactivated"
        return await _users_page(message=f"{row['email']} {state}.")

    @get("/settings", name="admin_settings")
    async def settings(self) -> Template:
        """The organisation's name, thresholds and default language."""
        row = await OrgSettings.select().first().run()
        return Template("admin_settings.html", context={"s": row, "errors": [], "message": None})

    @post("/settings", name="admin_settings_save")
    async def save_settings(
        self,
        request: Request[Any, Any, Any],
        data: Annotated[SettingsForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template:
        """Validate and save settings; nothing changes if any field is wrong."""
        row = await OrgSettings.select().first().run()
        assert row is not None
        errors: list[str] = []
        name = data.name.strip()
        if not name or len(name) > 200:
            errors.append("Name: enter 1 to 200 characters.")
        k = _int(data.min_group_size)
        if k is None or k < MIN_K:
            errors.append(f"Minimum group size for scores: a whole number, at least {MIN_K}.")
        ck = _int(data.min_comment_group_size)
        if ck is None or ck < MIN_COMMENT_K:
            errors.append(
                f"Minimum group size for comments: a whole number, at least {MIN_COMMENT_K}."
            )
        elif k is not None and ck < k:
            errors.append("Minimum group size for comments cannot be below the one for scores.")
        language = (
            normalise_language(data.default_language.strip())
            if data.default_language.strip()
            else None
        )
        if language is None:
            errors.append(
                f"Default language: {data.default_language!r} is not a language code "
                "(e.g. en, ru, zh)."
            )
        if errors:
            shown = {
                **row,
                "name": data.name,
                "min_group_size": data.min_group_size,
                "min_comment_group_size": data.min_comment_group_size,
                "default_language": data.default_language,
            }
            return Template(
                "admin_settings.html",
                context={"s": shown, "errors": errors, "message": None},
                status_code=400,
            )
        values: dict[Column | str, Any] = {
            OrgSettings.name: name,
            OrgSettings.min_group_size: k,
            OrgSettings.min_comment_group_size: ck,
            OrgSettings.default_language: language,
        }
        await OrgSettings.update(values).where(OrgSettings.id == row["id"]).run()
        await inputs_changed()  # the reports show the name and use the thresholds
        await audit.record(
            current_user(request).email,
            "settings.update",
            f"name={name!r} k={k} comment_k={ck} language={language}",
        )
        row = await OrgSettings.select().first().run()
        return Template(
            "admin_settings.html", context={"s": row, "errors": [], "message": "Settings saved."}
        )


def _int(value: str) -> int | None:
    try:
        return int(value.strip())
    except ValueError:
        return None


class AuditController(Controller):
    """The audit log, for HR and admins."""

    path = "/audit"
    guards = [requires_role("hr")]
    include_in_schema = False

    @get("/", name="audit")
    async def log(self, page: Annotated[int, QueryParameter(ge=1, le=1_000_000)] = 1) -> Template:
        """The newest events first, 100 a page."""
        page = max(1, page)
        events = await audit.recent(limit=100, offset=(page - 1) * 100)
        return Template("audit.html", context={"events": events, "page": page})
