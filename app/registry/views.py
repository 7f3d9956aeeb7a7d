"""Public registry pages (no login): product list and search, product page, comparison (HTML and
PDF), exports (CSV and JSON) of a product, a comparison, or every published audit. And the school's
side: publishing an approved audit, withdrawing the publication (signed in, :func:`app.access.audit_for`).

Only published audits are reachable on the public pages (:class:`app.models.Publication`); a
product that no published audit names is not listed and its page is 404. Exports stream row by row;
with background workers (``REDIS_URL``) the full export is written by a job and served from the store.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Response, abort, current_app, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from .. import access, jobs, pagecache
from ..extensions import current_ruleset, db, limiter
from ..i18n import describe, ui_lang
from ..jobs import JobRef
from ..reports.context import level_badge
from ..reports.texts import CATEGORY_LABELS
from ..rules.schema import VERDICTS
from . import bp, charts, comparison, forms, services
from . import jobs as registry_jobs

PAGE_SIZE = 50
ORDER = comparison.ORDER


@bp.get("/products")
def products():
    """Products with published audits: search by product or vendor name, filter by category."""
    lang = ui_lang()
    query = (request.args.get("q") or "").strip()[:200]
    category = request.args.get("category") or ""
    if category and current_ruleset().questionnaire.questions["product_kind"].option(category) is None:
        category = ""
    page = max(1, request.args.get("page", 1, type=int) or 1)
    rows, total = services.list_products(query=query, category=category, limit=PAGE_SIZE,
                                         offset=(page - 1) * PAGE_SIZE)
    # The content is a function of the rows read and the request's values alone: kept per those (and the
    # language and rule set, whose labels it shows), so unchanged rows are not rendered again. The rows
    # themselves are the key (frozen, compared by value): hashing 50 of them costs far less than a digest.
    key = ("products", lang, current_ruleset().sha256, query, category, page, total, tuple(rows))

    def render() -> Markup:
        kinds = [(o.id, o.label[lang]) for o in current_ruleset().questionnaire.questions["product_kind"].options]
        return Markup(render_template(
            "registry/_products_body.html", query=query, category=category, kinds=kinds, total=total, page=page,
            pages=max(1, -(-total // PAGE_SIZE)),
            rows=[{"id": r.id, "name": r.name, "vendor": r.vendor,
                   "category": comparison.kind_label(r.category, lang), "audits": r.audits,
                   "worst": level_badge(VERDICTS[r.worst_rank], lang),
                   "url": url_for("registry.product", product_id=r.id)} for r in rows]))

    return render_template("registry/products.html", body=pagecache.kept(key, render))


@bp.get("/products/suggest")
@login_required
def suggest():
    """Names offered while a school types a product or vendor name on the start form, as JSON
    ``{"names": [...]}`` (at most :data:`services.SUGGESTIONS_MAX`): ``field`` is ``product_name`` or
    ``vendor_name``, ``q`` the text typed so far. Published names and the school's own only."""
    field = request.args.get("field", "")
    query = (request.args.get("q") or "").strip()[:200]
    try:
        names = services.known_names(current_user.organisation_id, field, query)
    except ValueError:
        abort(404)
    response = current_app.json.response({"names": names})
    response.headers["Cache-Control"] = "private, max-age=60"
    return response


