"""The product registry: names and duplicates, what is public (and what is not), the product and
comparison pages' numbers, the comparison PDF, and links."""

from __future__ import annotations

import html
import io
import re

import pytest
import sqlalchemy as sa
from markupsafe import escape
from pypdf import PdfReader
from registry_helpers import publish, reviewed_audit, school_id, seed_products, seed_publications, user

from app.extensions import current_ruleset, db
from app.models import Product, Vendor
from app.registry import services as registry
from app.reports.texts import CATEGORY_LABELS


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": False}


# -- names --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    ("Smart Classroom System", "smart classroom system"),
    ("  SMART-classroom   system ", "smart classroom system"),
    ("smart_classroom.system!", "smart classroom system"),
    ("ＳＭＡＲＴ　Ｃｌａｓｓｒｏｏｍ　Ｓｙｓｔｅｍ", "smart classroom system"),       # full-width letters and space
    ("Smart，Classroom（System）", "smart classroom system"),                    # full-width punctuation
    ("Straße Kamera", "strasse kamera"),                                       # case folding, not lower()
    ("智慧课堂行为管理系统 2.0", "智慧课堂行为管理系统 2 0"),
    ("Smart Classroom Ltd", "smart classroom ltd"),                            # products keep "Ltd"
])
def test_normalise_product_names(raw, expected):
    assert registry.normalise_name(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("Hikvision Co., Ltd.", "hikvision"),
    ("HIKVISION", "hikvision"),
    ("ＨＩＫＶＩＳＩＯＮ　Ｃｏ．，Ｌｔｄ．", "hikvision"),
    ("Hikvision Digital Technology Co., Ltd.", "hikvision digital technology"),
    ("Acme Inc.", "acme"),
    ("Acme, Incorporated", "acme"),
    ("Acme GmbH", "acme"),
    ("Acme Group Ltd", "acme"),
    ("Acme LLC", "acme"),
    ("杭州海康威视数字技术股份有限公司", "杭州海康威视数字技术"),
    ("科大讯飞有限公司", "科大讯飞"),
    ("科大讯飞 有限责任公司", "科大讯飞"),
    ("HIKVISION 有限公司", "hikvision"),
    ("Ltd.", "ltd"),                     # a name that is only a legal form keeps it rather than vanish
    ("有限公司", "有限公司"),
])
def test_normalise_vendor_names_drops_legal_forms(raw, expected):
    assert registry.normalise_name(raw, vendor=True) == expected


def test_names_without_letters_are_refused(app):
    assert registry.normalise_name(" -- !!! ., ") == ""
    with app.app_context():
        with pytest.raises(registry.RegistryError, match=r"the vendor name '\.\.\. !' has no letters or digits"):
            registry.find_or_create_vendor("... !")
        vendor = registry.find_or_create_vendor("Acme Ltd")
        with pytest.raises(registry.RegistryError, match=r"the product name '——' has no letters or digits"):
            registry.find_or_create_product(vendor, "——")
        with pytest.raises(registry.RegistryError, match=r"unknown product category 'toaster'"):
            registry.find_or_create_product(vendor, "Gate", category="toaster")


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_two_schools_naming_one_product_differently_share_it(app, accounts, anon_client):
    with app.app_context():
        school, other, reviewer = user(accounts["school"]), user(accounts["other_school"]), user(accounts["reviewer"])
        first = reviewed_audit(school, reviewer, {"product_name": "Smart Classroom System",
                                                  "vendor_name": "Hikvision Co., Ltd."})
        second = reviewed_audit(other, reviewer, {"product_name": "smart-classroom system",
                                                  "vendor_name": "HIKVISION"})
        third = reviewed_audit(other, reviewer, {"product_name": "ＳＭＡＲＴ　ＣＬＡＳＳＲＯＯＭ　ＳＹＳＴＥＭ",
                                                 "vendor_name": "ＨＩＫＶＩＳＩＯＮ 有限公司"}, status="draft")
        assert first.product_id is not None
        assert first.product_id == second.product_id == third.product_id
        assert (_count(Product), _count(Vendor)) == (1, 1)
        product = db.session.get(Product, first.product_id)
        assert (product.name, product.vendor.name) == ("Smart Classroom System", "Hikvision Co., Ltd.")
        publish(first, school)
        publish(second, other)
        db.session.commit()
        product_id = first.product_id
    listing = anon_client.get("/products?q=hikvision")
    assert listing.text.count(f'href="/products/{product_id}"') == 1
    page = anon_client.get(f"/products/{product_id}")
    assert re.search(r"Published audits</dt><dd>2</dd>", page.text)


