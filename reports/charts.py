"""Bar charts drawn on the server as inline SVG: no CDN, no script, nothing to load.

The content security policy forbids inline styles, so everything a chart needs is a
presentation attribute (fill, stroke, font-size) or a class from static/harbor.css.
Each series differs by colour and by pattern, so a chart printed in grey still reads;
every colour has at least 3:1 contrast against white (4.5:1 for text).

The viewBox is narrow (360 units) and the CSS draws it at the width of its box, so at
375 px a 14-unit label is still about 13 px tall; each category's name sits on its own
line above its bars, so long names never squeeze the bars.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, gettext_noop

# English msgids, shown through gettext: the chart speaks the request's language, its
# numbers written as that language writes them (1,234.5 or 1.234,5).
NO_DATA_TEXT = gettext_noop("No data for these filters")
SMALL_TEXT = gettext_noop("not shown")

# Colour and pattern pairs, in series order. Contrast against white: 8.9, 3.9, 3.4, 8.6,
# 5.9 and 7.7 to 1 (tests/reports/test_charts.py recomputes them).
COLOURS = ("#0b4f6c", "#d55e00", "#009e73", "#762a83", "#c2185b", "#4a5460")
PATTERNS = ("solid", "diagonal", "dots", "crosshatch", "horizontal", "vertical")
INK = "#1b1f24"  # 16.6:1
MUTED = "#4a5460"  # 7.7:1
AXIS = "#4a5460"

WIDTH = 360
PAD = 8
FONT = 14
VALUE_FONT = 13
LINE = 18  # a category name's line
BAR = 16
BAR_GAP = 4
GROUP_GAP = 14
LEGEND_ROW = 22
SWATCH = 14
CHAR = 0.6  # a generous average glyph width, in ems, for laying out text we cannot measure

_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")


@dataclass(frozen=True)
class Series:
    name: str
    # None = not shown (a median beside a count below 11): no bar, suppressed_text instead.
    values: tuple[int | float | None, ...]


def bar_chart(
    *,
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    unit: str = "",
    chart_id: str,
    description: str = "",
    suppressed_text: str = SMALL_TEXT,
) -> SafeString:
    """A horizontal bar chart, one group of bars per category and one bar per series.

    `suppressed_text` is printed where a value is None (a statistic not shown), as the
    table the bars come from prints it.
    """
    categories = _checked(chart_id, categories, series)
    suppressed_text = gettext(suppressed_text)
    values = [v for s in series for v in s.values]
    if not any(v is None or v > 0 for v in values):
        return _empty(title=title, chart_id=chart_id, description=description)

    def label(value: int | float | None) -> str:
        return suppressed_text if value is None else _number(value, unit)

    largest = max((float(v) for v in values if v is not None), default=0.0)
    label_room = min(
        WIDTH / 2,
        max(_text_width(label(v), VALUE_FONT) for v in values) + 2 * BAR_GAP,
    )
    scale = (WIDTH - 2 * PAD - label_room) / largest if largest else 0.0

    parts: list[SafeString] = []
    defs = [_pattern(chart_id, k) for k in range(len(series)) if _pattern_of(k) != "solid"]
    if defs:
        parts.append(format_html("<defs>{}</defs>", mark_safe("".join(defs))))

    y: float = PAD
    if len(series) > 1:
        legend, y = _legend(chart_id, series, y)
        parts.append(legend)
        y += BAR_GAP

    bars, bottom = _groups(chart_id, categories, series, y, scale, label)
    parts += [*bars, _axis(y, bottom - GROUP_GAP + BAR_GAP)]
    height = bottom - GROUP_GAP + PAD

    if not description:
        description = _describe(categories, series, label)
    return _svg(
        chart_id=chart_id,
        title=title,
        description=description,
        height=height,
        body=mark_safe("".join(parts)),
    )


def _checked(chart_id: str, categories: Sequence[str], series: Sequence[Series]) -> list[str]:
    """The category names, once the id is safe and every series has a count per category."""
    if not _ID.match(chart_id):
        raise ValueError(f"chart_id must be a letter then letters, digits, - or _: {chart_id!r}")
    names = [str(c) for c in categories]
    for s in series:
        if len(s.values) != len(names):
            raise ValueError(
                f"series {s.name!r} has {len(s.values)} values for {len(names)} categories"
            )
        for v in s.values:
            if v is not None and (isinstance(v, bool) or not math.isfinite(v) or v < 0):
                raise ValueError(f"series {s.name!r} has a value that is not a count: {v!r}")
    return names


def _groups(
    chart_id: str, categories: list[str], series: Sequence[Series], y: float, scale: float,
    label: Callable[[int | float | None], str],
) -> tuple[list[SafeString], float]:  # fmt: skip
    """Each category's name over its bars, from `y` down; and where they end."""
    parts: list[SafeString] = []
    for index, category in enumerate(categories):
        text, y = _lines("chart-category", category, PAD, y, WIDTH - 2 * PAD)
        parts.append(text)
        y += 2
        for k, s in enumerate(series):
            bar = _Bar(chart_id, k, s.name, category, s.values[index], y)
            parts += bar.drawn(scale, label) if bar.value is not None else bar.withheld(label)
            y += BAR + BAR_GAP
        y += GROUP_GAP - BAR_GAP
    return parts, y


