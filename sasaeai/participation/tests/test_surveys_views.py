"""Survey screens: permissions, the import flow, results, cross tabulation, free answers, Excel, and the
public answer form (honeypot, rate limit, escaping, CSRF)."""

import io
import random

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sasaeai.core.imports import pending
from sasaeai.participation.models import Question, Questionnaire, Response, Voice
from sasaeai.participation.services import surveys

from .factories import CSV, import_csv, make_survey

HEADER = "回答者番号,年代,性別,Q1,Q2,Q3,Q4,Q5\n"


def url(name, q, *extra):
    return reverse(f"surveys:{name}", args=[q.plan_id, q.pk, *extra])


def _open(q, user):
    return surveys.questionnaire_set_status(questionnaire=q, status="open", by=user)


# --------------------------------------------------------------------------- permissions


def test_viewer_reads_but_cannot_manage(filled_survey, users, client_for):
    client = client_for(users["viewer"])
    for name in ("results", "cross", "free"):
        assert client.get(url(name, filled_survey)).status_code == 200, name
    assert client.get(reverse("surveys:list", args=[filled_survey.plan_id])).status_code == 200
    # the workbook holds every free answer with the respondent's attributes: staff who run the survey only
    for name in ("export", "import", "questions", "edit", "delete", "question_add", "responses_delete"):
        assert client.get(url(name, filled_survey)).status_code == 404, name
    upload = SimpleUploadedFile("a.csv", (HEADER + "99,1,1,1,,,,\n").encode())
    assert client.post(url("import", filled_survey), {"file": upload, "mode": "append"}).status_code == 404
    assert client.post(url("status", filled_survey), {"status": "open"}).status_code == 404
    assert client.get(reverse("surveys:create", args=[filled_survey.plan_id])).status_code == 404
    assert Response.objects.filter(questionnaire=filled_survey).count() == 10
    assert Questionnaire.objects.get(pk=filled_survey.pk).status == "draft"


def test_other_councils_and_strangers_get_404(filled_survey, users, client_for):
    for user in (users["outsider"], users["nobody"]):
        client = client_for(user)
        assert client.get(url("results", filled_survey)).status_code == 404
        assert client.get(url("export", filled_survey)).status_code == 404
        assert client.get(reverse("surveys:list", args=[filled_survey.plan_id])).status_code == 404


def test_a_questionnaire_is_found_only_under_its_own_plan(filled_survey, users, client_for, councils):
    from sasaeai.demo.generator import create_plan

    other_plan = create_plan(council=councils["a"], nodes=3, issues=1, title="別の計画")
    other = make_survey(other_plan, users["admin"], title="別の計画のアンケート", questions=[])
    client = client_for(users["admin"])
    assert client.get(reverse("surveys:results", args=[filled_survey.plan_id, other.pk])).status_code == 404
    page = client.get(reverse("surveys:list", args=[filled_survey.plan_id])).content.decode()
    assert "住民アンケート" in page and "別の計画のアンケート" not in page


def test_anonymous_is_sent_to_login(filled_survey, client):
    response = client.get(url("results", filled_survey))
    assert response.status_code == 302 and "/login/" in response["Location"]


# --------------------------------------------------------------------------- editing screens


def test_editor_creates_a_survey_and_its_questions(small_plan, users, client_for):
    client = client_for(users["editor"])
    response = client.post(
        reverse("surveys:create", args=[small_plan.pk]),
        {"title": "地域福祉に関するアンケート", "audience": "市内在住の18歳以上 2,000人", "distributed": "2000"},
    )
    q = Questionnaire.objects.get(title="地域福祉に関するアンケート")
    assert response.status_code == 302 and (q.plan_id, q.council_id) == (small_plan.pk, small_plan.council_id)
    response = client.post(
        url("question_add", q),
        {
            "code": "年代",
            "text": "あなたの年代は",
            "kind": "single",
            "choices": "1 20代\n2：30代\n3\t40代以上\n",
            "is_attribute": "on",
        },
    )
    assert response.status_code == 302
    question = Question.objects.get(questionnaire=q, code="年代")
    assert list(question.choices.values_list("code", "label")) == [("1", "20代"), ("2", "30代"), ("3", "40代以上")]
    assert question.is_attribute
    response = client.post(url("question_add", q), {"code": "年代", "text": "重複", "kind": "text"})
    assert response.status_code == 200
    assert "列名「年代」はこのアンケートの別の質問で使っています。" in response.content.decode()
    response = client.post(url("status", q), {"status": "open"})
    assert Questionnaire.objects.get(pk=q.pk).status == "open"
    page = client.get(url("questions", q)).content.decode()
    assert reverse("surveys:public", args=[Questionnaire.objects.get(pk=q.pk).public_key]) in page


