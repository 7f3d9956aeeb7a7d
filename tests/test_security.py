"""Security properties: CSRF on every state-changing route, cookies, redirects, sign-in limits, headers
and CSP, password change, demo users, sign-in messages."""

from __future__ import annotations

import datetime as dt
import io
import re
from html.parser import HTMLParser
from urllib.parse import quote, urlsplit

import pytest
import scenario
import sqlalchemy as sa
from webhelpers import ACCOUNTS, PASSWORD, csrf_token, login

from app import create_app
from app.accounts import tokens
from app.accounts.services import (
    AccountError,
    create_demo_instance,
    get_org,
    get_user_by_email,
    issue_password_link,
)
from app.config import ConfigError
from app.extensions import db
from app.models import ApiToken, Audit, RecoveryCode, User, UserSession
from app.review.services import add_action
from app.security import CONTENT_SECURITY_POLICY

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
PRODUCTION_KEY = "q3Zt8-LwN0xY2vKc7HbR5mJ9sPfD4gTa6uE1oWiXyBn"  # the form of secrets.token_urlsafe(32)
CSRF_EXPIRED = "This page has expired"


# -- (a) CSRF on every state-changing route -------------------------------------------------------

# endpoint -> (role that may use it, state of the audit in the URL or None, URL, form data that would
# change something if the token were not checked). "{id}" is the audit's report id.
CSRF_CASES = {
    "accounts.login": ("anon", None, "/login", {"email": ACCOUNTS["school"][0], "password": PASSWORD}),
    "accounts.logout": ("school", None, "/logout", {}),
    "accounts.password": ("school", None, "/account/password",
                          {"current": PASSWORD, "new": "a brand new passphrase", "confirm": "a brand new passphrase"}),
    "i18n.switch": ("school", None, "/language", {"lang": "zh", "next": "/"}),
    "verify.verify": ("anon", None, "/verify", {"sha256": "0" * 64}),
    "audits.create": ("school", None, "/audits", {"product_name": "Forged", "vendor_name": "Forger Ltd"}),
    "audits.step": ("school", "draft", "/audits/{id}/steps/product",
                    {"product_name": "Forged name", "product_kind": "wearable"}),
    "review.submit": ("school", "complete", "/audits/{id}/submit", {"regulator": "{regulator}", "note": "forged"}),
    "review.new_version": ("school", "approved", "/audits/{id}/new-version", {}),
    "registry.publish": ("school", "approved", "/audits/{id}/publish", {"show_school_name": "y"}),
    "registry.unpublish": ("school", "published", "/audits/{id}/unpublish", {}),
    "review.review": ("reviewer", "submitted", "/audits/{id}/review",
                      {"t0_rating": "acceptable", "t0_comment": "forged"}),
    "review.decide": ("reviewer", "submitted", "/audits/{id}/decision",
                      {"decision": "approved", "comment": "forged"}),
    "review.save_rating": ("reviewer", "submitted", "/audits/{id}/review/rating",
                           {"kind": "section", "id": "context", "rating": "acceptable"}),
    "review.carry_over": ("reviewer", "submitted", "/audits/{id}/review/carry-over", {}),
    "review.request_document": ("reviewer", "submitted", "/audits/{id}/review/document-requests",
                                {"target": "section:product", "document": "forged", "owner": "forger",
                                 "due_date": "2099-01-01"}),
    "review.add_action": ("school", "complete", "/audits/{id}/actions",
                          {"action": "forged", "owner": "forger", "due_date": "2099-01-01"}),
    "review.action_done": ("school", "complete", "/audits/{id}/actions/1/done", {"note": "forged"}),
    "evidence.attachments": ("school", "draft", "/audits/{id}/attachments",
                             {"question": "legal_basis", "document": (scenario.PDF_BYTES, "forged.pdf")}),
    "evidence.remove": ("school", "draft", "/audits/{id}/attachments/{att}/remove", {}),
    "accounts.admin_user_create": ("admin", None, "/admin/users",
                                   {"email": "forged@instance.test", "name": "Forged", "role": "instance_admin",
                                    "organisation": ""}),
    "accounts.admin_user_role": ("admin", None, "/admin/users/{user}/role", {"role": "instance_admin",
                                                                             "organisation": ""}),
    "accounts.admin_user_active": ("admin", None, "/admin/users/{user}/active", {"active": "0"}),
    "accounts.admin_user_reset": ("admin", None, "/admin/users/{user}/password-link", {}),
    "accounts.admin_orgs": ("admin", None, "/admin/organisations", {"name": "Forged organisation", "kind": "ngo"}),
    "accounts.set_password": ("anon", None, "/account/set-password/{token}",
                              {"new": "a brand new passphrase", "confirm": "a brand new passphrase"}),
    "accounts.api_tokens": ("school", None, "/account/tokens",
                            {"name": "forged", "scope": "write", "lifetime": "30"}),
    "accounts.revoke_api_token": ("school", None, "/account/tokens/{api_token}/revoke", {}),
    "accounts.login_code": ("anon", None, "/login/code", {"code": "123456"}),
    "accounts.end_session": ("school", None, "/account/sessions/{session}/end", {}),
    "accounts.end_other_sessions": ("school", None, "/account/sessions/end-others", {}),
    "accounts.mfa_enrol": ("school", None, "/account/mfa", {"code": "123456"}),
    "accounts.mfa_new_codes": ("school", None, "/account/mfa/recovery-codes", {"password": PASSWORD}),
    "accounts.mfa_off": ("school", None, "/account/mfa/off", {"password": PASSWORD}),
    "accounts.admin_user_mfa_reset": ("admin", None, "/admin/users/{user}/mfa-reset", {}),
}

