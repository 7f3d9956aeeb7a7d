"""Evidence attached to answers: what is accepted (by content), where it is kept, who gets it, how it
freezes with a submission, the trail, and the report's appendix (names, sizes, fingerprints, never the
content)."""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import pytest
import scenario
import sqlalchemy as sa
from webhelpers import csrf_token, login

from app import create_app
from app.config import ConfigError
from app.evidence import services
from app.evidence.services import EvidenceError, media_type
from app.evidence.storage import LocalFolderStore, StoredDocumentMissing
from app.extensions import current_ruleset, db
from app.models import Attachment, AuditEvent, Submission
from app.review import services as review_services

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 300  # a Windows program's header
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 300
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 100
TEXT = "Data processing agreement, signed 2026-03-01.\n数据处理协议，已签署。\nMARKER-CONTENT-7Q2\n".encode()


# -- (a) what is accepted: the content decides ---------------------------------------------------------

@pytest.mark.parametrize(("data", "name", "expected"), [
    (scenario.PDF_BYTES, "dpa.pdf", "application/pdf"),
    (scenario.PDF_BYTES, "DPA.PDF", "application/pdf"),
    (PNG, "certificate.png", "image/png"),
    (JPEG, "rubric.jpg", "image/jpeg"),
    (JPEG, "rubric.jpeg", "image/jpeg"),
    (TEXT, "policy.txt", "text/plain"),
    (b"\xef\xbb\xbfplain text with a byte order mark\r\n", "policy.txt", "text/plain"),
])
def test_allowed_documents_are_recognised_by_their_content(data, name, expected):
    assert media_type(data, name) == expected


@pytest.mark.parametrize(("data", "name", "code", "detected"), [
    (EXE, "contract.pdf", "evidence.refused_type", ".exe"),  # an executable renamed .pdf
    (ELF, "policy.txt", "evidence.refused_type", ".elf"),
    (ZIP, "dpa.pdf", "evidence.refused_type", ".zip"),
    (b"\x00\x01\x02\x03 binary", "notes.txt", "evidence.unknown_type", None),
    ("数据处理协议".encode("gbk"), "notes.txt", "evidence.unknown_type", None),  # text, but not UTF-8
    (b"", "empty.pdf", "evidence.empty", None),
    (PNG, "scan.pdf", "evidence.name_disagrees", None),  # a PNG named .pdf
    (scenario.PDF_BYTES, "contract", "evidence.name_disagrees", None),
])
def test_other_content_is_refused_whatever_the_name(data, name, code, detected):
    with pytest.raises(EvidenceError) as caught:
        media_type(data, name)
    assert caught.value.code == code
    if detected:
        assert caught.value.params["detected"] == detected


@pytest.mark.parametrize(("raw", "clean"), [
    ("C:\\fakepath\\DPA signed.pdf", "DPA signed.pdf"),
    ("../../etc/passwd.txt", "passwd.txt"),
    ("合同\u0000.pdf", "合同.pdf"),
    ("  report.pdf  ", "report.pdf"),
])
def test_file_names_keep_only_the_file_s_own_name(raw, clean):
    assert services.clean_file_name(raw) == clean


def test_a_file_name_of_nothing_or_too_long_is_refused():
    for raw, code in (("", "evidence.no_file_name"), ("/", "evidence.no_file_name"),
                      ("x" * 252 + ".pdf", "evidence.file_name_too_long")):
        with pytest.raises(EvidenceError) as caught:
            services.clean_file_name(raw)
        assert caught.value.code == code


# -- (b) the store -------------------------------------------------------------------------------------

def test_the_folder_store_keeps_documents_by_sha256_and_refuses_a_damaged_file(tmp_path):
    store = LocalFolderStore(tmp_path / "store")
    sha = store.put(TEXT)
    assert sha == hashlib.sha256(TEXT).hexdigest()
    path = tmp_path / "store" / sha[:2] / sha
    assert path.read_bytes() == TEXT and (path.stat().st_mode & 0o077) == 0  # the app's user only
    assert store.put(TEXT) == sha and store.get(sha) == TEXT
    path.write_bytes(TEXT + b"tampered")
    with pytest.raises(StoredDocumentMissing):
        store.get(sha)
    store.delete(sha)
    with pytest.raises(StoredDocumentMissing):
        store.get(sha)
    with pytest.raises(ValueError):
        store.get("../../etc/passwd")


