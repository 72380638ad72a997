"""Reads for evaluation. One row source (``plan_evaluation``) feeds the screens and every report
(Excel 評価シート, PDF, Word, CSV); a whole plan's evaluation for a year comes from a fixed number
of queries, whatever its size.

Projects (事業) are the plan's leaf items: the items with nothing below them. A goal (目標) is a
top-level item; the evaluation sheet has one sheet per goal and one row per project.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.http import Http404

from sasaeai.progress import rollup
from sasaeai.progress.permissions import plan_ownership
from sasaeai.progress.selectors import NodeFigures, plan_figures

from .models import (
    STAGE_ORDER,
    CommitteeOpinion,
    Criterion,
    Direction,
    Evaluation,
    EvaluationScale,
    Grade,
    Stage,
    StageEntry,
    YearClosing,
)
from .permissions import VIEW, VIEW_INTERNAL

if TYPE_CHECKING:
    from sasaeai.plans.models import PlanNode

# Stages a committee member (evaluation.view_internal) may read.
COMMITTEE_STAGES = (Stage.INTERNAL, Stage.EXTERNAL, Stage.FINAL)


def visible_stages(perms) -> list[str]:
    """The stages a user may read, in order."""
    if VIEW in perms:
        return list(STAGE_ORDER)
    if VIEW_INTERNAL in perms:
        return [s for s in STAGE_ORDER if s in COMMITTEE_STAGES]
    return []


def scale_for(council) -> EvaluationScale | None:
    """The council's evaluation scale, or None before the council is set up (see core.services.council_setup)."""
    return EvaluationScale.objects.filter(council=council).first()


def grades_for(council) -> list[Grade]:
    return list(Grade.objects.filter(scale__council=council).order_by("position", "pk"))


def directions_for(council) -> list[Direction]:
    return list(Direction.objects.filter(council=council).order_by("position", "pk"))


def criteria_for(council) -> list[Criterion]:
    return list(Criterion.objects.filter(council=council).order_by("position", "pk"))


def year_closing(plan, fiscal_year) -> YearClosing | None:
    return YearClosing.objects.filter(plan=plan, fiscal_year=fiscal_year).select_related("closed_by").first()


def opinion_for(plan, fiscal_year) -> CommitteeOpinion | None:
    return CommitteeOpinion.objects.filter(plan=plan, fiscal_year=fiscal_year).first()


@dataclass
class ProjectRow:
    """One project in one year: progress (実績・成果), indicators (達成率) and every visible stage."""

    node: object
    goal: object
    path: list  # the items above, from the goal down (not the project itself)
    figures: NodeFigures
    evaluation: Evaluation | None
    entries: dict = field(default_factory=dict)  # stage → StageEntry (visible stages only)
    working_groups: list = field(default_factory=list)
    states: dict = field(default_factory=dict)  # stage → state, for every stage (visible or not)

    @property
    def current(self) -> StageEntry | None:
        """The latest submitted visible stage: the project's evaluation as it stands."""
        for stage in reversed(STAGE_ORDER):
            entry = self.entries.get(stage)
            if entry is not None and entry.is_submitted:
                return entry
        return None

    @property
    def next_stage(self) -> str | None:
        """The first stage not yet submitted (of all stages, visible or not)."""
        for stage in STAGE_ORDER:
            if self.states.get(stage) != StageEntry.State.SUBMITTED:
                return stage
        return None

    @property
    def achievement(self) -> Decimal | None:
        return self.figures.achievement

    @property
    def report(self):
        return self.figures.report


@dataclass
class GoalSection:
    goal: object
    rows: list
    achievement: Decimal | None = None


@dataclass
class PlanEvaluation:
    plan: object
    fiscal_year: int
    period: int
    stages: list  # visible stages, in order
    sections: list  # GoalSection, in plan order
    grades: list
    directions: list
    criteria: list
    closing: YearClosing | None
    opinion: CommitteeOpinion | None

    @property
    def rows(self):
        return [row for section in self.sections for row in section.rows]

    def stage_counts(self):
        """stage → (submitted, draft) counts over the visible stages."""
        counts = {stage: [0, 0] for stage in self.stages}
        for row in self.rows:
            for stage, entry in row.entries.items():
                counts[stage][0 if entry.is_submitted else 1] += 1
        return counts

    def grade_counts(self, stage=None):
        """grade id → number of projects whose current (or given stage's submitted) grade it is."""
        counts = {g.pk: 0 for g in self.grades}
        for row in self.rows:
            entry = row.current if stage is None else row.entries.get(stage)
            if entry is not None and entry.is_submitted and entry.grade_id in counts:
                counts[entry.grade_id] += 1
        return counts


