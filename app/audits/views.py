"""Audit pages: home, new audit, overview (status, review, publication, trail), questionnaire steps,
results, PDF download. The overview's forms post to the other features' routes: submitting and new
versions to :mod:`app.review.views`, publishing to :mod:`app.registry.views`; the trail export is
:mod:`app.trail.views`.

Views read the request, call :mod:`.services`, commit once, and hand templates plain data (the
step form is the one presentation object they get). Every audit route asks :func:`app.access.audit_for`
for the audit with the action it needs (404 for an audit the user may not see, 403 for an action
they may not take). Questionnaire texts are picked in the interface language
(:func:`app.i18n.ui_lang`); the report is in that language too unless ``?lang=`` asks.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_number
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import StaleDataError

from .. import access, jobs, kept
from .. import pagecache as rendered
from ..evaluation import NotReady, evaluate_audit, latest_snapshot
from ..evidence import services as evidence_services
from ..extensions import current_ruleset, database_unavailable, db, limiter
from ..i18n import LIST_SEPARATOR, describe, ui_lang
from ..jobs import JobRef, JobsUnavailable
from ..labels import STATUS_NAMES, display_json
from ..models import AssessmentSnapshot, Audit
from ..registry import forms as registry_forms
from ..registry import services as registry_services
from ..reports.context import LANGS, build_report_context, level_badge
from ..reports.render import render_html
from ..review import forms as review_forms
from ..review import report as review_report
from ..review import services as review_services
from ..rules.questionnaire import AnswerError, Question, Questionnaire, Section
from ..timefmt import as_utc, format_utc
from ..trail import wording as trail_wording
from . import bp, forms, services
from . import jobs as audit_jobs


def _pdf_limit() -> str:
    return current_app.config["PDF_RATE_LIMIT"]


def _user_key() -> str:
    return f"user:{current_user.get_id()}" if current_user.is_authenticated else "anonymous"


def _report_lang() -> str:
    """The report's language: ``?lang=`` when it names one, else the interface language."""
    lang = request.args.get("lang")
    return lang if lang in LANGS else ui_lang()


def _verdict(assessment: AssessmentSnapshot | None, audit: Audit) -> dict[str, Any] | None:
    if assessment is None:
        return None
    created, updated = as_utc(assessment.created_at), as_utc(audit.updated_at)
    current = current_ruleset()
    return {**level_badge(assessment.verdict, ui_lang()), "evaluated": format_utc(assessment.created_at),
            "outdated": updated > created,
            "stale_rules": None if assessment.rule_set_sha256 == current.sha256 else {
                "evaluated_with": assessment.rule_set_version, "evaluated_sha": assessment.rule_set_sha256[:12],
                "current": current.version, "current_sha": current.sha256[:12]}}


def _steps(qn: Questionnaire, typed: dict[str, Any], current: str | None) -> list[dict[str, Any]]:
    """The progress list: every step of the questionnaire, numbered in order, with how many required
    answers are open. Steps the answers make unnecessary stay in the list as ``skipped``, so "Step n
    of N" keeps its N while conditional steps appear and disappear."""
    lang = ui_lang()
    open_by_section: dict[str, int] = {}
    for q in qn.missing_required(typed):
        open_by_section[q.section_id] = open_by_section.get(q.section_id, 0) + 1
    visible = {s.id for s in qn.visible_sections(typed)}
    out = []
    for number, section in enumerate(qn.sections, start=1):
        answered = sum(1 for q in section.questions if q.id in typed)
        open_count = open_by_section.get(section.id, 0)
        if section.id not in visible:
            status = "skipped"
        else:
            status = "done" if open_count == 0 and answered else ("started" if answered else "not-started")
        out.append({"id": section.id, "number": number, "title": section.title[lang], "open": open_count,
                    "status": status, "current": section.id == current})
    return out


def _neighbours(visible: list[Section], section_id: str) -> tuple[str | None, str | None]:
    ids = [s.id for s in visible]
    if section_id not in ids:
        return None, None
    i = ids.index(section_id)
    return (ids[i - 1] if i > 0 else None), (ids[i + 1] if i + 1 < len(ids) else None)


def _step_url(audit: Audit, section_id: str) -> str:
    return url_for("audits.step", report_id=audit.report_id, section_id=section_id)


def _stale_rows(qn: Questionnaire, stale: dict[str, AnswerError]) -> list[dict[str, str]]:
    lang = ui_lang()
    return [{"question": qn.questions[qid].label[lang] if qid in qn.questions else qid, "message": describe(reason)}
            for qid, reason in stale.items()]


def _jurisdiction(code: str | None) -> str | None:
    """The jurisdiction's name in the interface language (the code if the questionnaire lost it)."""
    option = current_ruleset().questionnaire.questions["jurisdiction"].option(code) if code else None
    return option.label[ui_lang()] if option else code


