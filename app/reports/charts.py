"""Inline SVG charts for the report, drawn server-side from numbers and fixed labels only.

No user text ever reaches these functions: their inputs are counts, level ids and the report's own
localised labels (which are escaped all the same). Each level has a fill pattern as well as a colour
(plain, dots, hatching, cross-hatching, solid black) and a one-character mark, so the charts read in
greyscale. Every cell and bar segment carries ``data-*`` attributes with its numbers, for tests and
for anyone reading the markup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from markupsafe import Markup, escape

FONT = "Noto Sans, DejaVu Sans, Noto Sans CJK SC, sans-serif"
INK = "#1b1f23"
COLOURS = {"low": "#2f6b33", "medium": "#7a5d00", "high": "#a34a00", "critical": "#a1001c", "prohibited": "#000000"}
TINTS = {"low": "#ffffff", "medium": "#fff7dc", "high": "#fde9db", "critical": "#f9dde2", "prohibited": "#000000"}


def _patterns(prefix: str) -> str:
    """One ``<pattern>`` per level: low plain, medium dots, high hatching, critical cross-hatching."""
    c, t = COLOURS, TINTS
    return (
        "<defs>"
        f'<pattern id="{prefix}-low" width="6" height="6" patternUnits="userSpaceOnUse">'
        f'<rect width="6" height="6" fill="{t["low"]}"/></pattern>'
        f'<pattern id="{prefix}-medium" width="6" height="6" patternUnits="userSpaceOnUse">'
        f'<rect width="6" height="6" fill="{t["medium"]}"/><circle cx="3" cy="3" r="1.1" fill="{c["medium"]}"/>'
        "</pattern>"
        f'<pattern id="{prefix}-high" width="6" height="6" patternUnits="userSpaceOnUse">'
        f'<rect width="6" height="6" fill="{t["high"]}"/>'
        f'<path d="M0,6 L6,0 M-1.5,1.5 L1.5,-1.5 M4.5,7.5 L7.5,4.5" stroke="{c["high"]}" stroke-width="1.1"/>'
        "</pattern>"
        f'<pattern id="{prefix}-critical" width="5" height="5" patternUnits="userSpaceOnUse">'
        f'<rect width="5" height="5" fill="{t["critical"]}"/>'
        f'<path d="M0,5 L5,0 M-1,1 L1,-1 M4,6 L6,4 M0,0 L5,5 M-1,4 L1,6 M4,-1 L6,1" '
        f'stroke="{c["critical"]}" stroke-width="1"/></pattern>'
        f'<pattern id="{prefix}-prohibited" width="6" height="6" patternUnits="userSpaceOnUse">'
        f'<rect width="6" height="6" fill="{c["prohibited"]}"/></pattern>'
        "</defs>"
    )


def _width(label: str, size: float) -> float:
    """A rough width of ``label`` at ``size``: CJK characters are square, Latin ones about half as wide."""
    return sum(size if ord(ch) > 0x2E80 else size * 0.56 for ch in label)


def _mark(x: float, y: float, letter: str, level: str) -> str:
    """The level's mark in the top-left corner of a cell, on a white tab so it reads over the pattern."""
    w = _width(letter, 7) + 3
    if level == "prohibited":
        return _text(x + 2.5, y + 8.5, letter, size=7, weight="700", fill="#ffffff")
    return (f'<rect x="{x + 0.6:g}" y="{y + 0.6:g}" width="{w:g}" height="10" fill="#ffffff" stroke="{INK}" '
            f'stroke-width="0.3"/>' + _text(x + 2, y + 8.5, letter, size=7, weight="700", fill=COLOURS[level]))


def _text(x: float, y: float, label: str, *, size: float = 8, anchor: str = "start", weight: str = "400",
          fill: str = INK, extra: str = "") -> str:
    return (f'<text x="{x:g}" y="{y:g}" font-size="{size:g}" font-weight="{weight}" text-anchor="{anchor}" '
            f'fill="{fill}"{extra}>{escape(label)}</text>')


def heat_map(*, prefix: str, title: str, counts: Mapping[tuple[int, int], int],
             levels: Sequence[Sequence[str]], scale_labels: Sequence[str], letters: Mapping[str, str],
             severity_label: str, likelihood_label: str) -> Markup:
    """A 4 × 4 severity × likelihood map (CNIL scale), most severe row on top.

    ``counts[(s, l)]`` is the number of findings at severity index ``s`` and likelihood index ``l``
    (0 = negligible .. 3 = maximum); ``levels[s][l]`` the risk level of that cell from the matrix;
    ``letters`` a one-character mark per level. ``prefix`` keeps the pattern ids unique in the page.
    """
    n = len(scale_labels)
    left, top, cell_w, cell_h = 78, 20, 52, 34
    width, height = left + n * cell_w + 4, top + n * cell_h + 34
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart--heat" viewBox="0 0 {width} {height}" '
             f'role="img" aria-labelledby="{prefix}-title" aria-describedby="{prefix}-summary" font-family="{FONT}">',
             f'<title id="{prefix}-title">{escape(title)}</title>', _patterns(prefix),
             _text(left + n * cell_w / 2, 12, title, size=10, anchor="middle", weight="700")]
    for row in range(n):
        s = n - 1 - row  # most severe on top
        y = top + row * cell_h
        parts.append(_text(left - 5, y + cell_h / 2 + 3, scale_labels[s], anchor="end"))
        for li in range(n):
            x = left + li * cell_w
            level, count = levels[s][li], counts.get((s, li), 0)
            parts.append(f'<g class="cell" data-severity="{s}" data-likelihood="{li}" data-level="{level}" '
                         f'data-count="{count}">')
            parts.append(f'<rect x="{x}" y="{y}" width="{cell_w}" height="{cell_h}" fill="url(#{prefix}-{level})" '
                         f'stroke="{INK}" stroke-width="0.6"/>')
            parts.append(_mark(x, y, letters[level], level))
            if count:
                cx, cy = x + cell_w / 2, y + cell_h / 2
                parts.append(f'<circle cx="{cx:g}" cy="{cy:g}" r="9.5" fill="#ffffff" stroke="{INK}" '
                             f'stroke-width="1"/>')
                parts.append(_text(cx, cy + 4, str(count), size=11, anchor="middle", weight="700"))
            parts.append("</g>")
    base = top + n * cell_h
    for li in range(n):
        parts.append(_text(left + li * cell_w + cell_w / 2, base + 11, scale_labels[li], anchor="middle"))
    parts.append(_text(left + n * cell_w / 2, base + 26, likelihood_label + " →", size=8.5, anchor="middle",
                       weight="700"))
    parts.append(_text(12, top + n * cell_h / 2, severity_label + " →", size=8.5, anchor="middle", weight="700",
                       extra=f' transform="rotate(-90 12 {top + n * cell_h / 2:g})"'))
    parts.append("</svg>")
    return Markup("".join(parts))


