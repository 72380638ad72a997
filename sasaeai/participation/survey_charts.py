"""SVG charts of survey results, drawn on the server in the style of ``sasaeai/progress/charts.py``.

Each chart only illustrates: the page puts the same numbers in a table right next to it, which is
what a screen reader reads. Every bar carries its number as text, so nothing relies on colour alone.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.html import escape
from django.utils.translation import gettext as _

from sasaeai.progress.charts import (
    GRID,
    MUTED,
    SMALL,
    WIDTH,
    _f,
    _svg,
    _text,
    bar_chart,
    nice_max,
    number,
    one_decimal,
    truncate,
)

from .models import Question

# Okabe–Ito colours (told apart with colour-blindness), then greys; text on each in a readable ink.
PALETTE = [
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#6A3D9A",
    "#8C6D1F",
    "#999999",
    "#1B5E20",
    "#B71C1C",
]
DARK_INK = {"#E69F00", "#56B4E9", "#F0E442", "#999999"}
BAR = "#0b5cab"


def colour_at(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def ink_on(fill: str) -> str:
    return "#1f2328" if fill in DARK_INK else "#ffffff"


def _text_width(text: str, size=SMALL) -> float:
    return sum(size if ord(ch) > 0x2000 else size * 0.6 for ch in text)


def _pct_label(value) -> str:
    return "—" if value is None else f"{one_decimal(value)}%"


def percent_bars(rows, *, title, desc, label_width=230, label_chars=16) -> str:
    """One horizontal bar per row, 0–100 %: ``rows`` are (label, percent or None, count)."""
    bar_h, row_gap = 20, 10
    plot_x, plot_w = label_width, WIDTH - label_width - 110
    count = max(1, len(rows))
    axis_y = 8 + count * (bar_h + row_gap)
    body = []
    for i in range(5):
        x = plot_x + plot_w * i / 4
        body.append(f'<line x1="{_f(x)}" y1="4" x2="{_f(x)}" y2="{_f(axis_y)}" stroke="{GRID}"/>')
        body.append(_text(x, axis_y + 16, f"{25 * i}%", anchor="middle", size=SMALL, fill=MUTED))
    y = 8
    for label, percent, n in rows:
        w = plot_w * float(min(max(percent or 0, 0), 100)) / 100
        value = _("%(pct)s（%(n)s）") % {"pct": _pct_label(percent), "n": f"{n:,}"}
        body.append(f"<g><title>{escape(label)}: {escape(value)}</title>")
        body.append(_text(plot_x - 8, y + bar_h / 2 + 4.5, truncate(label, label_chars), anchor="end"))
        if w:
            body.append(f'<rect x="{_f(plot_x)}" y="{_f(y)}" width="{_f(w)}" height="{bar_h}" fill="{BAR}"/>')
        body.append(_text(plot_x + w + 6, y + bar_h / 2 + 4.5, value, size=SMALL, weight="700"))
        body.append("</g>")
        y += bar_h + row_gap
    body.append(f'<line x1="{_f(plot_x)}" y1="4" x2="{_f(plot_x)}" y2="{_f(axis_y)}" stroke="{MUTED}"/>')
    return _svg(WIDTH, axis_y + 26, title, desc, body)


def simple_chart(result):
    """Bars of the % of each choice (single, multiple, scale); None for number and text questions."""
    if not result.rows:
        return None
    q = result.spec
    base = (
        _("選んだ人の割合（複数回答、回答者 %(n)s 人に対する％）")
        if q.kind == Question.Kind.MULTIPLE
        else _("回答者 %(n)s 人に対する割合（％）")
    ) % {"n": f"{result.n:,}"}
    rows = [
        (
            (f"{c.code} {c.label}" if q.kind == Question.Kind.SCALE and c.label != c.code else c.label),
            c.percent,
            c.count,
        )
        for c in result.rows
    ]
    return percent_bars(rows, title=f"{q.code} {truncate(q.label, 60)}", desc=base)


def _legend(items, top):
    """Legend swatches that wrap onto more lines; returns (svg parts, height used)."""
    parts, x, y = [], 0.0, top
    for label, fill in items:
        width = 20 + _text_width(label) + 18
        if x and x + width > WIDTH:
            x, y = 0.0, y + 20
        parts.append(
            f'<rect x="{_f(x)}" y="{_f(y - 11)}" width="14" height="12" fill="{fill}" stroke="{MUTED}" '
            f'stroke-width=".5"/>'
        )
        parts.append(_text(x + 20, y, label, size=SMALL))
        x += width
    return parts, y - top + 20


def stacked_chart(result, *, title, desc, label_width=170) -> str:
    """100 % stacked bars, one per attribute category and one for everyone (single choice, scale)."""
    legend, legend_h = _legend(
        [(truncate(label, 18), colour_at(i)) for i, (_c, label) in enumerate(result.columns)], 14
    )
    bar_h, row_gap = 22, 10
    top = legend_h + 8
    plot_x, plot_w = label_width, WIDTH - label_width - 12
    rows = result.all_rows
    axis_y = top + len(rows) * (bar_h + row_gap)
    body = list(legend)
    for i in range(5):
        x = plot_x + plot_w * i / 4
        body.append(f'<line x1="{_f(x)}" y1="{_f(top - 4)}" x2="{_f(x)}" y2="{_f(axis_y)}" stroke="{GRID}"/>')
        body.append(_text(x, axis_y + 16, f"{25 * i}%", anchor="middle", size=SMALL, fill=MUTED))
    y = top
    for row in rows:
        parts = "、".join(
            f"{label} {_pct_label(p)}" for (_c, label), p in zip(result.columns, row.percents, strict=False)
        )
        head = _("%(label)s（n=%(n)s）") % {"label": row.label, "n": f"{row.n:,}"}
        body.append(f"<g><title>{escape(head)}: {escape(parts)}</title>")
        body.append(
            _text(
                plot_x - 8,
                y + bar_h / 2 + 4.5,
                truncate(head, 14),
                anchor="end",
                weight="700" if row.is_total else None,
            )
        )
        x = plot_x
        for i, (count, percent) in enumerate(zip(row.counts, row.percents, strict=False)):
            if not row.n or not count:
                continue
            w = plot_w * count / row.n
            fill = colour_at(i)
            body.append(
                f'<rect x="{_f(x)}" y="{_f(y)}" width="{_f(w)}" height="{bar_h}" fill="{fill}" '
                f'stroke="#fff" stroke-width=".75"/>'
            )
            label = one_decimal(percent)
            if w >= _text_width(label) + 6:
                body.append(
                    _text(x + w / 2, y + bar_h / 2 + 4.5, label, anchor="middle", size=SMALL, fill=ink_on(fill))
                )
            x += w
        if not row.n:
            body.append(_text(plot_x + 6, y + bar_h / 2 + 4.5, _("回答なし"), size=SMALL, fill=MUTED))
        body.append("</g>")
        y += bar_h + row_gap
    body.append(f'<line x1="{_f(plot_x)}" y1="{_f(top - 4)}" x2="{_f(plot_x)}" y2="{_f(axis_y)}" stroke="{MUTED}"/>')
    return _svg(WIDTH, axis_y + 26, title, desc, body)


def cross_chart(result):
    """The chart of a cross tabulation: stacked bars (single, scale), grouped bars (multiple), bars of
    the mean (number); None for free text."""
    q, a = result.question, result.attribute
    title = f"{q.code} × {a.code} {truncate(q.label, 40)}"
    if q.kind in (Question.Kind.SINGLE, Question.Kind.SCALE):
        return stacked_chart(
            result,
            title=title,
            desc=_("%(attr)sごとの回答の割合（各行の回答者を100％とする）") % {"attr": truncate(a.label, 30)},
        )
    if q.kind == Question.Kind.MULTIPLE:
        series = [(truncate(row.label, 12), colour_at(i)) for i, row in enumerate(result.all_rows)]
        rows = [(label, [row.percents[j] for row in result.all_rows]) for j, (_c, label) in enumerate(result.columns)]
        return bar_chart(
            rows,
            series=series,
            title=title,
            max_value=100,
            label_width=200,
            label_chars=14,
            desc=_("%(attr)sごとの、各選択肢を選んだ人の割合（％、複数回答）") % {"attr": truncate(a.label, 30)},
        )
    if q.kind == Question.Kind.NUMBER:
        means = [row.mean for row in result.all_rows]
        top = max([m for m in means if m is not None] + [Decimal(0)])
        return bar_chart(
            [(row.label, [row.mean]) for row in result.all_rows],
            series=[(_("平均"), BAR)],
            title=title,
            max_value=nice_max(top),
            fmt=number,
            desc=_("%(attr)sごとの平均") % {"attr": truncate(a.label, 30)},
        )
    return None
