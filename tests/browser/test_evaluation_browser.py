"""Issue 4 in Chromium: one project through every stage to the final evaluation, the committee's
external evaluation and 答申, then the year is closed and the project is in next year's annual plan."""

import re

import pytest
from playwright.sync_api import expect

from .conftest import login

pytestmark = pytest.mark.browser
PASSWORD = "pw-for-browser-1"


@pytest.fixture
def evaluation_site(live_server, transactional_db):
    from django.utils import timezone

    from sasaeai.accounts.models import Membership, User
    from sasaeai.core import fiscal
    from sasaeai.core.services import council_create
    from sasaeai.plans import services as plan_services
    from sasaeai.progress import services

    year = fiscal.fiscal_year_of(timezone.localdate())
    council = council_create(name="テスト市社会福祉協議会")
    people = {}
    for username, role, name in (
        ("tanto", "reporter", "担当 花子"),
        ("leader1", "leader", "リーダー 太郎"),
        ("jimukyoku", "editor", "事務局 次郎"),
        ("kanri", "admin", "管理 三郎"),
        ("iin", "committee", "委員 四郎"),
    ):
        user = User.objects.create_user(username, password=PASSWORD, display_name=name)
        Membership.objects.create(user=user, council=council, role=role)
        people[username] = user
    plan = plan_services.plan_create(
        council=council,
        by=None,
        title="テスト地域福祉活動計画",
        kind="activity",
        levels=["基本目標", "推進事業"],
        period_start=year,
        period_end=year + 4,
    )
    goal = plan_services.node_create(plan=plan, parent=None, by=None, title="地域のつながりづくり", code="1")
    salon = plan_services.node_create(plan=plan, parent=goal, by=None, title="ふれあいサロン", code="1-1")
    services.working_group_save(plan=plan, by=None, name="目標1 WG", nodes=[goal], leader=people["leader1"])
    services.annual_plan_save(
        node=salon, fiscal_year=year, by=None, content="サロンを月1回開く", months=[5, 8, 11], owners=[people["tanto"]]
    )
    services.indicator_create(node=salon, by=None, name="参加者数", unit="人", targets={year: 200})
    services.report_save(
        node=salon,
        fiscal_year=year,
        period=1,
        by=people["tanto"],
        status=services.statuses_for(council)[3],
        done_text="サロンを12回開催",
        results="参加者が増えた",
        actuals={salon.indicators.get(): 180},
    )
    return {"base": live_server.url, "plan": plan, "year": year, "salon": salon}


def _stage_form(page, stage):
    return page.locator(f"#stage-{stage} form").first


def _enter(page, stage, grade, *, direction=None, fields=None, button):
    form = _stage_form(page, stage)
    form.get_by_role("radio", name=re.compile(rf"^{grade}\s")).check()
    for label, value in (fields or {}).items():
        form.get_by_label(label, exact=True).fill(value)
    if direction:
        form.get_by_label("今後の方向性").select_option(label=direction)
    form.get_by_role("button", name=button).click()


def test_one_project_through_every_stage_then_the_year_is_closed(browser, evaluation_site):
    base, plan, year, salon = (evaluation_site[k] for k in ("base", "plan", "year", "salon"))
    project_url = f"{base}/plans/{plan.pk}/evaluation/projects/{salon.pk}/?year={year}"
    context = browser.new_context(viewport={"width": 1300, "height": 900}, locale="ja-JP")
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        _walk(page, base, plan, year, project_url)
    finally:
        context.close()


def _as(page, base, username):
    page.context.clear_cookies()
    login(page, base, username, PASSWORD)