def category_bars(*, prefix: str, title: str, rows: Sequence[tuple[str, Mapping[str, int]]],
                  order: Sequence[str], letters: Mapping[str, str]) -> Markup:
    """Stacked horizontal bars: one bar per category, one segment per level, count written in it.

    ``rows`` are ``(category label, {level: count})`` in display order; ``order`` the levels from
    most to least serious. Segments are a whole number of units wide, so counts can be read off.
    """
    label_w, bar_w, row_h, top = 170, 330, 14, 18
    most = max((sum(c.values()) for _label, c in rows), default=1) or 1
    unit = min(bar_w / most, 40)
    width, height = label_w + bar_w + 30, top + len(rows) * row_h + 4
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart--bars" viewBox="0 0 {width} {height}" '
             f'role="img" aria-labelledby="{prefix}-title" aria-describedby="{prefix}-summary" font-family="{FONT}">',
             f'<title id="{prefix}-title">{escape(title)}</title>', _patterns(prefix)]
    for i, (label, counts) in enumerate(rows):
        y = top + i * row_h
        parts.append(_text(label_w - 6, y + 10, label, anchor="end"))
        x = float(label_w)
        for level in order:
            count = counts.get(level, 0)
            if not count:
                continue
            w = count * unit
            parts.append(f'<g class="segment" data-level="{level}" data-count="{count}">')
            parts.append(f'<rect x="{x:g}" y="{y + 1}" width="{w:g}" height="{row_h - 2}" '
                         f'fill="url(#{prefix}-{level})" stroke="{INK}" stroke-width="0.6"/>')
            fill = "#ffffff" if level == "prohibited" else INK
            mark = f"{letters[level]}{count}" if w >= _width(f"{letters[level]}{count}", 7.5) + 6 else str(count)
            box_w = _width(mark, 7.5) + 4
            box = "" if level == "prohibited" else (
                f'<rect x="{x + w / 2 - box_w / 2:g}" y="{y + 2.5}" width="{box_w:g}" height="{row_h - 5}" '
                f'fill="#ffffff"/>')
            parts.append(box + _text(x + w / 2, y + 10, mark, size=7.5, anchor="middle", weight="700", fill=fill))
            parts.append("</g>")
            x += w
        parts.append(_text(x + 4, y + 10, str(sum(counts.values())), size=8, weight="700"))
    parts.append(_text(0, 11, title, size=10, weight="700"))
    parts.append("</svg>")
    return Markup("".join(parts))


def legend(*, prefix: str, items: Sequence[tuple[str, str]], letters: Mapping[str, str]) -> Markup:
    """A one-line legend as a text list: each item a small swatch (its pattern and mark, hidden from
    screen readers) and the level's mark and name in words."""
    parts = []
    for level, label in items:
        swatch_id = f"{prefix}-{level}"
        swatch = (f'<svg xmlns="http://www.w3.org/2000/svg" class="legend__swatch" viewBox="0 0 23 14" width="23" '
                  f'height="14" aria-hidden="true" focusable="false">{_patterns(swatch_id)}'
                  f'<rect x="0.3" y="0.3" width="22.4" height="13.4" fill="url(#{swatch_id}-{level})" stroke="{INK}" '
                  f'stroke-width="0.6"/>{_mark(0, 1, letters[level], level)}</svg>')
        parts.append(f'<li>{swatch} <span class="legend__mark">{escape(letters[level])}</span> {escape(label)}</li>')
    return Markup(f'<ul class="chart-legend">{"".join(parts)}</ul>')


def chart_text(*, prefix: str, summary: str, caption: str, columns: Sequence[str],
               rows: Sequence[tuple[str, Sequence[object]]]) -> Markup:
    """A chart's text equivalent: a one-sentence ``summary`` (id ``{prefix}-summary``, which the chart's
    ``aria-describedby`` names) and the chart's data as a table (``columns``: the header row, its first
    cell over the row labels; ``rows``: ``(row label, cells)``). Visually hidden on screen and left out
    of print: it is there for screen readers, the chart for the eye."""
    head = "".join(f'<th scope="col">{escape(c)}</th>' for c in columns)
    body = "".join(f'<tr><th scope="row">{escape(label)}</th>' + "".join(f"<td>{escape(c)}</td>" for c in cells)
                   + "</tr>" for label, cells in rows)
    return Markup(f'<div class="chart-text visually-hidden"><p id="{prefix}-summary">{escape(summary)}</p>'
                  f'<table class="chart-data" data-chart="{prefix}"><caption>{escape(caption)}</caption>'
                  f'<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>')