def test_renaming_relinks_and_leaves_nothing_behind(app, accounts):
    from app.audits import services as audits

    with app.app_context():
        school = user(accounts["school"])
        qn = current_ruleset().questionnaire
        audit = reviewed_audit(school, None, {"product_name": "Campus Gat", "vendor_name": "Gaet Inc"},
                               status="draft")
        keep = reviewed_audit(school, None, {"product_name": "Campus Gate", "vendor_name": "Gate Inc"},
                              status="draft")
        typo_product, typo_vendor = audit.product_id, db.session.get(Product, audit.product_id).vendor_id
        assert (_count(Product), _count(Vendor)) == (2, 2)

        audits.save_step(qn, audit, {"product_name": "Campus Gate", "vendor_name": "GATE, Inc."}, user=school)
        assert audit.product_id == keep.product_id
        assert db.session.get(Product, typo_product) is None and db.session.get(Vendor, typo_vendor) is None
        assert (_count(Product), _count(Vendor)) == (1, 1)

        # Renaming one of two audits of a product keeps the product for the other; the vendor stays.
        audits.save_step(qn, audit, {"product_name": "Campus Gate Pro"}, user=school)
        assert audit.product_id != keep.product_id
        assert (_count(Product), _count(Vendor)) == (2, 1)
        audits.save_step(qn, audit, {"product_name": "Campus Gate Pro Max"}, user=school)
        assert (_count(Product), _count(Vendor)) == (2, 1)
        names = set(db.session.scalars(sa.select(Product.name)))
        assert names == {"Campus Gate", "Campus Gate Pro Max"}

        # A name with no letters unlinks (and the product nobody names any more goes).
        audits.save_step(qn, audit, {"product_name": "!!!"}, user=school)
        assert audit.product_id is None
        assert (_count(Product), _count(Vendor)) == (1, 1)


# -- what is public -----------------------------------------------------------------------------------

def _two_published_products(app, accounts) -> tuple[int, int]:
    with app.app_context():
        school, reviewer = user(accounts["school"]), user(accounts["reviewer"])
        a = reviewed_audit(school, reviewer, {"product_name": "Public Camera", "vendor_name": "Open Vision"})
        b = reviewed_audit(school, reviewer, {"product_name": "Public Gate", "vendor_name": "Open Gates"})
        publish(a, school)
        publish(b, school)
        db.session.commit()
        return a.product_id, b.product_id


def test_public_pages_need_no_login(app, accounts, anon_client):
    a, b = _two_published_products(app, accounts)
    for url in ["/products", "/products?q=public", f"/products/{a}", f"/compare?p={a}&p={b}",
                f"/compare.pdf?p={a}&p={b}", f"/products/{a}/export.csv", f"/products/{a}/export.json",
                f"/compare/export.csv?p={a}&p={b}", f"/compare/export.json?p={a}&p={b}", "/published/export.csv",
                "/published/export.json"]:
        response = anon_client.get(url)
        assert response.status_code == 200, url
        assert b"Public " in response.data or response.mimetype == "application/pdf", url


