"""Helpers for tests that need Redis: database 5 of ``TEST_REDIS_URL`` (default
``redis://127.0.0.1:6379/5``), a queue of the test's own, removed afterwards.

Locally a test skips when no Redis answers; with ``CI`` set it fails instead, so a CI machine
without Redis cannot pass the queue's tests silently.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from app import jobs

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")


def redis_or_skip():
    """A connection to the tests' Redis; skips the test when none answers (fails it under ``CI``)."""
    from redis import Redis
    from redis.exceptions import RedisError

    connection = Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        connection.ping()
    except RedisError:
        if os.environ.get("CI"):
            pytest.fail(f"no Redis at {REDIS_URL}: CI must run Redis for the job queue's tests")
        pytest.skip(f"no Redis at {REDIS_URL}")
    return connection


def use_redis(app, queue: str, **extra) -> None:
    """Point ``app``'s jobs at the tests' Redis and the queue ``queue`` (plus settings ``extra``)."""
    app.config.update(REDIS_URL=REDIS_URL, JOB_QUEUE=queue, **extra)
    jobs.init_app(app)


@contextmanager
def on_redis(app, **extra) -> Iterator[tuple[object, str]]:
    """``app``'s jobs on a queue of their own in the tests' Redis: yields (connection, queue name);
    the queue's keys and its jobs are deleted afterwards (a job's id can repeat across runs when it
    is keyed by content, e.g. the full export's registry state, so a job left from an earlier run
    must not be joined by the next)."""
    connection = redis_or_skip()
    queue = f"test-{uuid.uuid4().hex[:12]}"
    use_redis(app, queue, **extra)
    try:
        yield connection, queue
    finally:
        for key in connection.scan_iter(f"rq:*{queue}*"):
            connection.delete(key)
        for key in connection.scan_iter("rq:job:*"):
            if connection.hget(key, "origin") == queue.encode():
                connection.delete(key)