@bp.get("/products/<id:product_id>")
def product(product_id: int):
    """One product: published audits, verdicts, findings most often raised by category, verdicts by
    version and by year, jurisdictions."""
    lang = ui_lang()
    stats = services.product_stats(product_id)
    if stats is None:
        abort(404)
    letters, labels = comparison.level_letters(lang), comparison.level_labels(lang)
    by_category = [{"label": CATEGORY_LABELS[c][lang], "rows": [
        {"title": comparison.rule_title(i["rule_id"], lang), "rule_id": i["rule_id"], "count": i["count"],
         "share": i["count"] / stats["audits"], "worst": {"id": i["worst"], "label": labels[i["worst"]]}}
        for i in items[:services.TOP_FINDINGS]]} for c, items in stats["by_category"].items()]
    versions_chart = charts.verdict_bars(
        prefix="versions", title=_("Verdicts by product version"), order=ORDER, letters=letters, labels=labels,
        rows=[(v or _("version not given"), counts) for v, counts in stats["versions"].items()])
    years_chart = charts.verdict_bars(
        prefix="years", title=_("Verdicts by year of deployment"), order=ORDER, letters=letters, labels=labels,
        rows=list(stats["years"].items()))
    overall_chart = charts.verdict_bars(prefix="all", title=_("Verdicts of all published audits"), order=ORDER,
                                        letters=letters, labels=labels, rows=[(_("All"), stats["verdicts"])])
    return render_template(
        "registry/product.html", product=comparison.product_head(stats["product"], lang), audits=stats["audits"],
        overall_chart=overall_chart, versions_chart=versions_chart, years_chart=years_chart,
        by_category=by_category,
        jurisdictions=[{"label": comparison.jurisdiction_label(j, lang), "count": n}
                       for j, n in sorted(stats["jurisdictions"].items())],
        exports={fmt: url_for("registry.product_export", product_id=product_id, fmt=fmt) for fmt in ("csv", "json")},
        compare_url=url_for("registry.products"))


def _compare_ids() -> list[int]:
    try:
        return services.parse_product_ids(request.args.getlist("p"))
    except services.CompareError as exc:
        abort(Response(render_template("registry/compare_error.html", message=describe(exc)), 400))


@bp.get("/compare")
def compare():
    """2 to 10 products side by side (``?p=<id>&p=<id>...``)."""
    ids = _compare_ids()
    context = comparison.comparison_context(ids, ui_lang())
    if len(context["products"]) < services.COMPARE_MIN:
        abort(404)
    query = [("p", str(i)) for i in context["ids"]]
    return render_template("registry/compare.html", **context, comparison_html=_comparison_html(context),
                           pdf_url=url_for("registry.compare_pdf") + "?" + _qs(query),
                           exports={fmt: url_for("registry.compare_export", fmt=fmt) + "?" + _qs(query)
                                    for fmt in ("csv", "json")})


def _comparison_html(context: dict[str, Any]) -> Markup:
    """``registry/_comparison.html`` of ``context`` (a kept comparison, :func:`comparison.comparison_context`),
    rendered once per kept context: the entry holds the context itself, so its id cannot be reused by
    another object while the entry lives, and it is checked to be the same object."""
    key = ("comparison-html", id(context))
    store = pagecache.parts()
    kept = store.get(key)
    if kept is None or kept["context"] is not context:
        kept = {"context": context, "html": Markup(render_template("registry/_comparison.html", **context))}
        store.put(key, kept)
    return kept["html"]


def _qs(pairs: list[tuple[str, str]]) -> str:
    return urlencode(pairs)


def _public_limit() -> str:
    return current_app.config["PUBLIC_PDF_RATE_LIMIT"]


@bp.get("/compare.pdf")
@limiter.limit(_public_limit)
def compare_pdf():
    """The comparison as a PDF (A4, same content as the page), rendered once per comparison and
    language by a job within the report's limits and then served from the store. With background
    workers this redirects to the job's progress page."""
    ids = _compare_ids()
    lang = ui_lang()
    context = comparison.comparison_context(ids, lang)
    if len(context["products"]) < services.COMPARE_MIN:
        abort(404)
    ref = registry_jobs.request_comparison(context["ids"], lang)
    if not ref.done:
        return redirect(url_for("registry.compare_job", job_id=ref.id), 303)
    return _finished_comparison(ref, lang)


def _finished_comparison(ref: JobRef, lang: str):
    result = ref.result or {}
    pdf = registry_jobs.stored_comparison(result["key"]) if ref.state == "finished" and "key" in result else None
    if pdf is not None:
        return Response(pdf, mimetype="application/pdf", headers={
            "Content-Disposition": f"attachment; filename=eduaudit-comparison-{lang}.pdf"})
    kind = result.get("problem", {}).get("kind")
    current_app.logger.error("comparison PDF job %s ended without a PDF: %s", ref.id, kind or ref.error)
    if kind == "too_few":
        abort(404)
    message = {"time": _("Producing the comparison PDF took too long, so it was stopped. Try again in a few "
                         "minutes; the comparison can be read in the browser meanwhile."),
               "size": _("The comparison PDF would be larger than allowed, so it was not produced. Compare "
                         "fewer products."),
               "store_full": _("The server's disk is full, so the comparison PDF could not be stored. The "
                               "problem has been logged; try again later.")}.get(
        kind, _("Something went wrong while producing the comparison PDF, and the problem has been logged. "
                "Try again in a few minutes; the comparison can be read in the browser meanwhile."))
    code = {"size": 422, "store_full": 507}.get(kind, 503)
    page = render_template("registry/compare_error.html", message=message,
                           heading=_("The comparison PDF could not be produced"))
    return page, code, ({"Retry-After": "120"} if code != 422 else {})


