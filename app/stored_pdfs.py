"""Rendered PDFs kept once and served from the store: the key of what determines a PDF, the lookup,
and recording a stored file (shared by the audit reports and the registry's comparison PDFs).

The file lives in the :class:`app.pdfstore.PdfStore` at ``PDF_STORE_DIR``; its :class:`StoredPdf`
row (unique ``key``) says it is complete and what its SHA-256 is. A file without a row (a job killed
between writing and committing) is reused by the next job for that key; a row whose file is missing
or damaged is not served, and the PDF is rendered again.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import sqlalchemy as sa
from flask import current_app

from .extensions import db
from .models import StoredPdf
from .pdfstore import PdfStore


def pdf_key(kind: str, parts: dict[str, Any]) -> str:
    """The store key of a PDF: SHA-256 (64 hex digits) of ``kind`` and ``parts`` (everything that
    determines its bytes, JSON-serialisable; dates and other values are taken by their ``str``)."""
    text = json.dumps({"kind": kind, **parts}, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def signing_fingerprint() -> str | None:
    """SHA-256 of the configured signing certificate, or ``None`` without signing: a PDF signed with
    another certificate is another PDF."""
    cert = current_app.config.get("REPORT_SIGNING_CERT")
    if not cert:
        return None
    with open(cert, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def current_store() -> PdfStore:
    """The app's PDF store (``PDF_STORE_DIR``)."""
    return PdfStore(current_app.config["PDF_STORE_DIR"])


def find_stored(key: str) -> tuple[StoredPdf, bytes] | None:
    """The recorded PDF of ``key`` and its bytes, or ``None`` if it is not recorded, or its file is
    missing or no longer has the recorded SHA-256 (then it must be rendered again)."""
    row = db.session.scalar(sa.select(StoredPdf).where(StoredPdf.key == key))
    if row is None:
        return None
    data = current_store().read(key, sha256=row.sha256)
    if data is None:
        current_app.logger.warning("stored PDF %s is missing or damaged; it will be rendered again", key)
        return None
    return row, data


def forget_stored(key: str, suffix: str = ".pdf") -> None:
    """Drop the record (not the issued report) of a stored file (a PDF unless ``suffix`` says) whose
    file is missing or damaged, and its file, so that it is written and recorded again. Flushes."""
    db.session.execute(sa.delete(StoredPdf).where(StoredPdf.key == key))
    current_store().delete(key, suffix)
    db.session.flush()


def record_stored(key: str, kind: str, sha256: str, size_bytes: int) -> None:
    """Record the file just stored under ``key`` (a :class:`StoredPdf` of ``kind``, with the file's
    SHA-256 and size) and commit; a record another job made first is kept. For jobs, which commit
    their own work."""
    db.session.add(StoredPdf(key=key, kind=kind, sha256=sha256, size_bytes=size_bytes))
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
