"""A background worker: ``python -m app.worker [--burst]`` runs RQ jobs of ``REDIS_URL``'s queue.

The app (and its rule set) is built once here, before the first job; RQ forks a fresh process for
each job from this one, so a job starts in milliseconds and a crash or a kill ends only that job
(RQ then retries it, see :mod:`app.jobs`). The scheduler runs in the worker too, so the back-off of
retries is kept. Settings come from the environment, as for the web processes.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import Any

from flask import Flask, has_app_context

_app: Flask | None = None
_app_pid: int | None = None


def worker_app() -> Flask:
    """The app of this worker process, created once (the rule set loaded once) and shared by the job
    processes RQ forks from it."""
    global _app, _app_pid
    if _app is None:
        from . import create_app

        _app = create_app()
        _app_pid = os.getpid()
    return _app


def execute(func: str, *args: Any) -> Any:
    """RQ's entry point for every job: run ``func(*args)`` (see :func:`app.jobs.run_job`) in this
    worker's app. In a process forked from the worker, connections inherited from it are dropped first."""
    from . import jobs
    from .extensions import db

    if has_app_context():
        return jobs.run_job(func, *args)
    app = worker_app()
    with app.app_context():
        if _app_pid is not None and os.getpid() != _app_pid:
            db.engine.dispose(close=False)
        return jobs.run_job(func, *args)


def main(argv: list[str] | None = None) -> int:
    """Run a worker until it is stopped (SIGTERM finishes the current job first); ``--burst`` stops
    when the queue is empty. The worker lowers its priority by ``WORKER_NICE`` first. Exits 2 when
    ``REDIS_URL`` is not set."""
    parser = argparse.ArgumentParser(prog="python -m app.worker", description=__doc__.splitlines()[0])
    parser.add_argument("--burst", action="store_true", help="stop when the queue is empty")
    parser.add_argument("--name", help="worker name (default: host and process id)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    from rq import Queue, Worker

    from . import jobs
    from .extensions import db

    app = worker_app()
    url = app.config.get("REDIS_URL")
    if not url:
        print("error: REDIS_URL is not set; without it jobs run inside the web process and need no worker",
              file=sys.stderr)
        return 2
    os.nice(app.config["WORKER_NICE"])  # jobs forked from here inherit it: pages come first
    with app.app_context():
        db.engine.dispose()  # no connection of this process is ever shared with a forked job
        connection = app.extensions[jobs.JOBS_KEY].redis
        queue = Queue(app.config["JOB_QUEUE"], connection=connection)
        worker = Worker([queue], connection=connection, name=args.name)
        worker.work(burst=args.burst, with_scheduler=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
