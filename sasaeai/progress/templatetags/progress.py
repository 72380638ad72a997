from django import template

from sasaeai.core.permissions import AUDIT_VIEW
from sasaeai.core.templatetags.sasaeai import has_perm_here

from .. import selectors
from ..models import TargetChange
from ..permissions import ATTACHMENTS, VIEW, reportable_years

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
    # 目標値の変更 after a midterm review: old → new and why (who, only for audit.view).
    target_changes = list(
        TargetChange.objects.filter(indicator__node=node)
        .select_related("indicator", "changed_by")
        .order_by("-changed_at", "-pk")
    )
    plan = context["plan"]
    reports = selectors.node_reports(node)
    # The report links follow the ownership rule: a leader or 担当者 sees them on their own items.
    request = context.get("request")
    current = selectors.default_fiscal_year(plan)
    reportable = (
        reportable_years(request.user, plan, node, {r.fiscal_year for r in reports} | {current}, perms)
        if request is not None
        else set()
    )
    return {
        "visible": True,
        "plan": plan,
        "node": node,
        "indicators": indicators,
        "reports": reports,
        "perms_here": perms,
        "target_changes": target_changes,
        "show_changer": has_perm_here(perms, AUDIT_VIEW),
        "can_open_attachments": has_perm_here(perms, ATTACHMENTS),
        "can_report_now": current in reportable,
        "reportable_years": reportable,
    }


@register.filter
def number(value):
    """Decimal as people write it: 50.0000 → 50, 45.5000 → 45.5."""
    if value is None or value == "":
        return ""
    return format(value.normalize(), "f")
