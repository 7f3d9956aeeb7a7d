"""Slowing password guessing without locking the owner out (OWASP ASVS 2.2.1).

Failed sign-ins are counted per account and client address. From the ``LOGIN_FREE_FAILURES``-th on,
each failure makes that address wait before its next attempt at that account, the wait doubling from
``LOGIN_DELAY_FIRST`` up to ``LOGIN_DELAY_MAX`` seconds. The count is forgotten
``LOGIN_FAILURE_WINDOW`` seconds after the first failure of the series, or at a sign-in from that
address. An attacker's failures from one address never slow the owner at another; one address is
limited across all accounts by ``LOGIN_RATE_LIMIT`` (in the view).

The counters live in Flask-Limiter's storage (``RATELIMIT_STORAGE_URI``: memory, or Redis shared by
every process), under keys made from a SHA-256 of the e-mail address and the client address, so the
storage holds neither.
"""

from __future__ import annotations

import hashlib
import math
import time

from flask import current_app

from ..extensions import limiter


def _storage():
    """Flask-Limiter's storage, or ``None`` when rate limits are off (``RATELIMIT_ENABLED``)."""
    return limiter.storage if limiter.enabled and current_app.config.get("RATELIMIT_ENABLED", True) else None


def _key(kind: str, email: str, address: str) -> str:
    pair = f"{(email or '').strip().lower()}\n{address or ''}"
    return f"eduaudit-signin-{kind}:" + hashlib.sha256(pair.encode("utf-8")).hexdigest()[:40]


def delay_after(failures: int) -> int:
    """Seconds to wait after ``failures`` failed attempts of one account from one address: 0 below
    ``LOGIN_FREE_FAILURES``, then ``LOGIN_DELAY_FIRST`` × 2^(failures - free), at most
    ``LOGIN_DELAY_MAX`` (defaults: 30 s after the 5th failure, 60 s after the 6th, ... one hour from
    the 12th on)."""
    config = current_app.config
    free = int(config["LOGIN_FREE_FAILURES"])
    if failures < free:
        return 0
    first, most = int(config["LOGIN_DELAY_FIRST"]), int(config["LOGIN_DELAY_MAX"])
    return min(most, first * 2 ** min(failures - free, 32))


def wait_seconds(email: str, address: str) -> int:
    """Whole seconds ``address`` must still wait before trying ``email`` again (0: it may try now)."""
    storage = _storage()
    key = _key("wait", email, address)
    if storage is None or storage.get(key) <= 0:
        return 0
    return max(1, math.ceil(storage.get_expiry(key) - time.time()))


def record_failure(email: str, address: str) -> int:
    """Count a failed attempt at ``email`` from ``address`` and start the wait it earns; returns the
    number of failures of the series so far."""
    storage = _storage()
    if storage is None:
        return 0
    failures = int(storage.incr(_key("count", email, address), int(current_app.config["LOGIN_FAILURE_WINDOW"])))
    delay = delay_after(failures)
    if delay:
        wait = _key("wait", email, address)
        storage.clear(wait)
        storage.incr(wait, delay)
    return failures


def forget(email: str, address: str) -> None:
    """Forget the failures of ``email`` from ``address`` (after a sign-in from there)."""
    storage = _storage()
    if storage is None:
        return
    storage.clear(_key("count", email, address))
    storage.clear(_key("wait", email, address))
