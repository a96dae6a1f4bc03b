"""Form bodies parsed at the edge (URL-encoded and multipart)."""

from __future__ import annotations

import msgspec
from litestar.datastructures import UploadFile


class LoginForm(msgspec.Struct):
    """The login form."""

    email: str = ""
    password: str = ""
    next: str = "/"


class PasswordForm(msgspec.Struct):
    """Change one's own password."""

    current_password: str = ""
    new_password: str = ""
    confirm_password: str = ""


class NewUserForm(msgspec.Struct):
    """Admin: create a login."""

    email: str = ""
    role: str = "hr"
    name: str = ""
    password: str = ""


class SetPasswordForm(msgspec.Struct):
    """Admin: set another user's password."""

    password: str = ""


class SettingsForm(msgspec.Struct):
    """Admin: organisation settings."""

    name: str = ""
    min_group_size: str = ""
    min_comment_group_size: str = ""
    default_language: str = ""


class UploadForm(msgspec.Struct):
    """An uploaded CSV file (and, for visits, an optional return window in days)."""

    file: UploadFile | None = None
    window_days: str = ""


def safe_next(target: str) -> str:
    """Only local paths are allowed as a post-login redirect."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