def plan_evaluation(
    plan,
    fiscal_year: int,
    *,
    perms,
    period: int = 0,
    goal_id=None,
    working_group_id=None,
    node_ids=None,
    with_people=False,
    with_text=True,
) -> PlanEvaluation:
    """Every project of ``plan`` with its figures and visible evaluation stages for one year.

    ``goal_id`` keeps one goal, ``working_group_id`` the projects a working group reaches that year
    (``progress.permissions``: its items, the annual plans naming it, and everything below them),
    ``node_ids`` a given set of projects.
    """
    stages = visible_stages(perms)
    tree, figures = plan_figures(plan, fiscal_year)
    evaluations = {
        e.node_id: e for e in Evaluation.objects.filter(node__plan=plan, fiscal_year=fiscal_year, period=period)
    }
    council = plan.council
    grades, directions = grades_for(council), directions_for(council)
    states, entries = _stage_entries(
        list(evaluations.values()), stages, grades, directions, with_people=with_people, with_text=with_text
    )
    # The groups that reach each project: the ownership rule of ``progress.permissions``.
    ownership = plan_ownership(plan, [fiscal_year], parents=tree)
    groups = list(ownership.groups.values())
    at = ownership.groups_at(fiscal_year)
    group_of = {
        pk: sorted(ownership.groups_reaching(pk, fiscal_year, at=at), key=lambda g: (g.name, g.pk)) for pk in tree.by_id
    }
    if working_group_id is not None and not any(g.pk == working_group_id for g in groups):
        raise Http404

    def wanted(node: PlanNode) -> bool:
        if working_group_id is not None and not any(g.pk == working_group_id for g in group_of.get(node.pk, [])):
            return False
        return node_ids is None or node.pk in node_ids

    sections = []
    for root in tree.roots:
        if goal_id is not None and root.pk != goal_id:
            continue
        rows = []
        for node, path in _projects_under(root):
            if not wanted(node):
                continue
            evaluation = evaluations.get(node.pk)
            rows.append(
                ProjectRow(
                    node=node,
                    goal=root,
                    path=path[1:] if path else [],
                    figures=figures[node.pk],
                    evaluation=evaluation,
                    entries=entries.get(evaluation.pk, {}) if evaluation else {},
                    working_groups=group_of.get(node.pk, []),
                    states=states.get(evaluation.pk, {}) if evaluation else {},
                )
            )
        if rows or (goal_id is not None):
            sections.append(GoalSection(goal=root, rows=rows, achievement=figures[root.pk].achievement))
    if goal_id is not None and not sections:
        raise Http404
    return PlanEvaluation(
        plan=plan,
        fiscal_year=fiscal_year,
        period=period,
        stages=stages,
        sections=sections,
        grades=grades,
        directions=directions,
        criteria=criteria_for(council),
        closing=year_closing(plan, fiscal_year),
        opinion=opinion_for(plan, fiscal_year),
    )


def _stage_entries(
    evaluations: list[Evaluation],
    stages: list[str],
    grades: list[Grade],
    directions: list[Direction],
    *,
    with_people: bool,
    with_text: bool,
) -> tuple[dict[int, dict[str, str]], dict[int, dict[str, StageEntry]]]:
    """(evaluation id → stage → state for every stage, evaluation id → stage → entry for the visible stages)."""
    states: dict[int, dict[str, str]] = {}
    for evaluation_id, stage, state in StageEntry.objects.filter(evaluation__in=evaluations).values_list(
        "evaluation_id", "stage", "state"
    ):
        states.setdefault(evaluation_id, {})[stage] = state
    entries: dict[int, dict[str, StageEntry]] = {}
    if not stages:
        return states, entries
    grade_by_id: dict[int | None, Grade] = {g.pk: g for g in grades}
    direction_by_id: dict[int | None, Direction] = {d.pk: d for d in directions}
    queryset = StageEntry.objects.filter(evaluation__in=evaluations, stage__in=stages)
    if with_people:
        queryset = queryset.select_related("updated_by", "submitted_by")
    if not with_text:  # the overview shows grades and states only
        queryset = queryset.only("pk", "evaluation_id", "stage", "state", "grade_id", "direction_id")
    for entry in queryset:
        # The council's few grades and directions, shared rather than joined into every row.
        entry.grade = grade_by_id.get(entry.grade_id)
        entry.direction = direction_by_id.get(entry.direction_id)
        entries.setdefault(entry.evaluation_id, {})[entry.stage] = entry
    return states, entries


