"""Every route × every role, against audits in meaningful states, with the status each must answer.

The table below is explicit: a route that exists in ``app.url_map`` without a row here fails the test,
so a new page cannot ship without its access rules being written down. CSRF is on (as in production)
and every POST carries a real token from a page of the same session, so POST statuses show the
permission checks, not CSRF.
"""

from __future__ import annotations

import pytest
import scenario
import sqlalchemy as sa
from webhelpers import ACCOUNTS, csrf_token, login

from app.extensions import db
from app.registry import services as registry_services

ROLES = ("anon", "school", "other_school", "reviewer", "other_reviewer", "ngo", "admin")
"""anon: signed out; school: administrator of the owning school ("Test School"); reviewer: of the
regulator the audits were submitted to ("Test Regulator")."""

STATES = ("draft", "submitted", "approved", "missing")
"""draft: never submitted; submitted: waiting for review at Test Regulator; approved: decided by it;
missing: a report id that does not exist."""

LOGIN = (302, "/login")
HOME = (302, "/")
QUEUE = (302, "/review")
OVERVIEW = (302, "/audits/{id}")
RESULTS = (302, "/audits/{id}/results")
STEP = (302, "/audits/{id}/steps/")
REVIEW = (302, "/audits/{id}/review")
DOCUMENTS = (302, "/audits/{id}/attachments")


def row(anon, school, other_school, reviewer, other_reviewer, ngo, admin):
    return dict(zip(ROLES, (anon, school, other_school, reviewer, other_reviewer, ngo, admin), strict=True))


def same(expected, *, anon=LOGIN):
    """Every signed-in role gets ``expected``; the signed-out user ``anon``."""
    return row(anon, *([expected] * (len(ROLES) - 1)))


def by_state(**rows):
    assert set(rows) == set(STATES), sorted(rows)
    return rows


# Signed in, a user sees an audit of someone else exactly as one that does not exist (404).
NOBODY_ELSE = row(LOGIN, 404, 404, 404, 404, 404, 404)


def admin_only(expected):
    """Only the instance administrator gets ``expected``; every other role 403, signed out: sign in."""
    return row(LOGIN, 403, 403, 403, 403, 403, expected)