def _axis(top: float, bottom: float) -> SafeString:
    return format_html(
        '<line class="chart-axis" x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="1"/>',
        PAD,
        _n(top),
        PAD,
        _n(bottom),
        AXIS,
    )


@dataclass(frozen=True)
class _Bar:
    """One series' bar for one category, its top at `y`."""

    chart_id: str
    k: int  # the series' place: its colour and pattern
    series: str
    category: str
    value: int | float | None
    y: float

    def drawn(self, scale: float, label: Callable[[int | float | None], str]) -> list[SafeString]:
        """The bar, as long as its value, and the value written after it."""
        assert self.value is not None
        width = float(self.value) * scale
        return [
            format_html(
                '<rect class="chart-bar" x="{}" y="{}" width="{}" height="{}" fill="{}"'
                ' stroke="{}" stroke-width="1" data-series="{}" data-category="{}"'
                ' data-value="{}"/>',
                PAD,
                _n(self.y),
                _n(width),
                BAR,
                _fill(self.chart_id, self.k),
                _colour(self.k),
                self.series,
                self.category,
                _n(self.value),
            ),
            format_html(
                '<text class="chart-value" x="{}" y="{}" font-size="{}" fill="{}">{}</text>',
                _n(PAD + width + BAR_GAP + 1),
                _n(self.y + BAR - 3.5),
                VALUE_FONT,
                INK,
                label(self.value),
            ),
        ]

    def withheld(self, label: Callable[[int | float | None], str]) -> list[SafeString]:
        """No bar for a withheld value: the series' swatch and the words instead."""
        return [
            _swatch(self.chart_id, self.k, PAD + 2, self.y + 3, BAR - 6),
            format_html(
                '<text class="chart-suppressed" x="{}" y="{}" font-size="{}" fill="{}"'
                ' font-style="italic" data-series="{}" data-category="{}">{}</text>',
                PAD + BAR,
                _n(self.y + BAR - 3.5),
                VALUE_FONT,
                MUTED,
                self.series,
                self.category,
                label(None),
            ),
        ]


# ---------------------------------------------------------------------------
# Pieces.


def _svg(
    *, chart_id: str, title: str, description: str, height: float, body: SafeString
) -> SafeString:
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{id}" role="img"'
        ' aria-labelledby="{id}-title {id}-desc" viewBox="0 0 {w} {h}" width="{w}"'
        ' height="{h}" font-family="system-ui, sans-serif">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>{body}</svg>',
        id=chart_id,
        w=WIDTH,
        h=_n(height),
        title=title,
        desc=description,
        body=body,
    )


def _empty(*, title: str, chart_id: str, description: str) -> SafeString:
    body = format_html(
        '<text class="chart-empty" x="{}" y="{}" font-size="{}" fill="{}"'
        ' text-anchor="middle">{}</text>',
        WIDTH // 2,
        PAD + 2 * FONT,
        FONT + 2,
        MUTED,
        gettext(NO_DATA_TEXT),
    )
    return _svg(
        chart_id=chart_id,
        title=title,
        description=description or gettext(NO_DATA_TEXT),
        height=2 * PAD + 3 * FONT,
        body=body,
    )


def _colour(k: int) -> str:
    return COLOURS[k % len(COLOURS)]