def _walk(page, base, plan, year, project_url):
    # 1. The owner self-evaluates: the figures from progress are beside the form.
    _as(page, base, "tanto")
    page.goto(project_url)
    expect(page.locator("section[aria-labelledby=quant-h]")).to_contain_text("90.0")  # 180 ÷ 200
    expect(_stage_form(page, "self").get_by_label("成果", exact=True)).to_have_value("参加者が増えた")
    _enter(
        page,
        "self",
        "B",
        direction="拡充",
        button="自己評価を確定する",
        fields={"課題": "男性の参加が少ない", "改善策": "男性向けの講座を開く"},
    )
    expect(page.locator(".messages")).to_contain_text("自己評価を確定しました")
    expect(page.locator("#stage-self")).to_contain_text("確定")
    assert page.locator("#stage-review form").count() == 0  # the owner does not review

    # 2. The working-group leader reviews, starting from what the owner wrote.
    _as(page, base, "leader1")
    page.goto(project_url)
    expect(_stage_form(page, "review").get_by_label("改善策", exact=True)).to_have_value("男性向けの講座を開く")
    _enter(page, "review", "B", button="ワーキンググループ・事務局の確認を確定する")
    expect(page.locator(".messages")).to_contain_text("確定しました")

    # 3. The 事務局 finalises the internal evaluation for the board.
    _as(page, base, "jimukyoku")
    page.goto(project_url)
    _enter(
        page,
        "internal",
        "C",
        direction="見直し",
        button="内部評価を確定する",
        fields={"評価の理由・所見": "参加者は増えたが目標に届かない"},
    )
    expect(page.locator("#stage-internal")).to_contain_text("参加者は増えたが目標に届かない")
    assert page.locator("#stage-external form").count() == 0  # staff cannot enter the committee's evaluation

    # 4. A committee member reads the internal evaluation (not the self-evaluation) and enters theirs.
    _as(page, base, "iin")
    page.goto(project_url)
    expect(page.locator("#stage-internal")).to_contain_text("参加者は増えたが目標に届かない")
    assert page.locator("#stage-self").count() == 0
    expect(page.locator("#stage-internal")).not_to_contain_text("事務局 次郎")  # no names for the committee
    _enter(page, "external", "C", button="外部評価を確定する", fields={"評価の理由・所見": "男性の参加を促す工夫を"})
    expect(page.locator(".messages")).to_contain_text("外部評価を確定しました")
    page.goto(f"{base}/plans/{plan.pk}/evaluation/opinion/?year={year}")
    page.get_by_label("評価委員会の総評・答申").fill("各事業とも着実に推進されている。")
    page.get_by_role("button", name="確定する").click()
    expect(page.locator(".opinion-text")).to_have_text("各事業とも着実に推進されている。")

    # 5. The final evaluation.
    _as(page, base, "kanri")
    page.goto(project_url)
    _enter(page, "final", "C", direction="拡充", button="最終評価を確定する")
    expect(page.locator("#stage-final")).to_contain_text("拡充")
    page.goto(f"{base}/plans/{plan.pk}/evaluation/?year={year}")
    row = page.locator("tr", has_text="ふれあいサロン")
    expect(row.locator(".grade")).to_have_text("C")
    expect(row).to_contain_text("最終評価")
    page.screenshot(path="/tmp/evaluation_plan.png", full_page=True)

    # 6. The year is closed once; the project is carried into next year's annual plan, flagged.
    page.goto(f"{base}/plans/{plan.pk}/evaluation/close/?year={year}")
    expect(page.locator("details", has_text="要検討の印を付けて引き継ぐ")).to_contain_text("ふれあいサロン")
    page.get_by_role("button", name=re.compile("を締めて次年度へ引き継ぐ")).click()
    expect(page.locator(".messages")).to_contain_text("うち要検討 1件")
    page.get_by_role("link", name=re.compile("の年次計画を見る")).click()
    row = page.locator("tr", has_text="ふれあいサロン")
    expect(row).to_contain_text("要検討（前年度の評価: 拡充）")
    expect(row).to_contain_text("男性向けの講座を開く")
    expect(row).to_contain_text("サロンを月1回開く")
    page.screenshot(path="/tmp/evaluation_next_year.png", full_page=True)
    # A closed year is read-only.
    page.goto(project_url)
    expect(page.locator("main")).to_contain_text("締められました")
    assert page.locator("form button", has_text="確定する").count() == 0