# The JSON API: endpoint -> (role, audit state or None, method, URL, JSON body that would change something).
# Requests with the session cookie must carry the CSRF token in X-CSRFToken; token requests need none.
API_CSRF_CASES = {
    "api_audits.create_audit": ("school", None, "POST", "/api/v1/audits",
                                {"product_name": "Forged", "vendor_name": "F"}),
    "api_audits.update_answers": ("school", "draft", "PATCH", "/api/v1/audits/{id}/answers",
                                  {"base_revision": 1, "answers": {"product_name": "Forged"}}),
    "api_audits.evaluate": ("school", "complete", "POST", "/api/v1/audits/{id}/evaluation", None),
    "api_audits.submit": ("school", "complete", "POST", "/api/v1/audits/{id}/submissions",
                          {"regulator_id": "{regulator}"}),
    "api_audits.new_version": ("school", "approved", "POST", "/api/v1/audits/{id}/versions", None),
    "api_audits.import_portable": ("school", None, "POST", "/api/v1/audits/import", {}),
    "api_reports.request_report": ("school", "complete", "POST", "/api/v1/audits/{id}/reports", {"lang": "en"}),
    "api_review.save_ratings": ("reviewer", "submitted", "PUT", "/api/v1/audits/{id}/review/ratings",
                                {"items": [{"target_kind": "section", "target_id": "product",
                                            "rating": "acceptable"}]}),
    "api_review.decide": ("reviewer", "submitted", "POST", "/api/v1/audits/{id}/review/decision",
                          {"decision": "approved", "acknowledgement": "Seen"}),
    "api_review.action_done": ("school", "approved", "POST", "/api/v1/audits/{id}/actions/{action}/done",
                               {"note": "Forged"}),
    "api_registry.publish": ("school", "approved", "POST", "/api/v1/audits/{id}/publication", {}),
    "api_registry.unpublish": ("school", "published", "DELETE", "/api/v1/audits/{id}/publication", None),
}


def files_afresh(data: dict) -> dict:
    """``data`` with each (bytes, file name) value as a new file to upload (the test client closes the
    files of a request once it is sent)."""
    return {k: (io.BytesIO(v[0]), v[1]) if isinstance(v, tuple) else v for k, v in data.items()}


def state_changing_routes(app) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules() if rule.methods & STATE_CHANGING}


def test_every_state_changing_route_has_a_csrf_case(app):
    missing = state_changing_routes(app) - set(CSRF_CASES) - set(API_CSRF_CASES)
    assert not missing, f"state-changing routes without a CSRF check in CSRF_CASES: {sorted(missing)}"
    assert not (set(CSRF_CASES) | set(API_CSRF_CASES)) - state_changing_routes(app)


