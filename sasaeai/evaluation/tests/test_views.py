"""The evaluation screens: what each person sees and may do, bad input, and query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sasaeai.evaluation import selectors, services
from sasaeai.evaluation.models import CommitteeOpinion, Grade, StageEntry, YearClosing


def grade(code):
    """A grade of the test council's scale (every council has its own, made when it was created)."""
    return Grade.objects.get(scale__council__name="テスト市社会福祉協議会", code=code)


def project(plan):
    return plan.nodes.filter(parent__isnull=False).order_by("pk").first()


def url(plan, node=None, name="project", year=2026):
    args = [plan.pk] + ([node.pk] if node is not None else [])
    return reverse(f"evaluation:{name}", args=args) + f"?year={year}"


def test_the_plan_page_lists_projects_with_their_stage(evaluated_plan, users, client_for):
    node = project(evaluated_plan)
    services.stage_save(node=node, fiscal_year=2026, stage="self", by=users["editor"], submit=True, grade=grade("A"))
    page = client_for(users["viewer"]).get(url(evaluated_plan, name="plan"))
    assert page.status_code == 200
    text = page.content.decode()
    assert node.title in text and "事業 6件の評価の状況" in text
    assert 'class="pip submitted"' in text


@pytest.mark.parametrize(
    "who,status", [("admin", 200), ("committee", 200), ("reporter", 200), ("outsider", 404), ("nobody", 404)]
)
def test_who_reads_the_evaluation(evaluated_plan, users, client_for, who, status):
    assert client_for(users[who]).get(url(evaluated_plan, name="plan")).status_code == status
    assert client_for(users[who]).get(url(evaluated_plan, project(evaluated_plan))).status_code == status


def test_entering_and_submitting_a_stage_in_the_browser_form(evaluated_plan, users, client_for):
    node = project(evaluated_plan)
    client = client_for(users["editor"])
    page = client.get(url(evaluated_plan, node))
    assert "自己評価を確定する" in page.content.decode()
    b = grade("B")
    response = client.post(
        url(evaluated_plan, node),
        {
            "stage": "self",
            "action": "submit",
            "year": 2026,
            "self-grade": b.pk,
            "self-results": "参加者が20人増えた",
            "self-improvements": "広報を増やす",
        },
    )
    assert response.status_code == 302
    entry = StageEntry.objects.get(stage="self")
    assert entry.is_submitted and entry.grade == b and entry.results == "参加者が20人増えた"
    page = client.get(url(evaluated_plan, node)).content.decode()
    # The next stage starts from what the self-evaluation said.
    assert "ワーキンググループ・事務局の確認を確定する" in page and "広報を増やす" in page


def test_bad_input_is_told_and_nothing_is_saved(evaluated_plan, users, client_for):
    node = project(evaluated_plan)
    client = client_for(users["editor"])
    response = client.post(
        url(evaluated_plan, node), {"stage": "self", "action": "submit", "year": 2026, "self-grade": "999999"}
    )
    assert response.status_code == 400
    assert "入力内容を確認してください" in response.content.decode()
    response = client.post(url(evaluated_plan, node), {"stage": "self", "action": "submit", "year": 2026})
    assert response.status_code == 400 and "確定するには評価を選んでください" in response.content.decode()
    response = client.post(url(evaluated_plan, node), {"stage": "nonsense", "action": "submit"})
    assert response.status_code == 404
    assert not StageEntry.objects.exists()


def test_a_committee_member_cannot_change_the_internal_evaluation(evaluated_plan, users, client_for):
    node = project(evaluated_plan)
    a, d = grade("A"), selectors.directions_for(evaluated_plan.council)[0]
    for stage in ("self", "review"):
        services.stage_save(node=node, fiscal_year=2026, stage=stage, by=users["editor"], submit=True, grade=a)
    services.stage_save(
        node=node, fiscal_year=2026, stage="internal", by=users["editor"], grade=a, direction=d, comment="事務局の所見"
    )
    client = client_for(users["committee"])
    page = client.get(url(evaluated_plan, node)).content.decode()
    assert "事務局の所見" not in page or "内部評価を確定する" not in page
    assert "自己評価" not in page.split("定性評価")[1]  # the committee does not see the self-evaluation
    response = client.post(
        url(evaluated_plan, node),
        {
            "stage": "internal",
            "action": "submit",
            "year": 2026,
            "internal-grade": grade("D").pk,
            "internal-direction": d.pk,
        },
    )
    assert response.status_code == 404
    entry = StageEntry.objects.get(stage="internal")
    assert entry.grade == a and not entry.is_submitted