def _pattern_of(k: int) -> str:
    # After six series the colours repeat, shifted against the patterns: series 6 is
    # the first colour with the second pattern, never a copy of series 0.
    return PATTERNS[(k + k // len(COLOURS)) % len(PATTERNS)]


def _fill(chart_id: str, k: int) -> str:
    if _pattern_of(k) == "solid":
        return _colour(k)
    return f"url(#{chart_id}-pattern-{k})"


def _pattern(chart_id: str, k: int) -> str:
    """White marks over the series colour: a second cue for print and colour blindness."""
    mark = {
        "diagonal": '<path d="M-1 1l2-2M0 6l6-6M5 7l2-2" stroke="#fff" stroke-width="1.6"/>',
        "dots": '<circle cx="3" cy="3" r="1.4" fill="#fff"/>',
        "crosshatch": '<path d="M0 3h6M3 0v6" stroke="#fff" stroke-width="1.2"/>',
        "horizontal": '<path d="M0 3h6" stroke="#fff" stroke-width="1.6"/>',
        "vertical": '<path d="M3 0v6" stroke="#fff" stroke-width="1.6"/>',
    }[_pattern_of(k)]
    return format_html(
        '<pattern id="{}-pattern-{}" patternUnits="userSpaceOnUse" width="6" height="6">'
        '<rect width="6" height="6" fill="{}"/>{}</pattern>',
        chart_id,
        k,
        _colour(k),
        mark_safe(mark),
    )


def _swatch(chart_id: str, k: int, x: float, y: float, size: float) -> SafeString:
    return format_html(
        '<rect class="chart-swatch" x="{}" y="{}" width="{}" height="{}" fill="{}" stroke="{}"'
        ' stroke-width="1"/>',
        _n(x),
        _n(y),
        _n(size),
        _n(size),
        _fill(chart_id, k),
        _colour(k),
    )


def _legend(chart_id: str, series: Sequence[Series], y: float) -> tuple[SafeString, float]:
    """Swatches and names, flowing onto as many rows as the width needs."""
    items = []
    x: float = PAD
    row_bottom = y + LEGEND_ROW
    widest = WIDTH - 2 * PAD - SWATCH - 6
    for k, s in enumerate(series):
        width = SWATCH + 6 + min(_text_width(s.name, FONT), widest)
        if x > PAD and x + width > WIDTH - PAD:
            x, y = PAD, row_bottom
            row_bottom = y + LEGEND_ROW
        items.append(_swatch(chart_id, k, x, y + 2, SWATCH))
        # Only a name wider than a whole row wraps, and it then has the row to itself.
        text, bottom = _lines("chart-legend", s.name, x + SWATCH + 6, y, widest)
        items.append(text)
        row_bottom = max(row_bottom, bottom + LEGEND_ROW - LINE)
        x += width + 16
    return format_html_join("", "{}", ((item,) for item in items)), row_bottom


def _describe(
    categories: Sequence[str],
    series: Sequence[Series],
    label: Callable[[int | float | None], str],
) -> str:
    """A sentence for screen readers; the figures themselves when there are few."""
    names = ", ".join(s.name for s in series)
    text = gettext("Bar chart of %(names)s for %(count)s categories.") % {
        "names": names,
        "count": len(categories),
    }
    if len(categories) * len(series) > 24:
        return text + " " + gettext("The table gives every figure.")
    figures = []
    for index, category in enumerate(categories):
        shown = "; ".join(
            (f"{s.name} {label(s.values[index])}" if len(series) > 1 else label(s.values[index]))
            for s in series
        )
        figures.append(f"{category}: {shown}")
    return f"{text} {'. '.join(figures)}."


def _lines(name: str, text: str, x: float, y: float, width: float) -> tuple[SafeString, float]:
    """One <text> of class `name` with a <tspan> per wrapped line, top at `y`; returns
    it and the y below its last line."""
    lines = _wrap(text, width, FONT)
    spans = format_html_join(
        "",
        '<tspan x="{}" dy="{}">{}</tspan>',
        ((_n(x), 0 if n == 0 else LINE, line) for n, line in enumerate(lines)),
    )
    element = format_html(
        '<text class="{}" x="{}" y="{}" font-size="{}" fill="{}">{}</text>',
        name,
        _n(x),
        _n(y + FONT),
        FONT,
        INK,
        spans,
    )
    return element, y + len(lines) * LINE


def _wrap(text: str, width: float, font: float) -> list[str]:
    """Word-wrap for a width in SVG units; a word longer than a line is cut."""
    limit = max(8, int(width / (font * CHAR)))
    lines: list[str] = []
    line = ""
    for word in text.split() or [""]:
        while len(word) > limit:
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:limit])
            word = word[limit:]
        candidate = f"{line} {word}" if line else word
        if len(candidate) > limit:
            lines.append(line)
            line = word
        else:
            line = candidate
    lines.append(line)
    return lines


def _text_width(text: str, font: float) -> float:
    return len(text) * font * CHAR


def _number(value: int | float, unit: str) -> str:
    if isinstance(value, int) or float(value).is_integer():
        text = number_format(int(value), force_grouping=True)
    else:
        text = number_format(value, 1, force_grouping=True)
    if not unit:
        return text
    return f"{text}{unit}" if unit.startswith("%") else f"{text} {unit}"


def _n(x: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros."""
    return f"{x:.2f}".rstrip("0").rstrip(".")
