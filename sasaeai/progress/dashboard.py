"""The dashboard of one plan in one fiscal year, read in a fixed number of queries (15, or 12 when
the page of trends holds no indicator), whatever the plan's size.

Figures follow the rule stated in ``rollup.py`` and are the same as ``selectors.plan_figures``
gives (a test compares them node by node). They are recomputed here from plain rows
(``values_list``) rather than through ``plan_figures``, which builds a model instance for every
node, indicator and report: for 1,000 projects with 3 indicators each that alone took longer than
the page's whole time budget.

- **By goal**: each top-level item's rolled-up 進捗 and 達成率. The row 計画全体 applies the same
  rule one level up: the weighted average of the goals' figures, Σ(重み × 数字) ÷ Σ(重み).
- **By working group**: the plain average of the (rolled-up) figures of the group's items, i.e.
  its 担当する項目 plus the items whose annual plan for the year names the group. Items without
  a figure are left out; a group with none shows "—".
- **Expected to report** in a year: every leaf item (no children), every item with an annual
  plan (年次計画) for that year, and every item with an indicator. Items above them get their
  figures by roll-up and are not expected to report themselves.
- **By status**: each expected item counts once, under the status of its latest report of the
  year that has a status (later periods win); an item with no such report counts as 未報告.
- **Overdue** (期限切れ): an expected item is overdue for a reporting period of the year when the
  period's overdue point has passed (``today > period.overdue_after``, i.e. the due date plus the
  grace days are over) and the item has no report with a status for that period. A report saved
  without a status does not count. On the ``overdue_after`` day itself nothing is overdue yet.
- **Never updated** (未更新): an expected item of the year with no report at all in the plan,
  in any year or period, with or without a status.
- **Owners** of an item: the 担当者 of its annual plan for the year, and the leader and sub-leader
  of every working group that owns the item or an item above it (through the group's
  担当する項目, or an annual plan of the year that names the group): the rule of
  ``permissions.py``, read by ``permissions.plan_ownership``.
- **Trends**: for each indicator, every year of the plan (plus its baseline year, with the 基準値,
  and any year it has a target or an actual in): the year's actual is the one in the latest
  period of that year that has a value (as in ``plan_figures``), the year's target is its 目標値
  for that year, or the final target in the final-target year. Trends are shown a page at a time
  (``TREND_PAGE_SIZE``), optionally for one goal only, so the page stays small for plans with
  thousands of indicators; all years' targets and actuals are read for that page's indicators.

Lists of overdue and never-updated items show at most ``LIST_LIMIT`` rows each (with the full
count), in the plan's order.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeAlias

from django.contrib.auth import get_user_model
from django.db.models import FilteredRelation, Max, Q
from django.utils import timezone

from sasaeai.plans.models import Plan, PlanNode

from . import periods as periods_module
from . import rollup, selectors
from .models import (
    Indicator,
    IndicatorActual,
    IndicatorTarget,
    ProgressReport,
    ProgressStatus,
    ReportingSchedule,
    WorkingGroup,
)
from .permissions import Ownership, plan_ownership
from .services import statuses_for

LIST_LIMIT = 100
TREND_PAGE_SIZE = 12
INDICATOR_FIELDS = ("pk", "node_id", "kind", "direction", "final_target", "final_target_year", "is_sample")


class Item:
    """A plan node as the dashboard needs it (a light stand-in for ``PlanNode``)."""

    __slots__ = (
        "achievement",
        "children_list",
        "code",
        "indicators",
        "is_sample",
        "parent_id",
        "parent_node",
        "pk",
        "progress",
        "title",
        "weight",
    )

    def __init__(self, pk, parent_id, code, title, weight):
        self.pk, self.parent_id, self.code, self.title, self.weight = pk, parent_id, code, title, weight
        self.children_list, self.parent_node, self.indicators = [], None, []
        self.progress = self.achievement = None
        self.is_sample = False

    @property
    def label(self):
        return f"{self.code} {self.title}".strip()

    def __str__(self):
        return self.label

    def __eq__(self, other):
        return isinstance(other, (Item, PlanNode)) and other.pk == self.pk

    def __hash__(self):
        return hash(self.pk)


@dataclass
class FigureRow:
    """A goal, or the whole plan (``node`` is None)."""

    node: Item | None
    weight: Decimal | None
    progress: Decimal | None
    achievement: Decimal | None
    is_sample: bool = False


@dataclass
class GroupRow:
    group: WorkingGroup
    items: list
    progress: Decimal | None
    achievement: Decimal | None
    progress_items: int
    achievement_items: int
    is_sample: bool = False


@dataclass
class StatusRow:
    status: ProgressStatus | None  # None: 未報告
    count: int
    share: Decimal | None
    is_sample: bool = False


@dataclass
class ItemRow:
    """An overdue or never-updated item, with whom to ask."""

    node: Item
    goal: Item | None
    missed: list = field(default_factory=list)  # Period objects of the year with no report
    last_year: int | None = None  # the latest fiscal year with a report of this item
    owners: list = field(default_factory=list)  # users named on the year's annual plan
    groups: list = field(default_factory=list)  # WorkingGroups (with leader / sub_leader)
    is_sample: bool = False


@dataclass
class TrendPoint:
    fiscal_year: int
    target: Decimal | None = None
    actual: Decimal | None = None
    actual_text: str = ""
    rate: Decimal | None = None
    baseline: Decimal | None = None
    is_sample: bool = False


@dataclass
class Trend:
    indicator: Indicator
    node: Item
    points: list
    is_sample: bool = False


@dataclass
class Dashboard:
    plan: object
    fiscal_year: int
    years: list
    today: object
    periods: list
    passed_periods: list
    statuses: list
    items: dict  # node id → Item, with .progress / .achievement of the year
    overall: FigureRow
    goals: list
    groups: list
    status_rows: list
    expected_count: int
    overdue: list
    overdue_count: int
    never_updated: list
    never_updated_count: int
    trends: list
    trend_total: int
    trend_page: int
    trend_pages: int
    trend_goal: Item | None
    has_sample: bool


def _int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _walk(nodes):
    stack = list(reversed(nodes))
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children_list))


# node id → period → (status id, is_sample) of the year's reports
YearReports: TypeAlias = dict[int, dict[int, tuple[int | None, bool]]]


def plan_dashboard(
    plan: Plan, fiscal_year: int, *, today: dt.date | None = None, trend_goal: object = None, trend_page: object = 1
) -> Dashboard:
    """Everything the dashboard page shows for ``plan`` in ``fiscal_year``.

    ``today`` decides which periods are overdue (default: today in Tokyo). ``trend_goal`` (a goal
    id, or None for all) and ``trend_page`` (1-based) choose the indicator trends shown.
    """
    today = today or timezone.localdate()
    statuses = statuses_for(plan.council)  # 1 query
    status_by_id = {s.pk: s for s in statuses}
    schedule = ReportingSchedule.objects.filter(plan=plan).first() or ReportingSchedule(plan=plan)  # 1
    periods = periods_module.periods(
        frequency=schedule.frequency,
        fiscal_year=fiscal_year,
        due_days=schedule.due_days,
        grace_days=schedule.grace_days,
    )
    passed = [p for p in periods if today > p.overdue_after]
    items, roots = _items(plan)  # 1
    year_reports = _year_figures(plan, fiscal_year, items, roots, status_by_id)  # 3
    goals = [
        FigureRow(node=n, weight=n.weight, progress=n.progress, achievement=n.achievement, is_sample=n.is_sample)
        for n in roots
    ]
    overall = FigureRow(
        node=None,
        weight=None,
        progress=rollup.weighted_average((g.weight, g.progress) for g in goals),
        achievement=rollup.weighted_average((g.weight, g.achievement) for g in goals),
        is_sample=any(g.is_sample for g in goals),
    )

    # Annual plans, their owners and the working groups: the ownership rule of ``permissions.py``.
    ownership = plan_ownership(plan, [fiscal_year], parents={pk: item.parent_id for pk, item in items.items()})  # 4
    annual_plans = ownership.annual_plans[fiscal_year]
    users = {
        u.pk: u
        for u in get_user_model()
        .objects.filter(  # 1
            annual_plans__node__plan=plan, annual_plans__fiscal_year=fiscal_year
        )
        .distinct()
    }
    group_rows = _group_rows(ownership, items, roots, fiscal_year)

    # Items expected to report, in the plan's order, and their statuses.
    expected = [n for n in _walk(roots) if not n.children_list or n.pk in annual_plans or n.indicators]
    status_rows = _status_rows(expected, year_reports, statuses, status_by_id)
    missing = _MissingReports(plan, fiscal_year, ownership, users)  # 1
    for node in expected:
        missing.add(node, year_reports, status_by_id, passed)

    trends, trend_total, page, pages, goal = _trends(plan, items, roots, fiscal_year, trend_goal, trend_page)

    has_sample = overall.is_sample or any(
        row.is_sample for rows in (group_rows, status_rows, missing.overdue, missing.never, trends) for row in rows
    )
    return Dashboard(
        plan=plan,
        fiscal_year=fiscal_year,
        years=selectors.plan_years(plan),
        today=today,
        periods=periods,
        passed_periods=passed,
        statuses=statuses,
        items=items,
        overall=overall,
        goals=goals,
        groups=group_rows,
        status_rows=status_rows,
        expected_count=len(expected),
        overdue=missing.overdue,
        overdue_count=missing.overdue_count,
        never_updated=missing.never,
        never_updated_count=missing.never_count,
        trends=trends,
        trend_total=trend_total,
        trend_page=page,
        trend_pages=pages,
        trend_goal=goal,
        has_sample=has_sample,
    )


def _items(plan: Plan) -> tuple[dict[int, Item], list[Item]]:
    """The tree, in the order of ``plan_tree``: every item by id, and the top-level items."""
    items: dict[int, Item] = {}
    roots = []
    for row in (
        PlanNode.objects.filter(plan=plan)
        .order_by("position", "pk")  # 1
        .values_list("pk", "parent_id", "code", "title", "weight")
    ):
        items[row[0]] = Item(*row)
    for item in items.values():
        if item.parent_id is None:
            roots.append(item)
        else:
            item.parent_node = items[item.parent_id]
            item.parent_node.children_list.append(item)
    return items, roots


def _year_figures(
    plan: Plan, fiscal_year: int, items: dict[int, Item], roots: list[Item], status_by_id: dict[int, ProgressStatus]
) -> YearReports:
    """Set each item's figures of the year, by the rule of ``rollup.py`` (as
    ``selectors.plan_figures``), and whether sample data is behind them; return the year's reports."""
    indicators = list(  # 1, with each indicator's target of the year
        Indicator.objects.filter(node__plan=plan)
        .annotate(year=FilteredRelation("targets", condition=Q(targets__fiscal_year=fiscal_year)))
        .order_by("position", "pk")
        .values_list(*INDICATOR_FIELDS, "year__value", named=True)
    )
    year_reports: YearReports = defaultdict(dict)
    report_ids = ProgressReport.objects.filter(node__plan=plan, fiscal_year=fiscal_year)
    for node_id, period, status_id, is_sample in report_ids.values_list(  # 1
        "node_id", "period", "status_id", "is_sample"
    ):
        year_reports[node_id][period] = (status_id, is_sample)
    actuals: dict[int, Decimal | None] = {}  # indicator id → the year's actual value
    for indicator_id, _period, value, text in sorted(  # 1
        IndicatorActual.objects.filter(report_id__in=report_ids.values("pk")).values_list(
            "indicator_id", "report__period", "value", "text"
        ),
        key=lambda row: row[1],
    ):
        if value is not None or text:  # later periods overwrite earlier ones
            actuals[indicator_id] = value
    own_progress, own_achievement = {}, {}
    for indicator in indicators:
        items[indicator.node_id].indicators.append(indicator)
    for pk, item in items.items():
        reports = year_reports.get(pk)
        if reports:
            latest_status, _sample = reports[max(reports)]  # the latest period's report, as plan_figures
            if latest_status in status_by_id:
                own_progress[pk] = Decimal(status_by_id[latest_status].score)
        own_achievement[pk] = rollup.mean([_achievement(i, actuals, fiscal_year) for i in item.indicators])
    progress = rollup.roll_up(roots, own_progress)
    achievement = rollup.roll_up(roots, own_achievement)
    # Which data behind each figure is sample, rolled up like the figures.
    for item in reversed(list(_walk(roots))):
        item.progress, item.achievement = progress.get(item.pk), achievement.get(item.pk)
        item.is_sample = (
            any(s for _st, s in year_reports.get(item.pk, {}).values())
            or any(i.is_sample for i in item.indicators)
            or any(c.is_sample for c in item.children_list)
        )
    return year_reports


