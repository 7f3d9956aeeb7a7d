"""Parts of pages kept per process (app.pagecache). A step's content is kept per audit revision: what a
GET serves from the store must be what rendering would give, with each session's own CSRF token, and
anything the step shows that changes (answers, documents, language) must give a fresh page. A registry
comparison is kept per figures: a new publication shows at once."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
import scenario
from flask_babel import force_locale
from webhelpers import csrf_token, login

from app import frame
from app import pagecache as rendered
from app.audits import forms
from app.extensions import current_ruleset

CSRF_FIELD = re.compile(r'<input id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)">')


def kept_parts(app, kind: str) -> int:
    """How many parts of ``kind`` ("step", "comparison", "products", "home") the app keeps now."""
    with app.test_request_context():
        return sum(1 for key in rendered.parts().keys() if key[0] == kind)


def test_two_colleagues_share_the_kept_step_each_with_their_own_token_and_both_save(app, client, accounts):
    with app.app_context():
        report_id = scenario.make_audit("draft")
    colleague = app.test_client()
    assert login(colleague, accounts["school2"]).status_code == 302
    url = f"/audits/{report_id}/steps/product"
    first, second = client.get(url), colleague.get(url)
    assert first.status_code == second.status_code == 200
    assert kept_parts(app, "step") == 1  # the second page came from the store
    tokens = [CSRF_FIELD.findall(page.text) for page in (first, second)]
    assert len(tokens[0]) == len(tokens[1]) == 1 and tokens[0] != tokens[1]
    assert rendered.CSRF_PLACEHOLDER not in first.text + second.text
    # each token is its session's: both forms save
    for who, page in ((client, first), (colleague, second)):
        response = who.post(url, data={"csrf_token": CSRF_FIELD.findall(page.text)[0], "action": "continue",
                                       "product_description": f"Saved by {'first' if who is client else 'second'}"})
        assert response.status_code == 302, response.text
    # the other's token is refused: the kept content never carries one session's token to another
    refused = client.post(url, data={"csrf_token": tokens[1][0], "action": "continue"})
    assert refused.status_code == 400


def test_a_saved_answer_shows_on_the_next_get_of_the_step(app, client):
    with app.app_context():
        report_id = scenario.make_audit("draft")
    url = f"/audits/{report_id}/steps/product"
    page = client.get(url)
    assert "A new description" not in page.text
    client.post(url, data={"csrf_token": csrf_token(page.text), "action": "continue",
                           "product_description": "A new description"})
    assert "A new description" in client.get(url).text


def test_a_document_attached_to_an_answer_shows_on_its_step_at_once(app, client):
    with app.app_context():
        report_id = scenario.make_audit("draft")
        section = current_ruleset().questionnaire.questions["legal_basis"].section_id
    url = f"/audits/{report_id}/steps/{section}"
    assert "DPA signed.pdf" not in client.get(url).text  # kept now
    token = csrf_token(client.get("/account/password").text)
    response = client.post(f"/audits/{report_id}/attachments", content_type="multipart/form-data",
                           data={"csrf_token": token, "question": "legal_basis",
                                 "document": (io.BytesIO(scenario.PDF_BYTES), "DPA signed.pdf")})
    assert response.status_code == 302
    # attaching changes no answer (the audit's revision stays): the documents are part of the key
    assert "DPA signed.pdf" in client.get(url).text


def test_the_chinese_step_is_kept_apart_from_the_english_one(app, client):
    with app.app_context():
        report_id = scenario.make_audit("draft")
        title = current_ruleset().questionnaire.section("product").title
    url = f"/audits/{report_id}/steps/product"
    assert f"<h1>{title['en']}</h1>" in client.get(url).text
    client.post("/language", data={"csrf_token": csrf_token(client.get(url).text), "lang": "zh"})
    page = client.get(url).text
    assert f"<h1>{title['zh']}</h1>" in page and f"<h1>{title['en']}</h1>" not in page
    assert kept_parts(app, "step") == 2


def test_kept_content_without_exactly_one_placeholder_is_refused():
    assert rendered.with_csrf_token(f"<p>{rendered.CSRF_PLACEHOLDER}</p>", "tok.en") == "<p>tok.en</p>"
    for html in ("<p>no form</p>", f"{rendered.CSRF_PLACEHOLDER}{rendered.CSRF_PLACEHOLDER}"):
        with pytest.raises(ValueError, match="exactly once"):
            rendered.with_csrf_token(html, "token")


def test_switched_off_store_still_serves_every_step(app, client):
    app.config["PAGE_PARTS_CACHE_SIZE"] = 0
    app.extensions.pop(rendered.PARTS_EXTENSION_KEY, None)  # made on the signed-in client's first page
    with app.app_context():
        report_id = scenario.make_audit("draft")
    url = f"/audits/{report_id}/steps/product"
    pages = [client.get(url) for _ in range(2)]
    assert all(p.status_code == 200 and len(CSRF_FIELD.findall(p.text)) == 1 for p in pages)
    assert kept_parts(app, "step") == 0


def test_step_form_classes_are_shared_per_questions_and_language(app):
    with app.app_context():
        qn = current_ruleset().questionnaire
        section = qn.section("product")
        slots = forms.step_slots(qn, section, {})
        en = forms.step_form_class(qn, slots, "en")
        assert forms.step_form_class(qn, slots, "en") is en
        assert forms.step_form_class(qn, slots, "zh") is not en
        assert forms.step_form_class(qn, slots[:2], "en") is not en
        label = forms.step_form_class(qn, slots, "zh").__dict__[forms.FIELD_PREFIX + slots[0].question.id]
        assert label.kwargs["label"] == slots[0].question.label["zh"]


def test_templates_translate_in_the_locale_forced_inside_a_request(app):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        template = app.jinja_env.from_string("{{ _('Products') }}")
        assert template.render() == "Products"
        with force_locale("zh"):
            assert template.render() == "产品"
        assert template.render() == "Products"


def test_a_new_publication_changes_the_comparison_at_once(app, anon_client):
    from registry_helpers import school_id, seed_products, seed_publications

    from app.extensions import db

    with app.app_context():
        ids = seed_products(2)
        seed_publications(ids, 4, organisation_id=school_id(), seed=1)
        db.session.commit()
    url = "/compare?" + "&".join(f"p={i}" for i in ids)
    audits = re.compile(r"(\d+) audits?</span>")
    first = anon_client.get(url)
    assert first.status_code == 200 and anon_client.get(url).text == first.text  # kept, the same page
    assert kept_parts(app, "comparison") == 1
    with app.app_context():
        seed_publications(ids, 2, organisation_id=school_id(), seed=2)
        db.session.commit()
    second = anon_client.get(url)
    assert second.status_code == 200 and kept_parts(app, "comparison") == 2
    assert len(audits.findall(first.text)) == 2 and audits.findall(first.text) != audits.findall(second.text)


def test_a_withdrawn_latest_publication_replaced_by_another_changes_the_comparison(app, accounts, anon_client):
    """The comparison is kept per its products' state (count and latest publication). A withdrawn latest
    publication followed by another of the same product leaves the count as it was, and on SQLite the new
    one gets the withdrawn one's id: the page must still show the new one (its public id is in the key)."""
    from registry_helpers import publish, reviewed_audit, user

    from app.extensions import db
    from app.registry import services as registry

    with app.app_context():
        school, reviewer = user(accounts["school"]), user(accounts["reviewer"])
        first = reviewed_audit(school, reviewer, {"product_name": "Gate One", "vendor_name": "Gates Ltd"})
        second = reviewed_audit(school, reviewer, {"product_name": "Gate Two", "vendor_name": "Gates Ltd"})
        publish(first, school)
        withdrawn = publish(second, school).id
        ids, second_id = [first.product_id, second.product_id], second.id
        db.session.commit()
    url = "/compare?" + "&".join(f"p={i}" for i in ids)
    before = anon_client.get(url)
    assert before.status_code == 200 and ">UK<" not in before.text.replace("</span>", "<")
    with app.app_context():
        school, reviewer = user(accounts["school"]), user(accounts["reviewer"])
        registry.unpublish(db.session.get(type(second), second_id), school)
        again = reviewed_audit(school, reviewer, {"product_name": "Gate Two", "vendor_name": "Gates Ltd",
                                                  "jurisdiction": "UK", "planned_date": "2025-03-02"})
        replacement = publish(again, school)
        assert replacement.product_id == ids[1]
        if db.engine.dialect.name == "sqlite":
            assert replacement.id == withdrawn  # the case the public id in the key is there for
        db.session.commit()
    after = anon_client.get(url)
    assert after.status_code == 200 and after.text != before.text
    app.extensions[rendered.PARTS_EXTENSION_KEY] = rendered.RenderedPages(256)  # nothing kept
    assert anon_client.get(url).text == after.text  # what rendering gives now


