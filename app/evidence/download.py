"""A document handed out as a file to save, the same way from the pages and the API.

Always ``Content-Disposition: attachment`` (never shown in the browser), with ``nosniff``, a
sandboxing Content-Security-Policy and no caching: a document is the school's evidence, not a page
of this site, and whatever it contains must not run or be kept by a shared cache.
"""

from __future__ import annotations

import io

from flask import Response, current_app, send_file

from ..models import Attachment
from . import services
from .storage import AttachmentStore, StoredDocumentMissing, store_from_config

DOWNLOAD_CSP = "sandbox; default-src 'none'"
"""A downloaded document opened by a browser anyway runs no script and loads nothing."""


def store() -> AttachmentStore:
    """The attachment store the app's settings name."""
    return store_from_config(current_app.config)


def document_response(report_id: str, attachment: Attachment) -> Response | None:
    """The attachment's bytes as a file to save, or ``None`` (logged) when the store lost them or
    they no longer match the recorded SHA-256 (the caller answers 404)."""
    try:
        data = services.read(attachment, store())
    except StoredDocumentMissing:
        current_app.logger.error("attachment %s of %s: stored bytes missing or not matching SHA-256 %s",
                                 attachment.id, report_id, attachment.sha256)
        return None
    response = send_file(io.BytesIO(data), mimetype=attachment.media_type, as_attachment=True,
                         download_name=attachment.file_name, etag=False, last_modified=None, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = DOWNLOAD_CSP
    return response
