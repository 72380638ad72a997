"""Rows of the 進捗 page, built directly (as ``plans.rendering`` does for the 体系図): the template
engine cost ~3 ms a row here. Every value is escaped; the markup matches the template it replaced."""

from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from sasaeai.core.colors import color_chip

from .rollup import display


def number(value):
    """Decimal as people write it: 100.0000 → "100" (never "1E+2"), 45.5000 → "45.5"."""
    return "" if value is None else format(value.normalize(), "f")


def _meter(value):
    if value is None:
        return "—"
    width = max(0, min(100, round(value)))
    return f'<span class="meter v-{width}"></span>{display(value)}'


def progress_rows(rows, *, node_base):
    sample = escape(_("サンプル"))
    out = []
    for node, depth, f in rows:
        label = (f"{escape(node.code)} " if node.code else "") + escape(node.title)
        status = ""
        if f.report is not None and f.report.status is not None:
            status = color_chip(f.report.status.color, f.report.status.name)
        if f.report is not None and f.report.is_sample:
            status += f' <span class="sample-tag">{sample}</span>'
        indicators = []
        for i in f.indicators:
            target = number(i.target) if i.target is not None else "—"
            if i.actual is not None:
                actual = number(i.actual)
            elif i.actual_text:
                actual = escape(Truncator(i.actual_text).chars(30))
            else:
                actual = "—"
            rate = "" if i.rate is None else escape(_("（%(rate)s％）") % {"rate": display(i.rate)})
            indicators.append(f"{escape(i.indicator.name)}: {target} → {actual}{escape(i.indicator.unit)}{rate}<br>")
        out.append(
            f'<tr class="depth-{depth}"><th scope="row" class="indent">'
            f'<a href="{node_base}{node.pk}/">{label}</a></th>'
            f'<td class="num">{number(node.weight)}</td><td>{status}</td>'
            f'<td class="num">{_meter(f.progress)}</td><td class="num">{_meter(f.achievement)}</td>'
            f'<td class="small">{"".join(indicators)}</td></tr>\n'
        )
    return mark_safe("".join(out))
