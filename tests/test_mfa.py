"""Two-step sign-in (ASVS V2.8): TOTP required for reviewers and instance administrators when
MFA_REQUIRED is on, optional for others; enrolment with an inline QR code; codes never accepted twice;
recovery codes work once; turning it off needs the password; an administrator's reset is logged."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
import sqlalchemy as sa
from webhelpers import PASSWORD, csrf_token, login, logout

from app.accounts import mfa
from app.accounts.services import create_demo_instance, get_user_by_email
from app.extensions import db
from app.models import AccountEvent, RecoveryCode

KEY_RE = re.compile(r'<code id="totp-key">([A-Z2-7 ]+)</code>')
CODES_RE = re.compile(r"<li>([a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4})</li>")


@pytest.fixture
def app_config():
    return {"MFA_REQUIRED": True}


def code_at(secret: str, offset_steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30 * offset_steps)


def enrol(client) -> tuple[str, list[str]]:
    """Set up two-step sign-in for the signed-in ``client``; returns the secret and the recovery codes."""
    page = client.get("/account/mfa")
    assert page.status_code == 200 and "<svg" in page.text and "otpauth" not in page.text.split("<svg")[0]
    secret = KEY_RE.search(page.text).group(1).replace(" ", "")
    done = client.post("/account/mfa", data={"csrf_token": csrf_token(page.text), "code": code_at(secret)})
    assert done.status_code == 200 and done.headers["Cache-Control"] == "private, no-store"
    codes = CODES_RE.findall(done.text)
    assert len(codes) == 10
    return secret, codes


def second_step(client, code: str):
    page = client.get("/login/code")
    return client.post("/login/code", data={"csrf_token": csrf_token(page.text), "code": code})


def test_a_reviewer_must_enrol_before_anything_else(app, accounts):
    client = app.test_client()
    assert login(client, accounts["reviewer"]).status_code == 302
    for url in ("/review", "/account/password", "/account/tokens"):
        response = client.get(url)
        assert response.status_code == 302 and response.location == "/account/mfa", url
    assert client.get("/api/v1/audits").status_code == 403
    enrol(client)
    assert client.get("/review").status_code == 200


def test_a_school_administrator_is_not_forced_and_may_enrol(app, accounts):
    client = app.test_client()
    assert login(client, accounts["school"]).status_code == 302
    assert client.get("/").status_code == 200
    assert client.get("/account/password").status_code == 200
    enrol(client)
    logout(client)
    assert login(client, accounts["school"]).location.startswith("/login/code")


def test_off_by_default_in_development(app, accounts, monkeypatch):
    app.config["MFA_REQUIRED"] = False
    client = app.test_client()
    login(client, accounts["reviewer"])
    assert client.get("/review").status_code == 200


def test_demo_users_in_development_are_not_forced(app):
    with app.app_context():
        create_demo_instance(environment="development")
        db.session.commit()
    client = app.test_client()
    assert login(client, "reviewer@demo.eduaudit.test", "demo-reviewer-password").status_code == 302
    assert client.get("/review").status_code == 200


def enrolled_and_back_at_the_code_step(app, email: str):
    """A client that enrolled ``email``, signed out and passed the password step again; with the
    secret and the recovery codes."""
    client = app.test_client()
    login(client, email)
    secret, codes = enrol(client)
    logout(client)
    first = login(client, email)
    assert first.status_code == 302 and first.location.startswith("/login/code")
    return client, secret, codes


def test_sign_in_needs_the_code_and_refuses_a_replayed_one(app, accounts):
    client, secret, _codes = enrolled_and_back_at_the_code_step(app, accounts["reviewer"])
    assert client.get("/review").status_code == 302  # not signed in yet: the password alone opens nothing
    assert second_step(client, "000000" if code_at(secret, 1) != "000000" else "111111").status_code == 422
    code = code_at(secret, 1)  # the next step's code (the enrolment used this step's)
    assert second_step(client, code).status_code == 302
    assert client.get("/review").status_code == 200
    logout(client)
    login(client, accounts["reviewer"])
    replayed = second_step(client, code)  # someone who watched the screen, a moment later
    assert replayed.status_code == 422 and "used already" in replayed.text
    assert client.get("/review").status_code == 302


def test_a_recovery_code_works_once(app, accounts):
    client, _secret, codes = enrolled_and_back_at_the_code_step(app, accounts["reviewer"])
    used = second_step(client, codes[3].upper().replace("-", " "))  # as typed from paper
    assert used.status_code == 302
    assert "You used a recovery code; 9 are left." in client.get(used.location, follow_redirects=True).text
    logout(client)
    login(client, accounts["reviewer"])
    assert second_step(client, codes[3]).status_code == 422
    with app.app_context():
        stored = db.session.scalars(sa.select(RecoveryCode.code_sha256)).all()
    assert len(stored) == 10 and not {c.replace("-", "") for c in codes} & set(stored)


def test_turning_it_off_needs_the_password_and_not_for_a_role_that_requires_it(app, accounts):
    client = app.test_client()
    login(client, accounts["school"])
    enrol(client)
    page = client.get("/account/mfa")
    token = csrf_token(page.text)
    wrong = client.post("/account/mfa/off", data={"csrf_token": token, "password": "not my password at all"})
    assert wrong.status_code == 422 and "not correct" in wrong.text
    with app.app_context():
        assert get_user_by_email(accounts["school"]).mfa_enabled
    assert client.post("/account/mfa/off", data={"csrf_token": token, "password": PASSWORD}).status_code == 302
    with app.app_context():
        assert not get_user_by_email(accounts["school"]).mfa_enabled
    reviewer = app.test_client()
    login(reviewer, accounts["reviewer"])
    enrol(reviewer)
    page = reviewer.get("/account/mfa")
    refused = reviewer.post("/account/mfa/off", data={"csrf_token": csrf_token(page.text), "password": PASSWORD})
    assert refused.status_code == 422 and "required for your role" in refused.text


def test_the_administrator_resets_a_lost_second_factor_and_it_is_logged(app, accounts):
    reviewer = app.test_client()
    login(reviewer, accounts["reviewer"])
    enrol(reviewer)
    admin = app.test_client()
    login(admin, accounts["admin"])
    _secret, _codes = enrol(admin)
    with app.app_context():
        target = get_user_by_email(accounts["reviewer"]).id
    page = admin.get(f"/admin/users/{target}")
    assert "Reset two-step sign-in" in page.text
    response = admin.post(f"/admin/users/{target}/mfa-reset", data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 302
    assert reviewer.get("/review").status_code == 302  # signed out everywhere
    with app.app_context():
        assert not get_user_by_email(accounts["reviewer"]).mfa_enabled
        event = db.session.scalars(sa.select(AccountEvent).where(AccountEvent.kind == "mfa_reset")).one()
        assert event.actor == accounts["admin"] and event.user_id == target
    fresh = app.test_client()
    assert login(fresh, accounts["reviewer"]).location == "/"  # no code step: enrols again
    assert fresh.get("/review").location == "/account/mfa"


def test_the_qr_code_is_an_inline_svg_without_styles():
    svg = mfa.qr_svg("otpauth://totp/EduAudit:someone%40school.test?secret=JBSWY3DPEHPK3PXP&issuer=EduAudit")
    assert svg.startswith("<svg") and "style=" not in svg and "<script" not in svg
    assert "http" not in svg.replace("http://www.w3.org", "")  # nothing fetched from elsewhere


def test_required_by_default_in_production_and_switchable(tmp_path, monkeypatch):
    from app import create_app
    from app.config import ConfigError

    monkeypatch.setenv("EDUAUDIT_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "q3Zt8-LwN0xY2vKc7HbR5mJ9sPfD4gTa6uE1oWiXyBn")
    config = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'prod.sqlite3'}"}
    assert create_app(config).config["MFA_REQUIRED"] is True
    monkeypatch.setenv("MFA_REQUIRED", "off")
    assert create_app(config).config["MFA_REQUIRED"] is False
    monkeypatch.setenv("MFA_REQUIRED", "maybe")
    with pytest.raises(ConfigError, match="MFA_REQUIRED is 'maybe'"):
        create_app(config)
