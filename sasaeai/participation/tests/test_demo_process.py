"""倉敷市's formulation process in the demo: exactly what its summary edition states, not marked サンプル,
loaded once however often the demo runs."""

from datetime import date

import pytest
from django.conf import settings
from django.urls import reverse

from sasaeai.participation.demo import load_kurashiki_process
from sasaeai.participation.models import (
    Committee,
    CommitteeMeeting,
    CommitteeMember,
    EngagementSession,
    FormulationStep,
    PublicCommentPeriod,
    Questionnaire,
    Voice,
)
from sasaeai.participation.selectors import voices as voice_selectors


@pytest.fixture
def kurashiki(db):
    from sasaeai.core.models import Council
    from sasaeai.demo.services import PLANS_DIR, load_councils
    from sasaeai.plans import planfile
    from sasaeai.plans.services import plan_file_import

    load_councils()
    path = PLANS_DIR / "kurashiki.yaml"
    data = planfile.parse(path.read_bytes(), filename=path.name, max_bytes=settings.SASAEAI_PLAN_FILE_MAX_BYTES)
    plan = plan_file_import(council=Council.objects.get(name=data.council), data=data, by=None, filename=path.name)[0]
    assert load_kurashiki_process() == plan
    return plan


def facts(plan):
    survey = Questionnaire.objects.get(plan=plan, is_sample=False)
    workshops = EngagementSession.objects.filter(plan=plan, kind="workshop")
    committee = Committee.objects.get(plan=plan)
    return {
        "distributed": survey.distributed,
        "returned": survey.returned,
        "rate": str(voice_selectors.response_rate(survey.distributed, survey.returned)),
        "workshops": sum(w.occurrences for w in workshops),
        "participants": sum(w.participants or 0 for w in workshops),
        "hearing_fields": list(
            EngagementSession.objects.filter(plan=plan, kind="hearing").order_by("pk").values_list("field", flat=True)
        ),
        "members": committee.members.count(),
        "meetings": [(m.number, m.held_on) for m in committee.meetings.order_by("number")],
        "steps": [(s.name, s.start_date, s.end_date) for s in FormulationStep.objects.filter(plan=plan)],
    }


def test_kurashiki_facts_are_the_documents(kurashiki):
    f = facts(kurashiki)
    assert (f["distributed"], f["returned"], f["rate"]) == (2000, 943, "47.2")
    assert f["workshops"] == 8
    assert f["hearing_fields"] == ["介護", "児童福祉", "障がい者福祉", "子育て支援"]
    assert f["members"] == 21
    assert [n for n, _d in f["meetings"]] == [1, 2, 3, 4]
    assert f["meetings"][0][1] == date(2025, 5, 1) and f["meetings"][-1][1] == date(2025, 10, 1)
    assert f["meetings"][1][1] is None and f["meetings"][2][1] is None  # the document gives no month for these
    assert f["participants"] == 215
    assert f["steps"] == [
        ("現状把握・課題の抽出", None, None),
        ("計画策定に向けた協議", date(2025, 5, 1), date(2025, 10, 1)),
        ("パブリックコメントの実施", None, None),
        ("計画の完成", date(2026, 3, 1), None),
    ]
    # 215 is a total over the eight sessions: one record of 8 occurrences, no per-session figure.
    workshops = EngagementSession.objects.filter(plan=kurashiki, kind="workshop")
    assert [(w.occurrences, w.participants) for w in workshops] == [(8, 215)]
    assert voice_selectors.overview_counts(kurashiki)["workshops"] == 8
    assert voice_selectors.overview_counts(kurashiki)["participants"] == 215
    first = FormulationStep.objects.get(plan=kurashiki, name="現状把握・課題の抽出")
    assert "（全８回開催・延べ参加者数215名）" in first.description
    assert "（2,000件配布・回収率47.2％）" in first.description
    assert (
        "パブリックコメントの募集を実施しました。"
        in FormulationStep.objects.get(plan=kurashiki, name="パブリックコメントの実施").description
    )
    assert not PublicCommentPeriod.objects.exists()  # no dates or count are given
    committee = Committee.objects.get(plan=kurashiki)
    assert (committee.name, committee.kind) == ("地域福祉活動計画策定委員会", "formulation")


