"""Evidence attached to answers: check a document, keep it, list it, remove it.

Plain functions that change the session and flush; views commit. A document is accepted when its
content is a PDF, a PNG, a JPEG or plain UTF-8 text (what the file *is*, read from its first bytes,
not what its name says) and its name's extension agrees; its bytes go to the attachment store
(:mod:`.storage`) under their SHA-256, never to the PDF renderer: the report's appendix lists name,
size and SHA-256 only. Every addition and removal is an event of the audit's trail. Errors are
:class:`EvidenceError` with a code that says what is wrong (``evidence.*`` in
:data:`app.messages.MESSAGES`).

A document may answer a reviewer's document request (an action-plan item of kind
``document_request``): attached in answer to it, it is linked to the request and the request is done,
its note naming the document and its SHA-256.

Attachments freeze with the answers (see :class:`app.models.Attachment`): they can be added and
removed only while the audit is editable; removing one that an earlier, submitted version carried
ends it with the current version and keeps it for the earlier ones.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath

import filetype
import sqlalchemy as sa

from .. import trail
from ..extensions import db
from ..models import ActionItem, Attachment, Audit, Submission, User
from ..problems import Problem
from ..rules.questionnaire import Questionnaire
from .storage import AttachmentStore

FILE_NAME_MAX = 255

EXTENSIONS = {"application/pdf": (".pdf",), "image/png": (".png",), "image/jpeg": (".jpg", ".jpeg"),
              "text/plain": (".txt",)}
"""Media type -> the file-name extensions that may carry it (the first is the usual one)."""

TEXT_CONTROL = {chr(c) for c in range(32)} - {"\t", "\n", "\r", "\f"}
"""Characters that do not occur in plain text (a NUL or an escape code means a binary file)."""


def mib(size: int) -> str:
    """``size`` bytes in MiB for messages, to three significant digits (``10485760`` -> ``"10"``,
    ``1572864`` -> ``"1.5"``, ``2048`` -> ``"0.00195"``)."""
    return f"{size / 1024 / 1024:.3g}"


class EvidenceError(Problem, ValueError):
    """The document cannot be attached or removed as asked; the code says why."""


@dataclass(frozen=True, slots=True)
class Upload:
    """One document as a user sent it: the question it supports, its name and its bytes, and the id of
    the document request it answers (``None``: none)."""

    question_id: str
    file_name: str
    data: bytes
    request_id: int | None = None


def clean_file_name(name: str) -> str:
    """The file's own name as the user's computer called it: path parts dropped (browsers may send
    ``C:\\fakepath\\x.pdf``), Unicode normalised (NFC), control characters removed, trimmed. Raises
    :class:`EvidenceError` if nothing is left or it is longer than 255 characters."""
    name = PureWindowsPath(PurePosixPath(name or "").name).name
    name = "".join(c for c in unicodedata.normalize("NFC", name) if unicodedata.category(c)[0] != "C").strip()
    if not name:
        raise EvidenceError("evidence.no_file_name")
    if len(name) > FILE_NAME_MAX:
        raise EvidenceError("evidence.file_name_too_long", length=len(name), limit=FILE_NAME_MAX)
    return name


def _is_text(data: bytes) -> bool:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    return not any(c in TEXT_CONTROL for c in text)


def media_type(data: bytes, file_name: str) -> str:
    """The media type of ``data`` read from its content: ``application/pdf``, ``image/png``,
    ``image/jpeg`` or ``text/plain`` (UTF-8 without control characters).

    Raises :class:`EvidenceError`: ``evidence.empty``; ``evidence.refused_type`` when the content is
    a recognised kind that is not allowed (a program, an archive, an office file...; ``detected``
    names it); ``evidence.unknown_type`` when it is none of the allowed kinds; and
    ``evidence.name_disagrees`` when the name's extension says another kind than the content (an
    executable renamed ``.pdf`` is refused as a program, before its name is looked at).
    """
    if not data:
        raise EvidenceError("evidence.empty", file_name=file_name)
    kind = filetype.guess(data)
    if kind is not None:
        found = "image/jpeg" if kind.mime == "image/jpeg" else kind.mime
        if found not in EXTENSIONS:
            raise EvidenceError("evidence.refused_type", file_name=file_name, detected=f".{kind.extension}")
    elif data.startswith(b"%PDF-"):
        found = "application/pdf"
    elif _is_text(data):
        found = "text/plain"
    else:
        raise EvidenceError("evidence.unknown_type", file_name=file_name)
    suffix = PurePosixPath(file_name.lower()).suffix
    if suffix not in EXTENSIONS[found]:
        raise EvidenceError("evidence.name_disagrees", file_name=file_name, extension=suffix or "–",
                            expected=EXTENSIONS[found][0])
    return found


def attachments_of(audit: Audit, version: int | None = None) -> list[Attachment]:
    """The documents attached to ``audit``'s answers in ``version`` (default: the audit's current
    version), in the order they were attached."""
    version = audit.version if version is None else version
    return list(db.session.scalars(
        sa.select(Attachment).where(Attachment.audit_id == audit.id, Attachment.added_in_version <= version,
                                    sa.or_(Attachment.removed_in_version.is_(None),
                                           Attachment.removed_in_version > version))
        .order_by(Attachment.id)))


def find(audit: Audit, attachment_id: int) -> Attachment | None:
    """The attachment with this id if it belongs to ``audit`` (any version), else ``None``."""
    attachment = db.session.get(Attachment, attachment_id)
    return attachment if attachment is not None and attachment.audit_id == audit.id else None


def requests_of(audit: Audit, *, open_only: bool = True) -> list[ActionItem]:
    """The audit's document requests (only those still waiting for a document unless ``open_only``
    is false), oldest first."""
    stmt = sa.select(ActionItem).where(ActionItem.audit_id == audit.id, ActionItem.kind == "document_request")
    if open_only:
        stmt = stmt.where(ActionItem.state == "open")
    return list(db.session.scalars(stmt.order_by(ActionItem.id)))


def find_request(audit: Audit, request_id: int) -> ActionItem:
    """The open document request ``request_id`` of ``audit``. Raises :class:`EvidenceError`
    (``evidence.unknown_request``) if there is none with that id, or ``evidence.request_done`` if it
    was already answered."""
    item = db.session.get(ActionItem, request_id)
    if item is None or item.audit_id != audit.id or item.kind != "document_request":
        raise EvidenceError("evidence.unknown_request", action_id=request_id)
    if item.state != "open":
        raise EvidenceError("evidence.request_done", request=item.action)
    return item


def request_question(questionnaire: Questionnaire, request: ActionItem) -> str | None:
    """The question a document request's answer is best attached to: for a finding, the first answer
    the finding rests on (its evidence in the submission the request was made on); for a section,
    its first question; ``None`` if neither is known."""
    if request.target_kind == "section":
        try:
            return questionnaire.section(request.target_id or "").questions[0].id
        except (KeyError, IndexError):
            return None
    submission = db.session.scalar(sa.select(Submission).where(
        Submission.audit_id == request.audit_id, Submission.number == request.submission_number))
    if submission is None:
        return None
    for finding in submission.assessment.read_result().findings:
        if finding.rule_id == request.target_id:
            return next((e.question for e in finding.evidence if e.question in questionnaire.questions), None)
    return None


def _answer(audit: Audit, request: ActionItem, attachment: Attachment, user: User | None) -> None:
    """Link ``request`` to ``attachment`` and mark it done, its note naming the document and its
    SHA-256; an "action_done" trail event says which attachment answered it."""
    note = f"{attachment.file_name} (SHA-256 {attachment.sha256})"
    request.attachment = attachment
    request.state, request.done_note, request.done_at = "done", note, dt.datetime.now(dt.UTC)
    db.session.flush()
    trail.record(audit, "action_done", user, {"action_id": request.id, "note": note, "attachment_id": attachment.id,
                                              "file_name": attachment.file_name, "sha256": attachment.sha256})


def _details(attachment: Attachment) -> dict[str, object]:
    return {"question": attachment.question_id, "file_name": attachment.file_name,
            "media_type": attachment.media_type, "size": attachment.size_bytes, "sha256": attachment.sha256,
            "version": attachment.added_in_version}


def add(questionnaire: Questionnaire, audit: Audit, upload: Upload, user: User | None, *, store: AttachmentStore,
        max_bytes: int, max_count: int) -> Attachment:
    """Check ``upload`` and attach it to the answer of ``upload.question_id`` in the audit's current
    version (flushed; the bytes are in ``store`` before this returns), with an "attachment_added"
    trail event by ``user``. With ``upload.request_id`` the document answers that document request:
    the request is linked to it and done (an "action_done" event follows, see :func:`find_request`).

    Raises :class:`EvidenceError` when the audit's answers are frozen, the question does not exist,
    the request is not an open document request of the audit, the file has no usable name, is empty
    or larger than ``max_bytes``, is not an allowed kind of document (see :func:`media_type`), is
    already attached to that answer, or the version already carries ``max_count`` documents. Nothing
    is stored then.
    """
    if not audit.editable:
        raise EvidenceError("evidence.frozen", report_id=audit.report_id, status=audit.status)
    if upload.question_id not in questionnaire.questions:
        raise EvidenceError("evidence.unknown_question", question=upload.question_id)
    request = find_request(audit, upload.request_id) if upload.request_id is not None else None
    file_name = clean_file_name(upload.file_name)
    if len(upload.data) > max_bytes:
        raise EvidenceError("evidence.too_large", file_name=file_name, size=f"{len(upload.data):,}",
                            limit=f"{max_bytes:,}", limit_mib=mib(max_bytes))
    found = media_type(upload.data, file_name)
    current = attachments_of(audit)
    if len(current) >= max_count:
        raise EvidenceError("evidence.too_many", limit=max_count)
    sha256 = hashlib.sha256(upload.data).hexdigest()
    if any(a.sha256 == sha256 and a.question_id == upload.question_id for a in current):
        raise EvidenceError("evidence.already_attached", file_name=file_name)
    store.put(upload.data)
    attachment = Attachment(audit_id=audit.id, question_id=upload.question_id, file_name=file_name,
                            media_type=found, size_bytes=len(upload.data), sha256=sha256,
                            added_in_version=audit.version, uploaded_by_id=user.id if user else None)
    db.session.add(attachment)
    db.session.flush()
    trail.record(audit, "attachment_added", user, _details(attachment))
    if request is not None:
        _answer(audit, request, attachment, user)
    return attachment


def remove(audit: Audit, attachment: Attachment, user: User | None) -> str | None:
    """Detach ``attachment`` from ``audit``'s current version (flushed), with an "attachment_removed"
    trail event by ``user``.

    An attachment added in this version (never submitted) is deleted: the SHA-256 of its bytes is
    returned, for :func:`forget_unused` once the change is committed. One an earlier version carried
    stays on record for that version (``None`` is returned). Raises :class:`EvidenceError` when the
    audit's answers are frozen, the attachment is not part of the current version, or it would be
    deleted while it answers a document request (the answer stays on record: ``evidence.answers_request``).
    """
    if not audit.editable:
        raise EvidenceError("evidence.frozen", report_id=audit.report_id, status=audit.status)
    if attachment.audit_id != audit.id or attachment not in attachments_of(audit):
        raise EvidenceError("evidence.not_attached", file_name=attachment.file_name)
    answered = db.session.scalar(sa.select(ActionItem).where(ActionItem.attachment_id == attachment.id).limit(1))
    if answered is not None and attachment.added_in_version == audit.version:
        raise EvidenceError("evidence.answers_request", file_name=attachment.file_name, request=answered.action)
    details = {**_details(attachment), "version": audit.version}
    unused = None
    if attachment.added_in_version == audit.version:
        unused = attachment.sha256
        db.session.delete(attachment)
    else:
        attachment.removed_in_version = audit.version
    db.session.flush()
    trail.record(audit, "attachment_removed", user, details)
    return unused


def forget_unused(sha256: str, store: AttachmentStore) -> bool:
    """Delete the bytes under ``sha256`` from ``store`` if no attachment of any audit refers to them
    (call after the removal is committed, so a rolled-back removal never loses a document); returns
    whether they were deleted."""
    if db.session.scalar(sa.select(Attachment.id).where(Attachment.sha256 == sha256).limit(1)) is not None:
        return False
    store.delete(sha256)
    return True


def read(attachment: Attachment, store: AttachmentStore) -> bytes:
    """The attachment's bytes from ``store``; raises :class:`app.evidence.storage.StoredDocumentMissing`
    if the store lost them or they no longer hash to the recorded SHA-256."""
    return store.get(attachment.sha256)


def appendix_rows(questionnaire: Questionnaire, audit: Audit, lang: str,
                  version: int | None = None) -> list[dict[str, object]]:
    """The documents of ``audit``'s ``version`` (default: current) as the report's appendix lists them:
    ``question`` (its label in ``lang``, or its id if the questionnaire lost it), ``file_name``,
    ``size_bytes`` (int) and ``sha256`` (hex). Plain data: the report never sees a document's bytes."""
    out = []
    for a in attachments_of(audit, version):
        q = questionnaire.questions.get(a.question_id)
        out.append({"question": q.label[lang] if q else a.question_id, "file_name": a.file_name,
                    "size_bytes": a.size_bytes, "sha256": a.sha256})
    return out
