"""The production shape end to end: gunicorn (gunicorn.conf.py, 2 workers) and one RQ worker
(``python -m app.worker``) on loopback against PostgreSQL (TEST_DATABASE_URL) and Redis
(TEST_REDIS_URL, database 5); a school signs in and downloads its report's PDF through the job queue.

Skipped without a PostgreSQL TEST_DATABASE_URL or without Redis (``make test-pg`` and ``.ci/run``
provide both).
"""

from __future__ import annotations

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
from webhelpers import ACCOUNTS, PASSWORD, stop_process

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")

pytestmark = pytest.mark.serve


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def production(app, accounts, tmp_path):
    """(base URL, report id of a complete audit of Test School) with gunicorn and a worker running."""
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
        yield base, report_id, tmp_path
    finally:
        for process in processes:
            stop_process(process)
        for handle in logs.values():
            handle.close()
        for key in redis.scan_iter(f"rq:*{queue}*"):
            redis.delete(key)
        redis.close()


def test_a_school_downloads_its_pdf_through_the_job_queue_from_gunicorn(production):
    base, report_id, logs = production
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
