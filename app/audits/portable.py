"""Portable audits: a whole audit as one versioned JSON document, and its import into another instance.

The document (schema: ``app/static/schemas/portable-audit-1.schema.json``) is::

    {"$schema": SCHEMA_ID, "format": "eduaudit-portable-audit", "format_version": 1,
     "exported_at": "...Z", "content_sha256": "<64 hex>", "content": {...}}

``content`` holds the audit (its current answers and status), every version's answers, every
assessment (answers, rule set, result), the fingerprints of the PDFs issued, every submission with
its decision, ratings and action items, and the trail. ``content_sha256`` is the SHA-256 of
``content`` in canonical JSON (keys sorted, no spaces, UTF-8), so a file changed after export is
refused on import. It detects change, not authorship: anyone can recompute it (see docs/api.md).

Import (:func:`import_audit`) adds the audit to a school of this instance: the same report id when
it is free here, else a new one; regulators are matched by name and created when missing; who
submitted, decided and rated is matched by e-mail address to this instance's accounts, and left
empty where there is none (the trail keeps every actor's address either way); the PDFs issued
there are not recorded as issued here (``/verify`` answers for this instance only): their
fingerprints stay in the "imported" trail event. Publications are not carried.
"""

from __future__ import annotations

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
from ..extensions import current_ruleset, db
from ..models import (
    ActionItem,
    AssessmentSnapshot,
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
FORMAT_VERSION = 1
SCHEMA_ID = "https://eduaudit.example/schemas/portable-audit/1"
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "static" / "schemas" / "portable-audit-1.schema.json"


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


def export_audit(audit: Audit, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """``audit`` as a portable document (see the module); reads, changes nothing."""
    assessments = list(db.session.scalars(sa.select(AssessmentSnapshot).where(AssessmentSnapshot.audit_id == audit.id)
                                          .order_by(AssessmentSnapshot.id)))
    submissions = list(db.session.scalars(sa.select(Submission).where(Submission.audit_id == audit.id)
                                          .order_by(Submission.number)))
    reports = list(db.session.scalars(sa.select(IssuedReport).where(IssuedReport.audit_id == audit.id)
                                      .order_by(IssuedReport.id)))
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
        "trail": [{**row, "at": _at(event.at)} for row, event in zip(trail.export_rows(audit), trail.events(audit),
                                                                    strict=True)],
    }
    return {"$schema": SCHEMA_ID, "format": FORMAT, "format_version": FORMAT_VERSION,
            "exported_at": _at(now or dt.datetime.now(dt.UTC)), "content_sha256": content_hash(content),
            "content": content}


def _email(user: User | None) -> str | None:
    return user.email if user is not None else None


def _submission(s: Submission) -> dict[str, Any]:
    return {"number": s.number, "version": s.version, "assessment_ref": s.assessment_id,
            "regulator": s.regulator.name, "submitted_by": _email(s.submitted_by), "submitted_at": _at(s.submitted_at),
            "note": s.note, "decision": s.decision, "decision_comment": s.decision_comment,
            "decided_by": _email(s.decided_by), "decided_at": _at(s.decided_at),
            "ratings": [{"target_kind": r.target_kind, "target_id": r.target_id, "rating": r.value,
                         "comment": r.comment, "reviewer": _email(r.reviewer), "updated_at": _at(r.updated_at),
                         "action": None if r.action_item is None else {
                             "action": r.action_item.action, "owner": r.action_item.owner,
                             "due_date": r.action_item.due_date.isoformat(),
                             "created_at": _at(r.action_item.created_at)}}
                        for r in s.ratings]}


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema of the portable document (``app/static/schemas/portable-audit-1.schema.json``)."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def read_document(document: Any) -> dict[str, Any]:
    """Check a parsed portable document and return it. Raises :class:`PortableError`:
    ``portable.incompatible`` (not a portable audit, or a format version this instance does not read),
    ``portable.invalid`` (does not match the schema; names the path), ``portable.tampered`` (the
    content hash does not match the content)."""
    if not isinstance(document, dict) or document.get("format") != FORMAT \
            or document.get("format_version") != FORMAT_VERSION:
        found = document if isinstance(document, dict) else {}
        raise PortableError("portable.incompatible", format=str(found.get("format", "?"))[:100],
                            version=str(found.get("format_version", "?"))[:20], expected=FORMAT,
                            expected_version=FORMAT_VERSION)
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema()).iter_errors(document))
    if error is not None:
        path = "/".join(str(p) for p in error.absolute_path) or "(top)"
        raise PortableError("portable.invalid", path=path, error=error.message[:300])
    actual = content_hash(document["content"])
    if actual != document["content_sha256"]:
        raise PortableError("portable.tampered", actual=actual, expected=document["content_sha256"])
    return document


