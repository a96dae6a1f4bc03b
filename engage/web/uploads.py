"""Close uploaded files when a request fails before its handler could.

Litestar's CSRF middleware parses multipart forms itself; when it rejects a request the
handler never runs, so nothing else would close the spooled temporary files.
"""

from __future__ import annotations

from typing import Any

from litestar.datastructures import UploadFile
from litestar.types import Empty, Scope
from litestar.utils.scope.state import ScopeState


def close_uploaded_files(scope: Scope) -> None:
    """Close every ``UploadFile`` the request's form produced (closing twice is harmless)."""
    form: Any = ScopeState.from_scope(scope).form
    if form is Empty or not isinstance(form, dict):
        return
    for value in form.values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, UploadFile):
                item.file.close()
