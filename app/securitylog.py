"""The security event log (OWASP ASVS V7.2): one JSON object per line on the logger
``eduaudit.security``, apart from the application's own logs.

Events: sign-in, sign-in failure and refusal, sign-out, session ended (timeouts, "sign out this one"),
password change and reset, role change, account disabled and enabled, second factor enrolled, used,
failed, disabled and reset, API token use and refusal. Each line has ``at`` (UTC, ISO 8601), ``event``
and the facts given: user id and e-mail, client address, session row id. Never a password, a code, a
token or a session id: :func:`log_event` refuses such keys, and values are only numbers, short
strings, booleans or ``None``.

Where lines go is ``SECURITY_LOG`` (``"stderr"``, the default, or a file path; the logger is set up
once per process by :func:`configure`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import Any

LOGGER_NAME = "eduaudit.security"
logger = logging.getLogger(LOGGER_NAME)

EVENTS = frozenset({
    "sign_in", "sign_in_failed", "sign_in_refused", "sign_out", "session_ended", "password_changed",
    "password_reset", "password_set", "role_changed", "account_disabled", "account_enabled", "mfa_enrolled",
    "mfa_used", "mfa_failed", "mfa_disabled", "mfa_reset", "recovery_code_used", "api_token_used",
    "api_token_refused",
})
"""Every kind of event the log records."""

FORBIDDEN_KEY_PARTS = ("password", "secret", "token", "code", "cookie")
"""A field whose name contains one of these is refused: a secret never reaches the log. (The token's
shown prefix is given as ``key_prefix``.)"""

MAX_VALUE_CHARS = 200

_HANDLER_MARK = "_eduaudit_security_handler"


def configure(destination: str | None) -> None:
    """Send the log's lines to ``destination``: ``"stderr"`` (or ``None``) or a file path (appended).
    The logger does not propagate to the root logger (these lines are kept apart); a second call with
    the same destination changes nothing. Raises ``OSError`` if the file cannot be opened."""
    destination = destination or "stderr"
    for handler in list(logger.handlers):
        if getattr(handler, _HANDLER_MARK, None) == destination:
            return
        if hasattr(handler, _HANDLER_MARK):
            logger.removeHandler(handler)
            handler.close()
    handler: logging.Handler = (logging.StreamHandler(sys.stderr) if destination == "stderr"
                                else logging.FileHandler(destination, encoding="utf-8"))
    handler.setFormatter(logging.Formatter("%(message)s"))
    setattr(handler, _HANDLER_MARK, destination)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def _plain(key: str, value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, str):
        return value[:MAX_VALUE_CHARS]
    raise TypeError(f"security log field {key!r} must be a number, a string, a boolean or None, "
                    f"not {type(value).__name__}")


def format_event(event: str, at: dt.datetime | None = None, **fields: Any) -> str:
    """The JSON line of one event (keys sorted, ``at`` and ``event`` first). Raises ``ValueError`` for
    an unknown ``event`` or a field whose name says it holds a secret (:data:`FORBIDDEN_KEY_PARTS`),
    ``TypeError`` for a value that is not a plain scalar."""
    if event not in EVENTS:
        raise ValueError(f"unknown security event {event!r}; expected one of {', '.join(sorted(EVENTS))}")
    for key in fields:
        if any(part in key.lower() for part in FORBIDDEN_KEY_PARTS) and key != "key_prefix":
            raise ValueError(f"security log field {key!r} may hold a secret; log facts about it instead")
    record = {"at": (at or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds"), "event": event}
    record.update({key: _plain(key, fields[key]) for key in sorted(fields)})
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def log_event(event: str, **fields: Any) -> None:
    """Write one event (see :func:`format_event` for what is refused). Inside a request the client's
    address is added as ``address`` unless given."""
    from flask import has_request_context, request

    if "address" not in fields and has_request_context():
        fields["address"] = request.remote_addr or ""
    logger.info(format_event(event, **fields))
