"""Issued reports and /verify: every PDF handed out is recorded by its SHA-256, and anyone can check a
file (or a pasted fingerprint) against those records; altered files, unknown hashes, bad input,
missing CSRF tokens and oversized uploads each get a clear answer."""

from __future__ import annotations

import hashlib
import io
import re
import secrets

import pytest
import scenario
import sqlalchemy as sa
from pypdf import PdfReader, PdfWriter
from test_i18n import ZH, _questionnaire_texts, english_left
from test_web import start, walk
from webhelpers import ACCOUNT_WORDS, REALISTIC, complete, csrf_token
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from app.audits import services
from app.evaluation import evaluate_audit, latest_snapshot
from app.extensions import db
from app.models import AssessmentSnapshot, Audit, IssuedReport
from app.verify.services import find_issued

NOT_FOUND = "This file is not a report issued by this EduAudit instance, or it was altered after it was issued."
AUTHENTIC = "This PDF was issued by this EduAudit instance and has not been altered."
NOT_RECORDED = "not recorded (issued before this was kept)"
DRAFT = "Draft — not submitted to a regulator"
DRAFT_NOTICE = "This PDF is a draft"


@pytest.fixture
def qn(app):
    return app.extensions["eduaudit.ruleset"].questionnaire


@pytest.fixture
def finished(qn, client):
    """The report id of an audit with every answer given (REALISTIC: an EU classroom camera system)."""
    answers = complete(qn, REALISTIC)
    report_id, location = start(client, answers["product_name"], answers["vendor_name"])
    walk(client, qn, location, answers)
    return report_id