def test_the_product_list_shows_a_new_product_at_once_and_keeps_searches_apart(app, anon_client):
    from registry_helpers import school_id, seed_products, seed_publications

    from app.extensions import db

    with app.app_context():
        ids = seed_products(2, prefix="Alpha")
        seed_publications(ids, 2, organisation_id=school_id(), seed=1)
        db.session.commit()
    first = anon_client.get("/products")
    assert first.status_code == 200 and "Alpha" in first.text and anon_client.get("/products").text == first.text
    assert "Alpha" not in anon_client.get("/products?q=Beta").text
    with app.app_context():
        more = seed_products(1, prefix="Beta")
        seed_publications(more, 1, organisation_id=school_id(), seed=2)
        db.session.commit()
    assert "Beta" in anon_client.get("/products").text
    assert "Beta" in anon_client.get("/products?q=Beta").text


def test_the_start_page_lists_a_new_audit_at_once_with_the_session_s_own_token(app, client, accounts):
    page = client.get("/")
    assert page.status_code == 200 and "No audits yet" in page.text and kept_parts(app, "home") == 1
    colleague = app.test_client()
    assert login(colleague, accounts["school2"]).status_code == 302
    other = colleague.get("/")
    assert CSRF_FIELD.findall(page.text) != CSRF_FIELD.findall(other.text) and kept_parts(app, "home") == 1
    with app.app_context():
        report_id = scenario.make_audit("draft", product="Gamma Reader")
    listed = client.get("/").text
    assert report_id in listed and "Gamma Reader" in listed and "No audits yet" not in listed
    # a refused start (no product name) shows its error, not a kept page
    refused = client.post("/audits", data={"csrf_token": CSRF_FIELD.findall(listed)[0], "product_name": "",
                                           "vendor_name": "Someone"})
    assert refused.status_code == 200 and "field-error" in refused.text


