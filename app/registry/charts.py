"""SVG charts of the registry pages: verdict distributions and per-category shares.

Product names are user text: they are escaped (:func:`app.reports.charts._text`). Every bar carries
``data-*`` attributes with its numbers; levels have patterns and marks as in the report, so the
charts read in greyscale.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from markupsafe import Markup, escape

from ..reports.charts import INK, _patterns, _text, _width

BAR_W = 260.0
ROW_H = 16.0


def share_bars(*, prefix: str, title: str, rows: Sequence[tuple[str, Sequence[tuple[str, float, int]]]]) -> Markup:
    """Grouped horizontal bars: for each category label, one bar per product with its share (0..1).
    ``prefix`` keeps the pattern ids of several charts on one page apart.

    ``rows``: ``(category label, [(product label, share, audits with such a finding), ...])``.
    """
    label_w = max([_width(label, 8) for label, _ in rows] + [_width(p, 7.5) for _, bars in rows for p, _s, _n in bars]
                  + [40]) + 10
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
    return Markup(f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" class="chart" '
                  f'width="{width:g}" height="{y:g}" viewBox="0 0 {width:g} {y:g}">{_patterns(prefix)}'
                  + "".join(parts) + "</svg>")


def verdict_bars(*, prefix: str, title: str, rows: Sequence[tuple[str, Mapping[str, int]]], order: Sequence[str],
                 letters: Mapping[str, str], labels: Mapping[str, str]) -> Markup:
    """One 100 % stacked bar per row (a product, a version, a year): the share of each verdict.

    ``rows``: ``(label, {verdict: count})``; ``order``: verdicts from most to least serious.
    """
    label_w = max([_width(label, 8) for label, _ in rows] + [40]) + 10
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
            if w >= 14:
                parts.append(_text(x + 2, y + 11, f"{letters[level]} {n}", size=7, weight="700",
                                   fill="#ffffff" if level == "prohibited" else INK))
            x += w
        parts.append(_text(label_w + BAR_W + 6, y + 11, str(sum(counts.values())), size=7.5))
        y += 18
    legend_x, y = 0.0, y + 4
    for level in order:
        parts.append(f'<rect x="{legend_x:g}" y="{y:g}" width="14" height="10" fill="url(#{prefix}-{level})" '
                     f'stroke="{INK}" stroke-width="0.5"/>')
        parts.append(_text(legend_x + 17, y + 8.5, f"{letters[level]} {labels[level]}", size=7))
        legend_x += 17 + _width(f"{letters[level]} {labels[level]}", 7) + 12
    y += 16
    width = max(label_w + BAR_W + 40, legend_x)
    return Markup(f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" class="chart" '
                  f'width="{width:g}" height="{y:g}" viewBox="0 0 {width:g} {y:g}">{_patterns(prefix)}'
                  + "".join(parts) + "</svg>")
