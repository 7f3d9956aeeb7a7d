"""Reviewer pages: the queue (filters, sorted by risk), the review of a submission, the decision.
And the school's side of the loop: submitting an audit to a regulator, starting a new version.

Only reviewers reach the reviewer pages, and only for audits submitted to their own regulator;
submitting and new versions are for the audit's school (:func:`app.access.audit_for`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import StaleDataError

from .. import access
from ..evaluation import NotReady, evaluate_audit
from ..extensions import current_ruleset, db
from ..i18n import describe, ui_lang
from ..labels import STATUS_NAMES, display_json
from ..models import ACTION_RATINGS, AUDIT_STATUSES, ActionItem, Audit
from ..reports.context import LEVEL_LABELS, level_badge
from ..reports.texts import CATEGORY_LABELS
from ..requesttext import RefusedText
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
    """The review targets of a submission in page order: findings (worst first), then sections. A
    finding carries ``change`` (new, level changed, unchanged: :data:`.services.FINDING_CHANGES`) and
    ``previous`` (the previous submission's level, rating and comment) when there was an earlier
    submission."""
    ruleset = current_ruleset()
    qn = ruleset.questionnaire
    answers = submission.assessment.answers
    previous = services.previous_submission(submission)
    changes = services.finding_changes(previous, submission) if previous else {}
    previous_ratings = {(r.target_kind, r.target_id): r for r in previous.ratings} if previous else {}
    out: list[dict[str, Any]] = []
    for f in submission.assessment.read_result().findings:
        change = changes.get(f.rule_id)
        out.append({"kind": "finding", "id": f.rule_id,
                    "title": report.target_label(ruleset, "finding", f.rule_id, lang),
                    "level": level_badge(services.finding_level(f), lang),
                    "answers": [qn.questions[e.question].label[lang] for e in f.evidence
                                if e.question in qn.questions],
                    "change": _change_row(change, lang) if change else None,
                    "previous": _previous_rating(previous_ratings.get(("finding", f.rule_id)), lang)})
    typed = qn.load(answers).typed
    for section in qn.visible_sections(typed):
        rows = [{"label": q.label[lang], "answer": qn.display(q, typed.get(q.id), lang)}
                for q in section.questions if q.id in typed]
        if rows:
            out.append({"kind": "section", "id": section.id, "title": section.title[lang], "rows": rows,
                        "change": None,
                        "previous": _previous_rating(previous_ratings.get(("section", section.id)), lang)})
    return out


CHANGE_NAMES = {"new": lambda: _("New since the last submission"),
                "level_changed": lambda: _("Level changed since the last submission"),
                "unchanged": lambda: _("Unchanged since the last submission"),
                "resolved": lambda: _("Resolved by the new answers")}


def _change_row(change: dict[str, Any], lang: str) -> dict[str, Any]:
    return {"id": change["change"], "label": CHANGE_NAMES[change["change"]](),
            "previous_level": level_badge(change["previous_level"], lang) if change["previous_level"] else None}


def _previous_rating(rating: Any, lang: str) -> dict[str, str] | None:
    if rating is None:
        return None
    return {"id": rating.value, "label": report.RATING_LABELS[rating.value][lang],
            "mark": report.RATING_MARKS[rating.value], "comment": rating.comment}


def _resolved(submission: Any, lang: str) -> list[dict[str, Any]]:
    """Findings of the previous submission that the new answers no longer raise, with their rating."""
    previous = services.previous_submission(submission)
    if previous is None:
        return []
    ruleset = current_ruleset()
    return [{"id": rule_id, "title": report.target_label(ruleset, "finding", rule_id, lang),
             "level": level_badge(c["previous_level"], lang), "previous": _previous_rating(c["previous_rating"], lang)}
            for rule_id, c in services.finding_changes(previous, submission).items() if c["change"] == "resolved"]


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


def _rating_input(form: Any, i: int, target: dict[str, Any]) -> services.ReviewInput:
    return services.ReviewInput(target["kind"], target["id"], form[f"t{i}_rating"].data,
                                form[f"t{i}_comment"].data or "", form[f"t{i}_action"].data or "",
                                form[f"t{i}_owner"].data or "", form[f"t{i}_due"].data)


def _save_complete_ratings(form: Any, targets: list[dict[str, Any]], submission: Any,
                           today: dt.date) -> tuple[int, list[str]]:
    """Save every complete rating of the posted page; an incomplete one gets its error on its field and
    is left out. Returns (ratings saved, titles of the ones left out). Flushes; the view commits."""
    form.validate()  # field errors (a date typed 31/12/2026, a text over its limit) mark their target only
    marked = {name.split("_", 1)[0] for name in form.errors if name.startswith("t")}
    checkable = services.review_targets(current_ruleset(), submission)
    existing = {(r.target_kind, r.target_id): r for r in submission.ratings}
    items, problems = [], []
    for i, target in enumerate(targets):
        if f"t{i}" in marked:
            problems.append(target["title"])
            continue
        if not form[f"t{i}_rating"].data:
            continue
        item = _rating_input(form, i, target)
        try:
            services.check_review(item, checkable, today)
        except services.ReviewError as exc:
            form[f"t{i}_rating"].errors = [*form[f"t{i}_rating"].errors, describe(exc)]
            problems.append(target["title"])
            continue
        if not services.unchanged(item, existing.get((item.target_kind, item.target_id))):
            items.append(item)
    services.save_reviews(current_ruleset(), submission, current_user, items, today=today)
    return len(items), problems


def _review_page(audit: Audit, submission: Any, targets: list[dict[str, Any]], form: Any, decision_form: Any,
                 can_review: bool, status: int = 200):
    lang = ui_lang()
    blocks = [{**t, "index": i, "rating": form[f"t{i}_rating"], "comment": form[f"t{i}_comment"],
               "action": form[f"t{i}_action"], "owner": form[f"t{i}_owner"], "due": form[f"t{i}_due"]}
              for i, t in enumerate(targets)]
    concerns = services.approval_concerns(submission)
    previous = services.previous_submission(submission)
    page = render_template(
        "review/review.html",
        audit={"report_id": audit.report_id, "product": audit.product_name, "vendor": audit.vendor_name,
               "school": audit.organisation.name if audit.organisation else "", "status": audit.status},
        submission={"number": submission.number, "version": submission.version,
                    "submitted": format_utc(submission.submitted_at), "note": submission.note,
                    "verdict": level_badge(submission.assessment.verdict, lang),
                    "decision": report.DECISION_LABELS[submission.decision][lang],
                    "acknowledgement": submission.acknowledgement},
        changes=_changes(audit, submission, lang), resolved=_resolved(submission, lang), blocks=blocks, form=form,
        decision_form=decision_form, can_review=can_review,
        action_ratings=[report.RATING_LABELS[r][lang] for r in ACTION_RATINGS],
        concerns={"verdict": level_badge(concerns["verdict"], lang) if concerns["verdict"] else None,
                  "unrated": len(concerns["unrated"])},
        carry_form=forms.CarryOverForm() if can_review and previous is not None and previous.ratings else None,
        plan=report.action_rows(audit, lang, dt.date.today()),
        request_form=_request_form(targets, submission) if can_review else None,
        results_url=url_for("audits.results", report_id=audit.report_id),
    )
    return page, status


def _request_form(targets: list[dict[str, Any]], submission: Any, formdata: Any = None) -> forms.DocumentRequestForm:
    """The "ask for a document" form, its choices the submission's findings and sections."""
    form = forms.DocumentRequestForm(formdata=formdata) if formdata is not None else forms.DocumentRequestForm(
        formdata=None, owner=_("School administrator"),
        due_date=services.default_due_date(dt.date.today(), submission.assessment.as_of))
    form.target.choices = [(f"{t['kind']}:{t['id']}", t["title"]) for t in targets]
    return form


def _blank_form(form_class: Any, targets: list[dict[str, Any]], submission: Any, today: dt.date) -> Any:
    existing = {(r.target_kind, r.target_id): r for r in submission.ratings}
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
    return form_class(formdata=None, data=data)


@bp.route("/audits/<report_id>/review", methods=["GET", "POST"])
@access.roles_required("reviewer")
def review(report_id: str):
    """Rate each finding and section of the latest submission (acceptable / needs improvement / must be
    corrected) with a comment; ratings that need action give the school an action-plan item. The page
    posts its ratings and, with the "Record the decision" button, the decision in one form, so a
    decision never discards ratings typed but not saved."""
    audit = access.audit_for(report_id, "view")
    submission = services.latest_submission(audit, current_user.organisation_id)
    targets = _targets(submission, ui_lang())
    form_class = forms.review_form_class(len(targets))
    can_review = access.allowed(current_user, "review", audit)
    if request.method == "POST":
        if not can_review:
            flash(_("This submission was already decided; its review can no longer change."), "warning")
            return redirect(url_for("review.review", report_id=audit.report_id))
        return _post_review(audit, submission, targets, form_class, decide=request.form.get("intent") == "decide")
    form = _blank_form(form_class, targets, submission, dt.date.today())
    return _review_page(audit, submission, targets, form, forms.DecisionForm(formdata=None), can_review)


def _post_review(audit: Audit, submission: Any, targets: list[dict[str, Any]], form_class: Any, *, decide: bool):
    """Save the posted page's complete ratings; then, if asked, record the decision. Whatever is not
    saved (an incomplete rating, a refused decision) is shown again as typed, with its error."""
    today = dt.date.today()
    form = form_class()
    decision_form = forms.DecisionForm()
    try:
        saved, problems = _save_complete_ratings(form, targets, submission, today)
    except services.ReviewError as exc:
        db.session.rollback()
        flash(describe(exc), "warning")
        return _review_page(audit, submission, targets, form, decision_form, True)
    db.session.commit()
    if not decide:
        if not problems:
            flash(_("Review saved (%(num)s rating(s)). Decide below when you are done.", num=saved), "success")
            return redirect(url_for("review.review", report_id=audit.report_id) + "#decision")
        flash(_("%(saved)s rating(s) saved; %(num)s need more detail and were not saved (see the marked items).",
                saved=saved, num=len(problems)), "warning")
        return _review_page(audit, submission, targets, form, decision_form, True)
    if problems:
        flash(_("The decision was not recorded: %(num)s rating(s) need more detail (see the marked items). "
                "%(saved)s complete rating(s) were saved.", num=len(problems), saved=saved), "warning")
        return _review_page(audit, submission, targets, form, decision_form, True)
    if not decision_form.validate():
        for message in decision_form.decision.errors + decision_form.comment.errors \
                + decision_form.acknowledgement.errors:
            flash(message, "warning")
        return _review_page(audit, submission, targets, form, decision_form, True)
    try:
        services.decide(submission, current_user, decision_form.decision.data, decision_form.comment.data or "",
                        decision_form.acknowledgement.data or "")
    except services.ReviewError as exc:
        db.session.rollback()
        flash(describe(exc), "warning")
        if exc.code in ("review.acknowledge_verdict", "review.acknowledge_unrated"):
            decision_form.acknowledgement.errors = [describe(exc)]
        return _review_page(audit, submission, targets, form, decision_form, True)
    db.session.commit()
    flash(_("Decision recorded: %(decision)s. The school sees it with your comments.",
            decision=report.DECISION_LABELS[decision_form.decision.data][ui_lang()]), "success")
    return redirect(url_for("review.queue"))


@bp.post("/audits/<report_id>/review/rating")
@access.roles_required("reviewer")
def save_rating(report_id: str):
    """Save one rating as it is made (the review page's script): a JSON object ``{"kind", "id", "rating",
    "comment", "action", "owner", "due"}`` (``due`` as YYYY-MM-DD) with the CSRF token in the
    ``X-CSRFToken`` header. Answers JSON: ``{"saved": true, "target", "at"}``, or ``{"saved": false,
    "error"}`` with 400 (not such an object), 409 (already decided) or 422 (incomplete or invalid, or
    text that cannot be kept: :class:`app.requesttext.RefusedText`)."""
    audit = access.audit_for(report_id, "view")
    submission = services.latest_submission(audit, current_user.organisation_id)
    if not access.allowed(current_user, "review", audit):
        return jsonify(saved=False, error=_("This submission was already decided; its review can no longer "
                                            "change.")), 409
    try:
        body = request.get_json(silent=True)
    except RefusedText as exc:  # a lone surrogate or NUL in the text typed (app.requesttext)
        return jsonify(saved=False, error=describe(exc)), 422
    if not isinstance(body, dict) or not all(isinstance(body.get(k, ""), str) for k in RATING_KEYS):
        return jsonify(saved=False, error=_("The request is not a rating.")), 400
    due = None
    if body.get("due"):
        try:
            due = dt.date.fromisoformat(body["due"])
        except ValueError:
            return jsonify(saved=False, error=_("The due date must be a date (YYYY-MM-DD).")), 422
    item = services.ReviewInput(body.get("kind", ""), body.get("id", ""), body.get("rating", ""),
                                body.get("comment", ""), body.get("action", ""), body.get("owner", ""), due)
    try:
        services.check_review(item, services.review_targets(current_ruleset(), submission), dt.date.today())
        services.save_reviews(current_ruleset(), submission, current_user, [item])
    except services.ReviewError as exc:
        db.session.rollback()
        return jsonify(saved=False, error=describe(exc)), 422
    db.session.commit()
    return jsonify(saved=True, target=f"{item.target_kind}:{item.target_id}",
                   at=format_utc(dt.datetime.now(dt.UTC)))


RATING_KEYS = ("kind", "id", "rating", "comment", "action", "owner", "due")


@bp.post("/audits/<report_id>/review/carry-over")
@access.roles_required("reviewer")
def carry_over(report_id: str):
    """Copy the previous submission's ratings onto the targets not rated yet in this one."""
    audit = access.audit_for(report_id, "review")
    submission = services.latest_submission(audit, current_user.organisation_id)
    if forms.CarryOverForm().validate_on_submit():
        try:
            written, skipped = services.carry_over(current_ruleset(), submission, current_user)
        except services.ReviewError as exc:
            db.session.rollback()
            flash(describe(exc), "warning")
        else:
            db.session.commit()
            flash(_("%(num)s rating(s) carried over from the previous submission.", num=len(written)), "success")
            if skipped:
                flash(_("%(num)s rating(s) were not carried over because their action is done: rate them "
                        "again.", num=len(skipped)), "warning")
    return redirect(url_for("review.review", report_id=audit.report_id))


@bp.post("/audits/<report_id>/review/document-requests")
@access.roles_required("reviewer")
def request_document(report_id: str):
    """Ask the school for a document on a finding or section: it becomes an item of the action plan,
    answered when the school attaches the document."""
    audit = access.audit_for(report_id, "review")
    submission = services.latest_submission(audit, current_user.organisation_id)
    form = _request_form(_targets(submission, ui_lang()), submission, request.form)
    if form.validate():
        kind, _sep, target_id = (form.target.data or "").partition(":")
        _commit_or_flash(lambda: services.request_document(
            current_ruleset(), submission, current_user, kind, target_id, form.document.data or "",
            form.owner.data or "", form.due_date.data), _("Document requested. The school sees it on its action "
                                                          "plan and its documents page."))
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(message, "warning")
    return redirect(url_for("review.review", report_id=audit.report_id) + "#request-title")


@bp.post("/audits/<report_id>/decision")
@access.roles_required("reviewer")
def decide(report_id: str):
    """Approve, request changes or reject the latest submission. Ratings posted with the decision are
    saved first (see :func:`review`)."""
    audit = access.audit_for(report_id, "decide")
    submission = services.latest_submission(audit, current_user.organisation_id)
    targets = _targets(submission, ui_lang())
    return _post_review(audit, submission, targets, forms.review_form_class(len(targets)), decide=True)


def _commit_or_flash(change: Any, success: str) -> None:
    """Run ``change`` (a service call); commit and flash ``success``, or roll back and flash its error."""
    try:
        change()
    except services.ReviewError as exc:
        db.session.rollback()
        flash(describe(exc), "warning")
    else:
        db.session.commit()
        flash(success, "success")


@bp.post("/audits/<report_id>/actions")
@login_required
def add_action(report_id: str):
    """The school adds its own item to the audit's action plan."""
    audit = access.audit_for(report_id, "plan")
    form = forms.ActionForm()
    if form.validate_on_submit():
        _commit_or_flash(lambda: services.add_action(audit, current_user, form.action.data or "",
                                                     form.owner.data or "", form.due_date.data),
                         _("Action added to the plan."))
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(message, "warning")
    return redirect(url_for("audits.overview", report_id=audit.report_id) + "#action-plan")


@bp.post("/audits/<report_id>/actions/<int:action_id>/done")
@login_required
def action_done(report_id: str, action_id: int):
    """The school marks an action-plan item done, saying what was done."""
    audit = access.audit_for(report_id, "plan")
    item = db.session.get(ActionItem, action_id)
    if item is None or item.audit_id != audit.id:
        abort(404)
    form = forms.DoneForm()
    if form.validate_on_submit():
        _commit_or_flash(lambda: services.close_action(audit, item, current_user, form.note.data or ""),
                         _("Action marked done."))
    return redirect(url_for("audits.overview", report_id=audit.report_id) + "#action-plan")


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
