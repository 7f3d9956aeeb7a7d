"""Documents attached to an audit's answers: the audit's documents page (list, attach), download,
remove.

Who may do what follows the audit (:func:`app.access.audit_for`): whoever may see the audit may see
and download its documents; only its school may attach or remove them, and only while the answers
can be changed. Downloads are always files to save (``Content-Disposition: attachment``), never
shown in the browser, with ``nosniff`` and a sandboxing Content-Security-Policy, and not cached.

The upload route accepts bodies up to ``ATTACHMENT_MAX_BYTES`` (plus the form around the file),
larger than the app-wide ``MAX_CONTENT_LENGTH``; so its CSRF check runs in the view, after that
limit is raised for this request (as on ``/verify``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_number
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms.fields.choices import SelectChoice

from .. import access
from ..extensions import csrf, current_ruleset, db
from ..i18n import describe, ui_lang
from ..labels import target_label
from ..models import ActionItem, Attachment, Audit
from ..timefmt import format_utc
from . import bp, forms, services
from .download import document_response, store

FORM_OVERHEAD = 64 * 1024
"""Bytes allowed on top of the document for the rest of the upload form (fields, multipart framing)."""




def _question_choices(audit: Audit) -> list[SelectChoice]:
    """The questions that apply to the audit's answers now, grouped by step (the select's groups)."""
    qn, lang = current_ruleset().questionnaire, ui_lang()
    typed = qn.load(audit.answers).typed
    effective = qn.effective_answers(typed)
    return [SelectChoice(q.id, q.label[lang], optgroup=section.title[lang]) for section in qn.visible_sections(typed)
            for q in section.questions if qn.is_visible(q, effective)]


def _size(size_bytes: int) -> str:
    if size_bytes < 1024:
        return _("%(num)s bytes", num=format_number(size_bytes))
    if size_bytes < 1024 * 1024:
        return _("%(num)s KiB", num=format_number(round(size_bytes / 1024)))
    return _("%(num)s MiB", num=services.mib(size_bytes))


def attachment_row(audit: Audit, attachment: Attachment) -> dict[str, Any]:
    """One attachment as the pages show it (plain data)."""
    qn, lang = current_ruleset().questionnaire, ui_lang()
    q = qn.questions.get(attachment.question_id)
    return {"id": attachment.id, "file_name": attachment.file_name, "size": _size(attachment.size_bytes),
            "sha256": attachment.sha256, "question_id": attachment.question_id,
            "question": q.label[lang] if q else attachment.question_id, "uploaded": format_utc(attachment.uploaded_at),
            "url": url_for("evidence.download", report_id=audit.report_id, attachment_id=attachment.id)}


def _request_choices(audit: Audit) -> list[tuple[str, str]]:
    """The request select's choices: none, then each open document request of the audit."""
    return [("", _("None: the document is not one the regulator asked for"))] + [
        (str(r.id), r.action) for r in services.requests_of(audit)]


def _request_rows(audit: Audit, can_edit: bool) -> list[dict[str, Any]]:
    """The regulator's open document requests as the page lists them (plain data), each with the link
    that opens the attach form preselected to it and to the question it rests on."""
    ruleset, lang, today = current_ruleset(), ui_lang(), dt.date.today()
    return [{"id": r.id, "document": r.action, "owner": r.owner, "due": r.due_date.isoformat(),
             "overdue": r.overdue_on(today), "concerns": target_label(ruleset, r.target_kind or "", r.target_id or "",
                                                                     lang),
             "url": url_for("evidence.attachments", report_id=audit.report_id, request=r.id) + "#attach-title"
             if can_edit else None}
            for r in services.requests_of(audit)]


def _page(audit: Audit, form: forms.AttachForm | None, code: int = 200):
    can_edit = access.allowed(current_user, "edit", audit)
    if can_edit and form is None:
        form = forms.AttachForm(formdata=None)
    if form is not None:
        form.question.choices = _question_choices(audit)
        form.request.choices = _request_choices(audit)
        asked = request.args.get("request", "")
        if not form.request.data and asked and asked in dict(form.request.choices):
            form.request.data = asked
        if form.question.data is None:
            wanted = request.args.get("question")
            chosen_id = form.request.data if form.request.data in dict(form.request.choices) else ""
            chosen = db.session.get(ActionItem, int(chosen_id)) if chosen_id else None
            if chosen is not None and not wanted:  # from a request's "Attach": the answer its concern rests on
                wanted = services.request_question(current_ruleset().questionnaire, chosen)
            section = request.args.get("section")
            if section and not wanted:  # from a step's "Save and attach": its first question
                try:
                    wanted = current_ruleset().questionnaire.section(section).questions[0].id
                except (KeyError, IndexError):
                    wanted = None
            form.question.data = wanted
    rows = [attachment_row(audit, a) for a in services.attachments_of(audit)]
    limit = current_app.config["ATTACHMENT_MAX_BYTES"]
    return render_template(
        "evidence/attachments.html",
        audit={"report_id": audit.report_id, "product": audit.product_name, "version": audit.version},
        attachments=rows, form=form if can_edit else None, requests=_request_rows(audit, can_edit),
        remove_form=forms.RemoveForm(formdata=None) if can_edit else None,
        limit_mib=services.mib(limit), frozen=not audit.editable), code