def download(client, report_id: str, lang: str = "en") -> bytes:
    response = client.get(f"/audits/{report_id}/report.pdf?lang={lang}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return response.data


def token(client) -> str:
    return csrf_token(client.get("/verify").text)


def post_multipart(client, fields: dict, **headers):
    """POST ``fields`` as multipart/form-data encoded in memory (the test client would spool a body
    over 500 KB to a temporary file it never closes)."""
    boundary, body = encode_multipart(MultiDict(fields))
    return client.post("/verify", headers=headers, data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def upload(client, data: bytes, name: str = "report.pdf", sha256: str = "", **headers):
    return post_multipart(client, {"csrf_token": token(client), "sha256": sha256,
                                   "pdf": FileStorage(io.BytesIO(data), filename=name,
                                                      content_type="application/pdf")}, **headers)


def paste(client, text: str, **headers):
    return client.post("/verify", headers=headers, data={"csrf_token": token(client), "sha256": text})


def errors(page: str) -> list[str]:
    return [re.sub(r"<[^>]+>|\s+", " ", e).replace("Error:", "").strip()
            for e in re.findall(r'class="field-error"[^>]*>(.*?)</p>', page, re.S)]


def facts(page: str) -> dict[str, str]:
    """The result's facts, term -> description as text."""
    return {re.sub(r"<[^>]+>", "", dt).strip(): re.sub(r"<[^>]+>|\s+", " ", dd).strip()
            for dt, dd in re.findall(r"<dt>(.*?)</dt><dd[^>]*>(.*?)</dd>", page, re.S)}


def sha_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- issuing --------------------------------------------------------------------------------------

def test_every_pdf_download_is_recorded_with_its_sha256(app, client, finished):
    pdf = download(client, finished, "zh")
    with app.app_context():
        issued = db.session.scalars(sa.select(IssuedReport)).all()
        assert len(issued) == 1
        row = issued[0]
        assessment = db.session.get(AssessmentSnapshot, row.assessment_id)
        assert row.audit.report_id == finished and row.lang == "zh"
        assert row.sha256 == hashlib.sha256(pdf).hexdigest() and row.size_bytes == len(pdf)
        assert (row.rule_set_version, row.rule_set_sha256) == (assessment.rule_set_version,
                                                               assessment.rule_set_sha256)
        assert row.issued_at is not None
        assert (row.audit_version, row.status, row.school_name) == (1, "draft", "Test School")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages[:1])
    assert "Test School" in text and "草稿" in text  # what the row says is what the cover printed


def test_a_pdf_of_an_audit_without_a_school_records_no_school(app, qn):
    with app.app_context():
        typed = scenario.typed_answers()
        audit = services.create_audit(qn, product_name=typed["product_name"], vendor_name=typed["vendor_name"])
        services.save_step(qn, audit, typed)
        pdf = services.issue_pdf(audit, evaluate_audit(app.extensions["eduaudit.ruleset"], audit), "en")
        db.session.commit()
        row = db.session.scalar(sa.select(IssuedReport))
        assert (row.audit_version, row.status, row.school_name) == (1, "draft", None)
        assert find_issued(sha_of(pdf)).recorded
    assert "School: not stated" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_issue_pdf_flushes_and_leaves_the_commit_to_the_view(app, finished):
    with app.app_context():
        audit = db.session.scalar(sa.select(Audit).where(Audit.report_id == finished))
        evaluation = evaluate_audit(app.extensions["eduaudit.ruleset"], audit)
        db.session.commit()
        pdf = services.issue_pdf(audit, evaluation, "en")
        assert pdf.startswith(b"%PDF")
        sha = hashlib.sha256(pdf).hexdigest()
        assert find_issued(sha) is not None  # flushed: visible in this transaction
        db.session.rollback()
        assert find_issued(sha) is None  # not committed by the service


# -- verifying ------------------------------------------------------------------------------------

def test_an_issued_pdf_verifies_by_upload_and_by_pasted_hash(app, client, finished):
    pdf = download(client, finished)
    sha = hashlib.sha256(pdf).hexdigest()
    for response in (upload(client, pdf), paste(client, sha), paste(client, f"  {sha.upper()}\n")):
        assert response.status_code == 200
        page = response.text
        assert "Authentic" in page and AUTHENTIC in page and NOT_FOUND not in page
        assert finished in page and sha in page
        assert "Smart Classroom Behaviour Management System 1.0" in page and "Example Vision" in page
        assert "European Union" in page and "English" in page and "prohibited" in page.lower()
        ruleset = app.extensions["eduaudit.ruleset"]
        assert ruleset.version in page and ruleset.sha256 in page
        assert re.search(r"<dt>Evaluated</dt><dd>\d{4}-\d\d-\d\d \d\d:\d\d UTC</dd>", page)
        assert "a newer report exists" not in page


def test_a_draft_and_the_submitted_pdf_of_one_audit_each_verify_with_their_own_status(app, client):
    with app.app_context():
        report_id = scenario.make_audit("complete")
    draft = download(client, report_id)
    assert scenario.web_submit(client, report_id).status_code == 302
    submitted = download(client, report_id)
    assert draft != submitted
    page = paste(client, sha_of(draft)).text
    assert AUTHENTIC in page and DRAFT_NOTICE in page
    shown = facts(page)
    assert (shown["Audit version"], shown["Status when issued"], shown["School"]) == ("1", DRAFT, "Test School")
    page = upload(client, submitted).text
    assert AUTHENTIC in page and DRAFT_NOTICE not in page and DRAFT not in page
    shown = facts(page)
    assert (shown["Audit version"], shown["Status when issued"], shown["School"]) == (
        "1", "Submitted, awaiting review", "Test School")


def test_a_pdf_of_the_second_version_after_changes_requested_shows_version_2(app, client):
    with app.app_context():
        report_id = scenario.make_audit("changes_requested")
        assert scenario.audit(report_id).version == 2
    shown = facts(paste(client, sha_of(download(client, report_id))).text)
    # version 2 is being changed and nobody reviewed it: the PDF is a draft, as its cover says
    assert (shown["Audit version"], shown["Status when issued"], shown["School"]) == (
        "2", "Draft — not submitted to a regulator", "Test School")


def test_a_pdf_issued_before_the_cover_was_recorded_says_not_recorded(app, client):
    with app.app_context():
        report_id = scenario.make_audit("approved")
        audit = scenario.audit(report_id)
        snapshot = latest_snapshot(audit)
        old = {"audit": audit, "assessment": snapshot, "lang": "en", "sha256": "cd" * 32, "size_bytes": 10,
               "rule_set_version": snapshot.rule_set_version, "rule_set_sha256": snapshot.rule_set_sha256}
        db.session.add(IssuedReport(**old))  # as migration 0006 leaves the rows issued before it
        db.session.commit()
    page = paste(client, "cd" * 32).text
    shown = facts(page)
    assert AUTHENTIC in page and DRAFT_NOTICE not in page
    assert [shown["Audit version"], shown["Status when issued"], shown["School"]] == [NOT_RECORDED] * 3
    assert "Approved" not in page  # the audit's status today is not passed off as the PDF's
    with app.app_context():  # the same bytes issued again, now recorded: that record is shown
        audit = scenario.audit(report_id)
        db.session.add(IssuedReport(**{**old, "audit": audit, "assessment": latest_snapshot(audit)},
                                    audit_version=1, status="approved", school_name=None))
        db.session.commit()
    page = paste(client, "cd" * 32).text
    shown = facts(page)
    assert (shown["Audit version"], shown["Status when issued"], shown["School"]) == (
        "1", "Approved", "Not stated on the report")
    assert "2 times, first" in page and NOT_RECORDED not in page


def test_a_tampered_pdf_is_not_found(client, finished):
    pdf = download(client, finished)
    flipped = bytearray(pdf)
    flipped[len(pdf) // 2] ^= 0x01
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.add_blank_page()
    appended = io.BytesIO()
    writer.write(appended)
    assert len(PdfReader(io.BytesIO(appended.getvalue())).pages) == len(PdfReader(io.BytesIO(pdf)).pages) + 1
    for altered in (bytes(flipped), appended.getvalue(), pdf + b"\n"):
        response = upload(client, altered)
        assert response.status_code == 200
        assert NOT_FOUND in response.text and AUTHENTIC not in response.text
        assert hashlib.sha256(altered).hexdigest() in response.text


def test_a_random_hash_is_not_found(client):
    sha = secrets.token_hex(32)
    response = paste(client, sha)
    assert response.status_code == 200 and "Not found" in response.text and NOT_FOUND in response.text
    assert sha in response.text


def test_an_upload_larger_than_the_app_wide_limit_is_accepted_here(app, client):
    assert app.config["VERIFY_MAX_UPLOAD_BYTES"] == 20 * 1024 * 1024
    data = b"%PDF-1.7\n" + secrets.token_bytes(app.config["MAX_CONTENT_LENGTH"] + 1024)
    response = upload(client, data)
    assert response.status_code == 200 and NOT_FOUND in response.text


def test_the_same_bytes_issued_twice_and_a_newer_evaluation_are_reported(app, client, finished):
    with app.app_context():
        audit = db.session.scalar(sa.select(Audit).where(Audit.report_id == finished))
        first = evaluate_audit(app.extensions["eduaudit.ruleset"], audit).snapshot
        for _ in range(2):
            db.session.add(IssuedReport(audit=audit, assessment=first, lang="en", sha256="ab" * 32, size_bytes=10,
                                        rule_set_version=first.rule_set_version,
                                        rule_set_sha256=first.rule_set_sha256))
        db.session.commit()
    page = paste(client, "ab" * 32).text
    assert "2 times, first" in page and "a newer report exists" not in page
    with app.app_context():
        audit = db.session.scalar(sa.select(Audit).where(Audit.report_id == finished))
        audit.answers = {**audit.answers, "pupils_affected": 1300}
        evaluate_audit(app.extensions["eduaudit.ruleset"], audit)
        db.session.commit()
    page = paste(client, "ab" * 32).text
    assert AUTHENTIC in page and "a newer report exists" in page


# -- bad input ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "message"), [
    ("abc123", "A SHA-256 fingerprint has 64 characters; this one has 6."),
    ("a" * 65, "A SHA-256 fingerprint has 64 characters; this one has 65."),
    ("g" + "a" * 63, "contains only the digits 0–9 and the letters a–f; this one contains “g”."),
    ("sha256:" + "a" * 64, "this one contains “s”."),
    ("a" * 63, "A SHA-256 fingerprint has 64 characters; this one has 63."),
    ("a" * 32 + " " + "a" * 32, "this one contains a space."),
    ("a" * 64 + "  " + "b" * 64, "this one contains a space."),  # two fingerprints, not one and a file
    ("a" * 32 + "\t" + "a" * 32, "this one contains a tab."),
    ("a" * 32 + "\u00a0" + "a" * 32, "this one contains a non-breaking space."),
    ("a" * 32 + "\u200b" + "a" * 32, "this one contains an invisible character (U+200B)."),
    ("a" * 63 + "  report.pdf", "The fingerprint before the file name has 63 hex digits; a SHA-256 fingerprint "
                                "has 64."),
])
def test_a_malformed_hash_gets_a_clear_error(client, text, message):
    response = paste(client, text)
    assert response.status_code == 200
    assert any(message in e for e in errors(response.text)), errors(response.text)
    assert "Authentic" not in response.text and NOT_FOUND not in response.text
    assert "“ ”" not in response.text and "“\u00a0”" not in response.text