def _audit_rows(listed: list[tuple[Audit, Any]]) -> list[dict[str, Any]]:
    """The school's audits as the start page lists them; ``listed``: what :func:`services.list_audits` read."""
    return [{
        "report_id": audit.report_id,
        "product": audit.product_name,
        "vendor": audit.vendor_name,
        "jurisdiction": _jurisdiction(audit.jurisdiction),
        "updated": format_utc(audit.updated_at),
        "verdict": _verdict(assessment, audit),
        "status": {"id": audit.status, "label": STATUS_NAMES[audit.status]()},
        "url": url_for("audits.overview", report_id=audit.report_id),
        "results_url": url_for("audits.results", report_id=audit.report_id),
    } for audit, assessment in listed]


def _listed_key(listed: list[tuple[Audit, Any]]) -> tuple[tuple[Any, ...], ...]:
    """Every column of ``listed`` that the start page's rows show (:func:`_audit_rows`), as a key."""
    return tuple((a.report_id, a.product_name, a.vendor_name, a.jurisdiction, a.status, a.updated_at,
                  None if s is None else (s.verdict, s.created_at, s.rule_set_version, s.rule_set_sha256))
                 for a, s in listed)


def _hints() -> dict[str, str]:
    qn = current_ruleset().questionnaire
    lang = ui_lang()
    return {qid: qn.questions[qid].help[lang] for qid in ("product_name", "vendor_name")}


@bp.get("/")
def home():
    """What the tool does; signed in, the user's own start page: a school's audits and the button to
    start one, a reviewer's queue, an NGO's and an instance administrator's pages."""
    if not current_user.is_authenticated:
        return render_template("audits/welcome.html")
    if current_user.role == "reviewer":
        return redirect(url_for("review.queue"))
    if current_user.role == "school_admin":
        return _home_page(None)
    return render_template("audits/other_home.html")


def _home_page(form: forms.NewAuditForm | None) -> str:
    """A school administrator's start page: the start form (``None``: an empty one) and the school's
    audits. With an empty form the content is kept per audits listed (as shown: names, dates, statuses,
    verdicts), language and rule set, with a placeholder for the CSRF token (app.pagecache): the columns
    read are the key, and the rows are built from them only when the content is not kept."""
    listed = services.list_audits(current_user)
    if form is not None:
        return render_template("audits/home.html", body=Markup(render_template(
            "audits/_home_body.html", audits=_audit_rows(listed), form=form, hints=_hints(),
            csrf_value=generate_csrf())))
    body = rendered.kept_form(("home", ui_lang(), current_ruleset().sha256, _listed_key(listed)),
                              lambda csrf: render_template("audits/_home_body.html", audits=_audit_rows(listed),
                                                           form=forms.NewAuditForm(), hints=_hints(), csrf_value=csrf))
    return render_template("audits/home.html", body=body)


@bp.post("/audits")
@access.roles_required("school_admin")
def create():
    """Create a draft audit of the user's school from the product and vendor names, then go to the first step."""
    form = forms.NewAuditForm()
    qn = current_ruleset().questionnaire
    if form.validate_on_submit():
        try:
            audit = services.create_audit(qn, product_name=form.product_name.data, vendor_name=form.vendor_name.data,
                                          organisation=current_user.organisation, user=current_user)
        except AnswerError as exc:
            getattr(form, exc.question_id).errors.append(forms.friendly_error(
                qn.questions[exc.question_id], getattr(form, exc.question_id).data, exc, ui_lang()))
        else:
            db.session.commit()
            flash(_("Audit started. Your answers are saved every time you move to another step."), "success")
            typed = qn.load(audit.answers).typed
            return redirect(_step_url(audit, qn.visible_sections(typed)[0].id))
    return _home_page(form)


@bp.get("/audits/<report_id>/continue")
@login_required
def resume(report_id: str):
    """Continue an audit at its first step with required answers still open (or the results)."""
    audit = _editable_or_redirect(report_id)
    if not isinstance(audit, Audit):
        return audit
    qn = current_ruleset().questionnaire
    typed = qn.load(audit.answers).typed
    missing = qn.missing_required(typed)
    if not missing:
        return redirect(url_for("audits.results", report_id=audit.report_id))
    return redirect(_step_url(audit, missing[0].section_id))


@bp.route("/audits/<report_id>/steps/<section_id>", methods=["GET", "POST"])
@login_required
def step(report_id: str, section_id: str):
    """One questionnaire step. POST saves every valid field, then continues, goes back or jumps.

    The form carries the audit's ``revision``; a save based on an older revision is merged with
    what others saved since (:func:`.services.merge_and_save`): answers both changed differently are
    not saved, the page says who changed what, and keeps this user's input.
    """
    audit = _editable_or_redirect(report_id)
    if not isinstance(audit, Audit):
        return audit
    qn = current_ruleset().questionnaire
    lang = ui_lang()
    try:
        section = qn.section(section_id)
    except KeyError:
        abort(404)
    visible_ids, slots = _step_shape(audit, section)
    if section.id not in visible_ids:
        flash(_("The step “%(step)s” does not apply with your current answers.", step=section.title[lang]), "info")
        later = [s for s in qn.sections if s.id in visible_ids and qn.sections.index(s) > qn.sections.index(section)]
        return redirect(_step_url(audit, later[0].id) if later else url_for("audits.results",
                                                                              report_id=audit.report_id))
    if request.method == "POST":
        return _save_step(audit, section, slots, forms.step_form_class(qn, slots, lang)(), visible_ids)
    return _step_page(audit, section, slots, None)