def test_admin_reopens_with_a_reason_from_the_page(evaluated_plan, users, client_for):
    node = project(evaluated_plan)
    services.stage_save(node=node, fiscal_year=2026, stage="self", by=users["editor"], submit=True, grade=grade("A"))
    client = client_for(users["admin"])
    response = client.post(
        url(evaluated_plan, node), {"stage": "self", "action": "reopen", "year": 2026, "reopen-self-reason": ""}
    )
    assert response.status_code == 400 and StageEntry.objects.get().is_submitted
    response = client.post(
        url(evaluated_plan, node),
        {"stage": "self", "action": "reopen", "year": 2026, "reopen-self-reason": "実績の転記誤り"},
    )
    assert response.status_code == 302 and not StageEntry.objects.get().is_submitted
    # An editor has no reopen form and cannot reopen.
    services.stage_save(node=node, fiscal_year=2026, stage="self", by=users["editor"], submit=True, grade=grade("A"))
    assert "差し戻す（社協管理者）" not in client_for(users["editor"]).get(url(evaluated_plan, node)).content.decode()
    response = client_for(users["editor"]).post(
        url(evaluated_plan, node), {"stage": "self", "action": "reopen", "year": 2026, "reopen-self-reason": "誤り"}
    )
    assert response.status_code == 404 and StageEntry.objects.get().is_submitted


def test_closing_a_year_from_the_page_once(evaluated_plan, users, client_for):
    client = client_for(users["editor"])
    page = client.get(url(evaluated_plan, name="close"))
    assert page.status_code == 200 and "締めるとどうなるか" in page.content.decode()
    response = client.post(url(evaluated_plan, name="close"), {"year": 2026})
    assert response.status_code == 302 and YearClosing.objects.count() == 1
    response = client.post(url(evaluated_plan, name="close"), {"year": 2026}, follow=True)
    assert "二度締めることはできません" in response.content.decode()
    assert YearClosing.objects.count() == 1
    assert client_for(users["viewer"]).get(url(evaluated_plan, name="close")).status_code == 404
    assert client_for(users["committee"]).post(url(evaluated_plan, name="close"), {"year": 2027}).status_code == 404
    assert YearClosing.objects.count() == 1


def test_the_committee_writes_its_opinion_from_the_page(evaluated_plan, users, client_for):
    client = client_for(users["committee"])
    response = client.post(
        url(evaluated_plan, name="opinion"),
        {"year": 2026, "action": "submit", "text": "全体として順調に推進されている"},
    )
    assert response.status_code == 302
    assert CommitteeOpinion.objects.get().is_submitted
    page = client_for(users["viewer"]).get(url(evaluated_plan, name="opinion")).content.decode()
    assert "全体として順調に推進されている" in page
    response = client_for(users["viewer"]).post(url(evaluated_plan, name="opinion"), {"year": 2026, "text": "x"})
    assert response.status_code == 404 and CommitteeOpinion.objects.get().text == "全体として順調に推進されている"


def test_settings_are_for_the_council_admin(evaluated_plan, users, client_for, councils):
    settings_url = reverse("evaluation:settings", args=[councils["a"].pk])
    assert client_for(users["editor"]).get(settings_url).status_code == 404
    client = client_for(users["admin"])
    assert client.get(settings_url).status_code == 200
    assert client.post(settings_url, {"part": "preset", "preset": "bands"}).status_code == 302
    codes = list(Grade.objects.filter(scale__council=councils["a"]).values_list("code", flat=True))
    assert codes == ["順調", "概ね順調", "やや遅れ", "遅れ"]
    response = client.post(settings_url, {"part": "preset", "preset": "unknown"})
    assert response.status_code == 400 and "選べない尺度" in response.content.decode()


