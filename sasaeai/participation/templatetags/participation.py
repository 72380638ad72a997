"""``{% node_voices node perms_here %}``: the node page's section of voices (to this item and to its
life issues), shown to people with ``participation.view``."""

from django import template

from sasaeai.core.templatetags.sasaeai import has_perm_here

from ..permissions import MANAGE, VIEW
from ..selectors import voices as voice_selectors

register = template.Library()


@register.inclusion_tag("participation/_node_voices.html", takes_context=True)
def node_voices(context, node, perms=None):
    perms = perms if perms is not None else context.get("perms_here")
    if not has_perm_here(perms, VIEW):
        return {"visible": False}
    issues = getattr(node, "issue_list", None)
    if issues is None:
        issues = list(node.issues.all())
    issue_ids = [i.pk for i in issues]
    data = voice_selectors.node_voices(node, issue_ids=issue_ids)
    return {
        "visible": True,
        "plan": context.get("plan") or node.plan,
        "node": node,
        "issues": issues,
        "issue_ids": set(issue_ids),
        "can_manage": has_perm_here(perms, MANAGE),
        **data,
    }


@register.filter
def comma(value):
    """2000 → 2,000 (numbers as printed in Japanese documents)."""
    if value in (None, ""):
        return ""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return value
