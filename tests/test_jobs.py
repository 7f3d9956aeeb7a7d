"""Report PDFs as background jobs: rendered once and served from the store, the progress page, and the
faults: Redis down, a full disk while writing the PDF, a worker killed in the middle of a render.

Tests that need Redis use database 5 of ``TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/5``) and a
queue of their own (tests/redishelpers.py); without Redis they skip, or fail when ``CI`` is set.
"""

from __future__ import annotations

import errno
import hashlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import scenario
import sqlalchemy as sa
from redishelpers import REDIS_URL, redis_or_skip, use_redis
from webhelpers import stop_process

from app import jobs
from app.audits import jobs as audit_jobs
from app.extensions import db
from app.models import IssuedReport, StoredPdf
from app.pdfstore import PdfStore, StoreFull
from app.verify.services import find_issued

ROOT = Path(__file__).resolve().parents[1]
UNREACHABLE_REDIS = "redis://127.0.0.1:1/5"  # nothing listens on port 1


@pytest.fixture
def app_config():
    # these tests are about jobs and the store, not the time limit (tests/test_render_limits.py): a
    # render on a busy 2-core machine may take longer than the 60 s default
    return {"PDF_RENDER_TIMEOUT": 600.0, "JOB_TIMEOUT": 900}


def counts(app) -> tuple[int, int]:
    with app.app_context():
        return (db.session.scalar(sa.select(sa.func.count()).select_from(IssuedReport)),
                db.session.scalar(sa.select(sa.func.count()).select_from(StoredPdf)))


@pytest.fixture
def complete_audit(app, accounts):
    with app.app_context():
        return scenario.make_audit("complete")


def store_files(app) -> list[Path]:
    return sorted(p for p in Path(app.config["PDF_STORE_DIR"]).rglob("*") if p.is_file())


# -- the store ----------------------------------------------------------------------------------------

def test_the_store_writes_whole_files_and_never_replaces_one(tmp_path):
    store = PdfStore(tmp_path)
    key = "ab" * 32
    assert store.read(key) is None
    assert store.write(key, b"%PDF first") == b"%PDF first"
    assert store.write(key, b"%PDF second") == b"%PDF first"  # the first complete file wins
    assert store.read(key) == b"%PDF first"
    assert store.read(key, sha256=hashlib.sha256(b"other").hexdigest()) is None  # damaged: not served
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [f"{key}.pdf"]
    with pytest.raises(ValueError, match="64 lower-case hex"):
        store.path("../../etc/passwd")


def test_a_full_disk_leaves_no_partial_file_in_the_store(tmp_path, monkeypatch):
    import app.pdfstore as pdfstore

    def full(_fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pdfstore.os, "fsync", full)  # the bytes were handed to the file, then the disk is full
    store = PdfStore(tmp_path)
    with pytest.raises(StoreFull, match="disk holding the PDF store is full"):
        store.write("cd" * 32, b"%PDF-1.7 " + b"x" * 100_000)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


# -- in-process jobs (no REDIS_URL): rendered once, served from the store -------------------------------

def test_a_second_download_is_served_from_the_store_byte_identical_with_one_issued_report(
        app, client, complete_audit, monkeypatch):
    first = client.get(f"/audits/{complete_audit}/report.pdf?lang=en")
    assert first.status_code == 200 and first.data.startswith(b"%PDF")
    from app.audits import services

    def no_render(*args, **kwargs):
        raise AssertionError("rendered again although the PDF is stored")

    monkeypatch.setattr(services, "render_report", no_render)
    second = client.get(f"/audits/{complete_audit}/report.pdf?lang=en")
    assert second.status_code == 200 and second.data == first.data
    assert second.headers["Content-Disposition"] == first.headers["Content-Disposition"]
    assert counts(app) == (1, 1)
    with app.app_context():
        assert find_issued(hashlib.sha256(second.data).hexdigest()).recorded  # /verify still matches
    assert len(store_files(app)) == 1


