"""Reviewer pages: the queue (filters, sorted by risk), the review of a submission, the decision.
And the school's side of the loop: submitting an audit to a regulator, starting a new version.

Only reviewers reach the reviewer pages, and only for audits submitted to their own regulator;
submitting and new versions are for the audit's school (:func:`app.access.audit_for`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import StaleDataError

from .. import access
from ..evaluation import NotReady, evaluate_audit
from ..extensions import current_ruleset, db
from ..i18n import describe, ui_lang
from ..labels import STATUS_NAMES, display_json
from ..models import ACTION_RATINGS, AUDIT_STATUSES, Audit
from ..reports.context import LEVEL_LABELS, level_badge
from ..reports.texts import CATEGORY_LABELS
from ..rules.schema import CATEGORIES, VERDICTS
from ..timefmt import format_utc
from . import bp, forms, report, services


@bp.get("/review")
@access.roles_required("reviewer")
def queue():
    """Audits submitted to the reviewer's regulator: filter by status, verdict, category, school and
    submission date; worst verdict first, then the one waiting longest."""
    lang = ui_lang()
    regulator_id = current_user.organisation_id
    form = forms.QueueFilterForm(request.args)
    form.status.choices = [("", _("Any status"))] + [(s, STATUS_NAMES[s]()) for s in AUDIT_STATUSES if s != "draft"]
    form.verdict.choices = [("", _("Any verdict"))] + [(v, LEVEL_LABELS[v][lang]) for v in reversed(VERDICTS)]
    form.category.choices = [("", _("Any category"))] + [(c, CATEGORY_LABELS[c][lang]) for c in CATEGORIES]
    form.school.choices = [("", _("Any school"))] + [(s, s) for s in services.schools_of(regulator_id)]
    filters = services.QueueFilters()
    if request.args and form.validate():
        filters = services.QueueFilters(status=form.status.data or "", verdict=form.verdict.data or "",
                                        category=form.category.data or "", school=form.school.data or "",
                                        submitted_from=form.submitted_from.data,
                                        submitted_to=form.submitted_to.data)
    rows = [{
        "report_id": r["audit"].report_id, "product": r["audit"].product_name, "vendor": r["audit"].vendor_name,
        "school": r["school"], "submitted": format_utc(r["submission"].submitted_at), "number": r["submission"].number,
        "status": {"id": r["audit"].status, "label": STATUS_NAMES[r["audit"].status]()},
        "verdict": level_badge(r["assessment"].verdict, lang),
        "categories": [CATEGORY_LABELS[c][lang] for c in r["categories"]],
        "url": url_for("review.review", report_id=r["audit"].report_id),
    } for r in services.queue(regulator_id, filters)]
    return render_template("review/queue.html", rows=rows, form=form, filtered=filters != services.QueueFilters())


def _targets(submission: Any, lang: str) -> list[dict[str, Any]]:
    """The review targets of a submission in page order: findings (worst first), then sections."""
    ruleset = current_ruleset()
    qn = ruleset.questionnaire
    answers = submission.assessment.answers
    out: list[dict[str, Any]] = []
    for f in submission.assessment.read_result().findings:
        level = "prohibited" if f.effect == "prohibited" else f.risk_level
        out.append({"kind": "finding", "id": f.rule_id,
                    "title": report.target_label(ruleset, "finding", f.rule_id, lang),
                    "level": level_badge(level, lang),
                    "answers": [qn.questions[e.question].label[lang] for e in f.evidence
                                if e.question in qn.questions]})
    typed = qn.load(answers).typed
    for section in qn.visible_sections(typed):
        rows = [{"label": q.label[lang], "answer": qn.display(q, typed.get(q.id), lang)}
                for q in section.questions if q.id in typed]
        if rows:
            out.append({"kind": "section", "id": section.id, "title": section.title[lang], "rows": rows})
    return out


def _changes(audit: Audit, submission: Any, lang: str) -> list[dict[str, str]] | None:
    """What changed in the answers since the previous submission (``None`` for the first)."""
    previous = [s for s in services.submissions(audit) if s.number < submission.number]
    if not previous:
        return None
    qn = current_ruleset().questionnaire
    out = []
    for qid, before, after in services.answer_changes(previous[-1].assessment.answers,
                                                       submission.assessment.answers):
        label = qn.questions[qid].label[lang] if qid in qn.questions else qid
        out.append({"label": label, "before": display_json(qn, qid, before, lang),
                    "after": display_json(qn, qid, after, lang)})
    return out


@bp.route("/audits/<report_id>/review", methods=["GET", "POST"])
@access.roles_required("reviewer")
def review(report_id: str):
    """Rate each finding and section of the latest submission (acceptable / needs improvement / must be
    corrected) with a comment; ratings that need action give the school an action-plan item."""
    audit = access.audit_for(report_id, "view")
    submission = services.latest_submission(audit, current_user.organisation_id)
    lang = ui_lang()
    targets = _targets(submission, lang)
    today = dt.date.today()
    form_class = forms.review_form_class(len(targets))
    can_review = access.allowed(current_user, "review", audit)
    existing = {(r.target_kind, r.target_id): r for r in submission.ratings}
    if request.method == "POST":
        if not can_review:
            flash(_("This submission was already decided; its review can no longer change."), "warning")
            return redirect(url_for("review.review", report_id=audit.report_id))
        form = form_class()
        if form.validate():
            items, problems = [], []
            for i, target in enumerate(targets):
                rating = form[f"t{i}_rating"].data
                if not rating:
                    continue
                item = services.ReviewInput(
                    target["kind"], target["id"], rating, form[f"t{i}_comment"].data or "",
                    form[f"t{i}_action"].data or "", form[f"t{i}_owner"].data or "", form[f"t{i}_due"].data)
                try:
                    services.check_review(item, services.review_targets(current_ruleset(), submission), today)
                except services.ReviewError as exc:
                    form[f"t{i}_rating"].errors.append(describe(exc))
                    problems.append(target["title"])
                    continue
                items.append(item)
            if not problems:
                try:
                    services.save_reviews(current_ruleset(), submission, current_user, items, today=today)
                except services.ReviewError as exc:
                    db.session.rollback()
                    flash(describe(exc), "warning")
                else:
                    db.session.commit()
                    flash(_("Review saved (%(num)s rating(s)). Decide below when you are done.", num=len(items)),
                          "success")
                    return redirect(url_for("review.review", report_id=audit.report_id) + "#decision")
            else:
                flash(_("Nothing was saved: %(num)s rating(s) need more detail (see the marked items).",
                        num=len(problems)), "warning")
        else:
            # A field the form cannot read (a due date typed as 31/12/2026, a text over its limit):
            # the template shows the error beside the field; say here that nothing was saved.
            marked = {name.split("_", 1)[0] for name in form.errors}
            flash(_("Nothing was saved: %(num)s rating(s) need more detail (see the marked items).",
                    num=len(marked)), "warning")
    else:
        data: dict[str, Any] = {}
        for i, target in enumerate(targets):
            r = existing.get((target["kind"], target["id"]))
            if r is not None:
                data[f"t{i}_rating"] = r.value
                data[f"t{i}_comment"] = r.comment
                if r.action_item:
                    data[f"t{i}_action"] = r.action_item.action
                    data[f"t{i}_owner"] = r.action_item.owner
                    data[f"t{i}_due"] = r.action_item.due_date
            else:
                data[f"t{i}_owner"] = _("School administrator")
                data[f"t{i}_due"] = services.default_due_date(today, submission.assessment.as_of)
        form = form_class(formdata=None, data=data)
    blocks = [{**t, "rating": form[f"t{i}_rating"], "comment": form[f"t{i}_comment"],
               "action": form[f"t{i}_action"], "owner": form[f"t{i}_owner"], "due": form[f"t{i}_due"]}
              for i, t in enumerate(targets)]
    decision_form = forms.DecisionForm()
    return render_template(
        "review/review.html",
        audit={"report_id": audit.report_id, "product": audit.product_name, "vendor": audit.vendor_name,
               "school": audit.organisation.name if audit.organisation else "", "status": audit.status},
        submission={"number": submission.number, "version": submission.version,
                    "submitted": format_utc(submission.submitted_at), "note": submission.note,
                    "verdict": level_badge(submission.assessment.verdict, lang),
                    "decision": report.DECISION_LABELS[submission.decision][lang]},
        changes=_changes(audit, submission, lang), blocks=blocks, form=form, decision_form=decision_form,
        can_review=can_review, action_ratings=[report.RATING_LABELS[r][lang] for r in ACTION_RATINGS],
        results_url=url_for("audits.results", report_id=audit.report_id),
    )


@bp.post("/audits/<report_id>/decision")
@access.roles_required("reviewer")
def decide(report_id: str):
    """Approve, request changes or reject the latest submission."""
    audit = access.audit_for(report_id, "decide")
    submission = services.latest_submission(audit, current_user.organisation_id)
    form = forms.DecisionForm()
    if not form.validate_on_submit():
        for message in form.decision.errors + form.comment.errors:
            flash(message, "warning")
        return redirect(url_for("review.review", report_id=audit.report_id) + "#decision")
    try:
        services.decide(submission, current_user, form.decision.data, form.comment.data or "")
    except services.ReviewError as exc:
        db.session.rollback()
        flash(describe(exc), "warning")
        return redirect(url_for("review.review", report_id=audit.report_id) + "#decision")
    db.session.commit()
    flash(_("Decision recorded: %(decision)s. The school sees it with your comments.",
            decision=report.DECISION_LABELS[form.decision.data][ui_lang()]), "success")
    return redirect(url_for("review.queue"))


@bp.post("/audits/<report_id>/submit")
@login_required
def submit(report_id: str):
    """Send the audit to the chosen regulator: its answers are evaluated, frozen and queued for review."""
    audit = access.audit_for(report_id, "submit")
    form = forms.SubmitForm()
    regulators = {str(r.id): r for r in services.regulators()}
    form.regulator.choices = [(key, r.name) for key, r in regulators.items()]
    if not form.validate_on_submit():
        for message in (*form.regulator.errors, *form.note.errors):
            flash(message, "warning")
        return redirect(url_for("audits.overview", report_id=audit.report_id))
    ruleset = current_ruleset()
    try:
        evaluation = evaluate_audit(ruleset, audit)
    except NotReady:
        flash(_("The audit cannot be submitted yet: some required answers are missing or conflict."), "warning")
        return redirect(url_for("audits.results", report_id=audit.report_id))
    try:
        services.submit(audit, evaluation.snapshot, current_user, regulators[form.regulator.data],
                               form.note.data or "")
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        flash(_("Someone else changed this audit at the same moment; check it and submit again."), "warning")
        return redirect(url_for("audits.overview", report_id=audit.report_id))
    flash(_("Submitted to %(regulator)s. The answers are frozen until the review is done.",
            regulator=regulators[form.regulator.data].name), "success")
    return redirect(url_for("audits.overview", report_id=audit.report_id))


@bp.post("/audits/<report_id>/new-version")
@login_required
def new_version(report_id: str):
    """Reopen an approved or rejected audit as a new draft version; the submitted versions stay as they were."""
    audit = access.audit_for(report_id, "new_version")
    form = forms.NewVersionForm()
    if form.validate_on_submit():
        services.new_version(audit, current_user)
        db.session.commit()
        flash(_("Version %(v)s started: change the answers, then submit again.", v=audit.version), "success")
    return redirect(url_for("audits.overview", report_id=audit.report_id))