def _refuse_frozen(audit: Audit):
    """For the school while the answers are frozen: back to the audit's page, saying so; 403 otherwise."""
    if access.is_role(current_user, "school_admin"):
        flash(_("This audit was submitted, so its answers and documents are frozen. Start a new version to "
                "change them."), "info")
        return redirect(url_for("audits.overview", report_id=audit.report_id))
    abort(403)


@bp.route("/audits/<report_id>/attachments", methods=["GET", "POST"])
@csrf.exempt  # checked below, once the upload limit of this route applies (see the module's docstring)
@login_required
def attachments(report_id: str):
    """The audit's documents; POST attaches one (the school, while the answers can be changed)."""
    audit = access.audit_for(report_id, "view")
    if request.method == "GET":
        return _page(audit, None)
    if not access.allowed(current_user, "edit", audit):
        return _refuse_frozen(audit)
    limit = current_app.config["ATTACHMENT_MAX_BYTES"]
    request.max_content_length = limit + FORM_OVERHEAD
    try:
        csrf.protect()  # raises CSRFError (the "page has expired" page, 400) without a valid token
        form = forms.AttachForm()
        form.question.choices = _question_choices(audit)
        form.request.choices = _request_choices(audit)
        valid = form.validate()
    except RequestEntityTooLarge:
        form = forms.AttachForm(formdata=None)
        form.document.errors = [_("The document is larger than %(limit)s MiB, the most this tool accepts, so it "
                                  "was not attached. Attach a smaller file (for example only the signed pages, "
                                  "or the PDF saved at a lower image quality).", limit=services.mib(limit))]
        return _page(audit, form, 413)
    if not valid:
        return _page(audit, form, 422)
    upload = form.to_upload()
    try:
        attachment = services.add(current_ruleset().questionnaire, audit, upload, current_user, store=store(),
                                  max_bytes=limit, max_count=current_app.config["ATTACHMENTS_PER_VERSION"])
    except services.EvidenceError as exc:
        db.session.rollback()
        form.document.errors.append(describe(exc))
        return _page(audit, form, 422)
    db.session.commit()
    flash(_("“%(name)s” is attached. Its SHA-256 fingerprint is %(sha)s.", name=attachment.file_name,
            sha=attachment.sha256), "success")
    if upload.request_id is not None:
        flash(_("The regulator's request is answered with this document and marked done."), "success")
    return redirect(url_for("evidence.attachments", report_id=audit.report_id))


@bp.get("/audits/<report_id>/attachments/<int:attachment_id>")
@login_required
def download(report_id: str, attachment_id: int):
    """One document as a file to save, to whoever may see the audit (any version's documents)."""
    audit = access.audit_for(report_id, "view")
    attachment = services.find(audit, attachment_id)
    if attachment is None:
        abort(404)
    response = document_response(audit.report_id, attachment)
    if response is None:
        abort(404)
    return response


@bp.post("/audits/<report_id>/attachments/<int:attachment_id>/remove")
@login_required
def remove(report_id: str, attachment_id: int):
    """Detach one document from the current version (the school, while the answers can be changed)."""
    audit = access.audit_for(report_id, "view")
    if not access.allowed(current_user, "edit", audit):
        return _refuse_frozen(audit)
    attachment = services.find(audit, attachment_id)
    if attachment is None:
        abort(404)
    name = attachment.file_name
    try:
        unused = services.remove(audit, attachment, current_user)
    except services.EvidenceError as exc:
        db.session.rollback()
        flash(describe(exc), "warning")
        return redirect(url_for("evidence.attachments", report_id=audit.report_id))
    db.session.commit()
    if unused is not None:
        services.forget_unused(unused, store())
    flash(_("“%(name)s” was removed from this version's documents.", name=name), "success")
    return redirect(url_for("evidence.attachments", report_id=audit.report_id))
