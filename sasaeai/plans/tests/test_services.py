"""Editing the structure: every operation's effect, its audit entry, and the refusals."""

import pytest
from django.core.exceptions import ValidationError

from sasaeai.core.models import AuditEntry
from sasaeai.plans import services
from sasaeai.plans.models import PlanLevel, PlanNode
from sasaeai.plans.selectors import plan_tree
from sasaeai.plans.tests.factories import titles


@pytest.fixture
def plan(councils):
    return services.plan_create(
        council=councils["a"],
        by=None,
        title="編集する計画",
        kind="activity",
        levels=["基本目標", "推進目標", "推進事業"],
        period_start=2026,
        period_end=2030,
    )


@pytest.fixture
def tree(plan, users):
    by = users["editor"]
    g1 = services.node_create(plan=plan, parent=None, by=by, title="目標1", code="1")
    g2 = services.node_create(plan=plan, parent=None, by=by, title="目標2", code="2")
    a = services.node_create(plan=plan, parent=g1, by=by, title="推進A", code="1-①")
    b = services.node_create(plan=plan, parent=g1, by=by, title="推進B", code="1-②")
    c = services.node_create(plan=plan, parent=g1, by=by, title="推進C", code="1-③")
    x = services.node_create(plan=plan, parent=a, by=by, title="事業X")
    return {"g1": g1, "g2": g2, "a": a, "b": b, "c": c, "x": x, "by": by}


def order(parent):
    return list(PlanNode.objects.filter(parent=parent).order_by("position").values_list("title", flat=True))


def test_create_appends_at_the_next_level_and_audits(plan, tree):
    assert order(tree["g1"]) == ["推進A", "推進B", "推進C"]
    assert tree["a"].level.name == "推進目標" and tree["x"].level.name == "推進事業"
    entry = AuditEntry.objects.filter(node_id=tree["x"].pk, action="node.create").get()
    assert entry.actor == tree["by"] and entry.after["title"] == "事業X" and entry.after["parent"] == "1-① 推進A"


def test_create_below_the_last_level_is_refused(plan, tree):
    with pytest.raises(ValidationError, match="これより下の階層がありません"):
        services.node_create(plan=plan, parent=tree["x"], by=None, title="深すぎ")


def test_duplicate_sibling_code_is_refused(plan, tree):
    with pytest.raises(ValidationError) as info:
        services.node_create(plan=plan, parent=tree["g1"], by=None, title="重複", code="1-②")
    assert "番号「1-②」は同じ階層に既にあります" in str(info.value)
    assert PlanNode.objects.filter(plan=plan).count() == 6


def test_reorder_up_and_down(plan, tree):
    services.node_reorder(node=tree["c"], by=tree["by"], offset=-1)
    assert order(tree["g1"]) == ["推進A", "推進C", "推進B"]
    services.node_reorder(node=tree["a"], by=tree["by"], offset=-1)  # already first: no change, no entry
    assert order(tree["g1"]) == ["推進A", "推進C", "推進B"]
    entries = AuditEntry.objects.filter(action="node.reorder")
    assert entries.count() == 1
    assert (entries[0].before, entries[0].after) == ({"position": 3}, {"position": 2})


def test_move_takes_the_subtree_and_renumbers_both_sides(plan, tree):
    services.node_move(node=tree["a"], by=tree["by"], parent=tree["g2"], position=0)
    assert order(tree["g1"]) == ["推進B", "推進C"]
    assert list(PlanNode.objects.filter(parent=tree["g1"]).order_by("position").values_list("position", flat=True)) == [
        0,
        1,
    ]
    assert order(tree["g2"]) == ["推進A"]
    tree["x"].refresh_from_db()
    assert tree["x"].parent_id == tree["a"].pk
    entry = AuditEntry.objects.get(action="node.move")
    assert entry.before == {"parent": "1 目標1"} and entry.after["parent"] == "2 目標2"


def test_move_to_the_top_shifts_levels_of_the_subtree(plan, tree):
    services.node_move(node=tree["a"], by=None, parent=None)
    tree["a"].refresh_from_db()
    tree["x"].refresh_from_db()
    assert (tree["a"].level.name, tree["x"].level.name) == ("基本目標", "推進目標")
    assert tree["a"].position == 2  # appended after 目標1, 目標2


def test_move_that_would_nest_too_deep_is_refused(plan, tree):
    with pytest.raises(ValidationError, match="深くなりすぎます"):
        services.node_move(node=tree["a"], by=None, parent=tree["b"])  # 推進A has 事業X below it
    tree["a"].refresh_from_db()
    assert tree["a"].parent_id == tree["g1"].pk


def test_move_into_own_subtree_is_refused(plan, tree):
    with pytest.raises(ValidationError, match="自分自身やその下位"):
        services.node_move(node=tree["g1"], by=None, parent=tree["a"])


def test_move_into_another_plan_is_refused(plan, tree, councils):
    other = services.plan_create(council=councils["a"], by=None, title="別の計画", kind="activity", levels=["目標"])
    foreign = services.node_create(plan=other, parent=None, by=None, title="よその目標")
    with pytest.raises(ValidationError, match="別の計画"):
        services.node_move(node=tree["a"], by=None, parent=foreign)