def parse_file(raw: bytes) -> dict[str, Any]:
    """Parse and check the bytes of a portable file (:func:`read_document`); ``portable.not_json`` when
    they are not UTF-8 JSON."""
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PortableError("portable.not_json", error=str(exc)[:200]) from None
    return read_document(document)


@dataclass
class Imported:
    """What :func:`import_audit` made: the new audit, the report id it had in the file, and the
    regulators created because this instance had none of that name."""

    audit: Audit
    original_report_id: str
    created_regulators: list[str] = field(default_factory=list)


def import_audit(document: Any, school: Organisation | None, user: User | None = None) -> Imported:
    """Add the audit of a portable ``document`` (already parsed JSON) to ``school`` (flushed, not
    committed), with an "imported" trail event by ``user`` after the file's own trail.

    Raises :class:`PortableError` for a document :func:`read_document` refuses, or when ``school`` is
    not a school (``portable.not_a_school``), or a regulator the file names exists here as another
    kind of organisation (``portable.not_a_regulator``).
    """
    content = read_document(document)["content"]
    try:
        return _import(document, content, school, user)
    except (ValueError, KeyError, TypeError, sa.exc.IntegrityError) as exc:
        if isinstance(exc, PortableError):
            raise
        # A value the schema lets through but this instance cannot store (a date like 2026-02-30, two
        # submissions with one number): nothing is kept, the caller rolls back.
        raise PortableError("portable.invalid", path="content", error=str(exc)[:300]) from None


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
    for s in content["submissions"]:
        _add_submission(s, audit, refs, regulators)
    for row in content["trail"]:
        db.session.add(AuditEvent(audit_id=audit.id, actor_id=None, actor=row["actor"], kind=row["kind"],
                                  at=_parse_at(row["at"]), details=row["details"]))
    db.session.flush()
    trail.record(audit, "imported", user, {
        "from_report_id": result.original_report_id, "exported_at": document["exported_at"],
        "content_sha256": document["content_sha256"], "format_version": FORMAT_VERSION,
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
                    regulators: dict[str, Organisation]) -> None:
    snapshot = refs.get(s["assessment_ref"])
    if snapshot is None:
        raise PortableError("portable.invalid", path=f"content/submissions/{s['number']}/assessment_ref",
                            error=f"no assessment with ref {s['assessment_ref']}")
    submission = Submission(audit_id=audit.id, number=s["number"], version=s["version"], assessment_id=snapshot.id,
                            regulator_id=regulators[s["regulator"]].id, submitted_at=_parse_at(s["submitted_at"]),
                            submitted_by_id=_user_id(s["submitted_by"]), decided_by_id=_user_id(s["decided_by"]),
                            note=s["note"], decision=s["decision"], decision_comment=s["decision_comment"],
                            decided_at=_parse_at(s["decided_at"]))
    db.session.add(submission)
    db.session.flush()
    for r in s["ratings"]:
        rating = Rating(submission=submission, target_kind=r["target_kind"], target_id=r["target_id"],
                        value=r["rating"], comment=r["comment"], updated_at=_parse_at(r["updated_at"]),
                        reviewer_id=_user_id(r["reviewer"]))
        db.session.add(rating)
        db.session.flush()
        if r["action"] is not None:
            db.session.add(ActionItem(audit_id=audit.id, rating=rating, action=r["action"]["action"],
                                      owner=r["action"]["owner"],
                                      due_date=dt.date.fromisoformat(r["action"]["due_date"]),
                                      created_at=_parse_at(r["action"]["created_at"])))
    db.session.flush()