def test_nothing_unpublished_is_reachable(app, accounts, anon_client):
    a, b = _two_published_products(app, accounts)
    with app.app_context():
        school, other, reviewer = user(accounts["school"]), user(accounts["other_school"]), user(accounts["reviewer"])
        hidden = {"product_name": "Hidden Headband", "vendor_name": "Secret Neuro"}
        audits = [reviewed_audit(school, reviewer, hidden, status="draft"),
                  reviewed_audit(other, reviewer, hidden, status="submitted"),
                  reviewed_audit(other, reviewer, hidden, status="changes_requested", comment="Fix it."),
                  reviewed_audit(school, reviewer, hidden, status="approved")]  # approved, never published
        assert len({x.product_id for x in audits}) == 1 and audits[0].product_id is not None
        x = audits[0].product_id
        db.session.commit()
    listing = anon_client.get("/products")
    assert "Public Camera" in listing.text and "Hidden Headband" not in listing.text
    assert "No published audit names a product like this." in anon_client.get("/products?q=hidden").text
    assert "Hidden" not in anon_client.get("/products?category=classroom_analytics").text
    for url in [f"/products/{x}", f"/products/{x}/export.csv", f"/products/{x}/export.json",
                f"/compare?p={x}&p={a}", f"/compare.pdf?p={x}&p={a}", f"/compare/export.csv?p={x}&p={a}",
                f"/compare/export.json?p={x}&p={a}"]:
        assert anon_client.get(url).status_code == 404, url
    # Asked next to two published products, it is left out of the comparison and its exports.
    for url in [f"/compare?p={x}&p={a}&p={b}", f"/compare/export.csv?p={x}&p={a}&p={b}",
                f"/compare/export.json?p={x}&p={a}&p={b}", "/published/export.json", "/published/export.csv"]:
        response = anon_client.get(url)
        assert response.status_code == 200, url
        assert "Public Camera" in response.text and "Hidden" not in response.text and "Secret" not in response.text
    scope = anon_client.get(f"/compare/export.json?p={x}&p={a}&p={b}").json["scope"]
    assert scope == {"kind": "comparison", "products": [a, b]}
    pdf = anon_client.get(f"/compare.pdf?p={x}&p={a}&p={b}")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Public Camera" in text and "Hidden" not in text


@pytest.mark.parametrize(("query", "message"), [
    ("p=1", "Choose between 2 and 10 products to compare; this link names 1."),
    ("p=1&p=1", "Choose between 2 and 10 products to compare; this link names 1."),
    ("", "Choose between 2 and 10 products to compare; this link names 0."),
    ("&".join(f"p={i}" for i in range(1, 12)), "Choose between 2 and 10 products to compare; this link names 11."),
    ("p=1&p=abc", "“abc” is not a product id."),
    ("p=0&p=1", "“0” is not a product id."),
    ("p=-1&p=1", "“-1” is not a product id."),
    ("p=1&p=2.5", "“2.5” is not a product id."),
])
def test_comparison_needs_two_to_ten_valid_ids(app, anon_client, query, message):
    for path in ("/compare", "/compare.pdf", "/compare/export.csv", "/compare/export.json"):
        response = anon_client.get(f"{path}?{query}")
        assert response.status_code == 400, path
        assert message in html.unescape(response.text), path


def test_ten_products_can_be_compared(app, anon_client):
    with app.app_context():
        ids = seed_products(10)
        seed_publications(ids, 20, organisation_id=school_id(), seed=3)
        db.session.commit()
    response = anon_client.get("/compare?" + "&".join(f"p={i}" for i in ids))
    assert response.status_code == 200
    assert "Comparison of 10 products" in response.text


# -- product page -------------------------------------------------------------------------------------

F1 = ("face-recognition-for-routine-school-tasks", "facial-recognition", "risk")
F2 = ("campus-face-recognition-without-necessity-or-consultation", "facial-recognition", "risk")
F3 = ("face-images-or-templates-kept-too-long", "facial-recognition", "risk")
G1 = ("no-impact-assessment-before-high-risk-processing", "governance", "risk")
E1 = ("eu-emotion-recognition-education-ban", "emotion-attention", "prohibited")


def _f(rule, level):
    return (*rule, level)


def _seed(product_id, rows):
    """``rows``: (fields, findings) per published audit of ``product_id``."""
    seed_publications([product_id], len(rows), organisation_id=school_id(),
                      findings=lambda _rng, n: rows[n][1], fields=lambda n: rows[n][0])


def test_the_rules_used_below_exist(app):
    with app.app_context():
        for rule_id, category, effect in (F1, F2, F3, G1, E1):
            rule = current_ruleset().rule(rule_id)
            assert (rule.category, rule.effect) == (category, effect)