def test_priority_toggle_is_audited_once(plan, tree):
    services.node_set_priority(node=tree["b"], by=tree["by"], is_priority=True)
    services.node_set_priority(node=tree["b"], by=tree["by"], is_priority=True)
    tree["b"].refresh_from_db()
    assert tree["b"].is_priority
    entry = AuditEntry.objects.get(action="node.priority")
    assert (entry.before, entry.after) == ({"is_priority": False}, {"is_priority": True})


def test_update_records_only_changed_fields(plan, tree):
    services.node_update(node=tree["b"], by=tree["by"], title="推進B（改）", description="説明を追加")
    entry = AuditEntry.objects.get(action="node.update")
    assert entry.before == {"title": "推進B", "description": ""}
    assert entry.after == {"title": "推進B（改）", "description": "説明を追加"}
    assert entry.node_id == tree["b"].pk and entry.plan_id == plan.pk


def test_concurrent_edit_is_refused_and_keeps_the_first_save(plan, tree):
    node = tree["b"]
    opened_version = node.version
    services.node_update(node=node, by=tree["by"], expected_version=opened_version, title="先に保存")
    with pytest.raises(services.ConcurrentEditError, match="他の人がこの内容を更新しました"):
        services.node_update(node=node, by=tree["by"], expected_version=opened_version, title="後から保存")
    node.refresh_from_db()
    assert node.title == "先に保存"


def test_plan_update_detects_concurrent_edit(plan):
    v = plan.version
    services.plan_update(plan=plan, by=None, expected_version=v, vision="新しい理念")
    with pytest.raises(services.ConcurrentEditError):
        services.plan_update(plan=plan, by=None, expected_version=v, vision="古い画面からの理念")
    plan.refresh_from_db()
    assert plan.vision == "新しい理念"


def test_plan_update_validates_the_period(plan):
    with pytest.raises(ValidationError, match="終了年度は開始年度以降"):
        services.plan_update(plan=plan, by=None, period_end=2020)
    plan.refresh_from_db()
    assert plan.period_end == 2030


def test_plan_update_without_an_end_year_refuses_it_even_with_a_midterm_year(plan):
    # Found by mypy: Plan.clean compared the midterm year with a missing end year (TypeError, a 500).
    with pytest.raises(ValidationError) as info:
        services.plan_update(plan=plan, by=None, period_end=None, midterm_review_year=2028)
    assert "period_end" in info.value.message_dict
    plan.refresh_from_db()
    assert plan.period_end == 2030


def test_rename_and_add_levels(plan, tree):
    services.plan_levels_update(plan=plan, by=tree["by"], names=["基本方針", "推進目標", "推進事業", "事業細目"])
    assert list(PlanLevel.objects.filter(plan=plan).values_list("name", flat=True)) == [
        "基本方針",
        "推進目標",
        "推進事業",
        "事業細目",
    ]
    tree["g1"].refresh_from_db()
    assert tree["g1"].level.name == "基本方針"
    entry = AuditEntry.objects.get(action="plan.levels_update")
    assert entry.before == {"levels": ["基本目標", "推進目標", "推進事業"]}


@pytest.mark.parametrize(
    "names, message",
    [
        (["基本目標", "", "推進事業"], "空にはできません"),
        (["基本目標", "基本目標", "推進事業"], "同じ階層名"),
    ],
)
def test_bad_level_names_change_nothing(plan, names, message):
    with pytest.raises(ValidationError, match=message):
        services.plan_levels_update(plan=plan, by=None, names=names)
    assert list(PlanLevel.objects.filter(plan=plan).values_list("name", flat=True)) == [
        "基本目標",
        "推進目標",
        "推進事業",
    ]


def test_delete_removes_the_subtree_and_renumbers(plan, tree):
    services.node_delete(node=tree["a"], by=tree["by"])
    assert not PlanNode.objects.filter(pk__in=[tree["a"].pk, tree["x"].pk]).exists()
    assert order(tree["g1"]) == ["推進B", "推進C"]
    entry = AuditEntry.objects.get(action="node.delete")
    assert entry.before["deleted_items"] == 2 and entry.before["title"] == "推進A"


def test_issue_links_and_matrix(plan, tree):
    from sasaeai.plans.selectors import issue_matrix

    i1 = services.issue_create(plan=plan, by=None, code="01", title="つながりの希薄化")
    i2 = services.issue_create(plan=plan, by=None, code="02", title="防災・防犯の備え")
    services.issue_update(issue=i1, by=None, code="01", title="つながりの希薄化", nodes=[tree["x"]])
    matrix = issue_matrix(plan_tree(plan), 0)
    rows = {r["issue"].code: r for r in matrix["rows"]}
    assert rows["01"]["cells"] == ["below", ""] and rows["01"]["answered"]
    assert rows["02"]["cells"] == ["", ""] and not rows["02"]["answered"]
    assert matrix["unanswered_count"] == 1
    assert [c.title for c in matrix["unanswered_columns"]] == ["目標2"]
    services.node_update(node=tree["g2"], by=None, issues=[i2])
    rows = {r["issue"].code: r for r in issue_matrix(plan_tree(plan), 0)["rows"]}
    assert rows["02"]["cells"] == ["", "direct"]