def test_the_store_is_outside_the_web_root_by_default_and_cannot_be_put_inside_it(tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite3"})
    assert Path(app.config["ATTACHMENT_STORAGE_PATH"]) == Path(app.instance_path).resolve() / "attachments"
    static = Path(app.static_folder)
    for inside in (static, static / "attachments"):
        with pytest.raises(ConfigError, match="ATTACHMENT_STORAGE_PATH"):
            create_app({"TESTING": True, "ATTACHMENT_STORAGE_PATH": str(inside)})
    with pytest.raises(ConfigError, match="ATTACHMENT_STORAGE"):
        create_app({"TESTING": True, "ATTACHMENT_STORAGE": "s3"})


# -- (c) on the web ------------------------------------------------------------------------------------

def upload(client, report_id: str, data: bytes, name: str, question: str = "legal_basis"):
    assert client.get(f"/audits/{report_id}/attachments").status_code == 200
    token = csrf_token(client.get("/account/password").text)  # a frozen audit's page has no form
    return client.post(f"/audits/{report_id}/attachments", content_type="multipart/form-data",
                       data={"csrf_token": token, "question": question,
                             "document": (io.BytesIO(data), name)})


def stored_files(app) -> list[Path]:
    return [p for p in Path(app.config["ATTACHMENT_STORAGE_PATH"]).rglob("*") if p.is_file()]


def test_a_school_attaches_a_document_listed_with_its_fingerprint_and_recorded_in_the_trail(app, client):
    with app.app_context():
        report_id = scenario.make_audit("draft")
    response = upload(client, report_id, scenario.PDF_BYTES, "DPA signed.pdf")
    assert response.status_code == 302 and response.location == f"/audits/{report_id}/attachments"
    sha = hashlib.sha256(scenario.PDF_BYTES).hexdigest()
    page = client.get(response.location).text
    assert "DPA signed.pdf" in page and sha in page and f"{len(scenario.PDF_BYTES)} bytes" in page
    with app.app_context():
        row = db.session.scalar(sa.select(Attachment))
        assert (row.file_name, row.media_type, row.sha256, row.added_in_version, row.removed_in_version) == \
            ("DPA signed.pdf", "application/pdf", sha, 1, None)
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.kind == "attachment_added"))
        assert event.actor == "head@school.test" and event.details["sha256"] == sha
        assert event.details["question"] == "legal_basis" and event.details["file_name"] == "DPA signed.pdf"
    assert [p.name for p in stored_files(app)] == [sha]
    overview = client.get(f"/audits/{report_id}").text
    assert "1 document attached to the answers" in overview and "Document attached" in overview


def test_an_executable_renamed_pdf_is_refused_with_a_clear_message_and_nothing_is_kept(app, client):
    with app.app_context():
        report_id = scenario.make_audit("draft")
        before = scenario.counts()
    response = upload(client, report_id, EXE, "contract.pdf")
    assert response.status_code == 422
    assert "“contract.pdf” is not a PDF, PNG, JPEG or plain-text document: its content is a .exe file, " \
           "whatever its name says." in response.text
    with app.app_context():
        assert scenario.counts() == before
    assert stored_files(app) == []


def test_the_refusal_is_in_chinese_on_a_chinese_page(app, client):
    with app.app_context():
        report_id = scenario.make_audit("draft")
    client.post("/language", data={"csrf_token": csrf_token(client.get("/").text), "lang": "zh", "next": "/"})
    response = upload(client, report_id, EXE, "contract.pdf")
    assert response.status_code == 422 and "不是 PDF、PNG、JPEG 或纯文本文件" in response.text


@pytest.mark.parametrize("app_config", [{"ATTACHMENT_MAX_BYTES": 2048}])
def test_a_document_over_the_size_limit_is_refused_and_the_page_says_the_limit(app, client, app_config):
    with app.app_context():
        report_id = scenario.make_audit("draft")
    just_over = b"%PDF-1.4\n" + b"0" * 2048  # within the route's body limit: the service refuses it
    response = upload(client, report_id, just_over, "big.pdf")
    assert response.status_code == 422
    assert "“big.pdf” has 2,057 bytes; at most 2,048 bytes (0.00195 MiB) are accepted." in response.text
    far_over = b"%PDF-1.4\n" + b"0" * (200 * 1024)  # over the route's body limit: refused unread
    response = upload(client, report_id, far_over, "huge.pdf")
    assert response.status_code == 413 and "was not attached" in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Attachment.id))) == 0
    assert stored_files(app) == []


def test_the_size_message_names_the_sizes_in_mib():
    assert services.mib(10 * 1024 * 1024) == "10" and services.mib(1536 * 1024) == "1.5"
    assert services.mib(2048) == "0.00195"


