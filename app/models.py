"""Database models.

Who: organisations (school, regulator, NGO) and users with one role each. What: an audit (the
working answers), its assessments (frozen evaluation snapshots), the PDFs issued from them
(fingerprints for verification). The review loop: submissions (a frozen version sent to a
regulator, with the regulator's decision), reviews per finding or section, and the action items they
create. The audit trail: append-only events (see :class:`AuditEvent`).
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db
from .rules.results import StoredResult

JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
REPORT_ID_PREFIX = "EA-"
REPORT_ID_LENGTH = len(REPORT_ID_PREFIX) + 10


def utcnow() -> dt.datetime:
    """Now, timezone-aware in UTC; used as a callable column default (evaluated per row)."""
    return dt.datetime.now(dt.UTC)


def new_report_id() -> str:
    """A public report id: ``EA-`` + 10 random RFC 4648 base32 characters (A-Z, 2-7; 50 bits)."""
    return REPORT_ID_PREFIX + base64.b32encode(secrets.token_bytes(10)).decode("ascii")[:10]


ORG_KINDS = ("school", "regulator", "ngo")
"""Kinds of organisation sharing one instance."""

ROLES = ("school_admin", "reviewer", "ngo_analyst", "instance_admin")
"""User roles. Each role belongs to one kind of organisation (:data:`ROLE_ORG_KIND`)."""

ROLE_ORG_KIND: dict[str, str | None] = {"school_admin": "school", "reviewer": "regulator",
                                        "ngo_analyst": "ngo", "instance_admin": None}
"""The organisation kind a role requires; ``None``: the role belongs to no organisation."""

AUDIT_STATUSES = ("draft", "submitted", "changes_requested", "approved", "rejected")
"""Life cycle of an audit. ``draft`` and ``changes_requested`` are editable by the school; the others
freeze the answers (a new version goes back to ``draft``)."""

EDITABLE_STATUSES = ("draft", "changes_requested")

DECISIONS = ("approved", "changes_requested", "rejected")
"""A reviewer's decision on a submission; the audit takes the same status."""

RATINGS = ("acceptable", "needs_improvement", "must_be_corrected")
"""A reviewer's rating of one finding or section (CNIL PIA tool's three evaluation outcomes)."""

ACTION_RATINGS = ("needs_improvement", "must_be_corrected")
"""Ratings that give the school an action-plan item."""

REVIEW_TARGETS = ("finding", "section")

ACTION_STATES = ("open", "done")
"""State of an action-plan item as stored; "overdue" is an open item past its due date (computed, see
:attr:`ActionItem.overdue_on`)."""

ACTION_SOURCES = ("reviewer", "school")
"""Who set an action-plan item: the reviewer (through a rating) or the school itself."""

ACTION_KINDS = ("action", "document_request")
"""What an action-plan item asks: something to do, or a document the reviewer asked for on a finding or
section (done when the school attaches a document in answer)."""

STORED_PDF_KINDS = ("report", "comparison", "export")
"""What a stored file is: an audit's report PDF, a public comparison PDF, or the full published-audits export."""


def one_of(column: str, values: tuple[str, ...]) -> str:
    """The SQL of a CHECK constraint that ``column`` holds one of ``values`` (the id tuples above are
    the one list of each vocabulary): ``one_of("kind", ("a", "b"))`` is ``"kind IN ('a', 'b')"``."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Organisation(db.Model):
    """A school, a regulator or an NGO. ``name`` is unique on the instance."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    __table_args__ = (sa.CheckConstraint(one_of("kind", ORG_KINDS), name="kind"),)

    def __repr__(self) -> str:
        return f"<Organisation {self.name!r} ({self.kind})>"