def db_state() -> dict:
    """Row counts plus what a forged request could change without adding rows."""
    state = scenario.counts()
    state["audits_rows"] = sorted(db.session.execute(sa.select(
        Audit.report_id, Audit.status, Audit.version, Audit.revision, Audit.product_name)).all())
    state["users_rows"] = sorted(db.session.execute(sa.select(
        User.email, User.password_hash, User.role, User.active, User.reset_token_sha256, User.totp_secret,
        User.failed_sign_ins)).all())
    state["sessions_rows"] = sorted(db.session.execute(sa.select(UserSession.id, UserSession.ended_at)).all(),
                                    key=repr)
    state["recovery_codes"] = db.session.scalar(sa.select(sa.func.count(RecoveryCode.id)))
    state["api_tokens_rows"] = sorted(db.session.execute(sa.select(ApiToken.id, ApiToken.revoked_at)).all(),
                                      key=repr)
    return state


@pytest.mark.parametrize("endpoint", sorted(CSRF_CASES))
def test_a_post_without_a_csrf_token_is_refused_and_changes_nothing(app, accounts, endpoint):
    role, state, url, data = CSRF_CASES[endpoint]
    client = app.test_client()
    if role != "anon":
        assert login(client, ACCOUNTS[role][0]).status_code == 302
    with app.app_context():
        report_id = scenario.make_audit(state) if state else ""
        regulator = str(get_org("Test Regulator").id)
        school_user = scenario.user("school")
        if "{att}" in url:
            url = url.replace("{att}", str(scenario.attach(report_id)))
        if "{token}" in url:
            url = url.replace("{token}", issue_password_link(school_user, None, dt.timedelta(days=1)))
            db.session.commit()
        token_id = tokens.create_token(school_user, name="mine", scope="read", lifetime_days=30)[0].id
        db.session.commit()
        url = url.replace("{user}", str(school_user.id)).replace("{id}", report_id)
        url = url.replace("{api_token}", str(token_id))
        latest_session = db.session.scalar(sa.select(sa.func.max(UserSession.id))) or 0
        url = url.replace("{session}", str(latest_session))
        db.session.expire_all()
        before = db_state()
    data = {k: v.replace("{regulator}", regulator) if isinstance(v, str) else v for k, v in data.items()}
    response = client.post(url, data=files_afresh(data))
    assert response.status_code == 400, (endpoint, response.status_code, response.location)
    assert CSRF_EXPIRED in response.text and "Nothing from this page was saved" in response.text
    with app.app_context():
        assert db_state() == before
    # a token from another session is refused too
    other = app.test_client()
    forged = {**data, "csrf_token": csrf_token(other.get("/login").text)}
    assert client.post(url, data=files_afresh(forged)).status_code == 400
    if role != "anon":  # still signed in: the refused logout did not sign out either
        assert client.get("/account/password").status_code == 200


@pytest.mark.parametrize("endpoint", sorted(API_CSRF_CASES))
def test_an_api_request_with_the_session_cookie_and_no_csrf_header_is_refused(app, accounts, monkeypatch, endpoint):
    monkeypatch.setattr("app.audits.services.render_pdf_limited", lambda context, lim, pdf_variant=None: b"%PDF")
    role, state, method, url, body = API_CSRF_CASES[endpoint]
    client = app.test_client()
    assert login(client, ACCOUNTS[role][0]).status_code == 302
    with app.app_context():
        report_id = scenario.make_audit(state) if state else ""
        regulator = get_org("Test Regulator").id
        if "{action}" in url:  # the school's own open item
            item = add_action(scenario.audit(report_id), scenario.user("school"), "Tell the parents", "Head",
                              dt.date.today() + dt.timedelta(days=9))
            db.session.commit()
            url = url.replace("{action}", str(item.id))
        db.session.expire_all()
        before = db_state()
    if body and body.get("regulator_id") == "{regulator}":
        body = {**body, "regulator_id": regulator}
    url = url.replace("{id}", report_id)
    response = client.open(url, method=method, json=body)
    assert response.status_code == 403 and response.json["code"] == "api.csrf", (endpoint, response.text)
    with app.app_context():
        assert db_state() == before
    # the control: the page's token in the header lets the same request through
    token = csrf_token(client.get("/account/password").text)
    allowed = client.open(url, method=method, json=body, headers={"X-CSRFToken": token})
    assert allowed.status_code < 400 or allowed.json["code"] != "api.csrf", (endpoint, allowed.text)
    if endpoint != "api_audits.import_portable":  # an empty document is refused (422) after the CSRF check
        assert allowed.status_code < 300, (endpoint, allowed.status_code, allowed.text)


