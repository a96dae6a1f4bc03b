"""A user's own account: change password."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Template

from engage import audit
from engage.auth import lockout
from engage.auth.accounts import load_user, set_password_by_id
from engage.auth.guards import current_user
from engage.auth.passwords import WeakPassword, verify_password
from engage.db.tables import User
from engage.web.forms import PasswordForm
from engage.web.security import rotate_session_id, start_session


class AccountController(Controller):
    """Change one's own password."""

    path = "/account"
    include_in_schema = False

    @get("/", name="account")
    async def page(self) -> Template:
        """The change-password form."""
        return Template("account.html", context={"error": None, "message": None})

    @post("/password", name="account_password")
    async def change_password(
        self,
        request: Request[Any, Any, Any],
        data: Annotated[PasswordForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template:
        """Check the current password, then set the new one."""
        user = current_user(request)
        row = await User.select(User.password_hash).where(User.id == user.id).first().run()
        error = None
        minutes = int(lockout.WINDOW.total_seconds() // 60)
        if not await lockout.attempt(user.email):  # the same guesses as the login's
            return Template(
                "account.html",
                context={
                    "error": f"Too many wrong passwords. Try again in {minutes} minutes.",
                    "message": None,
                },
                status_code=429,
                headers={"Retry-After": str(int(lockout.WINDOW.total_seconds()))},
            )
        if row is None or not verify_password(row["password_hash"], data.current_password):
            error = "The current password is not right."
        else:
            await lockout.succeeded(user.email)
            if data.new_password != data.confirm_password:
                error = "The new password and its confirmation differ."
            else:
                try:
                    await set_password_by_id(user.id, data.new_password)
                except WeakPassword as exc:
                    error = f"New password: {exc}."
        if error:
            return Template(
                "account.html", context={"error": error, "message": None}, status_code=400
            )
        await audit.record(user.email, "account.password")
        refreshed = await load_user(user.id)
        if refreshed is not None:  # other sessions end; this one carries on
            await rotate_session_id(request)
            start_session(request, refreshed)
        return Template("account.html", context={"error": None, "message": "Password changed."})