class User(db.Model):
    """A person who signs in. ``email`` is stored lower-case and unique; ``password_hash`` is an
    Argon2id hash (:mod:`app.accounts.passwords`). Sessions are :class:`UserSession` rows (the
    cookie carries only a session id). ``demo`` marks the users of
    the development demo instance, who cannot sign in outside development. ``reset_token_sha256`` and
    ``reset_expires_at`` hold the one-time password-setting link an instance administrator issued
    (:func:`app.accounts.services.issue_password_link`)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(20))
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id", ondelete="RESTRICT"),
                                                        index=True)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True, server_default=sa.true())
    demo: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    # A password-setting link handed out by an instance administrator: the SHA-256 of its token (the
    # token itself is shown once and never stored) and when it expires; both None when there is none.
    reset_token_sha256: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    reset_expires_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    password_changed_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    # Failed sign-in attempts (wrong password or second factor) since the last sign-in, shown to the
    # user when they next sign in; and when that was.
    failed_sign_ins: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    last_sign_in_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # TOTP (RFC 6238) second factor: the base32 secret once enrolment is confirmed, when, and the
    # last time step a code was accepted for (a code is never accepted twice).
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    mfa_enabled_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)

    organisation: Mapped[Organisation | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint(one_of("role", ROLES), name="role"),
    )

    # Flask-Login's user interface.
    @property
    def is_active(self) -> bool:
        return bool(self.active)

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    session_secret = None
    """The id of the session this user object was loaded for or signs in with (not a column; set by
    :mod:`app.accounts.sessions`)."""

    def get_id(self) -> str:
        """What Flask-Login keeps in the cookie: the session's random id, never the user's id (see
        :func:`app.accounts.sessions.load_session_user`). Raises ``RuntimeError`` when the user
        object belongs to no session (e.g. a request with an API token)."""
        if not self.session_secret:
            raise RuntimeError("this user object belongs to no session")
        return self.session_secret

    @property
    def mfa_enabled(self) -> bool:
        return self.totp_secret is not None

    def __repr__(self) -> str:
        return f"<User {self.email} ({self.role})>"


class Audit(db.Model):
    """A privacy impact assessment of one deployment, as the school administrator fills it in.

    ``report_id`` is the audit's own public id (``EA-`` + 10 characters): every PDF of the audit
    prints it on the cover as its report id, URLs and the trail export name the audit by it. It is
    not the id of one PDF (those are :class:`IssuedReport` rows, told apart by SHA-256).

    ``answers`` maps question id to its JSON value (see ``Questionnaire.to_json``); it is replaced,
    never mutated in place. ``product_name``, ``vendor_name`` and ``jurisdiction`` mirror the
    answers of the same ids so lists and queries need not read the JSON.

    ``organisation_id`` is the school that owns it (``None`` only for audits from before accounts
    existed: nobody sees those until ``eduaudit audits adopt`` gives them a school);
    ``regulator_id`` the regulator it was last submitted to. ``revision`` counts every change of
    the row and is checked on write (SQLAlchemy's version counter), so two administrators saving
    the same audit at once cannot silently overwrite each other. ``version`` is the number of the
    answers' version: 1 until the first submission, +1 when a frozen audit is reopened.
    ``product_id`` is the registry product the answers name (linked whenever the product or vendor
    answers change, see :func:`app.registry.services.link_audit`).
    """

    __tablename__ = "audits"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[str] = mapped_column(sa.String(REPORT_ID_LENGTH), unique=True, default=new_report_id)
    product_name: Mapped[str] = mapped_column(sa.String(200))
    vendor_name: Mapped[str] = mapped_column(sa.String(200))
    jurisdiction: Mapped[str | None] = mapped_column(sa.String(8))
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(sa.String(20), default="draft", server_default="draft")
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id", ondelete="RESTRICT"),
                                                        index=True)
    regulator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id", ondelete="RESTRICT"),
                                                     index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(sa.Integer, default=1, server_default="1")
    revision: Mapped[int] = mapped_column(sa.Integer, default=1, server_default="1")
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    # When the answers last changed (set by save_step): status and version changes leave it alone, so
    # "answers changed since the evaluation" stays true to its word.
    updated_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    assessments: Mapped[list[AssessmentSnapshot]] = relationship(
        back_populates="audit", cascade="all, delete-orphan", passive_deletes=True,
        order_by="AssessmentSnapshot.id")
    product_id: Mapped[int | None] = mapped_column(sa.ForeignKey("products.id", ondelete="RESTRICT"), index=True)

    organisation: Mapped[Organisation | None] = relationship(foreign_keys=[organisation_id])
    regulator: Mapped[Organisation | None] = relationship(foreign_keys=[regulator_id])
    product: Mapped[Product | None] = relationship()

    __mapper_args__ = {"version_id_col": revision}
    __table_args__ = (
        sa.CheckConstraint(one_of("status", AUDIT_STATUSES), name="status"),
    )

    @property
    def editable(self) -> bool:
        """Whether the school may change the answers now (``draft`` or ``changes_requested``)."""
        return self.status in EDITABLE_STATUSES

    def __repr__(self) -> str:
        return f"<Audit {self.report_id} {self.product_name!r}>"


class AssessmentSnapshot(db.Model):
    """The stored snapshot of one evaluation of an audit (one engine :class:`app.rules.engine.Assessment`):
    the answers used, the rule-set version and hash, the result. Table ``assessments``; the
    relationships naming it (``Audit.assessments``, ``Submission.assessment``,
    ``IssuedReport.assessment``) follow that table's name.

    ``result`` is ``app.rules.engine.Assessment.to_dict()`` (the JSON contract), read back with
    :meth:`read_result`; ``answers`` the typed answers evaluated, as JSON. Together they let a report
    be re-rendered years later.
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

    def read_result(self) -> StoredResult:
        """``result`` as typed data (:meth:`app.rules.results.StoredResult.from_json`, which reads the
        shapes older versions stored too). Raises :class:`app.rules.results.ResultFormatError` if
        the stored JSON is not of the contract's shape."""
        return StoredResult.from_json(self.result)

    def __repr__(self) -> str:
        return f"<AssessmentSnapshot {self.id} of audit {self.audit_id}: {self.verdict}>"


class IssuedReport(db.Model):
    """One PDF handed out: which assessment it prints, in which language, and the SHA-256 of its bytes.

    A row is added every time a PDF is generated, so anyone holding a copy can check on ``/verify``
    that this instance issued exactly those bytes. The rule-set version and hash are copied from the
    assessment so the record stands on its own. Unsigned rendering is deterministic (the same
    assessment in the same language gives the same bytes, so several rows may share a ``sha256``);
    a signed PDF carries its signing time, so each signed download has its own hash.

    ``audit_version``, ``status`` (an id of :data:`app.labels.STATUS_NAMES`) and ``school_name`` are
    what the PDF printed when it was issued (``school_name`` is ``None`` when the cover names no
    school). All three are ``None`` on rows issued before migration 0006, which did not keep them.
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
    audit_version: Mapped[int | None] = mapped_column(sa.Integer)
    status: Mapped[str | None] = mapped_column(sa.String(20))
    school_name: Mapped[str | None] = mapped_column(sa.String(200))

    audit: Mapped[Audit] = relationship()
    assessment: Mapped[AssessmentSnapshot] = relationship()

    def __repr__(self) -> str:
        return f"<IssuedReport {self.id} of audit {self.audit_id}: {self.sha256[:12]}>"


class StoredPdf(db.Model):
    """A PDF kept in the PDF store (``PDF_STORE_DIR``) under ``key``, the SHA-256 of everything that
    determines its bytes (see :func:`app.audits.jobs.report_key`), so it is rendered once and then
    served from the store, byte for byte the same.

    ``kind`` is ``report`` (an audit's report; ``issued_report_id`` is the :class:`IssuedReport`
    recorded with it, in the same transaction), ``comparison`` (a public comparison PDF, not an
    issued report) or ``export`` (the registry's full export of every published audit, a JSON or CSV
    file, see :mod:`app.registry.jobs`). ``sha256`` and ``size_bytes`` are those of the stored file;
    a file whose bytes no longer match is not served. The unique ``key`` is what makes a retried job
    record nothing twice.
    """

    __tablename__ = "stored_pdfs"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    size_bytes: Mapped[int] = mapped_column(sa.Integer)
    audit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("audits.id", ondelete="CASCADE"), index=True)
    issued_report_id: Mapped[int | None] = mapped_column(sa.ForeignKey("issued_reports.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    __table_args__ = (sa.CheckConstraint(one_of("kind", STORED_PDF_KINDS), name="kind"),)

    def __repr__(self) -> str:
        return f"<StoredPdf {self.key[:12]} ({self.kind}): {self.sha256[:12]}>"


class Submission(db.Model):
    """One version of an audit sent to a regulator: the frozen snapshot and the decision on it.

    ``number`` counts the audit's submissions from 1. ``assessment_id`` is the evaluation snapshot
    (answers, rule-set version and hash, result) that was submitted; it never changes. ``decision``
    is ``None`` while the submission waits for review, then one of :data:`DECISIONS`.
    """

    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(sa.ForeignKey("audits.id", ondelete="RESTRICT"), index=True)
    number: Mapped[int] = mapped_column(sa.Integer)
    version: Mapped[int] = mapped_column(sa.Integer)
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("assessments.id", ondelete="RESTRICT"))
    regulator_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    submitted_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    note: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    decision: Mapped[str | None] = mapped_column(sa.String(20))
    decision_comment: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # Why the reviewer approved although the verdict is critical or prohibited, or findings were left
    # unrated ("" when no acknowledgement was needed).
    acknowledgement: Mapped[str] = mapped_column(sa.Text, default="", server_default="")

    audit: Mapped[Audit] = relationship()
    assessment: Mapped[AssessmentSnapshot] = relationship()
    regulator: Mapped[Organisation] = relationship()
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    ratings: Mapped[list[Rating]] = relationship(back_populates="submission", order_by="Rating.id")

    __table_args__ = (
        sa.UniqueConstraint("audit_id", "number", name="uq_submissions_audit_id_number"),
        sa.CheckConstraint("decision IS NULL OR " + one_of("decision", DECISIONS), name="decision"),
    )

    def __repr__(self) -> str:
        return f"<Submission {self.number} of audit {self.audit_id}: {self.decision or 'pending'}>"


class Rating(db.Model):
    """A reviewer's rating of one finding (``target_id`` = rule id) or one questionnaire section
    (``target_id`` = section id) of a submission: ``value`` (one of :data:`RATINGS`) and a comment.
    One per target and submission; it can be changed until the submission is decided. Table
    ``reviews``, the value in its column ``rating``."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id", ondelete="RESTRICT"), index=True)
    target_kind: Mapped[str] = mapped_column(sa.String(10))
    target_id: Mapped[str] = mapped_column(sa.String(100))
    value: Mapped[str] = mapped_column("rating", sa.String(20))
    comment: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    reviewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    submission: Mapped[Submission] = relationship(back_populates="ratings")
    reviewer: Mapped[User | None] = relationship()
    action_item: Mapped[ActionItem | None] = relationship(back_populates="rating", uselist=False)

    __table_args__ = (
        sa.UniqueConstraint("submission_id", "target_kind", "target_id", name="uq_reviews_submission_target"),
        sa.CheckConstraint(one_of("target_kind", REVIEW_TARGETS), name="target_kind"),
        sa.CheckConstraint(one_of("rating", RATINGS), name="rating"),
    )


