"""HR: the survey's items, the organisation's wording, custom items, retiring items."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Template

from engage import audit
from engage.auth.guards import current_user, requires_role
from engage.csvio import ImportRejected
from engage.survey.items_service import ItemError, import_items, item_table, set_active
from surveys.items import ELEMENTS, default_bank

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


async def _page(
    message: str | None = None,
    errors: list[str] | None = None,
    status: int = 200,
    form: dict[str, Any] | None = None,
) -> Template:
    return Template(
        "items.html",
        context={
            "items": await item_table(),
            "elements": ELEMENTS,
            "languages": [(c, lang.name) for c, lang in sorted(default_bank().languages.items())],
            "message": message,
            "errors": errors or [],
            "form": form or {},
        },
        status_code=status,
    )


class ItemsController(Controller):
    """The item set HR maintains."""

    path = "/items"
    guards = [requires_role("hr")]
    include_in_schema = False

    @get("/", name="items")
    async def index(self) -> Template:
        """Every item with its wording in each language."""
        return await _page()

    @post("/", name="item_add", status_code=200)
    async def add(self, request: Request[Any, Any, Any], data: FormData) -> Template:
        """Add a custom statement (or new wording) through the same checks as items.csv."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["code", "language", "text"])
        code = str(data.get("code", "")).strip()
        for language, _ in sorted(default_bank().languages.items()):
            text = str(data.get(f"text_{language}", "")).strip()
            if text:
                writer.writerow([code, language, text])
        try:
            summary = await import_items(out.getvalue().encode())
        except ImportRejected as exc:
            return await _page(errors=[e.reason for e in exc.errors], status=400, form=data)
        await audit.record(current_user(request).email, "items.add", f"{code}: {summary.message()}")
        return await _page(message=f"Saved {code.upper()}.")

    @post("/{code:str}/active", name="item_active", status_code=200)
    async def toggle(
        self, request: Request[Any, Any, Any], code: FromPath[str], data: FormData
    ) -> Template:
        """Retire an item (not offered for new waves) or bring it back."""
        value = str(data.get("active", ""))
        if value not in ("true", "false"):
            return await _page(errors=[f"active: {value!r} is neither true nor false"], status=400)
        active = value == "true"
        try:
            await set_active(code, active)
        except ItemError as exc:
            return await _page(errors=[str(exc)], status=404)
        await audit.record(current_user(request).email, "items.active", f"{code} active={active}")
        return await _page(message=f"{code} {'restored' if active else 'retired'}.")