def test_the_same_post_with_the_token_does_change_something(app, client, accounts):
    """The control for the CSRF cases: the forged data above is data that would have worked."""
    with app.app_context():
        report_id = scenario.make_audit("draft")
    page = client.get(f"/audits/{report_id}/steps/product")
    response = client.post(f"/audits/{report_id}/steps/product",
                           data={**CSRF_CASES["audits.step"][3], "csrf_token": csrf_token(page.text)})
    assert response.status_code == 302
    with app.app_context():
        assert scenario.audit(report_id).product_name == "Forged name"


# -- (b) cookies and start-up -----------------------------------------------------------------------

def session_cookie(response) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, response.headers
    return cookies[-1]


def test_session_cookie_is_httponly_and_samesite_lax(app, accounts):
    client = app.test_client()
    response = login(client, ACCOUNTS["school"][0])
    cookie = session_cookie(response)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # development serves plain http
    later = session_cookie(client.get(response.location))
    assert "Expires=" in later  # permanent session: a browser restart keeps the CSRF token
    assert "HttpOnly" in later and "SameSite=Lax" in later


def production_app(tmp_path, monkeypatch, **extra):
    monkeypatch.setenv("EDUAUDIT_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", PRODUCTION_KEY)
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
                       **extra})


def test_session_cookie_is_secure_in_production_with_hsts(tmp_path, monkeypatch):
    application = production_app(tmp_path, monkeypatch)
    response = application.test_client().get("/login")
    assert response.status_code == 200
    cookie = session_cookie(response)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.parametrize("key", [None, "", "short-key", "dev-only-not-secret", "a" * 32, "k" * 40, "ab" * 32])
def test_production_refuses_to_start_without_a_real_secret_key(monkeypatch, tmp_path, key):
    monkeypatch.setenv("EDUAUDIT_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    if key is not None:
        monkeypatch.setenv("SECRET_KEY", key)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}"})


# -- (c) next= is never an open redirect ----------------------------------------------------------

EVIL_TARGETS = ["https://evil.example/", "//evil.example", "/\\evil.example", "\\\\evil.example",
                "javascript:alert(1)", "http:/evil.example", "/\t/evil.example", " //evil.example",
                "https:evil.example", "//evil.example/audits"]


def on_this_site(location: str) -> bool:
    parts = urlsplit(location)
    return (not parts.scheme and not parts.netloc and location.startswith("/") and not location.startswith("//")
            and "\\" not in location)


@pytest.mark.parametrize("target", EVIL_TARGETS)
def test_sign_in_never_redirects_off_site(app, accounts, target):
    client = app.test_client()
    page = client.get("/login?next=" + quote(target, safe=""))
    assert page.status_code == 200
    response = client.post("/login?next=" + quote(target, safe=""),
                           data={"csrf_token": csrf_token(page.text), "email": ACCOUNTS["school"][0],
                                 "password": PASSWORD})
    assert response.status_code == 302 and response.location == "/", response.location
    # signed in already: the sign-in page sends on, and not off-site either
    again = client.get("/login?next=" + quote(target, safe=""))
    assert again.status_code == 302 and again.location == "/"
    switch = client.post("/language", data={"csrf_token": csrf_token(client.get("/").text), "lang": "en",
                                            "next": target})
    assert switch.status_code == 302 and switch.location == "/"


def test_sign_in_keeps_a_path_of_this_site(app, accounts):
    with app.app_context():
        report_id = scenario.make_audit("draft")
    client = app.test_client()
    target = f"/audits/{report_id}/steps/product?x=1"
    page = client.get("/login?next=" + quote(target, safe=""))
    response = client.post("/login?next=" + quote(target, safe=""),
                           data={"csrf_token": csrf_token(page.text), "email": ACCOUNTS["school"][0],
                                 "password": PASSWORD})
    assert response.status_code == 302 and response.location == target and on_this_site(response.location)
    assert client.get(response.location).status_code == 200


# -- (d) sign-in rate limits ---------------------------------------------------------------------------

