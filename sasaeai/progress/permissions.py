"""Who may do what in progress: the app's permission names, and who owns which items.

The ownership rule (担当), stated once and used by every page, workbook, reminder, dashboard and
evaluation stage:

- A person named as an owner (担当者) of an item's annual plan (年次計画) for a fiscal year owns that
  item in that year (the item only, not what is below it).
- A working group reaches its 担当する項目 (``WorkingGroup.nodes``, every year) and the items whose
  annual plan for the year names the group (``AnnualPlan.working_group``), with everything below
  them. The group's leader and sub-leader own everything the group reaches.

And what a role does with it (the names come from ``accounts.permissions``):

- ``progress.report`` (社協管理者, 計画編集者): reports on every item of the plan.
- ``progress.report_own`` (リーダー, 報告担当者): reports on the items they own.
- ``evaluation.self_own``: enters the self-evaluation of the items they own (``owns_node``).
- ``evaluation.review_own``: enters the review (確認) of the items their working groups reach
  (``leads_node``), the group part of the same rule.
- The group workbook of 一括入力 (Excel) holds the items the group reaches; its (sub-)leader may use
  it. Reminders and the dashboard's 担当者 follow the same rule (``plan_ownership``).

Two forms: one object (``owns_node``, ``leads_node``, ``can_report``) and bulk (``owned_node_ids``,
``led_node_ids`` for one user; ``plan_ownership`` for every item and every user of a plan, in at
most five queries whatever the plan's size).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Q

from sasaeai.accounts.decorators import permissions_for
from sasaeai.accounts.permissions import permission

from .models import AnnualPlan, WorkingGroup

if TYPE_CHECKING:
    from sasaeai.plans.models import Plan, PlanNode
    from sasaeai.plans.selectors import PlanTree

VIEW = permission("progress.view")
MANAGE = permission("progress.manage")
REPORT = permission("progress.report")
REPORT_OWN = permission("progress.report_own")
ATTACHMENTS = permission("progress.attachments")  # photos and documents of reports (not 評価委員)
#: Either lets a person open a report form (the reminders' audience).
REPORT_ANY = frozenset({REPORT, REPORT_OWN})


# --------------------------------------------------------------------------- the ownership rule


@dataclass
class Ownership:
    """Who owns which items of one plan in some fiscal years (see the module's rule).

    Built by ``plan_ownership``; when it was built for one user, it only knows that user's share.
    """

    fiscal_years: tuple[int, ...]
    children: dict[int | None, list[int]]
    parents: dict[int, int | None]
    #: year → node id → owner user ids, in the order they were named (AnnualPlan.owners)
    personal: dict[int, dict[int, list[int]]]
    #: group id → its 担当する項目 (WorkingGroup.nodes)
    group_nodes: dict[int, set[int]]
    #: year → group id → items whose annual plan of the year names the group
    annual_groups: dict[int, dict[int, set[int]]]
    #: group id → WorkingGroup (with leader and sub_leader), in the groups' order
    groups: dict[int, WorkingGroup]
    #: year → node id → (working group id, is_sample) of every annual plan of the plan for the year
    annual_plans: dict[int, dict[int, tuple[int | None, bool]]] = field(default_factory=dict)

    def _subtree(self, root: int) -> list[int]:
        found, stack = [], [root]
        while stack:
            pk = stack.pop()
            found.append(pk)
            stack.extend(self.children.get(pk, ()))
        return found

    def group_roots(self, group_id: int, fiscal_year: int) -> set[int]:
        """The items a group is in charge of directly that year (without what is below them)."""
        roots = self.group_nodes.get(group_id, set()) | self.annual_groups.get(fiscal_year, {}).get(group_id, set())
        return {pk for pk in roots if pk in self.parents}

    def group_reach(self, group_id: int, fiscal_year: int) -> set[int]:
        """Every item a group reaches that year: its roots and everything below them."""
        reach: set[int] = set()
        for root in self.group_roots(group_id, fiscal_year):
            if root not in reach:
                reach.update(self._subtree(root))
        return reach

    def leaders_of(self, group_id: int) -> set[int]:
        group = self.groups[group_id]
        return {u for u in (group.leader_id, group.sub_leader_id) if u is not None}

    def led_by(self, user_id: int, fiscal_year: int) -> set[int]:
        """Items ``user_id`` owns as leader or sub-leader of a group."""
        led: set[int] = set()
        for group_id in self.groups:
            if user_id in self.leaders_of(group_id):
                led |= self.group_reach(group_id, fiscal_year)
        return led

    def owned_by(self, user_id: int, fiscal_year: int) -> set[int]:
        """Items ``user_id`` owns: named on the annual plan, or through a group they lead."""
        owned = {node_id for node_id, users in self.personal.get(fiscal_year, {}).items() if user_id in users}
        return owned | self.led_by(user_id, fiscal_year)

    def owners(self, fiscal_year: int) -> dict[int, set[int]]:
        """node id → every user who owns it (both ways) in ``fiscal_year``."""
        result: dict[int, set[int]] = defaultdict(set)
        for node_id, users in self.personal.get(fiscal_year, {}).items():
            if node_id in self.parents:
                result[node_id].update(users)
        for group_id in self.groups:
            leaders = self.leaders_of(group_id)
            if leaders:
                for node_id in self.group_reach(group_id, fiscal_year):
                    result[node_id] |= leaders
        return dict(result)

    def groups_at(self, fiscal_year: int) -> dict[int, list[WorkingGroup]]:
        """node id → the groups in charge of exactly that item in ``fiscal_year`` (groups' order)."""
        result: dict[int, list[WorkingGroup]] = defaultdict(list)
        for group_id, group in self.groups.items():
            for node_id in sorted(self.group_roots(group_id, fiscal_year)):
                result[node_id].append(group)
        return dict(result)

    def groups_reaching(
        self, node_id: int, fiscal_year: int, at: Mapping[int, list[WorkingGroup]] | None = None
    ) -> list[WorkingGroup]:
        """The groups that reach ``node_id``: those at the item first, then those at each item above."""
        at = self.groups_at(fiscal_year) if at is None else at
        found: list[WorkingGroup] = []
        walker: int | None = node_id
        while walker is not None:
            for group in at.get(walker, ()):
                if group not in found:
                    found.append(group)
            walker = self.parents.get(walker)
        return found


def _parents_of(plan: Plan, parents: Mapping[int, int | None] | PlanTree | None) -> dict[int, int | None]:
    from sasaeai.plans.models import PlanNode
    from sasaeai.plans.selectors import PlanTree

    if isinstance(parents, PlanTree):
        return {pk: node.parent_id for pk, node in parents.by_id.items()}
    if parents is not None:
        return dict(parents)
    return dict(PlanNode.objects.filter(plan=plan).values_list("pk", "parent_id"))


def plan_ownership(
    plan: Plan,
    fiscal_years: Iterable[int],
    *,
    user: Any = None,
    parents: Mapping[int, int | None] | PlanTree | None = None,
) -> Ownership:
    """Who owns which items of ``plan`` in ``fiscal_years`` (bulk form).

    ``parents`` (node id → parent id, or the plan's tree) saves reading the items. With ``user``,
    only that user's share is read. At most five queries (four with ``parents``), whatever the
    number of items, owners and groups.
    """
    years = tuple(sorted(set(fiscal_years)))
    parent_of = _parents_of(plan, parents)
    children: dict[int | None, list[int]] = defaultdict(list)
    for pk, parent_id in parent_of.items():
        children[parent_id].append(pk)

    personal: dict[int, dict[int, list[int]]] = {year: defaultdict(list) for year in years}
    groups: dict[int, WorkingGroup] = {}
    group_nodes: dict[int, set[int]] = defaultdict(set)
    annual_groups: dict[int, dict[int, set[int]]] = {year: defaultdict(set) for year in years}
    annual_plans: dict[int, dict[int, tuple[int | None, bool]]] = {year: {} for year in years}
    ownership = Ownership(
        fiscal_years=years,
        children=dict(children),
        parents=parent_of,
        personal=personal,
        group_nodes=group_nodes,
        annual_groups=annual_groups,
        groups=groups,
        annual_plans=annual_plans,
    )
    if user is not None and not user.is_authenticated:
        return ownership

    owners = AnnualPlan.owners.through.objects.filter(annualplan__node__plan=plan, annualplan__fiscal_year__in=years)
    group_qs = WorkingGroup.objects.filter(plan=plan).select_related("leader", "sub_leader")
    if user is not None:
        owners = owners.filter(user_id=user.pk)
        group_qs = group_qs.filter(Q(leader_id=user.pk) | Q(sub_leader_id=user.pk))
    for node_id, year, user_id in owners.order_by("pk").values_list(  # 1
        "annualplan__node_id", "annualplan__fiscal_year", "user_id"
    ):
        personal[year][node_id].append(user_id)
    groups.update((g.pk, g) for g in group_qs)  # 1
    if user is None or groups:
        group_filter = {} if user is None else {"workinggroup_id__in": list(groups)}
        for group_id, node_id in (
            WorkingGroup.nodes.through.objects.filter(workinggroup__plan=plan, **group_filter)  # 1
            .order_by("pk")
            .values_list("workinggroup_id", "plannode_id")
        ):
            group_nodes[group_id].add(node_id)
        annual = AnnualPlan.objects.filter(node__plan=plan, fiscal_year__in=years)
        if user is not None:
            annual = annual.filter(working_group_id__in=list(groups))
        for node_id, year, group_id, is_sample in annual.order_by("pk").values_list(  # 1
            "node_id", "fiscal_year", "working_group_id", "is_sample"
        ):
            annual_plans[year][node_id] = (group_id, is_sample)
            if group_id in groups:
                annual_groups[year][group_id].add(node_id)
    return ownership


def owned_node_ids(
    user: Any, plan: Plan, fiscal_year: int, *, tree: Mapping[int, int | None] | PlanTree | None = None
) -> set[int]:
    """Items of ``plan`` that ``user`` owns in ``fiscal_year`` (bulk form for one user)."""
    if not user.is_authenticated:
        return set()
    return plan_ownership(plan, [fiscal_year], user=user, parents=tree).owned_by(user.pk, fiscal_year)


def led_node_ids(
    user: Any, plan: Plan, fiscal_year: int, *, tree: Mapping[int, int | None] | PlanTree | None = None
) -> set[int]:
    """Items of ``plan`` that ``user`` owns as leader or sub-leader of a working group."""
    if not user.is_authenticated:
        return set()
    return plan_ownership(plan, [fiscal_year], user=user, parents=tree).led_by(user.pk, fiscal_year)


def owns_node(user: Any, plan: Plan, node: PlanNode, fiscal_year: int) -> bool:
    """Does ``user`` own ``node`` in ``fiscal_year`` (one-object form)?"""
    return node.plan_id == plan.pk and node.pk in owned_node_ids(user, plan, fiscal_year)


def leads_node(user: Any, plan: Plan, node: PlanNode, fiscal_year: int) -> bool:
    """Does one of the groups ``user`` leads or sub-leads reach ``node`` in ``fiscal_year``?"""
    return node.plan_id == plan.pk and node.pk in led_node_ids(user, plan, fiscal_year)


def group_node_ids(
    group: WorkingGroup, fiscal_year: int, *, tree: Mapping[int, int | None] | PlanTree | None = None
) -> set[int]:
    """Every item ``group`` reaches in ``fiscal_year`` (the rows of its workbook)."""
    plan = group.plan
    return plan_ownership(plan, [fiscal_year], parents=tree).group_reach(group.pk, fiscal_year)


# --------------------------------------------------------------------------- what a user may do with it


def _perms(user: Any, plan: Plan, perms: Collection[str] | None) -> Collection[str]:
    return permissions_for(user, plan.council_id) if perms is None else perms


def can_report(user: Any, plan: Plan, node: PlanNode, fiscal_year: int, perms: Collection[str] | None = None) -> bool:
    """May ``user`` file the progress report of ``node`` for ``fiscal_year``?"""
    perms = _perms(user, plan, perms)
    if REPORT in perms:
        return True
    return REPORT_OWN in perms and owns_node(user, plan, node, fiscal_year)


def reportable_node_ids(
    user: Any,
    plan: Plan,
    fiscal_year: int,
    perms: Collection[str] | None = None,
    *,
    tree: Mapping[int, int | None] | PlanTree | None = None,
) -> set[int] | None:
    """The items ``user`` may report on in ``fiscal_year``; ``None`` when that is every item."""
    perms = _perms(user, plan, perms)
    if REPORT in perms:
        return None
    if REPORT_OWN in perms:
        return owned_node_ids(user, plan, fiscal_year, tree=tree)
    return set()


def reportable_years(
    user: Any, plan: Plan, node: PlanNode, fiscal_years: Iterable[int], perms: Collection[str] | None = None
) -> set[int]:
    """The years among ``fiscal_years`` for which ``user`` may report on ``node`` (at most four queries)."""
    perms = _perms(user, plan, perms)
    years = set(fiscal_years)
    if REPORT in perms:
        return years
    if REPORT_OWN not in perms or not user.is_authenticated or node.plan_id != plan.pk or not years:
        return set()
    ownership = plan_ownership(plan, years, user=user)
    return {year for year in years if node.pk in ownership.owned_by(user.pk, year)}


def workbook_groups(user: Any, plan: Plan, perms: Collection[str] | None = None) -> list[WorkingGroup]:
    """Groups whose 一括入力 workbook ``user`` may use: every group with ``progress.report``, else
    the groups they lead or sub-lead (with ``progress.report_own``)."""
    perms = _perms(user, plan, perms)
    groups = WorkingGroup.objects.filter(plan=plan).order_by("name", "pk")
    if REPORT in perms:
        return list(groups)
    if REPORT_OWN in perms and user.is_authenticated:
        return list(groups.filter(Q(leader_id=user.pk) | Q(sub_leader_id=user.pk)))
    return []


def may_use_workbook(
    user: Any, plan: Plan, group: WorkingGroup | None = None, perms: Collection[str] | None = None
) -> bool:
    """Plan workbook (``group`` None): ``progress.report``. Group workbook: that, or being the
    group's leader or sub-leader with ``progress.report_own``."""
    perms = _perms(user, plan, perms)
    if REPORT in perms:
        return True
    if group is None or REPORT_OWN not in perms:
        return False
    return user.pk is not None and user.pk in (group.leader_id, group.sub_leader_id)