def test_downloads_are_files_to_save_for_those_who_see_the_audit_only(app, accounts):
    with app.app_context():
        report_id = scenario.make_audit("submitted")
        attachment_id = scenario.attach(report_id, TEXT, file_name="数据处理协议.txt")
    url = f"/audits/{report_id}/attachments/{attachment_id}"
    for key in ("school", "reviewer"):
        client = app.test_client()
        login(client, accounts[key])
        response = client.get(url)
        assert response.status_code == 200 and response.data == TEXT
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("attachment;") and "filename*=UTF-8''" in disposition
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "private, no-store"
        assert response.headers["Content-Security-Policy"].startswith("sandbox")
        assert response.mimetype == "text/plain"
    for key in ("other_school", "other_reviewer", "ngo", "admin"):
        client = app.test_client()
        login(client, accounts[key])
        assert client.get(url).status_code == 404
    assert app.test_client().get(url).status_code == 302  # signed out: sign in first


def test_a_document_lost_by_the_store_answers_not_found_not_a_crash(app, client):
    with app.app_context():
        report_id = scenario.make_audit("draft")
        attachment_id = scenario.attach(report_id)
    for path in stored_files(app):
        path.write_bytes(b"damaged")
    response = client.get(f"/audits/{report_id}/attachments/{attachment_id}")
    assert response.status_code == 404 and "Traceback" not in response.text


def test_documents_freeze_with_the_submission_and_a_new_version_keeps_the_old_one_on_record(app, client):
    with app.app_context():
        report_id = scenario.make_audit("complete")
    assert upload(client, report_id, scenario.PDF_BYTES, "dpa.pdf").status_code == 302
    assert upload(client, report_id, TEXT, "policy.txt", question="retention_period").status_code == 302
    with app.app_context():
        audit = scenario.audit(report_id)
        from app.evaluation import evaluate_audit

        submission = review_services.submit(audit, evaluate_audit(current_ruleset(), audit).snapshot,
                                            scenario.user("school"), scenario.user("reviewer").organisation)
        db.session.commit()
        submission_id = submission.id
        ids = [a.id for a in services.attachments_of(audit)]
    # frozen: nothing can be attached or removed, and the school is told why
    before = stored_files(app)
    response = upload(client, report_id, PNG, "scan.png")
    assert response.status_code == 302 and response.location == f"/audits/{report_id}"
    token = csrf_token(client.get("/account/password").text)
    response = client.post(f"/audits/{report_id}/attachments/{ids[0]}/remove", data={"csrf_token": token})
    assert response.status_code == 302 and response.location == f"/audits/{report_id}"
    assert "Attach a document" not in client.get(f"/audits/{report_id}/attachments").text
    with app.app_context():
        audit = scenario.audit(report_id)
        assert len(services.attachments_of(audit)) == 2 and stored_files(app) == before
        review_services.decide(db.session.get(Submission, submission_id), scenario.user("reviewer"),
                               "changes_requested", "Provide the signed DPA, not a draft.")
        db.session.commit()
        assert scenario.audit(report_id).version == 2
    # version 2: the documents carry over; removing one keeps it for version 1
    token = csrf_token(client.get(f"/audits/{report_id}/attachments").text)
    response = client.post(f"/audits/{report_id}/attachments/{ids[0]}/remove", data={"csrf_token": token})
    assert response.status_code == 302
    with app.app_context():
        audit = scenario.audit(report_id)
        assert [a.id for a in services.attachments_of(audit)] == [ids[1]]
        assert [a.id for a in services.attachments_of(audit, 1)] == ids
        assert db.session.get(Attachment, ids[0]).removed_in_version == 2
        assert scenario.kinds(report_id).count("attachment_removed") == 1
    assert len(stored_files(app)) == 2  # version 1 still has it
    assert client.get(f"/audits/{report_id}/attachments/{ids[0]}").status_code == 200


def test_removing_a_document_never_submitted_deletes_it_and_its_bytes(app, client):
    with app.app_context():
        report_id = scenario.make_audit("draft")
    upload(client, report_id, TEXT, "wrong file.txt")
    with app.app_context():
        attachment_id = db.session.scalar(sa.select(Attachment.id))
    token = csrf_token(client.get(f"/audits/{report_id}/attachments").text)
    response = client.post(f"/audits/{report_id}/attachments/{attachment_id}/remove", data={"csrf_token": token})
    assert response.status_code == 302
    assert "“wrong file.txt” was removed" in client.get(response.location).text
    with app.app_context():
        assert db.session.get(Attachment, attachment_id) is None
        assert scenario.kinds(report_id)[-1] == "attachment_removed"
    assert stored_files(app) == []


def test_the_same_document_twice_on_one_answer_is_refused(app, client):
    with app.app_context():
        report_id = scenario.make_audit("draft")
    assert upload(client, report_id, TEXT, "policy.txt").status_code == 302
    response = upload(client, report_id, TEXT, "policy copy.txt")
    assert response.status_code == 422 and "is already attached to this answer" in response.text
    assert upload(client, report_id, TEXT, "policy.txt", question="retention_period").status_code == 302


