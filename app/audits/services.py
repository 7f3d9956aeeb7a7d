"""Business actions on audits: plain functions that change the session and flush; views commit.

Answers are stored as JSON (question id -> value, see ``Questionnaire.to_json``) and typed again on
every read against the current questionnaire (``Questionnaire.load``), so a draft saved under an
older questionnaire still opens: answers that no longer fit are kept in the database and reported,
never silently dropped.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import load_only

from .. import access, trail
from ..evaluation import Evaluation
from ..evidence import services as evidence
from ..extensions import current_ruleset, db
from ..models import (
    ActionItem,
    AssessmentSnapshot,
    Attachment,
    Audit,
    AuditEvent,
    IssuedReport,
    Organisation,
    Submission,
    User,
    new_report_id,
)
from ..registry.services import link_audit
from ..reports.context import build_report_context
from ..reports.limits import RenderLimits, render_pdf_limited
from ..reports.signing import sign_pdf
from ..review.report import cover_status
from ..rules.diff import AuditInput
from ..rules.model import RuleSet
from ..rules.questionnaire import AnswerError, Questionnaire


@dataclass(frozen=True, slots=True)
class StepSaved:
    """What :func:`save_step` did: ``errors`` question id -> :class:`AnswerError` for values refused by
    checks that span questions (the previous answer is kept)."""

    errors: dict[str, AnswerError]


LIST_COLUMNS = (Audit.report_id, Audit.product_name, Audit.vendor_name, Audit.jurisdiction, Audit.status,
                Audit.updated_at, Audit.revision, Audit.version)
LIST_SNAPSHOT_COLUMNS = (AssessmentSnapshot.verdict, AssessmentSnapshot.created_at,
                         AssessmentSnapshot.rule_set_version, AssessmentSnapshot.rule_set_sha256)


def list_audits(user: Any) -> list[tuple[Audit, AssessmentSnapshot | None]]:
    """The audits ``user`` may see (:func:`app.access.visible_filter`) with their latest snapshot (``None``
    if never evaluated), most recently changed first.

    Only the columns a list shows are loaded (names, jurisdiction, status, version, dates; the snapshot's
    verdict, date and rule set): reading another attribute of these objects raises, so the answers'
    and results' JSON is never fetched for a list. The statement is built once per process and kind of
    user, the organisation a bound parameter (building it anew, and working out its cache key, took
    about 0.15 ms of every list).
    """
    kind, params = access.visible_filter(user)
    return [(audit, assessment) for audit, assessment in db.session.execute(_list_statement(kind), params)]


@functools.cache
def _list_statement(kind: str) -> sa.Select:
    latest = (sa.select(AssessmentSnapshot.audit_id, sa.func.max(AssessmentSnapshot.id).label("assessment_id"))
              .group_by(AssessmentSnapshot.audit_id).subquery())
    return (sa.select(Audit, AssessmentSnapshot)
            .outerjoin(latest, latest.c.audit_id == Audit.id)
            .outerjoin(AssessmentSnapshot, AssessmentSnapshot.id == latest.c.assessment_id)
            .where(access.visible_clause(kind))
            .order_by(Audit.updated_at.desc(), Audit.id.desc())
            .options(load_only(*LIST_COLUMNS, raiseload=True), load_only(*LIST_SNAPSHOT_COLUMNS, raiseload=True)))


@dataclass(frozen=True, slots=True)
class RelatedRows:
    """What exists beside an audit's own row, read in one statement (:func:`related_rows`), so a page
    reads the rows themselves only when there are some: ``submissions``, ``actions`` (action-plan items)
    and ``attachments`` (documents of any version) are counts; ``snapshot`` is the latest assessment
    snapshot's (id, rule set SHA-256), ``None`` before the first evaluation."""

    submissions: int
    actions: int
    attachments: int
    snapshot: tuple[int, str] | None


def related_rows(audit: Audit) -> RelatedRows:
    """:class:`RelatedRows` of ``audit``: one statement (four scalar subqueries), built once per process."""
    row = db.session.connection().execute(_related_statement(), {"audit_id": audit.id}).one()
    return RelatedRows(int(row.submissions), int(row.actions), int(row.attachments),
                       None if row.snapshot_id is None else (row.snapshot_id, row.snapshot_sha256))


@functools.cache
def _related_statement() -> sa.Select:
    audit_id = sa.bindparam("audit_id", type_=sa.Integer)

    def count(model: Any) -> Any:
        return sa.select(sa.func.count()).select_from(model).where(model.audit_id == audit_id).scalar_subquery()

    latest = (sa.select(AssessmentSnapshot.id).where(AssessmentSnapshot.audit_id == audit_id)
              .order_by(AssessmentSnapshot.id.desc()).limit(1).scalar_subquery())
    sha = sa.select(AssessmentSnapshot.rule_set_sha256).where(AssessmentSnapshot.id == latest).scalar_subquery()
    return sa.select(count(Submission).label("submissions"), count(ActionItem).label("actions"),
                     count(Attachment).label("attachments"), latest.label("snapshot_id"),
                     sha.label("snapshot_sha256"))


