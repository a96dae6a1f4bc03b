"""Log in and out."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Template

from engage import audit
from engage.auth import lockout
from engage.auth.accounts import authenticate
from engage.web.forms import LoginForm, safe_next
from engage.web.security import rotate_session_id, start_session


class AuthController(Controller):
    """The login page, the login form's target, and logout."""

    path = "/"
    include_in_schema = False

    @get("/login", opt={"public": True}, name="login")
    async def login_page(
        self, request: Request[Any, Any, Any], next: FromQuery[str] = "/"
    ) -> Template:
        """The login form."""
        return Template("login.html", context={"next": safe_next(next), "error": None, "email": ""})

    @post("/login", opt={"public": True})
    async def login(
        self,
        request: Request[Any, Any, Any],
        data: Annotated[LoginForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template | Redirect:
        """Check the password; on success start a fresh session."""
        if not await lockout.attempt(data.email):
            return Template(
                "login.html",
                context={
                    "next": safe_next(data.next),
                    "email": data.email,
                    "error": (
                        "Too many wrong passwords for this email. Try again in "
                        f"{int(lockout.WINDOW.total_seconds() // 60)} minutes."
                    ),
                },
                status_code=429,
                headers={"Retry-After": str(int(lockout.WINDOW.total_seconds()))},
            )
        user = await authenticate(data.email, data.password)
        if user is None:
            return Template(
                "login.html",
                context={
                    "next": safe_next(data.next),
                    "email": data.email,
                    "error": "That email and password do not match an active account.",
                },
                status_code=400,
            )
        await lockout.succeeded(data.email)
        await rotate_session_id(request)
        start_session(request, user)
        await audit.record(user.email, "login")
        return Redirect(path=safe_next(data.next))

    @post("/logout", name="logout")
    async def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        """End the session."""
        request.clear_session()
        return Redirect(path="/login")