def _step_shape(audit: Audit, section: Section) -> tuple[frozenset[str], list[forms.Slot]]:
    """(ids of the steps that apply to the audit's stored answers, the questions of ``section`` to put
    on its page): worked out from the typed answers once per audit revision, rule set and step, and
    kept in the parts store (a revision names the stored answers; the slots are never changed)."""
    qn = current_ruleset().questionnaire

    def make() -> tuple[frozenset[str], list[forms.Slot]]:
        typed = qn.load(audit.answers).typed
        return frozenset(s.id for s in qn.visible_sections(typed)), forms.step_slots(qn, section, typed)

    return rendered.kept(("step-shape", audit.id, audit.revision, current_ruleset().sha256, section.id), make)


def _save_step(audit: Audit, section: Section, slots: list[forms.Slot], form: FlaskForm,
               visible_ids: frozenset[str]) -> Response | str | tuple:
    """Save the posted step; then on to the step asked for, or the page again with what needs the
    user: refused answers with their messages, or the answers another user changed meanwhile; 503
    with the page again when the database could not be reached (nothing saved). ``visible_ids``: the
    steps that apply to the answers the audit held before the save (:func:`_step_shape`)."""
    qn = current_ruleset().questionnaire
    lang = ui_lang()
    form.validate()
    base_revision = _base_revision(audit)
    revision_before = audit.revision
    try:
        outcome = services.merge_and_save(qn, audit, forms.step_values(form, slots),
                                          base_revision=base_revision, user=current_user)
        for qid, error in outcome.errors.items():
            forms.question_field(form, qn.questions[qid]).errors.append(describe(error))
        wrote = audit.revision != revision_before or bool(db.session.new or db.session.dirty or db.session.deleted)
        if wrote:  # a save that changed nothing wrote nothing: no commit, so the audit is not read again
            db.session.commit()
    except StaleDataError:
        # Another save of this audit committed between our read and our write: nothing of ours was
        # written. Show the page again with this user's input and the revision it was typed on, so
        # the next save merges with the other save (and names any answer both changed).
        db.session.rollback()
        flash(_("Someone else saved this audit at the same moment, so nothing on this page was saved. "
                "What you typed is still below: check it and save again."), "warning")
        return _step_page(audit, section, slots, form, posted=True, revision=base_revision)
    except DBAPIError as exc:
        if not database_unavailable(exc):
            raise
        # The connection died before the commit went through (a database restart): the server rolled
        # the transaction back, so nothing of this page is stored. The page again, with the typed input
        # and the revision it was loaded at; if the database is still away, app.errors answers instead.
        db.session.rollback()
        current_app.logger.warning("step not saved, the database could not be reached: %s", exc)
        flash(_("The database could not be reached for a moment. Nothing on this page was saved, and your "
                "earlier answers were kept. What you typed is still in the form below: save again."), "warning")
        return _step_page(audit, section, slots, form, posted=True, revision=base_revision), 503, {"Retry-After": "10"}
    if outcome.saved:
        kept.confirm(kept.step_key(audit.report_id, section.id, audit.version))
    typed = functools.cache(lambda: qn.load(audit.answers).typed)  # read only where needed, once
    # nothing written: the answers, and so the steps that apply, are those the page was shaped on
    visible = qn.visible_sections(typed()) if wrote else [s for s in qn.sections if s.id in visible_ids]
    if any(forms.question_field(form, slot.question).errors for slot in slots):
        effective = qn.effective_answers(typed())
        for slot in slots:
            if not qn.is_visible(slot.question, effective):
                # A refused value in a question the page now hides: keep the saved answer, say nothing.
                forms.question_field(form, slot.question).errors = []
    if not outcome.saved:
        # Stay: show what the other user changed beside this user's input; the fields this user did
        # not touch show the other user's answers, so saving again overwrites only what they typed.
        current = forms.form_data(slots, typed())
        for slot in slots:
            if slot.question.id in outcome.theirs:
                field = forms.question_field(form, slot.question)
                field.process(None, current.get(forms.FIELD_PREFIX + slot.question.id))
                field.raw_data = None
        return _step_page(audit, section, slots, form, conflicts=outcome.conflicts, posted=True)
    invalid = [s.question for s in slots if forms.question_field(form, s.question).errors]
    target = _step_target(audit, section, visible, invalid)
    if target is None:
        # stay: show the refused answers with their messages
        return _step_page(audit, section, slots, form, posted=True)
    if invalid:
        names = LIST_SEPARATOR[lang].join(q.label[lang] for q in invalid)
        flash(_("Saved “%(step)s” except %(num)s answer(s) that were not valid and were not kept: "
                "%(names)s. Go back to that step to enter them again.",
                step=section.title[lang], num=len(invalid), names=names), "warning")
    else:
        flash(_("Saved “%(step)s”.", step=section.title[lang]), "success")
    return redirect(target)