@pytest.fixture
def app_config():
    return {"LOGIN_RATE_LIMIT": "10 per minute"}


def attempt(client, email, password, ip="10.0.0.1"):
    page = client.get("/login", environ_base={"REMOTE_ADDR": ip})
    return client.post("/login", data={"csrf_token": csrf_token(page.text), "email": email, "password": password},
                       environ_base={"REMOTE_ADDR": ip})


def test_an_attackers_failures_elsewhere_never_lock_the_owner_out(app, accounts):
    email = ACCOUNTS["school"][0]
    attacker = app.test_client()
    answers = [attempt(attacker, email, f"wrong password {i}", ip="10.0.0.66").status_code for i in range(50)]
    assert answers[:5] == [200] * 5 and set(answers[5:]) == {429}
    owner = app.test_client()
    signed_in = attempt(owner, email, PASSWORD, ip="10.0.2.1")  # the owner, at school
    assert signed_in.status_code == 302
    page = owner.get(signed_in.location)
    assert "5 failed sign-in attempts since your last sign-in" in page.text


def test_one_address_waits_longer_after_each_failure_even_with_the_right_password(app, accounts):
    email = ACCOUNTS["school"][0]
    client = app.test_client()
    for i in range(5):
        response = attempt(client, email, f"wrong password {i}", ip="10.0.0.1")
        assert response.status_code == 200 and "The e-mail address or the password is wrong." in response.text
    right = attempt(client, email.upper(), PASSWORD, ip="10.0.0.1")
    assert right.status_code == 429 and right.headers["Retry-After"] in ("29", "30")
    assert "Too many wrong attempts at this account from your network. Wait 1 minute" in right.text
    assert client.get("/account/password").status_code == 302  # not signed in
    # another account from the same address is not held back by this one's failures
    assert attempt(app.test_client(), ACCOUNTS["school2"][0], PASSWORD, ip="10.0.0.1").status_code == 302
    with app.test_request_context():
        from app.accounts.throttle import delay_after

        assert [delay_after(n) for n in (1, 4, 5, 6, 7, 11, 12, 40)] == [0, 0, 30, 60, 120, 1920, 3600, 3600]


def test_a_sign_in_clears_the_failures_of_its_address(app, accounts):
    email = ACCOUNTS["reviewer"][0]
    for i in range(4):
        assert attempt(app.test_client(), email, f"wrong {i}", ip="10.7.7.7").status_code == 200
    assert attempt(app.test_client(), email, PASSWORD, ip="10.7.7.7").status_code == 302
    for i in range(4):  # counted afresh: four more cost nothing
        assert attempt(app.test_client(), email, f"wrong again {i}", ip="10.7.7.7").status_code == 200
    assert attempt(app.test_client(), email, PASSWORD, ip="10.7.7.7").status_code == 302


def test_successful_sign_ins_do_not_count_so_nobody_is_locked_out_by_their_own_use(app, accounts):
    email = ACCOUNTS["reviewer"][0]
    for _ in range(12):  # more than the per-address limit of 10, all from one address
        assert attempt(app.test_client(), email, PASSWORD, ip="10.7.7.8").status_code == 302


def test_one_address_is_limited_across_accounts(app, accounts):
    client = app.test_client()
    for i in range(10):
        assert attempt(client, f"nobody{i}@school.test", "wrong password", ip="10.9.9.9").status_code == 200
    assert attempt(client, ACCOUNTS["school"][0], PASSWORD, ip="10.9.9.9").status_code == 429
    assert attempt(app.test_client(), ACCOUNTS["school"][0], PASSWORD, ip="10.9.9.10").status_code == 302


def test_the_default_limits_are_the_documented_ones():
    from app.config import DEFAULTS

    assert DEFAULTS["LOGIN_RATE_LIMIT"].split(";")[0] == "10 per minute"
    assert (DEFAULTS["LOGIN_FREE_FAILURES"], DEFAULTS["LOGIN_DELAY_FIRST"], DEFAULTS["LOGIN_DELAY_MAX"]) == \
        (5, 30, 3600)


# -- (e) headers and pages that satisfy the CSP --------------------------------------------------------

