"""Look up issued PDFs by the SHA-256 of their bytes (read-only: verification changes nothing)."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from dataclasses import dataclass
from typing import IO, Any

import sqlalchemy as sa

from ..extensions import db
from ..models import AssessmentSnapshot, Audit, IssuedReport
from ..problems import Problem
from ..reports.limits import ChildTimedOut, run_limited
from ..reports.signing import SignatureCheck

SHA256_RE = re.compile(r"[0-9a-f]{64}")
CHUNK = 1024 * 1024
log = logging.getLogger(__name__)


class VerifyError(Problem, ValueError):
    """A verification cannot be asked this way; the code says why (``verify.*`` in :data:`app.messages.MESSAGES`)."""


@dataclass(frozen=True, slots=True)
class IssuedRecord:
    """What this instance knows about an issued PDF: the audit, the frozen assessment it prints,
    and when and how often those exact bytes were issued. Times are timezone-aware UTC.

    ``audit_version``, ``status`` (a status id) and ``school_name`` are those the PDF printed; all
    three are ``None`` when the PDF was issued before they were recorded (``recorded`` is false).
    ``school_name`` is also ``None`` when the cover named no school (``recorded`` is true then).
    """

    sha256: str
    report_id: str
    product: str
    vendor: str
    jurisdiction: str
    as_of: dt.date
    verdict: str
    lang: str
    size_bytes: int
    rule_set_version: str
    rule_set_sha256: str
    evaluated_at: dt.datetime
    first_issued_at: dt.datetime
    last_issued_at: dt.datetime
    times_issued: int
    superseded: bool
    audit_version: int | None
    status: str | None
    school_name: str | None

    @property
    def recorded(self) -> bool:
        """Whether the version, status and school were recorded when the PDF was issued."""
        return self.status is not None


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes; every stored time is UTC.
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def file_sha256(stream: IO[bytes]) -> tuple[str, int]:
    """SHA-256 (lower-case hex) and size in bytes of everything left in ``stream``, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def check_upload_signature(pdf: bytes, trusted_cert: str | None, *, timeout_s: float,
                           max_memory_bytes: int) -> SignatureCheck | None:
    """The signatures of an uploaded ``pdf`` checked against ``trusted_cert`` (a PEM path, or ``None``),
    or ``None`` when this file cannot be checked.

    The check parses untrusted bytes, so it runs in a child process (:func:`app.reports.limits.run_limited`)
    stopped after ``timeout_s`` seconds and capped at ``max_memory_bytes`` of memory. A file that
    breaks the parser in any way (nesting deep enough to exhaust its recursion, a signature of
    megabytes of hex, a crash) gives ``None``; the reason is logged for the operator. Never raises.
    """
    try:
        return run_limited("app.reports.signing:check_signature", (pdf, trusted_cert), timeout_s=timeout_s,
                           max_memory_bytes=max_memory_bytes, name="eduaudit-verify")
    except ChildTimedOut:
        log.warning("signature check of an upload (%d bytes) stopped after %g s", len(pdf), timeout_s)
    except MemoryError:
        log.warning("signature check of an upload (%d bytes) ran out of its %d bytes of memory", len(pdf),
                    max_memory_bytes)
    except Exception as exc:  # noqa: BLE001 - any failure on untrusted bytes means "cannot be checked"; logged
        log.warning("signature check of an upload (%d bytes) failed: %s: %s", len(pdf), type(exc).__name__,
                    str(exc)[:200])
    return None


def find_issued(sha256: str) -> IssuedRecord | None:
    """The issued PDF whose bytes have this SHA-256 (64 lower-case hex digits), or ``None``.

    Raises :class:`VerifyError` (a ``ValueError``) if ``sha256`` is not 64 lower-case hex digits (the
    form checks that first).
    ``superseded`` is true when the audit has been evaluated again since this PDF's assessment.
    """
    if not SHA256_RE.fullmatch(sha256):
        raise VerifyError("verify.not_a_sha256", value=sha256[:80])
    rows = db.session.execute(
        sa.select(IssuedReport, AssessmentSnapshot, Audit)
        .join(AssessmentSnapshot, AssessmentSnapshot.id == IssuedReport.assessment_id)
        .join(Audit, Audit.id == IssuedReport.audit_id)
        .where(IssuedReport.sha256 == sha256)
        .order_by(IssuedReport.issued_at, IssuedReport.id)).all()
    if not rows:
        return None
    first, assessment, audit = rows[0]
    # Identical bytes have an identical cover (status, school) and review section (which prints the
    # version once there is a submission; before one it is 1), so any row's version, status and
    # school are those of the PDF: take the first row that recorded them (rows issued before
    # migration 0006 did not), or NULLs ("not recorded") when none did.
    cover = next((row for row, _assessment, _audit in rows if row.status is not None), first)
    latest_id = db.session.scalar(sa.select(sa.func.max(AssessmentSnapshot.id))
                                  .where(AssessmentSnapshot.audit_id == audit.id))
    answers: dict[str, Any] = assessment.answers
    return IssuedRecord(
        sha256=sha256, report_id=audit.report_id,
        # the names as they were evaluated (and printed), not as the draft may read today
        product=answers.get("product_name") or audit.product_name,
        vendor=answers.get("vendor_name") or audit.vendor_name,
        jurisdiction=assessment.jurisdiction, as_of=assessment.as_of, verdict=assessment.verdict, lang=first.lang,
        size_bytes=first.size_bytes, rule_set_version=first.rule_set_version, rule_set_sha256=first.rule_set_sha256,
        evaluated_at=_aware(assessment.created_at), first_issued_at=_aware(first.issued_at),
        last_issued_at=_aware(rows[-1][0].issued_at), times_issued=len(rows),
        superseded=latest_id is not None and latest_id != assessment.id,
        audit_version=cover.audit_version, status=cover.status, school_name=cover.school_name)