def _projects_under(root: PlanNode) -> list[tuple[PlanNode, list[PlanNode]]]:
    """The leaves under ``root`` in tree order, each with its path of ancestors from ``root``."""
    out: list[tuple[PlanNode, list[PlanNode]]] = []
    stack: list[tuple[PlanNode, list[PlanNode]]] = [(root, [])]
    while stack:
        node, path = stack.pop()
        if node.children_list:
            stack.extend((child, [*path, node]) for child in reversed(node.children_list))
        else:
            out.append((node, path))
    return out


def goals(plan) -> list:
    """The plan's top-level items (目標), in order."""
    from sasaeai.plans.models import PlanNode

    return list(PlanNode.objects.filter(plan=plan, parent__isnull=True).order_by("position", "pk"))


def project_get(plan, node_id):
    """A project (leaf item) of ``plan``; the same 404 for missing, foreign and non-leaf items."""
    from sasaeai.plans.models import PlanNode

    node = PlanNode.objects.filter(plan=plan, pk=node_id).select_related("level").first()
    if node is None or PlanNode.objects.filter(parent=node).exists():
        raise Http404
    return node


def project_evaluation(plan, node, fiscal_year: int, *, perms, period: int = 0) -> ProjectRow:
    """One project's row (figures, progress, visible stages, with who entered them) for its page.
    Reads only this project's rows, so the page costs the same in a plan of 10 or 1,000 projects."""
    stages = visible_stages(perms)
    figures = node_figures(node, fiscal_year)
    evaluation = Evaluation.objects.filter(node=node, fiscal_year=fiscal_year, period=period).first()
    entries, states = {}, {}
    if evaluation is not None:
        for entry in StageEntry.objects.filter(evaluation=evaluation).select_related(
            "grade", "direction", "updated_by", "submitted_by"
        ):
            states[entry.stage] = entry.state
            if entry.stage in stages:
                entries[entry.stage] = entry
    return ProjectRow(
        node=node, goal=None, path=[], figures=figures, evaluation=evaluation, entries=entries, states=states
    )


def node_figures(node, fiscal_year: int) -> NodeFigures:
    """``progress.selectors.plan_figures`` for one project (a leaf): its report, indicators and 達成率."""
    from sasaeai.progress.models import Indicator, IndicatorActual, IndicatorTarget, ProgressReport
    from sasaeai.progress.selectors import indicator_figure

    figures = NodeFigures()
    figures.report = (
        ProgressReport.objects.filter(node=node, fiscal_year=fiscal_year)
        .select_related("status")
        .order_by("-period")
        .first()
    )
    targets = dict(
        IndicatorTarget.objects.filter(indicator__node=node, fiscal_year=fiscal_year).values_list(
            "indicator_id", "value"
        )
    )
    actuals = {}
    for actual in (
        IndicatorActual.objects.filter(report__node=node, report__fiscal_year=fiscal_year)
        .order_by("report__period")
        .values("indicator_id", "value", "text")
    ):
        if actual["value"] is not None or actual["text"]:
            actuals[actual["indicator_id"]] = actual
    for indicator in Indicator.objects.filter(node=node).order_by("position", "pk"):
        figures.indicators.append(indicator_figure(indicator, fiscal_year, targets, actuals))
    if figures.report is not None and figures.report.status is not None:
        figures.own_progress = figures.progress = Decimal(figures.report.status.score)
    figures.own_achievement = figures.achievement = rollup.mean(rollup.capped(i.rate) for i in figures.indicators)
    return figures


def ancestors(node) -> list:
    """The items above ``node``, top first (a plan is a few levels deep)."""
    chain, parent_id = [], node.parent_id
    from sasaeai.plans.models import PlanNode

    while parent_id is not None:
        parent = PlanNode.objects.only("pk", "parent_id", "code", "title").get(pk=parent_id)
        chain.append(parent)
        parent_id = parent.parent_id
    return list(reversed(chain))


def display_rate(value) -> str:
    return rollup.display(value)