class ActionItem(db.Model):
    """An action-plan item of an audit: what to do (``action``), who owns it, by when (``due_date``, a
    calendar date), and its ``state`` (one of :data:`ACTION_STATES`; ``done`` with a ``done_note``).

    ``source`` says who set it (:data:`ACTION_SOURCES`): a reviewer's "needs improvement" or "must be
    corrected" :class:`Rating` (``review_id``, the latest rating that set or carried it; ``target_kind``
    and ``target_id`` name the finding or section), or the school itself (no rating, no target).
    ``submission_number`` is the submission it was first set on (``None`` for a school's item added
    before any submission). Items belong to the audit, not to a version: an open item stays on the
    plan of every later version until it is done. Its changes are in the trail (``action_*`` events).

    ``kind`` (:data:`ACTION_KINDS`) is ``document_request`` for a document the reviewer asked for on a
    finding or section (no rating; ``action`` says which document): it is done when the school attaches
    a document in answer, ``attachment_id`` then naming that :class:`Attachment`.
    """

    __tablename__ = "action_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(sa.ForeignKey("audits.id", ondelete="RESTRICT"), index=True)
    review_id: Mapped[int | None] = mapped_column(sa.ForeignKey("reviews.id", ondelete="RESTRICT"), unique=True)
    action: Mapped[str] = mapped_column(sa.Text)
    owner: Mapped[str] = mapped_column(sa.String(200))
    due_date: Mapped[dt.date] = mapped_column(sa.Date)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    source: Mapped[str] = mapped_column(sa.String(20), default="reviewer", server_default="reviewer")
    target_kind: Mapped[str | None] = mapped_column(sa.String(10))
    target_id: Mapped[str | None] = mapped_column(sa.String(100))
    submission_number: Mapped[int | None] = mapped_column(sa.Integer)
    state: Mapped[str] = mapped_column(sa.String(10), default="open", server_default="open")
    done_note: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    done_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(sa.String(20), default="action", server_default="action")
    attachment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("attachments.id", ondelete="RESTRICT"))

    rating: Mapped[Rating | None] = relationship(back_populates="action_item")
    attachment: Mapped[Attachment | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint(one_of("state", ACTION_STATES), name="state"),
        sa.CheckConstraint(one_of("source", ACTION_SOURCES), name="source"),
        sa.CheckConstraint(one_of("kind", ACTION_KINDS), name="kind"),
    )

    def overdue_on(self, today: dt.date) -> bool:
        """Whether the item is still open after its due date, as of ``today``."""
        return self.state == "open" and self.due_date < today