@pytest.mark.parametrize("app_config", [{"ATTACHMENTS_PER_VERSION": 1}])
def test_a_version_carries_at_most_the_configured_number_of_documents(app, client, app_config):
    with app.app_context():
        report_id = scenario.make_audit("draft")
    assert upload(client, report_id, TEXT, "policy.txt").status_code == 302
    response = upload(client, report_id, PNG, "scan.png")
    assert response.status_code == 422 and "already carries 1 documents" in response.text


def test_a_question_that_does_not_exist_is_refused(app, client):
    with app.app_context():
        report_id = scenario.make_audit("draft")
    response = upload(client, report_id, TEXT, "policy.txt", question="no_such_question")
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Attachment.id))) == 0
        with pytest.raises(EvidenceError) as caught:
            services.add(current_ruleset().questionnaire, scenario.audit(report_id),
                         services.Upload("no_such_question", "p.txt", TEXT), None,
                         store=LocalFolderStore(app.config["ATTACHMENT_STORAGE_PATH"]), max_bytes=10_000, max_count=5)
        assert caught.value.code == "evidence.unknown_question"


def test_a_step_lists_its_answers_documents_and_saves_before_going_to_attach(app, client):
    with app.app_context():
        report_id = scenario.make_audit("draft")
        scenario.attach(report_id, file_name="product-sheet.pdf", question="product_name")
    page = client.get(f"/audits/{report_id}/steps/product")
    assert "product-sheet.pdf" in page.text and "Save and attach documents" in page.text
    response = client.post(f"/audits/{report_id}/steps/product",
                           data={"csrf_token": csrf_token(page.text), "revision": "", "action": "attach",
                                 "product_name": "Typed before attaching"})
    assert response.status_code == 302
    assert response.location == f"/audits/{report_id}/attachments?section=product"
    with app.app_context():
        assert scenario.audit(report_id).product_name == "Typed before attaching"
    attach_page = client.get(response.location).text
    assert re.search(r'<option selected value="product_name">|<option value="product_name" selected', attach_page)


# -- (d) the report: listed by name, size and fingerprint; the content never reaches the renderer ------

def test_the_results_page_lists_documents_in_the_appendix(app, client):
    with app.app_context():
        report_id = scenario.make_audit("complete")
        scenario.attach(report_id, TEXT, file_name="policy.txt")
    page = client.get(f"/audits/{report_id}/results").text
    appendix = page[page.index('id="attachments"'):]
    assert "policy.txt" in appendix and hashlib.sha256(TEXT).hexdigest() in appendix
    assert f"{len(TEXT)} bytes" in appendix and "MARKER-CONTENT-7Q2" not in page


def test_a_document_attached_after_the_results_page_was_shown_appears_on_it(app, client):
    # The results page is kept per audit revision; attaching a document does not change the revision,
    # so the kept page must not hide the new appendix row.
    with app.app_context():
        report_id = scenario.make_audit("complete")
    assert "No document was attached to the answers." in client.get(f"/audits/{report_id}/results").text
    with app.app_context():
        scenario.attach(report_id, TEXT, file_name="policy.txt")
    page = client.get(f"/audits/{report_id}/results").text
    assert "policy.txt" in page[page.index('id="attachments"'):]


def test_the_pdf_lists_the_documents_with_their_hashes_and_never_their_content(app, client, monkeypatch):
    import pypdf

    from app.audits import services as audit_services

    real, given = audit_services.render_pdf_limited, []

    def spy(context, limits, **kwargs):  # the render itself runs in a child process: spy on what it is given
        given.append(context)
        return real(context, limits, **kwargs)

    monkeypatch.setattr(audit_services, "render_pdf_limited", spy)
    with app.app_context():
        report_id = scenario.make_audit("complete")
        scenario.attach(report_id, TEXT, file_name="policy.txt")
        scenario.attach(report_id, PNG, file_name="certificate.png", question="retention_period")
    response = client.get(f"/audits/{report_id}/report.pdf?lang=en")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.data)).pages)
    flat = re.sub(r"\s+", "", text)
    for data in (TEXT, PNG):
        assert hashlib.sha256(data).hexdigest() in flat
    assert "policy.txt" in text and "certificate.png" in text and "Documents attached to the answers" in text
    assert "MARKER-CONTENT-7Q2" not in flat and PNG not in response.data
    (context,) = given
    assert [set(a) for a in context["attachments"]] == [{"file_name", "question", "size", "sha256"}] * 2
    assert "MARKER-CONTENT-7Q2" not in repr(context) and "attachments/" not in repr(context)


def test_a_report_without_documents_says_so(app, client):
    with app.app_context():
        report_id = scenario.make_audit("complete")
    assert "No document was attached to the answers." in client.get(f"/audits/{report_id}/results").text