class InlineFinder(HTMLParser):
    """Collects what a CSP without 'unsafe-inline' would block."""

    def __init__(self):
        super().__init__()
        self.problems: list[str] = []
        self._in_script = False
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        names = {name.lower() for name, _value in attrs}
        if tag == "script":
            self.scripts += 1
            if "src" not in names:
                self._in_script = True
                self.problems.append("inline <script>")
        if tag == "style":
            self.problems.append("<style> element")
        if "style" in names:
            self.problems.append(f"style= on <{tag}>")
        for name in names:
            if name.startswith("on"):
                self.problems.append(f"{name}= on <{tag}>")
        for name, value in attrs:
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                    "javascript:"):
                self.problems.append(f"javascript: URL in <{tag} {name}>")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False


def assert_csp_clean(response):
    assert response.status_code == 200, response.status_code
    headers = response.headers
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY and "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in headers  # development: plain http
    finder = InlineFinder()
    finder.feed(response.text)
    assert not finder.problems, finder.problems
    assert "<html" in response.text


def test_main_pages_send_the_headers_and_satisfy_the_csp(app, accounts, client):
    with app.app_context():
        draft = scenario.make_audit("draft")
        submitted = scenario.make_audit("submitted")
        changes = scenario.make_audit("changes_requested")
    anon = app.test_client()
    for url in ("/", "/login", "/verify", "/products"):
        assert_csp_clean(anon.get(url))
    pages = ["/", f"/audits/{draft}", f"/audits/{draft}/steps/product", f"/audits/{draft}/steps/context",
             f"/audits/{draft}/results", f"/audits/{submitted}", f"/audits/{submitted}/results",
             f"/audits/{changes}/steps/product", "/account/password"]
    for url in pages:
        assert_csp_clean(client.get(url))
    step = client.get(f"/audits/{draft}/steps/product").text
    assert re.search(r'<script src="/static/js/steps\.js[^"]*" defer>', step)  # scripts come from files
    reviewer = app.test_client()
    login(reviewer, ACCOUNTS["reviewer"][0])
    for url in ("/review", f"/audits/{submitted}/review", f"/audits/{submitted}"):
        assert_csp_clean(reviewer.get(url))
    for code_url in ("/no-such-page",):
        response = client.get(code_url)
        assert response.status_code == 404 and response.headers["Content-Security-Policy"]


def test_the_finder_catches_inline_code():
    finder = InlineFinder()
    finder.feed('<p style="color:red" onclick="x()">a</p><script>alert(1)</script><a href="javascript:x()">b</a>')
    assert len(finder.problems) == 4


# -- (f) password change -----------------------------------------------------------------------------

def live_sessions(user) -> int:
    return db.session.scalar(sa.select(sa.func.count(UserSession.id)).where(
        UserSession.user_id == user.id, UserSession.ended_at.is_(None)))


def change_password(client, current, new, confirm=None):
    page = client.get("/account/password")
    assert page.status_code == 200
    return client.post("/account/password", data={"csrf_token": csrf_token(page.text), "current": current,
                                                   "new": new, "confirm": confirm if confirm is not None else new})


def test_changing_the_password_signs_out_the_other_sessions(app, accounts):
    here, elsewhere = app.test_client(), app.test_client()
    for c in (here, elsewhere):
        assert login(c, ACCOUNTS["school"][0]).status_code == 302
        assert c.get("/account/password").status_code == 200
    response = change_password(here, PASSWORD, "a much longer new passphrase")
    assert response.status_code == 302 and response.location == "/"
    assert here.get("/account/password").status_code == 200  # this session goes on
    gone = elsewhere.get("/account/password")
    assert gone.status_code == 302 and gone.location.startswith("/login")
    assert "Start a new audit" not in elsewhere.get("/").text
    assert login(app.test_client(), ACCOUNTS["school"][0]).status_code == 200  # the old password is refused
    assert login(app.test_client(), ACCOUNTS["school"][0], "a much longer new passphrase").status_code == 302