# (endpoint, method) -> [(url, expected)], where expected is {role: status} (no audit in the URL) or
# {state: {role: status}} (the URL has {id}). A status is a code, or (code, start of the Location).
TABLE: dict[tuple[str, str], list[tuple[str, dict]]] = {
    ("audits.home", "GET"): [("/", row(200, 200, 200, QUEUE, QUEUE, 200, 200))],
    ("accounts.login", "GET"): [("/login", same(HOME, anon=200))],
    ("accounts.login", "POST"): [("/login", same(HOME, anon=200))],  # no e-mail: the form again
    ("accounts.logout", "POST"): [("/logout", same(LOGIN, anon=LOGIN))],
    ("accounts.password", "GET"): [("/account/password", same(200))],
    ("accounts.password", "POST"): [("/account/password", same(200))],  # empty form: shown again
    ("accounts.api_tokens", "GET"): [("/account/tokens", same(200))],
    ("accounts.api_tokens", "POST"): [("/account/tokens", same(200))],  # empty form: shown again
    ("accounts.revoke_api_token", "POST"): [("/account/tokens/999999/revoke", same(404))],  # nobody's token
    # No password step passed in this session: back to the sign-in page, signed in or not.
    ("accounts.login_code", "GET"): [("/login/code", same(LOGIN, anon=LOGIN))],
    ("accounts.login_code", "POST"): [("/login/code", same(LOGIN, anon=LOGIN))],
    ("accounts.sessions_page", "GET"): [("/account/sessions", same(200))],
    ("accounts.end_session", "POST"): [("/account/sessions/999999/end", same(404))],  # nobody's session
    ("accounts.end_other_sessions", "POST"): [("/account/sessions/end-others", same((302, "/account/sessions")))],
    ("accounts.mfa_page", "GET"): [("/account/mfa", same(200))],
    ("accounts.mfa_enrol", "POST"): [("/account/mfa", same((302, "/account/mfa")))],  # no key shown yet
    ("accounts.mfa_new_codes", "POST"): [("/account/mfa/recovery-codes", same(422))],  # no password
    ("accounts.mfa_off", "POST"): [("/account/mfa/off", same(422))],  # no password
    ("i18n.switch", "POST"): [("/language", same(HOME, anon=HOME))],
    ("verify.verify", "GET"): [("/verify", same(200, anon=200))],
    ("verify.verify", "POST"): [("/verify", same(200, anon=200))],  # nothing to check: the form again
    ("review.queue", "GET"): [("/review", row(LOGIN, 403, 403, 200, 200, 403, 403))],
    ("audits.create", "POST"): [("/audits", row(LOGIN, 200, 200, 403, 403, 403, 403))],  # empty: the form
    ("audits.overview", "GET"): [("/audits/{id}", by_state(
        draft=row(LOGIN, 200, 404, 404, 404, 404, 404),
        submitted=row(LOGIN, 200, 404, 200, 404, 404, 404),
        approved=row(LOGIN, 200, 404, 200, 404, 404, 404),
        missing=NOBODY_ELSE))],
    ("audits.resume", "GET"): [("/audits/{id}/continue", by_state(
        draft=row(LOGIN, STEP, 404, 404, 404, 404, 404),
        submitted=row(LOGIN, OVERVIEW, 404, 403, 404, 404, 404),  # frozen: the school is sent back
        approved=row(LOGIN, OVERVIEW, 404, 403, 404, 404, 404),
        missing=NOBODY_ELSE))],
    ("audits.step", "GET"): [("/audits/{id}/steps/product", by_state(
        draft=row(LOGIN, 200, 404, 404, 404, 404, 404),
        submitted=row(LOGIN, OVERVIEW, 404, 403, 404, 404, 404),  # frozen: the school is sent back
        approved=row(LOGIN, OVERVIEW, 404, 403, 404, 404, 404),
        missing=NOBODY_ELSE)),
        ("/audits/{id}/steps/no-such-step", by_state(
            draft=row(LOGIN, 404, 404, 404, 404, 404, 404),
            submitted=row(LOGIN, OVERVIEW, 404, 403, 404, 404, 404),
            approved=row(LOGIN, OVERVIEW, 404, 403, 404, 404, 404),
            missing=NOBODY_ELSE))],
    ("audits.step", "POST"): [("/audits/{id}/steps/product", by_state(
        draft=row(LOGIN, STEP, 404, 404, 404, 404, 404),  # saved, on to the next step
        submitted=row(LOGIN, OVERVIEW, 404, 403, 404, 404, 404),
        approved=row(LOGIN, OVERVIEW, 404, 403, 404, 404, 404),
        missing=NOBODY_ELSE))],
    ("audits.results", "GET"): [("/audits/{id}/results", by_state(
        draft=row(LOGIN, 200, 404, 404, 404, 404, 404),
        submitted=row(LOGIN, 200, 404, 200, 404, 404, 404),
        approved=row(LOGIN, 200, 404, 200, 404, 404, 404),
        missing=NOBODY_ELSE))],
    ("audits.report_pdf", "GET"): [("/audits/{id}/report.pdf", by_state(
        draft=row(LOGIN, RESULTS, 404, 404, 404, 404, 404),  # incomplete: the list of what is missing
        submitted=row(LOGIN, 200, 404, 200, 404, 404, 404),
        approved=row(LOGIN, 200, 404, 200, 404, 404, 404),
        missing=NOBODY_ELSE))],
    ("trail.export", "GET"): [
        (f"/audits/{{id}}/trail.{fmt}", by_state(
            draft=row(LOGIN, 200, 404, 404, 404, 404, 404),
            submitted=row(LOGIN, 200, 404, 200, 404, 404, 404),
            approved=row(LOGIN, 200, 404, 200, 404, 404, 404),
            missing=NOBODY_ELSE)) for fmt in ("csv", "json")
    ] + [("/audits/{id}/trail.xml", by_state(draft=NOBODY_ELSE, submitted=NOBODY_ELSE, approved=NOBODY_ELSE,
                                             missing=NOBODY_ELSE))],
    ("review.submit", "POST"): [("/audits/{id}/submit", by_state(  # no regulator chosen: back to the overview
        draft=row(LOGIN, OVERVIEW, 404, 404, 404, 404, 404),
        submitted=row(LOGIN, 403, 404, 403, 404, 404, 404),
        approved=row(LOGIN, 403, 404, 403, 404, 404, 404),
        missing=NOBODY_ELSE))],
    ("review.new_version", "POST"): [("/audits/{id}/new-version", by_state(
        draft=row(LOGIN, 403, 404, 404, 404, 404, 404),
        submitted=row(LOGIN, 403, 404, 403, 404, 404, 404),
        approved=row(LOGIN, OVERVIEW, 404, 403, 404, 404, 404),
        missing=NOBODY_ELSE))],
    ("registry.publish", "POST"): [("/audits/{id}/publish", by_state(  # published (once), back to the overview
        draft=row(LOGIN, 403, 404, 404, 404, 404, 404),
        submitted=row(LOGIN, 403, 404, 403, 404, 404, 404),
        approved=row(LOGIN, OVERVIEW, 404, 403, 404, 404, 404),
        missing=NOBODY_ELSE))],
    ("registry.unpublish", "POST"): [("/audits/{id}/unpublish", by_state(  # none of these is published
        draft=row(LOGIN, 403, 404, 404, 404, 404, 404),
        submitted=row(LOGIN, 403, 404, 403, 404, 404, 404),
        approved=row(LOGIN, 403, 404, 403, 404, 404, 404),
        missing=NOBODY_ELSE))],
    # The public product registry: the same for everyone, signed in or not (published audits only).
    ("registry.products", "GET"): [("/products", same(200, anon=200))],
    # names of published products and of the user's own organisation's audits, for the start form
    ("registry.suggest", "GET"): [("/products/suggest?field=product_name&q=a", same(200))],
    ("registry.product", "GET"): [("/products/{p1}", same(200, anon=200)),
                                  ("/products/{unpublished}", same(404, anon=404)),
                                  ("/products/999999", same(404, anon=404))],
    ("registry.product_export", "GET"): [("/products/{p1}/export.csv", same(200, anon=200)),
                                         ("/products/{p1}/export.json", same(200, anon=200)),
                                         ("/products/{p1}/export.xml", same(404, anon=404)),
                                         ("/products/{unpublished}/export.json", same(404, anon=404))],
    ("registry.compare", "GET"): [("/compare?p={p1}&p={p2}", same(200, anon=200)),
                                  ("/compare?p={p1}&p={unpublished}", same(404, anon=404)),
                                  ("/compare?p=x", same(400, anon=400))],
    ("registry.compare_pdf", "GET"): [("/compare.pdf?p={p1}&p={p2}", same(200, anon=200)),
                                      ("/compare.pdf?p={p1}", same(400, anon=400)),  # fewer than two
                                      ("/compare.pdf?p={p1}&p={unpublished}", same(404, anon=404))],
    # an unknown job: 404 for whoever may download the audit's PDF, as for an audit they may not see (a
    # known job of another audit is 404 too: tests/test_jobs.py)
    ("audits.report_job", "GET"): [("/audits/{id}/report-jobs/report-" + "0" * 64, by_state(
        draft=NOBODY_ELSE, submitted=NOBODY_ELSE, approved=NOBODY_ELSE, missing=NOBODY_ELSE))],
    ("audits.report_job_status", "GET"): [("/audits/{id}/report-jobs/report-" + "0" * 64 + ".json", by_state(
        draft=NOBODY_ELSE, submitted=NOBODY_ELSE, approved=NOBODY_ELSE, missing=NOBODY_ELSE))],
    ("registry.compare_job", "GET"): [("/compare/jobs/comparison-" + "0" * 64, same(404, anon=404))],
    ("registry.compare_job_status", "GET"): [("/compare/jobs/comparison-" + "0" * 64 + ".json",
                                              same(404, anon=404))],
    ("registry.export_job", "GET"): [("/published/export-jobs/export-" + "0" * 64, same(404, anon=404))],
    ("registry.export_job_status", "GET"): [("/published/export-jobs/export-" + "0" * 64 + ".json",
                                             same(404, anon=404))],
    ("registry.compare_export", "GET"): [("/compare/export.csv?p={p1}&p={p2}", same(200, anon=200)),
                                         ("/compare/export.json?p={p1}&p={p2}", same(200, anon=200)),
                                         ("/compare/export.json?p={p1}&p={unpublished}", same(404, anon=404))],
    ("registry.published_export", "GET"): [("/published/export.csv", same(200, anon=200)),
                                           ("/published/export.json", same(200, anon=200)),
                                           ("/published/export.pdf", same(404, anon=404))],
    ("review.review", "GET"): [("/audits/{id}/review", by_state(
        draft=row(LOGIN, 403, 403, 404, 404, 403, 403),
        submitted=row(LOGIN, 403, 403, 200, 404, 403, 403),
        approved=row(LOGIN, 403, 403, 200, 404, 403, 403),  # read-only once decided
        missing=row(LOGIN, 403, 403, 404, 404, 403, 403)))],
    ("review.review", "POST"): [("/audits/{id}/review", by_state(  # no rating: saved as is
        draft=row(LOGIN, 403, 403, 404, 404, 403, 403),
        submitted=row(LOGIN, 403, 403, REVIEW, 404, 403, 403),
        approved=row(LOGIN, 403, 403, REVIEW, 404, 403, 403),  # "already decided" message
        missing=row(LOGIN, 403, 403, 404, 404, 403, 403)))],
    # Documents attached to answers: seen (and downloaded) by whoever sees the audit; attached and
    # removed by its school while the answers can be changed. {att}: a document of that audit.
    ("evidence.attachments", "GET"): [("/audits/{id}/attachments", by_state(
        draft=row(LOGIN, 200, 404, 404, 404, 404, 404),
        submitted=row(LOGIN, 200, 404, 200, 404, 404, 404),
        approved=row(LOGIN, 200, 404, 200, 404, 404, 404),
        missing=NOBODY_ELSE))],
    ("evidence.attachments", "POST"): [("/audits/{id}/attachments", by_state(  # no document: the form again
        draft=row(LOGIN, 422, 404, 404, 404, 404, 404),
        submitted=row(LOGIN, OVERVIEW, 404, 403, 404, 404, 404),  # frozen: the school is sent back
        approved=row(LOGIN, OVERVIEW, 404, 403, 404, 404, 404),
        missing=NOBODY_ELSE))],
    ("evidence.download", "GET"): [("/audits/{id}/attachments/{att}", by_state(
        draft=row(LOGIN, 200, 404, 404, 404, 404, 404),
        submitted=row(LOGIN, 200, 404, 200, 404, 404, 404),
        approved=row(LOGIN, 200, 404, 200, 404, 404, 404),
        missing=NOBODY_ELSE)),
        ("/audits/{id}/attachments/{other_att}", by_state(  # another audit's document under this audit
            draft=NOBODY_ELSE, submitted=row(LOGIN, 404, 404, 404, 404, 404, 404),
            approved=row(LOGIN, 404, 404, 404, 404, 404, 404), missing=NOBODY_ELSE))],
    ("evidence.remove", "POST"): [("/audits/{id}/attachments/{att}/remove", by_state(
        draft=row(LOGIN, DOCUMENTS, 404, 404, 404, 404, 404),
        submitted=row(LOGIN, OVERVIEW, 404, 403, 404, 404, 404),
        approved=row(LOGIN, OVERVIEW, 404, 403, 404, 404, 404),
        missing=NOBODY_ELSE))],
    # The instance administrator's account pages; the password link is for whoever holds a valid one.
    ("accounts.admin_users", "GET"): [("/admin/users", admin_only(200))],
    ("accounts.admin_user_create", "POST"): [("/admin/users", admin_only(422))],  # empty: the form again
    ("accounts.admin_user", "GET"): [("/admin/users/{user}", admin_only(200)),
                                     ("/admin/users/999999", admin_only(404))],
    ("accounts.admin_user_role", "POST"): [("/admin/users/{user}/role", admin_only(422))],  # nothing chosen
    ("accounts.admin_user_active", "POST"): [("/admin/users/{user}/active", admin_only(400))],  # no state given
    ("accounts.admin_user_reset", "POST"): [("/admin/users/{user}/password-link", admin_only(200))],
    # The user has no second factor to reset: refused with the reason.
    ("accounts.admin_user_mfa_reset", "POST"): [("/admin/users/{user}/mfa-reset", admin_only(422))],
    ("accounts.admin_orgs", "GET"): [("/admin/organisations", admin_only(200))],
    ("accounts.admin_orgs", "POST"): [("/admin/organisations", admin_only(422))],  # empty: the form again
    ("accounts.admin_log", "GET"): [("/admin/log", admin_only(200))],
    ("accounts.set_password", "GET"): [("/account/set-password/{token}", same(200, anon=200)),
                                       ("/account/set-password/not-a-token", same(404, anon=404))],
    ("accounts.set_password", "POST"): [("/account/set-password/{token}", same(422, anon=422)),  # empty form
                                        ("/account/set-password/not-a-token", same(404, anon=404))],
    ("review.decide", "POST"): [("/audits/{id}/decision", by_state(  # no decision chosen: the page again
        draft=row(LOGIN, 403, 403, 404, 404, 403, 403),
        submitted=row(LOGIN, 403, 403, 200, 404, 403, 403),
        approved=row(LOGIN, 403, 403, 403, 404, 403, 403),
        missing=row(LOGIN, 403, 403, 404, 404, 403, 403)))],
    ("review.save_rating", "POST"): [("/audits/{id}/review/rating", by_state(  # a form, not JSON: 400
        draft=row(LOGIN, 403, 403, 404, 404, 403, 403),
        submitted=row(LOGIN, 403, 403, 400, 404, 403, 403),
        approved=row(LOGIN, 403, 403, 409, 404, 403, 403),  # decided: nothing can change
        missing=row(LOGIN, 403, 403, 404, 404, 403, 403)))],
    ("review.carry_over", "POST"): [("/audits/{id}/review/carry-over", by_state(  # nothing to carry: back
        draft=row(LOGIN, 403, 403, 404, 404, 403, 403),
        submitted=row(LOGIN, 403, 403, REVIEW, 404, 403, 403),
        approved=row(LOGIN, 403, 403, 403, 404, 403, 403),
        missing=row(LOGIN, 403, 403, 404, 404, 403, 403)))],
    ("review.request_document", "POST"): [("/audits/{id}/review/document-requests", by_state(  # empty: back
        draft=row(LOGIN, 403, 403, 404, 404, 403, 403),
        submitted=row(LOGIN, 403, 403, REVIEW, 404, 403, 403),
        approved=row(LOGIN, 403, 403, 403, 404, 403, 403),
        missing=row(LOGIN, 403, 403, 404, 404, 403, 403)))],
    ("review.add_action", "POST"): [("/audits/{id}/actions", by_state(  # empty form: refused, back to the page
        draft=row(LOGIN, OVERVIEW, 404, 404, 404, 404, 404),
        submitted=row(LOGIN, OVERVIEW, 404, 403, 404, 404, 404),
        approved=row(LOGIN, OVERVIEW, 404, 403, 404, 404, 404),
        missing=NOBODY_ELSE))],
    ("review.action_done", "POST"): [("/audits/{id}/actions/999999/done", by_state(  # no such action: 404
        draft=row(LOGIN, 404, 404, 404, 404, 404, 404),
        submitted=row(LOGIN, 404, 404, 403, 404, 404, 404),
        approved=row(LOGIN, 404, 404, 403, 404, 404, 404),
        missing=NOBODY_ELSE))],
}

