"""Portable audits: a whole audit as one versioned JSON document, and its import into another instance.

The document (schema: ``app/static/schemas/portable-audit-2.schema.json``) is::

    {"$schema": SCHEMA_ID, "format": "eduaudit-portable-audit", "format_version": 2,
     "exported_at": "...Z", "content_sha256": "<64 hex>", "content": {...}}

``content`` holds the audit (its current answers and status), every version's answers, every
assessment (answers, rule set, result), the fingerprints of the PDFs issued, every submission with
its decision, acknowledgement and ratings, every action-plan item (the reviewer's and the school's,
with state, done note and the rating it follows), the documents attached to the answers (metadata in
``attachments``, bytes in base64 in ``documents`` keyed by SHA-256), and the trail.
``content_sha256`` is the SHA-256 of ``content`` in canonical JSON (keys sorted, no spaces, UTF-8),
so a file changed after export is refused on import. It detects change, not authorship: anyone can
recompute it (see docs/api.md). Version 1 files (no acknowledgement, only the reviewer's items as
they hung on ratings, no documents) are still read.

Import (:func:`import_audit`) adds the audit to a school of this instance: the same report id when
it is free here, else a new one; regulators are matched by name and created when missing; who
submitted, decided and rated is matched by e-mail address to this instance's accounts, and left
empty where there is none (the trail keeps every actor's address either way); every document is
checked (its bytes hash to its SHA-256 and are of its media type, within this instance's size limit)
before anything is written, and goes to this instance's attachment store; the PDFs issued
there are not recorded as issued here (``/verify`` answers for this instance only): their
fingerprints stay in the "imported" trail event. Publications are not carried.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import sqlalchemy as sa

from .. import trail
from ..evidence import services as evidence
from ..evidence.storage import AttachmentStore, StoredDocumentMissing
from ..extensions import current_ruleset, db
from ..models import (
    ActionItem,
    AssessmentSnapshot,
    Attachment,
    Audit,
    AuditEvent,
    IssuedReport,
    Organisation,
    Rating,
    Submission,
    User,
    new_report_id,
)
from ..problems import Problem
from ..timefmt import as_utc
from . import services

FORMAT = "eduaudit-portable-audit"
FORMAT_VERSION = 2
"""The version this instance writes."""
READS = (1, 2)
"""The versions this instance reads (a version 1 file is read as version 2 without what it lacks)."""
SCHEMA_ID = "https://eduaudit.example/schemas/portable-audit/2"
SCHEMAS = Path(__file__).resolve().parent.parent / "static" / "schemas"
SCHEMA_PATH = SCHEMAS / "portable-audit-2.schema.json"


class PortableError(Problem, ValueError):
    """A portable audit cannot be imported; the code (``portable.*``) says why."""


def _at(value: dt.datetime | None) -> str | None:
    return None if value is None else as_utc(value).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _parse_at(value: str | None) -> dt.datetime | None:
    return None if value is None else dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def content_hash(content: Any) -> str:
    """SHA-256 (hex) of ``content`` as canonical JSON: keys sorted, no spaces, UTF-8."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def export_audit(audit: Audit, *, store: AttachmentStore, now: dt.datetime | None = None) -> dict[str, Any]:
    """``audit`` as a portable document (see the module), the attached documents' bytes read from
    ``store``; reads, changes nothing. Raises :class:`PortableError` ``portable.document_missing`` when
    the store no longer holds a document's bytes (or they no longer hash to its SHA-256): the audit
    cannot be carried whole."""
    assessments = list(db.session.scalars(sa.select(AssessmentSnapshot).where(AssessmentSnapshot.audit_id == audit.id)
                                          .order_by(AssessmentSnapshot.id)))
    submissions = list(db.session.scalars(sa.select(Submission).where(Submission.audit_id == audit.id)
                                          .order_by(Submission.number)))
    reports = list(db.session.scalars(sa.select(IssuedReport).where(IssuedReport.audit_id == audit.id)
                                      .order_by(IssuedReport.id)))
    actions = list(db.session.scalars(sa.select(ActionItem).where(ActionItem.audit_id == audit.id)
                                      .order_by(ActionItem.id)))
    attachments = list(db.session.scalars(sa.select(Attachment).where(Attachment.audit_id == audit.id)
                                          .order_by(Attachment.id)))
    versions: dict[int, dict[str, Any]] = {}
    for s in submissions:
        versions[s.version] = {"version": s.version, "answers": s.assessment.answers, "from": "submission"}
    versions[audit.version] = {"version": audit.version, "answers": dict(audit.answers), "from": "current"}
    content = {
        "audit": {"report_id": audit.report_id, "product_name": audit.product_name,
                  "vendor_name": audit.vendor_name, "jurisdiction": audit.jurisdiction, "status": audit.status,
                  "version": audit.version, "created_at": _at(audit.created_at), "updated_at": _at(audit.updated_at),
                  "school": audit.organisation.name if audit.organisation else None,
                  "regulator": audit.regulator.name if audit.regulator else None, "answers": dict(audit.answers)},
        "versions": [versions[v] for v in sorted(versions)],
        "assessments": [{"ref": a.id, "created_at": _at(a.created_at), "rule_set_version": a.rule_set_version,
                         "rule_set_sha256": a.rule_set_sha256, "jurisdiction": a.jurisdiction,
                         "as_of": a.as_of.isoformat(), "verdict": a.verdict, "answers": a.answers,
                         "result": a.result} for a in assessments],
        "issued_reports": [{"assessment_ref": r.assessment_id, "lang": r.lang, "sha256": r.sha256,
                            "size_bytes": r.size_bytes, "rule_set_version": r.rule_set_version,
                            "rule_set_sha256": r.rule_set_sha256, "issued_at": _at(r.issued_at),
                            "audit_version": r.audit_version, "status": r.status, "school_name": r.school_name}
                           for r in reports],
        "submissions": [_submission(s) for s in submissions],
        "actions": [_action(item, [a.id for a in attachments]) for item in actions],
        "attachments": [_attachment(a) for a in attachments],
        "documents": _documents(attachments, store),
        "trail": [{**row, "at": _at(event.at)} for row, event in zip(trail.export_rows(audit), trail.events(audit),
                                                                    strict=True)],
    }
    return {"$schema": SCHEMA_ID, "format": FORMAT, "format_version": FORMAT_VERSION,
            "exported_at": _at(now or dt.datetime.now(dt.UTC)), "content_sha256": content_hash(content),
            "content": content}


