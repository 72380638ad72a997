"""Reads for running the plan. A whole plan's figures for a year come from a fixed number of
queries, whatever its size."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.http import Http404
from django.utils import timezone

from sasaeai.core import fiscal
from sasaeai.plans.selectors import plan_tree

from . import rollup
from .models import Indicator, IndicatorActual, IndicatorTarget, ProgressReport
from .services import plan_periods, schedule_for, statuses_for


@dataclass
class IndicatorFigure:
    indicator: Indicator
    target: Decimal | None = None
    actual: Decimal | None = None
    actual_text: str = ""
    rate: Decimal | None = None


@dataclass
class NodeFigures:
    report: ProgressReport | None = None
    indicators: list[IndicatorFigure] = field(default_factory=list)
    own_progress: Decimal | None = None
    own_achievement: Decimal | None = None
    progress: Decimal | None = None
    achievement: Decimal | None = None


def default_fiscal_year(plan):
    """This fiscal year if it is inside the plan's period, else the nearest year of the period."""
    today = fiscal.fiscal_year_of(timezone.localdate())
    if plan.period_start is None:
        return today
    return min(max(today, plan.period_start), plan.period_end)


def plan_years(plan):
    if plan.period_start is None:
        year = default_fiscal_year(plan)
        return [year]
    return list(range(plan.period_start, plan.period_end + 1))


def plan_figures(plan, fiscal_year: int, tree=None):
    """Status, 進捗 and 達成率 of every node of ``plan`` in ``fiscal_year``, rolled up.

    The year's actual of an indicator is the one in the latest period of that year that has it.
    """
    tree = tree or plan_tree(plan)
    figures = {pk: NodeFigures() for pk in tree.by_id}
    indicators = list(Indicator.objects.filter(node__plan=plan).order_by("position", "pk"))
    targets = dict(
        ((t.indicator_id), t.value)
        for t in IndicatorTarget.objects.filter(indicator__node__plan=plan, fiscal_year=fiscal_year)
    )
    reports = list(
        ProgressReport.objects.filter(node__plan=plan, fiscal_year=fiscal_year)
        .select_related("status", "updated_by")
        .order_by("period")
    )
    for report in reports:  # later periods overwrite earlier ones
        figures[report.node_id].report = report
    actuals = {}
    for actual in (
        IndicatorActual.objects.filter(report__node__plan=plan, report__fiscal_year=fiscal_year)
        .order_by("report__period")
        .values("indicator_id", "value", "text")
    ):
        if actual["value"] is not None or actual["text"]:
            actuals[actual["indicator_id"]] = actual
    for indicator in indicators:
        figures[indicator.node_id].indicators.append(indicator_figure(indicator, fiscal_year, targets, actuals))
    own_progress, own_achievement = {}, {}
    for pk, f in figures.items():
        if f.report and f.report.status:
            f.own_progress = own_progress[pk] = Decimal(f.report.status.score)
        f.own_achievement = own_achievement[pk] = rollup.mean(rollup.capped(i.rate) for i in f.indicators)
    progress = rollup.roll_up(tree.roots, own_progress)
    achievement = rollup.roll_up(tree.roots, own_achievement)
    for pk, f in figures.items():
        f.progress, f.achievement = progress.get(pk), achievement.get(pk)
    return tree, figures


def indicator_figure(indicator, fiscal_year, targets: dict, actuals: dict) -> IndicatorFigure:
    """One indicator's figure in a year: its target (the year's, else the final target in its year),
    its actual (``actuals``: indicator id → {"value", "text"} of the latest period) and 達成率."""
    figure = IndicatorFigure(indicator=indicator, target=targets.get(indicator.pk))
    if indicator.final_target_year == fiscal_year and figure.target is None:
        figure.target = indicator.final_target
    actual = actuals.get(indicator.pk)
    if actual:
        figure.actual, figure.actual_text = actual["value"], actual["text"]
    figure.rate = rollup.achievement_rate(
        kind=indicator.kind, direction=indicator.direction, actual=figure.actual, target=figure.target
    )
    return figure


def node_indicators(node):
    return list(Indicator.objects.filter(node=node).prefetch_related("targets").order_by("position", "pk"))