def _step_target(audit: Audit, section: Section, visible: list[Section], invalid: list[Question]) -> str | None:
    """Where a saved step goes: the step the user jumped to, back, or on (the results after the
    last); ``None`` to stay on the page (going on with refused answers)."""
    previous, following = _neighbours(visible, section.id)
    goto = request.form.get("goto")
    action = request.form.get("action", "continue")
    if goto and goto in {s.id for s in visible}:
        return _step_url(audit, goto)
    if action == "back":
        return _step_url(audit, previous) if previous else url_for("audits.home")
    if action == "attach" and not invalid:
        return url_for("evidence.attachments", report_id=audit.report_id, section=section.id)
    if not invalid:
        return _step_url(audit, following) if following else url_for("audits.results", report_id=audit.report_id)
    return None


def _step_page(audit: Audit, section: Section, slots: list[forms.Slot], form: FlaskForm | None,
               conflicts: tuple[services.EditConflict, ...] = (), *, posted: bool = False,
               revision: int | None = None) -> str:
    """The step page with ``form``, the progress list, the reviewer's comments and ``conflicts``.
    ``form`` ``None``: the form of the stored answers (a plain GET), whose rendered content is kept per
    audit revision (see :func:`_step_body`). ``posted``: the form shows the input just sent (the
    browser's kept copy is not put back); ``revision``: the revision the form says it was loaded at
    (default: the audit's current one)."""
    qn = current_ruleset().questionnaire
    lang = ui_lang()
    related = services.related_rows(audit)  # one statement: comments and documents are read only if there are some
    comments = _review_comments(audit, section.id, {s.question.id for s in slots}, submitted=related.submissions > 0)
    documents: dict[str, list[dict[str, str]]] = {}
    for attachment in evidence_services.attachments_of(audit) if related.attachments else ():
        documents.setdefault(attachment.question_id, []).append({
            "file_name": attachment.file_name,
            "url": url_for("evidence.download", report_id=audit.report_id, attachment_id=attachment.id)})
    page = {"audit": {"report_id": audit.report_id, "product": audit.product_name, "vendor": audit.vendor_name,
                      "updated": format_utc(audit.updated_at)},
            "section": {"id": section.id, "title": section.title[lang], "intro": (section.intro or {}).get(lang)}}
    if form is None:
        # Everything the content shows: the stored answers (revision), the questionnaire, the language,
        # the step, the reviewer's comments and the documents attached. The CSRF token is put in after.
        key = ("step", audit.id, audit.revision, current_ruleset().sha256, lang, section.id,
               rendered.digest(comments), rendered.digest(documents))

        def render(csrf: str) -> str:
            typed = qn.load(audit.answers).typed
            stored = forms.step_form_class(qn, slots, lang)(formdata=None, data=forms.form_data(slots, typed))
            return _step_body(audit, section, slots, stored, comments, documents, page, csrf_value=csrf)

        # the stored answers' form has no refused answer: no "Error:" in the title
        return render_template("audits/step.html", body=rendered.kept_form(key, render), problems=False, **page)
    body = _step_body(audit, section, slots, form, comments, documents, page, csrf_value=generate_csrf(),
                      conflicts=conflicts, posted=posted, revision=revision)
    return render_template("audits/step.html", body=body,
                           problems=any(forms.question_field(form, s.question).errors for s in slots), **page)