def _email(user_id: int | None) -> str | None:
    user = None if user_id is None else db.session.get(User, user_id)
    return None if user is None else user.email


def _submission(s: Submission) -> dict[str, Any]:
    return {"number": s.number, "version": s.version, "assessment_ref": s.assessment_id,
            "regulator": s.regulator.name, "submitted_by": _email(s.submitted_by_id),
            "submitted_at": _at(s.submitted_at), "note": s.note, "decision": s.decision,
            "decision_comment": s.decision_comment, "decided_by": _email(s.decided_by_id),
            "decided_at": _at(s.decided_at), "acknowledgement": s.acknowledgement,
            "ratings": [{"target_kind": r.target_kind, "target_id": r.target_id, "rating": r.value,
                         "comment": r.comment, "reviewer": _email(r.reviewer_id), "updated_at": _at(r.updated_at)}
                        for r in s.ratings]}


def _action(item: ActionItem, attachment_ids: list[int]) -> dict[str, Any]:
    """One action-plan item; ``attachment`` is the index in ``attachment_ids`` (the exported
    attachments, in order) of the document that answered a request, or ``None``."""
    rating = item.rating
    return {"source": item.source, "kind": item.kind, "action": item.action, "owner": item.owner,
            "attachment": attachment_ids.index(item.attachment_id) if item.attachment_id is not None else None,
            "due_date": item.due_date.isoformat(), "created_at": _at(item.created_at),
            "created_by": _email(item.created_by_id), "state": item.state, "done_note": item.done_note,
            "done_at": _at(item.done_at), "target_kind": item.target_kind, "target_id": item.target_id,
            "submission_number": item.submission_number,
            "rating": None if rating is None else {"submission": rating.submission.number,
                                                   "target_kind": rating.target_kind, "target_id": rating.target_id}}


