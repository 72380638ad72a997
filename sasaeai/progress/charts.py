"""Small SVG charts, drawn on the server with no chart library.

Each builder returns one ``<svg role="img">`` (``mark_safe``) with an ``aria-label``, a ``<title>``
and a ``<desc>``. Every piece of text is escaped here, so callers pass plain strings. The charts
only illustrate: the page puts the same numbers in a ``<table>`` beside each one, which is what a
screen reader reads. Sizes come from a ``viewBox`` and the SVG is ``width="100%"``, so it scales
with the column it sits in (about 600–700 px wide at a 1200 px window) and prints in vector.
Text never relies on colour alone: every bar and point also carries its number.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal

from django.utils.html import escape
from django.utils.safestring import mark_safe

WIDTH = 640
FONT = 14
SMALL = 12
INK = "#1f2328"
MUTED = "#57606a"
GRID = "#d0d7de"
COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
FALLBACK_COLOUR = "#57606a"


def colour(value, default=FALLBACK_COLOUR) -> str:
    """A CSS hex colour, or ``default`` for anything else (colours are user data)."""
    return value if isinstance(value, str) and COLOUR.match(value) else default


def number(value) -> str:
    """A figure as people write it: 50.0000 → 50, 45.5 → 45.5, 86.6666… → 86.7."""
    if value is None:
        return "—"
    value = Decimal(value)
    if value != value.to_integral_value():
        value = value.quantize(Decimal("0.1")) if abs(value) >= 10 else value.quantize(Decimal("0.01"))
    text = format(value.normalize(), "f")
    return "0" if text == "-0" else text


def one_decimal(value) -> str:
    """A 進捗 or 達成率 as the tables show it: 58.333… → 58.3, 50 → 50.0."""
    if value is None:
        return "—"
    return format(Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP), "f")


def truncate(text: str, limit: int) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def nice_max(value) -> Decimal:
    """The smallest of 1, 2, 2.5, 5 × 10ⁿ that is at least ``value`` (at least 1)."""
    value = float(value or 0)
    if value <= 0:
        return Decimal(1)
    exponent = math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        candidate = Decimal(str(step)) * Decimal(10) ** exponent
        if candidate >= Decimal(str(value)):
            return candidate
    return Decimal(10) ** (exponent + 1)  # pragma: no cover - the loop always returns


def _f(value: float) -> str:
    """A coordinate with at most one decimal."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _svg(width, height, title, desc, body) -> str:
    title, desc = escape(title), escape(desc)
    return mark_safe(
        f'<svg class="chart" role="img" aria-label="{title}" viewBox="0 0 {_f(width)} {_f(height)}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg" '
        f'font-size="{FONT}" fill="{INK}"><title>{title}</title><desc>{desc}</desc>{"".join(body)}</svg>'
    )


def _text(x, y, text, *, anchor="start", size=FONT, fill=INK, weight=None):
    extra = f' font-weight="{weight}"' if weight else ""
    return (
        f'<text x="{_f(x)}" y="{_f(y)}" text-anchor="{anchor}" font-size="{size}" fill="{fill}"{extra}>'
        f"{escape(text)}</text>"
    )


def _legend(x, y, series):
    """series: (name, colour, style[, marker]) with style "bar", "line", "dash", "point" or "outline"."""
    out = []
    for name, fill, style, *marker in series:
        if style in ("line", "dash", "point"):
            if style != "point":
                dash = ' stroke-dasharray="6 4"' if style == "dash" else ""
                out.append(
                    f'<line x1="{_f(x)}" y1="{_f(y - 4)}" x2="{_f(x + 24)}" y2="{_f(y - 4)}" '
                    f'stroke="{fill}" stroke-width="2.5"{dash}/>'
                )
            if marker:
                out.append(_marker(marker[0], x + 12, y - 4, fill))
            width = 30
        else:
            stroke = f' stroke="{MUTED}" stroke-dasharray="3 2"' if style == "outline" else ""
            out.append(f'<rect x="{_f(x)}" y="{_f(y - 11)}" width="14" height="12" fill="{fill}"{stroke}/>')
            width = 20
        out.append(_text(x + width, y, name, size=SMALL))
        x += width + 16 + len(name) * SMALL
    return "".join(out)


# --------------------------------------------------------------------------- bars


