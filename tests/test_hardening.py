"""Smaller hardening items: source links in the rule data are https on the issuer's own site
(checked by ``rules check``), and signed-in users' pages are never stored by the browser."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from app.cli import main
from app.rules.loader import load_ruleset
from tests.rulesdir import make_rules_dir

PIPL_URL = "https://www.npc.gov.cn/npc/c30834/202108/a8c4e3672c74491a80b53a172bb753fe.shtml"


@pytest.mark.parametrize("url,message", [
    ("http://www.npc.gov.cn/npc/c30834/202108/a8c4e3672c74491a80b53a172bb753fe.shtml",
     "[source pipl]: the link must be https:// on the issuer's own site, not http://www.npc.gov.cn/"),
    ("https://en.npc.gov.cn.cdurl.cn/2021-12/29/c_694559_2.htm",
     "[source pipl]: the link goes through en.npc.gov.cn.cdurl.cn, a mirror or redirect host"),
])
def test_rules_check_refuses_plain_http_and_redirect_source_links(tmp_path, url, message):
    root = make_rules_dir(tmp_path)
    sources = root / "sources.yaml"
    sources.write_text(sources.read_text(encoding="utf-8").replace(PIPL_URL, url), encoding="utf-8")
    result = CliRunner().invoke(main, ["rules", "check", "--rules-dir", str(root)])
    assert result.exit_code == 1, result.output
    assert "audit_rules/sources.yaml " + message in result.output


def test_every_source_link_of_the_repository_is_https():
    ruleset = load_ruleset()
    assert ruleset.sources["pipl"].url == PIPL_URL
    assert [s.id for s in ruleset.sources.values() if s.url and not s.url.startswith("https://")] == []


def test_pages_of_a_signed_in_user_are_not_stored(client):
    for path in ("/", "/verify", "/products"):
        response = client.get(path)
        assert response.status_code == 200 and response.mimetype == "text/html", path
        assert response.headers["Cache-Control"] == "private, no-store", path


def test_public_pages_of_a_visitor_may_be_stored(anon_client):
    response = anon_client.get("/verify")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
