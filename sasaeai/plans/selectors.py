"""Reads of plans, scoped to the user's councils. Each page's query count is fixed.

Whole trees are read in one query and assembled in Python: plans are read whole (体系図,
matrix, export), so an adjacency list with positions is all the structure needs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from django.db.models import Count, QuerySet
from django.http import Http404

from sasaeai.accounts.selectors import roles_by_council, user_can
from sasaeai.core.models import AuditEntry

from . import planfile
from .models import CommunityIssue, NodeAction, Plan, PlanLevel, PlanNode

if TYPE_CHECKING:
    from sasaeai.accounts.selectors import AnyUser


def plans_for_user(user: AnyUser) -> QuerySet[Plan]:
    return (
        Plan.objects.filter(council_id__in=list(roles_by_council(user)))
        .select_related("council")
        .annotate(node_count=Count("nodes", distinct=True))
        .order_by("council__name", "document", "part", "-period_start", "pk")
    )


def plan_get_for_user(user: AnyUser, plan_id: int | str, permission: str = "plans.view") -> Plan:
    """The plan if the user holds ``permission`` in its council; one 404 for missing and foreign."""
    try:
        plan = Plan.objects.select_related("council__parent", "predecessor").get(pk=int(plan_id))
    except (Plan.DoesNotExist, TypeError, ValueError):
        raise Http404 from None
    if not user_can(user, permission, plan.council_id):
        raise Http404
    return plan


def node_get_for_user(user: AnyUser, plan: Plan, node_id: int | str) -> PlanNode:
    try:
        return PlanNode.objects.select_related("level", "parent__level", "plan").get(pk=int(node_id), plan=plan)
    except (PlanNode.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def issue_get(plan: Plan, issue_id: int | str) -> CommunityIssue:
    try:
        return CommunityIssue.objects.get(pk=int(issue_id), plan=plan)
    except (CommunityIssue.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


class PlanTree:
    """A plan's whole structure in memory: nodes with ``.children_list``, levels and issues."""

    def __init__(self, plan: Plan, *, with_actions: bool = False) -> None:
        self.plan = plan
        self.levels = list(PlanLevel.objects.filter(plan=plan).order_by("depth"))
        level_by_id = {lv.pk: lv for lv in self.levels}
        self.issues = list(CommunityIssue.objects.filter(plan=plan).order_by("position", "pk"))
        issue_by_id = {i.pk: i for i in self.issues}
        nodes = list(PlanNode.objects.filter(plan=plan).order_by("position", "pk"))
        self.by_id = {n.pk: n for n in nodes}
        children: defaultdict[int | None, list[PlanNode]] = defaultdict(list)
        for node in nodes:
            node.level = level_by_id[node.level_id]
            node.children_list = children[node.pk]
            node.issue_list = []
            node.action_list = []
            children[node.parent_id].append(node)
        self.roots = children[None]
        links = PlanNode.issues.through.objects.filter(plannode__plan=plan).values_list(
            "plannode_id", "communityissue_id"
        )
        self.nodes_by_issue: defaultdict[int, list[PlanNode]] = defaultdict(list)
        for node_id, issue_id in links:
            self.by_id[node_id].issue_list.append(issue_by_id[issue_id])
            self.nodes_by_issue[issue_id].append(self.by_id[node_id])
        for node in nodes:
            node.issue_list.sort(key=lambda i: (i.position, i.pk))
        if with_actions:
            for action in NodeAction.objects.filter(node__plan=plan).order_by("position", "pk"):
                self.by_id[action.node_id].action_list.append(action)
        self._set_parents()

    def _set_parents(self) -> None:
        for root in self.roots:
            root.parent_node = None
            root.skip_range = range(root.level.depth)
        for node in self.walk():
            for child in node.children_list:
                child.parent_node = node
                # Levels a child skips (printed without an item in between) become spacers.
                child.skip_range = range(max(0, child.level.depth - node.level.depth - 1))

    def walk(self, nodes: Sequence[PlanNode] | None = None) -> Iterator[PlanNode]:
        stack = list(reversed(self.roots if nodes is None else nodes))
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children_list))

    def ancestors(self, node: PlanNode) -> list[PlanNode]:
        result = []
        parent = self.by_id[node.pk].parent_node
        while parent is not None:
            result.append(parent)
            parent = parent.parent_node
        return list(reversed(result))

    def rows(self) -> list[tuple[PlanNode, int]]:
        """Depth-first (node, depth-in-tree) pairs, for indented lists."""
        out: list[tuple[PlanNode, int]] = []

        def visit(nodes: list[PlanNode], depth: int) -> None:
            for node in nodes:
                out.append((node, depth))
                visit(node.children_list, depth + 1)

        visit(self.roots, 0)
        return out

    def diagram_rows(self) -> list[dict[str, Any]]:
        """Depth-first rows for drawing nested lists without recursion in the template: each
        row says whether it opens a child list and how many enclosing lists close after it."""
        rows: list[dict[str, Any]] = []

        def visit(nodes: list[PlanNode]) -> None:
            for node in nodes:
                row: dict[str, Any] = {"node": node, "closes": 0}
                rows.append(row)
                if node.children_list:
                    visit(node.children_list)
                    rows[-1]["closes"] += 1

        visit(self.roots)
        for row in rows:
            row["close_range"] = range(row["closes"])
        return rows

    def level_counts(self) -> list[tuple[PlanLevel, int]]:
        counts: defaultdict[int, int] = defaultdict(int)
        for node in self.walk():
            counts[node.level_id] += 1
        return [(lv, counts[lv.pk]) for lv in self.levels]