def _attachment(a: Attachment) -> dict[str, Any]:
    return {"question_id": a.question_id, "file_name": a.file_name, "media_type": a.media_type,
            "size_bytes": a.size_bytes, "sha256": a.sha256, "added_in_version": a.added_in_version,
            "removed_in_version": a.removed_in_version, "uploaded_by": _email(a.uploaded_by_id),
            "uploaded_at": _at(a.uploaded_at)}


def _documents(attachments: list[Attachment], store: AttachmentStore) -> dict[str, str]:
    """SHA-256 -> base64 of the bytes, once per distinct document."""
    out: dict[str, str] = {}
    for a in attachments:
        if a.sha256 in out:
            continue
        try:
            data = evidence.read(a, store)
        except StoredDocumentMissing:
            raise PortableError("portable.document_missing", file_name=a.file_name, sha256=a.sha256) from None
        out[a.sha256] = base64.b64encode(data).decode("ascii")
    return out


@cache
def schema(version: int = FORMAT_VERSION) -> dict[str, Any]:
    """The JSON Schema of the portable document of format ``version`` (one of :data:`READS`;
    ``app/static/schemas/portable-audit-<version>.schema.json``)."""
    return json.loads((SCHEMAS / f"portable-audit-{version}.schema.json").read_text(encoding="utf-8"))


def read_document(document: Any) -> dict[str, Any]:
    """Check a parsed portable document of a version this instance reads (:data:`READS`) and return
    it. Raises :class:`PortableError`: ``portable.incompatible`` (not a portable audit, or a format
    version this instance does not read), ``portable.invalid`` (does not match its version's schema;
    names the path), ``portable.tampered`` (the content hash does not match the content)."""
    if not isinstance(document, dict) or document.get("format") != FORMAT \
            or document.get("format_version") not in READS or isinstance(document.get("format_version"), bool):
        found = document if isinstance(document, dict) else {}
        raise PortableError("portable.incompatible", format=str(found.get("format", "?"))[:100],
                            version=str(found.get("format_version", "?"))[:20], expected=FORMAT,
                            expected_versions=list(READS))
    validator = jsonschema.Draft202012Validator(schema(document["format_version"]))
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is not None:
        path = "/".join(str(p) for p in error.absolute_path) or "(top)"
        raise PortableError("portable.invalid", path=path, error=error.message[:300])
    actual = content_hash(document["content"])
    if actual != document["content_sha256"]:
        raise PortableError("portable.tampered", actual=actual, expected=document["content_sha256"])
    return document


def check_size(size: int, max_bytes: int) -> None:
    """Raise :class:`PortableError` ``portable.too_large`` when a file of ``size`` bytes is larger than
    ``max_bytes`` (``PORTABLE_IMPORT_MAX_BYTES``)."""
    if size > max_bytes:
        raise PortableError("portable.too_large", size=f"{size:,}", limit=f"{max_bytes:,}",
                            limit_mib=evidence.mib(max_bytes))


def parse_file(raw: bytes, *, max_bytes: int) -> dict[str, Any]:
    """Parse and check the bytes of a portable file (:func:`read_document`); ``portable.too_large``
    when there are more than ``max_bytes`` (``PORTABLE_IMPORT_MAX_BYTES``), ``portable.not_json`` when
    they are not UTF-8 JSON."""
    check_size(len(raw), max_bytes)
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PortableError("portable.not_json", error=str(exc)[:200]) from None
    return read_document(document)