def test_real_facts_are_not_samples_and_generated_voices_are(kurashiki, client):
    # The one generated questionnaire is marked, and so is every answer in it.
    sample = Questionnaire.objects.get(is_sample=True)
    assert sample.title.startswith("（サンプル）") and sample.responses.count() == 300
    assert not sample.responses.filter(is_sample=False).exists()
    assert not EngagementSession.objects.filter(is_sample=True).exists()
    assert not Committee.objects.filter(is_sample=True).exists()
    assert not CommitteeMeeting.objects.filter(is_sample=True).exists()
    assert Voice.objects.filter(plan=kurashiki).exists()
    assert not Voice.objects.filter(plan=kurashiki, is_sample=False).exists()
    assert not Questionnaire.objects.get(plan=kurashiki, is_sample=False).questions.exists()
    assert not Questionnaire.objects.get(plan=kurashiki, is_sample=False).responses.exists()
    from sasaeai.accounts.models import Membership, User

    viewer = User.objects.create_user(username="v", password="pw-for-tests-123")
    Membership.objects.create(user=viewer, council=kurashiki.council, role="viewer")
    client.force_login(viewer)
    html = client.get(reverse("participation:voices", args=[kurashiki.pk])).content.decode()
    assert html.count('class="sample-tag"') == Voice.objects.filter(plan=kurashiki).count()
    overview = client.get(reverse("participation:overview", args=[kurashiki.pk])).content.decode()
    assert "配布 2,000件" in overview and "回収 943件" in overview and "回収率 47.2%" in overview
    assert "第1回〜第4回（4回）" in overview and "令和7年5月1日〜令和7年10月1日" in overview
    assert "委員 21人・会議 4回" in overview
    timeline_part = overview.split('id="timeline"', 1)[1].split("記録を見る", 1)[0]
    assert "サンプル" not in timeline_part


def test_running_it_again_creates_nothing_twice(kurashiki):
    models = [FormulationStep, Questionnaire, EngagementSession, Committee, CommitteeMember, CommitteeMeeting, Voice]
    before = {m.__name__: m.objects.count() for m in models}
    assert load_kurashiki_process() == kurashiki
    assert {m.__name__: m.objects.count() for m in models} == before
    assert before["CommitteeMember"] == 21 and before["CommitteeMeeting"] == 4 and before["Questionnaire"] == 2


def test_a_reloaded_plan_gets_the_same_records_back(kurashiki):
    from sasaeai.demo.services import PLANS_DIR
    from sasaeai.plans import planfile
    from sasaeai.plans.services import plan_file_import

    council = kurashiki.council
    kurashiki.delete()  # what `manage.py demo --reset` does before importing again
    path = PLANS_DIR / "kurashiki.yaml"
    data = planfile.parse(path.read_bytes(), filename=path.name, max_bytes=settings.SASAEAI_PLAN_FILE_MAX_BYTES)
    plan = plan_file_import(council=council, data=data, by=None, filename=path.name)[0]
    load_kurashiki_process()
    f = facts(plan)
    assert (f["distributed"], f["returned"], f["workshops"], f["members"], len(f["meetings"])) == (2000, 943, 8, 21, 4)
    assert Questionnaire.objects.filter(is_sample=False).count() == 1 and Committee.objects.count() == 1
    assert Questionnaire.objects.get(is_sample=True).plan == plan  # the sample survey follows the plan too


def test_no_plan_no_records(db):
    assert load_kurashiki_process() is None
    assert not FormulationStep.objects.exists() and not Committee.objects.exists()
