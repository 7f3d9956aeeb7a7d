"""Charts that speak: every SVG chart on the results, product and comparison pages comes with a summary
and its data as a table, whose numbers are the chart's own; legends are text lists, not pictures."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
import scenario
import sqlalchemy as sa
from registry_helpers import publish, reviewed_audit, user

from app.extensions import db
from app.models import Product


class _Page(HTMLParser):
    """The charts of a page: each SVG's ``data-*`` numbers by element, and each chart table's cells."""

    def __init__(self):
        super().__init__()
        self.svgs: list[dict] = []  # {"describedby", "cells": [attrs of elements with data-count]}
        self.tables: dict[str, list[list[str]]] = {}
        self.summaries: dict[str, str] = {}
        self.legends = 0
        self._svg = self._table = self._row = self._summary = None
        self._depth = 0
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg" and self._svg is None and "aria-describedby" in a:
            self._svg = {"describedby": a["aria-describedby"], "role": a.get("role"), "cells": []}
            self.svgs.append(self._svg)
            self._depth = 0
        if tag == "svg" and self._svg is not None:
            self._depth += 1
        if self._svg is not None and "data-count" in a:
            self._svg["cells"].append(a)
        if tag == "table" and "data-chart" in a:
            self._table = self.tables.setdefault(a["data-chart"], [])
        if self._table is not None and tag == "tr":
            self._row = []
            self._table.append(self._row)
        if self._row is not None and tag in ("td", "th"):
            self._cell = []
        if tag == "p" and (a.get("id") or "").endswith("-summary"):
            self._summary = a["id"]
            self.summaries[self._summary] = ""
        if tag == "ul" and a.get("class") == "chart-legend":
            self.legends += 1

    def handle_endtag(self, tag):
        if tag == "svg" and self._svg is not None:
            self._depth -= 1
            if self._depth == 0:
                self._svg = None
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        if tag == "tr":
            self._row = None
        if tag == "table":
            self._table = None
        if tag == "p":
            self._summary = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._summary is not None:
            self.summaries[self._summary] += data


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_risk_maps_and_category_chart_carry_their_numbers_as_text(app, client, lang):
    with app.app_context():
        report_id = scenario.make_audit("complete")
    html = client.get(f"/audits/{report_id}/results", headers={"Accept-Language": lang}).text
    page = _parse(html)
    charts = {svg["describedby"]: svg for svg in page.svgs}
    assert set(charts) == {"rm-inherent-summary", "rm-residual-summary", "rm-bars-summary"}
    for prefix in ("rm-inherent", "rm-residual"):
        cells = charts[f"{prefix}-summary"]["cells"]
        table = page.tables[prefix]
        body = table[1:]
        assert len(body) == 4 and all(len(row) == 5 for row in body)
        # rows: most severe first; columns: likelihood 0..3, as the map draws them
        from_table = {(3 - r, li): int(body[r][li + 1]) for r in range(4) for li in range(4)}
        from_svg = {(int(c["data-severity"]), int(c["data-likelihood"])): int(c["data-count"]) for c in cells}
        assert from_table == from_svg
        total = sum(from_svg.values())
        assert total > 5  # the realistic audit has many findings
        assert re.search(rf"\b{total}\b", page.summaries[f"{prefix}-summary"])
    segments = charts["rm-bars-summary"]["cells"]
    bars = page.tables["rm-bars"][1:]
    assert sum(int(row[-1]) for row in bars) == sum(int(s["data-count"]) for s in segments)
    assert sorted(int(n) for row in bars for n in row[1:-1] if n != "0") == sorted(
        int(s["data-count"]) for s in segments)
    assert page.legends == 1 and 'aria-hidden="true" font-family' not in html  # no legend picture any more


def test_the_product_page_s_verdicts_by_version_and_year_exist_as_text(app, accounts, anon_client):
    with app.app_context():
        school, reviewer = user(accounts["school"]), user(accounts["reviewer"])
        for version in ("1.0", "1.0", "2.0"):
            publish(reviewed_audit(school, reviewer, {"product_version": version}), school)
        db.session.commit()
        product_id = db.session.scalar(sa.select(Product.id))
    page = _parse(anon_client.get(f"/products/{product_id}").text)
    assert {svg["describedby"] for svg in page.svgs} == {"all-summary", "versions-summary", "years-summary"}
    for svg in page.svgs:
        prefix = svg["describedby"].removesuffix("-summary")
        body = page.tables[prefix][1:]
        drawn = sum(int(c["data-count"]) for c in svg["cells"])
        assert sum(int(row[-1]) for row in body) == drawn == 3
        assert sorted(int(n) for row in body for n in row[1:-1] if n != "0") == sorted(
            int(c["data-count"]) for c in svg["cells"])
        assert re.search(r"\b3 published audits\b", page.summaries[svg["describedby"]])
    versions = {row[0]: int(row[-1]) for row in page.tables["versions"][1:]}
    assert versions == {"1.0": 2, "2.0": 1}
    assert page.legends == 3