def upgrade_v1(content: dict[str, Any]) -> dict[str, Any]:
    """The ``content`` of a version 1 document in version 2's shape: no acknowledgements (``""``), the
    action items that hung on ratings as reviewer's items (open: version 1 did not carry their
    state), no documents."""
    submissions, actions = [], []
    for s in content["submissions"]:
        ratings = []
        for r in s["ratings"]:
            item = r["action"]
            ratings.append({k: v for k, v in r.items() if k != "action"})
            if item is not None:
                actions.append({"source": "reviewer", "action": item["action"], "owner": item["owner"],
                                "due_date": item["due_date"], "created_at": item["created_at"],
                                "created_by": r["reviewer"], "state": "open", "done_note": "", "done_at": None,
                                "target_kind": r["target_kind"], "target_id": r["target_id"],
                                "submission_number": s["number"],
                                "rating": {"submission": s["number"], "target_kind": r["target_kind"],
                                           "target_id": r["target_id"]}})
        submissions.append({**s, "acknowledgement": "", "ratings": ratings})
    return {**content, "submissions": submissions, "actions": actions, "attachments": [], "documents": {}}


@dataclass
class Imported:
    """What :func:`import_audit` made: the new audit, the report id it had in the file, and the
    regulators created because this instance had none of that name."""

    audit: Audit
    original_report_id: str
    created_regulators: list[str] = field(default_factory=list)


def import_audit(document: Any, school: Organisation | None, user: User | None = None, *,
                 store: AttachmentStore, max_document_bytes: int) -> Imported:
    """Add the audit of a portable ``document`` (already parsed JSON, version 1 or 2) to ``school``
    (flushed, not committed), with an "imported" trail event by ``user`` after the file's own trail;
    the attached documents' bytes go to ``store``, after every row is flushed.

    Raises :class:`PortableError` for a document :func:`read_document` refuses, or when ``school`` is
    not a school (``portable.not_a_school``), a regulator the file names exists here as another kind of
    organisation (``portable.not_a_regulator``), a document's bytes do not hash to its SHA-256
    (``portable.document_mismatch``) or are not what this instance accepts as evidence (larger than
    ``max_document_bytes`` or not an accepted kind: ``portable.document_refused``; of another media
    type than recorded: ``portable.document_type``). Every
    document is checked before anything is written; the caller rolls back on an error.
    """
    checked = read_document(document)
    content = checked["content"] if checked["format_version"] == FORMAT_VERSION else upgrade_v1(checked["content"])
    documents = _checked_documents(content, max_document_bytes)
    try:
        result = _import(document, content, school, user)
    except (ValueError, KeyError, TypeError, sa.exc.IntegrityError) as exc:
        if isinstance(exc, PortableError):
            raise
        # A value the schema lets through but this instance cannot store (a date like 2026-02-30, two
        # submissions with one number): nothing is kept, the caller rolls back.
        raise PortableError("portable.invalid", path="content", error=str(exc)[:300]) from None
    for data in documents.values():
        store.put(data)  # content-addressed: bytes left by a rolled-back import are harmless
    return result


def _checked_documents(content: dict[str, Any], max_bytes: int) -> dict[str, bytes]:
    """The decoded bytes of ``content["documents"]`` by SHA-256, each checked against its key and
    against every attachment naming it; raises :class:`PortableError` (nothing is written yet)."""
    decoded: dict[str, bytes] = {}
    for sha256, text in content["documents"].items():
        try:
            decoded[sha256] = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise PortableError("portable.invalid", path=f"content/documents/{sha256}",
                                error="not base64 (RFC 4648 with padding)") from None
    named = {a["sha256"] for a in content["attachments"]}
    if set(decoded) != named:
        sha256 = sorted(set(decoded) ^ named)[0]
        raise PortableError("portable.invalid", path=f"content/documents/{sha256}",
                            error="no attachment names this document" if sha256 in decoded
                            else "an attachment names this document but the file does not carry it")
    for n, a in enumerate(content["attachments"]):
        data = decoded[a["sha256"]]
        actual = hashlib.sha256(data).hexdigest()
        if actual != a["sha256"]:
            raise PortableError("portable.document_mismatch", file_name=a["file_name"], expected=a["sha256"],
                                actual=actual)
        if len(data) != a["size_bytes"]:
            raise PortableError("portable.invalid", path=f"content/attachments/{n}/size_bytes",
                                error=f"{a['size_bytes']} bytes recorded, the document has {len(data)}")
        try:
            if len(data) > max_bytes:
                raise evidence.EvidenceError("evidence.too_large", file_name=a["file_name"], size=f"{len(data):,}",
                                             limit=f"{max_bytes:,}", limit_mib=evidence.mib(max_bytes))
            found = evidence.media_type(data, a["file_name"])
        except evidence.EvidenceError as exc:
            raise PortableError("portable.document_refused", file_name=a["file_name"], problem=exc) from None
        if found != a["media_type"]:
            raise PortableError("portable.document_type", file_name=a["file_name"], recorded=a["media_type"],
                                found=found)
    return decoded