IGNORED_METHODS = {"HEAD", "OPTIONS"}


@pytest.fixture
def app_config():
    # Every cell signs in afresh; the sign-in limits are tested in test_security.py.
    return {"LOGIN_RATE_LIMIT": "10000 per minute",
            "PDF_RATE_LIMIT": "10000 per minute", "PUBLIC_PDF_RATE_LIMIT": "10000 per minute"}


def routes(app) -> set[tuple[str, str]]:
    return {(rule.endpoint, method) for rule in app.url_map.iter_rules() if rule.endpoint != "static"
            for method in rule.methods - IGNORED_METHODS}


def test_the_table_lists_every_route_and_no_other(app):
    from test_api_access import API_TABLE  # the JSON API's routes, by token (tests/test_api_access.py)

    assert app.config["WTF_CSRF_ENABLED"] is not False
    unlisted = routes(app) - set(TABLE) - set(API_TABLE)
    assert not unlisted, f"routes without access rules in TABLE: {sorted(unlisted)}"
    stale = (set(TABLE) | set(API_TABLE)) - routes(app)
    assert not stale, f"TABLE lists routes that do not exist: {sorted(stale)}"


@pytest.fixture
def audits(app, accounts, monkeypatch):
    """report id by state, and product ids of the registry (two products with a published audit, one
    without); the PDF renderers are replaced by stubs (rendering is tested elsewhere)."""
    monkeypatch.setattr("app.audits.services.render_pdf_limited",
                        lambda context, lim, pdf_variant=None: b"%PDF-1.7 stub")
    monkeypatch.setattr("weasyprint.HTML.write_pdf", lambda self, *a, **k: b"%PDF-1.7 stub")
    with app.app_context():
        ids = {state: scenario.make_audit(state, product=f"Gadget {state} QX") for state in
               ("draft", "submitted", "approved")}
        products = {}
        for key in ("p1", "p2"):
            audit = scenario.audit(scenario.make_audit("approved", product=f"Published {key}"))
            products[key] = registry_services.publish(audit, scenario.user("school"), show_school_name=False).product_id
        products["unpublished"] = scenario.audit(ids["approved"]).product_id
        db.session.commit()
        # one document per audit, and the user the account pages act on (with a pending password link)
        ids["attachments"] = {state: scenario.attach(ids[state]) for state in ("draft", "submitted", "approved")}
        ids["other_attachment"] = scenario.attach(scenario.make_audit("draft", product="Another QX"))
        from app.accounts.services import add_user
        target, ids["token"] = add_user(email="target@school.test", name="Target", role="school_admin",
                                        organisation=scenario.user("school").organisation, actor=None,
                                        link_lifetime=app.config["PASSWORD_LINK_LIFETIME"])
        ids["user"] = target.id
        db.session.commit()
    assert None not in products.values() and len(set(products.values())) == 3
    ids["missing"] = "EA-AAAAAAAAAA"
    ids["products"] = products
    return ids


