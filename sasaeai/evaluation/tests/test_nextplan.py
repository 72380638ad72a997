"""次期計画: a new plan generation from a finished one, keeping its lineage and its evaluation."""

from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from sasaeai.core.models import AuditEntry
from sasaeai.evaluation import nextplan
from sasaeai.evaluation.models import Direction, Grade
from sasaeai.evaluation.services import stage_save
from sasaeai.plans.models import CommunityIssue, NodeAction, Plan, PlanNode
from sasaeai.progress.models import Indicator
from sasaeai.progress.selectors import plan_figures


def _finish(plan):
    Plan.objects.filter(pk=plan.pk).update(status=Plan.Status.FINISHED)
    plan.refresh_from_db()
    return plan


def _submit(node, user, year, stage, grade, direction=None, **values):
    council = node.plan.council
    stage_save(
        node=node,
        fiscal_year=year,
        stage=stage,
        by=user,
        submit=True,
        grade=Grade.objects.get(scale__council=council, code=grade),
        direction=Direction.objects.get(council=council, name=direction) if direction else None,
        **values,
    )


@pytest.fixture
def finished_plan(evaluated_plan, users):
    """The evaluated plan, finished, with evaluations of projects 1-1 (through 最終評価 in 2030) and 1-2."""
    plan = evaluated_plan
    Plan.objects.filter(pk=plan.pk).update(generation="第3次", title="第3次テスト市地域福祉活動計画")
    plan.refresh_from_db()
    p11, p12 = PlanNode.objects.filter(plan=plan, code__in=["1-1", "1-2"]).order_by("code")
    admin = users["admin"]
    _submit(p11, admin, 2029, "self", "C", challenges="古い課題")
    for stage, grade, direction in (
        ("self", "A", None),
        ("review", "A", None),
        ("internal", "B", "継続"),
        ("external", "B", None),
        ("final", "B", "継続"),
    ):
        _submit(
            p11,
            admin,
            2030,
            stage,
            grade,
            direction,
            comment="着実に実施できた" if stage == "final" else "",
            challenges="参加者の固定化" if stage == "final" else "",
            improvements="若い世代に広報する" if stage == "final" else "",
        )
    _submit(p12, admin, 2030, "self", "C", challenges="参加者の固定化", improvements="若い世代に広報する")
    issue = CommunityIssue.objects.create(plan=plan, code="課題1", title="孤立")
    p11.issues.add(issue)
    NodeAction.objects.create(node=p11, position=0, actor="community", text="見守り活動")
    return _finish(plan)


def test_next_plan_from_an_active_plan_is_refused(evaluated_plan, users):
    count = Plan.objects.count()
    with pytest.raises(ValidationError, match="推進中の計画からは次期計画を作れません"):
        nextplan.plan_next_generation(
            plan=evaluated_plan, by=users["editor"], title="次の計画", period_start=2031, period_end=2035
        )
    assert Plan.objects.count() == count
    assert not AuditEntry.objects.filter(action="plan.next_generation").exists()


def test_next_plan_needs_plans_create(finished_plan, users):
    for who in ("committee", "viewer", "outsider"):
        with pytest.raises(PermissionDenied):
            nextplan.plan_next_generation(
                plan=finished_plan, by=users[who], title="次の計画", period_start=2031, period_end=2035
            )


@pytest.mark.parametrize(
    "title, start, end, message",
    [
        ("次の計画", 2031, 2030, "終了年度は開始年度以降"),
        ("次の計画", 2020, 2025, "前計画の開始年度"),
        ("第3次テスト市地域福祉活動計画", 2031, 2035, "既にあります"),
        ("", 2031, 2035, "名称を入力"),
    ],
)
def test_bad_input_creates_nothing(finished_plan, users, title, start, end, message):
    count = Plan.objects.count()
    with pytest.raises(ValidationError, match=message):
        nextplan.plan_next_generation(
            plan=finished_plan, by=users["editor"], title=title, period_start=start, period_end=end
        )
    assert Plan.objects.count() == count


def test_next_plan_copies_the_structure_and_keeps_the_lineage(finished_plan, users):
    new = nextplan.plan_next_generation(
        plan=finished_plan,
        by=users["editor"],
        title="第4次テスト市地域福祉活動計画",
        generation="第4次",
        period_start=2031,
        period_end=2035,
    )
    assert (new.status, new.predecessor, new.predecessor_title, new.generation, new.period_start, new.period_end) == (
        "drafting",
        finished_plan,
        "第3次テスト市地域福祉活動計画",
        "第4次",
        2031,
        2035,
    )
    assert [lv.name for lv in new.levels.order_by("depth")] == ["基本目標", "推進事業"]
    old_nodes = {n.pk: n for n in PlanNode.objects.filter(plan=finished_plan)}
    new_nodes = list(PlanNode.objects.filter(plan=new).select_related("parent", "previous_node"))
    assert len(new_nodes) == len(old_nodes) == 8
    for node in new_nodes:
        old = old_nodes[node.previous_node_id]
        assert (node.code, node.title, node.is_priority, node.weight) == (
            old.code,
            old.title,
            old.is_priority,
            old.weight,
        )
        assert (node.parent.previous_node_id if node.parent else None) == old.parent_id
    p11 = next(n for n in new_nodes if n.code == "1-1")
    assert [i.code for i in p11.issues.all()] == ["課題1"] and p11.issues.get().plan_id == new.pk
    assert [a.text for a in NodeAction.objects.filter(node=p11)] == ["見守り活動"]
    assert not Indicator.objects.filter(node__plan=new).exists()
    entry = AuditEntry.objects.get(action="plan.next_generation")
    assert entry.plan_id == new.pk and entry.after["nodes"] == 8


