"""Sample running data for the demo: working groups, annual plans, indicators and reports.

Everything made here is marked ``is_sample`` and shown as サンプル on every screen, so nobody takes
it for a council's real figures. The numbers are pseudo-random but the same on every run.
"""

import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from sasaeai.core import fiscal
from sasaeai.plans.models import Plan
from sasaeai.plans.selectors import plan_tree
from sasaeai.progress import services
from sasaeai.progress.models import AnnualPlan, Indicator, ProgressReport, WorkingGroup

HALF_YEARLY = {"一関市地域福祉活動計画", "第4次倉敷市地域福祉活動計画"}


def sample_years(plan, today):
    """The plan's last two fiscal years up to this one."""
    if plan.period_start is None:
        return []
    current = fiscal.fiscal_year_of(today)
    years = [y for y in range(plan.period_start, plan.period_end + 1) if y <= current]
    return years[-2:]


@transaction.atomic
def load_samples(*, leader, reporter, editor, today=None):
    today = today or timezone.localdate()
    for plan in Plan.objects.select_related("council").order_by("pk"):
        if WorkingGroup.objects.filter(plan=plan, is_sample=True).exists():
            continue
        years = sample_years(plan, today)
        tree = plan_tree(plan)
        if not years or not tree.roots:
            continue
        rng = random.Random(plan.title)
        if plan.title in HALF_YEARLY:
            services.schedule_update(plan=plan, by=None, frequency="half", due_days=30, grace_days=14)
        statuses = services.statuses_for(plan.council)
        groups = _sample_groups(plan, tree, years, today, leader=leader, reporter=reporter, editor=editor)
        leaves = [n for n in tree.walk() if not n.children_list and n.parent_node is not None]
        for index, node in enumerate(leaves):
            _sample_item(plan, node, index, years, today, rng, groups=groups, statuses=statuses, reporter=reporter)
        if len(years) > 1:
            _sample_evaluations(plan, years[0], leaves, rng)
    return ProgressReport.objects.filter(is_sample=True).count(), AnnualPlan.objects.filter(is_sample=True).count()


def _sample_groups(plan, tree, years, today, *, leader, reporter, editor):
    """One working group per goal with items below it, and one meeting of the first; root id → group."""
    groups = {}
    for i, root in enumerate(r for r in tree.roots if r.children_list):
        name = f"{root.code or i + 1} {root.title[:14]} WG（サンプル）"
        groups[root.pk] = services.working_group_save(
            plan=plan,
            by=None,
            name=name,
            nodes=[root],
            leader=leader if i == 0 else editor,
            sub_leader=editor if i == 0 else None,
            members=[reporter],
            is_sample=True,
        )
    if groups:
        first_group = next(iter(groups.values()))
        period = services.plan_periods(plan, years[-1])[0]
        held_on = min(today, period.start.replace(month=period.start.month + 2))
        services.meeting_save(
            plan=plan,
            by=None,
            is_sample=True,
            title="第1回 推進会議（サンプル）",
            held_on=held_on,
            working_group=first_group,
            attendees="リーダー、サブリーダー、メンバー（サンプル）",
            agenda="（サンプル）各事業の進捗の確認",
            minutes="（サンプル）上半期の取り組みを報告し合いました。",
            decisions="（サンプル）遅れている事業は次回までに対応を検討する。",
            nodes=[n for n in tree.roots if n.pk in groups][:2],
        )
    return groups


def _sample_item(plan, node, index, years, today, rng, *, groups, statuses, reporter):
    """A leaf's sample indicator, annual plans and the reports of its past periods."""
    root = node
    while root.parent_node is not None:
        root = root.parent_node
    indicator = Indicator.objects.filter(node=node).first()
    if indicator is None:
        base = rng.randint(20, 200)
        indicator = services.indicator_create(
            node=node,
            by=None,
            name="参加者数（サンプル）",
            unit="人",
            baseline_value=base,
            baseline_year=years[0] - 1,
            is_sample=True,
            targets={y: base + 10 * (k + 1) for k, y in enumerate(range(years[0], plan.period_end + 1))},
        )
    targets = dict(indicator.targets.values_list("fiscal_year", "value"))
    for year in years:
        services.annual_plan_save(
            node=node,
            fiscal_year=year,
            by=None,
            is_sample=True,
            content=f"（サンプル）{node.title}に向けて、関係者と協力して取り組みます。",
            months=sorted(rng.sample(services.MONTHS_OF_FY, rng.randint(2, 6))),
            working_group=groups.get(root.pk),
            owners=[reporter] if index % 3 == 0 else [],
            budget=rng.choice([None, 30000, 50000, 120000]),
        )
        for period in services.plan_periods(plan, year):
            if period.end >= today and (index % 3 == 0 or period.start > today):
                continue  # leave the reporter's current items open, and nothing in the future
            status = statuses[rng.choice([1, 2, 3, 3, 3, 4])]
            target = targets.get(year)
            actual = (
                None if target is None else (Decimal(target) * Decimal(rng.randint(60, 115)) / 100).quantize(Decimal(1))
            )
            services.report_save(
                node=node,
                fiscal_year=year,
                period=period.number,
                by=None,
                is_sample=True,
                status=status,
                done_text="（サンプル）計画に沿って活動しました。",
                results="（サンプル）参加者が増えました。",
                problems="（サンプル）担い手の確保が課題です。" if status.score < 75 else "",
                actuals={indicator: actual} if actual is not None else {},
            )


def _sample_evaluations(plan, year, leaves, rng):
    """Last year's evaluation, part way: every project self-evaluated, two in three reviewed, one in
    three evaluated internally. The external and final stages are left for people to try."""
    from sasaeai.evaluation.models import Evaluation, StageEntry
    from sasaeai.evaluation.selectors import directions_for, grades_for
    from sasaeai.evaluation.services import evaluation_setup

    evaluation_setup(plan.council)
    grades, directions = grades_for(plan.council), directions_for(plan.council)
    if Evaluation.objects.filter(node__plan=plan, fiscal_year=year).exists():
        return
    now = timezone.now()
    for index, node in enumerate(leaves):
        evaluation = Evaluation.objects.create(node=node, fiscal_year=year, is_sample=True)
        stages = ["self"] + (["review"] if index % 3 else []) + (["internal"] if index % 3 == 1 else [])
        for stage in stages:
            grade = grades[min(len(grades) - 1, rng.choice([0, 1, 1, 1, 2, 2, 3]))]
            direction = directions[rng.choice([0, 1, 1, 1, 2])] if directions else None
            StageEntry.objects.create(
                evaluation=evaluation,
                stage=stage,
                state=StageEntry.State.SUBMITTED,
                grade=grade,
                results="（サンプル）参加者が増え、地域のつながりが広がりました。",
                comment="（サンプル）計画どおりに実施できました。"
                if grade.score >= 75
                else "（サンプル）一部が遅れました。",
                challenges="（サンプル）担い手の確保が課題です。",
                improvements="（サンプル）広報を見直し、新しい担い手を募ります。",
                direction=direction,
                submitted_at=now,
            )