def test_import_flow_upload_preview_confirm(survey, users, client_for):
    client = client_for(users["editor"])
    upload = SimpleUploadedFile("回答.csv", CSV.encode("cp932"))
    response = client.post(url("import", survey), {"file": upload, "mode": "append"})
    page = response.content.decode()
    assert response.status_code == 200 and "10 人分を取り込む" in page and "Shift_JIS" in page
    assert Response.objects.count() == 0
    sha = response.context["sha"]
    assert f'name="sha" value="{sha}"' in page
    response = client.post(url("import_confirm", survey), {"sha": sha})
    assert response.status_code == 302 and response["Location"] == url("results", survey)
    assert Response.objects.filter(questionnaire=survey).count() == 10
    # the pending file is gone: confirming again does nothing
    response = client.post(url("import_confirm", survey), {"sha": sha})
    assert response.status_code == 302 and Response.objects.count() == 10


def test_import_of_a_bad_file_shows_every_problem_and_imports_nothing(survey, users, client_for):
    client = client_for(users["editor"])
    upload = SimpleUploadedFile("a.csv", (HEADER + "1,1,1,9,,,,\n1,1,1,1,,,,\n").encode())
    response = client.post(url("import", survey), {"file": upload, "mode": "append"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "ファイルに 2 件の問題があるため、何も取り込んでいません。" in page
    assert "2行目 D列（Q1）: 選択肢にないコード「9」です（使えるコード: 1, 2）。" in page
    assert "3行目 A列（回答者番号）: 回答者番号「1」が 2行目 と同じです（2行目と3行目）。" in page
    assert Response.objects.count() == 0
    assert pending.session_key("survey_responses") not in client.session


def test_import_of_a_file_over_the_size_limit_is_refused(survey, users, client_for, settings):
    settings.SASAEAI_SURVEY_MAX_BYTES = 50
    client = client_for(users["editor"])
    response = client.post(url("import", survey), {"file": SimpleUploadedFile("a.csv", CSV.encode()), "mode": "append"})
    page = response.content.decode()
    assert "ファイルが大きすぎます（50 バイトまで）。" in page and "50 バイトまで" in page
    assert Response.objects.count() == 0


def test_import_confirm_with_a_wrong_checksum_imports_nothing(survey, users, client_for):
    client = client_for(users["editor"])
    client.post(url("import", survey), {"file": SimpleUploadedFile("a.csv", CSV.encode()), "mode": "append"})
    response = client.post(url("import_confirm", survey), {"sha": "0" * 64})
    assert response.status_code == 302 and response["Location"] == url("import", survey)
    assert Response.objects.count() == 0


# --------------------------------------------------------------------------- results


def test_results_page_shows_tables_and_charts(filled_survey, users, client_for):
    filled_survey.distributed = 20
    filled_survey.save()
    page = client_for(users["viewer"]).get(url("results", filled_survey)).content.decode()
    assert "配布 20 ／ 回収 10 ／ 回収率 50.0%" in page
    assert "<svg" in page and "<table" in page
    assert '<td class="num">6</td><td class="num">66.7</td>' in page  # Q1 はい
    assert '<td class="num">5</td><td class="num">62.5</td>' in page  # Q2 買い物
    assert "3.56" in page  # Q3 mean


def _survey_with(plan, user, respondents, title):
    q = make_survey(plan, user, title=title)
    rng = random.Random(respondents)
    lines = [HEADER.strip()]
    for i in range(1, respondents + 1):
        lines.append(
            f"{i},{rng.randint(1, 3)},{rng.randint(1, 2)},{rng.randint(1, 2)},{rng.randint(1, 3)},"
            f"{rng.randint(1, 5)},{rng.randint(0, 9)},意見{i}"
        )
    import_csv(q, user, "\n".join(lines) + "\n")
    return q


def test_results_page_query_count_does_not_grow(small_plan, users, client_for):
    small = _survey_with(small_plan, users["admin"], 10, "10人")
    large = _survey_with(small_plan, users["admin"], 200, "200人")
    client = client_for(users["viewer"])
    counts = {}
    for q in (small, large):
        for name in ("results", "cross", "free"):
            target = url(name, q) + ("?question=Q1&attribute=性別" if name == "cross" else "")
            client.get(target)  # builds the cache
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(target).status_code == 200
            counts[(q.title, name)] = len(ctx)
    for name in ("results", "cross", "free"):
        assert counts[("10人", name)] == counts[("200人", name)], counts
    assert counts[("10人", "results")] <= 15


def test_cross_page_shows_the_hand_counted_table(filled_survey, users, client_for):
    response = client_for(users["viewer"]).get(url("cross", filled_survey), {"question": "Q1", "attribute": "性別"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "80.0%" in page and "20.0%" in page and "50.0%" in page
    assert "<svg" in page
    # an unknown attribute is a form error, not a 500
    response = client_for(users["viewer"]).get(url("cross", filled_survey), {"question": "Q1", "attribute": "Q4"})
    assert response.status_code == 200 and "<svg" not in response.content.decode()


def test_export_downloads_a_workbook(filled_survey, users, client_for):
    import openpyxl

    response = client_for(users["editor"]).get(url("export", filled_survey), {"attribute": "年代"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["単純集計", "クロス集計", "自由記述"]


# --------------------------------------------------------------------------- free answers


def test_free_answers_search_and_tagging(filled_survey, users, client_for):
    viewer = client_for(users["viewer"])
    page = viewer.get(url("free", filled_survey), {"question": "Q5", "q": "見守り"}).content.decode()
    assert "見守りがほしい" in page and "バスが少ない" not in page
    assert "タグを付けて意見にする" not in page  # viewers do not tag
    response = Response.objects.get(questionnaire=filled_survey, respondent="1")
    q5 = Question.objects.get(questionnaire=filled_survey, code="Q5")
    tag_url = url("free_tag", filled_survey, response.pk, q5.pk)
    assert viewer.post(tag_url, {"new_tags": "移動"}).status_code == 404
    editor = client_for(users["editor"])
    result = editor.post(
        tag_url, {"new_tags": "移動、買い物", "question": "Q5", "q": "バス\r\nSet-Cookie: x", "page": "1"}
    )
    assert result.status_code == 302
    assert result["Location"].startswith(url("free", filled_survey) + "?question=Q5&q=")
    assert result["Location"].endswith(f"#answer-{response.pk}") and "\n" not in result["Location"]
    voice = Voice.objects.get()
    assert (voice.response_id, voice.question_id, voice.source) == (response.pk, q5.pk, "survey")
    page = editor.get(url("free", filled_survey), {"question": "Q5"}).content.decode()
    assert "移動" in page and "タグを変える" in page


# --------------------------------------------------------------------------- public form


def test_public_form_shows_every_question_with_labels(survey, users, client):
    q = _open(survey, users["admin"])
    page = client.get(reverse("surveys:public", args=[q.public_key])).content.decode()
    assert page.count("<fieldset") == 5  # 年代, 性別, Q1, Q2, Q3
    assert "<legend>" in page and "あなたの年代" in page
    for question in Question.objects.filter(questionnaire=q, kind__in=["number", "text"]):
        assert f'<label for="id_q{question.pk}">' in page
    assert 'name="website"' in page and "csrfmiddlewaretoken" in page


def _answer_data(q, **values):
    data = {}
    for question in Question.objects.filter(questionnaire=q):
        if question.code in values:
            data[f"q{question.pk}"] = values[question.code]
    return data


def test_public_form_stores_a_valid_answer(survey, users, client):
    q = _open(survey, users["admin"])
    response = client.post(
        reverse("surveys:public", args=[q.public_key]),
        _answer_data(q, 年代="2", Q1="1", Q2=["1", "3"], Q3="4", Q4="12", Q5="サロンがほしい"),
    )
    assert response.status_code == 302 and response["Location"] == reverse("surveys:public_thanks", args=[q.public_key])
    stored = Response.objects.get(questionnaire=q)
    assert stored.respondent == "W000001" and stored.source == "online"
    assert stored.answers == {"年代": "2", "Q1": "1", "Q2": ["1", "3"], "Q3": 4, "Q4": 12, "Q5": "サロンがほしい"}
    assert len(stored.client_hash) == 64 and "127.0.0.1" not in stored.client_hash
    assert "ご回答ありがとうございました" in client.get(response["Location"]).content.decode()


def test_public_form_reshows_an_invalid_answer_with_messages(survey, users, client):
    q = _open(survey, users["admin"])
    response = client.post(
        reverse("surveys:public", args=[q.public_key]),
        _answer_data(q, 年代="2", Q2=["1", "2", "3"], Q4="たくさん", Q5="残す文"),
    )
    page = response.content.decode()
    assert response.status_code == 200 and not Response.objects.exists()
    assert 'role="alert"' in page
    assert "この質問には回答が必要です。" in page  # Q1 is required
    assert "選べるのは 2 つまでです（3 つ選ばれています）。" in page
    assert "数で答えてください（「たくさん」は数ではありません）。" in page
    assert "残す文</textarea>" in page  # what was typed stays
    q1 = Question.objects.get(questionnaire=q, code="Q1")
    assert f'id="q{q1.pk}-error"' in page and f'href="#field-q{q1.pk}"' in page


def test_public_form_honeypot_stores_nothing(survey, users, client):
    q = _open(survey, users["admin"])
    data = _answer_data(q, Q1="1")
    data["website"] = "http://spam.example"
    response = client.post(reverse("surveys:public", args=[q.public_key]), data)
    assert response.status_code == 302
    assert not Response.objects.exists()


def test_public_form_rate_limit_answers_429_and_stores_nothing(survey, users, client, settings):
    settings.SASAEAI_SURVEY_RATE_LIMIT = 2
    q = _open(survey, users["admin"])
    target = reverse("surveys:public", args=[q.public_key])
    for _i in range(2):
        assert client.post(target, _answer_data(q, Q1="1")).status_code == 302
    response = client.post(target, _answer_data(q, Q1="2"))
    assert response.status_code == 429
    assert "しばらくしてから送信してください" in response.content.decode()
    assert Response.objects.count() == 2
    other = Client(REMOTE_ADDR="198.51.100.7")
    assert other.post(target, _answer_data(q, Q1="2")).status_code == 302
    assert Response.objects.count() == 3


def test_html_in_a_free_answer_is_stored_as_text_and_shown_escaped(survey, users, client, client_for):
    q = _open(survey, users["admin"])
    client.post(
        reverse("surveys:public", args=[q.public_key]),
        _answer_data(q, Q1="1", Q5="<script>alert(1)</script><b>太字</b>"),
    )
    stored = Response.objects.get(questionnaire=q)
    assert stored.answers["Q5"] == "<script>alert(1)</script><b>太字</b>"
    page = client_for(users["viewer"]).get(url("free", q), {"question": "Q5"}).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;b&gt;太字&lt;/b&gt;" in page
    assert "<script>alert(1)" not in page


def test_public_form_needs_csrf(survey, users):
    q = _open(survey, users["admin"])
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("surveys:public", args=[q.public_key]), _answer_data(q, Q1="1"))
    assert response.status_code == 403 and not Response.objects.exists()


def test_public_form_only_while_open(survey, users, client):
    assert client.get(reverse("surveys:public", args=["nope"])).status_code == 404
    q = _open(survey, users["admin"])
    key = q.public_key
    q = surveys.questionnaire_set_status(questionnaire=q, status="draft", by=users["admin"])
    assert client.get(reverse("surveys:public", args=[key])).status_code == 404
    q = surveys.questionnaire_set_status(questionnaire=q, status="closed", by=users["admin"])
    response = client.post(reverse("surveys:public", args=[key]), _answer_data(q, Q1="1"))
    assert response.status_code == 200 and "締め切りました" in response.content.decode()
    assert not Response.objects.exists()


@pytest.mark.parametrize("name", ["list"])
def test_list_url_name(name, small_plan):
    assert reverse(f"surveys:{name}", args=[small_plan.pk]) == f"/plans/{small_plan.pk}/surveys/"