def _achievement(indicator: Any, actuals: dict[int, Decimal | None], fiscal_year: int) -> Decimal | None:
    """One indicator's capped 達成率 of the year; ``indicator`` is a row of ``INDICATOR_FIELDS``."""
    target = indicator.year__value
    if target is None and indicator.final_target_year == fiscal_year:
        target = indicator.final_target
    rate: Decimal | None = rollup.capped(
        rollup.achievement_rate(
            kind=indicator.kind, direction=indicator.direction, actual=actuals.get(indicator.pk), target=target
        )
    )
    return rate


def _group_rows(ownership: Ownership, items: dict[int, Item], roots: list[Item], fiscal_year: int) -> list[GroupRow]:
    plan_order = {item.pk: i for i, item in enumerate(_walk(roots))}
    rows = []
    for group in ownership.groups.values():
        members = sorted(
            (items[n] for n in ownership.group_roots(group.pk, fiscal_year) if n in items),
            key=lambda item: plan_order[item.pk],
        )  # in the plan's own (depth-first) order
        p = [n.progress for n in members if n.progress is not None]
        a = [n.achievement for n in members if n.achievement is not None]
        rows.append(
            GroupRow(
                group=group,
                items=members,
                progress=rollup.mean(p),
                achievement=rollup.mean(a),
                progress_items=len(p),
                achievement_items=len(a),
                is_sample=group.is_sample or any(n.is_sample for n in members),
            )
        )
    return rows