EVENT_KINDS = ("created", "answers_saved", "submitted", "reviewed", "approved", "changes_requested", "rejected",
               "new_version", "pdf_generated", "published", "unpublished", "adopted", "action_added",
               "action_done", "attachment_added", "attachment_removed", "imported")
"""What an audit-trail event records."""


class TrailImmutable(RuntimeError):
    """Raised on any attempt to change or delete an :class:`AuditEvent`."""


class AuditEvent(db.Model):
    """One entry of an audit's trail: who (``actor_id`` and the e-mail at that time, ``actor``),
    when (``at``, UTC), what (``kind`` from :data:`EVENT_KINDS`, ``details`` JSON).

    Append-only: the ORM refuses updates and deletes (:class:`TrailImmutable`) and the database
    refuses them too (triggers created by migration 0003 on SQLite and PostgreSQL).
    """

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(sa.ForeignKey("audits.id", ondelete="RESTRICT"), index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    actor: Mapped[str] = mapped_column(sa.String(254))
    kind: Mapped[str] = mapped_column(sa.String(40))
    at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    def __repr__(self) -> str:
        return f"<AuditEvent {self.id} {self.kind} of audit {self.audit_id} by {self.actor}>"


def _append_only(model: type, what: str) -> None:
    """Make the ORM refuse to update or delete rows of ``model`` (:class:`TrailImmutable`, naming ``what``)."""

    def refuse_update(mapper, connection, target) -> None:  # noqa: ARG001 - SQLAlchemy's signature
        raise TrailImmutable(f"{what} {target.id} cannot be changed")

    def refuse_delete(mapper, connection, target) -> None:  # noqa: ARG001
        raise TrailImmutable(f"{what} {target.id} cannot be deleted")

    sa.event.listen(model, "before_update", refuse_update)
    sa.event.listen(model, "before_delete", refuse_delete)


_append_only(AuditEvent, "audit-trail event")


PRODUCT_CATEGORIES = ("face_gate", "classroom_analytics", "wearable", "learning_platform", "homework_tutoring",
                      "proctoring", "monitoring", "school_management", "other")
"""Registry categories: the options of the questionnaire's ``product_kind`` question, so an audit's
answer names its product's category directly."""


class Vendor(db.Model):
    """A company in the product registry. ``normalised_name`` (see :func:`app.registry.normalise_name`)
    is unique, so "Hikvision Co., Ltd." and "HIKVISION" are one vendor. ``country`` is the
    questionnaire's ``vendor_country`` option (cn, eu, uk, us, other) or ``None``."""

    __tablename__ = "vendors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    normalised_name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    country: Mapped[str | None] = mapped_column(sa.String(20))
    website: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    products: Mapped[list[Product]] = relationship(back_populates="vendor", order_by="Product.name")


class Product(db.Model):
    """A product in the registry: unique by vendor and normalised name. ``category`` is one of
    :data:`PRODUCT_CATEGORIES`; versions are those named by the audits of it."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(sa.ForeignKey("vendors.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    normalised_name: Mapped[str] = mapped_column(sa.String(200), index=True)
    category: Mapped[str] = mapped_column(sa.String(30), default="other", server_default="other")
    website: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    vendor: Mapped[Vendor] = relationship(back_populates="products")

    __table_args__ = (
        sa.UniqueConstraint("vendor_id", "normalised_name", name="uq_products_vendor_id_normalised_name"),
    )

    def __repr__(self) -> str:
        return f"<Product {self.name!r} of vendor {self.vendor_id}>"


class Publication(db.Model):
    """An approved audit a school chose to publish, redacted (see :mod:`app.registry.publish`).

    Holds only what the public pages and exports show: product, version, jurisdiction, the month of
    the planned deployment, verdict, rule-set version, the school's kind (and its name only if
    ``school_name`` was chosen), and the findings (``findings``: rule id, category, level, effect).
    ``public_id`` is not the audit's report id, so a published record cannot be matched to a PDF.
    """

    __tablename__ = "publications"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(sa.String(16), unique=True)
    audit_id: Mapped[int] = mapped_column(sa.ForeignKey("audits.id", ondelete="RESTRICT"), unique=True)
    submission_number: Mapped[int] = mapped_column(sa.Integer)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="RESTRICT"), index=True)
    product_version: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    jurisdiction: Mapped[str] = mapped_column(sa.String(8))
    deployment_month: Mapped[str] = mapped_column(sa.String(7))
    verdict: Mapped[str] = mapped_column(sa.String(20))
    verdict_rank: Mapped[int] = mapped_column(sa.Integer)
    rule_set_version: Mapped[str] = mapped_column(sa.String(40))
    school_kind: Mapped[str] = mapped_column(sa.String(40), default="", server_default="")
    school_name: Mapped[str | None] = mapped_column(sa.String(200))
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    published_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    product: Mapped[Product] = relationship()

    __table_args__ = (
        # Covers the product and comparison pages' GROUP BYs (verdicts, jurisdictions, versions, years)
        # and the product list's worst verdict: read from the index alone, not from the table.
        sa.Index("ix_publications_product_stats", "product_id", "verdict_rank", "verdict", "jurisdiction",
                 "product_version", "deployment_month"),
    )


class PublishedFinding(db.Model):
    """One finding of a publication, in columns so product and comparison pages aggregate in SQL.
    ``level_rank`` orders ``level`` (low 0 ... critical 3, prohibited 4)."""

    __tablename__ = "published_findings"

    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(sa.ForeignKey("publications.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="RESTRICT"))
    rule_id: Mapped[str] = mapped_column(sa.String(100))
    category: Mapped[str] = mapped_column(sa.String(40))
    level: Mapped[str] = mapped_column(sa.String(20))
    level_rank: Mapped[int] = mapped_column(sa.Integer)

    __table_args__ = (
        # Covers every aggregate of the product and comparison pages in index order (GROUP BY product,
        # category, rule; high-or-worse by level; audits counted by publication): read from the index alone.
        sa.Index("ix_published_findings_product_stats", "product_id", "category", "rule_id", "level_rank",
                 "publication_id"),
    )


ATTACHMENT_MEDIA_TYPES = ("application/pdf", "image/png", "image/jpeg", "text/plain")
"""The kinds of document an answer may carry (checked against the file's content, not its name)."""


class Attachment(db.Model):
    """A document attached to one answer of an audit as evidence (a contract or DPA, a certification, a
    policy, the impact assessment itself): PDF, PNG, JPEG or plain text, its type read from its content.

    The bytes live in the attachment store (:mod:`app.evidence.storage`) under their ``sha256``; the row
    holds what the pages and the report's appendix show: ``file_name`` as uploaded, ``media_type``
    (one of :data:`ATTACHMENT_MEDIA_TYPES`), ``size_bytes``. Attachments freeze with the answers:
    a row belongs to the audit's versions ``added_in_version`` up to, not including,
    ``removed_in_version`` (``None``: still attached), so a submitted version keeps the documents it
    was submitted with even when a later version removes them.
    """

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(sa.ForeignKey("audits.id", ondelete="RESTRICT"), index=True)
    question_id: Mapped[str] = mapped_column(sa.String(100))
    file_name: Mapped[str] = mapped_column(sa.String(255))
    media_type: Mapped[str] = mapped_column(sa.String(40))
    size_bytes: Mapped[int] = mapped_column(sa.Integer)
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    added_in_version: Mapped[int] = mapped_column(sa.Integer)
    removed_in_version: Mapped[int | None] = mapped_column(sa.Integer)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        sa.CheckConstraint(one_of("media_type", ATTACHMENT_MEDIA_TYPES), name="media_type"),
    )

    def __repr__(self) -> str:
        return f"<Attachment {self.id} {self.file_name!r} of audit {self.audit_id}>"


