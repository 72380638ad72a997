"""What a publication freezes: the public content of a plan, built from the live data at the moment of publishing.

Each builder returns plain JSON (text, numbers as strings, ids) holding only what residents may read:
- never a person (no user, owner, leader, reporter, author or contact of a person);
- never a sample (``is_sample``: the demo's invented data);
- of evaluations, only the submitted 最終評価 (no self-evaluation, review, or a stage still in draft);
- the committee's 総評 only once the committee has confirmed it.
The public pages, open data, API and 概要版 all read these copies (``Publication.data``), never the live plan.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone

from sasaeai.core import fiscal
from sasaeai.plans.models import Plan
from sasaeai.plans.selectors import plan_tree
from sasaeai.progress import rollup

from .models import Publication

SCHEMA_VERSION = 1

# The roll-up rule in residents' words, printed beside every figure (progress.rollup states the same in code).
ACHIEVEMENT_RULE = (
    "達成率は、指標ごとに「実績値 ÷ 目標値 × 100」（少ないほどよい指標は「目標値 ÷ 実績値 × 100」、"
    "実施の有無は 実施=100・未実施=0）で計算します。"
    "項目の達成率は、その項目の指標の達成率（100を上限とします）の平均です。"
    "下の項目がある項目は、下の項目の達成率の重み付き平均（重みは標準で1）です。"
    "表示は小数第1位で四捨五入しています。"
)
PROGRESS_RULE = (
    "進捗は、各項目の状況（例: 順調・やや遅れ）に決めた点数です。"
    "下の項目がある項目は、下の項目の点数の重み付き平均です。"
)


def number(value: Decimal | int | None) -> str | None:
    """A figure as text (exact, no float): 12.5 → "12.5", 12.0 → "12"; None stays None."""
    if value is None:
        return None
    return format(Decimal(value).normalize(), "f")


def rate(value: Decimal | None) -> str | None:
    return None if value is None else rollup.display(value)


def plan_summary(plan: Plan) -> dict[str, Any]:
    municipal = None
    if plan.municipal_plan_name:
        municipal = {
            "name": plan.municipal_plan_name,
            "generation": plan.municipal_plan_generation,
            "period_start": plan.municipal_plan_start,
            "period_end": plan.municipal_plan_end,
            "period_label": plan.municipal_plan_period_label,
        }
    return {
        "id": plan.pk,
        "title": plan.title,
        "generation": plan.generation,
        "kind": plan.kind,
        "kind_label": str(plan.get_kind_display()),
        "document": plan.document,
        "part": plan.part,
        "status": plan.status,
        "status_label": str(plan.get_status_display()),
        "period_start": plan.period_start,
        "period_end": plan.period_end,
        "period_label": plan.period_label,
        "midterm_review_year": plan.midterm_review_year,
        "vision": plan.vision,
        "vision_explanation": plan.vision_explanation,
        "purpose": plan.purpose,
        "municipal_plan": municipal,
        "predecessor_title": plan.predecessor.title if plan.predecessor is not None else plan.predecessor_title,
        "phases": [
            {"name": p.name, "start": p.start_year, "end": p.end_year, "period_label": p.period_label}
            for p in plan.phases.all()
        ],
    }


def build_structure(plan: Plan) -> dict[str, Any]:
    """The plan itself: vision, period, levels, the tree with its actions, issues and the goals answering them,
    its other printed sections, and how it was made (``making``)."""
    from . import making

    tree = plan_tree(plan, with_actions=True)
    nodes = []
    for node in tree.walk():
        actions: dict[str, list[dict[str, Any]]] = {"community": [], "council": []}
        for action in node.action_list:
            actions.setdefault(action.actor, []).append(
                {"text": action.text, "examples": list(action.examples or []), "steps": list(action.steps or [])}
            )
        nodes.append(
            {
                "id": node.pk,
                "parent": node.parent_id,
                "depth": node.level.depth,
                "level": node.level.name,
                "code": node.code,
                "title": node.title,
                "summary": node.summary,
                "description": node.description,
                "desired_state": node.desired_state,
                "plain_summary": node.plain_summary,
                "is_priority": node.is_priority,
                "targets_text": node.targets_text,
                "weight": number(node.weight),
                "issues": [issue.code for issue in node.issue_list],
                "actions": actions,
            }
        )
    issues = [
        {
            "code": issue.code,
            "title": issue.title,
            "description": issue.description,
            "nodes": [n.pk for n in tree.nodes_by_issue.get(issue.pk, [])],
        }
        for issue in tree.issues
    ]
    return {
        "schema": SCHEMA_VERSION,
        "plan": plan_summary(plan),
        "levels": [{"depth": lv.depth, "name": lv.name} for lv in tree.levels],
        "nodes": nodes,
        "issues": issues,
        "sections": [{"title": s.title, "body": s.body} for s in plan.sections.all()],
        "making": making.build(plan),
    }


def _frequency(plan: Plan) -> str:
    """How often the plan's progress is reported (yearly, half, quarterly): names each item's report period."""
    from sasaeai.progress.models import ReportingSchedule

    schedule = ReportingSchedule.objects.filter(plan=plan).first()
    return schedule.frequency if schedule is not None else ReportingSchedule.Frequency.YEARLY


def build_progress(plan: Plan, fiscal_year: int) -> dict[str, Any]:
    """Status, 進捗 and 達成率 of every item in one year, with every real (not sample) indicator's target and actual."""
    from sasaeai.progress.models import Indicator, IndicatorActual, IndicatorTarget, ProgressReport, ProgressStatus
    from sasaeai.progress.selectors import indicator_figure

    tree = plan_tree(plan)
    indicators = list(Indicator.objects.filter(node__plan=plan, is_sample=False).order_by("position", "pk"))
    targets = {
        t.indicator_id: t.value
        for t in IndicatorTarget.objects.filter(
            indicator__node__plan=plan, indicator__is_sample=False, fiscal_year=fiscal_year
        )
    }
    reports = list(
        ProgressReport.objects.filter(node__plan=plan, fiscal_year=fiscal_year, is_sample=False)
        .select_related("status")
        .order_by("period")
    )
    latest: dict[int, ProgressReport] = {}
    for report in reports:  # later periods overwrite earlier ones
        latest[report.node_id] = report
    actuals: dict[int, dict[str, Any]] = {}
    for actual in (
        IndicatorActual.objects.filter(
            report__node__plan=plan,
            report__fiscal_year=fiscal_year,
            report__is_sample=False,
            indicator__is_sample=False,
        )
        .order_by("report__period")
        .values("indicator_id", "value", "text")
    ):
        if actual["value"] is not None or actual["text"]:
            actuals[actual["indicator_id"]] = dict(actual)
    by_node: dict[int, list[dict[str, Any]]] = {}
    own_achievement: dict[int, Decimal | None] = {}
    own_progress: dict[int, Decimal | None] = {}
    rates: dict[int, list[Decimal | None]] = {}
    for indicator in indicators:
        figure = indicator_figure(indicator, fiscal_year, targets, actuals)
        rates.setdefault(indicator.node_id, []).append(rollup.capped(figure.rate))
        by_node.setdefault(indicator.node_id, []).append(
            {
                "id": indicator.pk,
                "name": indicator.name,
                "unit": indicator.unit,
                "kind": indicator.kind,
                "kind_label": str(indicator.get_kind_display()),
                "direction": indicator.direction,
                "direction_label": str(indicator.get_direction_display()),
                "baseline": number(indicator.baseline_value),
                "baseline_year": indicator.baseline_year,
                "final_target": number(indicator.final_target),
                "final_target_year": indicator.final_target_year,
                "target": number(figure.target),
                "actual": number(figure.actual),
                "actual_text": figure.actual_text,
                "rate": rate(figure.rate),
            }
        )
    for pk, node_rates in rates.items():
        own_achievement[pk] = rollup.mean(node_rates)
    for pk, report in latest.items():
        if report.status is not None:
            own_progress[pk] = Decimal(report.status.score)
    progress = rollup.roll_up(tree.roots, own_progress)
    achievement = rollup.roll_up(tree.roots, own_achievement)
    nodes: dict[str, dict[str, Any]] = {}
    for node in tree.walk():
        node_report = latest.get(node.pk)
        status = node_report.status if node_report is not None else None
        entry = {
            "status": status.name if status else None,
            "status_color": status.color if status else None,
            "period": node_report.period if node_report is not None else None,
            "progress": rate(progress.get(node.pk)),
            "achievement": rate(achievement.get(node.pk)),
            "indicators": by_node.get(node.pk, []),
        }
        if entry["status"] or entry["progress"] or entry["achievement"] or entry["indicators"]:
            nodes[str(node.pk)] = entry
    return {
        "schema": SCHEMA_VERSION,
        "fiscal_year": fiscal_year,
        "fiscal_year_label": fiscal.format_fiscal_year(fiscal_year),
        "statuses": [
            {"name": s.name, "color": s.color, "score": s.score}
            for s in ProgressStatus.objects.filter(council=plan.council).order_by("position", "pk")
        ],
        "achievement_rule": ACHIEVEMENT_RULE,
        "progress_rule": PROGRESS_RULE,
        "frequency": _frequency(plan),
        "nodes": nodes,
    }