def test_a_changed_review_state_or_language_is_another_pdf(app, client, complete_audit):
    english = client.get(f"/audits/{complete_audit}/report.pdf?lang=en")
    assert scenario.web_submit(client, complete_audit).status_code == 302
    submitted = client.get(f"/audits/{complete_audit}/report.pdf?lang=en")
    assert submitted.status_code == 200 and submitted.data != english.data
    assert "submitted" in submitted.headers["Content-Disposition"]
    assert counts(app) == (2, 2)


def test_a_full_disk_while_storing_the_pdf_gets_a_clear_page_and_records_nothing(
        app, client, complete_audit, monkeypatch):
    import app.pdfstore as pdfstore

    real_fdopen = os.fdopen

    class FullDisk:
        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def write(self, data):
            self.handle.write(data[: len(data) // 2])  # half of it reached the disk
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pdfstore.os, "fdopen", lambda fd, mode: FullDisk(real_fdopen(fd, mode)))
    response = client.get(f"/audits/{complete_audit}/report.pdf")
    assert response.status_code == 507 and response.mimetype == "text/html"
    assert "The PDF could not be stored" in response.text and "disk is full" in response.text
    assert "Errno" not in response.text and "Traceback" not in response.text
    assert counts(app) == (0, 0)
    assert store_files(app) == []
    monkeypatch.undo()  # the disk has room again: the next download works and is recorded once
    again = client.get(f"/audits/{complete_audit}/report.pdf")
    assert again.status_code == 200 and counts(app) == (1, 1)


def test_a_job_killed_after_writing_the_file_is_finished_by_its_retry_without_rendering_again(
        app, complete_audit, monkeypatch):
    from app.audits import services

    def killed(*args, **kwargs):
        raise RuntimeError("the worker died here")

    real_record = services.record_issued
    monkeypatch.setattr(services, "record_issued", killed)  # dies after the file is written, before the commit
    with app.app_context():
        audit_id = scenario.audit(complete_audit).id
        with pytest.raises(RuntimeError, match="died here"):
            jobs.run_job("app.audits.jobs.build_report_pdf", audit_id, "en", "", 0)
    assert counts(app) == (0, 0)
    [written] = store_files(app)
    monkeypatch.setattr(services, "record_issued", real_record)
    monkeypatch.setattr(services, "render_report", lambda *a, **k: pytest.fail("rendered again"))
    with app.app_context():
        result = jobs.run_job("app.audits.jobs.build_report_pdf", audit_id, "en", "", 0)
        stored = audit_jobs.stored_report(result["key"])
        assert stored.sha256 == hashlib.sha256(written.read_bytes()).hexdigest()
    assert counts(app) == (1, 1) and store_files(app) == [written]


def test_reevaluation_after_a_rule_set_change_stores_a_snapshot_only_where_the_result_changed(app, accounts):
    from app.models import AssessmentSnapshot

    with app.app_context():
        ids = [scenario.audit(scenario.make_audit("complete")).id for _ in range(3)]
        ids.append(scenario.audit(scenario.make_audit("draft")).id)
        stale = db.session.scalar(sa.select(AssessmentSnapshot).where(AssessmentSnapshot.audit_id == ids[1]))
        stale.rule_set_sha256 = "0" * 64  # evaluated under another rule set
        db.session.commit()
        refs = audit_jobs.request_reevaluation(chunk=2)
        assert [r.state for r in refs] == ["finished", "finished"] and all(r.inline for r in refs)
        totals = {k: sum(r.result[k] for r in refs) for k in refs[0].result}
        assert totals == {"evaluated": 3, "changed": 1, "not_ready": 1, "gone": 0}
        per_audit = dict(db.session.execute(sa.select(AssessmentSnapshot.audit_id, sa.func.count())
                                            .group_by(AssessmentSnapshot.audit_id)).all())
        assert per_audit == {ids[0]: 1, ids[1]: 2, ids[2]: 1}
        again = audit_jobs.request_reevaluation()
        assert again[0].result == {"evaluated": 3, "changed": 0, "not_ready": 1, "gone": 0}


# -- Redis down -----------------------------------------------------------------------------------------

@pytest.fixture
def unreachable_redis():
    return {"REDIS_URL": UNREACHABLE_REDIS}


def test_with_redis_down_a_report_renders_in_the_web_process_and_nothing_is_lost(
        app, client, complete_audit, caplog):
    app.config["REDIS_URL"] = UNREACHABLE_REDIS
    jobs.init_app(app)
    response = client.get(f"/audits/{complete_audit}/report.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert "Redis unreachable" in caplog.text
    assert counts(app) == (1, 1)


def test_with_redis_down_the_progress_page_says_so_in_plain_words(app, client, complete_audit):
    app.config["REDIS_URL"] = UNREACHABLE_REDIS
    jobs.init_app(app)
    response = client.get(f"/audits/{complete_audit}/report-jobs/report-{'0' * 64}")
    assert response.status_code == 503
    assert "cannot be reached at the moment" in response.text and "not lost" in response.text
    assert "ConnectionError" not in response.text


def test_with_redis_down_a_reevaluation_is_refused_with_a_clear_message(app, complete_audit):
    app.config["REDIS_URL"] = UNREACHABLE_REDIS
    jobs.init_app(app)
    with app.app_context(), pytest.raises(jobs.JobsUnavailable) as refused:
        audit_jobs.request_reevaluation()
    assert "the job queue (Redis) cannot be reached" in str(refused.value)


# -- on Redis with a worker -------------------------------------------------------------------------------

def test_on_redis_the_download_waits_on_an_accessible_progress_page_then_serves_the_pdf(
        app, client, complete_audit):
    from rq import SimpleWorker

    connection = redis_or_skip()
    queue = f"test-{uuid.uuid4().hex[:12]}"
    use_redis(app, queue)
    try:
        response = client.get(f"/audits/{complete_audit}/report.pdf?lang=en")
        assert response.status_code == 303 and "/report-jobs/report-" in response.location
        path = urlsplit(response.location).path
        page = client.get(response.location)
        assert page.status_code == 200
        assert 'role="progressbar"' in page.text and 'aria-live="polite"' in page.text
        assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page.text
        assert "reload it" in page.text and "js/progress.js" in page.text
        status = client.get(path + ".json").get_json()
        assert status["state"] == "queued" and status["ready"] is False and status["download_url"] is None
        # a second click joins the queued job instead of queueing another render
        assert client.get(f"/audits/{complete_audit}/report.pdf?lang=en").location == response.location
        with app.app_context():
            SimpleWorker([jobs.queue()], connection=jobs.queue().connection).work(burst=True)
        status = client.get(path + ".json").get_json()
        assert status["ready"] is True and status["percent"] == 100
        assert status["download_url"] == f"/audits/{complete_audit}/report.pdf?lang=en"
        ready = client.get(response.location)
        assert "refresh" not in ready.text and f'href="/audits/{complete_audit}/report.pdf?lang=en"' in ready.text
        pdf = client.get(status["download_url"])
        assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
        assert counts(app) == (1, 1)
        # someone else's job is not shown: the job must belong to the audit in the URL
        with app.app_context():
            other = scenario.make_audit("complete")
        assert client.get(f"/audits/{other}/report-jobs/{path.rsplit('/', 1)[1]}").status_code == 404
    finally:
        for key in connection.scan_iter(f"rq:*{queue}*"):
            connection.delete(key)


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout:g} s waiting for {what}")


def test_a_worker_killed_in_the_middle_of_a_render_is_retried_and_issues_one_report(
        app, client, complete_audit, tmp_path):
    from rq.job import Job

    connection = redis_or_skip()
    queue = f"test-{uuid.uuid4().hex[:12]}"
    use_redis(app, queue, JOB_RETRY_INTERVALS=(1,))
    env = {**os.environ, "REDIS_URL": REDIS_URL, "JOB_QUEUE": queue, "JOB_RETRY_INTERVALS": "1",
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "PDF_STORE_DIR": app.config["PDF_STORE_DIR"],
           "SECRET_KEY": "test-secret"}
    with open(tmp_path / "worker.log", "wb") as log:
        worker = subprocess.Popen([sys.executable, "-m", "app.worker"], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=log)
    try:
        response = client.get(f"/audits/{complete_audit}/report.pdf")
        assert response.status_code == 303
        path = urlsplit(response.location).path
        job_id = path.rsplit("/", 1)[1]

        def rendering():
            job = Job.fetch(job_id, connection=connection)
            return job.meta.get("pid") if job.meta.get("stage") == "rendering" else None

        horse = _wait(rendering, 120, "the render to start")
        os.kill(horse, signal.SIGKILL)
        _wait(lambda: client.get(path + ".json").get_json()["ready"], 180, "the retried job")
        job = Job.fetch(job_id, connection=connection)
        assert job.retries_left == 0  # it failed once (the kill) and was retried once
        assert "Work-horse terminated unexpectedly" in (tmp_path / "worker.log").read_text()
        pdf = client.get(f"/audits/{complete_audit}/report.pdf")
        assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
        assert counts(app) == (1, 1)
        with app.app_context():
            assert find_issued(hashlib.sha256(pdf.data).hexdigest()).recorded
        assert not [p for p in store_files(app) if p.name.startswith(".tmp")]
    finally:
        stop_process(worker)
        for key in connection.scan_iter(f"rq:*{queue}*"):
            connection.delete(key)


# -- settings ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("proxies", "client_address"), [(0, "10.0.0.1"), (1, "203.0.113.7")])
def test_trusted_proxies_decide_whose_address_the_app_sees(app, proxies, client_address):
    from flask import request

    from app import register_proxies

    app.config["TRUSTED_PROXIES"] = proxies
    register_proxies(app)

    @app.get("/_address")
    def address():
        return request.remote_addr

    response = app.test_client().get("/_address", headers={"X-Forwarded-For": "203.0.113.7"},
                                     environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert response.text == client_address


def test_redis_url_puts_the_rate_limit_counters_on_redis():
    from app.config import ConfigError, finalise_serving

    config = {"REDIS_URL": "redis://127.0.0.1:6379/4", "RATELIMIT_STORAGE_URI": "memory://",
              "TRUSTED_PROXIES": "1", "JOB_TIMEOUT": "180", "JOB_RETRY_INTERVALS": "5, 30"}
    finalise_serving(config, "/tmp/instance")
    assert config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/4"
    assert config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] is True
    assert (config["TRUSTED_PROXIES"], config["JOB_RETRY_INTERVALS"]) == (1, (5, 30))
    assert config["PDF_STORE_DIR"] == "/tmp/instance/pdf-store"
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        finalise_serving({**config, "TRUSTED_PROXIES": "all"}, "/tmp/instance")


@pytest.mark.parametrize(("raw", "nice"), [(None, 0), ("0", 0), (" 19 ", 19), (10, 10), ("-5", None), ("20", None),
                                           ("low", None)])
def test_worker_nice_is_a_niceness_from_0_to_19(raw, nice):
    from app.config import ConfigError, finalise_serving

    config = {"TRUSTED_PROXIES": 0, "JOB_TIMEOUT": 180, "JOB_RETRY_INTERVALS": (10,), "PDF_STORE_DIR": "/tmp/s"}
    if raw is not None:
        config["WORKER_NICE"] = raw
    if nice is None:
        with pytest.raises(ConfigError, match="WORKER_NICE"):
            finalise_serving(config, "/tmp/instance")
    else:
        finalise_serving(config, "/tmp/instance")
        assert config["WORKER_NICE"] == nice
