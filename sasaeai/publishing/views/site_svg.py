"""Server-rendered SVG drawings of the public pages, from published copies only.

The 体系図 (plan structure) and the 達成率 bar chart are pictures (``role="img"`` with a label); the page
always gives the same content as HTML next to them (the structure as headings and lists, the chart's numbers
as a table), which is what a screen reader reads. No inline styles: classes styled in public.css.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

FONT = 15  # px in the drawing's own units
LINE = 21
PAD = 10
GAP_X = 36
GAP_Y = 12
WIDTH = 1000


def _char_width(ch: str) -> float:
    return 0.55 if ord(ch) < 0x2E80 else 1.0


def wrap(text: str, width: float) -> list[str]:
    """``text`` in lines of at most ``width`` full-width characters (half-width ones count a little over half)."""
    lines: list[str] = []
    current, used = "", 0.0
    for ch in text.replace("\n", " "):
        w = _char_width(ch)
        if current and used + w > width:
            lines.append(current)
            current, used = "", 0.0
        current += ch
        used += w
    if current:
        lines.append(current)
    return lines or [""]


def _text(lines: list[str], x: float, y: float, css: str) -> str:
    spans = "".join(
        f'<tspan x="{x:.0f}" y="{y + PAD + FONT + i * LINE:.0f}">{escape(line)}</tspan>' for i, line in enumerate(lines)
    )
    return f'<text class="{css}">{spans}</text>'


def diagram(roots: list[dict[str, Any]], *, title: str) -> SafeString:
    """The 体系図: one column per level, each item a box joined to its parent, priorities marked 【重点】."""
    if not roots:
        return mark_safe("")

    def deepest(nodes: list[dict[str, Any]], nest: int) -> int:
        return max((deepest(n["children"], nest + 1) if n["children"] else nest) for n in nodes)

    columns = deepest(roots, 0) + 1
    col_w = (WIDTH - GAP_X * (columns - 1)) / columns
    chars = max(5.0, (col_w - 2 * PAD) / FONT)
    header = LINE + 8
    column_names: dict[int, str] = {}
    shapes: list[str] = []
    lines_out: list[str] = []

    def layout(node: dict[str, Any], nest: int, top: float) -> tuple[float, float]:
        """Place ``node`` with its subtree from ``top``; returns (height used, the box's vertical centre)."""
        column_names.setdefault(nest, node.get("level") or "")
        label = (_("【重点】") if node.get("is_priority") else "") + " ".join(
            p for p in (node.get("code") or "", node.get("title") or "") if p
        )
        text_lines = wrap(label, chars)
        h = len(text_lines) * LINE + 2 * PAD
        x = nest * (col_w + GAP_X)
        centres: list[float] = []
        y = top
        for child in node["children"]:
            used, centre = layout(child, nest + 1, y)
            centres.append(centre)
            y += used + GAP_Y
        span = (y - GAP_Y - top) if node["children"] else 0.0
        used = max(span, h)
        box_top = top + (used - h) / 2
        centre = box_top + h / 2
        css = "dg-box is-priority" if node.get("is_priority") else "dg-box"
        shapes.append(
            f'<rect class="{css}" x="{x:.0f}" y="{box_top:.0f}" width="{col_w:.0f}" height="{h:.0f}" rx="6"/>'
        )
        shapes.append(_text(text_lines, x + PAD, box_top, "dg-text"))
        right, mid = x + col_w, x + col_w + GAP_X / 2
        for c in centres:
            lines_out.append(
                f'<path class="dg-line" d="M{right:.0f} {centre:.0f} H{mid:.0f} V{c:.0f} H{right + GAP_X:.0f}"/>'
            )
        return used, centre

    y = float(header)
    for root in roots:
        used, _centre = layout(root, 0, y)
        y += used + GAP_Y * 2
    height = y
    heads = "".join(
        f'<text class="dg-head" x="{n * (col_w + GAP_X) + PAD:.0f}" y="{FONT + 2}">{escape(name)}</text>'
        for n, name in sorted(column_names.items())
    )
    label = escape(_("%(title)s の体系図（内容は下の一覧と同じです）") % {"title": title})
    return mark_safe(
        f'<svg class="ps-diagram" viewBox="0 0 {WIDTH} {height:.0f}" role="img" aria-label="{label}" '
        f'xmlns="http://www.w3.org/2000/svg">{heads}{"".join(lines_out)}{"".join(shapes)}</svg>'
    )


def _decimal(value: object) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def bar_chart(bars: list[dict[str, Any]], *, title: str) -> SafeString:
    """Horizontal bars of 達成率 (0–100%), each with its label and its number written beside the bar."""
    width, label_w, bar_w = 760, 300, 340
    chars = (label_w - PAD) / FONT
    rows = []
    y = float(LINE + 12)
    axis_x = label_w + 10
    for bar in bars:
        value = _decimal(bar["value"])
        lines = wrap(bar["label"], chars)
        h = max(len(lines) * LINE, 28)
        length = 0.0 if value is None else float(min(max(value, Decimal(0)), Decimal(100))) / 100 * bar_w
        rows.append(_text(lines, 0, y - PAD, "ch-label"))
        rows.append(
            f'<rect class="ch-track" x="{axis_x}" y="{y + 2:.0f}" width="{bar_w}" height="{h - 8:.0f}"/>'
            f'<rect class="ch-bar" x="{axis_x}" y="{y + 2:.0f}" width="{length:.1f}" height="{h - 8:.0f}"/>'
            f'<text class="ch-value" x="{axis_x + bar_w + 8}" y="{y + h / 2 + 4:.0f}">{escape(bar["value"])}%</text>'
        )
        y += h + GAP_Y
    scale = "".join(
        f'<text class="ch-scale" x="{axis_x + bar_w * p / 100:.0f}" y="{FONT}">{p}</text>' for p in (0, 50, 100)
    )
    return mark_safe(
        f'<svg class="ps-chart" viewBox="0 0 {width} {y:.0f}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg">{scale}{"".join(rows)}</svg>'
    )