def test_the_kept_start_page_follows_each_column_it_shows_whatever_the_dates(app, client):
    """The start page is kept per the columns read for its rows: a changed name or status shows at once
    even when the audit's ``updated_at`` stays as it was, and the page is what rendering gives."""
    from app.extensions import db

    with app.app_context():
        report_id = scenario.make_audit("draft", product="Delta Reader")
    first = client.get("/").text
    kept_before = kept_parts(app, "home")
    assert "Delta Reader" in first and client.get("/").text == first and kept_parts(app, "home") == kept_before
    with app.app_context():
        audit = scenario.audit(report_id)
        updated = audit.updated_at
        audit.product_name, audit.status = "Epsilon Reader", "submitted"
        db.session.commit()
        assert scenario.audit(report_id).updated_at == updated
    second = client.get("/").text
    assert "Epsilon Reader" in second and "Delta Reader" not in second
    assert kept_parts(app, "home") == kept_before + 1
    app.extensions[rendered.PARTS_EXTENSION_KEY] = rendered.RenderedPages(256)  # nothing kept
    assert CSRF_FIELD.sub("", client.get("/").text) == CSRF_FIELD.sub("", second)


def test_the_kept_sign_in_form_carries_each_visitor_s_token_and_way_back_and_a_failure_is_not_kept(app):
    """The sign-in form is kept per language: each response has its own session's CSRF token and its own
    ``next`` in the form's address, escaped; a failed sign-in shows its error on a form rendered anew."""
    first, second = app.test_client(), app.test_client()
    page = first.get("/login?next=/audits/EA-1%26x%3Cy")
    other = second.get("/login")
    assert page.status_code == other.status_code == 200 and kept_parts(app, "sign-in") == 1
    assert 'action="/login?next=/audits/EA-1%26x%3Cy"' in page.text and 'action="/login"' in other.text
    tokens = [CSRF_FIELD.findall(p.text) for p in (page, other)]
    assert tokens[0] and tokens[1] and tokens[0] != tokens[1]
    assert rendered.CSRF_PLACEHOLDER not in page.text + other.text
    failed = second.post("/login", data={"csrf_token": tokens[1][0], "email": "nobody@school.test",
                                          "password": "wrong password here"})
    assert "The e-mail address or the password is wrong." in failed.text
    assert "The e-mail address or the password is wrong." not in second.get("/login").text  # kept: no error
    with app.test_request_context():
        assert all("wrong" not in str(rendered.parts().get(k)) for k in rendered.parts().keys() if k[0] == "sign-in")


