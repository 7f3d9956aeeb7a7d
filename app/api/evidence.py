"""``/api/v1``: the documents attached to an audit's answers (every version's, with their metadata),
and one document's bytes. Same rule and same file response as the audit's documents page
(:mod:`app.evidence.views`): whoever may see the audit may list and download its documents."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import url_for

from .. import access
from ..evidence import services as evidence
from ..evidence.download import document_response
from ..extensions import db
from ..models import ATTACHMENT_MEDIA_TYPES, Attachment, Audit, User
from ..timefmt import as_utc
from . import schemas
from .auth import limited, signed_in
from .parsing import Blueprint
from .problems import ApiProblem

blp = limited(Blueprint("api_evidence", __name__, description="Documents attached to an audit's answers."))


def attachment_output(audit: Audit, attachment: Attachment, current: set[int]) -> dict[str, Any]:
    """The fields of :class:`.schemas.AttachmentOutput`; ``current``: ids of the current version's."""
    uploader = db.session.get(User, attachment.uploaded_by_id) if attachment.uploaded_by_id else None
    return {"id": attachment.id, "question_id": attachment.question_id, "file_name": attachment.file_name,
            "media_type": attachment.media_type, "size_bytes": attachment.size_bytes, "sha256": attachment.sha256,
            "added_in_version": attachment.added_in_version, "removed_in_version": attachment.removed_in_version,
            "current": attachment.id in current, "uploaded_by": uploader.email if uploader else None,
            "uploaded_at": as_utc(attachment.uploaded_at),
            "download": url_for("api_evidence.download_attachment", report_id=audit.report_id,
                                attachment_id=attachment.id)}


@blp.get("/audits/<report_id>/attachments")
@blp.response(200, schemas.AttachmentList)
@signed_in()
def list_attachments(report_id: str):
    """Every document attached to the audit's answers in any version, in the order attached, with the
    versions that carry it (``current``: the audit's current version does)."""
    audit = access.audit_for(report_id, "view")
    current = {a.id for a in evidence.attachments_of(audit)}
    rows = db.session.scalars(sa.select(Attachment).where(Attachment.audit_id == audit.id).order_by(Attachment.id))
    return {"attachments": [attachment_output(audit, a, current) for a in rows]}


@blp.get("/audits/<report_id>/attachments/<id:attachment_id>")
@blp.doc(responses={"200": {"description": "The document, as a file to save (Content-Disposition: attachment)",
                            "content": {media: {"schema": {"type": "string", "contentMediaType": media}}
                                        for media in ATTACHMENT_MEDIA_TYPES}}})
@signed_in()
def download_attachment(report_id: str, attachment_id: int):
    """One document's bytes (any version's), as the documents page serves it: a file to save, not
    cached. 404 when it is not this audit's, or the store lost it."""
    audit = access.audit_for(report_id, "view")
    attachment = evidence.find(audit, attachment_id)
    response = None if attachment is None else document_response(audit.report_id, attachment)
    if response is None:
        raise ApiProblem(404, "api.not_found")
    return response
