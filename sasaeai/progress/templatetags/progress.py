from django import template

from sasaeai.core.permissions import AUDIT_VIEW
from sasaeai.core.templatetags.sasaeai import has_perm_here

from .. import selectors
from ..permissions import VIEW

register = template.Library()


@register.inclusion_tag("progress/_node_progress.html", takes_context=True)
def node_progress(context, node):
    """Indicators (with targets) and reports of one node, for the node page."""
    perms = context.get("perms_here")
    if not has_perm_here(perms, VIEW):
        return {"visible": False}
    indicators = selectors.node_indicators(node)
    for indicator in indicators:
        indicator.target_list = sorted(indicator.targets.all(), key=lambda t: t.fiscal_year)
    from sasaeai.evaluation.models import TargetChange

    # 目標値の変更 after a midterm review: old → new and why (who, only for audit.view).
    target_changes = list(TargetChange.objects.filter(indicator__node=node).select_related("indicator", "changed_by")
                          .order_by("-changed_at", "-pk"))
    return {"visible": True, "plan": context["plan"], "node": node, "indicators": indicators,
            "reports": selectors.node_reports(node), "perms_here": perms, "target_changes": target_changes,
            "show_changer": has_perm_here(perms, AUDIT_VIEW)}


@register.filter
def number(value):
    """Decimal as people write it: 50.0000 → 50, 45.5000 → 45.5."""
    if value is None or value == "":
        return ""
    return format(value.normalize(), "f")
