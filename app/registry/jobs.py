"""The registry's comparison PDF as a background job, rendered once per comparison and language.

- :func:`request_comparison` ``(product_ids, lang) -> JobRef``: ``finished`` at once when the PDF of
  this comparison (the same published data) is stored; its ``result`` is ``{"key": ...}`` or
  ``{"problem": {"kind": ...}}`` (a render limit, or ``store_full``).
- :func:`stored_comparison` ``(key) -> bytes | None``: the stored PDF.

The PDF renders in a child process within the report's limits (time, size), like a report. Its key
is the SHA-256 of everything the PDF prints except its "generated" time: a comparison whose
published audits did not change is served from the store.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale

from .. import jobs
from ..extensions import db
from ..jobs import JobRef
from ..models import StoredPdf
from ..pdfstore import StoreFull
from ..reports.limits import RenderLimitExceeded, RenderLimits, render_pdf_limited
from ..stored_pdfs import current_store, find_stored, forget_stored, pdf_key
from . import comparison

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
    db.session.add(StoredPdf(key=key, kind="comparison", sha256=hashlib.sha256(pdf).hexdigest(), size_bytes=len(pdf)))
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
    jobs.set_progress(1.0, "done")
    return {"key": key}


def stored_comparison(key: str) -> bytes | None:
    """The stored comparison PDF of ``key`` (its bytes checked against the recorded SHA-256), or ``None``."""
    found = find_stored(key)
    return found[1] if found is not None and found[0].kind == "comparison" else None
