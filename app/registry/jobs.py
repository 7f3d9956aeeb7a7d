"""The registry's comparison PDF as a background job, rendered once per comparison and language.

- :func:`request_comparison` ``(product_ids, lang) -> JobRef``: ``finished`` at once when the PDF of
  this comparison (the same published data) is stored; its ``result`` is ``{"key": ...}`` or
  ``{"problem": {"kind": ...}}`` (a render limit, or ``store_full``).
- :func:`stored_comparison` ``(key) -> bytes | None``: the stored PDF.

The PDF renders in a child process within the report's limits (time, size), like a report. Its key
is the SHA-256 of everything the PDF prints except its "generated" time: a comparison whose
published audits did not change is served from the store.

The full export (every published audit, JSON or CSV) runs as a job too when workers run:

- :func:`request_full_export` ``(fmt) -> JobRef``: ``finished`` at once when the export of the
  registry as it is now (:func:`app.registry.services.registry_state`) is stored.
- :func:`stored_export` ``(key, fmt) -> Path | None``: the stored, intact file.

The job writes the file through the same streaming generator as the inline export, straight into
the store (constant memory, atomic). Product and comparison exports stay streamed in the request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale

from .. import jobs
from ..extensions import db
from ..jobs import JobRef
from ..models import StoredPdf
from ..pdfstore import StoreFull, file_sha256
from ..reports.limits import RenderLimitExceeded, RenderLimits, render_pdf_limited
from ..stored_pdfs import current_store, find_stored, forget_stored, pdf_key, record_stored
from . import comparison, services

COMPARISON_RENDERER = "app.reports.render:render_document_pdf"


def comparison_key(context: dict[str, Any], lang: str) -> str:
    """The store key of the comparison PDF of ``context`` (:func:`comparison.comparison_context`) in ``lang``."""
    return pdf_key("comparison", {"lang": lang, "context": context})


def request_comparison(product_ids: list[int], lang: str) -> JobRef:
    """The job producing the comparison PDF of the published products ``product_ids`` in ``lang``.

    Needs a request context (the comparison links to product pages). The caller checks that at
    least two products are published (:data:`app.registry.services.COMPARE_MIN`).
    """
    context = comparison.comparison_context(product_ids, lang)
    key = comparison_key(context, lang)
    ids = ",".join(str(i) for i in context["ids"])
    meta = {"kind": "comparison", "lang": lang, "key": key, "products": ids}
    if find_stored(key) is not None:
        return JobRef(f"comparison-{key}", "finished", 1.0, "done", result={"key": key}, meta=meta)
    return jobs.submit("app.registry.jobs.build_comparison_pdf", ids, lang, job_id=f"comparison-{key}", meta=meta)


def build_comparison_pdf(product_ids: str, lang: str) -> dict[str, Any]:
    """Job: render, store and record the comparison PDF of ``product_ids`` (comma-separated) in ``lang``.

    Returns ``{"key": key}`` or ``{"problem": {"kind": ...}}`` (``time`` or ``size`` limit,
    ``store_full``, ``too_few`` products published now); raises for anything else so RQ retries.
    """
    ids = [int(x) for x in product_ids.split(",") if x]
    with current_app.test_request_context("/compare"), force_locale(lang):
        context = comparison.comparison_context(ids, lang)
        if len(context["products"]) < 2:
            return {"problem": {"kind": "too_few"}}
        key = comparison_key(context, lang)
        if find_stored(key) is not None:
            return {"key": key}
        if db.session.scalar(sa.select(StoredPdf.id).where(StoredPdf.key == key)) is not None:
            forget_stored(key)
        jobs.set_progress(0.15, "rendering")
        html = render_template("registry/compare_pdf.html", **context, lang=lang,
                               generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"))
    limits = RenderLimits.from_config(current_app.config)
    # the answer-text limit is the report's; a comparison prints aggregates of at most 10 products
    limits = RenderLimits(timeout_s=limits.timeout_s, max_answer_chars=max(limits.max_answer_chars, len(html)),
                          max_pdf_bytes=limits.max_pdf_bytes)
    store = current_store()
    pdf = store.read(key)
    if pdf is None:
        try:
            pdf = render_pdf_limited({"html": html}, limits, renderer=COMPARISON_RENDERER)
        except RenderLimitExceeded as exc:
            return {"problem": {"kind": exc.kind, "limit": exc.limit, "actual": exc.actual}}
        jobs.set_progress(0.85, "storing")
        try:
            pdf = store.write(key, pdf)
        except StoreFull:
            current_app.logger.error("PDF store %s is full: a comparison PDF was not stored", store.root)
            return {"problem": {"kind": "store_full"}}
    record_stored(key, "comparison", hashlib.sha256(pdf).hexdigest(), len(pdf))
    jobs.set_progress(1.0, "done")
    return {"key": key}


def stored_comparison(key: str) -> bytes | None:
    """The stored comparison PDF of ``key`` (its bytes checked against the recorded SHA-256), or ``None``."""
    found = find_stored(key)
    return found[1] if found is not None and found[0].kind == "comparison" else None


# -- the full export --------------------------------------------------------------------------------

FULL_SCOPE = {"kind": "all", "products": None}
EXPORT_PROGRESS_EVERY = 500
"""Records between two progress reports of an export job."""


def export_key(fmt: str, state: dict[str, Any]) -> str:
    """The store key of the full export in ``fmt`` of the registry in ``state``
    (:func:`app.registry.services.registry_state`)."""
    return pdf_key("export", {"format": fmt, "scope": FULL_SCOPE, "state": state})


def request_full_export(fmt: str) -> JobRef:
    """The job writing the full export in ``fmt`` (``json`` or ``csv``) of the registry as it is now.

    Its id is ``export-<key>``: a repeat while no publication changed joins the running job or, once
    the file is stored, is ``finished`` at once. Raises ``ValueError`` for another format.
    """
    if fmt not in services.EXPORT_FORMATS:
        raise ValueError(f"an export is {' or '.join(services.EXPORT_FORMATS)}, not {fmt[:20]!r}")
    key = export_key(fmt, services.registry_state())
    meta = {"kind": "export", "format": fmt, "key": key}
    if stored_export(key, fmt) is not None:
        return JobRef(f"export-{key}", "finished", 1.0, "done", result={"key": key}, meta=meta)
    return jobs.submit("app.registry.jobs.build_full_export", fmt, job_id=f"export-{key}", meta=meta)


def build_full_export(fmt: str) -> dict[str, Any]:
    """Job: write, store and record the full export in ``fmt`` of the registry as it is now.

    Returns ``{"key": key}`` (the key of the state it read) or ``{"problem": {"kind": "store_full"}}``;
    raises for anything else so RQ retries (nothing is left half-written: the store links a whole file).
    """
    state = services.registry_state()
    key = export_key(fmt, state)
    if stored_export(key, fmt) is not None:
        return {"key": key}
    if db.session.scalar(sa.select(StoredPdf.id).where(StoredPdf.key == key)) is not None:
        forget_stored(key, "." + fmt)
    jobs.set_progress(0.05, "writing")
    total = max(1, int(state["publications"]))

    def records() -> Iterator[dict[str, Any]]:
        for n, record in enumerate(services.export_records(), start=1):
            if n % EXPORT_PROGRESS_EVERY == 0:
                jobs.set_progress(0.05 + 0.9 * min(1.0, n / total), "writing")
            yield record

    chunks = (text.encode("utf-8") for text in services.export_chunks(fmt, records(), FULL_SCOPE))
    store = current_store()
    try:
        sha256, size = store.write_stream(key, chunks, "." + fmt)
    except StoreFull:
        current_app.logger.error("PDF store %s is full: the full %s export was not stored", store.root, fmt)
        return {"problem": {"kind": "store_full"}}
    record_stored(key, "export", sha256, size)
    jobs.set_progress(1.0, "done")
    return {"key": key}


def stored_export(key: str, fmt: str) -> Path | None:
    """The path of the stored full export of ``key`` in ``fmt``, or ``None`` when it is not recorded, or
    its file is missing or no longer has the recorded SHA-256 (read in chunks: constant memory)."""
    row = db.session.scalar(sa.select(StoredPdf).where(StoredPdf.key == key, StoredPdf.kind == "export"))
    if row is None:
        return None
    path = current_store().path(key, "." + fmt)
    try:
        intact = file_sha256(path) == row.sha256
    except FileNotFoundError:
        intact = False
    if not intact:
        current_app.logger.warning("stored export %s is missing or damaged; it will be written again", key)
        return None
    return path