def _status_rows(
    expected: list[Item],
    year_reports: YearReports,
    statuses: list[ProgressStatus],
    status_by_id: dict[int, ProgressStatus],
) -> list[StatusRow]:
    """Each expected item once, under the status of its latest report of the year with a status."""
    counts: defaultdict[int | None, int] = defaultdict(int)
    count_sample: defaultdict[int | None, bool] = defaultdict(bool)
    for node in expected:
        reported = [(period, s) for period, s in year_reports.get(node.pk, {}).items() if s[0] in status_by_id]
        key, is_sample = max(reported)[1] if reported else (None, False)
        counts[key] += 1
        count_sample[key] |= is_sample
    total = len(expected)

    def share(n: int) -> Decimal | None:
        return Decimal(n) * 100 / total if total else None

    rows = [
        StatusRow(status=s, count=counts[s.pk], share=share(counts[s.pk]), is_sample=count_sample[s.pk])
        for s in statuses
    ]
    rows.append(StatusRow(status=None, count=counts[None], share=share(counts[None])))
    return rows


class _MissingReports:
    """The overdue and the never-updated items (at most ``LIST_LIMIT`` of each, with the counts),
    with their owners."""

    def __init__(self, plan: Plan, fiscal_year: int, ownership: Ownership, users: dict[int, Any]) -> None:
        self.fiscal_year = fiscal_year
        self.ownership = ownership
        self.users = users
        self.annual_plans = ownership.annual_plans[fiscal_year]
        self.owner_ids = ownership.personal[fiscal_year]
        self.groups_at = ownership.groups_at(fiscal_year)  # node id → groups in charge of that node directly
        self.last_year = dict(
            ProgressReport.objects.filter(node__plan=plan)
            .order_by()  # 1
            .values("node_id")
            .annotate(last=Max("fiscal_year"))
            .values_list("node_id", "last")
        )
        self.overdue: list[ItemRow] = []
        self.never: list[ItemRow] = []
        self.overdue_count = self.never_count = 0

    def add(
        self,
        node: Item,
        year_reports: YearReports,
        status_by_id: dict[int, ProgressStatus],
        passed: list[periods_module.Period],
    ) -> None:
        done = {
            period for period, (status_id, _s) in year_reports.get(node.pk, {}).items() if status_id in status_by_id
        }
        missed = [p for p in passed if p.number not in done]
        if missed:
            self.overdue_count += 1
            if len(self.overdue) < LIST_LIMIT:
                self.overdue.append(self.row(node, missed))
        if node.pk not in self.last_year:
            self.never_count += 1
            if len(self.never) < LIST_LIMIT:
                self.never.append(self.row(node))

    def row(self, node: Item, missed: list[periods_module.Period] | tuple[()] = ()) -> ItemRow:
        owning = self.ownership.groups_reaching(node.pk, self.fiscal_year, at=self.groups_at)
        goal = node
        while goal.parent_node is not None:
            goal = goal.parent_node
        ap = self.annual_plans.get(node.pk)
        return ItemRow(
            node=node,
            goal=goal,
            missed=list(missed),
            last_year=self.last_year.get(node.pk),
            owners=[self.users[u] for u in self.owner_ids.get(node.pk, ()) if u in self.users],
            groups=owning,
            is_sample=bool(ap and ap[1]) or any(g.is_sample for g in owning),
        )