def bar_chart(rows, *, series, title, desc, max_value=100, label_width=220, label_chars=14, fmt=one_decimal) -> str:
    """Horizontal bars, one group per row.

    ``rows``: (label, [value per series]); a value may be None (no bar, "—").
    ``series``: (name, colour) per value. Values run from 0 to ``max_value`` (100 for 進捗 and
    達成率; larger values are drawn to the edge but labelled with their own number). ``fmt`` turns
    a value into its label.
    """
    max_value = Decimal(max_value) or Decimal(1)
    bar_h, bar_gap, row_gap = 17, 3, 12
    legend_h = 26 if len(series) > 1 else 6
    plot_x, plot_w = label_width, WIDTH - label_width - 60
    group_h = len(series) * bar_h + (len(series) - 1) * bar_gap
    height = legend_h + max(1, len(rows)) * (group_h + row_gap) + 26
    body = []
    if len(series) > 1:
        body.append(_legend(plot_x, 16, [(name, colour(c), "bar") for name, c in series]))
    axis_y = legend_h + max(1, len(rows)) * (group_h + row_gap)
    for i in range(5):
        tick = max_value * i / 4
        x = plot_x + plot_w * i / 4
        body.append(f'<line x1="{_f(x)}" y1="{legend_h - 2}" x2="{_f(x)}" y2="{_f(axis_y)}" stroke="{GRID}"/>')
        body.append(_text(x, axis_y + 16, number(tick), anchor="middle", size=SMALL, fill=MUTED))
    y = legend_h
    for label, values in rows:
        names = "、".join(f"{name} {fmt(v)}" for (name, _c), v in zip(series, values, strict=False))
        body.append(f"<g><title>{escape(label)}: {escape(names)}</title>")
        body.append(_text(plot_x - 8, y + group_h / 2 + 4.5, truncate(label, label_chars), anchor="end"))
        for j, ((_name, fill), value) in enumerate(zip(series, values, strict=False)):
            top = y + j * (bar_h + bar_gap)
            if value is not None:
                w = plot_w * float(min(max(Decimal(value), Decimal(0)), max_value) / max_value)
                body.append(
                    f'<rect x="{_f(plot_x)}" y="{_f(top)}" width="{_f(w)}" height="{bar_h}" fill="{colour(fill)}"/>'
                )
            else:
                w = 0
            body.append(_text(plot_x + w + 5, top + bar_h - 3, fmt(value), size=SMALL))
        body.append("</g>")
        y += group_h + row_gap
    body.append(f'<line x1="{_f(plot_x)}" y1="{legend_h - 2}" x2="{_f(plot_x)}" y2="{_f(axis_y)}" stroke="{MUTED}"/>')
    return _svg(WIDTH, height, title, desc, body)


def count_chart(rows, *, title, desc, label_width=150) -> str:
    """One bar per category, scaled to the largest count: ``rows`` are (label, count, colour,
    outline) — ``outline`` draws a white bar with a dashed border (for 未報告)."""
    bar_h, row_gap = 20, 10
    plot_x, plot_w = label_width, WIDTH - label_width - 70
    top_count = max([count for _l, count, _c, _o in rows] + [0])
    scale = nice_max(top_count)
    if scale % 4:  # whole numbers on the axis: 0, 1, 2, 3, 4 rather than 0, 1.25, 2.5 …
        scale = Decimal(4 * max(1, math.ceil(top_count / 4)))
    height = 8 + max(1, len(rows)) * (bar_h + row_gap) + 24
    axis_y = 8 + max(1, len(rows)) * (bar_h + row_gap)
    body = []
    for i in range(5):
        tick = scale * i / 4
        x = plot_x + plot_w * i / 4
        body.append(f'<line x1="{_f(x)}" y1="4" x2="{_f(x)}" y2="{_f(axis_y)}" stroke="{GRID}"/>')
        body.append(_text(x, axis_y + 16, number(tick), anchor="middle", size=SMALL, fill=MUTED))
    y = 8
    for label, count, fill, outline in rows:
        w = plot_w * float(Decimal(count) / scale)
        body.append(f"<g><title>{escape(label)}: {count}</title>")
        body.append(_text(plot_x - 8, y + bar_h / 2 + 4.5, truncate(label, 10), anchor="end"))
        if outline:
            body.append(
                f'<rect x="{_f(plot_x)}" y="{_f(y)}" width="{_f(max(w, 1))}" height="{bar_h}" fill="#fff" '
                f'stroke="{MUTED}" stroke-dasharray="4 3"/>'
            )
        elif count:
            body.append(f'<rect x="{_f(plot_x)}" y="{_f(y)}" width="{_f(w)}" height="{bar_h}" fill="{colour(fill)}"/>')
        body.append(_text(plot_x + w + 6, y + bar_h / 2 + 4.5, str(count), weight="700"))
        body.append("</g>")
        y += bar_h + row_gap
    body.append(f'<line x1="{_f(plot_x)}" y1="4" x2="{_f(plot_x)}" y2="{_f(axis_y)}" stroke="{MUTED}"/>')
    return _svg(WIDTH, height, title, desc, body)


# --------------------------------------------------------------------------- lines