def client_as(app, role):
    client = app.test_client()
    if role != "anon":
        response = login(client, ACCOUNTS[role][0])
        assert response.status_code == 302, (role, response.text)
        token_page = client.get("/account/password")
    else:
        token_page = client.get("/login")
    assert token_page.status_code == 200
    client.token = csrf_token(token_page.text)
    return client


def check(client, method, url, expected, data):
    if method == "GET":
        response = client.get(url)
    else:
        response = client.open(url, method=method, data={"csrf_token": client.token, **data})
    code, location = expected if isinstance(expected, tuple) else (expected, None)
    got = (response.status_code, response.location or "")
    if location is not None:
        return got[0] == code and got[1].split("?")[0].startswith(location), got
    return got[0] == code, got


POST_DATA = {"i18n.switch": {"lang": "zh"}}


@pytest.mark.parametrize("route", sorted(TABLE), ids=lambda r: f"{r[0]}-{r[1]}")
def test_route_answers_each_role_as_the_table_says(app, audits, route):
    endpoint, method = route
    failures = []
    for url_template, expected in TABLE[route]:
        cases = ([(state, audits[state], by_role) for state, by_role in expected.items()] if "{id}" in url_template
                 else [("-", None, expected)])
        for state, report_id, by_role in cases:
            url = url_template.replace("{id}", report_id or "")
            url = (url.replace("{att}", str(audits["attachments"].get(state, 999999)))
                   .replace("{other_att}", str(audits["other_attachment"]))
                   .replace("{user}", str(audits["user"])).replace("{token}", audits["token"]))
            for key, product_id in audits["products"].items():
                url = url.replace(f"{{{key}}}", str(product_id))
            # the owning school goes last: its POST may move the audit on (a new version)
            for role in sorted(ROLES, key=lambda r: r == "school"):
                want = by_role[role]
                if isinstance(want, tuple):
                    want = (want[0], want[1].replace("{id}", report_id or ""))
                ok, got = check(client_as(app, role), method, url, want, POST_DATA.get(endpoint, {}))
                if not ok:
                    failures.append(f"{method} {url} [{state}] as {role}: expected {want}, got {got}")
    assert not failures, "\n".join(failures)