def _trends(plan, items, roots, fiscal_year, goal_id, page):
    goal = items.get(_int(goal_id))
    if goal is not None and goal.parent_id is not None:
        goal = None
    indicators = [(i, node) for node in _walk([goal] if goal else roots) for i in node.indicators]
    total = len(indicators)
    pages = max(1, math.ceil(total / TREND_PAGE_SIZE))
    page = min(max(_int(page, 1), 1), pages)
    shown = indicators[(page - 1) * TREND_PAGE_SIZE : page * TREND_PAGE_SIZE]
    ids = [i.pk for i, _n in shown]
    targets, actuals, full = {}, {}, {}
    if ids:
        full = Indicator.objects.in_bulk(ids)  # 1
        targets = {
            (i, y): v
            for i, y, v in IndicatorTarget.objects.filter(indicator_id__in=ids).values_list(  # 1
                "indicator_id", "fiscal_year", "value"
            )
        }
        for indicator_id, year, _period, value, text, is_sample in sorted(  # 1
            IndicatorActual.objects.filter(indicator_id__in=ids).values_list(
                "indicator_id", "report__fiscal_year", "report__period", "value", "text", "report__is_sample"
            ),
            key=lambda row: row[2],
        ):
            if value is not None or text:  # later periods overwrite earlier ones
                actuals[(indicator_id, year)] = (value, text, is_sample)
    plan_years = selectors.plan_years(plan)
    trends = []
    for row, node in shown:
        indicator = full[row.pk]
        years = (
            set(plan_years)
            | {y for (i, y) in targets if i == indicator.pk}
            | {y for (i, y) in actuals if i == indicator.pk}
        )
        if indicator.final_target is not None and indicator.final_target_year:
            years.add(indicator.final_target_year)
        has_baseline = indicator.baseline_value is not None and indicator.baseline_year
        if has_baseline:
            years.add(indicator.baseline_year)
        points = []
        for year in sorted(years):
            point = TrendPoint(fiscal_year=year, target=targets.get((indicator.pk, year)))
            if point.target is None and indicator.final_target_year == year:
                point.target = indicator.final_target
            if has_baseline and year == indicator.baseline_year:
                point.baseline = indicator.baseline_value
            if (indicator.pk, year) in actuals:
                point.actual, point.actual_text, point.is_sample = actuals[(indicator.pk, year)]
            point.rate = rollup.achievement_rate(
                kind=indicator.kind, direction=indicator.direction, actual=point.actual, target=point.target
            )
            points.append(point)
        trends.append(
            Trend(
                indicator=indicator,
                node=node,
                points=points,
                is_sample=indicator.is_sample or any(p.is_sample for p in points),
            )
        )
    return trends, total, page, pages, goal