def line_chart(*, x_labels, series, title, desc, unit="") -> str:
    """Values over years.

    ``x_labels``: one label per column (e.g. years). ``series``: dicts with ``name``, ``values``
    (aligned with ``x_labels``; None leaves a gap), ``colour``, ``dash`` (bool), ``marker``
    ("circle", "square" or "diamond") and ``labels`` (bool: print each value by its point).
    The y axis starts at 0 (or the lowest value, if negative) and ends at a round number.
    """
    height, left, right, top, bottom = 250, 62, 18, 30, 44
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    values = [Decimal(v) for s in series for v in s["values"] if v is not None]
    low = min([Decimal(0), *values])
    high = nice_max(max([*values, Decimal(0)]) - low) + low if values else Decimal(1)
    if high == low:
        high = low + 1
    count = max(1, len(x_labels))
    step = plot_w / count

    def x_at(i):
        return left + step * (i + 0.5)

    def y_at(v):
        return top + plot_h * (1 - float((Decimal(v) - low) / (high - low)))

    body = [
        _legend(
            left,
            16,
            [
                (
                    s["name"],
                    colour(s["colour"]),
                    "point"
                    if sum(v is not None for v in s["values"]) == 1 and not s.get("dash")
                    else "dash"
                    if s.get("dash")
                    else "line",
                    s.get("marker", "circle"),
                )
                for s in series
            ],
        )
    ]
    body.extend(_y_axis(low, high, y_at, left=left, right=right, top=top, unit=unit))
    for i, label in enumerate(x_labels):
        body.append(_text(x_at(i), height - bottom + 18, label, anchor="middle", size=SMALL))
    body.append(
        f'<line x1="{left}" y1="{_f(top + plot_h)}" x2="{_f(WIDTH - right)}" y2="{_f(top + plot_h)}" stroke="{MUTED}"/>'
    )
    for s in series:
        fill = colour(s["colour"])
        dash = ' stroke-dasharray="6 4"' if s.get("dash") else ""
        for points in _segments(s["values"], x_at, y_at):
            if len(points) > 1:
                body.append(
                    f'<polyline points="{" ".join(points)}" fill="none" stroke="{fill}" stroke-width="2.5"{dash}/>'
                )
        for i, v in enumerate(s["values"]):
            if v is None:
                continue
            x, y = x_at(i), y_at(v)
            body.append(
                f"<g><title>{escape(x_labels[i])} {escape(s['name'])}: {escape(number(v))}"
                f"{escape(unit)}</title>{_marker(s.get('marker', 'circle'), x, y, fill)}</g>"
            )
            if s.get("labels"):
                # above the point, unless another series' point sits just above it there
                others = [y_at(o["values"][i]) for o in series if o is not s and o["values"][i] is not None]
                below = any(0 <= y - oy < 22 for oy in others) and y + 20 < top + plot_h
                body.append(_text(x, y + 19 if below else y - 9, number(v), anchor="middle", size=SMALL, weight="700"))
    return _svg(WIDTH, height, title, desc, body)


def _y_axis(low, high, y_at, *, left, right, top, unit) -> list[str]:
    """Five grid lines with their values, and the unit above them."""
    out = []
    for i in range(5):
        tick = low + (high - low) * i / 4
        y = y_at(tick)
        out.append(f'<line x1="{left}" y1="{_f(y)}" x2="{_f(WIDTH - right)}" y2="{_f(y)}" stroke="{GRID}"/>')
        out.append(_text(left - 6, y + 4, number(tick), anchor="end", size=SMALL, fill=MUTED))
    if unit:
        out.append(_text(left - 6, top - 10, f"({unit})", anchor="end", size=SMALL, fill=MUTED))
    return out


def _segments(values, x_at, y_at) -> list[list[str]]:
    """The "x,y" points of a line, split where a value is missing (None leaves a gap)."""
    segment: list[str] = []
    segments = [segment]
    for i, v in enumerate(values):
        if v is None:
            segment = []
            segments.append(segment)
        else:
            segment.append(f"{_f(x_at(i))},{_f(y_at(v))}")
    return segments


def _marker(kind, x, y, fill):
    if kind == "square":
        return (
            f'<rect x="{_f(x - 4.5)}" y="{_f(y - 4.5)}" width="9" height="9" fill="#fff" stroke="{fill}" '
            f'stroke-width="2"/>'
        )
    if kind == "diamond":
        return (
            f'<polygon points="{_f(x)},{_f(y - 6)} {_f(x + 6)},{_f(y)} {_f(x)},{_f(y + 6)} {_f(x - 6)},{_f(y)}" '
            f'fill="{fill}"/>'
        )
    return f'<circle cx="{_f(x)}" cy="{_f(y)}" r="4.5" fill="{fill}"/>'
