"""The security event log (ASVS V7.2): one JSON line per event on ``eduaudit.security``, for sign-ins,
failures, sign-outs, password and role changes, the second factor and API token use; never a password,
a code, a token or a session id."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time

import pyotp
import pytest
from test_mfa import enrol
from webhelpers import ACCOUNTS, PASSWORD, csrf_token, login, logout

from app.accounts import services, tokens
from app.accounts.services import get_org, get_user_by_email
from app.extensions import db
from app.securitylog import LOGGER_NAME, format_event

NEW_PASSWORD = "a completely new passphrase"


class Lines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(record.getMessage())


@pytest.fixture
def security_log():
    handler = Lines()
    logger = logging.getLogger(LOGGER_NAME)
    logger.addHandler(handler)
    yield handler.lines
    logger.removeHandler(handler)


def test_every_kind_of_event_is_one_json_line_without_secrets(app, accounts, security_log):
    email = ACCOUNTS["school"][0]
    secrets_seen: list[str] = [PASSWORD, NEW_PASSWORD, "wrong password here"]
    client = app.test_client()
    assert login(client, email, "wrong password here").status_code == 200
    assert login(client, email).status_code == 302
    secrets_seen.append(client.get_cookie("session").value)
    with app.test_request_context():
        from flask import current_app

        data = current_app.session_interface.get_signing_serializer(current_app).loads(secrets_seen[-1])
        secrets_seen.append(data["_user_id"])  # the session id itself
    page = client.get("/account/password")
    client.post("/account/password", data={"csrf_token": csrf_token(page.text), "current": PASSWORD,
                                           "new": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    secret, codes = enrol(client)
    secrets_seen += [secret, *codes]
    logout(client)
    login(client, email, NEW_PASSWORD)
    code = pyotp.TOTP(secret).at(time.time() + 30)
    secrets_seen.append(code)
    page = client.get("/login/code")
    client.post("/login/code", data={"csrf_token": csrf_token(page.text), "code": "999999" if code != "999999"
                                     else "888888"})
    client.post("/login/code", data={"csrf_token": csrf_token(page.text), "code": code})
    assert login(app.test_client(), ACCOUNTS["school2"][0]).status_code == 302
    with app.test_request_context():
        user = get_user_by_email(ACCOUNTS["school2"][0])
        _token, text = tokens.create_token(user, name="ci", scope="read", lifetime_days=30)
        services.change_role(user, "ngo_analyst", get_org("Test NGO"), None)
        issued = services.issue_password_link(user, None, dt.timedelta(days=1))
        db.session.commit()
    secrets_seen += [text, issued]
    assert app.test_client().get("/api/v1/products", headers={"Authorization": f"Bearer {text}"}).status_code == 200
    assert app.test_client().get("/api/v1/products", headers={"Authorization": "Bearer eat_nope"}).status_code == 401

    events = [json.loads(line) for line in security_log]  # each line is one JSON object
    kinds = {e["event"] for e in events}
    assert {"sign_in_failed", "sign_in", "password_changed", "mfa_enrolled", "sign_out", "mfa_failed", "mfa_used",
            "role_changed", "password_reset", "session_ended", "api_token_used", "api_token_refused"} <= kinds
    for event in events:
        assert list(event)[:2] == ["at", "event"] and dt.datetime.fromisoformat(event["at"]).tzinfo
    failed = next(e for e in events if e["event"] == "sign_in_failed")
    assert failed["email"] == email and failed["address"] == "127.0.0.1"
    everything = "\n".join(security_log)
    for value in secrets_seen:
        assert value not in everything


@pytest.mark.parametrize("field", ["password", "new_password", "token", "session_cookie", "totp_code", "secret"])
def test_a_field_that_could_hold_a_secret_is_refused(field):
    with pytest.raises(ValueError, match="may hold a secret"):
        format_event("sign_in", **{field: "x"})


def test_an_unknown_event_or_a_non_scalar_value_is_refused():
    with pytest.raises(ValueError, match="unknown security event"):
        format_event("signed_in")
    with pytest.raises(TypeError, match="must be a number"):
        format_event("sign_in", user={"id": 1})


def test_the_log_goes_to_a_configured_file(tmp_path):
    from app.securitylog import configure, log_event

    target = tmp_path / "security.log"
    try:
        configure(str(target))
        log_event("sign_out", user_id=7)
    finally:
        configure("stderr")
    [line] = target.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["event"] == "sign_out" and json.loads(line)["user_id"] == 7