def indicator_get(node, indicator_id) -> Indicator:
    try:
        return Indicator.objects.select_related("node__plan").get(pk=int(indicator_id), node=node)
    except (Indicator.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def report_for(node, fiscal_year, period):
    return (
        ProgressReport.objects.filter(node=node, fiscal_year=fiscal_year, period=period)
        .select_related("status", "updated_by")
        .prefetch_related("actuals")
        .first()
    )


def node_reports(node):
    """Every report of a node, newest first, with its actuals (for the node page)."""
    reports = list(
        ProgressReport.objects.filter(node=node)
        .select_related("status", "updated_by")
        .prefetch_related("attachments")
        .order_by("-fiscal_year", "-period")
    )
    by_report = defaultdict(list)
    for actual in IndicatorActual.objects.filter(report__node=node).select_related("indicator"):
        by_report[actual.report_id].append(actual)
    for report in reports:
        report.actual_list = by_report[report.pk]
    return reports


__all__ = ["plan_figures", "plan_periods", "schedule_for", "statuses_for"]


def plan_working_groups(plan):
    from .models import WorkingGroup

    return list(
        WorkingGroup.objects.filter(plan=plan)
        .select_related("leader", "sub_leader")
        .prefetch_related("members", "nodes")
        .order_by("name")
    )


def working_group_get(plan, group_id):
    from .models import WorkingGroup

    try:
        return WorkingGroup.objects.get(pk=int(group_id), plan=plan)
    except (WorkingGroup.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def plan_meetings(plan):
    from .models import Meeting

    return list(
        Meeting.objects.filter(plan=plan)
        .select_related("working_group")
        .prefetch_related("nodes")
        .order_by("-held_on", "-pk")
    )


def meeting_get(plan, meeting_id):
    from .models import Meeting

    try:
        return Meeting.objects.get(pk=int(meeting_id), plan=plan)
    except (Meeting.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def plan_annual_plans(plan, fiscal_year, node=None):
    """node id → AnnualPlan (with working group and owners) for one year."""
    from .models import AnnualPlan

    qs = AnnualPlan.objects.filter(node__plan=plan, fiscal_year=fiscal_year)
    if node is not None:
        qs = qs.filter(node=node)
    return {a.node_id: a for a in qs.select_related("working_group").prefetch_related("owners")}


def my_items(user, *, today=None):
    """Items the user owns (see ``permissions``) in every active plan they can see, for the period
    that is open now and any earlier period of this year still unreported, with their state."""
    from sasaeai.accounts.selectors import roles_by_council
    from sasaeai.plans.models import Plan

    from .permissions import owned_node_ids

    today = today or timezone.localdate()
    rows = []
    plans = Plan.objects.filter(council_id__in=list(roles_by_council(user)), status=Plan.Status.ACTIVE)
    for plan in plans.select_related("council").order_by("council__name", "title"):
        year = fiscal.fiscal_year_of(today)
        if plan.period_start is not None and not plan.period_start <= year <= plan.period_end:
            continue
        tree = plan_tree(plan)
        owned = owned_node_ids(user, plan, year, tree=tree)
        if not owned:
            continue
        periods = [p for p in plan_periods(plan, year) if p.start <= today]
        from .models import AnnualPlan, WorkingGroup

        sample = (
            AnnualPlan.objects.filter(node__plan=plan, fiscal_year=year, is_sample=True).exists()
            or WorkingGroup.objects.filter(plan=plan, is_sample=True).exists()
        )
        reported = set(
            ProgressReport.objects.filter(node_id__in=owned, fiscal_year=year, status__isnull=False).values_list(
                "node_id", "period"
            )
        )
        for node in tree.walk():
            if node.pk not in owned:
                continue
            for period in periods:
                done = (node.pk, period.number) in reported
                current = period.start <= today <= period.end
                if done and not current:
                    continue
                state = (
                    "done"
                    if done
                    else ("overdue" if today > period.overdue_after else "due" if today > period.end else "open")
                )
                rows.append({"plan": plan, "node": node, "period": period, "state": state, "is_sample": sample})
    order = {"overdue": 0, "due": 1, "open": 2, "done": 3}
    rows.sort(key=lambda r: (order[r["state"]], r["period"].due, r["plan"].pk, r["node"].position))
    return rows


def report_year(report_id):
    return ProgressReport.objects.filter(pk=report_id).values_list("fiscal_year", flat=True).first() or 0
