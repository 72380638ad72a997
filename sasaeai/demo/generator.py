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
            title=f"{LEVELS[level]}{n}の取り組みを進めます", level=level, code=f"{index + 1}",
            priority=n % 7 == 0, summary=f"項目{n}の要旨", description=f"項目{n}の説明文です。" * 3,
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
        title=title, kind="activity", levels=list(LEVELS), generation="第1次", period_start=2026, period_end=2030,
        vision="生成された基本理念", issues=[planfile.IssueData(code=f"{i + 1:02d}", title=f"生活課題{i + 1}") for i in range(issues)],
        nodes=roots,
    )
    return planfile.PlanFileData(council=council_name, plans=[plan])


def create_plan(*, council, nodes=2000, issues=20, title="生成された計画", by=None):
    data = plan_file_data(council_name=council.name, nodes=nodes, issues=issues, title=title)
    return plan_file_import(council=council, data=data, by=by)[0]
