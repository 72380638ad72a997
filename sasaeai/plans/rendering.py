"""HTML for the two pages that draw every node of a plan (体系図 and the structure editor).

Django's template engine costs about 0.2 ms per row here, so a 2,000-item plan took over a
second; these functions build the same markup directly, escaping every value, in ~1/20 the time.
The page chrome stays in the templates; only the repeated rows are built here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from django.utils.safestring import SafeString

    from .models import PlanNode
    from .selectors import PlanTree


def _label(node: PlanNode, priority_mark: str) -> str:
    parts = []
    if node.code:
        parts.append(f'<span class="code">{escape(node.code)}</span>')
    if node.is_priority:
        parts.append(f'<span class="priority">{priority_mark}</span>')
    parts.append(f'<span class="title">{escape(node.title)}</span>')
    return "".join(parts)


def diagram(tree: PlanTree, node_base: str) -> SafeString:
    """Nested lists, one column per level; skipped levels become spacers."""
    out = []
    spacer = '<div class="st-spacer"></div>'
    priority_mark = escape(_("【重点】"))
    issues_title, issues_label = escape(_("対応する地域生活課題")), escape(_("課題"))
    separator = escape(_("・"))
    for row in tree.diagram_rows():
        node = row["node"]
        out.append(f'<li class="st-item{" is-priority" if node.is_priority else ""}">')
        out.append(spacer * len(node.skip_range))
        out.append(
            f'<div class="st-box"><a href="{node_base}{node.pk}/" class="node-label">{_label(node, priority_mark)}</a>'
        )
        if node.summary:
            out.append(f'<span class="st-summary">{escape(node.summary)}</span>')
        if node.issue_list:
            codes = separator.join(escape(i.code) for i in node.issue_list)
            out.append(f'<span class="st-issues" title="{issues_title}">{issues_label} {codes}</span>')
        out.append("</div>")
        out.append('<ul class="st-children">' if node.children_list else "</li>")
        out.append("</ul></li>" * row["closes"])
        out.append("\n")
    return mark_safe("".join(out))


def editor_rows(tree: PlanTree, *, node_base: str, create_url: str, csrf_token: str) -> SafeString:
    last_depth = len(tree.levels) - 1
    csrf = f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(csrf_token)}">'
    t = {
        key: escape(text)
        for key, text in {
            "priority": _("【重点】"),
            "priority_off": _("重点を外す"),
            "priority_on": _("重点にする"),
            "add": _("下に追加"),
            "edit": _("編集"),
            "move": _("移動"),
            "delete": _("削除"),
        }.items()
    }
    out = []
    for node, depth in tree.rows():
        up = escape(_("「%(label)s」を上へ") % {"label": node.label})
        down = escape(_("「%(label)s」を下へ") % {"label": node.label})
        base = f"{node_base}{node.pk}/"
        priority = (
            f'<button class="button small" name="action" value="priority_off">{t["priority_off"]}</button>'
            if node.is_priority
            else f'<button class="button small" name="action" value="priority_on">{t["priority_on"]}</button>'
        )
        add = (
            f'<a class="button small" href="{create_url}?parent={node.pk}">{t["add"]}</a>'
            if node.level.depth < last_depth
            else ""
        )
        out.append(
            f'<li class="editor-row depth-{depth}" id="node-{node.pk}">'
            f'<div><span class="level-name">{escape(node.level.name)}</span> '
            f'<a class="node-label" href="{base}">{_label(node, t["priority"])}</a></div>'
            f'<div class="row-actions"><form method="post" action="{base}quick/" class="inline">{csrf}'
            f'<button class="button small" name="action" value="up" aria-label="{up}">▲</button> '
            f'<button class="button small" name="action" value="down" aria-label="{down}">▼</button> '
            f"{priority}</form> "
            f'<a class="button small" href="{base}edit/">{t["edit"]}</a> {add} '
            f'<a class="button small" href="{base}move/">{t["move"]}</a> '
            f'<a class="button small danger-outline" href="{base}delete/">{t["delete"]}</a></div></li>\n'
        )
    return mark_safe("".join(out))