def create_audit(questionnaire: Questionnaire, *, product_name: str, vendor_name: str,
                 organisation: Organisation | None = None, user: User | None = None) -> Audit:
    """Add a draft audit of ``organisation`` (a school) whose first answers are the product and vendor
    names, and its "created" trail event by ``user`` (flushed, not committed).

    Raises :class:`AnswerError` if a name is not acceptable text for its question (too long...).
    """
    answers = {}
    for qid, raw in (("product_name", product_name), ("vendor_name", vendor_name)):
        value = questionnaire.coerce(questionnaire.questions[qid], raw)
        if value is not None:
            answers[qid] = value
    report_id = new_report_id()
    while db.session.scalar(sa.select(Audit.id).where(Audit.report_id == report_id)) is not None:
        report_id = new_report_id()  # 50 random bits: a clash is all but impossible, but cheap to rule out
    audit = Audit(report_id=report_id, answers=questionnaire.to_json(answers), status="draft",
                  organisation_id=organisation.id if organisation else None, created_by_id=user.id if user else None)
    mirror_answers(audit, answers)
    db.session.add(audit)
    db.session.flush()
    trail.record(audit, "created", user, {"product": audit.product_name, "vendor": audit.vendor_name})
    return audit


def save_step(questionnaire: Questionnaire, audit: Audit, values: Mapping[str, Any],
              user: User | None = None) -> StepSaved:
    """Write the typed ``values`` (question id -> typed answer, ``None`` = no answer) into ``audit``.

    Only the given ids change; every other stored answer is kept, including answers to questions
    that are now hidden and answers that no longer fit the questionnaire. A value refused by a
    cross-question check is not written and comes back in ``errors``; so are this page's other
    cross-checked values if keeping them would still contradict a stored answer. When answers changed, an
    "answers_saved" trail event by ``user`` records them (with the audit's new ``revision``).
    Flushes; raises :class:`sqlalchemy.orm.exc.StaleDataError` if another transaction changed the
    audit row meanwhile (see :attr:`app.models.Audit.revision`).
    """
    before = questionnaire.load(audit.answers).typed
    after = dict(before)
    for qid, value in values.items():
        if value is None:
            after.pop(qid, None)
        else:
            after[qid] = value
    errors = {e.question_id: e for e in questionnaire.cross_check(after) if e.question_id in values}
    kept = {qid: v for qid, v in after.items() if qid not in errors}
    kept.update({qid: before[qid] for qid in errors if qid in before})
    if errors and questionnaire.cross_check(kept):
        # Keeping the rest would still contradict a stored answer (youngest 15 kept beside a stored
        # oldest of 14 after 9 was refused): refuse this page's cross-checked answers together.
        refused = next(iter(errors.values()))
        errors.update({qid: refused for qid in questionnaire.CROSS_CHECKED & values.keys() if qid not in errors})
    old = dict(audit.answers)
    stored = dict(old)
    for qid, value in values.items():
        if qid in errors:
            continue
        if value is None:
            stored.pop(qid, None)
        else:
            stored.update(questionnaire.to_json({qid: value}))
    changed = {qid: {"from": old.get(qid), "to": stored.get(qid)} for qid in values
               if old.get(qid) != stored.get(qid)}
    if changed:
        audit.answers = stored
        audit.updated_at = dt.datetime.now(dt.UTC)
    if audit.product_id is None or not MIRRORED.isdisjoint(changed):
        mirror_answers(audit, questionnaire.load(stored).typed)
    db.session.flush()
    if changed:
        trail.record(audit, "answers_saved", user, {"revision": audit.revision, "changed": changed})
    return StepSaved(errors)


@dataclass(frozen=True, slots=True)
class EditConflict:
    """An answer another user changed since the page was loaded, which this save would overwrite."""

    question_id: str
    current: Any
    actor: str
    at: dt.datetime


