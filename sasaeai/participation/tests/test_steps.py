"""Formulation steps: the formset (default suggestion, add, reorder, delete), the timeline that puts
each recorded fact under the step whose dates contain it, and the overview's counts."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from sasaeai.core.models import AuditEntry
from sasaeai.participation.models import (
    Committee,
    CommitteeMeeting,
    EngagementSession,
    FormulationStep,
    PublicComment,
    PublicCommentPeriod,
    Questionnaire,
    Response,
)
from sasaeai.participation.selectors import voices as voice_selectors
from sasaeai.participation.services import committees as committee_services
from sasaeai.participation.services import voices as voice_services


def step_post(rows, initial=0):
    data = {
        "steps-TOTAL_FORMS": str(len(rows)),
        "steps-INITIAL_FORMS": str(initial),
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "30",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"steps-{i}-{key}"] = "" if value is None else str(value)
    return data


def test_empty_plan_suggests_the_usual_steps(small_plan, users, client_for):
    html = client_for(users["editor"]).get(reverse("participation:steps", args=[small_plan.pk])).content.decode()
    for name in ("現状把握・課題抽出", "協議", "素案", "パブリックコメント", "完成"):
        assert f'value="{name}"' in html
    assert not FormulationStep.objects.filter(plan=small_plan).exists()


def test_saving_the_suggestion_reordered_with_one_removed(small_plan, users, client_for):
    names = ["現状把握・課題抽出", "協議", "素案", "パブリックコメント", "完成"]
    rows = [{"name": n, "ORDER": i + 1} for i, n in enumerate(names)]
    rows[1]["ORDER"] = 9  # 協議 last
    rows[2]["DELETE"] = "on"  # 素案 removed
    rows[0].update(
        start_date="2025-04-01", end_date="2025-07-31", description="アンケートと懇談会", outputs="課題 11項目"
    )
    rows.append({"name": "", "ORDER": ""})
    response = client_for(users["editor"]).post(
        reverse("participation:steps", args=[small_plan.pk]), step_post(rows, initial=5)
    )
    assert response.status_code == 302
    steps = list(FormulationStep.objects.filter(plan=small_plan).order_by("position"))
    assert [s.name for s in steps] == ["現状把握・課題抽出", "パブリックコメント", "完成", "協議"]
    assert steps[0].start_date == date(2025, 4, 1) and steps[0].outputs == "課題 11項目"
    entries = AuditEntry.objects.filter(action="formulation.steps", plan_id=small_plan.pk)
    assert entries.count() == 1
    assert entries.get().after["工程"][0].startswith("現状把握・課題抽出（2025-04-01〜2025-07-31）")


def test_end_before_start_names_the_row_and_saves_nothing(small_plan, users, client_for):
    rows = [
        {"name": "協議", "ORDER": 1},
        {"name": "素案", "ORDER": 2, "start_date": "2025-09-01", "end_date": "2025-08-01"},
    ]
    response = client_for(users["editor"]).post(reverse("participation:steps", args=[small_plan.pk]), step_post(rows))
    assert response.status_code == 400
    assert "2行目（素案）: 終了日が開始日より前です。" in response.content.decode()
    assert not FormulationStep.objects.filter(plan=small_plan).exists()


def test_steps_of_another_plan_cannot_be_smuggled_in(small_plan, councils, users):
    from sasaeai.demo.generator import create_plan

    other = create_plan(council=councils["a"], nodes=3, issues=1, title="別の計画")
    foreign = FormulationStep.objects.create(plan=other, name="よその段階")
    with pytest.raises(ValidationError) as info:
        voice_services.formulation_steps_save(
            plan=small_plan, by=users["editor"], rows=[{"id": foreign.pk, "name": "x"}]
        )
    assert "1行目: この計画の工程ではありません。" in info.value.messages
    assert FormulationStep.objects.get(pk=foreign.pk).name == "よその段階"


def test_viewer_reads_but_cannot_edit_steps_and_other_council_gets_404(small_plan, users, client_for):
    assert client_for(users["viewer"]).get(reverse("participation:overview", args=[small_plan.pk])).status_code == 200
    assert client_for(users["viewer"]).get(reverse("participation:steps", args=[small_plan.pk])).status_code == 404
    assert (
        client_for(users["viewer"])
        .post(reverse("participation:steps", args=[small_plan.pk]), step_post([{"name": "x"}]))
        .status_code
        == 404
    )
    assert client_for(users["outsider"]).get(reverse("participation:overview", args=[small_plan.pk])).status_code == 404
    assert client_for(users["reporter"]).get(reverse("participation:overview", args=[small_plan.pk])).status_code == 404
    assert not FormulationStep.objects.exists()


@pytest.fixture
def recorded(small_plan, users):
    """Steps with dates, and one fact of every kind inside and outside them."""
    editor = users["editor"]
    voice_services.formulation_steps_save(
        plan=small_plan,
        by=editor,
        rows=[
            {"id": None, "name": "現状把握", "start_date": date(2025, 4, 1), "end_date": date(2025, 7, 31)},
            {"id": None, "name": "協議", "start_date": date(2025, 8, 1), "end_date": date(2025, 12, 31)},
            {"id": None, "name": "完成", "start_date": date(2026, 3, 1), "end_date": None},
        ],
    )
    Questionnaire.objects.create(
        council=small_plan.council,
        plan=small_plan,
        title="市民アンケート",
        distributed=2000,
        returned=943,
        opens_on=date(2025, 5, 10),
    )
    online = Questionnaire.objects.create(
        council=small_plan.council, plan=small_plan, title="ウェブアンケート", distributed=10
    )
    for n in range(3):
        Response.objects.create(questionnaire=online, respondent=str(n), answers={})
    for n, (held_on, people) in enumerate([(date(2025, 6, 1), 30), (date(2025, 6, 8), 25), (None, None)]):
        voice_services.session_save(
            plan=small_plan, by=editor, kind="workshop", title=f"懇談会{n + 1}", held_on=held_on, participants=people
        )
    voice_services.session_save(
        plan=small_plan,
        by=editor,
        kind="hearing",
        title="ヒアリングA",
        held_on=date(2025, 7, 2),
        group_name="老人クラブ連合会",
        field="高齢者福祉",
    )
    committee = committee_services.committee_save(
        council=small_plan.council, by=editor, kind="formulation", name="策定委員会", plan=small_plan
    )
    for number, held_on in [(1, date(2025, 8, 20)), (2, date(2025, 10, 15))]:
        committee_services.committee_meeting_save(committee=committee, by=editor, number=number, held_on=held_on)
    period = PublicCommentPeriod.objects.create(
        plan=small_plan, title="素案への意見", opens_on=date(2026, 1, 10), closes_on=date(2026, 2, 9), public_key="k1"
    )
    for n in range(1, 4):
        PublicComment.objects.create(period=period, number=n, text="意見", status="excluded" if n == 3 else "new")
    return small_plan


def test_timeline_puts_each_fact_under_its_step(recorded):
    groups = voice_selectors.timeline(recorded)
    assert [g.step.name if g.step else None for g in groups] == ["現状把握", "協議", "完成", None]
    first, talks, done, other = groups
    assert [q.title for q in first.surveys] == ["市民アンケート"]
    assert str(first.surveys[0].rate) == "47.2"
    assert [s.title for s in first.workshops] == ["懇談会1", "懇談会2"] and first.workshop_participants == 55
    assert first.hearing_groups == ["老人クラブ連合会"]
    assert [(c.name, [m.number for m in ms]) for c, ms in talks.committee_groups] == [("策定委員会", [1, 2])]
    assert done.is_empty  # the comment period (令和8年1月) is before 完成's date
    assert [s.title for s in other.workshops] == ["懇談会3"] and other.workshops_without_count == 1
    assert [q.title for q in other.surveys] == ["ウェブアンケート"]
    assert other.surveys[0].returned_count == 3 and str(other.surveys[0].rate) == "30.0"
    assert [(p.title, p.comment_count) for p in other.periods] == [("素案への意見", 2)]


def test_overview_shows_counts_and_the_timeline_in_wareki(recorded, users, client_for):
    counts = voice_selectors.overview_counts(recorded)
    assert counts["surveys"] == 2 and counts["responses"] == 946
    assert counts["workshops"] == 3 and counts["participants"] == 55 and counts["hearings"] == 1
    assert counts["committee_meetings"] == 2 and counts["comments"] == 2
    html = client_for(users["viewer"]).get(reverse("participation:overview", args=[recorded.pk])).content.decode()
    assert "令和7年4月1日〜令和7年7月31日" in html
    assert "配布 2,000件" in html and "回収 943件" in html and "回収率 47.2%" in html
    assert "第1回〜第2回（2回）" in html and "令和7年8月20日〜令和7年10月15日" in html
    assert "その他の取り組み" in html
    assert "策定の段階を編集" not in html  # viewer


def test_response_rate_rounds_half_up():
    assert str(voice_selectors.response_rate(2000, 943)) == "47.2"  # 47.15
    assert str(voice_selectors.response_rate(8, 1)) == "12.5"
    assert str(voice_selectors.response_rate(16, 1)) == "6.3"  # 6.25, half up (not to even)
    assert voice_selectors.response_rate(None, 5) is None and voice_selectors.response_rate(0, 5) is None


def test_committee_meetings_of_other_plans_stay_out(recorded, councils, users):
    other = Committee.objects.create(council=recorded.council, name="評価委員会", kind="evaluation")
    CommitteeMeeting.objects.create(committee=other, number=1, held_on=date(2025, 9, 1))
    groups = voice_selectors.timeline(recorded)
    assert sum(len(g.meetings) for g in groups) == 2
    assert EngagementSession.objects.filter(plan=recorded).count() == 4
