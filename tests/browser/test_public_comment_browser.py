"""Issue 5 (パブリックコメント) in Chromium: a resident comments on one section of the draft plan with a
name and contact; staff answer it (一部反映) and publish the results; the results page shows the
answer and never the resident's name or contact."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from .conftest import login

pytestmark = pytest.mark.browser
PASSWORD = "pw-for-browser-1"
RESIDENT_NAME = "住民 花子"
RESIDENT_CONTACT = "hanako@example.jp"
COMMENT = "サロンの会場まで歩いて行けない人がいます。\n送迎の仕組みを計画に入れてください。"
ANSWER = "移動の支援を推進事業に加え、送迎ボランティアの育成から始めます。"


@pytest.fixture
def comment_site(live_server, transactional_db, settings):
    from django.utils import timezone

    from sasaeai.accounts.models import Membership, User
    from sasaeai.core.services import council_create
    from sasaeai.participation.services import comments
    from sasaeai.plans import services as plan_services
    from sasaeai.plans.models import PlanSection

    settings.SASAEAI_COMMENT_MIN_SECONDS = 0  # a browser fills the form faster than a person
    today = timezone.localdate()
    council = council_create(name="テスト市社会福祉協議会")
    staff = User.objects.create_user("jimukyoku", password=PASSWORD, display_name="事務局 次郎")
    Membership.objects.create(user=staff, council=council, role="editor")
    plan = plan_services.plan_create(
        council=council,
        by=None,
        title="第5次テスト市地域福祉活動計画（素案）",
        kind="activity",
        levels=["基本目標", "推進事業"],
        period_start=2026,
        period_end=2030,
        vision="だれもが安心して暮らせるまち",
    )
    goal = plan_services.node_create(plan=plan, parent=None, by=None, title="地域のつながりづくり", code="1")
    plan_services.node_create(plan=plan, parent=goal, by=None, title="ふれあいサロンの充実", code="1-1")
    PlanSection.objects.create(plan=plan, position=1, title="第1章 計画の策定にあたって", body="計画の趣旨です。")
    section = PlanSection.objects.create(
        plan=plan, position=2, title="第2章 地域の現状と課題", body="高齢化率は30%を超えました。"
    )
    period = comments.period_save(
        plan=plan,
        by=staff,
        title="第5次計画（素案）へのご意見を募集します",
        opens_on=today - timedelta(days=7),
        closes_on=today + timedelta(days=7),
    )
    return {"base": live_server.url, "plan": plan, "period": period, "section": section}


def test_resident_comments_staff_answer_and_publish(browser, comment_site):
    base, plan, period, section = (comment_site[k] for k in ("base", "plan", "period", "section"))
    public_url = f"{base}/public/comment/{period.public_key}/"
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="ja-JP")
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        _walk(page, base, plan, period, section, public_url)
    finally:
        context.close()


def _walk(page, base, plan, period, section, public_url):
    from django.utils import timezone

    from sasaeai.participation.models import PublicComment, PublicCommentPeriod

    # 1. A resident (no login) reads the draft and comments on 第2章.
    page.goto(public_url)
    expect(page.locator("h1")).to_have_text("第5次計画（素案）へのご意見を募集します")
    expect(page.locator("#vision")).to_contain_text("だれもが安心して暮らせるまち")
    expect(page.locator("#structure")).to_contain_text("ふれあいサロンの充実")
    chapter = page.locator(f"#section-{section.pk}")
    expect(chapter).to_contain_text("高齢化率は30%を超えました。")
    chapter.get_by_role("link", name="この章・節に意見を出す").click()
    expect(page.get_by_label("意見の対象")).to_have_value(str(section.pk))
    page.get_by_label(re.compile(r"^ご意見（必須）|^ご意見 （必須）")).fill(COMMENT)
    page.get_by_label("お名前（任意）").fill(RESIDENT_NAME)
    page.get_by_label("連絡先（任意・公表しません）").fill(RESIDENT_CONTACT)
    page.get_by_label("上の「ご意見の取り扱い」に同意して送信します").check()
    page.screenshot(path="/tmp/public_comment_form.png", full_page=True)
    page.get_by_role("button", name="送信する").click()
    expect(page.locator("h1")).to_have_text("ご意見を受け付けました（受付番号 1）")
    comment = PublicComment.objects.get(period=period)
    assert (comment.name, comment.contact, comment.section_id) == (RESIDENT_NAME, RESIDENT_CONTACT, section.pk)

    # The period ends.
    today = timezone.localdate()
    PublicCommentPeriod.objects.filter(pk=period.pk).update(closes_on=today - timedelta(days=1))
    page.goto(public_url)
    expect(page.locator(".pc-notice")).to_contain_text("受付は終了しました")

    # 2. Staff read the comment (with the name and contact), answer it and publish the results.
    login(page, base, "jimukyoku", PASSWORD)
    page.goto(f"{base}/plans/{plan.pk}/public-comment/")
    page.get_by_role("link", name="第5次計画（素案）へのご意見を募集します").click()
    row = page.locator("tr", has_text="送迎の仕組み")
    expect(row).to_contain_text(RESIDENT_NAME)
    row.get_by_role("link", name="1", exact=True).click()
    expect(page.locator(".pc-private")).to_contain_text(RESIDENT_CONTACT)
    page.get_by_label(re.compile(r"^状態")).select_option(label="回答済み")
    page.get_by_label("社協の考え方", exact=True).fill(ANSWER)
    page.get_by_label("反映の状況", exact=True).select_option(label="一部反映")
    page.get_by_role("button", name="保存する", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("受付番号 1 の意見を保存しました")
    expect(page.locator("tr", has_text="送迎の仕組み")).to_contain_text("一部反映")
    page.get_by_role("button", name="結果を公表する").click()
    expect(page.locator(".messages")).to_contain_text("結果を公表しました")
    page.screenshot(path="/tmp/public_comment_triage.png", full_page=True)

    # 3. Anyone reads the results: the comment, the answer, 一部反映; never who sent it.
    page.context.clear_cookies()
    page.goto(public_url)
    page.get_by_role("link", name="パブリックコメントの結果を見る").click()
    expect(page.locator("h1")).to_have_text("パブリックコメントの結果")
    main = page.locator("main")
    expect(main).to_contain_text("送迎の仕組みを計画に入れてください。")
    expect(main).to_contain_text(ANSWER)
    expect(main.locator(".pc-answer")).to_contain_text("一部反映")
    expect(main).to_contain_text("第2章 地域の現状と課題")
    html = page.content()
    assert RESIDENT_NAME not in html and RESIDENT_CONTACT not in html
    page.screenshot(path="/tmp/public_comment_results.png", full_page=True)