def _bars(page: str, title: str) -> list[tuple[str, int]]:
    svg = re.search(rf'<svg[^>]*aria-label="{re.escape(title)}".*?</svg>', page, re.S)
    assert svg, title
    return [(lv, int(n)) for lv, n in re.findall(r'data-level="(\w+)" data-count="(\d+)"', svg.group(0))]


def _svg_texts(page: str, title: str) -> list[str]:
    svg = re.search(rf'<svg[^>]*aria-label="{re.escape(title)}".*?</svg>', page, re.S)
    return [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg.group(0))]


def test_product_page_numbers(app, anon_client):
    with app.app_context():
        pid = seed_products(1)[0]
        _seed(pid, [
            ({"verdict": "prohibited", "product_version": "1.10", "jurisdiction": "EU", "deployment_month": "2024-03"},
             [_f(F1, "high"), _f(F2, "high"), _f(E1, "prohibited")]),
            ({"verdict": "high", "product_version": "1.2", "jurisdiction": "EU", "deployment_month": "2024-11"},
             [_f(F1, "high")]),
            ({"verdict": "high", "product_version": "1.2", "jurisdiction": "CN", "deployment_month": "2025-01"},
             [_f(F1, "high"), _f(G1, "medium")]),
            ({"verdict": "medium", "product_version": "", "jurisdiction": "UK", "deployment_month": "2025-06"},
             [_f(F3, "medium")]),
            ({"verdict": "medium", "product_version": "1.2", "jurisdiction": "EU", "deployment_month": "2025-07"},
             [_f(G1, "medium")]),
            ({"verdict": "low", "product_version": "1.10", "jurisdiction": "CN", "deployment_month": "2026-02"}, []),
        ])
        db.session.commit()
        stats = registry.product_stats(pid)
    assert stats["audits"] == 6
    assert dict(stats["verdicts"]) == {"prohibited": 1, "high": 2, "medium": 2, "low": 1}
    assert list(stats["versions"]) == ["", "1.2", "1.10"]
    assert list(stats["years"]) == ["2024", "2025", "2026"]
    facial = stats["by_category"]["facial-recognition"]
    assert facial == [{"rule_id": F1[0], "count": 3, "worst": "high"}, {"rule_id": F2[0], "count": 1, "worst": "high"},
                      {"rule_id": F3[0], "count": 1, "worst": "medium"}]
    assert stats["by_category"]["governance"] == [{"rule_id": G1[0], "count": 2, "worst": "medium"}]

    page = anon_client.get(f"/products/{pid}").text
    assert "Published audits</dt><dd>6</dd>" in page
    assert "China (mainland) (2), European Union (3), United Kingdom (1)" in page
    assert _bars(page, "Verdicts of all published audits") == [("prohibited", 1), ("high", 2), ("medium", 2),
                                                                ("low", 1)]
    assert _bars(page, "Verdicts by product version") == [("medium", 1), ("high", 2), ("medium", 1),
                                                           ("prohibited", 1), ("low", 1)]
    labels = _svg_texts(page, "Verdicts by product version")
    assert labels.index("version not given") < labels.index("1.2") < labels.index("1.10")
    assert _bars(page, "Verdicts by year of deployment") == [("prohibited", 1), ("high", 1), ("high", 1),
                                                              ("medium", 2), ("low", 1)]
    years = _svg_texts(page, "Verdicts by year of deployment")
    assert years.index("2024") < years.index("2025") < years.index("2026")
    # Findings by category: the most frequent first, with its count and share of the product's audits.
    with app.app_context():
        title = current_ruleset().rule(F1[0]).title["en"]
    assert re.search(rf"{re.escape(str(escape(title)))} <span[^>]*>{F1[0]}</span></td><td>3 \(50 %\)</td>", page)
    assert page.index(F1[0]) < page.index(F2[0]) < page.index(F3[0])
    assert f"{G1[0]}</span></td><td>2 (33 %)</td>" in page


# -- comparison ---------------------------------------------------------------------------------------