def edit_conflicts(questionnaire: Questionnaire, audit: Audit, base_revision: int,
                   values: Mapping[str, Any]) -> tuple[list[EditConflict], dict[str, Any]]:
    """Compare a step's ``values`` (typed, as sent) loaded at ``base_revision`` with what others saved since.

    Returns ``(conflicts, values_to_save)``. For each question another user changed after
    ``base_revision`` (from the trail's "answers_saved" events): if this user's value equals the
    current one, nothing to do; if it equals what they saw when the page was loaded, they did not
    touch it and the other user's answer is kept (dropped from ``values_to_save``); otherwise it is
    a conflict. Questions nobody else changed are saved as sent.
    """
    if base_revision >= audit.revision:
        return [], dict(values)
    seen: dict[str, Any] = {}
    last: dict[str, tuple[str, dt.datetime]] = {}
    for event in db.session.scalars(sa.select(AuditEvent).where(
            AuditEvent.audit_id == audit.id, AuditEvent.kind == "answers_saved").order_by(AuditEvent.id)):
        if int(event.details.get("revision", 0)) <= base_revision:
            continue
        for qid, change in event.details.get("changed", {}).items():
            seen.setdefault(qid, change.get("from"))
            last[qid] = (event.actor, event.at)
    conflicts, to_save = [], {}
    for qid, value in values.items():
        if qid not in seen:
            to_save[qid] = value
            continue
        mine = questionnaire.to_json({qid: value}).get(qid) if value is not None else None
        current = audit.answers.get(qid)
        if mine == current:
            to_save[qid] = value
        elif mine == seen[qid]:
            continue  # untouched here: keep the other user's answer
        else:
            conflicts.append(EditConflict(qid, current, *last[qid]))
    return conflicts, to_save


@dataclass(frozen=True, slots=True)
class StepOutcome:
    """What :func:`merge_and_save` did with one step's answers.

    ``saved``: whether this user's answers were written; ``False`` when ``conflicts`` is not empty:
    answers another user changed since the page was loaded and this user changed differently. Then
    nothing of the page was written, so the user decides with the other answers in view.
    ``theirs``: question ids another user changed that this user left as loaded (the other user's
    answer stays, saved or not). ``values``: question id -> typed answer this save wrote or tried
    to write (``None``: cleared; ``{}`` after a conflict). ``errors``: question id -> message for
    values refused by checks that span questions (see :class:`StepSaved`).
    """

    conflicts: tuple[EditConflict, ...]
    theirs: frozenset[str]
    values: dict[str, Any]
    errors: dict[str, str]

    @property
    def saved(self) -> bool:
        return not self.conflicts


def merge_and_save(questionnaire: Questionnaire, audit: Audit, values: Mapping[str, Any], *, base_revision: int,
                   user: User | None = None) -> StepOutcome:
    """Save a step's typed ``values`` (question id -> answer, ``None`` = no answer) sent from a page
    loaded at the audit's ``base_revision``, merged with what others saved since (:func:`edit_conflicts`).

    Without a conflict, the answers nobody else changed and those this user changed are written
    (:func:`save_step`); with one, nothing is. Flushes; raises
    :class:`sqlalchemy.orm.exc.StaleDataError` if another transaction changed the audit meanwhile.
    """
    conflicts, to_save = edit_conflicts(questionnaire, audit, base_revision, values)
    theirs = frozenset(values) - frozenset(to_save) - {c.question_id for c in conflicts}
    if conflicts:
        to_save = {}  # save nothing of this page: the user decides with the other answers in view
    saved = save_step(questionnaire, audit, to_save, user=user)
    return StepOutcome(tuple(conflicts), theirs, to_save, saved.errors)


@dataclass(frozen=True, slots=True)
class RenderedReport:
    """A report PDF and what its cover printed: ``pdf`` (bytes, signed when signing is configured),
    ``status`` (id), ``version`` (the audit's), ``school`` (name, ``None`` when "not stated")."""

    pdf: bytes
    status: str
    version: int
    school: str | None


def cover_facts(audit: Audit) -> tuple[str, int, str | None]:
    """``(status, version, school)`` as a report's cover prints them now (the status: see
    :func:`app.review.report.cover_status`; the school's name stripped; ``None`` when the cover says
    "not stated")."""
    return cover_status(audit), audit.version, (school_name(audit) or "").strip() or None


def render_report(audit: Audit, evaluation: Evaluation, lang: str, *, ruleset: RuleSet | None = None,
                  limits: RenderLimits | None = None, review: dict[str, Any] | None = None,
                  pdf_variant: str | None = None) -> RenderedReport:
    """Render the evaluation's report as a PDF in ``lang``; records nothing (see :func:`record_issued`).

    The render runs in a child process within ``limits`` (default: the app's ``PDF_*`` settings),
    as ``pdf_variant`` (default: the app's ``REPORT_PDF_VARIANT``). When ``REPORT_SIGNING_KEY`` and
    ``REPORT_SIGNING_CERT`` are set the PDF is signed next. The appendix lists the documents attached to
    the current version's answers by name, size and SHA-256 (their content is never rendered).
    ``review`` is the review section of the report (:func:`app.review.report.review_context`);
    ``ruleset`` the one ``evaluation`` came from (default: the app's). Raises
    :class:`app.reports.limits.RenderLimitExceeded` when a limit stops the render,
    :class:`app.reports.limits.RenderFailed` when the renderer dies.
    """
    # What the cover prints is recorded as it is printed (the same values), so /verify matches the PDF.
    status, version, school = cover_facts(audit)
    ruleset = ruleset or current_ruleset()
    context = build_report_context(ruleset, evaluation.result, report_id=audit.report_id,
                                   generated_at=evaluation.snapshot.created_at, lang=lang, status=status,
                                   review=review, school=school,
                                   attachments=evidence.appendix_rows(ruleset.questionnaire, audit, lang))
    config = current_app.config
    pdf = render_pdf_limited(context, limits or RenderLimits.from_config(config),
                             pdf_variant=pdf_variant or config.get("REPORT_PDF_VARIANT"))
    if config.get("REPORT_SIGNING_KEY"):
        pdf = sign_pdf(pdf, config["REPORT_SIGNING_KEY"], config["REPORT_SIGNING_CERT"],
                       config.get("REPORT_SIGNING_KEY_PASSWORD"))
    return RenderedReport(pdf, status, version, school)