def _step_body(audit: Audit, section: Section, slots: list[forms.Slot], form: FlaskForm,
               comments: dict[str, Any], documents: dict[str, list[dict[str, str]]], page: dict[str, Any], *,
               csrf_value: str, conflicts: tuple[services.EditConflict, ...] = (), posted: bool = False,
               revision: int | None = None) -> Markup:
    """The step page's content (``audits/_step_body.html``) as HTML: ``page`` holds ``audit`` and
    ``section`` as the page shows them, ``csrf_value`` goes in the form's CSRF field."""
    qn = current_ruleset().questionnaire
    lang = ui_lang()
    loaded = qn.load(audit.answers)
    visible = qn.visible_sections(loaded.typed)
    effective = qn.effective_answers(loaded.typed)
    open_ids = {q.id for q in qn.missing_required(loaded.typed) if q.section_id == section.id}
    questions = []
    for slot in slots:
        q = slot.question
        field = forms.question_field(form, q)
        questions.append({
            "id": q.id, "type": q.type, "label": q.label[lang], "help": q.help[lang], "required": q.required,
            "open": q.id in open_ids, "field": field, "errors": list(field.errors),
            "show_if": forms.condition_json(slot), "hidden": not qn.is_visible(q, effective),
            "exclusive": list(q.exclusive),
            "option_help": {o.id: o.help[lang] for o in q.options if o.help},
            "comments": comments["questions"].get(q.id, []), "documents": documents.get(q.id, []),
        })
    steps = _steps(qn, loaded.typed, section.id)
    previous, following = _neighbours(visible, section.id)
    current = next(s for s in steps if s["current"])
    return Markup(render_template(
        "audits/_step_body.html", **page, csrf_value=csrf_value,
        questions=questions, form=form, steps=steps, current=current, total=len(steps),
        has_previous=previous is not None, is_last=following is None,
        open_questions=[{"id": q["id"], "label": q["label"]} for q in questions if q["open"] and not q["hidden"]],
        problems=[{"id": q["id"], "label": q["label"], "message": " ".join(q["errors"])}
                  for q in questions if q["errors"]],
        # The revision the page shows (after this user's own save, if any): saving it again overwrites
        # only what another user saves from now on, and after a conflict it overwrites deliberately.
        stale=_stale_rows(qn, loaded.stale), revision=audit.revision if revision is None else revision,
        kept_key=kept.step_key(audit.report_id, section.id, audit.version), posted=posted,
        conflicts=[{"label": qn.questions[c.question_id].label[lang],
                    "current": display_json(qn, c.question_id, c.current, lang),
                    "actor": c.actor, "at": format_utc(c.at)} for c in conflicts],
        section_comments=comments["section"],
    ))


def _editable_or_redirect(report_id: str) -> Audit | Response:
    """The audit if the user may edit its answers now; for its school while the answers are frozen, a
    redirect to the audit's page saying so; 404/403 otherwise (see :func:`app.access.audit_for`)."""
    audit = access.audit_for(report_id, "view")
    if access.allowed(current_user, "edit", audit):
        return audit
    if access.is_role(current_user, "school_admin"):
        flash(_("This audit was submitted, so its answers are frozen. Start a new version to change them."), "info")
        return redirect(url_for("audits.overview", report_id=audit.report_id))
    abort(403)


def _base_revision(audit: Audit) -> int:
    """The revision the posted form was loaded at (the current one if the form did not say)."""
    raw = request.form.get("revision", "")
    return int(raw) if raw.isdigit() else audit.revision


def _review_comments(audit: Audit, section_id: str, question_ids: set[str], *, submitted: bool = True) -> dict[
        str, Any]:
    """The reviewer's comments of the latest decided submission that concern this step: ratings of the
    section itself, and ratings of findings beside the questions whose answers raised them.
    ``submitted`` ``False``: the caller knows the audit was never submitted (nothing is read)."""
    out: dict[str, Any] = {"section": [], "questions": {}}
    submission = review_services.latest_submission(audit) if submitted else None
    if submission is None or submission.decision is None:
        return out
    ruleset, lang = current_ruleset(), ui_lang()
    evidence = {f.rule_id: [e.question for e in f.evidence] for f in submission.assessment.read_result().findings}
    for rating in submission.ratings:
        entry = {"rating": {"id": rating.value, "label": review_report.RATING_LABELS[rating.value][lang],
                            "mark": review_report.RATING_MARKS[rating.value]},
                 "comment": rating.comment,
                 "target": review_report.target_label(ruleset, rating.target_kind, rating.target_id, lang),
                 "action": rating.action_item.action if rating.action_item else "",
                 "due": rating.action_item.due_date.isoformat() if rating.action_item else ""}
        if rating.target_kind == "section" and rating.target_id == section_id:
            out["section"].append(entry)
        elif rating.target_kind == "finding":
            # Beside the first question of this step whose answer raised the finding (once per step).
            first = next((qid for qid in evidence.get(rating.target_id, []) if qid in question_ids), None)
            if first is not None:
                out["questions"].setdefault(first, []).append(entry)
    return out