def _import(document: dict[str, Any], content: dict[str, Any], school: Organisation | None,
            user: User | None) -> Imported:
    if school is None or school.kind != "school":
        raise PortableError("portable.not_a_school", name=school.name if school else "",
                            org_kind=school.kind if school else "none")
    result = Imported(audit=None, original_report_id=content["audit"]["report_id"])  # type: ignore[arg-type]
    regulators: dict[str, Organisation] = {}
    names = {s["regulator"] for s in content["submissions"]} | (
        {content["audit"]["regulator"]} if content["audit"]["regulator"] else set())
    for name in sorted(names):
        org = db.session.scalar(sa.select(Organisation).where(Organisation.name == name))
        if org is None:
            org = Organisation(name=name, kind="regulator")
            db.session.add(org)
            db.session.flush()
            result.created_regulators.append(name)
        elif org.kind != "regulator":
            raise PortableError("portable.not_a_regulator", name=name, org_kind=org.kind)
        regulators[name] = org
    result.audit = audit = _audit(content["audit"], school, regulators)
    refs: dict[int, AssessmentSnapshot] = {}
    for a in content["assessments"]:
        snapshot = AssessmentSnapshot(audit=audit, rule_set_version=a["rule_set_version"],
                                      rule_set_sha256=a["rule_set_sha256"], jurisdiction=a["jurisdiction"],
                                      as_of=dt.date.fromisoformat(a["as_of"]), verdict=a["verdict"],
                                      answers=a["answers"], result=a["result"], created_at=_parse_at(a["created_at"]))
        db.session.add(snapshot)
        refs[a["ref"]] = snapshot
    db.session.flush()
    ratings: dict[tuple[int, str, str], Rating] = {}
    for s in content["submissions"]:
        _add_submission(s, audit, refs, regulators, ratings)
    attachments = []
    for a in content["attachments"]:
        attachment = Attachment(audit_id=audit.id, question_id=a["question_id"], file_name=a["file_name"],
                                media_type=a["media_type"], size_bytes=a["size_bytes"], sha256=a["sha256"],
                                added_in_version=a["added_in_version"], removed_in_version=a["removed_in_version"],
                                uploaded_by_id=_user_id(a["uploaded_by"]), uploaded_at=_parse_at(a["uploaded_at"]))
        db.session.add(attachment)
        attachments.append(attachment)
    db.session.flush()
    for n, item in enumerate(content["actions"]):
        _add_action(n, item, audit, ratings, attachments)
    for row in content["trail"]:
        db.session.add(AuditEvent(audit_id=audit.id, actor_id=None, actor=row["actor"], kind=row["kind"],
                                  at=_parse_at(row["at"]), details=row["details"]))
    db.session.flush()
    trail.record(audit, "imported", user, {
        "from_report_id": result.original_report_id, "exported_at": document["exported_at"],
        "content_sha256": document["content_sha256"], "format_version": document["format_version"],
        "issued_reports": content["issued_reports"], "created_regulators": result.created_regulators})
    return result


