"""中間評価: snapshots keep the plan as it was; targets changed afterwards keep the old value and why."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sasaeai.core.models import AuditEntry
from sasaeai.evaluation import midterm
from sasaeai.evaluation.models import Grade, PlanSnapshot
from sasaeai.evaluation.services import stage_save
from sasaeai.plans import services as plan_services
from sasaeai.plans.models import PlanNode
from sasaeai.progress import services as progress_services
from sasaeai.progress.models import Indicator, TargetChange
from sasaeai.progress.selectors import plan_figures


def _projects(plan):
    return list(PlanNode.objects.filter(plan=plan, parent__isnull=False).order_by("code"))


def _evaluate(node, user, year, grade_code="B", challenges="担い手が足りない", improvements="募集を広げる"):
    grade = Grade.objects.get(scale__council=node.plan.council, code=grade_code)
    stage_save(
        node=node,
        fiscal_year=year,
        stage="self",
        by=user,
        submit=True,
        grade=grade,
        challenges=challenges,
        improvements=improvements,
    )


@pytest.fixture
def snapshot(evaluated_plan, users):
    _evaluate(_projects(evaluated_plan)[0], users["editor"], 2027)
    return midterm.snapshot_take(
        plan=evaluated_plan, by=users["editor"], title="中間評価", fiscal_year=2028, taken_on=dt.date(2028, 10, 1)
    )


# --------------------------------------------------------------------------- taking a snapshot


def test_snapshot_holds_the_figures_of_every_year_so_far(evaluated_plan, snapshot):
    data = snapshot.data
    assert data["years"] == [2026, 2027, 2028]
    assert [n["title"] for n in data["nodes"]][:2] == ["基本目標1", "推進事業1-1"]
    for year in (2026, 2028):
        _tree, figures = plan_figures(evaluated_plan, year)
        for node_id, f in figures.items():
            stored = data["figures"][str(year)]["nodes"][str(node_id)]
            assert D(stored["achievement"]) == f.achievement.quantize(D("0.0001"))
            assert D(stored["progress"]) == f.progress.quantize(D("0.0001"))
    indicator = Indicator.objects.filter(node__plan=evaluated_plan).order_by("pk").first()
    stored = next(i for i in data["indicators"] if i["id"] == indicator.pk)
    assert stored["targets"] == {"2026": "100", "2027": "110", "2028": "120", "2029": "130", "2030": "140"}
    evaluation = data["evaluations"][0]
    assert (
        evaluation["fiscal_year"],
        evaluation["stage"],
        evaluation["grade"],
        evaluation["challenges"],
        evaluation["improvements"],
    ) == (2027, "self", "B", "担い手が足りない", "募集を広げる")
    assert AuditEntry.objects.filter(action="snapshot.create", plan_id=evaluated_plan.pk).count() == 1


def test_snapshot_does_not_change_when_the_plan_changes(evaluated_plan, snapshot, users):
    before = PlanSnapshot.objects.get(pk=snapshot.pk).data
    project = _projects(evaluated_plan)[1]
    plan_services.node_update(node=project, by=users["editor"], title="名前を変えた事業")
    indicator = Indicator.objects.filter(node=project).first()
    progress_services.indicator_update(
        indicator=indicator, by=users["editor"], targets={2026: 1, 2027: 1}, target_change_reason="見直し"
    )
    _evaluate(project, users["editor"], 2028, grade_code="D")
    after = PlanSnapshot.objects.get(pk=snapshot.pk).data
    assert after == before
    assert next(n for n in after["nodes"] if n["id"] == project.pk)["title"] == "推進事業1-2"


def test_decimals_are_written_plainly():
    assert midterm.plain(D("100.0000")) == "100"
    assert midterm.plain(D("1E+2")) == "100"
    assert midterm.plain(D("45.5000")) == "45.5"
    assert midterm.plain(D("92.333333333"), D("0.0001")) == "92.3333"
    assert midterm.plain(None) is None


def test_snapshot_needs_the_midterm_permission(evaluated_plan, users):
    with pytest.raises(PermissionDenied):
        midterm.snapshot_take(plan=evaluated_plan, by=users["committee"], title="中間評価")
    with pytest.raises(ValidationError, match="計画期間"):
        midterm.snapshot_take(plan=evaluated_plan, by=users["editor"], title="中間評価", fiscal_year=2035)
    with pytest.raises(ValidationError, match="名称"):
        midterm.snapshot_take(plan=evaluated_plan, by=users["editor"], title="  ", fiscal_year=2028)
    assert not PlanSnapshot.objects.exists()


# --------------------------------------------------------------------------- target changes after a midterm review


def test_target_change_after_midterm_without_reason_is_refused(evaluated_plan, snapshot, users):
    indicator = Indicator.objects.filter(node__plan=evaluated_plan).order_by("pk").first()
    with pytest.raises(ValidationError) as exc:
        progress_services.indicator_update(
            indicator=indicator, by=users["editor"], final_target=D(500), targets={2029: 90, 2030: 95}
        )
    assert "目標値の変更理由" in str(exc.value)
    indicator.refresh_from_db()
    assert indicator.final_target is None
    assert dict(indicator.targets.values_list("fiscal_year", "value"))[2029] == D(130)
    assert not TargetChange.objects.exists()
    assert not AuditEntry.objects.filter(action__in=["indicator.update", "target.change"]).exists()


def test_target_change_with_reason_keeps_old_and_new(evaluated_plan, snapshot, users):
    later = midterm.snapshot_take(
        plan=evaluated_plan, by=users["editor"], title="中間評価2", fiscal_year=2028, taken_on=dt.date(2028, 11, 1)
    )
    indicator = Indicator.objects.filter(node__plan=evaluated_plan).order_by("pk").first()
    targets = {y: v for y, v in indicator.targets.values_list("fiscal_year", "value")} | {2029: D(90), 2030: D(95)}
    progress_services.indicator_update(
        indicator=indicator,
        by=users["editor"],
        targets=targets,
        unit="名",
        target_change_reason="コロナ禍で活動が制限されたため",
    )
    changes = {c.fiscal_year: c for c in TargetChange.objects.filter(indicator=indicator)}
    assert set(changes) == {2029, 2030}
    assert (changes[2029].old_value, changes[2029].new_value) == (D(130), D(90))
    assert (changes[2030].old_value, changes[2030].new_value) == (D(140), D(95))
    assert changes[2029].reason == "コロナ禍で活動が制限されたため"
    assert changes[2029].snapshot_id == later.pk and changes[2029].changed_by == users["editor"]
    entry = AuditEntry.objects.get(action="target.change")
    assert entry.before == {"2029": "130", "2030": "140"} and entry.after["2029"] == "90"
    assert AuditEntry.objects.filter(action="indicator.update").count() == 1


def test_other_edits_after_midterm_need_no_reason(evaluated_plan, snapshot, users):
    indicator = Indicator.objects.filter(node__plan=evaluated_plan).order_by("pk").first()
    progress_services.indicator_update(
        indicator=indicator,
        by=users["editor"],
        unit="名",
        targets={y: v for y, v in indicator.targets.values_list("fiscal_year", "value")},
    )
    indicator.refresh_from_db()
    assert indicator.unit == "名" and not TargetChange.objects.exists()


def test_before_any_midterm_targets_change_freely(evaluated_plan, users):
    indicator = Indicator.objects.filter(node__plan=evaluated_plan).order_by("pk").first()
    progress_services.indicator_update(indicator=indicator, by=users["editor"], final_target=D(300))
    indicator.refresh_from_db()
    assert indicator.final_target == D(300) and not TargetChange.objects.exists()


def test_final_target_change_is_recorded_with_no_year(evaluated_plan, snapshot, users):
    indicator = Indicator.objects.filter(node__plan=evaluated_plan).order_by("pk").first()
    progress_services.indicator_update(
        indicator=indicator, by=users["editor"], final_target=D(150), target_change_reason="最終目標を明確にした"
    )
    change = TargetChange.objects.get(indicator=indicator)
    assert (change.fiscal_year, change.old_value, change.new_value) == (None, None, D(150))


def test_indicator_form_asks_for_the_reason_after_midterm(evaluated_plan, snapshot, users, client_for):
    indicator = Indicator.objects.filter(node__plan=evaluated_plan).order_by("pk").first()
    node = indicator.node
    url = reverse("progress:indicator_edit", args=[evaluated_plan.pk, node.pk, indicator.pk])
    client = client_for(users["editor"])
    page = client.get(url).content.decode()
    assert "目標値の変更理由" in page
    post = {
        "name": indicator.name,
        "unit": "人",
        "kind": "quantity",
        "direction": "higher",
        "version": indicator.version,
        "target_2026": "100",
        "target_2027": "110",
        "target_2028": "120",
        "target_2029": "77",
        "target_2030": "140",
    }
    response = client.post(url, post)
    assert response.status_code == 200 and "目標値の変更理由" in response.content.decode()
    assert not TargetChange.objects.exists()
    response = client.post(url, post | {"target_change_reason": "中間見直しで下方修正"})
    assert response.status_code == 302
    change = TargetChange.objects.get()
    assert (change.fiscal_year, change.old_value, change.new_value) == (2029, D(130), D(77))
    node_page = client.get(reverse("plans:node", args=[evaluated_plan.pk, node.pk])).content.decode()
    assert "中間見直しで下方修正" in node_page and "130 → 77" in node_page
    assert "editor_a" in node_page  # the changer, shown to audit.view
    committee_page = (
        client_for(users["committee"]).get(reverse("plans:node", args=[evaluated_plan.pk, node.pk])).content.decode()
    )
    assert "中間見直しで下方修正" in committee_page and "editor_a" not in committee_page


def test_indicator_form_has_no_reason_field_before_midterm(evaluated_plan, users, client_for):
    indicator = Indicator.objects.filter(node__plan=evaluated_plan).order_by("pk").first()
    url = reverse("progress:indicator_edit", args=[evaluated_plan.pk, indicator.node_id, indicator.pk])
    assert "目標値の変更理由" not in client_for(users["editor"]).get(url).content.decode()


# --------------------------------------------------------------------------- the diff (pure)


def _data(nodes, indicators=()):
    return {"nodes": nodes, "indicators": list(indicators)}


def _node(pk, title, parent=None, code="", priority=False):
    return {"id": pk, "parent": parent, "code": code, "title": title, "level": "事業", "is_priority": priority}


def _indicator(pk, node, targets, final=None):
    return {"id": pk, "node": node, "name": f"指標{pk}", "unit": "人", "targets": targets, "final_target": final}


def test_diff_finds_added_removed_renamed_moved_and_priority():
    old = _data(
        [
            _node(1, "目標A", code="1"),
            _node(2, "目標B", code="2"),
            _node(3, "事業あ", 1, "1-1"),
            _node(4, "事業い", 1, "1-2"),
            _node(5, "事業う", 2, "2-1"),
        ]
    )
    new = _data(
        [
            _node(1, "目標A", code="1"),
            _node(2, "目標B", code="2"),
            _node(3, "事業あ（改）", 1, "1-1"),
            _node(5, "事業う", 1, "1-2", priority=True),
            _node(6, "事業え", 2, "2-1"),
        ]
    )
    diff = midterm.diff_plans(old, new)
    assert [n["title"] for n in diff.added] == ["事業え"] and diff.added[0]["parent_label"] == "2 目標B"
    assert [n["title"] for n in diff.removed] == ["事業い"]
    assert [(r["old_label"], r["new_label"]) for r in diff.renamed] == [
        ("1-1 事業あ", "1-1 事業あ（改）"),
        ("2-1 事業う", "1-2 事業う"),
    ]
    assert [(m["node"]["title"], m["old_parent"], m["new_parent"]) for m in diff.moved] == [
        ("事業う", "2 目標B", "1 目標A")
    ]
    assert [(p["node"]["title"], p["old"], p["new"]) for p in diff.priority] == [("事業う", False, True)]
    assert not diff.is_empty


def test_diff_finds_changed_targets_with_their_reasons():
    nodes = [_node(1, "目標A", code="1"), _node(3, "事業あ", 1, "1-1")]
    old = _data(nodes, [_indicator(10, 3, {"2026": "100", "2027": "110"}, "150"), _indicator(11, 3, {"2026": "5"})])
    new = _data(
        nodes,
        [_indicator(10, 3, {"2026": "100.0", "2027": "90", "2028": "95"}, "120"), _indicator(12, 3, {"2026": "1"})],
    )
    changes = [
        {"indicator": 10, "fiscal_year": 2027, "reason": "活動が制限されたため"},
        {"indicator": 10, "fiscal_year": None, "reason": "最終目標を下方修正"},
    ]
    diff = midterm.diff_plans(old, new, changes)
    assert [(t["fiscal_year"], t["old"], t["new"], t["reasons"]) for t in diff.targets] == [
        (2027, "110", "90", ["活動が制限されたため"]),
        (2028, None, "95", []),
        (None, "150", "120", ["最終目標を下方修正"]),
    ]
    assert diff.indicators_added == [{"node": "1-1 事業あ", "indicator": "指標12"}]
    assert diff.indicators_removed == [{"node": "1-1 事業あ", "indicator": "指標11"}]
    assert midterm.diff_plans(old, old).is_empty


def test_diff_of_a_snapshot_with_the_current_plan(evaluated_plan, snapshot, users):
    projects = _projects(evaluated_plan)
    plan_services.node_update(node=projects[0], by=users["editor"], title="新しい名前")
    plan_services.node_delete(node=projects[2], by=users["editor"])
    goal = PlanNode.objects.get(plan=evaluated_plan, code="1")
    plan_services.node_create(plan=evaluated_plan, parent=goal, by=users["editor"], title="新しい事業", code="1-9")
    indicator = Indicator.objects.filter(node=projects[1]).order_by("pk").first()
    progress_services.indicator_update(
        indicator=indicator,
        by=users["editor"],
        targets={2026: 100, 2027: 110, 2028: 120, 2029: 125, 2030: 140},
        target_change_reason="実績に合わせて見直し",
    )
    current = midterm.snapshot_data(evaluated_plan, with_figures=False)
    changes = midterm.target_changes_between(evaluated_plan, after=snapshot.created_at)
    diff = midterm.diff_plans(snapshot.data, current, changes)
    assert [n["title"] for n in diff.added] == ["新しい事業"]
    assert [n["title"] for n in diff.removed] == ["推進事業1-3"]
    assert [r["new_label"] for r in diff.renamed] == ["1-1 新しい名前"]
    assert [(t["fiscal_year"], t["old"], t["new"], t["reasons"]) for t in diff.targets] == [
        (2029, "130", "125", ["実績に合わせて見直し"])
    ]


# --------------------------------------------------------------------------- screens


def test_snapshot_pages_show_the_record(evaluated_plan, snapshot, users, client_for):
    client = client_for(users["editor"])
    page = client.get(reverse("midterm:snapshot", args=[evaluated_plan.pk, snapshot.pk]) + "?year=2027")
    html = page.content.decode()
    assert page.status_code == 200
    assert "令和10年10月1日時点の記録（読み取り専用）" in html
    assert "推進事業1-1" in html and "担い手が足りない" in html
    listing = client.get(reverse("midterm:list", args=[evaluated_plan.pk])).content.decode()
    assert "中間評価" in listing and "記録を作る" in listing
    compare = client.get(reverse("midterm:compare", args=[evaluated_plan.pk, snapshot.pk])).content.decode()
    assert "体系と目標値に変わったところはありません" in compare


def test_taking_a_snapshot_from_the_screen(evaluated_plan, users, client_for):
    client = client_for(users["editor"])
    response = client.post(
        reverse("midterm:list", args=[evaluated_plan.pk]),
        {
            "title": "中間評価（令和10年度）",
            "kind": "midterm",
            "taken_on": "2028-09-30",
            "fiscal_year": "2028",
            "note": "",
        },
    )
    snapshot = PlanSnapshot.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "midterm:snapshot", args=[evaluated_plan.pk, snapshot.pk]
    )
    assert (
        snapshot.fiscal_year == 2028
        and snapshot.taken_on == dt.date(2028, 9, 30)
        and snapshot.created_by == users["editor"]
    )


def test_committee_reads_snapshots_but_cannot_take_them_nor_see_the_self_evaluation(
    evaluated_plan, snapshot, users, client_for
):
    client = client_for(users["committee"])
    page = client.get(reverse("midterm:snapshot", args=[evaluated_plan.pk, snapshot.pk]) + "?year=2027")
    assert page.status_code == 200
    assert "担い手が足りない" not in page.content.decode()  # a 自己評価: not for committee members
    listing = client.get(reverse("midterm:list", args=[evaluated_plan.pk])).content.decode()
    assert "記録を作る" not in listing
    response = client.post(
        reverse("midterm:list", args=[evaluated_plan.pk]),
        {"title": "x", "kind": "midterm", "taken_on": "2028-09-30", "fiscal_year": "2028"},
    )
    assert response.status_code == 404 and PlanSnapshot.objects.count() == 1


@pytest.mark.parametrize("name", ["list", "snapshot", "compare"])
def test_pages_answer_404_for_another_council(evaluated_plan, snapshot, users, client_for, name):
    args = [evaluated_plan.pk] if name == "list" else [evaluated_plan.pk, snapshot.pk]
    assert client_for(users["outsider"]).get(reverse(f"midterm:{name}", args=args)).status_code == 404


def test_a_snapshot_of_another_plan_is_404(evaluated_plan, snapshot, users, client_for, councils):
    from sasaeai.demo.generator import create_running_plan

    other = create_running_plan(
        council=councils["a"], projects=2, goals=1, indicators=1, years=2, start=2026, title="別の計画"
    )
    url = reverse("midterm:snapshot", args=[other.pk, snapshot.pk])
    assert client_for(users["editor"]).get(url).status_code == 404


def test_snapshot_page_query_count_is_flat(councils, users, client_for):
    from sasaeai.demo.generator import create_running_plan
    from sasaeai.evaluation.services import evaluation_setup

    evaluation_setup(councils["a"])
    client = client_for(users["editor"])
    counts = []
    for size, title in ((2, "小さい計画"), (20, "大きい計画")):
        plan = create_running_plan(
            council=councils["a"], projects=size, goals=2, indicators=2, years=3, start=2026, title=title
        )
        snapshot = midterm.snapshot_take(plan=plan, by=users["editor"], title="中間評価", fiscal_year=2027)
        url = reverse("midterm:snapshot", args=[plan.pk, snapshot.pk])
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        counts.append(len(ctx))
    assert counts[0] == counts[1]