@pytest.mark.parametrize(("current", "new", "confirm", "message"), [
    ("not my password at all", "a much longer new passphrase", None, "The current password is not correct."),
    (PASSWORD, "eleven char", None, "Use between 12 and 128 characters."),
    (PASSWORD, "head@school.test", None, "must not be the e-mail address"),
    (PASSWORD, "Password1234", None, "on a list of the most common passwords"),
    (PASSWORD, PASSWORD, None, "The new password must differ from the current one."),
    (PASSWORD, "a much longer new passphrase", "something else entirely", "The two new passwords differ."),
])
def test_a_refused_password_change_changes_nothing(app, accounts, current, new, confirm, message):
    here, elsewhere = app.test_client(), app.test_client()
    login(here, ACCOUNTS["school"][0])
    login(elsewhere, ACCOUNTS["school"][0])
    with app.app_context():
        before = get_user_by_email(ACCOUNTS["school"][0])
        before = (before.password_hash, live_sessions(before))
    response = change_password(here, current, new, confirm)
    assert response.status_code == 200
    assert message in response.text.replace("&#39;", "'")
    with app.app_context():
        after = get_user_by_email(ACCOUNTS["school"][0])
        assert (after.password_hash, live_sessions(after)) == before
    assert elsewhere.get("/account/password").status_code == 200


# -- (g) demo users -----------------------------------------------------------------------------------

def test_the_demo_instance_is_refused_outside_development(app):
    with app.app_context():
        with pytest.raises(AccountError, match="only in development"):
            create_demo_instance(environment="production")
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count(User.id)).where(User.demo.is_(True))) == 0


def test_the_demo_command_refuses_in_production(app, monkeypatch):
    from click.testing import CliRunner

    from app.cli import main

    monkeypatch.setenv("EDUAUDIT_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", PRODUCTION_KEY)
    monkeypatch.setenv("DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 2, result.output
    assert "only in development" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_demo_users_sign_in_in_development_only(app, tmp_path, monkeypatch):
    with app.app_context():
        created = create_demo_instance(environment="development")
        db.session.commit()
    account = created[0]
    dev = app.test_client()
    page = dev.get("/login")
    assert account.email in page.text and account.password in page.text  # the development notice
    assert login(dev, account.email, account.password).status_code == 302

    monkeypatch.setenv("EDUAUDIT_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", PRODUCTION_KEY)
    production = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    try:
        client = production.test_client()
        page = client.get("/login")
        assert account.email not in page.text and account.password not in page.text
        response = client.post("/login", data={"csrf_token": csrf_token(page.text), "email": account.email,
                                               "password": account.password})
        assert response.status_code == 200
        assert "The e-mail address or the password is wrong." in response.text
    finally:
        with production.app_context():
            db.session.remove()
            db.engine.dispose()


# -- (h) one message for every failed sign-in ---------------------------------------------------------

def failure_text(response) -> str:
    text = re.sub(r'<input[^>]*name="csrf_token"[^>]*>', "", response.text)
    return re.sub(r'(name="email"[^>]*value=")[^"]*"', r'\1"', text)


def test_unknown_email_and_wrong_password_look_the_same(app, accounts):
    with app.app_context():
        inactive = get_user_by_email(ACCOUNTS["school2"][0])
        inactive.active = False
        db.session.commit()
    responses = {
        "unknown": attempt(app.test_client(), "nobody@school.test", PASSWORD, ip="10.1.0.1"),
        "wrong": attempt(app.test_client(), ACCOUNTS["school"][0], "not the password", ip="10.1.0.2"),
        "inactive": attempt(app.test_client(), ACCOUNTS["school2"][0], PASSWORD, ip="10.1.0.3"),
        "malformed": attempt(app.test_client(), "not-an-address", PASSWORD, ip="10.1.0.4"),
    }
    texts = {k: failure_text(r) for k, r in responses.items()}
    assert all(r.status_code == 200 for r in responses.values())
    assert "The e-mail address or the password is wrong." in texts["unknown"]
    assert texts["unknown"] == texts["wrong"] == texts["inactive"] == texts["malformed"]


def test_refusals_are_explained_in_plain_words(app, accounts):
    reviewer = app.test_client()
    assert login(reviewer, ACCOUNTS["reviewer"][0]).status_code == 302
    refused = reviewer.post("/audits", data={"csrf_token": csrf_token(reviewer.get("/verify").text),
                                             "product_name": "X", "vendor_name": "Y"})
    assert refused.status_code == 403
    assert "That is not possible for your account" in refused.text and "Nothing was changed" in refused.text
    missing = reviewer.get("/audits/EA-AAAAAAAAAA")
    assert missing.status_code == 404 and "audits are visible only to their school and its regulator" in missing.text