def test_the_table_covers_every_role_and_state():
    for route, cases in TABLE.items():
        for url, expected in cases:
            if "{id}" in url:
                assert set(expected) == set(STATES), (route, url)
                for by_role in expected.values():
                    assert set(by_role) == set(ROLES), (route, url)
            else:
                assert set(expected) == set(ROLES), (route, url)


def test_a_reviewer_reads_a_submitted_audit_but_cannot_edit_it(app, audits):
    client = client_as(app, "reviewer")
    sid = audits["submitted"]
    overview = client.get(f"/audits/{sid}")
    assert overview.status_code == 200 and sid in overview.text and "Review this submission" in overview.text
    assert "Continue the answers" not in overview.text and "Submit to a regulator" not in overview.text
    pdf = client.get(f"/audits/{sid}/report.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and pdf.mimetype == "application/pdf"
    trail_json = client.get(f"/audits/{sid}/trail.json")
    assert trail_json.json["report_id"] == sid
    with app.app_context():
        before = scenario.audit(sid).answers
    response = client.post(f"/audits/{sid}/steps/product",
                           data={"csrf_token": client.token, "product_name": "Changed by the reviewer"})
    assert response.status_code == 403
    with app.app_context():
        assert scenario.audit(sid).answers == before


def test_a_school_cannot_see_another_school_s_audit_even_after_submission(app, audits):
    client = client_as(app, "other_school")
    for state in ("draft", "submitted", "approved"):
        page = client.get(f"/audits/{audits[state]}")
        assert page.status_code == 404 and "Page not found" in page.text
        # the product's name, not its two-letter mark alone: a random token on the page may contain "QX"
        assert f"Gadget {state} QX" not in page.text and "Test School" not in page.text
    home = client.get("/")
    assert home.status_code == 200 and not any(f"Gadget {state} QX" in home.text
                                               for state in ("draft", "submitted", "approved"))
    assert all(audits[state] not in home.text for state in ("draft", "submitted", "approved"))
    own = client_as(app, "school").get("/").text
    assert all(f"Gadget {state} QX" in own for state in ("draft", "submitted", "approved"))


def test_each_user_s_audit_list_holds_what_they_may_see_and_nothing_else(app, audits):
    """The list's statement is built once per kind of user and run with the user's organisation: each
    user gets exactly the audits :func:`app.access.can_view` lets them see, whoever asked before."""
    from app.access import can_view
    from app.audits.services import list_audits
    from app.models import Audit

    with app.app_context():
        everything = list(db.session.scalars(sa.select(Audit)))
        for who in ("school", "other_school", "reviewer", "other_reviewer", "ngo", "school", "reviewer"):
            person = scenario.user(who)
            listed = sorted(a.report_id for a, _snapshot in list_audits(person))
            assert listed == sorted(a.report_id for a in everything if can_view(person, a)), who
        assert list_audits(scenario.user("school")) and list_audits(scenario.user("reviewer"))


def test_signed_out_users_are_sent_to_sign_in_and_come_back(app, audits):
    client = client_as(app, "anon")
    sid = audits["submitted"]
    response = client.get(f"/audits/{sid}/results")
    assert response.status_code == 302 and response.location.startswith("/login?next=")
    back = client.post(response.location, data={"csrf_token": client.token, "email": ACCOUNTS["school"][0],
                                                "password": "correct horse battery staple"})
    assert back.status_code == 302 and back.location == f"/audits/{sid}/results"