ACCOUNT_EVENT_KINDS = ("org_created", "user_created", "user_disabled", "user_enabled", "role_changed",
                       "password_link_issued", "password_set", "mfa_reset")
"""What the instance's account log records (account changes concern no audit, so they are not in an
audit's trail)."""


class AccountEvent(db.Model):
    """One entry of the instance's account log: who (``actor_id``, and the e-mail at that time,
    ``actor``; ``system`` for the command line), when (``at``, UTC), what (``kind`` from
    :data:`ACCOUNT_EVENT_KINDS`), to whom (``user_id`` or ``organisation_id``) and ``details`` (JSON).

    Append-only like the audit trail: the ORM refuses updates and deletes (:class:`TrailImmutable`)
    and so does the database (triggers of the migration that creates the table).
    """

    __tablename__ = "account_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    actor: Mapped[str] = mapped_column(sa.String(254))
    kind: Mapped[str] = mapped_column(sa.String(40))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id", ondelete="RESTRICT"))
    at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    def __repr__(self) -> str:
        return f"<AccountEvent {self.id} {self.kind} by {self.actor}>"


_append_only(AccountEvent, "account-log event")
TOKEN_SCOPES = ("read", "write")
"""What a personal API token may do: ``read`` (GET requests only) or ``write`` (every request)."""