def _comparison_products(app) -> tuple[int, int]:
    with app.app_context():
        a, b = seed_products(2, per_vendor=1)
        _seed(a, [
            ({"verdict": "high", "jurisdiction": "EU"}, [_f(F1, "high"), _f(F2, "high")]),  # one audit, counted once
            ({"verdict": "critical", "jurisdiction": "EU"}, [_f(F1, "critical")]),
            ({"verdict": "high", "jurisdiction": "UK"}, [_f(F3, "medium"), _f(G1, "high")]),
            ({"verdict": "high", "jurisdiction": "EU"}, [_f(F1, "high")]),
        ])
        _seed(b, [
            ({"verdict": "prohibited", "jurisdiction": "CN"}, [_f(E1, "prohibited")]),
            ({"verdict": "medium", "jurisdiction": "CN"}, [_f(F3, "medium")]),
        ])
        db.session.commit()
        return a, b


def test_comparison_numbers(app, anon_client):
    a, b = _comparison_products(app)
    with app.app_context():
        rows = registry.comparison([b, a])
    assert [r["product"]["id"] for r in rows] == [b, a]  # in the order asked
    rb, ra = rows
    assert (ra["audits"], rb["audits"]) == (4, 2)
    assert ra["high_share"]["facial-recognition"] == 0.75
    assert ra["high_share"]["governance"] == 0.25
    assert ra["high_share"]["emotion-attention"] == 0
    assert rb["high_share"]["emotion-attention"] == 0.5
    assert rb["high_share"]["facial-recognition"] == 0  # a medium finding is not "high or worse"
    assert ra["top_findings"] == [{"rule_id": F1[0], "count": 3}] + sorted(
        [{"rule_id": r[0], "count": 1} for r in (F2, F3, G1)], key=lambda f: f["rule_id"])
    assert dict(ra["jurisdictions"]) == {"EU": 3, "UK": 1} and dict(rb["jurisdictions"]) == {"CN": 2}
    assert dict(ra["verdicts"]) == {"high": 3, "critical": 1}

    page = anon_client.get(f"/compare?p={a}&p={b}").text
    facial = escape(CATEGORY_LABELS["facial-recognition"]["en"])
    emotion = escape(CATEGORY_LABELS["emotion-attention"]["en"])
    assert f'<th scope="row">{facial}</th><td class="num">75 %</td><td class="num">0 %</td>' in page
    assert f'<th scope="row">{emotion}</th><td class="num">0 %</td><td class="num">50 %</td>' in page
    shares = re.findall(r'data-share="([\d.]+)" data-count="(\d+)"', page)
    assert ("0.7500", "3") in shares and ("0.2500", "1") in shares and ("0.5000", "1") in shares
    assert _bars(page, "Verdicts of published audits") == [("critical", 1), ("high", 3), ("prohibited", 1),
                                                           ("medium", 1)]
    top = re.search(r'<ol class="top-findings">(.*?)</ol>', page, re.S).group(1)
    with app.app_context():
        first = current_ruleset().rule(F1[0]).title["en"]
    assert top.startswith(f"<li>{escape(first)} (3)</li>")
    assert "European Union (3)<br>United Kingdom (1)" in page and "China (mainland) (2)" in page