def test_previous_evaluation_holds_the_real_grade_and_rate(finished_plan, users):
    new = nextplan.plan_next_generation(
        plan=finished_plan, by=users["editor"], title="第4次の計画", period_start=2031, period_end=2035
    )
    old_p11 = PlanNode.objects.get(plan=finished_plan, code="1-1")
    old_goal = PlanNode.objects.get(plan=finished_plan, code="1")
    _tree, figures = plan_figures(finished_plan, 2030)
    rate = figures[old_p11.pk].achievement.quantize(D("0.1"))
    goal_rate = figures[old_goal.pk].achievement.quantize(D("0.1"))
    p11 = PlanNode.objects.get(plan=new, code="1-1")
    assert p11.previous_evaluation.splitlines()[0] == f"令和12年度 最終評価: B（達成）／方向性: 継続／達成率 {rate}%"
    assert "所見: 着実に実施できた" in p11.previous_evaluation
    assert p11.challenges == "課題: 参加者の固定化\n改善策: 若い世代に広報する"
    p12 = PlanNode.objects.get(plan=new, code="1-2")
    assert p12.previous_evaluation.startswith("令和12年度 自己評価: C（達成したが改善要）")
    goal = PlanNode.objects.get(plan=new, code="1")
    assert goal.previous_evaluation == (
        f"事業 3件の最新の評価: B 1件、C 1件／未評価 1件／令和12年度 達成率（事業の平均） {goal_rate}%"
    )
    # The same 課題・改善策 of two projects appears once, naming both.
    assert goal.challenges == "【1-1 推進事業1-1、1-2 推進事業1-2】課題: 参加者の固定化／改善策: 若い世代に広報する"
    p13 = PlanNode.objects.get(plan=new, code="1-3")
    assert p13.previous_evaluation.startswith("令和12年度 評価の記録なし／達成率") and p13.challenges == ""


def test_upper_item_challenges_are_capped():
    lines = [f"【{i}】課題: " + "あ" * 300 for i in range(20)]
    text = nextplan._cap(lines)
    assert len(text) < nextplan.CHALLENGES_LIMIT + 100 and "ほか" in text


@pytest.mark.parametrize(
    "generation, expected",
    [
        ("第3次", "第4次"),
        ("第５期", "第６期"),
        ("第二次", "第三次"),
        ("第九次", "第十次"),
        ("第十九期", "第二十期"),
        ("", ""),
    ],
)
def test_generation_is_counted_on(generation, expected):
    assert nextplan.next_generation_label(generation) == expected


# --------------------------------------------------------------------------- screens


def test_next_plan_screen_creates_and_redirects(finished_plan, users, client_for):
    client = client_for(users["editor"])
    url = reverse("midterm:next_plan", args=[finished_plan.pk])
    page = client.get(url).content.decode()
    assert 'value="第4次テスト市地域福祉活動計画"' in page and 'value="2031"' in page and 'value="2035"' in page
    assert "指標と目標値は写しません" in page
    response = client.post(
        url,
        {
            "title": "第4次テスト市地域福祉活動計画",
            "generation": "第4次",
            "period_start": "令和13年度",
            "period_end": "2035",
        },
    )
    new = Plan.objects.get(title="第4次テスト市地域福祉活動計画")
    assert response.status_code == 302 and response.url == reverse("plans:overview", kwargs={"plan_id": new.pk})
    node = PlanNode.objects.get(plan=new, code="1-1")
    node_page = client.get(reverse("plans:node", args=[new.pk, node.pk])).content.decode()
    assert "前計画の項目" in node_page
    assert reverse("plans:node", args=[finished_plan.pk, node.previous_node_id]) in node_page


def test_next_plan_screen_refuses_an_active_plan(evaluated_plan, users, client_for):
    client = client_for(users["editor"])
    url = reverse("midterm:next_plan", args=[evaluated_plan.pk])
    page = client.get(url).content.decode()
    assert "推進中" in page and "次期計画を作る</button>" not in page
    count = Plan.objects.count()
    response = client.post(url, {"title": "次の計画", "period_start": "2031", "period_end": "2035"})
    assert response.status_code == 200 and "推進中の計画からは次期計画を作れません" in response.content.decode()
    assert Plan.objects.count() == count


@pytest.mark.parametrize("who", ["outsider", "committee", "viewer"])
def test_next_plan_screen_is_404_without_plans_create(finished_plan, users, client_for, who):
    client = client_for(users[who])
    url = reverse("midterm:next_plan", args=[finished_plan.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"title": "x", "period_start": "2031", "period_end": "2035"}).status_code == 404