def build_evaluation(plan: Plan, fiscal_year: int) -> dict[str, Any]:
    """The submitted 最終評価 of each project in one year, with its 方向性. No other stage, no person."""
    from sasaeai.evaluation.models import Evaluation, Grade, Stage, StageEntry
    from sasaeai.evaluation.selectors import directions_for, scale_for

    entries = (
        StageEntry.objects.filter(
            evaluation__node__plan=plan,
            evaluation__fiscal_year=fiscal_year,
            evaluation__period=Evaluation.Period.YEAR,
            evaluation__is_sample=False,
            stage=Stage.FINAL,
            state=StageEntry.State.SUBMITTED,
        )
        .select_related("grade", "direction", "evaluation")
        .order_by("evaluation__node_id")
    )
    projects: dict[str, dict[str, Any]] = {}
    for entry in entries:
        projects[str(entry.evaluation.node_id)] = {
            "grade": entry.grade.code if entry.grade else None,
            "grade_label": entry.grade.label if entry.grade else "",
            "grade_color": entry.grade.color if entry.grade else None,
            "results": entry.results,
            "comment": entry.comment,
            "challenges": entry.challenges,
            "improvements": entry.improvements,
            "direction": entry.direction.name if entry.direction else None,
        }
    scale = scale_for(plan.council)
    grades: list[Grade] = list(scale.grades.order_by("position", "pk")) if scale else []
    return {
        "schema": SCHEMA_VERSION,
        "fiscal_year": fiscal_year,
        "fiscal_year_label": fiscal.format_fiscal_year(fiscal_year),
        "stage_label": str(Stage.FINAL.label),
        "scale": [{"code": g.code, "label": g.label, "color": g.color, "score": g.score} for g in grades],
        "directions": [d.name for d in directions_for(plan.council)],
        "projects": projects,
    }


def build_opinion(plan: Plan, fiscal_year: int) -> dict[str, Any]:
    """The committee's confirmed 総評・答申 for one year (empty text while it is not confirmed)."""
    from sasaeai.evaluation.models import CommitteeOpinion

    opinion = CommitteeOpinion.objects.filter(plan=plan, fiscal_year=fiscal_year, is_submitted=True).first()
    return {
        "schema": SCHEMA_VERSION,
        "fiscal_year": fiscal_year,
        "fiscal_year_label": fiscal.format_fiscal_year(fiscal_year),
        "text": opinion.text if opinion else "",
        "submitted_on": timezone.localdate(opinion.submitted_at).isoformat()
        if opinion and opinion.submitted_at
        else None,
    }


BUILDERS = {
    Publication.Part.PROGRESS: build_progress,
    Publication.Part.EVALUATION: build_evaluation,
    Publication.Part.OPINION: build_opinion,
}


def build(plan: Plan, part: str, fiscal_year: int = 0) -> dict[str, Any]:
    if part == Publication.Part.STRUCTURE:
        return build_structure(plan)
    return BUILDERS[Publication.Part(part)](plan, fiscal_year)