def test_comparison_pdf_names_the_products(app, anon_client):
    a, b = _comparison_products(app)
    response = anon_client.get(f"/compare.pdf?p={a}&p={b}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    assert response.headers["Content-Disposition"] == "attachment; filename=eduaudit-comparison-en.pdf"
    reader = PdfReader(io.BytesIO(response.data))
    text = " ".join(page.extract_text() for page in reader.pages).replace("\n", " ")
    with app.app_context():
        names = [db.session.get(Product, i).name for i in (a, b)]
    for name in names:
        assert name in text
    assert "75 %" in text


def test_website_is_linked_only_when_http(app, anon_client):
    with app.app_context():
        ids = seed_products(4, per_vendor=1)
        seed_publications(ids, 4, organisation_id=school_id())
        websites = ["javascript:alert(document.cookie)", " JaVaScRiPt:alert(1)", "data:text/html,<script>x</script>",
                    "https://vendor.example/product?a=1&b=2"]
        for pid, website in zip(ids, websites, strict=True):
            db.session.get(Product, pid).website = website
        db.session.commit()
    for pid in ids[:3]:
        page = anon_client.get(f"/products/{pid}").text
        assert "alert(" not in page and "data:text/html" not in page
        assert not re.search(r'href="\s*(javascript|data):', page, re.I)
    page = anon_client.get(f"/products/{ids[3]}").text
    assert '<a href="https://vendor.example/product?a=1&amp;b=2" rel="nofollow noopener noreferrer">' in page


def test_the_start_form_suggests_published_and_own_products_only(app, accounts, client):
    with app.app_context():
        school, other = user(accounts["school"]), user(accounts["other_school"])
        reviewer = user(accounts["reviewer"])
        publish(reviewed_audit(other, reviewer, {"product_name": "Public Camera", "vendor_name": "Open Vision"}), other)
        reviewed_audit(other, None, {"product_name": "Secret Pilot", "vendor_name": "Hidden Labs"}, status="draft")
        reviewed_audit(school, None, {"product_name": "Our Own Draft", "vendor_name": "Home Vendor"}, status="draft")
        db.session.commit()
    page = client.get("/").text
    # The page names no product: the suggestions come from the search endpoint, one request per text typed.
    assert re.findall(r'<datalist id="(\w+)-known"></datalist>', page) == ["product_name", "vendor_name"]
    assert 'list="product_name-known"' in page and 'data-suggest="/products/suggest?field=product_name"' in page
    assert "Public Camera" not in page and "Secret Pilot" not in page

    def names(field, q=""):
        response = client.get("/products/suggest", query_string={"field": field, "q": q})
        assert response.status_code == 200 and response.mimetype == "application/json"
        return response.json["names"]

    assert names("product_name") == ["Our Own Draft", "Public Camera"]
    assert names("vendor_name") == ["Home Vendor", "Open Vision"]
    assert names("product_name", "  CAMERA ") == ["Public Camera"]
    assert names("product_name", "secret") == [] and names("vendor_name", "hidden") == []
    assert names("product_name", "%") == [] and names("product_name", "_") == []  # literal, not wildcards
    assert client.get("/products/suggest", query_string={"field": "email"}).status_code == 404


def test_name_suggestions_are_bounded_whatever_the_registry_size(app, client):
    with app.app_context():
        ids = seed_products(30, per_vendor=3)
        seed_publications(ids, 30, organisation_id=school_id())
        db.session.commit()
    response = client.get("/products/suggest", query_string={"field": "product_name", "q": "product"})
    assert len(response.json["names"]) == 10 == len(set(response.json["names"]))
    assert response.json["names"] == sorted(response.json["names"])


def test_name_suggestions_need_a_signed_in_user(anon_client):
    response = anon_client.get("/products/suggest", query_string={"field": "product_name"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_product_id_too_large_for_the_database_is_not_found_not_a_server_error(anon_client):
    # 2**63 overflowed the database driver (500) before ids in routes were bounded (app.routing.RowId).
    for url in ("/products/9223372036854775808", "/products/2147483648/export.json"):
        assert anon_client.get(url).status_code == 404


def test_the_comparison_pdf_renders_within_the_report_limits_once_then_from_the_store(app, anon_client, monkeypatch):
    from app.registry import jobs as registry_jobs

    a, b = _comparison_products(app)
    app.config["PDF_RENDER_TIMEOUT"] = 0.01  # it used to render inside the request, without any limit
    stopped = anon_client.get(f"/compare.pdf?p={a}&p={b}")
    assert stopped.status_code == 503 and "took too long" in stopped.text
    assert "The comparison PDF could not be produced" in stopped.text
    app.config["PDF_RENDER_TIMEOUT"] = 60.0
    first = anon_client.get(f"/compare.pdf?p={a}&p={b}")
    assert first.status_code == 200 and first.data.startswith(b"%PDF-")
    monkeypatch.setattr(registry_jobs, "render_pdf_limited", lambda *a, **k: pytest.fail("rendered again"))
    again = anon_client.get(f"/compare.pdf?p={a}&p={b}")
    assert again.status_code == 200 and again.data == first.data  # same comparison, from the store


