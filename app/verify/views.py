"""The public verification page: upload a PDF or paste its SHA-256, learn whether this instance issued it.

Nothing is stored: the upload is hashed as it is read and then dropped. The page accepts uploads up
to ``VERIFY_MAX_UPLOAD_BYTES`` (20 MiB), larger than the app-wide ``MAX_CONTENT_LENGTH``; the CSRF
check therefore runs in the view, after that limit is raised for this request, instead of in the
app-wide hook (which would parse the body under the smaller limit first).
"""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template, request
from flask_babel import format_number
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from ..extensions import csrf, current_ruleset, limiter
from ..i18n import LANGUAGES, ui_lang
from ..labels import STATUS_NAMES
from ..reports.context import level_badge
from ..reports.signing import SignatureCheck
from ..timefmt import format_utc
from . import bp, forms, services

MIB = 1024 * 1024


def _jurisdiction(code: str) -> str:
    option = current_ruleset().questionnaire.questions["jurisdiction"].option(code)
    return option.label[ui_lang()] if option else code


def _status(status: str) -> str:
    # A draft says so in words: a regulator must not take it for a filed report.
    if status == "draft":
        return _("Draft — not submitted to a regulator")
    name = STATUS_NAMES.get(status)
    return name() if name else status


def _cover(record: services.IssuedRecord) -> dict[str, Any]:
    """Audit version, status and school as the PDF printed them; ``None`` where not recorded (PDFs
    issued before they were kept: the page says so rather than guess from the audit as it is now)."""
    if not record.recorded:
        return {"version": None, "status": None, "school": None, "draft": False}
    return {"version": str(record.audit_version) if record.audit_version is not None else None,
            "status": _status(record.status), "draft": record.status == "draft",
            "school": record.school_name or _("Not stated on the report")}


def _record(record: services.IssuedRecord) -> dict[str, Any]:
    """The issued PDF as the page shows it, in the interface language."""
    lang = ui_lang()
    return {
        "report_id": record.report_id, "product": record.product, "vendor": record.vendor,
        "jurisdiction": _jurisdiction(record.jurisdiction), "as_of": record.as_of.isoformat(),
        "verdict": level_badge(record.verdict, lang),
        "lang": LANGUAGES.get(record.lang, record.lang), "lang_tag": record.lang,
        "size": _("%(num)s bytes", num=format_number(record.size_bytes)),
        "rule_set": {"version": record.rule_set_version, "sha256": record.rule_set_sha256},
        "evaluated": format_utc(record.evaluated_at), "first_issued": format_utc(record.first_issued_at),
        "last_issued": format_utc(record.last_issued_at), "times_issued": record.times_issued,
        "superseded": record.superseded, "cover": _cover(record),
    }


def _signature(check: SignatureCheck) -> dict[str, Any]:
    """A PDF's signature as the page shows it: who signed, whether intact, whether trusted."""
    return {"checkable": True, "signed": check.signed, "signer": check.signer, "intact": check.intact,
            "covers_whole_file": check.covers_whole_file, "trusted": check.trusted, "valid": check.valid}


def _page(form: forms.VerifyForm, result: dict[str, Any] | None = None, code: int = 200):
    limit = current_app.config["VERIFY_MAX_UPLOAD_BYTES"]
    return render_template("verify/verify.html", form=form, result=result,
                           limit_mib=f"{limit / MIB:g}"), code


def _verify_limit() -> str:
    return current_app.config["VERIFY_RATE_LIMIT"]


@bp.route("/verify", methods=["GET", "POST"])
@limiter.limit(_verify_limit, methods=["POST"])
@csrf.exempt  # checked below, once the upload limit of this page applies (see the module's docstring)
def verify():
    """Check a PDF (or its SHA-256) against the PDFs this instance issued; GET shows the empty form."""
    if request.method == "GET":
        return _page(forms.VerifyForm(formdata=None))
    request.max_content_length = current_app.config["VERIFY_MAX_UPLOAD_BYTES"]
    try:
        csrf.protect()  # raises CSRFError (the "page has expired" page, 400) without a valid token
        form = forms.VerifyForm()
        valid = form.validate()
    except RequestEntityTooLarge:
        form = forms.VerifyForm(formdata=None)
        form.pdf.errors = [_("The file is larger than %(limit)s MiB, the most this page accepts, so it was not "
                             "checked. EduAudit reports are much smaller: check that you chose the right file.",
                             limit=f"{request.max_content_length / MIB:g}")]
        return _page(form, code=413)
    if not valid:
        return _page(form)
    wanted = form.to_request()
    sha256, file_name, signature = wanted.sha256, None, None
    if wanted.file is not None:
        file_sha, size = services.file_sha256(wanted.file.stream)
        file_name = wanted.file.filename
        if size == 0:
            form.pdf.errors.append(_("The chosen file is empty. Choose the PDF report itself."))
            return _page(form)
        if sha256 and sha256 != file_sha:
            form.sha256.errors.append(_("This fingerprint does not match the chosen file, whose SHA-256 is "
                                        "%(sha)s. Check both, or leave one of them empty.", sha=file_sha))
            return _page(form)
        sha256 = file_sha
        wanted.file.stream.seek(0)
        check = services.check_upload_signature(
            wanted.file.stream.read(), current_app.config.get("REPORT_SIGNING_CERT"),
            timeout_s=float(current_app.config["VERIFY_CHECK_TIMEOUT"]),
            max_memory_bytes=int(current_app.config["VERIFY_CHECK_MAX_MEMORY"]))
        signature = _signature(check) if check is not None else {"checkable": False}
    record = services.find_issued(sha256)
    result = {"found": record is not None, "sha256": sha256, "file_name": file_name,
              "record": _record(record) if record else None, "signature": signature,
              "instance_signs": bool(current_app.config.get("REPORT_SIGNING_CERT"))}
    return _page(forms.VerifyForm(formdata=None), result)
