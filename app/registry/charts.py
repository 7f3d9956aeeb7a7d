"""SVG charts of the registry pages: verdict distributions and per-category shares.

Product names are user text: they are escaped (:func:`app.reports.charts._text`). Every bar carries
``data-*`` attributes with its numbers; levels have patterns and marks as in the report, so the
charts read in greyscale; a bar's label sits on a white tab, never on the pattern. Each chart comes with
its text equivalent (:func:`app.reports.charts.chart_text`: a summary and the data as a table) and a
verdict chart with its legend as a text list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from flask_babel import gettext as _
from markupsafe import Markup, escape

from ..i18n import LIST_SEPARATOR, ui_lang
from ..reports.charts import INK, _patterns, _text, _width, chart_text, legend

BAR_W = 260.0
ROW_H = 16.0


def share_bars(*, prefix: str, title: str, rows: Sequence[tuple[str, Sequence[tuple[str, float, int]]]]) -> Markup:
    """Grouped horizontal bars: for each category label, one bar per product with its share (0..1).
    ``prefix`` keeps the pattern ids of several charts on one page apart.

    ``rows``: ``(category label, [(product label, share, audits with such a finding), ...])``.
    """
    label_w = max([_width(label, 8) for label, _counts in rows]
                  + [_width(p, 7.5) for _label, bars in rows for p, _s, _n in bars] + [40]) + 10
    y, parts = 18.0, [_text(0, 11, title, size=9, weight="700")]
    for label, bars in rows:
        parts.append(_text(0, y + 10, label, size=8, weight="700"))
        y += 14
        for product, share, count in bars:
            width = BAR_W * max(0.0, min(1.0, share))
            parts.append(_text(8, y + 10, product, size=7.5))
            parts.append(f'<rect x="{label_w:g}" y="{y + 2:g}" width="{BAR_W:g}" height="{ROW_H - 5:g}" fill="#ffffff" '
                         f'stroke="{INK}" stroke-width="0.4"/>')
            parts.append(f'<rect x="{label_w:g}" y="{y + 2:g}" width="{width:.1f}" height="{ROW_H - 5:g}" '
                         f'fill="url(#{prefix}-high)" stroke="{INK}" stroke-width="0.4" data-share="{share:.4f}" '
                         f'data-count="{count}"/>')
            parts.append(_text(label_w + BAR_W + 6, y + 10, f"{share * 100:.0f} % ({count})", size=7.5))
            y += ROW_H
        y += 4
    width = label_w + BAR_W + 70
    products = {p for _label, bars in rows for p, _s, _n in bars}
    summary = _("%(title)s: the share of audits with such a finding, %(categories)d categories, %(products)d "
                "products.", title=title, categories=len(rows), products=len(products))
    table = [(label, [product, f"{share * 100:.0f} %", count])
             for label, bars in rows for product, share, count in bars]
    return Markup(f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
                  f'aria-describedby="{prefix}-summary" class="chart" '
                  f'width="{width:g}" height="{y:g}" viewBox="0 0 {width:g} {y:g}">{_patterns(prefix)}'
                  + "".join(parts) + "</svg>") + chart_text(
        prefix=prefix, summary=summary, caption=title, rows=table,
        columns=[_("Category"), _("Product"), _("Share"), _("Audits with such a finding")])


def verdict_bars(*, prefix: str, title: str, rows: Sequence[tuple[str, Mapping[str, int]]], order: Sequence[str],
                 letters: Mapping[str, str], labels: Mapping[str, str]) -> Markup:
    """One 100 % stacked bar per row (a product, a version, a year): the share of each verdict.

    ``rows``: ``(label, {verdict: count})``; ``order``: verdicts from most to least serious.
    """
    label_w = max([_width(label, 8) for label, _counts in rows] + [40]) + 10
    y, parts = 18.0, [_text(0, 11, title, size=9, weight="700")]
    for label, counts in rows:
        total = sum(counts.values()) or 1
        parts.append(_text(0, y + 11, label, size=8))
        x = label_w
        for level in order:
            n = counts.get(level, 0)
            if not n:
                continue
            w = BAR_W * n / total
            parts.append(f'<rect x="{x:.1f}" y="{y + 2:g}" width="{w:.1f}" height="12" fill="url(#{prefix}-{level})" '
                         f'stroke="{INK}" stroke-width="0.5" data-level="{level}" data-count="{n}"/>')
            tab = f"{letters[level]} {n}"
            tab_w = _width(tab, 7) + 4
            if w >= tab_w + 2:  # the label on a white tab in the segment, never on the pattern itself
                parts.append(f'<rect x="{x + 1:.1f}" y="{y + 4:g}" width="{tab_w:g}" height="9" fill="#ffffff"/>')
                parts.append(_text(x + 3, y + 11, tab, size=7, weight="700"))
            x += w
        parts.append(_text(label_w + BAR_W + 6, y + 11, str(sum(counts.values())), size=7.5))
        y += 18
    width = label_w + BAR_W + 40
    totals = {level: sum(counts.get(level, 0) for _label, counts in rows) for level in order}
    by_verdict = LIST_SEPARATOR[ui_lang()].join(f"{labels[level]} {n}" for level, n in totals.items() if n) or _("none")
    summary = _("%(title)s: %(total)d published audits in %(rows)d groups; by verdict: %(verdicts)s.", title=title,
                total=sum(totals.values()), rows=len(rows), verdicts=by_verdict)
    table = [(label, [counts.get(level, 0) for level in order] + [sum(counts.values())]) for label, counts in rows]
    svg = Markup(f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
                 f'aria-describedby="{prefix}-summary" class="chart" '
                 f'width="{width:g}" height="{y:g}" viewBox="0 0 {width:g} {y:g}">{_patterns(prefix)}'
                 + "".join(parts) + "</svg>")
    return (svg + legend(prefix=f"{prefix}-legend", letters=letters, items=[(lv, labels[lv]) for lv in order])
            + chart_text(prefix=prefix, summary=summary, caption=title, rows=table,
                         columns=[_("Group"), *(labels[level] for level in order), _("Total")]))