@bp.get("/audits/<report_id>/results")
@login_required
def results(report_id: str):
    """The report, or the list of what is still missing (with links to the steps)."""
    audit = access.audit_for(report_id, "view")
    ruleset = current_ruleset()
    lang, ui = _report_lang(), ui_lang()
    related = services.related_rows(audit)  # one statement: the rows below are read only when there are some
    review = review_report.review_context(ruleset, audit, lang) if related.submissions or related.actions else None
    school = services.school_name(audit)
    # Documents attached to answers are listed in the report's appendix; they are rows of their own,
    # so adding or removing one does not change the audit's revision: they are part of the key.
    attachments = evidence_services.appendix_rows(ruleset.questionnaire, audit, lang) if related.attachments else []
    key = (audit.id, audit.revision, ruleset.sha256, lang, ui, audit.status, school, rendered.digest(review),
           rendered.digest(attachments))
    # The page shown is the latest snapshot's: one stored since (by a process with another rule set)
    # is a miss, so the audit is evaluated again here as before.
    page_key = (*key, related.snapshot)
    page = rendered.pages().get(page_key)
    if page is None:
        page = _results_page(audit, ruleset, lang, review, school, attachments)
        if "missing" in page:
            return render_template("audits/missing.html",
                                   audit={"report_id": audit.report_id, "product": audit.product_name}, **page)
        page_key = (*key, page.pop("snapshot"))
        rendered.pages().put(page_key, page)
    shown = {"report_id": audit.report_id, "product": audit.product_name}
    # The content is kept per page and state of the submit form (its regulators and the one chosen; none
    # when the user may not submit), with the session's CSRF token put into the form. The form itself is
    # built only when the content is rendered.
    state = _submit_state(audit)

    def render(csrf: str) -> str:
        return render_template(
            "audits/_results_body.html", audit=shown, lang=lang,
            pdf_url=url_for("audits.report_pdf", report_id=audit.report_id, lang=lang),
            submit_form=None if state is None else _submit_form_of(*state),
            csrf_value=csrf, report_html=page["report_html"], steps=page["steps"],
            progress_html=page["progress_html"], stale=page["stale"])

    body_key = ("results", *page_key, rendered.digest(state))
    body = rendered.kept_form(body_key, render) if state is not None \
        else rendered.kept(body_key, lambda: Markup(render("")))
    return render_template("audits/results.html", audit=shown, body=body)


def _results_page(audit: Audit, ruleset, lang: str, review: dict[str, Any] | None,
                  school: str | None, attachments: list[dict[str, Any]]) -> dict[str, Any]:
    """The results page's parts: ``report_html``, ``steps``, ``progress_html`` (their list, rendered),
    ``stale`` and ``snapshot`` (id, rule set SHA-256) for an audit that can be evaluated (its snapshot kept
    and committed), else ``missing``, ``missing_count``, ``conflicts``, ``steps`` for the page that lists
    what is still open."""
    qn = ruleset.questionnaire
    ui = ui_lang()
    loaded = qn.load(audit.answers)
    try:
        evaluation = evaluate_audit(ruleset, audit)
    except NotReady as exc:
        missing: list[dict[str, Any]] = []
        for q in exc.missing:
            if not missing or missing[-1]["id"] != q.section_id:
                missing.append({"id": q.section_id, "title": qn.section(q.section_id).title[ui],
                                "url": _step_url(audit, q.section_id), "questions": []})
            missing[-1]["questions"].append({"label": q.label[ui],
                                             "url": _step_url(audit, q.section_id) + f"#q-{q.id}"})
        conflicts = [{"label": qn.questions[e.question_id].label[ui],
                      "message": describe(e),
                      "url": _step_url(audit, qn.questions[e.question_id].section_id) + f"#q-{e.question_id}"}
                     for e in exc.conflicts]
        return {"missing": missing, "missing_count": len(exc.missing), "conflicts": conflicts,
                "steps": _steps(qn, loaded.typed, None)}
    db.session.commit()
    context = build_report_context(ruleset, evaluation.result, report_id=audit.report_id,
                                   generated_at=evaluation.snapshot.created_at, lang=lang,
                                   status=review_report.cover_status(audit),
                                   review=review, school=school, attachments=attachments)
    steps = _steps(qn, loaded.typed, None)
    return {"report_html": render_html(context, fragment=True), "steps": steps,
            "progress_html": Markup(render_template("audits/_results_progress.html", steps=steps,
                                                    report_id=audit.report_id)),
            "stale": _stale_rows(qn, loaded.stale),
            "snapshot": (evaluation.snapshot.id, evaluation.snapshot.rule_set_sha256)}


@bp.get("/audits/<report_id>/report.pdf")
@login_required
@limiter.limit(_pdf_limit, key_func=_user_key)
def report_pdf(report_id: str):
    """The same report as a PDF download (A4), named after the report id, recorded for ``/verify``.

    A PDF already in the store is served from it at once (byte for byte the one issued). Otherwise
    a job renders it (:func:`app.audits.jobs.request_report`): with background workers this redirects
    to the job's progress page; without, the render happens here. A render stopped by a limit gets a
    page in plain words (503 for time, so a client may retry; 422 for size; 507 for a full disk).
    Downloads are limited per user (``PDF_RATE_LIMIT``).
    """
    audit = access.audit_for(report_id, "pdf")
    lang = _report_lang()
    try:
        ref = audit_jobs.request_report(audit.id, lang, user_id=current_user.id)
    except NotReady:
        return redirect(url_for("audits.results", report_id=audit.report_id))
    if not ref.done:
        return redirect(url_for("audits.report_job", report_id=audit.report_id, job_id=ref.id, lang=lang), 303)
    return _finished_report(audit, lang, ref)


