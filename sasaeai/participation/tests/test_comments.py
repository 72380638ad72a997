"""パブリックコメント, the residents' side: the public page, the form and its limits, the results."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from sasaeai.core import fiscal
from sasaeai.participation.models import PublicComment, PublicCommentPeriod, Voice
from sasaeai.participation.selectors import comments as comment_selectors
from sasaeai.participation.services import comments
from sasaeai.plans.models import PlanSection


@pytest.fixture
def period(small_plan, users):
    today = timezone.localdate()
    PlanSection.objects.create(plan=small_plan, position=1, title="第1章 計画の策定にあたって", body="計画の趣旨。")
    PlanSection.objects.create(plan=small_plan, position=2, title="第2章 地域の現状", body="高齢化率は30%。")
    small_plan.vision = "みんなでささえあうまち"
    small_plan.save()
    return comments.period_save(
        plan=small_plan,
        by=users["editor"],
        title="素案へのご意見募集",
        description="ご意見をお寄せください。",
        opens_on=today - timedelta(days=3),
        closes_on=today + timedelta(days=10),
    )


@pytest.fixture
def no_wait(settings):
    settings.SASAEAI_COMMENT_MIN_SECONDS = 0
    return settings


def submit_url(period):
    return reverse("public:comment_submit", args=[period.public_key])


def post(client, period, *, token=None, addr="192.0.2.10", **fields):
    data = {
        "section": "",
        "text": "サロンを増やしてほしい。",
        "name": "",
        "district": "",
        "contact": "",
        "consent": "on",
        "website": "",
        "issued": token if token is not None else comments.form_token(period),
    }
    data.update(fields)
    return client.post(submit_url(period), data, REMOTE_ADDR=addr)


def _close(period, days_ago=1):
    today = timezone.localdate()
    PublicCommentPeriod.objects.filter(pk=period.pk).update(
        opens_on=today - timedelta(days=20), closes_on=today - timedelta(days=days_ago)
    )
    period.refresh_from_db()


def test_public_page_shows_the_draft_plan_with_a_link_per_section(client, period):
    response = client.get(reverse("public:comment", args=[period.public_key]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "みんなでささえあうまち" in html
    _first, second = PlanSection.objects.filter(plan=period.plan).order_by("position")
    assert html.index("第1章 計画の策定にあたって") < html.index("第2章 地域の現状")
    assert "高齢化率は30%。" in html
    assert f"{submit_url(period)}?section={second.pk}" in html
    assert html.count("この章・節に意見を出す") == 2
    assert "計画全体への意見を出す" in html
    # the structure: every node title of the plan, from the goals down
    for node in period.plan.nodes.all():
        assert node.title in html
    assert fiscal.format_date(period.closes_on) in html


def test_the_form_preselects_the_section(client, period):
    section = PlanSection.objects.get(plan=period.plan, position=2)
    html = client.get(submit_url(period) + f"?section={section.pk}").content.decode()
    assert f'<option value="{section.pk}" selected>' in html
    assert "公表しません" in html


def test_submit_stores_the_comment_and_its_voice_with_the_next_number(client, period, no_wait):
    section = PlanSection.objects.get(plan=period.plan, position=1)
    first = post(client, period, text="一つ目の意見")
    assert first.status_code == 302
    second = post(
        client,
        period,
        text="二つ目の意見\n改行あり",
        section=str(section.pk),
        name="山田 花子",
        district="北地区",
        contact="090-0000-0000",
    )
    assert second.status_code == 302
    assert second["Location"] == reverse("public:comment_thanks", args=[period.public_key, 2])
    c1, c2 = PublicComment.objects.filter(period=period).order_by("number")
    assert (c1.number, c1.text, c1.section_id) == (1, "一つ目の意見", None)
    assert (c2.number, c2.text, c2.section_id) == (2, "二つ目の意見\n改行あり", section.pk)
    assert (c2.name, c2.district, c2.contact, c2.status) == ("山田 花子", "北地区", "090-0000-0000", "new")
    assert len(c2.client_hash) == 64 and "192.0.2.10" not in c2.client_hash
    voice = Voice.objects.get(comment=c2)
    assert (voice.plan_id, voice.source, voice.text) == (period.plan_id, "public_comment", "二つ目の意見\n改行あり")
    assert Voice.objects.filter(source="public_comment").count() == 2
    page = client.get(second["Location"])
    assert "ご意見を受け付けました（受付番号 2）" in page.content.decode()


def test_numbers_are_per_period(client, period, no_wait, users):
    other = comments.period_save(
        plan=period.plan, by=users["editor"], title="別の募集", opens_on=period.opens_on, closes_on=period.closes_on
    )
    post(client, period)
    post(client, period)
    post(client, other)
    assert list(other.comments.values_list("number", flat=True)) == [1]
    assert list(period.comments.values_list("number", flat=True)) == [1, 2]


@pytest.mark.parametrize("when, message", [("before", "受付開始前です（"), ("after", "受付は終了しました")])
def test_outside_the_period_nothing_is_stored(client, period, no_wait, when, message):
    today = timezone.localdate()
    if when == "before":
        PublicCommentPeriod.objects.filter(pk=period.pk).update(
            opens_on=today + timedelta(days=2), closes_on=today + timedelta(days=9)
        )
    else:
        _close(period)
    period.refresh_from_db()
    response = post(client, period)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert PublicComment.objects.count() == 0 and Voice.objects.count() == 0
    page = client.get(reverse("public:comment", args=[period.public_key])).content.decode()
    assert message in page
    assert "この章・節に意見を出す" not in page
    if when == "before":
        assert f"受付開始前です（{fiscal.format_date(today + timedelta(days=2))}から）" in page
        assert "第1章 計画の策定にあたって" not in page  # the draft is not shown before the period
    with pytest.raises(Exception) as exc:
        comments.comment_submit(period=period, text="直接")
    assert message.rstrip("（") in " ".join(exc.value.messages)


def test_honeypot_shows_a_neutral_page_and_stores_nothing(client, period, no_wait):
    response = post(client, period, website="http://spam.example/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "ありがとうございました" in html and "受付番号" not in html
    assert PublicComment.objects.count() == 0 and Voice.objects.count() == 0


def test_too_fast_is_refused_politely_and_keeps_the_text(client, period, settings):
    settings.SASAEAI_COMMENT_MIN_SECONDS = 3
    response = post(client, period, text="急いで書いた意見")
    assert response.status_code == 400
    html = response.content.decode()
    assert "送信を受け付けられませんでした" in html
    assert "急いで書いた意見" in html
    assert PublicComment.objects.count() == 0
    # a forged or missing time is refused the same way
    assert post(client, period, token="forged").status_code == 400
    settings.SASAEAI_COMMENT_MIN_SECONDS = 0
    other = PublicCommentPeriod(public_key="another-key")
    assert post(client, period, token=comments.form_token(other)).status_code == 400
    assert PublicComment.objects.count() == 0
    assert post(client, period).status_code == 302


def test_rate_limit_429_after_five_in_ten_minutes(client, period, no_wait):
    for i in range(5):
        assert post(client, period, text=f"意見{i}").status_code == 302
    response = post(client, period, text="六つ目の意見")
    assert response.status_code == 429
    html = response.content.decode()
    assert "しばらく時間をおいてから" in html and "六つ目の意見" in html
    assert PublicComment.objects.count() == 5 and Voice.objects.count() == 5
    # another client is not limited
    assert post(client, period, addr="198.51.100.7").status_code == 302
    assert PublicComment.objects.count() == 6


def test_rate_limit_per_day(client, period, no_wait):
    for i in range(4):
        assert post(client, period, text=f"意見{i}").status_code == 302
    # the first four were sent an hour ago: the 10-minute window is free again, the day's is not
    PublicComment.objects.update(submitted_at=timezone.now() - timedelta(hours=1))
    PublicComment.objects.bulk_create(
        [
            PublicComment(
                period=period, number=100 + i, text="前の意見", client_hash=PublicComment.objects.first().client_hash
            )
            for i in range(16)
        ]
    )
    PublicComment.objects.filter(number__gte=100).update(submitted_at=timezone.now() - timedelta(hours=2))
    assert PublicComment.objects.count() == 20
    assert post(client, period).status_code == 429
    assert PublicComment.objects.count() == 20


def test_oversize_text_is_refused_with_a_message(client, period, no_wait):
    response = post(client, period, text="あ" * 4001)
    assert response.status_code == 400
    assert "ご意見は4,000字以内で入力してください（現在 4,001字）" in response.content.decode()
    assert PublicComment.objects.count() == 0
    assert post(client, period, text="あ" * 4000).status_code == 302


def test_more_than_ten_urls_is_refused_as_spam(client, period, no_wait):
    many = " ".join(f"https://example.com/{i}" for i in range(11))
    response = post(client, period, text=many)
    assert response.status_code == 400
    assert "URLは10件までにしてください" in response.content.decode()
    assert PublicComment.objects.count() == 0
    assert post(client, period, text=" ".join(f"https://example.com/{i}" for i in range(10))).status_code == 302


def test_missing_text_and_consent_are_named(client, period, no_wait):
    response = post(client, period, text="  ", consent="")
    assert response.status_code == 400
    html = response.content.decode()
    assert "ご意見を入力してください。" in html
    assert "チェックを入れてください" in html
    assert 'role="alert"' in html
    assert PublicComment.objects.count() == 0


def test_a_section_of_another_plan_is_refused(client, period, no_wait, councils):
    from sasaeai.demo.generator import create_plan

    other = create_plan(council=councils["b"], nodes=2, issues=1, title="よその計画")
    foreign = PlanSection.objects.create(plan=other, title="よその章")
    response = post(client, period, section=str(foreign.pk))
    assert response.status_code == 400
    assert PublicComment.objects.count() == 0
    with pytest.raises(Exception) as exc:
        comments.comment_submit(period=period, text="x", section=foreign.pk)
    assert "section" in exc.value.message_dict


def test_wrong_key_is_404(client, period):
    assert client.get(reverse("public:comment", args=["nope"])).status_code == 404
    assert client.get(reverse("public:comment_results", args=["nope"])).status_code == 404
    assert client.get(reverse("public:comment_thanks", args=[period.public_key, 99])).status_code == 302


def _answer_all(period, by, reflection="partly"):
    for c in period.comments.all():
        comments.comment_update(
            comment=c,
            by=by,
            expected_version=c.version,
            status="answered",
            answer=f"考え方{c.number}",
            reflection=reflection,
        )


def test_results_escape_html_and_never_show_who_sent_it(client, period, no_wait, users):
    post(
        client,
        period,
        text='<script>alert("x")</script> & <b>太字</b>',
        name="秘密 太郎",
        district="秘密の地区",
        contact="secret@example.com",
    )
    post(client, period, text="普通の意見", name="別の 人", contact="03-1111-2222", district="南地区")
    _answer_all(period, users["editor"])
    _close(period)
    comments.period_publish(period=period, by=users["editor"])
    response = client.get(reverse("public:comment_results", args=[period.public_key]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;太字&lt;/b&gt;" in html
    assert "<script>alert" not in html and "<b>太字" not in html
    for private in ("秘密 太郎", "秘密の地区", "secret@example.com", "別の 人", "03-1111-2222", "南地区"):
        assert private not in html
    assert "考え方1" in html and "一部反映" in html
    assert "パブリックコメントの結果" in html


def test_results_list_groups_and_count_excluded(client, period, no_wait, users):
    for text in ("居場所が足りない", "サロンを増やして", "宣伝です", "もう一つの宣伝", "移動の支援を"):
        post(client, period, text=text)
    by = users["editor"]
    c = {x.number: x for x in period.comments.all()}
    for n in (3, 4):
        comments.comment_update(comment=c[n], by=by, expected_version=1, status="excluded")
    comments.comments_bulk_update(
        period=period,
        by=by,
        ids=[c[1].pk, c[2].pk],
        group_label="居場所づくり",
        answer="居場所づくりを進めます。",
        reflection="reflected",
        status="answered",
    )
    comments.comment_update(
        comment=c[5], by=by, expected_version=1, status="answered", answer="検討します。", reflection="reference"
    )
    _close(period)
    comments.period_publish(period=period, by=by)
    html = client.get(reverse("public:comment_results", args=[period.public_key])).content.decode()
    assert "宣伝です" not in html and "もう一つの宣伝" not in html
    assert "対象外 2件" in html
    assert "居場所づくり" in html and html.count("居場所づくりを進めます。") == 1  # one answer for the group
    assert html.index("居場所が足りない") < html.index("サロンを増やして") < html.index("移動の支援を")
    result = comment_selectors.results(period)
    assert (result.listed, result.excluded, result.total) == (3, 2, 5)
    assert dict(result.reflection_counts)["反映"] == 2 and dict(result.reflection_counts)["参考"] == 1


def test_results_before_publishing_say_so(client, period):
    html = client.get(reverse("public:comment_results", args=[period.public_key])).content.decode()
    assert "結果はまだ公表していません" in html


def test_publishing_needs_the_period_over_and_every_answer(period, users, client, no_wait):
    post(client, period)
    post(client, period)
    by = users["editor"]
    with pytest.raises(Exception) as exc:
        comments.period_publish(period=period, by=by)
    assert "受付期間中は結果を公表できません" in " ".join(exc.value.messages)
    _close(period)
    with pytest.raises(Exception) as exc:
        comments.period_publish(period=period, by=by)
    assert "受付番号 1、2" in " ".join(exc.value.messages)
    period.refresh_from_db()
    assert period.results_published is False
    _answer_all(period, by)
    comments.period_publish(period=period, by=by)
    period.refresh_from_db()
    assert period.results_published and period.results_published_on == timezone.localdate()
    from sasaeai.core.models import AuditEntry

    assert AuditEntry.objects.filter(action="comment_period.publish", plan_id=period.plan_id).count() == 1


def test_period_dates_are_checked(small_plan, users):
    today = timezone.localdate()
    with pytest.raises(Exception) as exc:
        comments.period_save(
            plan=small_plan, by=users["editor"], title="逆", opens_on=today, closes_on=today - timedelta(days=1)
        )
    assert "closes_on" in exc.value.message_dict
    assert PublicCommentPeriod.objects.count() == 0
    same_day = comments.period_save(
        plan=small_plan, by=users["editor"], title="一日だけ", opens_on=today, closes_on=today
    )
    assert len(same_day.public_key) == 22
    from sasaeai.core.models import AuditEntry

    assert AuditEntry.objects.filter(action="comment_period.save").count() == 1


def test_the_number_survives_a_collision(period, monkeypatch):
    """An engine without row locks: a number taken meanwhile makes the service take the next one."""
    PublicComment.objects.create(period=period, number=1, text="先に入った意見")
    real = comments.Max
    calls = []

    def stale_max(field):
        calls.append(field)
        return real(field) if len(calls) > 1 else real("pk") - real("pk")  # first read: 0 (stale)

    monkeypatch.setattr(comments, "Max", stale_max)
    comment = comments.comment_submit(period=period, text="後の意見")
    assert comment.number == 2
    assert list(period.comments.order_by("number").values_list("number", flat=True)) == [1, 2]
    assert Voice.objects.filter(comment=comment).count() == 1


def test_the_comment_is_also_a_response_of_the_shared_questionnaire(client, period, no_wait):
    """One questionnaire engine (surveys.validate_answers) checks the comment form's structured fields;
    the Response is anonymous (no name, no contact)."""
    from sasaeai.participation.models import Response

    q = period.questionnaire
    assert q is not None and q.kind == "public_comment" and q.plan_id == period.plan_id
    assert list(q.questions.values_list("code", "kind")) == [
        ("section", "single"),
        ("text", "text"),
        ("district", "text"),
    ]
    sections = list(PlanSection.objects.filter(plan=period.plan).order_by("position"))
    assert list(q.questions.get(code="section").choices.values_list("code", flat=True)) == [
        "0",
        str(sections[0].pk),
        str(sections[1].pk),
    ]
    post(client, period, text="全体への意見", name="山田", contact="yamada@example.jp")
    post(client, period, text="二章への意見", section=str(sections[1].pk), district="北地区")
    r1, r2 = Response.objects.filter(questionnaire=q).order_by("pk")
    assert r1.answers == {"section": "0", "text": "全体への意見"}
    assert r2.answers == {"section": str(sections[1].pk), "text": "二章への意見", "district": "北地区"}
    assert (r1.respondent, r2.source) == ("PC00001", "online")
    assert "山田" not in str(r1.answers) and "yamada" not in str(r1.answers)
    assert PublicComment.objects.get(period=period, number=2).response_id == r2.pk
    # a section added after the period was saved becomes a choice when someone comments on it
    later = PlanSection.objects.create(plan=period.plan, position=3, title="第3章 推進体制")
    post(client, period, text="三章への意見", section=str(later.pk))
    assert Response.objects.filter(questionnaire=q).last().answers["section"] == str(later.pk)