def test_the_plan_page_makes_the_same_number_of_queries_for_more_projects(councils, users, client_for):
    from sasaeai.demo.generator import create_running_plan

    services.evaluation_setup(councils["a"])
    counts = []
    for n in (6, 60):
        plan = create_running_plan(
            council=councils["a"], projects=n, goals=3, indicators=2, years=2, start=2026, title=f"計画{n}"
        )
        for node in plan.nodes.filter(parent__isnull=False)[: n // 2]:
            services.stage_save(
                node=node, fiscal_year=2026, stage="self", by=users["editor"], submit=True, grade=grade("B")
            )
        client = client_for(users["editor"])
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url(plan, name="plan")).status_code == 200
        counts.append(len(ctx))
    assert counts[0] == counts[1], counts


def test_a_half_yearly_plan_is_also_evaluated_for_the_first_half(evaluated_plan, users, client_for):
    from sasaeai.progress.models import ProgressReport
    from sasaeai.progress.services import schedule_update

    ProgressReport.objects.filter(node__plan=evaluated_plan).delete()  # the frequency is fixed once reported
    schedule_update(plan=evaluated_plan, by=users["editor"], frequency="half", due_days=30, grace_days=14)
    node = project(evaluated_plan)
    client = client_for(users["editor"])
    page = client.get(url(evaluated_plan, name="plan")).content.decode()
    assert '<option value="1" >上半期</option>' in page.replace("  ", " ") or "上半期" in page
    response = client.post(
        url(evaluated_plan, node) + "&period=1",
        {"stage": "self", "action": "submit", "year": 2026, "period": 1, "self-grade": grade("C").pk},
    )
    assert response.status_code == 302
    entry = StageEntry.objects.get()
    assert entry.evaluation.period == 1 and entry.grade.code == "C"
    # The year's evaluation is separate and still open.
    year_row = selectors.project_evaluation(evaluated_plan, node, 2026, perms={"evaluation.view"}, period=0)
    assert year_row.entries == {} and year_row.next_stage == "self"


def test_the_project_page_makes_the_same_number_of_queries_for_a_bigger_plan(councils, users, client_for):
    from sasaeai.demo.generator import create_running_plan, fill_evaluations

    counts = []
    for n in (6, 60):
        plan = create_running_plan(
            council=councils["a"], projects=n, goals=3, indicators=2, years=2, start=2026, title=f"計画{n}"
        )
        fill_evaluations(plan, fiscal_year=2026, stages=("self", "review"))
        node = project(plan)
        client = client_for(users["editor"])
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url(plan, node)).status_code == 200
        counts.append(len(ctx))
    assert counts[0] == counts[1], counts


def test_settings_page_saves_directions_and_criteria(evaluated_plan, users, client_for, councils):
    settings_url = reverse("evaluation:settings", args=[councils["a"].pk])
    client = client_for(users["admin"])
    directions = selectors.directions_for(councils["a"])
    data = {
        "part": "directions",
        "directions-TOTAL_FORMS": len(directions) + 1,
        "directions-INITIAL_FORMS": 0,
        "directions-MIN_NUM_FORMS": 0,
        "directions-MAX_NUM_FORMS": 20,
    }
    for i, d in enumerate(directions):
        data |= {f"directions-{i}-id": d.pk, f"directions-{i}-name": d.name, f"directions-{i}-carry": d.carry}
    data |= {f"directions-{len(directions)}-name": "統合", f"directions-{len(directions)}-carry": "stop"}
    assert client.post(settings_url, data).status_code == 302
    assert [d.name for d in selectors.directions_for(councils["a"])][-1] == "統合"
    response = client.post(
        settings_url,
        {
            "part": "criteria",
            "criteria-TOTAL_FORMS": 2,
            "criteria-INITIAL_FORMS": 0,
            "criteria-MIN_NUM_FORMS": 0,
            "criteria-MAX_NUM_FORMS": 20,
            "criteria-0-name": "必要性",
            "criteria-1-name": "必要性",
        },
    )
    assert response.status_code == 400 and "同じ名称" in response.content.decode()
    assert selectors.criteria_for(councils["a"]) == []
    assert (
        client.post(
            settings_url,
            {
                "part": "criteria",
                "criteria-TOTAL_FORMS": 2,
                "criteria-INITIAL_FORMS": 0,
                "criteria-MIN_NUM_FORMS": 0,
                "criteria-MAX_NUM_FORMS": 20,
                "criteria-0-name": "必要性",
                "criteria-1-name": "有効性",
            },
        ).status_code
        == 302
    )
    assert [c.name for c in selectors.criteria_for(councils["a"])] == ["必要性", "有効性"]
