"""Who may do what in evaluation: the app's permission names and who may enter a stage.

A stage has a permission for any project and, for the first two stages, one for owned projects
(``STAGE_PERMISSIONS``). Ownership is the rule of ``progress.permissions``: the self-evaluation
(自己評価) follows ``owns_node`` (担当者 and the leaders of the groups that reach the item, as for
``progress.report_own``); the review (確認) follows ``leads_node`` (the items the working groups one
leads or sub-leads reach: their 担当する項目 and the annual plans of the year naming the group,
with everything below them).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from sasaeai.accounts.decorators import permissions_for
from sasaeai.accounts.permissions import permission
from sasaeai.progress.permissions import leads_node, owns_node

from .models import Stage

if TYPE_CHECKING:
    from sasaeai.plans.models import Plan, PlanNode

VIEW = permission("evaluation.view")
VIEW_INTERNAL = permission("evaluation.view_internal")
SELF = permission("evaluation.self")
SELF_OWN = permission("evaluation.self_own")
REVIEW = permission("evaluation.review")
REVIEW_OWN = permission("evaluation.review_own")
INTERNAL = permission("evaluation.internal")
EXTERNAL = permission("evaluation.external")
OPINION = permission("evaluation.opinion")
FINAL = permission("evaluation.final")
REOPEN = permission("evaluation.reopen")
SETTINGS = permission("evaluation.settings")
CLOSE_YEAR = permission("evaluation.close_year")
MIDTERM = permission("evaluation.midterm")
EXPORT = permission("evaluation.export")
#: Either lets a person read evaluations (the committee only the later stages).
READ = (VIEW, VIEW_INTERNAL)

#: stage → (permission for any project, permission for owned projects only)
STAGE_PERMISSIONS: dict[str, tuple[str, str | None]] = {
    Stage.SELF: (SELF, SELF_OWN),
    Stage.REVIEW: (REVIEW, REVIEW_OWN),
    Stage.INTERNAL: (INTERNAL, None),
    Stage.EXTERNAL: (EXTERNAL, None),
    Stage.FINAL: (FINAL, None),
}


def stage_permissions(stage: str) -> tuple[str, str | None]:
    """(permission for any project, permission for owned projects only) for a stage."""
    return STAGE_PERMISSIONS[stage]


def can_enter(
    user: Any, plan: Plan, node: PlanNode, fiscal_year: int, stage: str, perms: Collection[str] | None = None
) -> bool:
    """May ``user`` enter ``stage`` for this project (permissions only; order and locks are separate)?"""
    perms = permissions_for(user, plan.council_id) if perms is None else perms
    any_perm, own_perm = stage_permissions(stage)
    if any_perm in perms:
        return True
    if own_perm is None or own_perm not in perms:
        return False
    if stage == Stage.SELF:
        return owns_node(user, plan, node, fiscal_year)
    return leads_node(user, plan, node, fiscal_year)
