"""Serving benchmark: GET / while PDFs are produced, and re-evaluating 10,000 stored audits.

Run: `make bench-serve` or `.venv/bin/python bench/bench_serve.py [--rounds 3] [--pdfs 4] [--audits 10000]
[--database-url postgresql://...] [--redis-url redis://...]`; a quick run: `make bench-serve AUDITS=1000
ROUNDS=1`. Prints figures and the load average before each part; asserts nothing. Record results in
docs/benchmarks.md.

Data: the PostgreSQL database of --database-url (default BENCH_DATABASE_URL, else
postgresql://postgres@127.0.0.1:5432/eduaudit_bench, created when missing) is emptied (every table
dropped) and migrated with Alembic; Redis --redis-url (default BENCH_REDIS_URL, else database 15 of
the local server), one queue of its own.

1. Latency of GET / (the signed-out start page; loopback; one client sends one request every 0.1 s on
   a fixed schedule, each timed from its scheduled start, so time spent waiting behind a busy worker
   is counted, not skipped). Three servers run side by side, each gunicorn with gunicorn.conf.py and 2
   sync workers: "queued" with REDIS_URL and one RQ worker (the production shape, WORKER_NICE 10),
   "queued-nice0" the same with the worker at the web processes' priority (WORKER_NICE 0), and
   "in-process" without REDIS_URL (PDFs rendered in the web worker, as before jobs existed). Each round,
   interleaved: GET / alone on each server, then on each server GET / while --pdfs report PDFs of
   distinct audits are being produced there (requested at once by --pdfs clients, followed to the
   end). The ratio of medians (under load / alone) is the figure; p95 beside it.
2. Seconds to re-evaluate --audits stored audits (bulk-inserted complete drafts without a snapshot:
   each gets one, as after a rule-set change) with 2 RQ workers (`python -m app.worker --burst`),
   from queueing to the last job's end, and audits per second.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import flask_migrate  # noqa: E402
import requests  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from webhelpers import PASSWORD  # noqa: E402

from app import create_app  # noqa: E402
from app.config import normalise_database_url  # noqa: E402
from app.extensions import db  # noqa: E402

SECRET = "bench-secret-key-that-is-long-enough-1234"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_database(url: str) -> None:
    target = sa.make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if not connection.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}):
            connection.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def prepare(url: str, pdf_audits: int, users: int = 1) -> tuple[object, list[str], list[str]]:
    """Empty and migrate the database; a school, ``users`` administrators of it (one per PDF client, so
    the per-user PDF rate limit is not what is measured), ``pdf_audits`` complete audits. Returns the
    app, the audits' report ids and the users' e-mail addresses."""
    import scenario
    from webhelpers import create_accounts

    from app.accounts.services import create_user, get_org

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET})
    with app.app_context():
        meta = sa.MetaData()
        meta.reflect(bind=db.engine)
        meta.drop_all(bind=db.engine)
        flask_migrate.upgrade()
        emails = [create_accounts(["school"])["school"]]
        for i in range(1, users):
            create_user(email=f"school{i}@bench.test", name=f"School admin {i}", password=PASSWORD,
                        role="school_admin", organisation=get_org("Test School"))
            emails.append(f"school{i}@bench.test")
        db.session.commit()
        ids = [scenario.make_audit("complete", product=f"Bench camera {i}") for i in range(pdf_audits)]
    return app, ids, emails


def start(env: dict[str, str], port: int | None, log: Path, worker: bool) -> list[subprocess.Popen]:
    out = open(log, "ab")  # noqa: SIM115 - closed with the process
    procs = []
    if worker:
        procs.append(subprocess.Popen([sys.executable, "-m", "app.worker"], cwd=ROOT, env=env, stdout=out,
                                      stderr=subprocess.STDOUT))
    if port is not None:
        procs.append(subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind",
                                       f"127.0.0.1:{port}", "app:create_app()"], cwd=ROOT, env=env, stdout=out,
                                      stderr=subprocess.STDOUT))
        deadline = time.monotonic() + 600  # a busy machine takes minutes to load the rule set
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{port}/", timeout=5).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.3)
            if time.monotonic() > deadline:
                stop(procs)
                raise SystemExit(f"gunicorn on {port} did not start; see {log}")
    return procs


def stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


def signed_in(base: str, email: str) -> requests.Session:
    session = requests.Session()
    page = session.get(base + "/login", timeout=10)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    response = session.post(base + "/login", data={"csrf_token": token, "email": email, "password": PASSWORD},
                            allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.status_code
    return session


def fetch_pdf(session: requests.Session, base: str, report_id: str, lang: str) -> None:
    response = session.get(f"{base}/audits/{report_id}/report.pdf?lang={lang}", allow_redirects=False, timeout=300)
    if response.status_code == 303:
        # the progress page's address with ".json", keeping its query (the report's language)
        path, _, query = response.headers["Location"].partition("?")
        status_url = base + path + ".json" + (f"?{query}" if query else "")
        while not (status := session.get(status_url, timeout=30).json())["ready"]:
            if status["state"] in ("finished", "failed"):  # ended without a PDF (a render limit, a failure)
                raise RuntimeError(f"PDF job of {report_id} ended without a PDF: see the worker's log")
            time.sleep(0.25)
        response = session.get(base + status["download_url"], timeout=60)
    assert response.status_code == 200 and response.content.startswith(b"%PDF"), response.status_code


INTERVAL = 0.1
"""Seconds between the scheduled starts of two ``GET /`` (10 a second, one client)."""


def home_latencies(base: str, until, minimum: int = 10, limit: int = 1800) -> list[float]:
    """Milliseconds of ``GET /`` sent on a fixed schedule (one every :data:`INTERVAL` s) until ``until()``
    is true (and at least ``minimum`` requests), each counted from its scheduled start: a request that
    had to wait behind a slow one counts the wait, as a person clicking at that moment would. (Timing
    back-to-back requests instead would take one sample during a 10 s stall and hundreds around it.)"""
    out: list[float] = []
    with requests.Session() as session:
        start = time.perf_counter()
        while len(out) < limit and (len(out) < minimum or not until()):
            scheduled = start + len(out) * INTERVAL
            if (ahead := scheduled - time.perf_counter()) > 0:
                time.sleep(ahead)
            assert session.get(base + "/", timeout=120).status_code == 200
            out.append((time.perf_counter() - scheduled) * 1000)
    return out


def under_pdf_load(base: str, sessions: list[requests.Session], report_ids: list[str], lang: str) -> list[float]:
    threads = [threading.Thread(target=fetch_pdf, args=(s, base, r, lang)) for s, r in zip(sessions, report_ids,
                                                                                             strict=True)]
    for thread in threads:
        thread.start()
    time.sleep(0.2)  # the requests are in
    latencies = home_latencies(base, lambda: not any(t.is_alive() for t in threads))
    for thread in threads:
        thread.join()
    return latencies


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else values[0]


def bench_latency(args, url: str, redis_url: str, tmp: Path) -> None:
    rounds, pdfs = args.rounds, args.pdfs
    _app, report_ids, emails = prepare(url, pdfs * rounds * 3, users=pdfs)
    common = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET, "EDUAUDIT_ENV": "development",
              "WEB_CONCURRENCY": "2", "GUNICORN_ACCESS_LOG": str(tmp / "access.log")}
    envs = {  # (environment, with an RQ worker); each queued server has a queue and a store of its own
        "queued": ({**common, "REDIS_URL": redis_url, "JOB_QUEUE": f"bench-{uuid.uuid4().hex[:8]}",
                    "PDF_STORE_DIR": str(tmp / "store-q"), "WORKER_NICE": "10"}, True),
        "queued-nice0": ({**common, "REDIS_URL": redis_url, "JOB_QUEUE": f"bench-{uuid.uuid4().hex[:8]}",
                          "PDF_STORE_DIR": str(tmp / "store-q0"), "WORKER_NICE": "0"}, True),
        "in-process": ({**common, "PDF_STORE_DIR": str(tmp / "store-i"), "REDIS_URL": ""}, False),
    }
    ports = {kind: free_port() for kind in envs}
    procs: list[subprocess.Popen] = []
    for kind, (env, worker) in envs.items():
        procs += start(env, ports[kind], tmp / f"{kind}.log", worker=worker)
    alone: dict[str, list[float]] = {k: [] for k in ports}
    loaded: dict[str, list[float]] = {k: [] for k in ports}
    try:
        sessions = {k: [signed_in(f"http://127.0.0.1:{p}", e) for e in emails] for k, p in ports.items()}
        for p in ports.values():  # warm-up
            home_latencies(f"http://127.0.0.1:{p}", lambda: True, minimum=20)
        used = 0
        for number in range(1, rounds + 1):
            for kind, port in ports.items():
                alone[kind] += home_latencies(f"http://127.0.0.1:{port}", lambda: True, minimum=40)
            for kind, port in ports.items():
                batch = report_ids[used:used + pdfs]
                used += pdfs
                started = time.perf_counter()
                loaded[kind] += under_pdf_load(f"http://127.0.0.1:{port}", sessions[kind], batch, "en")
                print(f"  round {number} {kind}: {pdfs} PDFs in {time.perf_counter() - started:.1f} s", flush=True)
    finally:
        stop(procs)
    print("\nGET / latency, ms (median / p95), alone and while PDFs are produced; ratio of medians")
    print(f"{'server':<13} {'alone':>16} {'under load':>18} {'ratio':>7} {'n (load)':>9}")
    for kind in ports:
        a, b = alone[kind], loaded[kind]
        print(f"{kind:<13} {statistics.median(a):7.1f} / {p95(a):6.1f}  {statistics.median(b):8.1f} / {p95(b):7.1f}"
              f"  {statistics.median(b) / statistics.median(a):6.2f}x {len(b):>8}")


def bench_reevaluate(args, url: str, redis_url: str, tmp: Path) -> None:
    from app.audits import jobs as audit_jobs
    from app.models import AssessmentSnapshot, Audit, new_report_id

    app, _, _ = prepare(url, 1)
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    with app.app_context():
        template = db.session.scalar(sa.select(Audit))
        org = template.organisation_id
        answers = dict(template.answers)
        now = template.created_at
        rows = [{"report_id": new_report_id(), "product_name": f"Product {i}", "vendor_name": template.vendor_name,
                 "jurisdiction": template.jurisdiction, "answers": {**answers, "product_name": f"Product {i}"},
                 "status": "draft", "organisation_id": org, "version": 1, "revision": 1, "created_at": now,
                 "updated_at": now} for i in range(args.audits - 1)]
        for start_at in range(0, len(rows), 2000):
            db.session.execute(sa.insert(Audit), rows[start_at:start_at + 2000])
        db.session.execute(sa.delete(AssessmentSnapshot))
        db.session.commit()
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
    app.config.update(REDIS_URL=redis_url, JOB_QUEUE=queue)
    from app import jobs

    jobs.init_app(app)
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET, "REDIS_URL": redis_url, "JOB_QUEUE": queue}
    with app.app_context():
        started = time.perf_counter()
        refs = audit_jobs.request_reevaluation()
        workers = [subprocess.Popen([sys.executable, "-m", "app.worker", "--burst"], cwd=ROOT, env=env,
                                    stdout=subprocess.DEVNULL, stderr=open(tmp / f"reeval-{i}.log", "wb"))  # noqa: SIM115
                   for i in range(2)]
        for worker in workers:
            worker.wait()
        seconds = time.perf_counter() - started
        snapshots = db.session.scalar(sa.select(sa.func.count()).select_from(AssessmentSnapshot))
        failed = [r.id for r in refs if (jobs.status(r.id) or r).state != "finished"]
    print(f"\nRe-evaluating {args.audits:,} stored audits with 2 workers ({len(refs)} jobs of "
          f"{audit_jobs.REEVALUATE_CHUNK}): {seconds:.1f} s ({args.audits / seconds:,.0f} audits/s); "
          f"{snapshots:,} snapshots stored; failed jobs: {len(failed)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pdfs", type=int, default=4)
    parser.add_argument("--audits", type=int, default=10_000)
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--skip-reevaluate", action="store_true")
    parser.add_argument("--database-url", default=os.environ.get(
        "BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/eduaudit_bench"))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"))
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the servers and workers on the way out
    url = normalise_database_url(args.database_url)
    ensure_database(url)
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; "
          f"Python {platform.python_version()}")
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        if not args.skip_latency:
            print(f"load before the latency part {os.getloadavg()[0]:.1f}", flush=True)
            bench_latency(args, url, args.redis_url, Path(tmp))
        if not args.skip_reevaluate:
            print(f"load before the re-evaluation {os.getloadavg()[0]:.1f}", flush=True)
            bench_reevaluate(args, url, args.redis_url, Path(tmp))
    print(f"load at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
