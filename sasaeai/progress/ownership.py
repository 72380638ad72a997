"""Who owns which items, and so who may report on them.

- Anyone whose role gives ``progress.report`` (社協管理者, 計画編集者) reports on any item of the plan.
- A working-group leader or sub-leader (role ``leader``, permission ``progress.report_own``) reports
  on the items their groups own, and everything below those items.
- Anyone named as an owner (担当者) of an item's annual plan for the year reports on that item.
"""
from __future__ import annotations

from django.db.models import Q

from sasaeai.accounts.decorators import permissions_for
from sasaeai.plans.selectors import plan_tree

from .models import AnnualPlan, WorkingGroup


def owned_node_ids(user, plan, fiscal_year, tree=None) -> set[int]:
    """Items of ``plan`` that ``user`` owns in ``fiscal_year``: as annual-plan owner, or as leader or
    sub-leader of a working group (with everything below the group's items)."""
    if not user.is_authenticated:
        return set()
    owned = set(AnnualPlan.objects.filter(node__plan=plan, fiscal_year=fiscal_year, owners=user)
                .values_list("node_id", flat=True))
    groups = list(WorkingGroup.objects.filter(plan=plan).filter(Q(leader=user) | Q(sub_leader=user))
                  .values_list("pk", flat=True))
    if groups:
        roots = set(WorkingGroup.nodes.through.objects.filter(workinggroup_id__in=groups)
                    .values_list("plannode_id", flat=True))
        roots |= set(AnnualPlan.objects.filter(working_group_id__in=groups, fiscal_year=fiscal_year)
                     .values_list("node_id", flat=True))
        tree = tree or plan_tree(plan)
        for node_id in roots:
            if node_id in tree.by_id:
                owned.update(n.pk for n in tree.walk([tree.by_id[node_id]]))
    return owned


def can_report(user, plan, node, fiscal_year) -> bool:
    perms = permissions_for(user, plan.council_id)
    if "progress.report" in perms:
        return True
    if "progress.report_own" in perms:
        return node.pk in owned_node_ids(user, plan, fiscal_year)
    return False
