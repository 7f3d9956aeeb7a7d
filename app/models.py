"""Database models: an audit (the draft answers), its assessments (frozen evaluation snapshots) and the
PDFs issued from them (fingerprints for verification)."""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db

JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
REPORT_ID_PREFIX = "EA-"
REPORT_ID_LENGTH = len(REPORT_ID_PREFIX) + 10


def utcnow() -> dt.datetime:
    """Now, timezone-aware in UTC; used as a callable column default (evaluated per row)."""
    return dt.datetime.now(dt.UTC)


def new_report_id() -> str:
    """A public report id: ``EA-`` + 10 random RFC 4648 base32 characters (A-Z, 2-7; 50 bits)."""
    return REPORT_ID_PREFIX + base64.b32encode(secrets.token_bytes(10)).decode("ascii")[:10]


class Audit(db.Model):
    """A privacy impact assessment of one deployment, as the school administrator fills it in.

    ``answers`` maps question id to its JSON value (see ``Questionnaire.to_json``); it is replaced,
    never mutated in place. ``product_name``, ``vendor_name`` and ``jurisdiction`` mirror the
    answers of the same ids so lists and queries need not read the JSON.
    """

    __tablename__ = "audits"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[str] = mapped_column(sa.String(REPORT_ID_LENGTH), unique=True, default=new_report_id)
    product_name: Mapped[str] = mapped_column(sa.String(200))
    vendor_name: Mapped[str] = mapped_column(sa.String(200))
    jurisdiction: Mapped[str | None] = mapped_column(sa.String(8))
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(sa.String(20), default="draft", server_default="draft")
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow,
                                                    onupdate=utcnow)

    assessments: Mapped[list[Assessment]] = relationship(
        back_populates="audit", cascade="all, delete-orphan", passive_deletes=True,
        order_by="Assessment.id")

    def __repr__(self) -> str:
        return f"<Audit {self.report_id} {self.product_name!r}>"


class Assessment(db.Model):
    """A frozen evaluation of an audit: the answers used, the rule-set version and hash, the result.

    ``result`` is ``app.rules.engine.Assessment.to_dict()`` (the JSON contract); ``answers`` the
    typed answers evaluated, as JSON. Together they let a report be re-rendered years later.
    """

    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(sa.ForeignKey("audits.id", ondelete="CASCADE"), index=True)
    rule_set_version: Mapped[str] = mapped_column(sa.String(40))
    rule_set_sha256: Mapped[str] = mapped_column(sa.String(64))
    jurisdiction: Mapped[str] = mapped_column(sa.String(8))
    as_of: Mapped[dt.date] = mapped_column(sa.Date)
    verdict: Mapped[str] = mapped_column(sa.String(20))
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType)
    result: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    audit: Mapped[Audit] = relationship(back_populates="assessments")

    def __repr__(self) -> str:
        return f"<Assessment {self.id} of audit {self.audit_id}: {self.verdict}>"


class IssuedReport(db.Model):
    """One PDF handed out: which assessment it prints, in which language, and the SHA-256 of its bytes.

    A row is added every time a PDF is generated, so anyone holding a copy can check on ``/verify``
    that this instance issued exactly those bytes. The rule-set version and hash are copied from the
    assessment so the record stands on its own. Unsigned rendering is deterministic (the same
    assessment in the same language gives the same bytes, so several rows may share a ``sha256``);
    a signed PDF carries its signing time, so each signed download has its own hash.
    """

    __tablename__ = "issued_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(sa.ForeignKey("audits.id", ondelete="CASCADE"), index=True)
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("assessments.id", ondelete="CASCADE"), index=True)
    lang: Mapped[str] = mapped_column(sa.String(8))
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    size_bytes: Mapped[int] = mapped_column(sa.Integer)
    rule_set_version: Mapped[str] = mapped_column(sa.String(40))
    rule_set_sha256: Mapped[str] = mapped_column(sa.String(64))
    issued_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    audit: Mapped[Audit] = relationship()
    assessment: Mapped[Assessment] = relationship()

    def __repr__(self) -> str:
        return f"<IssuedReport {self.id} of audit {self.audit_id}: {self.sha256[:12]}>"