class ApiToken(db.Model):
    """A personal API token of a user (:mod:`app.accounts.tokens`). The token itself is shown once,
    when it is created; only its SHA-256 (``token_sha256``, lower-case hex) and its first characters
    (``prefix``, so the user can tell tokens apart) are stored. A request with the token acts as the
    user, within ``scope`` (one of :data:`TOKEN_SCOPES`), until ``expires_at`` or ``revoked_at``."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    prefix: Mapped[str] = mapped_column(sa.String(16))
    token_sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    scope: Mapped[str] = mapped_column(sa.String(10))
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))

    user: Mapped[User] = relationship()

    __table_args__ = (sa.CheckConstraint(one_of("scope", TOKEN_SCOPES), name="scope"),)

    def __repr__(self) -> str:
        return f"<ApiToken {self.prefix}… of user {self.user_id} ({self.scope})>"


SESSION_END_REASONS = ("signed_out", "idle_timeout", "absolute_timeout", "ended_by_user", "password_changed",
                       "password_reset", "account_disabled", "role_changed", "mfa_reset", "mfa_disabled")
"""Why a session ended (:attr:`UserSession.ended_reason`)."""


class UserSession(db.Model):
    """One signed-in session of a user (a browser). The cookie holds only the session's random id;
    the row stores its SHA-256 (``id_sha256``), so the table alone cannot be used to take a session
    over. ``last_seen_at`` is written at most once a minute. A session that has ended keeps its row
    (``ended_at``, ``ended_reason``) for the user's list and the security log; see
    :mod:`app.accounts.sessions`."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    id_sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    user_agent: Mapped[str] = mapped_column(sa.String(100), default="")
    address: Mapped[str] = mapped_column(sa.String(64), default="")
    ended_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    ended_reason: Mapped[str | None] = mapped_column(sa.String(30))

    user: Mapped[User] = relationship()

    __table_args__ = (
        sa.CheckConstraint("ended_reason IS NULL OR " + one_of("ended_reason", SESSION_END_REASONS),
                           name="ended_reason"),
    )

    def __repr__(self) -> str:
        return f"<UserSession {self.id} of user {self.user_id}{' ended' if self.ended_at else ''}>"


class RecoveryCode(db.Model):
    """One of a user's one-time recovery codes for the second factor, stored as a salted SHA-256
    (``salt`` 16 random bytes in hex; the code itself is shown once). ``used_at`` is set when it is
    used: each code works once."""

    __tablename__ = "mfa_recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    salt: Mapped[str] = mapped_column(sa.String(32))
    code_sha256: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    used_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