def test_the_kept_results_page_gives_each_colleague_their_own_token_for_the_submit_form(app, client, accounts):
    with app.app_context():
        report_id = scenario.make_audit("complete")
        regulator_id = scenario.user("reviewer").organisation_id
    colleague = app.test_client()
    assert login(colleague, accounts["school2"]).status_code == 302
    url = f"/audits/{report_id}/results"
    first, second = client.get(url).text, colleague.get(url).text
    assert "Submit for review" in first and "Submit for review" in second
    tokens = [CSRF_FIELD.findall(page) for page in (first, second)]
    assert tokens[0] and tokens[1] and tokens[0] != tokens[1]
    assert rendered.CSRF_PLACEHOLDER not in first + second
    refused = client.post(f"/audits/{report_id}/submit", data={"csrf_token": tokens[1][0],
                                                              "regulator": str(regulator_id)})
    assert refused.status_code == 400  # the colleague's token is not this session's
    response = colleague.post(f"/audits/{report_id}/submit", data={"csrf_token": tokens[1][-1],
                                                                  "regulator": str(regulator_id)})
    assert response.status_code == 302
    assert "Submit for review" not in client.get(url).text  # submitted: another key, no form


HEADER = re.compile(r'<header class="site-header">.*?</header>', re.S)


def header_of(html: str) -> str:
    return HEADER.search(html).group(0)


def header_token(html: str) -> str:
    return re.findall(r'name="csrf_token" value="([^"]+)"', header_of(html))[0]


def test_the_site_header_is_kept_per_role_and_shows_each_users_own_name_token_and_page(app, accounts):
    # Two colleagues and a user of another school share one kept header (same role, language, an
    # organisation): each sees their own e-mail and school, their own CSRF token, and this page as
    # the language switch's way back; a name with markup in it is escaped.
    with app.app_context():
        from app.accounts.services import get_org
        from app.extensions import db

        get_org("Other School").name = "Other <b>School</b> & Co"
        db.session.commit()
    browsers = {}
    for key in ("school", "school2", "other_school"):
        browsers[key] = app.test_client()
        assert login(browsers[key], accounts[key]).status_code == 302
    pages = {key: b.get("/products?q=x&page=1") for key, b in browsers.items()}
    headers = {key: header_of(page.text) for key, page in pages.items()}
    with app.test_request_context():
        assert sum(1 for key in rendered.parts().keys() if key[0] == "site-header" and key[2]) == 1
    assert accounts["school"] in headers["school"] and accounts["school2"] not in headers["school"]
    assert accounts["school2"] in headers["school2"] and "Test School" in headers["school2"]
    assert "Other &lt;b&gt;School&lt;/b&gt; &amp; Co" in headers["other_school"]
    assert "<b>School</b>" not in headers["other_school"]
    for key, page in pages.items():
        assert 'name="next" value="/products?q=x&amp;page=1"' in headers[key]
        assert not any(p in page.text for p in (rendered.CSRF_PLACEHOLDER, *frame.PLACEHOLDERS.values()))
        tokens = re.findall(r'name="csrf_token" value="([^"]+)"', headers[key])
        assert len(tokens) == 2 and len(set(tokens)) == 1  # the sign-out and language forms
    assert len({re.findall(r'name="csrf_token" value="([^"]+)"', h)[0] for h in headers.values()}) == 3
    # each user's own token signs them out
    signed_out = browsers["school2"].post("/logout", data={"csrf_token": header_token(pages["school2"].text)})
    assert signed_out.status_code == 302 and browsers["school2"].get("/account/password").status_code == 302
    assert browsers["school"].get("/account/password").status_code == 200


def test_the_kept_site_header_follows_the_language_and_who_is_signed_in(app, client, accounts):
    anonymous = app.test_client()
    reviewer = app.test_client()
    assert login(reviewer, accounts["reviewer"]).status_code == 302
    school_page = client.get("/products").text
    school_header = header_of(school_page)
    assert "My audits" in school_header and "Review queue" not in school_header
    reviewer_header = header_of(reviewer.get("/products").text)
    assert "Review queue" in reviewer_header and "My audits" not in reviewer_header
    anonymous_header = header_of(anonymous.get("/products").text)
    assert "Sign in" in anonymous_header and "Sign out" not in anonymous_header
    assert len(re.findall(r'name="csrf_token"', anonymous_header)) == 1
    client.post("/language", data={"csrf_token": header_token(school_page), "lang": "zh", "next": "/"})
    chinese = header_of(client.get("/products").text)
    assert "退出登录" in chinese
    assert "Sign out" not in chinese