def test_issue_from_another_plan_cannot_be_linked(plan, tree, councils):
    other = services.plan_create(council=councils["a"], by=None, title="別", kind="activity", levels=["目標"])
    foreign = services.issue_create(plan=other, by=None, code="01", title="よその課題")
    with pytest.raises(ValidationError, match="別の計画の地域生活課題"):
        services.node_update(node=tree["g1"], by=None, issues=[foreign])
    assert not tree["g1"].issues.exists()


def test_actions_are_replaced_and_audited(plan, tree):
    node = tree["b"]
    services.node_update(
        node=node,
        by=tree["by"],
        actions=[
            {
                "actor": "community",
                "text": "",
                "examples": ["居場所づくり", "見守り訪問など"],
                "steps": ["①：知る", "②：つながる"],
            },
            {"actor": "council", "text": "相談窓口の周知", "examples": [], "steps": []},
        ],
    )
    rows = list(node.actions.order_by("position").values_list("actor", "text", "examples", "steps"))
    assert rows == [
        ("community", "", ["居場所づくり", "見守り訪問など"], ["①：知る", "②：つながる"]),
        ("council", "相談窓口の周知", [], []),
    ]
    entry = AuditEntry.objects.get(action="node.update", node_id=node.pk)
    assert entry.before == {"actions": []} and len(entry.after["actions"]) == 2
    services.node_update(
        node=node, by=tree["by"], actions=[{"actor": "council", "text": "相談窓口の周知", "examples": [], "steps": []}]
    )
    assert list(node.actions.values_list("actor", flat=True)) == ["council"]


@pytest.mark.parametrize(
    "action, message",
    [
        ({"actor": "resident", "text": "x", "examples": [], "steps": []}, "取り組む主体"),
        ({"actor": "council", "text": "", "examples": [], "steps": []}, "どれかを入力"),
    ],
)
def test_bad_actions_change_nothing(plan, tree, action, message):
    with pytest.raises(ValidationError, match=message):
        services.node_update(node=tree["b"], by=None, title="変えたい名称", actions=[action])
    tree["b"].refresh_from_db()
    assert tree["b"].title == "推進B" and not tree["b"].actions.exists()


def test_phases_and_sections_are_replaced(plan):
    services.plan_update(
        plan=plan,
        by=None,
        phases=[
            {"name": "前期", "start_year": 2026, "end_year": 2028},
            {"name": "後期", "start_year": 2029, "end_year": 2030},
        ],
        sections=[{"title": "推進体制", "body": "推進会議を定期的に開催します。"}],
    )
    assert list(plan.phases.values_list("name", "start_year", "end_year")) == [
        ("前期", 2026, 2028),
        ("後期", 2029, 2030),
    ]
    assert list(plan.sections.values_list("title", flat=True)) == ["推進体制"]
    entry = AuditEntry.objects.get(action="plan.update")
    assert entry.before["phases"] == [] and entry.after["sections"][0]["title"] == "推進体制"


@pytest.mark.parametrize(
    "phase, message",
    [
        ({"name": "前期", "start_year": 2024, "end_year": 2027}, "計画期間の外"),
        ({"name": "前期", "start_year": 2028, "end_year": 2027}, "終了年度が開始年度より前"),
        ({"name": " ", "start_year": 2026, "end_year": 2027}, "名称"),
    ],
)
def test_bad_phases_change_nothing(plan, phase, message):
    with pytest.raises(ValidationError, match=message):
        services.plan_update(plan=plan, by=None, vision="変更", phases=[phase])
    plan.refresh_from_db()
    assert plan.vision == "" and not plan.phases.exists()


# --------------------------------------------------------------------------- moves that once went wrong


def test_move_within_the_same_parent_to_last(move_plan):
    g = PlanNode.objects.get(plan=move_plan, title="g")
    services.node_move(node=PlanNode.objects.get(plan=move_plan, title="2"), by=None, parent=g, position=None)
    assert titles(g) == ["3", "4", "5", "6", "2"]
    assert list(PlanNode.objects.filter(parent=g).order_by("position").values_list("position", flat=True)) == [
        0,
        1,
        2,
        3,
        4,
    ]


def test_reordering_keeps_a_deliberately_skipped_level(move_plan):
    g = PlanNode.objects.get(plan=move_plan, title="g")
    deep = services.node_create(plan=move_plan, parent=g, by=None, title="深い", level=move_plan.levels.get(name="C"))
    services.node_move(node=deep, by=None, parent=g, position=0)
    deep.refresh_from_db()
    assert deep.level.name == "C" and titles(g)[0] == "深い"


def test_level_change_allowed_when_children_stay_deeper(move_plan):
    root = services.node_create(plan=move_plan, parent=None, by=None, title="root")
    services.node_create(plan=move_plan, parent=root, by=None, title="child", level=move_plan.levels.get(name="C"))
    services.node_update(node=root, by=None, level=move_plan.levels.get(name="B"))
    root.refresh_from_db()
    assert root.level.name == "B"
