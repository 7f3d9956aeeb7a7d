"""A web worker's resident memory while report PDFs are downloaded (issue 15: ≤ 100 MiB after 50).

Run: `make bench-memory` or `.venv/bin/python bench/bench_worker_memory.py [--downloads 50]
[--database-url postgresql://...] [--redis-url redis://...]`. About 4 minutes (the PDFs are rendered by
the job worker, about 4 s each). Prints figures; asserts nothing. Record results in docs/benchmarks.md.

The production shape with one web worker: gunicorn (gunicorn.conf.py, ``WEB_CONCURRENCY=1``) against
PostgreSQL (the database of bench/bench_serve.py, emptied and migrated) and Redis, with one RQ worker
rendering the PDFs. ``--downloads`` distinct reports (complete audits, English and Chinese in turn, by
several school administrators so the per-user PDF limit is not what is measured) are downloaded one after
the other through the job's progress URL, as a browser does. The web worker's resident set (``VmRSS`` of
/proc) is read after start-up and after 1, 10, 25 and every later 25th download; the same is read of a
bare Flask worker (bench/bare_app.py) under the same gunicorn settings, and the ratio is printed. The
render helper's memory is the job worker's, printed beside for the record.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from app.config import normalise_database_url  # noqa: E402
from bench.bench_serve import (  # noqa: E402
    SECRET,
    ensure_database,
    fetch_pdf,
    free_port,
    prepare,
    signed_in,
    start,
    stop,
)

USERS = 5
"""School administrators downloading in turn (the per-user PDF limit is 20 a minute)."""


def rss_mib(pid: int) -> float:
    """Resident set of process ``pid`` in MiB (``VmRSS`` of /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def workers_of(master: int) -> list[int]:
    """The gunicorn master's child processes (its workers)."""
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout
    return [int(pid) for pid in out.split()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--downloads", type=int, default=50)
    parser.add_argument("--database-url", default=os.environ.get(
        "BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/eduaudit_bench"))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"))
    args = parser.parse_args()
    url = normalise_database_url(args.database_url)
    ensure_database(url)
    audits = -(-args.downloads // 2)
    _app, report_ids, emails = prepare(url, audits, users=USERS)
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        folder = Path(tmp)
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET, "EDUAUDIT_ENV": "development",
               "WEB_CONCURRENCY": "1", "GUNICORN_ACCESS_LOG": str(folder / "access.log"), "REDIS_URL": args.redis_url,
               "JOB_QUEUE": f"bench-{uuid.uuid4().hex[:8]}", "PDF_STORE_DIR": str(folder / "store")}
        port, bare_port = free_port(), free_port()
        procs = start(env, port, folder / "app.log", worker=True)
        bare = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind",
                                 f"127.0.0.1:{bare_port}", "bench.bare_app:app"], cwd=ROOT,
                                env={**env, "PYTHONPATH": str(ROOT)}, stdout=open(folder / "bare.log", "ab"),  # noqa: SIM115
                                stderr=subprocess.STDOUT)
        procs.append(bare)
        try:
            base = f"http://127.0.0.1:{port}"
            import requests

            deadline = time.monotonic() + 120
            while True:
                try:
                    requests.get(f"http://127.0.0.1:{bare_port}/page/100", timeout=2)
                    break
                except requests.ConnectionError:
                    if time.monotonic() > deadline:
                        raise SystemExit("the bare server did not start") from None
                    time.sleep(0.3)
            gunicorn, rq_worker = procs[1], procs[0]
            [web] = workers_of(gunicorn.pid)
            [bare_worker] = workers_of(bare.pid)
            sessions = [signed_in(base, email) for email in emails]
            sessions[0].get(base + "/", timeout=10)
            rows = [("after start-up (signed in, one page)", 0, rss_mib(web), rss_mib(bare_worker),
                     rss_mib(rq_worker.pid))]
            marks = {1, 10, *range(25, args.downloads + 1, 25), args.downloads}
            started = time.perf_counter()
            for n in range(1, args.downloads + 1):
                fetch_pdf(sessions[n % USERS], base, report_ids[(n - 1) // 2], ("en", "zh")[n % 2])
                if n in marks:
                    if workers_of(gunicorn.pid) != [web]:
                        raise SystemExit("the web worker was replaced during the run: its memory is not comparable")
                    rows.append((f"after {n} downloads", n, rss_mib(web), rss_mib(bare_worker),
                                 rss_mib(rq_worker.pid)))
            elapsed = time.perf_counter() - started
        finally:
            stop(procs)
    print(f"{args.downloads} report PDFs downloaded in {elapsed:.0f} s; 1 web worker (gunicorn.conf.py), 1 RQ worker")
    print("| when | web worker RSS MiB | bare Flask worker RSS MiB | web / bare | RQ worker RSS MiB |")
    print("|---|---|---|---|---|")
    for label, _n, web_rss, bare_rss, rq_rss in rows:
        print(f"| {label} | {web_rss:.1f} | {bare_rss:.1f} | {web_rss / bare_rss:.2f} | {rq_rss:.1f} |")


if __name__ == "__main__":
    main()
