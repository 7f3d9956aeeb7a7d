"""The production shape end to end: gunicorn (gunicorn.conf.py, 2 workers) and one RQ worker
(``python -m app.worker``) on loopback against PostgreSQL (TEST_DATABASE_URL) and Redis
(TEST_REDIS_URL, database 5); a school signs in and downloads its report's PDF through the job queue,
once with ``requests`` and once in headless Chromium along the whole path (sign in, start an audit,
answer every step, results, the PDF through the job's progress page).

Skipped without a PostgreSQL TEST_DATABASE_URL or without Redis (``make test-serve`` provides both;
``.ci/run`` runs it); the Chromium test is also marked ``browser``.
"""

from __future__ import annotations

import io
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
import scenario
from browsing import sign_in
from pypdf import PdfReader
from test_browser import _start_and_answer
from webhelpers import ACCOUNTS, PASSWORD, REALISTIC, complete, stop_process

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")

pytestmark = pytest.mark.serve


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def production(app, accounts, tmp_path):
    """(base URL, report id of a complete audit of Test School, log folder, the worker's process) with
    gunicorn and a worker running."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("needs a PostgreSQL TEST_DATABASE_URL")
    from redis import Redis
    from redis.exceptions import RedisError

    redis = Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        redis.ping()
    except RedisError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    with app.app_context():
        report_id = scenario.make_audit("complete")
    port, queue = _free_port(), f"serve-{uuid.uuid4().hex[:12]}"
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": REDIS_URL,
           "JOB_QUEUE": queue, "PDF_STORE_DIR": str(tmp_path / "pdf-store"), "EDUAUDIT_ENV": "development",
           "SECRET_KEY": "serve-test-secret", "WEB_CONCURRENCY": "2", "GUNICORN_ACCESS_LOG": "-"}
    logs = {name: open(tmp_path / f"{name}.log", "wb") for name in ("web", "worker")}
    processes = [
        subprocess.Popen([sys.executable, "-m", "app.worker"], cwd=ROOT, env=env, stdout=logs["worker"],
                         stderr=subprocess.STDOUT),
        subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
                          "app:create_app()"], cwd=ROOT, env=env, stdout=logs["web"], stderr=subprocess.STDOUT),
    ]
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if requests.get(base + "/login", timeout=5).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert processes[1].poll() is None, (tmp_path / "web.log").read_text()
            assert time.monotonic() < deadline, "gunicorn did not start: " + (tmp_path / "web.log").read_text()
            time.sleep(0.3)
        yield base, report_id, tmp_path, processes[0]
    finally:
        for process in processes:
            stop_process(process)
        for handle in logs.values():
            handle.close()
        for key in redis.scan_iter(f"rq:*{queue}*"):
            redis.delete(key)
        redis.close()


def test_a_school_downloads_its_pdf_through_the_job_queue_from_gunicorn(production):
    base, report_id, logs, worker = production
    web = requests.Session()
    page = web.get(base + "/login", timeout=10)
    assert page.headers["Server"] == "EduAudit"  # no product version advertised
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    signed_in = web.post(base + "/login", data={"csrf_token": token, "email": ACCOUNTS["school"][0],
                                                "password": PASSWORD}, allow_redirects=False, timeout=10)
    assert signed_in.status_code == 302, signed_in.text
    asked = web.get(f"{base}/audits/{report_id}/report.pdf?lang=en", allow_redirects=False, timeout=30)
    assert asked.status_code == 303, asked.text
    progress = web.get(base + asked.headers["Location"], timeout=10)
    assert progress.status_code == 200 and 'role="progressbar"' in progress.text
    status_url = base + asked.headers["Location"].split("?")[0] + ".json"
    deadline = time.monotonic() + 180
    while not (status := web.get(status_url, timeout=10).json())["ready"]:
        assert status["state"] in ("queued", "started"), status
        assert time.monotonic() < deadline, (logs / "worker.log").read_text()
        time.sleep(0.5)
    pdf = web.get(base + status["download_url"], timeout=30)
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    again = web.get(f"{base}/audits/{report_id}/report.pdf?lang=en", allow_redirects=False, timeout=30)
    assert again.status_code == 200 and again.content == pdf.content  # from the store, byte-identical
    assert "GET /audits/" in (logs / "web.log").read_text()  # the access log is on
    # The worker (and every job it forks) yields the CPU to the web processes: WORKER_NICE, 10 by default.
    assert os.getpriority(os.PRIO_PROCESS, worker.pid) == min(19, os.getpriority(os.PRIO_PROCESS, 0) + 10)


@pytest.mark.browser
def test_a_school_goes_from_sign_in_to_its_pdf_in_chromium_against_gunicorn(app, production, browser):
    from playwright.sync_api import expect

    base, _report_id, logs, _worker = production
    qn = app.extensions["eduaudit.ruleset"].questionnaire
    page = browser.new_context(accept_downloads=True).new_page()
    sign_in(page, base, ACCOUNTS["school"][0])
    report_id = _start_and_answer(page, base, qn, complete(qn, REALISTIC))
    expect(page.locator(".cover .verdict__value")).to_contain_text("Prohibited")
    page.get_by_role("link", name="Download PDF").click()  # queued: the job's progress page
    page.wait_for_url(f"**/audits/{report_id}/report-jobs/**")
    expect(page.get_by_role("progressbar")).to_be_visible()
    download_link = page.locator("#report-job-download")
    expect(download_link).to_be_visible(timeout=180_000)  # the RQ worker renders it
    expect(page.get_by_role("progressbar")).to_have_attribute("value", "100")
    with page.expect_download() as download_info:
        download_link.click()
    download = download_info.value
    data = Path(download.path()).read_bytes()
    assert download.suggested_filename == f"eduaudit-{report_id}-v1-draft-en.pdf"
    assert data.startswith(b"%PDF")
    assert report_id in PdfReader(io.BytesIO(data)).pages[0].extract_text()
    worker_log = (logs / "worker.log").read_text()
    assert "build_report_pdf" in worker_log, worker_log  # rendered by the RQ worker, not by gunicorn
    assert "POST /audits/" in (logs / "web.log").read_text()  # the steps were saved through gunicorn
