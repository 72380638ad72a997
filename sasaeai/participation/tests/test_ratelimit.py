"""Residents' rate limits: the real client behind a trusted proxy, separate budgets for comments and
survey answers, and a limit that holds under parallel submissions to two open periods."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from sasaeai.demo.generator import create_plan
from sasaeai.participation.models import ClientGate, PublicComment, Question, Response, Voice
from sasaeai.participation.services import comments, surveys

from .factories import make_survey

PROXY = "10.0.0.5"
TOO_MANY = "短い時間に多くのご意見が送信されたため、受付を一時的に止めています。"


def _period(plan, by, title="素案へのご意見募集"):
    today = timezone.localdate()
    return comments.period_save(
        plan=plan, by=by, title=title, opens_on=today - timedelta(days=1), closes_on=today + timedelta(days=10)
    )


@pytest.fixture
def period(small_plan, users):
    return _period(small_plan, users["editor"])


@pytest.fixture
def behind_proxy(settings):
    settings.SASAEAI_COMMENT_MIN_SECONDS = 0
    settings.SASAEAI_TRUSTED_PROXIES = (PROXY,)
    return settings


def post_comment(client, period, text, **extra):
    data = {"section": "", "text": text, "consent": "on", "website": "", "issued": comments.form_token(period)}
    return client.post(reverse("public:comment_submit", args=[period.public_key]), data, **extra)


def test_seven_residents_behind_the_proxy_each_have_their_own_limit(client, period, behind_proxy):
    for i in range(7):
        xff = f"203.0.113.{i + 1}"
        response = post_comment(client, period, f"意見{i}", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=xff)
        assert response.status_code == 302, i
    assert PublicComment.objects.count() == 7
    assert PublicComment.objects.values("client_hash").distinct().count() == 7


def test_seven_comments_from_one_resident_behind_the_proxy_are_limited(client, period, behind_proxy):
    codes = []
    for i in range(7):
        # the resident also tries to pass as someone else: the left-most entry is its own and is ignored
        xff = f"198.51.100.{i}, 203.0.113.1"
        response = post_comment(client, period, f"意見{i}", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=xff)
        codes.append(response.status_code)
        if response.status_code == 429:
            page = response.content.decode()
            assert TOO_MANY in page and f"意見{i}" in page  # the text is kept
    assert codes == [302] * 5 + [429] * 2
    assert sorted(PublicComment.objects.values_list("text", flat=True)) == [f"意見{i}" for i in range(5)]
    assert Voice.objects.count() == 5


def test_without_a_trusted_proxy_everyone_behind_it_shares_one_limit(client, period, settings):
    settings.SASAEAI_COMMENT_MIN_SECONDS = 0
    settings.SASAEAI_TRUSTED_PROXIES = ()
    extra = {"REMOTE_ADDR": PROXY}
    codes = [
        post_comment(client, period, f"意見{i}", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}", **extra).status_code
        for i in range(6)
    ]
    assert codes == [302] * 5 + [429]


def _survey(plan, by):
    q = make_survey(plan, by)
    return surveys.questionnaire_set_status(questionnaire=q, status="open", by=by)


def _answer(client, q, **extra):
    q1 = Question.objects.get(questionnaire=q, code="Q1")
    return client.post(reverse("surveys:public", args=[q.public_key]), {f"q{q1.pk}": "1"}, **extra)


def test_comments_and_survey_answers_have_separate_budgets(client, period, small_plan, users, behind_proxy):
    q = _survey(small_plan, users["admin"])
    me = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    for i in range(5):
        assert post_comment(client, period, f"意見{i}", **me).status_code == 302
    assert post_comment(client, period, "六つ目", **me).status_code == 429
    # the comments (and their anonymous Response copies) do not use up the survey's budget
    for _i in range(5):
        assert _answer(client, q, **me).status_code == 302
    assert _answer(client, q, **me).status_code == 429
    assert Response.objects.filter(questionnaire=q).count() == 5
    assert PublicComment.objects.count() == 5
    assert set(ClientGate.objects.values_list("scope", flat=True)) == {"comment", "survey"}


def test_survey_answers_do_not_use_up_the_comment_budget(client, period, small_plan, users, behind_proxy):
    q = _survey(small_plan, users["admin"])
    for _i in range(5):
        assert _answer(client, q, REMOTE_ADDR="192.0.2.1").status_code == 302
    assert _answer(client, q, REMOTE_ADDR="192.0.2.1").status_code == 429
    assert post_comment(client, period, "意見", REMOTE_ADDR="192.0.2.1").status_code == 302


def test_the_survey_limit_counts_every_survey_of_the_client(small_plan, users, settings):
    settings.SASAEAI_SURVEY_RATE_LIMIT = 2
    a, b = _survey(small_plan, users["admin"]), make_survey(small_plan, users["admin"], title="二つ目")
    b = surveys.questionnaire_set_status(questionnaire=b, status="open", by=users["admin"])
    me = surveys.client_hash("192.0.2.1")
    surveys.response_submit_online(questionnaire=a, raw={"Q1": "1"}, client=me)
    surveys.response_submit_online(questionnaire=b, raw={"Q1": "1"}, client=me)
    with pytest.raises(surveys.RateLimited):
        surveys.response_submit_online(questionnaire=a, raw={"Q1": "1"}, client=me)
    assert Response.objects.count() == 2


# --------------------------------------------------------------------------- in parallel


def _in_parallel(n, work):
    """Run ``work(i)`` in ``n`` threads started together; returns what each returned (or raised)."""
    barrier = threading.Barrier(n)
    results = [None] * n

    def run(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # reported by the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_comments_to_two_open_periods_pass_exactly_the_limit(small_plan, users, settings):
    settings.SASAEAI_COMMENT_RATE_LIMITS = ((600, 5), (86400, 20))
    # two plans' periods: a lock on one period (or plan) does not hold back the other
    other_plan = create_plan(council=small_plan.council, nodes=3, issues=0, title="もう一つの計画")
    periods = [_period(small_plan, users["editor"]), _period(other_plan, users["editor"], title="二つ目の募集")]
    client = surveys.client_hash("203.0.113.50")

    def send(i):
        try:
            comments.comment_submit(period=periods[i % 2], text=f"意見{i}", client=client)
        except comments.CommentRateLimited:
            return "limited"
        return "stored"

    results = _in_parallel(20, send)
    assert results.count("stored") == 5, results
    assert results.count("limited") == 15, results
    assert PublicComment.objects.count() == 5 and Voice.objects.count() == 5
    # numbers stay 1, 2, … per period
    for p in periods:
        numbers = sorted(PublicComment.objects.filter(period=p).values_list("number", flat=True))
        assert numbers == list(range(1, len(numbers) + 1))
    # another client still gets through
    comments.comment_submit(period=periods[0], text="別の人", client=surveys.client_hash("203.0.113.51"))


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_answers_to_two_surveys_pass_exactly_the_limit(small_plan, users, settings):
    settings.SASAEAI_SURVEY_RATE_LIMIT = 5
    qs = [_survey(small_plan, users["admin"]), _survey(small_plan, users["admin"])]
    client = surveys.client_hash("203.0.113.60")

    def send(i):
        try:
            surveys.response_submit_online(questionnaire=qs[i % 2], raw={"Q1": "1"}, client=client)
        except surveys.RateLimited:
            return "limited"
        return "stored"

    results = _in_parallel(20, send)
    assert results.count("stored") == 5, results
    assert results.count("limited") == 15, results
    assert Response.objects.count() == 5


def test_through_the_real_middleware_stack_a_spoofing_client_is_not_believed(period, settings):
    settings.SASAEAI_COMMENT_MIN_SECONDS = 0
    settings.SASAEAI_TRUSTED_PROXIES = (PROXY,)
    browser = Client(REMOTE_ADDR="198.51.100.77")  # straight to the app, no proxy
    codes = [
        post_comment(browser, period, f"意見{i}", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}").status_code for i in range(6)
    ]
    assert codes == [302] * 5 + [429]
    assert PublicComment.objects.values("client_hash").distinct().count() == 1
