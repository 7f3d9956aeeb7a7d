"""What a comparison of products and the product pages show, as plain data: labels in the page's
language and the comparison's context, shared by the comparison page and the comparison PDF job.
Needs an app context (the rule set) and, for links, a request context."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import gettext as _

from .. import pagecache
from ..extensions import current_ruleset
from ..reports.texts import CATEGORY_LABELS, LEVEL_LABELS, LEVEL_LETTERS
from ..rules.schema import CATEGORIES, VERDICTS
from . import charts, services

ORDER = tuple(reversed(VERDICTS))


def level_letters(lang: str) -> dict[str, str]:
    return {level: marks[lang] for level, marks in LEVEL_LETTERS.items()}


def level_labels(lang: str) -> dict[str, str]:
    return {level: LEVEL_LABELS[level][lang] for level in VERDICTS}


def kind_label(category: str, lang: str) -> str:
    option = current_ruleset().questionnaire.questions["product_kind"].option(category)
    return option.label[lang] if option else category


def country_label(code: str | None, lang: str) -> str:
    option = current_ruleset().questionnaire.questions["vendor_country"].option(code) if code else None
    return option.label[lang] if option else ""


def jurisdiction_label(code: str, lang: str) -> str:
    option = current_ruleset().questionnaire.questions["jurisdiction"].option(code)
    return option.label[lang] if option else code


def rule_title(rule_id: str, lang: str) -> str:
    try:
        return current_ruleset().rule(rule_id).title[lang]
    except KeyError:
        return rule_id


def safe_url(value: str | None) -> str | None:
    """A website to link to: only http(s) addresses (a typed ``javascript:`` never becomes a link)."""
    return value if value and value.lower().startswith(("https://", "http://")) else None


def product_head(p: dict[str, Any], lang: str) -> dict[str, Any]:
    return {**p, "category_label": kind_label(p["category"], lang),
            "country_label": country_label(p["vendor_country"], lang), "website": safe_url(p["website"]),
            "url": url_for("registry.product", product_id=p["id"])}


def comparison_context(ids: list[int], lang: str) -> dict[str, Any]:
    """The comparison of the published products ``ids`` in ``lang``: ``products`` (head, audits, top
    findings, jurisdictions), ``ids`` (those found, in order), ``table`` (share of high findings per
    category) and the two charts (SVG markup). Fewer products than asked when some have no publication.

    Kept per process for the same products' state (:func:`services.comparison_state`, one statement,
    always read), language and rule set (rule titles); only when it is not kept are the registry's
    figures read (:func:`services.comparison`, five statements) and the labels and charts built. Nothing
    is invalidated by hand: a publication, a withdrawal or a changed product head gives another key."""
    state = services.comparison_state(ids)
    return pagecache.kept(("comparison", lang, current_ruleset().sha256, tuple(ids), state),
                          lambda: _context(services.comparison(ids), lang))


def _context(rows: list[dict[str, Any]], lang: str) -> dict[str, Any]:
    letters, labels = level_letters(lang), level_labels(lang)
    products = [{**product_head(r["product"], lang), "audits": r["audits"],
                 "top": [{"title": rule_title(f["rule_id"], lang), "rule_id": f["rule_id"], "count": f["count"]}
                         for f in r["top_findings"]],
                 "jurisdictions": [{"label": jurisdiction_label(j, lang), "count": n}
                                   for j, n in sorted(r["jurisdictions"].items())]} for r in rows]
    names = [f'{r["product"]["name"]} ({r["product"]["vendor"]})' for r in rows]
    share_rows = [(CATEGORY_LABELS[c][lang], [(names[i], r["high_share"][c], round(r["high_share"][c] * r["audits"]))
                                               for i, r in enumerate(rows)])
                  for c in CATEGORIES if any(r["high_share"][c] for r in rows)]
    table = [{"label": CATEGORY_LABELS[c][lang], "shares": [r["high_share"][c] for r in rows]} for c in CATEGORIES]
    return {
        "products": products, "ids": [r["product"]["id"] for r in rows], "table": table,
        "verdict_chart": charts.verdict_bars(
            prefix="cmp-verdicts", title=_("Verdicts of published audits"), order=ORDER, letters=letters, labels=labels,
            rows=[(n, r["verdicts"]) for n, r in zip(names, rows, strict=True)]),
        "share_chart": charts.share_bars(
            prefix="cmp-shares", title=_("Share of audits with a high, critical or prohibited finding"),
            rows=share_rows) if share_rows else None,
    }
