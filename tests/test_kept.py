"""A step's save refused before the view runs, or lost to another save, says what happened and leads
back to the page that fills the typed input in again; a save the server made tells the browser to drop
its copy (``app.kept``; the browser's side is tests/test_browser_kept.py)."""

from __future__ import annotations

import html

import pytest
import scenario
from sqlalchemy.orm.exc import StaleDataError
from webhelpers import ACCOUNTS, PASSWORD, csrf_token, login, logout

from app.accounts import sessions
from app.extensions import db
from app.kept import step_key

KEPT = "kept in this browser and will be filled in again"


@pytest.fixture
def report_id(app, accounts):
    with app.app_context():
        return scenario.make_audit("draft")


def _step(report_id: str) -> str:
    return f"/audits/{report_id}/steps/product"


def _post(client, report_id: str, token: str, description: str = "typed", **extra):
    return client.post(_step(report_id), data={"csrf_token": token, "product_description": description,
                                               "action": "continue", **extra})


def test_a_save_after_signing_out_elsewhere_says_the_session_ended_and_signs_in_back_to_the_step(
        app, client, report_id):
    token = csrf_token(client.get(_step(report_id)).text)
    logout(client)  # in another tab: the same cookies
    response = _post(client, report_id, token)
    assert response.status_code == 400
    page = html.unescape(response.text)
    assert "Your session has ended" in page and "nothing from this page was saved" in page and KEPT in page
    assert f'href="/login?next=/audits/{report_id}/steps/product"' in page.replace("%2F", "/")


def test_a_save_after_the_password_changed_elsewhere_goes_to_sign_in_and_back_to_the_step(app, client,
                                                                                           report_id):
    token = csrf_token(client.get(_step(report_id)).text)
    other_device = scenario.signed_in(app, "school")
    page = other_device.get("/account/password")
    changed = other_device.post("/account/password", data={
        "csrf_token": csrf_token(page.text), "current": PASSWORD, "new": "another horse battery staple",
        "confirm": "another horse battery staple"})
    assert changed.status_code == 302
    response = _post(client, report_id, token)
    assert response.status_code == 302
    assert response.location.replace("%2F", "/") == f"/login?next=/audits/{report_id}/steps/product"
    sign_in_page = html.unescape(client.get(response.location).text)
    assert "Your session ended" in sign_in_page and KEPT in sign_in_page


def test_a_form_sent_after_the_session_ended_to_a_route_without_a_page_signs_in_to_the_start_page(
        app, client, report_id):
    # Before, ``next`` named the POST-only route: after signing in the browser landed on a 405 page.
    token = csrf_token(client.get(f"/audits/{report_id}").text)
    with app.app_context():
        user = scenario.user("school")
        sessions.end_all_sessions(user, "password_changed")  # as a password change elsewhere does
        db.session.commit()
    response = client.post(f"/audits/{report_id}/new-version", data={"csrf_token": token})
    assert response.status_code == 302 and response.location == "/login"


def test_an_expired_page_on_a_step_leads_back_to_the_step(app, client, report_id):
    response = _post(client, report_id, "not-the-session-token")
    assert response.status_code == 400
    page = html.unescape(response.text)
    assert "This page has expired" in page and "Nothing from this page was saved" in page and KEPT in page
    assert f'href="{_step(report_id)}">Open the page again' in page
    assert "enter the answers again" not in page


def test_a_form_over_the_size_limit_on_a_step_leads_back_to_the_step(app, client, report_id):
    token = csrf_token(client.get(_step(report_id)).text)
    response = _post(client, report_id, token, product_version="x" * app.config["MAX_CONTENT_LENGTH"])
    assert response.status_code == 413
    page = html.unescape(response.text)
    assert "The form is too large" in page and KEPT in page
    assert f'href="{_step(report_id)}">Open the page again' in page


def test_other_forms_do_not_promise_a_kept_copy(app, client, report_id):
    response = client.post(f"/audits/{report_id}/submit", data={"csrf_token": "stale"})
    assert response.status_code == 400
    page = html.unescape(response.text)
    assert "enter the answers again" in page and KEPT not in page and "Open the page again" not in page


def test_a_save_that_loses_the_race_shows_the_typed_input_with_the_revision_it_was_typed_on(
        app, client, report_id, monkeypatch):
    from app.audits import services

    page = client.get(_step(report_id)).text
    revision = page.split('name="revision" value="')[1].split('"')[0]

    def lost(*_args, **_kwargs):
        raise StaleDataError("another transaction changed the audit")

    monkeypatch.setattr(services, "merge_and_save", lost)
    response = _post(client, report_id, csrf_token(page), "typed while another save committed", revision=revision)
    assert response.status_code == 200
    assert "typed while another save committed" in response.text
    assert f'name="revision" value="{revision}"' in response.text
    assert "data-posted" in response.text and 'name="eduaudit-saved"' not in response.text
    assert "Someone else saved this audit at the same moment" in html.unescape(response.text)


def test_a_confirmed_save_names_the_browser_copy_to_drop_on_the_next_page_only(app, client, report_id):
    key = step_key(report_id, "product", 1)
    response = _post(client, report_id, csrf_token(client.get(_step(report_id)).text))
    assert response.status_code == 302
    following = client.get(response.location).text
    assert f'<meta name="eduaudit-saved" content="{key}">' in following
    assert 'name="eduaudit-saved"' not in client.get(response.location).text


def test_the_step_form_names_its_key_and_marks_a_page_showing_sent_input(app, client, report_id):
    page = client.get(_step(report_id)).text
    assert f'data-kept-key="{step_key(report_id, "product", 1)}"' in page and "data-posted" not in page


def test_an_anonymous_visitor_s_expired_sign_in_form_is_not_a_session_that_ended(app, anon_client, accounts):
    response = anon_client.post("/login", data={"email": ACCOUNTS["school"][0], "password": PASSWORD})
    assert response.status_code == 400 and "This page has expired" in response.text
    assert login(anon_client, ACCOUNTS["school"][0]).status_code == 302