def record_issued(audit: Audit, snapshot: AssessmentSnapshot, lang: str, rendered: RenderedReport,
                  user: User | None = None) -> IssuedReport:
    """Add (and flush) the :class:`IssuedReport` of ``rendered``: SHA-256 and size of its bytes, the
    snapshot's rule set, the cover's version, status and school, so ``/verify`` can find it; and a
    "pdf_generated" trail event by ``user``."""
    digest = hashlib.sha256(rendered.pdf).hexdigest()
    issued = IssuedReport(audit=audit, assessment=snapshot, lang=lang, sha256=digest,
                          size_bytes=len(rendered.pdf), rule_set_version=snapshot.rule_set_version,
                          rule_set_sha256=snapshot.rule_set_sha256, audit_version=rendered.version,
                          status=rendered.status, school_name=rendered.school)
    db.session.add(issued)
    db.session.flush()
    trail.record(audit, "pdf_generated", user, {"lang": lang, "sha256": digest, "status": rendered.status,
                                                "rule_set": snapshot.rule_set_version})
    return issued


def issue_pdf(audit: Audit, evaluation: Evaluation, lang: str, *, ruleset: RuleSet | None = None,
              limits: RenderLimits | None = None, user: User | None = None,
              review: dict[str, Any] | None = None) -> bytes:
    """Render the evaluation's report as a PDF in ``lang`` (:func:`render_report`) and record it as
    issued (:func:`record_issued`, flushed, not committed); returns the PDF bytes. Nothing is recorded
    when a limit stops the render (:class:`app.reports.limits.RenderLimitExceeded`)."""
    rendered = render_report(audit, evaluation, lang, ruleset=ruleset, limits=limits, review=review)
    record_issued(audit, evaluation.snapshot, lang, rendered, user)
    return rendered.pdf


def school_name(audit: Audit) -> str | None:
    """The name of the school the audit belongs to (its organisation), shown on the report's cover;
    ``None`` for an audit without one (created before accounts existed and not adopted)."""
    return audit.organisation.name if audit.organisation is not None else None


MIRRORED = frozenset({"product_name", "vendor_name", "jurisdiction", "product_kind", "vendor_country",
                      "product_website"})
"""The answers :func:`mirror_answers` copies or links: a save that changes none of them (and an audit
already linked to its product) needs no mirroring."""


def mirror_answers(audit: Audit, typed: Mapping[str, Any]) -> None:
    """Copy the product, vendor and jurisdiction answers of ``typed`` onto ``audit``'s columns and link
    the registry product they name (:func:`app.registry.services.link_audit`)."""
    # Copied onto columns so lists and queries need not read the JSON; the registry product follows
    # the product and vendor answers.
    audit.product_name = typed.get("product_name") or ""
    audit.vendor_name = typed.get("vendor_name") or ""
    audit.jurisdiction = typed.get("jurisdiction")
    link_audit(audit, typed)


def stored_audit_inputs() -> list[AuditInput]:
    """Every stored audit's latest snapshot as an input for ``eduaudit rules diff``.

    Needs an application context; outside one (no database configured) returns an empty list.
    Labels are report ids; answers, jurisdiction and date are those the snapshot was evaluated on.
    """
    if not has_app_context():
        return []
    latest = sa.select(sa.func.max(AssessmentSnapshot.id)).group_by(AssessmentSnapshot.audit_id)
    rows = db.session.execute(sa.select(Audit.report_id, AssessmentSnapshot.answers, AssessmentSnapshot.jurisdiction,
                                        AssessmentSnapshot.as_of)
                              .join(AssessmentSnapshot, AssessmentSnapshot.audit_id == Audit.id)
                              .where(AssessmentSnapshot.id.in_(latest)).order_by(Audit.report_id))
    return [AuditInput(report_id, answers, jurisdiction, as_of) for report_id, answers, jurisdiction, as_of in rows]