def _finished_report(audit: Audit, lang: str, ref: JobRef) -> Response | tuple:
    result = ref.result or {}
    if ref.state == "failed" or "key" not in result and "problem" not in result:
        current_app.logger.error("PDF job %s of %s failed: %s", ref.id, audit.report_id, ref.error)
        return _pdf_failed(audit, lang)
    if "problem" in result:
        return _pdf_refused(audit, lang, result["problem"])
    stored = audit_jobs.stored_report(result["key"])
    if stored is None:
        current_app.logger.error("PDF %s of %s is not in the store", result["key"], audit.report_id)
        return _pdf_failed(audit, lang)
    return Response(stored.pdf, mimetype="application/pdf", headers={
        # id, version, status and language in the name: the English and Chinese reports, the versions of
        # one audit and its draft and submitted PDFs do not overwrite each other in a downloads folder
        "Content-Disposition": (f"attachment; filename=eduaudit-{stored.report_id}-v{stored.version}-{stored.status}"
                                f"-{stored.lang}.pdf"),
        "Cache-Control": "private, no-store",
    })


def _report_job(report_id: str, job_id: str) -> tuple[Audit, JobRef | None]:
    audit = access.audit_for(report_id, "pdf")
    try:
        ref = jobs.status(job_id)
    except JobsUnavailable:
        return audit, None
    if ref is None or ref.meta.get("audit_id") != audit.id:
        abort(404)
    return audit, ref


def _job_view(audit: Audit, ref: JobRef, lang: str) -> dict[str, Any]:
    return jobs.progress_view(ref, url_for("audits.report_pdf", report_id=audit.report_id, lang=lang))


@bp.get("/audits/<report_id>/report-jobs/<job_id>")
@login_required
def report_job(report_id: str, job_id: str):
    """The progress of a report PDF job: a progress bar that follows the job (polled by
    ``progress.js``; without script the page reloads itself), then the download link. A job that
    ended without a PDF shows the same plain-words page as a direct download would."""
    lang = _report_lang()
    audit, ref = _report_job(report_id, job_id)
    if ref is None:
        return _jobs_unavailable(audit, lang)
    if ref.state == "failed" or ref.state == "finished" and "key" not in (ref.result or {}):
        return _finished_report(audit, lang, ref)
    view = _job_view(audit, ref, lang)
    return render_template("audits/report_job.html", audit={"report_id": audit.report_id,
                                                             "product": audit.product_name},
                           job=view, lang=lang,
                           status_url=url_for("audits.report_job_status", report_id=audit.report_id,
                                              job_id=job_id, lang=lang),
                           page_url=url_for("audits.report_job", report_id=audit.report_id, job_id=job_id,
                                            lang=lang),
                           results_url=url_for("audits.results", report_id=audit.report_id, lang=lang))


@bp.get("/audits/<report_id>/report-jobs/<job_id>.json")
@login_required
def report_job_status(report_id: str, job_id: str):
    """The job's progress for the progress page's script: ``state``, ``ready``, ``percent`` (0-100),
    ``message`` (in the interface language) and, once ready, ``download_url``."""
    lang = _report_lang()
    audit, ref = _report_job(report_id, job_id)
    if ref is None:
        return {"state": "unknown", "ready": False, "percent": 0, "message": "", "download_url": None}, 503
    return _job_view(audit, ref, lang)


def _jobs_unavailable(audit: Audit, lang: str):
    page = render_template(
        "audits/pdf_refused.html", title=_("The PDF cannot be followed right now"),
        message=_("The service that produces PDFs cannot be reached at the moment. Your answers and results "
                  "are saved, and a PDF already requested is not lost. Try again in a few minutes; the report "
                  "can be read in the browser meanwhile."),
        results_url=url_for("audits.results", report_id=audit.report_id, lang=lang))
    return page, 503, {"Retry-After": "60"}


def _pdf_failed(audit: Audit, lang: str):
    page = render_template(
        "audits/pdf_refused.html", title=_("The PDF could not be produced"),
        message=_("Something went wrong while producing this report's PDF, and the problem has been logged. "
                  "Your answers and results are saved. Try again in a few minutes; the report can be read "
                  "in the browser meanwhile."),
        results_url=url_for("audits.results", report_id=audit.report_id, lang=lang))
    return page, 503, {"Retry-After": "120"}


