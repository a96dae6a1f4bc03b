"""HTML to PDF with WeasyPrint, off the event loop, loading nothing but our own static files."""

from __future__ import annotations

from typing import Any

import anyio.to_thread

from engage.settings import project_root

BASE = "http://engage.local/"


class ForbiddenFetch(ValueError):
    """A document asked for something other than engage's own static files."""


def _static_fetcher() -> Any:
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnly(URLFetcher):  # type: ignore[misc]
        """Serves engage's ``static/`` files and refuses everything else."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            if not url.startswith(BASE + "static/"):
                raise ForbiddenFetch(f"not fetched (no network at run time): {url}")
            relative = url.removeprefix(BASE)
            path = (project_root() / relative).resolve()
            if not path.is_relative_to(project_root() / "static") or not path.is_file():
                raise ForbiddenFetch(f"no such static file: {relative}")
            content_type = "text/css" if path.suffix == ".css" else "application/octet-stream"
            return URLFetcherResponse(
                url, body=path.read_bytes(), headers={"Content-Type": content_type}
            )

    return StaticOnly(fail_on_errors=True)


def _render(html: str) -> bytes:
    from weasyprint import HTML  # imported here: loading Pango takes a moment

    document = HTML(string=html, base_url=BASE, url_fetcher=_static_fetcher())
    return bytes(document.write_pdf())


async def html_to_pdf(html: str) -> bytes:
    """A PDF of ``html`` (CPU-heavy: runs in a worker thread)."""
    return await anyio.to_thread.run_sync(_render, html)