def test_a_kept_header_that_lost_a_placeholder_is_refused(app, client):
    client.get("/products")  # the school's header is kept now
    with app.test_request_context():
        store = rendered.parts()
        [key] = [k for k in store.keys() if k[0] == "site-header" and k[2]]  # signed in
        store.put(key, store.get(key).replace(frame.PLACEHOLDERS["email"], "someone@else.test"))
    with pytest.raises(ValueError, match="email placeholder"):
        client.get("/products")


def test_which_steps_apply_follows_each_saved_answer(app, client):
    # The steps that apply and a step's questions are kept per audit revision: a save that changes
    # what applies must be seen by the very next request, in both directions.
    from test_web import start

    report_id, _ = start(client)
    data_url, cameras_url = f"/audits/{report_id}/steps/data", f"/audits/{report_id}/steps/cameras"
    assert client.get(cameras_url).status_code == 302  # no cameras declared yet
    for sensors, status in (("classroom_cameras", 200), ("none", 302), ("entrance_cameras", 200)):
        page = client.get(data_url)
        saved = client.post(data_url, data={"csrf_token": csrf_token(page.text), "action": "continue",
                                            "sensors": sensors})
        assert saved.status_code == 302, saved.text
        assert client.get(cameras_url).status_code == status, sensors
    with app.test_request_context():
        assert sum(1 for key in rendered.parts().keys() if key[0] == "step-shape" and key[4] == "cameras") >= 3



def _fresh_process(app) -> None:
    """Forget what this process kept, as a web worker started later (a restart, gunicorn's recycling) has
    nothing kept: only the folder shared by the instance's processes remains."""
    app.extensions.pop(rendered.EXTENSION_KEY, None)
    app.extensions.pop(rendered.PARTS_EXTENSION_KEY, None)


def _masked(html: str) -> str:
    """``html`` with every CSRF token's value blanked (a token is signed with the time it was made)."""
    html = re.sub(r'(name="csrf_token"[^>]*value=")[^"]+', r"\1", html)
    return re.sub(r'(value=")[^"]+("[^>]*name="csrf_token")', r"\1\2", html)


def test_a_results_page_rendered_by_one_process_is_read_by_the_next_not_rendered_again(app, client, monkeypatch):
    with app.app_context():
        report_id = scenario.make_audit("complete")
    url = f"/audits/{report_id}/results"
    first = client.get(url)
    assert first.status_code == 200 and len(list(Path(app.config["RESULTS_SHARED_DIR"]).glob("*.json"))) == 1
    _fresh_process(app)
    from app.audits import views

    monkeypatch.setattr(views, "render_html", lambda *a, **k: pytest.fail("rendered again"))
    second = client.get(url)
    assert second.status_code == 200 and _masked(second.text) == _masked(first.text)
    assert rendered.CSRF_PLACEHOLDER not in second.text


def test_a_shared_results_page_that_cannot_be_read_is_rendered_and_written_again(app, client):
    with app.app_context():
        report_id = scenario.make_audit("complete")
    url = f"/audits/{report_id}/results"
    first = client.get(url)
    [stored] = Path(app.config["RESULTS_SHARED_DIR"]).glob("*.json")
    for broken in ("{not json", '["a list"]', ""):
        stored.write_text(broken, encoding="utf-8")
        _fresh_process(app)
        again = client.get(url)
        assert again.status_code == 200 and _masked(again.text) == _masked(first.text)
        assert json.loads(stored.read_text(encoding="utf-8"))["report_html"].startswith("<")


def test_the_shared_folder_keeps_at_most_its_limit_of_pages(app, client):
    app.config["RESULTS_SHARED_SIZE"] = 2
    _fresh_process(app)
    with app.app_context():
        report_ids = [scenario.make_audit("complete") for _ in range(3)]
    for report_id in report_ids:
        assert client.get(f"/audits/{report_id}/results").status_code == 200
    assert len(list(Path(app.config["RESULTS_SHARED_DIR"]).glob("*.json"))) == 2
