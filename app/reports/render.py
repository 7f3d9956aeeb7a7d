"""Render the report template to HTML or PDF, outside Flask (the web view and the CLI share this).

The template gets plain data only (see :mod:`app.reports.context`) and autoescapes everything, so
no user text reaches WeasyPrint as markup. WeasyPrint fetches through :class:`AssetFetcher`, which
serves files under ``app/static`` by the internal ``eduaudit-asset:`` scheme and refuses everything
else: ``file://``, ``http(s)://``, ``data:``, paths that leave the folder, unknown file types.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jinja2
from markupsafe import Markup

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES_DIR = ROOT / "templates"
STATIC_DIR = ROOT / "app" / "static"
REPORT_TEMPLATE = "reports/report.html"
ASSET_SCHEME = "eduaudit-asset"
ASSET_TYPES = {
    ".css": "text/css",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".svg": "image/svg+xml",
}
"""File types the PDF renderer may load from ``app/static``; anything else is refused."""
PRINT_STYLESHEET = "css/report.css"
PDF_VARIANTS = ("pdf/a-2b", "pdf/a-2u", "pdf/a-3b", "pdf/a-3u", "pdf/ua-1")
"""Archival (PDF/A) and accessible (PDF/UA) variants a report may be written as (``REPORT_PDF_VARIANT``).
WeasyPrint writes their identification and structure; it does not validate conformance."""
TAGGED_VARIANTS = frozenset({"pdf/ua-1"})
"""Variants whose PDF carries a structure tree (tags); PDF/UA requires one."""


class AssetRefused(ValueError):
    """The PDF renderer asked for a URL outside the allow-list; the message names the URL."""


def asset_url(path: str) -> str:
    """The internal URL under which the PDF renderer finds ``app/static/<path>``."""
    return f"{ASSET_SCHEME}:{path}"


def resolve_asset(url: str) -> Path:
    """Map an ``eduaudit-asset:`` URL to a file under ``app/static``.

    Raises :class:`AssetRefused` for any other scheme, for query strings or fragments, for paths
    that leave ``app/static`` (``..``, absolute paths, symlinks out), unknown types and missing files.
    """
    prefix = ASSET_SCHEME + ":"
    if not isinstance(url, str) or not url.startswith(prefix):
        raise AssetRefused(f"refused to fetch {str(url)[:200]!r}: the report may load only its own assets")
    rest = url[len(prefix):]
    if "?" in rest or "#" in rest or "\\" in rest:
        raise AssetRefused(f"refused to fetch {url[:200]!r}: queries and fragments are not allowed")
    relative = unquote(rest).lstrip("/")
    if not relative or any(part in ("", ".", "..") for part in relative.split("/")):
        raise AssetRefused(f"refused to fetch {url[:200]!r}: not a plain path under app/static")
    static = STATIC_DIR.resolve()
    path = (static / relative).resolve()
    if not path.is_relative_to(static):
        raise AssetRefused(f"refused to fetch {url[:200]!r}: outside app/static")
    if path.suffix.lower() not in ASSET_TYPES:
        raise AssetRefused(f"refused to fetch {url[:200]!r}: file type not allowed")
    if not path.is_file():
        raise AssetRefused(f"refused to fetch {url[:200]!r}: no such asset")
    return path


def _weasyprint_fetcher_class():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class AssetFetcher(URLFetcher):
        """WeasyPrint URL fetcher with an allow-list: only ``eduaudit-asset:`` files, never the network."""

        def __init__(self) -> None:
            super().__init__(allowed_protocols=(ASSET_SCHEME,), allow_redirects=False, fail_on_errors=False)

        def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
            path = resolve_asset(url)
            content_type = ASSET_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
            return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": content_type})

        def open(self, url, data=None, timeout=None):  # never the urllib machinery
            raise AssetRefused(f"refused to open {str(url)[:200]!r}")

    return AssetFetcher


def asset_fetcher():
    """A fresh allow-list fetcher for WeasyPrint (see :func:`resolve_asset` for what it refuses)."""
    return _weasyprint_fetcher_class()()


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The report's Jinja environment: templates/ on disk, autoescape always on, undefined is an error."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["asset_url"] = asset_url
    return env


def render_html(context: Mapping[str, Any], *, fragment: bool = False) -> Markup:
    """The report as HTML. ``fragment=True`` gives only the ``<article>`` (for the web page, which
    brings its own ``<head>``); otherwise a whole document whose stylesheet is the print CSS."""
    template = environment().get_template(REPORT_TEMPLATE)
    return Markup(template.render(report=context, fragment=fragment, stylesheet=asset_url(PRINT_STYLESHEET)))


def check_pdf_variant(variant: str | None) -> str | None:
    """``variant`` if it is ``None`` or one of :data:`PDF_VARIANTS` (spaces and case ignored), else
    ``ValueError`` naming the allowed values."""
    if variant is None:
        return None
    wanted = variant.strip().lower()
    if wanted not in PDF_VARIANTS:
        raise ValueError(f"unknown PDF variant {variant!r}: use one of {', '.join(PDF_VARIANTS)}, or none")
    return wanted


def render_pdf(context: Mapping[str, Any], *, pdf_variant: str | None = None) -> bytes:
    """The report as PDF bytes (A4, page x / y), rendered by WeasyPrint with the allow-list fetcher.

    ``pdf_variant`` (one of :data:`PDF_VARIANTS`, default plain PDF) asks WeasyPrint for a PDF/A or
    PDF/UA file: identification in the XMP metadata, sRGB output intent, and for PDF/UA a tagged
    structure. Raises ``ValueError`` for any other variant.
    """
    from weasyprint import HTML

    variant = check_pdf_variant(pdf_variant)
    html = render_html(context)
    document = HTML(string=str(html), base_url=f"{ASSET_SCHEME}:/", url_fetcher=asset_fetcher())
    if variant is None:
        return document.write_pdf()
    return document.write_pdf(pdf_variant=variant, pdf_tags=variant in TAGGED_VARIANTS)


def render_document_pdf(context: Mapping[str, Any]) -> bytes:
    """``context["html"]``, a whole HTML document made by the app's own (autoescaping) templates, as
    PDF bytes through the allow-list fetcher: the renderer of the registry's comparison PDF, run in a
    child process within limits by :func:`app.reports.limits.render_pdf_limited`."""
    from weasyprint import HTML

    return HTML(string=context["html"], base_url=f"{ASSET_SCHEME}:/", url_fetcher=asset_fetcher()).write_pdf()