def plan_tree(plan: Plan, *, with_actions: bool = False) -> PlanTree:
    return PlanTree(plan, with_actions=with_actions)


def issue_matrix(tree: PlanTree, column_depth: int = 0) -> dict[str, Any]:
    """Issues × nodes at one level. Each cell: 'direct' (the node answers the issue),
    'below' (an item under it does) or ''. Issues no item answers are flagged."""
    columns = [n for n in tree.walk() if n.level.depth == column_depth]
    column_of: dict[int, int] = {}
    for column in columns:
        for node in tree.walk([column]):
            column_of[node.pk] = column.pk
    rows: list[dict[str, Any]] = []
    for issue in tree.issues:
        answering = tree.nodes_by_issue.get(issue.pk, [])
        marks: dict[int, str] = {}
        for node in answering:
            col = column_of.get(node.pk)
            if col is None:
                continue
            if node.pk == col:
                marks[col] = "direct"
            else:
                marks.setdefault(col, "below")
        rows.append(
            {
                "issue": issue,
                "cells": [marks.get(c.pk, "") for c in columns],
                "answered": bool(answering),
                "answering": answering,
            }
        )
    unanswered_columns = [c for c in columns if not any(n.issue_list for n in tree.walk([c]))]
    return {
        "columns": columns,
        "rows": rows,
        "unanswered_columns": unanswered_columns,
        "unanswered_count": sum(1 for r in rows if not r["answered"]),
    }


def plan_file_data(plans: Iterable[Plan]) -> planfile.PlanFileData:
    """The plan-file form of one or more plans of one council."""
    plans = list(plans)
    out: list[planfile.PlanData] = []
    for plan in plans:
        tree = plan_tree(plan, with_actions=True)
        phases = list(plan.phases.all())
        sections = list(plan.sections.all())

        def node_data(node: PlanNode) -> planfile.NodeData:
            return planfile.NodeData(
                title=node.title,
                level=node.level.depth,
                code=node.code,
                priority=node.is_priority,
                weight=node.weight,
                summary=node.summary,
                description=node.description,
                desired_state=node.desired_state,
                plain_summary=node.plain_summary,
                previous_evaluation=node.previous_evaluation,
                challenges=node.challenges,
                targets_text=node.targets_text,
                issues=[i.code for i in node.issue_list],
                actions=[
                    planfile.ActionData(actor=a.actor, text=a.text, examples=list(a.examples), steps=list(a.steps))
                    for a in node.action_list
                ],
                children=[node_data(c) for c in node.children_list],
            )

        out.append(
            planfile.PlanData(
                title=plan.title,
                kind=plan.kind,
                levels=[lv.name for lv in tree.levels],
                generation=plan.generation,
                document=plan.document,
                part=plan.part,
                status=plan.status,
                period_start=plan.period_start,
                period_end=plan.period_end,
                phases=[planfile.PhaseData(name=p.name, start=p.start_year, end=p.end_year) for p in phases],
                midterm_review_year=plan.midterm_review_year,
                vision=plan.vision,
                vision_explanation=plan.vision_explanation,
                purpose=plan.purpose,
                municipal_plan_name=plan.municipal_plan_name,
                municipal_plan_generation=plan.municipal_plan_generation,
                municipal_plan_start=plan.municipal_plan_start,
                municipal_plan_end=plan.municipal_plan_end,
                predecessor_title=plan.predecessor_title,
                predecessor_carried_over=plan.predecessor_carried_over,
                issues=[planfile.IssueData(code=i.code, title=i.title, description=i.description) for i in tree.issues],
                sections=[planfile.SectionData(title=s.title, body=s.body) for s in sections],
                nodes=[node_data(n) for n in tree.roots],
            )
        )
    return planfile.PlanFileData(council=plans[0].council.name if plans else "", plans=out)


def document_plans(plan: Plan) -> list[Plan]:
    """The plans printed in the same document as ``plan`` (itself alone when it has none)."""
    if not plan.document:
        return [plan]
    return list(
        Plan.objects.filter(council=plan.council, document=plan.document)
        .select_related("council")
        .order_by("part", "pk")
    )


def audit_entries(plan: Plan, *, node_id: int | None = None, limit: int = 200) -> list[AuditEntry]:
    qs = AuditEntry.objects.filter(council_id=plan.council_id, plan_id=plan.pk).select_related("actor")
    if node_id is not None:
        qs = qs.filter(node_id=node_id)
    return list(qs[:limit])