def _comparison_job(job_id: str) -> JobRef:
    try:
        ref = jobs.status(job_id)
    except jobs.JobsUnavailable:
        abort(Response(render_template("registry/compare_error.html", heading=_("The comparison PDF could not be "
                                                                                "produced"), message=_(
            "The service that produces PDFs cannot be reached at the moment. Try again in a few minutes.")), 503))
    if ref is None or ref.meta.get("kind") != "comparison":
        abort(404)
    return ref


def _comparison_download(ref: JobRef) -> str:
    return url_for("registry.compare_pdf") + "?" + _qs([("p", i) for i in ref.meta["products"].split(",")])


@bp.get("/compare/jobs/<job_id>")
def compare_job(job_id: str):
    """The progress of a comparison PDF job, then its download link (see the report's progress page)."""
    ref = _comparison_job(job_id)
    if ref.state == "failed" or ref.state == "finished" and "key" not in (ref.result or {}):
        return _finished_comparison(ref, ref.meta.get("lang", "en"))
    download = _comparison_download(ref)
    return render_template("registry/job.html", job=jobs.progress_view(ref, download),
                           title=_("Preparing the comparison PDF"), back_label=_("Back to the comparison"),
                           status_url=url_for("registry.compare_job_status", job_id=job_id),
                           page_url=url_for("registry.compare_job", job_id=job_id),
                           back_url=download.replace("/compare.pdf", "/compare", 1))


@bp.get("/compare/jobs/<job_id>.json")
def compare_job_status(job_id: str):
    """The comparison job's progress for the page's script (as the report job's)."""
    ref = _comparison_job(job_id)
    return jobs.progress_view(ref, _comparison_download(ref))


def _export(product_ids: list[int] | None, fmt: str, scope: dict[str, Any], filename: str) -> Response:
    if fmt not in services.EXPORT_FORMATS:
        abort(404)
    body = services.export_chunks(fmt, services.export_records(product_ids), scope)
    return Response(stream_with_context(body), mimetype=services.EXPORT_FORMATS[fmt],
                    headers=_export_headers(filename, fmt))


def _export_headers(filename: str, fmt: str) -> dict[str, str]:
    return {"Content-Disposition": f"attachment; filename={filename}.{fmt}"}


@bp.get("/products/<id:product_id>/export.<fmt>")
def product_export(product_id: int, fmt: str):
    """A product's published audits as CSV or JSON."""
    if not services.has_publications(product_id):
        abort(404)
    return _export([product_id], fmt, {"kind": "product", "products": [product_id]},
                   f"eduaudit-product-{product_id}")


@bp.get("/compare/export.<fmt>")
def compare_export(fmt: str):
    """The compared products' published audits as CSV or JSON: like the page, products without a
    published audit are left out, and fewer than two left is 404."""
    ids = services.published_product_ids(_compare_ids())
    if len(ids) < services.COMPARE_MIN:
        abort(404)
    return _export(ids, fmt, {"kind": "comparison", "products": ids}, "eduaudit-comparison")


FULL_EXPORT_NAME = "eduaudit-published-audits"


@bp.get("/published/export.<fmt>")
def published_export(fmt: str):
    """Every published audit as CSV or JSON: streamed in the request without background workers;
    with them, written once per state of the registry by a job (a redirect to its progress page)
    and then served from the store."""
    if fmt not in services.EXPORT_FORMATS:
        abort(404)
    if jobs.queue() is None:
        return _export(None, fmt, registry_jobs.FULL_SCOPE, FULL_EXPORT_NAME)
    ref = registry_jobs.request_full_export(fmt)
    if not ref.done:
        return redirect(url_for("registry.export_job", job_id=ref.id), 303)
    return _finished_export(ref, fmt)