def _audit(data: dict[str, Any], school: Organisation, regulators: dict[str, Organisation]) -> Audit:
    report_id = data["report_id"]
    while db.session.scalar(sa.select(Audit.id).where(Audit.report_id == report_id)) is not None:
        report_id = new_report_id()
    regulator = regulators.get(data["regulator"]) if data["regulator"] else None
    audit = Audit(report_id=report_id, answers=data["answers"], status=data["status"], version=data["version"],
                  organisation_id=school.id, regulator_id=regulator.id if regulator else None,
                  created_at=_parse_at(data["created_at"]), updated_at=_parse_at(data["updated_at"]))
    # The mirrored columns and the registry product come from the answers as this instance reads them.
    services.mirror_answers(audit, current_ruleset().questionnaire.load(data["answers"]).typed)
    db.session.add(audit)
    db.session.flush()
    return audit


def _user_id(email: str | None) -> int | None:
    """The id of this instance's account with ``email``, or ``None``."""
    return None if email is None else db.session.scalar(sa.select(User.id).where(User.email == email))


def _add_submission(s: dict[str, Any], audit: Audit, refs: dict[int, AssessmentSnapshot],
                    regulators: dict[str, Organisation], ratings: dict[tuple[int, str, str], Rating]) -> None:
    snapshot = refs.get(s["assessment_ref"])
    if snapshot is None:
        raise PortableError("portable.invalid", path=f"content/submissions/{s['number']}/assessment_ref",
                            error=f"no assessment with ref {s['assessment_ref']}")
    submission = Submission(audit_id=audit.id, number=s["number"], version=s["version"], assessment_id=snapshot.id,
                            regulator_id=regulators[s["regulator"]].id, submitted_at=_parse_at(s["submitted_at"]),
                            submitted_by_id=_user_id(s["submitted_by"]), decided_by_id=_user_id(s["decided_by"]),
                            note=s["note"], decision=s["decision"], decision_comment=s["decision_comment"],
                            decided_at=_parse_at(s["decided_at"]), acknowledgement=s["acknowledgement"])
    db.session.add(submission)
    db.session.flush()
    for r in s["ratings"]:
        rating = Rating(submission=submission, target_kind=r["target_kind"], target_id=r["target_id"],
                        value=r["rating"], comment=r["comment"], updated_at=_parse_at(r["updated_at"]),
                        reviewer_id=_user_id(r["reviewer"]))
        db.session.add(rating)
        ratings[(s["number"], r["target_kind"], r["target_id"])] = rating
    db.session.flush()


def _add_action(n: int, item: dict[str, Any], audit: Audit, ratings: dict[tuple[int, str, str], Rating],
                attachments: list[Attachment]) -> None:
    """Add one action-plan item; files written before document requests existed carry no ``kind``
    (an action) and no ``attachment``."""
    index = item.get("attachment")
    if index is not None and index >= len(attachments):
        raise PortableError("portable.invalid", path=f"content/actions/{n}/attachment",
                            error=f"no attachment at index {index}")
    rating = None
    if item["rating"] is not None:
        key = (item["rating"]["submission"], item["rating"]["target_kind"], item["rating"]["target_id"])
        rating = ratings.get(key)
        if rating is None:
            raise PortableError("portable.invalid", path=f"content/actions/{n}/rating",
                                error="no rating of submission {} on {}:{}".format(*key))
    db.session.add(ActionItem(audit_id=audit.id, rating=rating, source=item["source"], action=item["action"],
                              owner=item["owner"], due_date=dt.date.fromisoformat(item["due_date"]),
                              created_at=_parse_at(item["created_at"]), created_by_id=_user_id(item["created_by"]),
                              state=item["state"], done_note=item["done_note"], done_at=_parse_at(item["done_at"]),
                              target_kind=item["target_kind"], target_id=item["target_id"],
                              submission_number=item["submission_number"], kind=item.get("kind", "action"),
                              attachment=attachments[index] if index is not None else None))
    db.session.flush()