def _pdf_refused(audit: Audit, lang: str, problem: dict[str, Any]):
    """The page for a report job that ended without a PDF: ``problem`` as in
    :func:`app.audits.jobs.build_report_pdf` (a render limit, a full disk, an audit gone or not ready)."""
    kind, limit, actual = problem.get("kind"), problem.get("limit") or 0, problem.get("actual") or 0
    if kind == "not_ready":
        return redirect(url_for("audits.results", report_id=audit.report_id, lang=lang))
    if kind == "time":
        code = 503
        title = _("The PDF took too long to produce")
        message = _("Producing this report's PDF took longer than the %(seconds)s seconds allowed, so it was "
                    "stopped. Your answers and results are saved. Try again in a few minutes; the report "
                    "can be read in the browser meanwhile.", seconds=f"{limit:g}")
    elif kind == "answers":
        code = 422
        title = _("The answers are too long to print")
        message = _("This audit's answers hold %(actual)s characters of text, more than the %(limit)s a PDF "
                    "report may print, so no PDF was produced. Your answers are saved. Shorten the longest "
                    "answers and download the PDF again.",
                    actual=format_number(int(actual)), limit=format_number(int(limit)))
    elif kind == "size":
        code = 422
        title = _("The PDF would be too large")
        message = _("The PDF of this report would be larger than the %(limit)s MiB allowed, so it was not "
                    "produced. Your answers are saved. Shorten the longest answers and try again.",
                    limit=f"{limit / 1024 / 1024:g}")
    elif kind == "store_full":
        code = 507
        title = _("The PDF could not be stored")
        message = _("The server's disk is full, so the PDF could not be stored and none was issued. Your "
                    "answers and results are saved. The problem has been logged for the administrators; "
                    "try again later, and read the report in the browser meanwhile.")
    else:
        return _pdf_failed(audit, lang)
    page = render_template("audits/pdf_refused.html", title=title, message=message,
                           results_url=url_for("audits.results", report_id=audit.report_id, lang=lang))
    headers = {"Retry-After": "120"} if code in (503, 507) else {}
    return page, code, headers


def _submit_state(audit: Audit) -> tuple[list[tuple[str, str]], str | None] | None:
    """What the form that sends the audit to a regulator shows, if the user may submit it now: its
    choices ((id, name) of every regulator) and the one chosen (the audit's last regulator, or none);
    ``None`` when the user may not submit."""
    if not access.allowed(current_user, "submit", audit):
        return None
    return review_services.regulator_choices(), str(audit.regulator_id) if audit.regulator_id else None


def _submit_form_of(choices: list[tuple[str, str]], chosen: str | None) -> FlaskForm:
    form = review_forms.SubmitForm()
    form.regulator.choices = choices
    if chosen is not None:
        form.regulator.data = chosen
    return form


def _submit_form(audit: Audit) -> FlaskForm | None:
    """The form that sends the audit to a regulator, if the user may submit it now."""
    state = _submit_state(audit)
    return None if state is None else _submit_form_of(*state)


@bp.get("/audits/<report_id>")
@login_required
def overview(report_id: str):
    """The audit's page: status and version, the verdict, the number of documents attached, submission
    and review history with the reviewer's comments and action plan, what the user can do next, and
    the audit trail."""
    audit = access.audit_for(report_id, "view")
    ruleset = current_ruleset()
    lang = ui_lang()
    loaded = ruleset.questionnaire.load(audit.answers)
    ready = not ruleset.questionnaire.missing_required(loaded.typed) and not loaded.conflicts
    submit_form = _submit_form(audit)
    history = [{
        "number": s.number, "version": s.version, "submitted": format_utc(s.submitted_at),
        "regulator": s.regulator.name,
        "verdict": level_badge(s.assessment.verdict, lang),
        "decision": review_report.DECISION_LABELS[s.decision][lang], "decision_id": s.decision or "pending",
        "decided": format_utc(s.decided_at), "comment": s.decision_comment, "note": s.note,
    } for s in review_services.submissions(audit)]
    review = review_report.review_context(ruleset, audit, lang)
    return render_template(
        "audits/overview.html",
        audit={"report_id": audit.report_id, "product": audit.product_name, "vendor": audit.vendor_name,
               "school": audit.organisation.name if audit.organisation else "", "version": audit.version,
               "status": {"id": audit.status, "label": STATUS_NAMES[audit.status]()},
               "updated": format_utc(audit.updated_at), "jurisdiction": _jurisdiction(audit.jurisdiction)},
        verdict=_verdict(latest_snapshot(audit), audit), ready=ready, history=history, review=review,
        events=trail_wording.event_rows(audit), submit_form=submit_form, new_version_form=review_forms.NewVersionForm()
        if access.allowed(current_user, "new_version", audit) else None,
        can_edit=access.allowed(current_user, "edit", audit),
        publication=_publication(audit),
        publish_form=registry_forms.PublishForm() if access.allowed(current_user, "publish", audit)
        and registry_services.publication_of(audit) is None else None,
        unpublish_form=registry_forms.UnpublishForm() if access.allowed(current_user, "unpublish", audit) else None,
        can_review=access.allowed(current_user, "review", audit),
        plan=review_report.action_rows(audit, lang, dt.date.today(), ruleset),
        action_form=review_forms.ActionForm() if access.allowed(current_user, "plan", audit) else None,
        done_forms=review_forms.DoneForm() if access.allowed(current_user, "plan", audit) else None,
        documents=len(evidence_services.attachments_of(audit)),
    )


def _publication(audit: Audit) -> dict[str, Any] | None:
    publication = registry_services.publication_of(audit)
    if publication is None:
        return None
    return {"public_id": publication.public_id, "published": format_utc(publication.published_at),
            "school_name": publication.school_name,
            "url": url_for("registry.product", product_id=publication.product_id)}
