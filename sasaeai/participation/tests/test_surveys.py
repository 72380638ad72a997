"""The questionnaire engine: validate_answers, question rules, statuses, online submissions, voices."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from sasaeai.core.models import AuditEntry
from sasaeai.participation.models import Question, Questionnaire, Response, Tag, Voice
from sasaeai.participation.selectors import surveys as survey_selectors
from sasaeai.participation.services import surveys

from .factories import question


def errors_of(q, raw, **kwargs):
    with pytest.raises(ValidationError) as info:
        surveys.validate_answers(q, raw, **kwargs)
    return info.value.message_dict


# --------------------------------------------------------------------------- validate_answers


def test_validate_answers_returns_clean_answers(survey):
    clean = surveys.validate_answers(
        survey,
        {
            "年代": "２",
            "性別": "女性",
            "Q1": 1,
            "Q2": ["3", "1"],
            "Q3": "4",
            "Q4": "1,250",
            "Q5": "  バスが\r\n少ない  ",
            "unknown": "ignored",
        },
    )
    assert clean == {"年代": "2", "性別": "2", "Q1": "1", "Q2": ["1", "3"], "Q3": 4, "Q4": 1250, "Q5": "バスが\n少ない"}
    assert surveys.validate_answers(survey, {"Q1": "1", "Q2": "3、2", "Q4": "0.5"}) == {
        "Q1": "1",
        "Q2": ["2", "3"],
        "Q4": 0.5,
    }


def test_validate_answers_names_each_bad_question(survey):
    errors = errors_of(survey, {"年代": "9", "Q2": "1,2,3", "Q3": "6", "Q4": "たくさん", "Q5": "あ" * 201})
    assert errors == {
        "年代": ["選択肢にないコード「9」です（使えるコード: 1, 2, 3）。"],
        "Q1": ["この質問には回答が必要です。"],
        "Q2": ["選べるのは 2 つまでです（3 つ選ばれています）。"],
        "Q3": ["1〜5 の整数で答えてください（「6」は範囲の外です）。"],
        "Q4": ["数で答えてください（「たくさん」は数ではありません）。"],
        "Q5": ["200 文字以内で入力してください（今は 201 文字）。"],
    }
    assert errors_of(survey, {"Q1": ["1", "2"]}) == {"Q1": ["選べるのは1つだけです。"]}
    assert errors_of(survey, {"Q1": "1", "Q4": "NaN"})["Q4"][0].startswith("数で答えてください")
    # imports do not require answers
    assert surveys.validate_answers(survey, {}, enforce_required=False) == {}


def test_text_without_a_limit_is_capped(small_plan, users):
    q = surveys.questionnaire_create(plan=small_plan, by=users["admin"], title="t")
    surveys.question_save(questionnaire=q, by=users["admin"], code="Q1", text="ご意見", kind="text")
    assert surveys.validate_answers(q, {"Q1": "あ" * surveys.TEXT_MAX_LENGTH})
    with pytest.raises(ValidationError):
        surveys.validate_answers(q, {"Q1": "あ" * (surveys.TEXT_MAX_LENGTH + 1)})


# --------------------------------------------------------------------------- questions


def test_question_rules(survey, users):
    admin = users["admin"]

    def save(**kwargs):
        data = dict(code="QX", text="質問", kind="single", choices=[("1", "はい")])
        data.update(kwargs)
        with pytest.raises(ValidationError) as info:
            surveys.question_save(questionnaire=survey, by=admin, **data)
        return info.value.message_dict

    assert save(code="q1") == {"code": ["列名「q1」はこのアンケートの別の質問で使っています。"]}
    assert save(code="ID")["code"][0].startswith("「ID」は回答者番号の列名")
    assert save(code="Q 9")["code"][0].endswith("空白や「,」「、」「;」は使えません。")
    assert save(choices=[]) == {"choices": ["選択肢を1つ以上入力してください。"]}
    assert save(choices=[("1", "a"), ("1", "b")]) == {"choices": ["コード「1」が2回あります（1 行目と 2 行目）。"]}
    assert save(choices=[("1,2", "a")])["choices"][0].endswith("空白や「,」「、」「;」は使えません。")
    assert save(kind="scale", scale_min=5, scale_max=1) == {"scale_max": ["尺度の最大は最小より大きくしてください。"]}
    assert save(kind="scale", scale_min=1, scale_max=5, choices=[("7", "x")])["choices"][0].startswith(
        "1 行目: 尺度の目盛り"
    )
    assert save(kind="text", choices=[("1", "a")]) == {"choices": ["数値・自由記述の質問には選択肢を入力しません。"]}
    assert save(kind="number", choices=[], is_attribute=True)["is_attribute"][0].startswith("回答者の属性")
    assert save(kind="multiple", choices=[(str(i), f"c{i}") for i in range(65)]) == {
        "choices": ["複数選択の選択肢は 64 個までです。"]
    }


def test_questions_are_fixed_once_there_are_answers(filled_survey, users):
    q1 = question(filled_survey, "Q1")
    with pytest.raises(ValidationError) as info:
        surveys.question_save(
            questionnaire=filled_survey,
            by=users["admin"],
            question=q1,
            code="Q1b",
            text=q1.text,
            kind="single",
            choices=[("1", "はい"), ("2", "いいえ")],
        )
    assert "code" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        surveys.question_save(
            questionnaire=filled_survey,
            by=users["admin"],
            question=q1,
            code="Q1",
            text=q1.text,
            kind="single",
            choices=[("1", "はい")],
        )
    assert info.value.message_dict == {
        "choices": ["回答があるため、選択肢のコード「2」は削除できません（文字の変更と追加はできます）。"]
    }
    with pytest.raises(ValidationError):
        surveys.question_delete(question=q1, by=users["admin"])
    # relabelling and adding a choice is fine, and moves the data version on (the cache is rebuilt)
    version = Questionnaire.objects.get(pk=filled_survey.pk).data_version
    surveys.question_save(
        questionnaire=filled_survey,
        by=users["admin"],
        question=q1,
        code="Q1",
        text=q1.text,
        kind="single",
        choices=[("1", "はい（ぜひ）"), ("2", "いいえ"), ("3", "わからない")],
    )
    assert list(q1.choices.values_list("code", "label")) == [
        ("1", "はい（ぜひ）"),
        ("2", "いいえ"),
        ("3", "わからない"),
    ]
    assert Questionnaire.objects.get(pk=filled_survey.pk).data_version == version + 1


def test_question_move_and_audit(survey, users):
    q3 = question(survey, "Q3")
    surveys.question_move(question=q3, by=users["editor"], up=True)
    assert list(Question.objects.filter(questionnaire=survey).values_list("code", flat=True)) == [
        "年代",
        "性別",
        "Q1",
        "Q3",
        "Q2",
        "Q4",
        "Q5",
    ]
    assert AuditEntry.objects.filter(action="questionnaire.save", actor=users["editor"]).count() == 1


def test_questionnaire_update_checks_version_and_dates(survey, users):
    with pytest.raises(ValidationError) as info:
        surveys.questionnaire_update(
            questionnaire=survey, by=users["admin"], opens_on=dt.date(2026, 5, 1), closes_on=dt.date(2026, 4, 1)
        )
    assert info.value.message_dict == {"closes_on": ["締切日は開始日より後の日付にしてください。"]}
    updated = surveys.questionnaire_update(
        questionnaire=survey, by=users["admin"], expected_version=survey.version, distributed=2000, returned=943
    )
    assert updated.version == survey.version + 1
    with pytest.raises(ValidationError):
        surveys.questionnaire_update(
            questionnaire=survey, by=users["admin"], expected_version=survey.version, title="古い画面から"
        )
    entry = AuditEntry.objects.filter(action="questionnaire.save").latest("pk")
    assert entry.after == {"distributed": 2000, "returned": 943}


def test_opening_needs_questions_and_gives_a_public_key(small_plan, users):
    q = surveys.questionnaire_create(plan=small_plan, by=users["admin"], title="t")
    with pytest.raises(ValidationError):
        surveys.questionnaire_set_status(questionnaire=q, status="open", by=users["admin"])
    surveys.question_save(questionnaire=q, by=users["admin"], code="Q1", text="?", kind="text")
    q = surveys.questionnaire_set_status(questionnaire=q, status="open", by=users["admin"])
    assert q.status == "open" and len(q.public_key) >= 20
    key = q.public_key
    q = surveys.questionnaire_set_status(questionnaire=q, status="closed", by=users["admin"])
    assert q.public_key == key
    assert AuditEntry.objects.filter(action="questionnaire.status").count() == 2


def test_is_accepting_follows_status_and_dates(survey):
    today = dt.date(2026, 6, 10)
    survey.status = "open"
    assert survey_selectors.is_accepting(survey, today)
    survey.opens_on, survey.closes_on = dt.date(2026, 6, 11), None
    assert not survey_selectors.is_accepting(survey, today)
    survey.opens_on, survey.closes_on = dt.date(2026, 6, 1), dt.date(2026, 6, 10)
    assert survey_selectors.is_accepting(survey, today)
    assert not survey_selectors.is_accepting(survey, dt.date(2026, 6, 11))
    survey.status = "closed"
    assert not survey_selectors.is_accepting(survey, today)


# --------------------------------------------------------------------------- online answers


def _open(q, user):
    return surveys.questionnaire_set_status(questionnaire=q, status="open", by=user)


def test_online_answers_get_generated_ids_and_move_the_data_version(survey, users):
    q = _open(survey, users["admin"])
    first = surveys.response_submit_online(questionnaire=q, raw={"Q1": "1"}, client="a" * 64)
    second = surveys.response_submit_online(questionnaire=q, raw={"Q1": "2", "Q2": ["2"]}, client="b" * 64)
    assert (first.respondent, second.respondent) == ("W000001", "W000002")
    assert second.answers == {"Q1": "2", "Q2": ["2"]} and second.source == "online"
    assert Questionnaire.objects.get(pk=q.pk).data_version == q.data_version + 2
    assert not AuditEntry.objects.filter(action__startswith="responses").exists()


def test_online_answers_are_refused_when_closed_invalid_or_too_many(survey, users, settings):
    q = _open(survey, users["admin"])
    with pytest.raises(ValidationError) as info:
        surveys.response_submit_online(questionnaire=q, raw={"Q1": "7"}, client="c" * 64)
    assert list(info.value.message_dict) == ["Q1"]
    settings.SASAEAI_SURVEY_RATE_LIMIT = 2
    for _i in range(2):
        surveys.response_submit_online(questionnaire=q, raw={"Q1": "1"}, client="c" * 64)
    with pytest.raises(surveys.RateLimited):
        surveys.response_submit_online(questionnaire=q, raw={"Q1": "1"}, client="c" * 64)
    surveys.response_submit_online(questionnaire=q, raw={"Q1": "1"}, client="d" * 64)  # another client
    q = surveys.questionnaire_set_status(questionnaire=q, status="closed", by=users["admin"])
    with pytest.raises(surveys.NotAccepting):
        surveys.response_submit_online(questionnaire=q, raw={"Q1": "1"}, client="e" * 64)
    assert Response.objects.filter(questionnaire=q).count() == 3


def test_client_hash_hides_the_address():
    value = surveys.client_hash("192.0.2.1")
    assert len(value) == 64 and "192" not in value
    assert value == surveys.client_hash("192.0.2.1") != surveys.client_hash("192.0.2.2")


# --------------------------------------------------------------------------- free answers → voices


def test_voice_from_answer_links_response_question_and_tags(filled_survey, users):
    response = Response.objects.get(questionnaire=filled_survey, respondent="4")
    q5 = question(filled_survey, "Q5")
    existing = Tag.objects.create(council=filled_survey.council, name="見守り")
    voice = surveys.voice_from_answer(
        response=response, question=q5, by=users["editor"], tags=[existing.pk], new_tags="高齢者、見守り"
    )
    assert (voice.plan_id, voice.source, voice.response_id, voice.question_id) == (
        filled_survey.plan_id,
        "survey",
        response.pk,
        q5.pk,
    )
    assert voice.text == "見守りがほしい"
    assert voice.speaker == "30〜50代・女性"
    assert sorted(voice.tags.values_list("name", flat=True)) == ["見守り", "高齢者"]
    # again: the same voice, tags replaced
    again = surveys.voice_from_answer(response=response, question=q5, by=users["editor"], tags=[])
    assert again.pk == voice.pk and not again.tags.exists()
    assert Voice.objects.count() == 1
    assert AuditEntry.objects.filter(action="voice.save").count() == 2


def test_voice_from_answer_refuses_foreign_tags_and_non_text(filled_survey, users, councils):
    response = Response.objects.get(questionnaire=filled_survey, respondent="4")
    foreign = Tag.objects.create(council=councils["b"], name="よそ")
    with pytest.raises(ValidationError):
        surveys.voice_from_answer(
            response=response, question=question(filled_survey, "Q5"), by=users["editor"], tags=[foreign.pk]
        )
    with pytest.raises(ValidationError):
        surveys.voice_from_answer(response=response, question=question(filled_survey, "Q1"), by=users["editor"])
    blank = Response.objects.get(questionnaire=filled_survey, respondent="2")
    with pytest.raises(ValidationError):
        surveys.voice_from_answer(response=blank, question=question(filled_survey, "Q5"), by=users["editor"])
    assert not Voice.objects.exists()


def test_free_answers_search_by_substring(filled_survey):
    q5 = question(filled_survey, "Q5")
    assert [r.respondent for r in survey_selectors.free_answers(filled_survey, q5)] == ["1", "4", "10"]
    assert [r.respondent for r in survey_selectors.free_answers(filled_survey, q5, search="見守り")] == ["4"]
    assert [r.respondent for r in survey_selectors.free_answers(filled_survey, q5, search="%")] == []


def test_responses_delete_and_questionnaire_delete(filled_survey, users):
    assert surveys.responses_delete(questionnaire=filled_survey, by=users["admin"]) == 10
    assert not Response.objects.filter(questionnaire=filled_survey).exists()
    surveys.questionnaire_delete(questionnaire=filled_survey, by=users["admin"])
    assert not Questionnaire.objects.filter(pk=filled_survey.pk).exists()
    assert AuditEntry.objects.filter(action="questionnaire.delete").get().before["title"] == "住民アンケート"