def _finished_export(ref: JobRef, fmt: str):
    result = ref.result or {}
    path = registry_jobs.stored_export(result["key"], fmt) if ref.state == "finished" and "key" in result else None
    if path is not None:
        size = path.stat().st_size
        return Response(_file_chunks(path), mimetype=services.EXPORT_FORMATS[fmt],
                        headers={**_export_headers(FULL_EXPORT_NAME, fmt), "Content-Length": str(size)})
    kind = result.get("problem", {}).get("kind")
    if ref.state == "finished" and "key" in result:
        # stored and then lost (a store cleaned, a damaged file): the next request writes it again
        kind = "lost"
    current_app.logger.error("export job %s ended without a file: %s", ref.id, kind or ref.error)
    message = (_("The server's disk is full, so the export could not be stored. The problem has been logged; "
                 "try again later.") if kind == "store_full" else
               _("Something went wrong while writing the export, and the problem has been logged. Try again in "
                 "a few minutes; each product's page offers its own export meanwhile."))
    page = render_template("registry/compare_error.html", message=message,
                           heading=_("The export could not be produced"))
    return page, 507 if kind == "store_full" else 503, {"Retry-After": "120"}


def _file_chunks(path: Path, size: int = 64 * 1024) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(size):
            yield chunk


def _export_job(job_id: str) -> JobRef:
    try:
        ref = jobs.status(job_id)
    except jobs.JobsUnavailable:
        abort(Response(render_template("registry/compare_error.html", heading=_("The export could not be produced"),
                                       message=_("The service that writes exports cannot be reached at the moment. "
                                                 "Try again in a few minutes.")), 503))
    if ref is None or ref.meta.get("kind") != "export":
        abort(404)
    return ref


@bp.get("/published/export-jobs/<job_id>")
def export_job(job_id: str):
    """The progress of a full export job, then its download link (as a comparison PDF's)."""
    ref = _export_job(job_id)
    fmt = ref.meta["format"]
    if ref.state == "failed" or ref.state == "finished" and "key" not in (ref.result or {}):
        return _finished_export(ref, fmt)
    download = url_for("registry.published_export", fmt=fmt)
    return render_template("registry/job.html", job=jobs.progress_view(ref, download, jobs.EXPORT_STAGE_LABELS),
                           title=_("Preparing the export"), back_label=_("Back to the products"),
                           status_url=url_for("registry.export_job_status", job_id=job_id),
                           page_url=url_for("registry.export_job", job_id=job_id),
                           back_url=url_for("registry.products"), download_label=_("Download the export"),
                           wait_note=_("This page follows the export as it is written."))


@bp.get("/published/export-jobs/<job_id>.json")
def export_job_status(job_id: str):
    """The export job's progress for the page's script (as the report job's)."""
    ref = _export_job(job_id)
    return jobs.progress_view(ref, url_for("registry.published_export", fmt=ref.meta["format"]),
                              jobs.EXPORT_STAGE_LABELS)


@bp.post("/audits/<report_id>/publish")
@login_required
def publish(report_id: str):
    """Publish the approved audit, redacted, to the public product registry (once)."""
    audit = access.audit_for(report_id, "publish")
    form = forms.PublishForm()
    if form.validate_on_submit():
        try:
            publication = services.publish(audit, current_user,
                                                    show_school_name=bool(form.show_school_name.data))
        except services.RegistryError as exc:
            db.session.rollback()
            flash(describe(exc), "warning")
        else:
            db.session.commit()
            flash(_("Published as %(id)s. Anyone can now read it on the product's page, without your school's "
                    "or anyone's name unless you chose to show the school's.", id=publication.public_id), "success")
    return redirect(url_for("audits.overview", report_id=audit.report_id))


@bp.post("/audits/<report_id>/unpublish")
@login_required
def unpublish(report_id: str):
    """Withdraw the audit's publication from the public registry (it can be published again)."""
    audit = access.audit_for(report_id, "unpublish")
    form = forms.UnpublishForm()
    if form.validate_on_submit():
        public_id = services.unpublish(audit, current_user)
        db.session.commit()
        flash(_("Publication %(id)s withdrawn: it no longer appears on the public pages or in exports.",
                id=public_id), "success")
    return redirect(url_for("audits.overview", report_id=audit.report_id))
