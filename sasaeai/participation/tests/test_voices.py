"""Workshops and hearings, voices (quick entry, edit, list with filters and paging, bulk linking),
tags, and who may do what."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from sasaeai.core.models import AuditEntry
from sasaeai.participation.models import EngagementSession, Question, Questionnaire, Response, Tag, Voice
from sasaeai.participation.services import voices as voice_services
from sasaeai.plans.models import CommunityIssue, PlanNode


@pytest.fixture
def session(small_plan, users):
    return voice_services.session_save(
        plan=small_plan,
        by=users["editor"],
        kind="workshop",
        title="住民懇談会 第1回",
        participants=24,
        place="中央公民館",
    )


def issues(plan):
    return list(CommunityIssue.objects.filter(plan=plan).order_by("position"))


def nodes(plan):
    return list(PlanNode.objects.filter(plan=plan).order_by("pk"))


def test_session_crud_by_editor(small_plan, users, client_for):
    client = client_for(users["editor"])
    url = reverse("participation:session_create", args=[small_plan.pk])
    response = client.post(
        url,
        {
            "kind": "hearing",
            "title": "民生委員協議会ヒアリング",
            "held_on": "2025-07-02",
            "group_name": "民生委員児童委員協議会",
            "field": "児童福祉",
            "participants": "12",
        },
    )
    assert response.status_code == 302
    session = EngagementSession.objects.get(plan=small_plan)
    assert (session.kind, session.field, session.participants) == ("hearing", "児童福祉", 12)
    page = client.get(reverse("participation:session_edit", args=[small_plan.pk, session.pk])).content.decode()
    assert '<datalist id="field-suggestions">' in page and 'value="子育て支援"' in page
    response = client.post(
        reverse("participation:session_edit", args=[small_plan.pk, session.pk]),
        {"kind": "hearing", "title": "民生委員協議会ヒアリング", "participants": "-3"},
    )
    assert response.status_code == 400
    assert EngagementSession.objects.get().participants == 12
    client.post(reverse("participation:session_edit", args=[small_plan.pk, session.pk]), {"delete": "1"})
    assert not EngagementSession.objects.exists()
    assert list(
        AuditEntry.objects.filter(plan_id=small_plan.pk, action__startswith="session.")
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["session.save", "session.delete"]


def test_quick_entry_one_voice_per_line_with_shared_links(small_plan, session, users, client_for):
    issue = issues(small_plan)[0]
    node = nodes(small_plan)[2]
    response = client_for(users["editor"]).post(
        reverse("participation:session", args=[small_plan.pk, session.pk]),
        {
            "texts": "買い物に行く手段がない\n\n  近くに集まれる場所がほしい  \n見守りの担い手が足りない",
            "speaker": "70代",
            "issues": [issue.pk],
            "nodes": [node.pk],
            "new_tags": "移動支援、居場所",
        },
    )
    assert response.status_code == 302
    voices = list(Voice.objects.filter(session=session).order_by("pk"))
    assert [v.text for v in voices] == [
        "買い物に行く手段がない",
        "近くに集まれる場所がほしい",
        "見守りの担い手が足りない",
    ]
    assert {v.source for v in voices} == {"workshop"} and {v.speaker for v in voices} == {"70代"}
    assert all(list(v.issues.all()) == [issue] and list(v.nodes.all()) == [node] for v in voices)
    assert sorted(Tag.objects.filter(council=small_plan.council).values_list("name", flat=True)) == [
        "居場所",
        "移動支援",
    ]
    assert AuditEntry.objects.filter(action="voice.save", plan_id=small_plan.pk).count() == 1
    assert AuditEntry.objects.filter(action="tag.save").count() == 2


def test_quick_entry_without_text_is_refused_on_the_field(small_plan, session, users, client_for):
    response = client_for(users["editor"]).post(
        reverse("participation:session", args=[small_plan.pk, session.pk]), {"texts": "\n  \n", "new_tags": "タグだけ"}
    )
    assert response.status_code == 400
    assert not Voice.objects.exists() and not Tag.objects.exists()


def test_viewer_reads_sessions_and_voices_but_cannot_write(small_plan, session, users, client_for):
    viewer = client_for(users["viewer"])
    assert viewer.get(reverse("participation:session", args=[small_plan.pk, session.pk])).status_code == 200
    assert (
        viewer.post(
            reverse("participation:session", args=[small_plan.pk, session.pk]), {"texts": "書けないはず"}
        ).status_code
        == 404
    )
    assert viewer.get(reverse("participation:session_create", args=[small_plan.pk])).status_code == 404
    assert viewer.get(reverse("participation:voice_create", args=[small_plan.pk])).status_code == 404
    assert viewer.post(reverse("participation:voices", args=[small_plan.pk]), {"voice": ["1"]}).status_code == 404
    assert viewer.get(reverse("participation:tags", args=[small_plan.pk])).status_code == 404
    assert not Voice.objects.exists()
    outsider = client_for(users["outsider"])
    assert outsider.get(reverse("participation:session", args=[small_plan.pk, session.pk])).status_code == 404
    assert outsider.get(reverse("participation:voices", args=[small_plan.pk])).status_code == 404


def test_session_of_another_plan_is_404(small_plan, councils, users, client_for):
    from sasaeai.demo.generator import create_plan

    other = create_plan(council=councils["b"], nodes=3, issues=1, title="よその計画")
    foreign = voice_services.session_save(plan=other, by=None, kind="workshop", title="よその懇談会")
    client = client_for(users["editor"])
    assert client.get(reverse("participation:session", args=[small_plan.pk, foreign.pk])).status_code == 404
    assert client.get(reverse("participation:session_edit", args=[small_plan.pk, foreign.pk])).status_code == 404


def test_voice_edit_changes_links_and_session_kind_moves_its_voices(small_plan, session, users, client_for):
    voice = voice_services.voice_save(plan=small_plan, by=users["editor"], session=session, text="元の意見")
    assert voice.source == "workshop"
    issue = issues(small_plan)[1]
    client = client_for(users["editor"])
    response = client.post(
        reverse("participation:voice_edit", args=[small_plan.pk, voice.pk]),
        {"text": "直した意見", "speaker": "40代・女性", "session": session.pk, "issues": [issue.pk]},
    )
    assert response.status_code == 302
    voice.refresh_from_db()
    assert voice.text == "直した意見" and list(voice.issues.all()) == [issue]
    voice_services.session_save(plan=small_plan, by=users["editor"], session=session, kind="hearing")
    voice.refresh_from_db()
    assert voice.source == "hearing"
    client.post(reverse("participation:voice_edit", args=[small_plan.pk, voice.pk]), {"delete": "1"})
    assert not Voice.objects.exists()


def test_links_to_another_plan_are_refused(small_plan, councils, users):
    from sasaeai.demo.generator import create_plan

    other = create_plan(council=councils["a"], nodes=3, issues=1, title="隣の計画")
    voice = voice_services.voice_save(plan=small_plan, by=None, text="意見")
    with pytest.raises(ValidationError) as info:
        voice_services.voices_link(plan=small_plan, by=None, voices=[voice], issues=issues(other))
    assert info.value.message_dict == {"issues": ["別の計画の地域生活課題は選べません。"]}
    with pytest.raises(ValidationError):
        voice_services.voices_link(plan=other, by=None, voices=[voice], issues=issues(other))
    assert not voice.issues.exists()


def make_voices(plan, n, **kwargs):
    return Voice.objects.bulk_create(
        [Voice(plan=plan, source=kwargs.get("source", "workshop"), text=f"意見{i:03d}") for i in range(n)]
    )


def test_bulk_link_is_audited_once_and_can_be_undone(small_plan, users, client_for):
    voices = make_voices(small_plan, 8)
    issue, node = issues(small_plan)[0], nodes(small_plan)[0]
    client = client_for(users["editor"])
    chosen = [v.pk for v in voices[:5]]
    response = client.post(
        reverse("participation:voices", args=[small_plan.pk]) + "?source=workshop",
        {"voice": chosen, "mode": "add", "issues": [issue.pk], "nodes": [node.pk]},
    )
    assert response.status_code == 302 and response["Location"].endswith("?source=workshop")
    assert sorted(issue.voices.values_list("pk", flat=True)) == chosen
    assert sorted(node.voices.values_list("pk", flat=True)) == chosen
    entries = AuditEntry.objects.filter(action="voice.link")
    assert entries.count() == 1
    assert entries.get().after["意見の数"] == 5 and entries.get().after["変わった結び付き"] == 10
    # Linking again adds nothing; unlinking two removes their links.
    assert voice_services.voices_link(plan=small_plan, by=None, voices=voices[:5], issues=[issue]) == 0
    client.post(
        reverse("participation:voices", args=[small_plan.pk]),
        {"voice": chosen[:2], "mode": "remove", "issues": [issue.pk]},
    )
    assert sorted(issue.voices.values_list("pk", flat=True)) == chosen[2:]
    assert AuditEntry.objects.filter(action="voice.link").count() == 3


def test_bulk_link_without_a_choice_says_what_is_missing(small_plan, users, client_for):
    voices = make_voices(small_plan, 2)
    client = client_for(users["editor"])
    response = client.post(
        reverse("participation:voices", args=[small_plan.pk]), {"mode": "add", "issues": [issues(small_plan)[0].pk]}
    )
    assert response.status_code == 400 and "結び付ける意見を選んでください" in response.content.decode()
    response = client.post(
        reverse("participation:voices", args=[small_plan.pk]), {"mode": "add", "voice": [voices[0].pk]}
    )
    assert (
        response.status_code == 400
        and "地域生活課題・項目・タグのどれかを選んでください。" in response.content.decode()
    )
    assert not AuditEntry.objects.filter(action="voice.link").exists()


def test_voice_list_filters_search_and_pages_of_fifty(small_plan, session, users, client_for):
    voices = make_voices(small_plan, 120)
    issue = issues(small_plan)[0]
    tag = voice_services.tag_save(council=small_plan.council, by=None, name="居場所")
    voice_services.voices_link(plan=small_plan, by=None, voices=voices[:7], issues=[issue])
    voice_services.voices_link(plan=small_plan, by=None, voices=voices[5:9], tags=[tag])
    Voice.objects.filter(pk=voices[50].pk).update(source="hearing", session=session, text="買い物が不便だ")
    client = client_for(users["viewer"])
    url = reverse("participation:voices", args=[small_plan.pk])

    def shown(query):
        page = client.get(url + query).context["page"]
        return page.paginator.count, [v.pk for v in page]

    assert shown("")[0] == 120 and len(shown("")[1]) == 50
    assert shown("?page=3")[1] == [v.pk for v in voices[100:]]
    assert shown(f"?issue={issue.pk}") == (7, [v.pk for v in voices[:7]])
    assert shown(f"?tag={tag.pk}")[0] == 4
    assert shown("?only=untagged")[0] == 116
    assert shown("?only=unlinked")[0] == 120 - 7
    assert shown("?source=hearing") == (1, [voices[50].pk])
    assert shown(f"?session={session.pk}") == (1, [voices[50].pk])
    assert shown("?q=買い物") == (1, [voices[50].pk])
    html = client.get(url + "?q=買い物").content.decode()
    assert "1件のうち 1〜1件目" in html and "選んだ意見を" not in html  # no bulk form for a viewer


def test_survey_and_public_comment_voices_are_listed_with_their_source(small_plan, users, client_for):
    q = Questionnaire.objects.create(council=small_plan.council, plan=small_plan, title="市民アンケート")
    question = Question.objects.create(questionnaire=q, code="Q12", text="自由にお書きください", kind="text")
    answer = Response.objects.create(questionnaire=q, respondent="0001", answers={"Q12": "バスの本数が少ない"})
    voice_services.voice_save(
        plan=small_plan, by=None, source="survey", text="バスの本数が少ない", response=answer, question=question
    )
    html = client_for(users["viewer"]).get(reverse("participation:voices", args=[small_plan.pk])).content.decode()
    assert "アンケートの自由記述" in html and "設問 Q12" in html and "バスの本数が少ない" in html
    voice = Voice.objects.get()
    client = client_for(users["editor"])
    edit = client.get(reverse("participation:voice_edit", args=[small_plan.pk, voice.pk])).content.decode()
    assert 'name="session"' not in edit  # a survey answer keeps where it came from
    client.post(
        reverse("participation:voice_edit", args=[small_plan.pk, voice.pk]),
        {"text": "バスの本数が少ない", "issues": [issues(small_plan)[0].pk]},
    )
    voice.refresh_from_db()
    assert voice.source == "survey" and voice.response_id == answer.pk and voice.issues.count() == 1


def test_tag_names_are_unique_per_council(small_plan, councils, users, client_for):
    voice_services.tag_save(council=small_plan.council, by=None, name="移動支援")
    with pytest.raises(ValidationError) as info:
        voice_services.tag_save(council=small_plan.council, by=None, name=" 移動支援 ")
    assert info.value.message_dict == {"name": ["「移動支援」というタグは既にあります。"]}
    voice_services.tag_save(council=councils["b"], by=None, name="移動支援")
    client = client_for(users["editor"])
    response = client.post(reverse("participation:tags", args=[small_plan.pk]), {"new-name": "居場所"})
    assert response.status_code == 302
    tag = Tag.objects.get(council=small_plan.council, name="居場所")
    client.post(
        reverse("participation:tags", args=[small_plan.pk]), {"tag": tag.pk, f"tag{tag.pk}-name": "居場所づくり"}
    )
    assert set(Tag.objects.filter(council=small_plan.council).values_list("name", flat=True)) == {
        "居場所づくり",
        "移動支援",
    }
