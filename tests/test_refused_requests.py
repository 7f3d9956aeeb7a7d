"""A problem no view caught (a race between two users) is a 409 page in the user's language, not a 500,
and nothing the request changed is written."""

from __future__ import annotations

import scenario
from test_error_messages import ZH, _assert_chinese
from webhelpers import csrf_token

from app.registry import views as registry_views
from app.review import views as review_views


def _skip_access_check(monkeypatch, module) -> None:
    """The access check passed, then the other user's request committed: the race window."""
    monkeypatch.setattr(module.access, "audit_for", lambda report_id, _action: scenario.audit(report_id))


def test_unpublishing_what_is_not_published_is_refused_not_a_crash(app, accounts, client, monkeypatch):
    with app.app_context():
        report_id = scenario.make_audit("approved")
        before = scenario.counts()
    _skip_access_check(monkeypatch, registry_views)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = ZH["Accept-Language"]
    token = csrf_token(client.get("/account/password").text)
    response = client.post(f"/audits/{report_id}/unpublish", data={"csrf_token": token})
    assert response.status_code == 409
    _assert_chinese(response.text, f"评估 {report_id} 尚未公开", "未作任何更改")
    with app.app_context():
        assert scenario.counts() == before


def test_a_second_new_version_is_refused_in_english_too(app, accounts, client, monkeypatch):
    with app.app_context():
        report_id = scenario.make_audit("draft")
        before = scenario.counts()
    _skip_access_check(monkeypatch, review_views)
    token = csrf_token(client.get("/account/password").text)
    response = client.post(f"/audits/{report_id}/new-version", data={"csrf_token": token})
    assert response.status_code == 409
    assert "Nothing was changed" in response.text and "Traceback" not in response.text
    with app.app_context():
        assert scenario.counts() == before