def test_a_whole_sha256sum_line_is_accepted(client, finished):
    pdf = download(client, finished)
    sha = sha_of(pdf)
    for line in (f"{sha}  report.pdf", f"{sha} *report.pdf", f"  {sha.upper()}  Downloads/My Report.PDF\n",
                 f"{sha}\t*eduaudit-{finished}-v1-en.pdf", f"\\{sha}  back\\\\slash.pdf"):
        page = paste(client, line).text
        assert errors(page) == [] and AUTHENTIC in page and sha in page, line
    page = upload(client, pdf, sha256=f"{sha}  report.pdf").text  # the file and its line agree
    assert errors(page) == [] and AUTHENTIC in page


def test_nothing_given_asks_for_a_file_or_a_hash(client):
    response = paste(client, "   ")
    assert errors(response.text) == ["Choose a PDF file, or paste its SHA-256 fingerprint."]


def test_an_empty_file_is_refused(client):
    response = upload(client, b"")
    assert errors(response.text) == ["The chosen file is empty. Choose the PDF report itself."]


def test_a_hash_that_contradicts_the_file_is_named(client):
    data = b"%PDF-1.7\nnot a report\n"
    response = upload(client, data, sha256="0" * 64)
    assert any("does not match the chosen file" in e and hashlib.sha256(data).hexdigest() in e
               for e in errors(response.text))


