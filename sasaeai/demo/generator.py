"""Generated plans of any size, for tests and benchmarks (never shown as real data)."""

from sasaeai.plans import planfile
from sasaeai.plans.services import plan_file_import

LEVELS = ["基本目標", "推進目標", "推進事業", "事業細目"]


def plan_file_data(*, council_name, nodes=2000, issues=20, title="生成された計画", fanout=(5, 4, 5)):
    """A PlanFileData with exactly ``nodes`` nodes spread over four levels.

    Goals get ``fanout[0]`` children, and so on; the tree is filled breadth-first so every
    level is used, and every third node answers an issue.
    """
    counter = iter(range(1, nodes + 1))
    made = []

    def new(level, index):
        n = next(counter, None)
        if n is None:
            return None
        node = planfile.NodeData(
            title=f"{LEVELS[level]}{n}の取り組みを進めます",
            level=level,
            code=f"{index + 1}",
            priority=n % 7 == 0,
            summary=f"項目{n}の要旨",
            description=f"項目{n}の説明文です。" * 3,
            issues=[f"{(n % issues) + 1:02d}"] if issues and n % 3 == 0 else [],
        )
        made.append(node)
        return node

    goals = max(1, nodes // (1 + fanout[0] * (1 + fanout[1] * (1 + fanout[2]))))
    roots = [n for n in (new(0, i) for i in range(goals)) if n]
    frontier = roots
    for level in range(1, len(LEVELS)):
        next_frontier = []
        width = fanout[level - 1] if level - 1 < len(fanout) else 3
        for parent in frontier:
            for i in range(width):
                child = new(level, i)
                if child is None:
                    break
                parent.children.append(child)
                next_frontier.append(child)
        frontier = next_frontier
    # Whatever is left goes at the bottom level, spread over the last frontier.
    parents = frontier or roots
    i = 0
    while True:
        parent = parents[i % len(parents)]
        level = min(parent.level + 1, len(LEVELS) - 1)
        if level == parent.level:
            parent = roots[i % len(roots)]
            level = 1
        child = new(level, len(parent.children))
        if child is None:
            break
        parent.children.append(child)
        i += 1
    plan = planfile.PlanData(
        title=title,
        kind="activity",
        levels=list(LEVELS),
        generation="第1次",
        period_start=2026,
        period_end=2030,
        vision="生成された基本理念",
        issues=[planfile.IssueData(code=f"{i + 1:02d}", title=f"生活課題{i + 1}") for i in range(issues)],
        nodes=roots,
    )
    return planfile.PlanFileData(council=council_name, plans=[plan])


def create_plan(*, council, nodes=2000, issues=20, title="生成された計画", by=None):
    data = plan_file_data(council_name=council.name, nodes=nodes, issues=issues, title=title)
    return plan_file_import(council=council, data=data, by=by)[0]


def create_running_plan(
    *, council, projects=1000, goals=10, indicators=3, years=10, start=2021, owner=None, title="生成された推進中の計画"
):
    """A plan with ``goals`` goals × (projects ÷ goals) projects, ``indicators`` indicators per project with
    a target every year, and a yearly report with actuals for every project in every year. Bulk-inserted
    (this is test and benchmark data, not a user's change, so it bypasses services and audit)."""
    import random
    from decimal import Decimal

    from sasaeai.progress.models import (
        AnnualPlan,
        Indicator,
        IndicatorActual,
        IndicatorTarget,
        ProgressReport,
        WorkingGroup,
    )
    from sasaeai.progress.services import statuses_for

    per_goal = projects // goals
    roots = []
    for g in range(goals):
        root = planfile.NodeData(title=f"基本目標{g + 1}", level=0, code=str(g + 1))
        root.children = [
            planfile.NodeData(title=f"推進事業{g + 1}-{p + 1}", level=1, code=f"{g + 1}-{p + 1}")
            for p in range(per_goal)
        ]
        roots.append(root)
    data = planfile.PlanFileData(
        council=council.name,
        plans=[
            planfile.PlanData(
                title=title,
                kind="activity",
                levels=["基本目標", "推進事業"],
                period_start=start,
                period_end=start + years - 1,
                nodes=roots,
            )
        ],
    )
    plan = plan_file_import(council=council, data=data, by=None)[0]
    rng = random.Random(1)
    statuses = statuses_for(council)
    leaves = list(plan.nodes.filter(parent__isnull=False).order_by("pk"))
    goals_by_pk = {n.pk: n for n in plan.nodes.filter(parent__isnull=True)}
    groups = {}
    for pk, goal in goals_by_pk.items():
        group = WorkingGroup.objects.create(plan=plan, name=f"WG{goal.code}", leader=owner, is_sample=True)
        group.nodes.add(goal)
        groups[pk] = group
    inds = Indicator.objects.bulk_create(
        Indicator(node=n, position=i, name=f"指標{i + 1}", unit="人", is_sample=True)
        for n in leaves
        for i in range(indicators)
    )
    IndicatorTarget.objects.bulk_create(
        IndicatorTarget(indicator=ind, fiscal_year=y, value=Decimal(100 + 10 * (y - start)))
        for ind in inds
        for y in range(start, start + years)
    )
    reports = ProgressReport.objects.bulk_create(
        ProgressReport(
            node=n,
            fiscal_year=y,
            period=1,
            status=statuses[rng.randrange(len(statuses))],
            done_text="実施しました",
            is_sample=True,
        )
        for n in leaves
        for y in range(start, start + years)
    )
    by_node = {}
    for ind in inds:
        by_node.setdefault(ind.node_id, []).append(ind)
    IndicatorActual.objects.bulk_create(
        IndicatorActual(report=r, indicator=ind, value=Decimal(rng.randint(50, 150)))
        for r in reports
        for ind in by_node[r.node_id]
    )
    annual = AnnualPlan.objects.bulk_create(
        AnnualPlan(node=n, fiscal_year=y, content="実施する", working_group=groups[n.parent_id], is_sample=True)
        for n in leaves
        for y in range(start, start + years)
    )
    if owner is not None:
        AnnualPlan.owners.through.objects.bulk_create(
            AnnualPlan.owners.through(annualplan_id=a.pk, user_id=owner.pk) for a in annual[::7]
        )
    return plan


def fill_evaluations(plan, *, fiscal_year, stages=("self", "review", "internal", "external", "final"), seed=1):
    """Submitted evaluations of every project of ``plan`` for one year, bulk-inserted (benchmark and
    test data). Directions are spread over the council's list, so closing the year exercises every path."""
    import random

    from django.utils import timezone

    from sasaeai.evaluation.models import Evaluation, StageEntry
    from sasaeai.evaluation.selectors import directions_for, grades_for
    from sasaeai.evaluation.services import evaluation_setup

    evaluation_setup(plan.council)
    grades, directions = grades_for(plan.council), directions_for(plan.council)
    rng = random.Random(seed)
    leaves = list(plan.nodes.filter(children__isnull=True).order_by("pk"))
    evaluations = Evaluation.objects.bulk_create(
        Evaluation(node=n, fiscal_year=fiscal_year, is_sample=True) for n in leaves
    )
    if evaluations and evaluations[0].pk is None:
        evaluations = list(Evaluation.objects.filter(node__plan=plan, fiscal_year=fiscal_year, period=0))
    now = timezone.now()
    StageEntry.objects.bulk_create(
        (
            StageEntry(
                evaluation=e,
                stage=stage,
                state=StageEntry.State.SUBMITTED,
                grade=rng.choice(grades),
                results="参加者が増え、地域のつながりが広がった。",
                comment="計画どおり実施できている。",
                challenges="担い手の高齢化が進んでおり、新しい担い手の確保が必要。" * rng.randint(1, 3),
                improvements=f"事業{e.node_id}: 若い世代への呼びかけと、活動の周知方法を見直す。" * rng.randint(1, 3),
                direction=rng.choice(directions),
                submitted_at=now,
            )
            for e in evaluations
            for stage in stages
        ),
        batch_size=2000,
    )
    return len(evaluations)