def test_the_post_needs_a_csrf_token(client):
    client.get("/verify")
    response = client.post("/verify", data={"sha256": secrets.token_hex(32)})
    assert response.status_code == 400 and "This page has expired" in response.text
    response = post_multipart(client, {"csrf_token": "forged",
                                       "pdf": FileStorage(io.BytesIO(b"%PDF-1.7"), filename="x.pdf")})
    assert response.status_code == 400


def test_an_upload_over_the_limit_gets_413_and_a_clear_message(app, client):
    app.config["VERIFY_MAX_UPLOAD_BYTES"] = 1024 * 1024
    response = upload(client, b"%PDF" + b"\0" * (1024 * 1024))
    assert response.status_code == 413
    assert errors(response.text) == [
        "The file is larger than 1 MiB, the most this page accepts, so it was not checked. "
        "EduAudit reports are much smaller: check that you chose the right file."]
    assert 'enctype="multipart/form-data"' in response.text  # the form is there to try again


def test_other_pages_keep_the_app_wide_upload_limit(app, client, finished):
    big = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post(f"/audits/{finished}/steps/product", data={"product_description": big})
    assert response.status_code == 413 and "512 KiB" in response.text


# -- the page -------------------------------------------------------------------------------------

def test_every_page_links_to_the_verification_page(client, finished):
    for url in ("/", "/verify", "/audits/EA-AAAAAAAAAA/results"):
        page = client.get(url).text
        assert page.count('href="/verify"') == 2, url  # header and footer
    results = client.get(f"/audits/{finished}/results").text
    assert 'can <a href="/verify">verify</a> that it is authentic' in results


def test_the_verification_page_is_in_chinese_without_english_left(app, client, qn):
    allowed = {"EduAudit", "PDF", "UTC", "SHA", "MiB", "sha", "sum", "report", "pdf", "shasum", "a", "certutil",
               "hashfile", "Linux", "macOS", "Windows", "f"}
    allowed.update(ACCOUNT_WORDS)  # the signed-in user's e-mail and organisation (data, not interface)
    for text in _questionnaire_texts(qn, "zh"):
        allowed.update(re.findall(r"[A-Za-z]+", text))
    with app.app_context():
        report_id = scenario.make_audit("complete")
        audit = scenario.audit(report_id)
        allowed.update(re.findall(r"[A-Za-z]+", f"{audit.product_name} {audit.vendor_name}"))
        allowed.update(re.findall(r"[A-Za-z]+", app.extensions["eduaudit.ruleset"].version))
        snapshot = evaluate_audit(app.extensions["eduaudit.ruleset"], audit).snapshot
        db.session.add(IssuedReport(audit=audit, assessment=snapshot, lang="zh", sha256="ef" * 32, size_bytes=10,
                                    rule_set_version=snapshot.rule_set_version,
                                    rule_set_sha256=snapshot.rule_set_sha256))  # issued before 0006
        db.session.commit()
    pages = {"form": client.get("/verify", headers=ZH).text,
             "not found": paste(client, secrets.token_hex(32), **ZH).text,
             "bad hash": paste(client, "abc", **ZH).text,
             "a space": paste(client, "a" * 32 + " " + "a" * 32, **ZH).text,
             "draft": paste(client, sha_of(download(client, report_id, "zh")), **ZH).text,
             "not recorded": paste(client, "ef" * 32, **ZH).text}
    assert "未找到" in pages["not found"] and "SHA-256 指纹共有 64 个字符；您输入的有 3 个。" in pages["bad hash"]
    assert "您输入的内容包含空格。" in pages["a space"]
    assert "<dt>签发时的状态</dt><dd><strong class=\"verify-draft\">草稿——未提交监管机构</strong>" in pages["draft"]
    assert "此 PDF 是草稿" in pages["draft"] and "<dt>评估版本</dt><dd>1</dd>" in pages["draft"]
    assert pages["not recorded"].count("未记录（签发时尚未保存此项信息）") == 3
    for name, page in pages.items():
        assert '<html lang="zh-Hans">' in page and "核验报告" in page, name
        assert english_left(re.sub(r"\b[0-9a-f]{64}\b", " ", page), allowed) == [], name
