"""Issue 3 in Chromium: a reporter files a report from わたしの担当; the leader sees the goal change."""

import pytest
from playwright.sync_api import expect

from .conftest import login

pytestmark = pytest.mark.browser


@pytest.fixture
def running_plan(live_server, transactional_db):
    from django.utils import timezone

    from sasaeai.accounts.models import Membership, User
    from sasaeai.core import fiscal
    from sasaeai.core.services import council_create
    from sasaeai.plans import services as plan_services
    from sasaeai.progress import services

    year = fiscal.fiscal_year_of(timezone.localdate())
    council = council_create(name="テスト市社会福祉協議会")
    people = {}
    for username, role in (("hokoku", "reporter"), ("leader1", "leader")):
        user = User.objects.create_user(
            username,
            password="pw-for-browser-1",
            email=f"{username}@example.invalid",
            display_name={"hokoku": "報告 花子", "leader1": "リーダー 太郎"}[username],
        )
        Membership.objects.create(user=user, council=council, role=role)
        people[role] = user
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
    watch = plan_services.node_create(plan=plan, parent=goal, by=None, title="見守り活動", code="1-1")
    plan_services.node_create(plan=plan, parent=goal, by=None, title="サロン活動", code="1-2")
    services.working_group_save(plan=plan, by=None, name="目標1 WG", nodes=[goal], leader=people["leader"])
    services.annual_plan_save(node=watch, fiscal_year=year, by=None, content="見守り訪問", owners=[people["reporter"]])
    services.indicator_create(node=watch, by=None, name="見守り訪問件数", unit="件", targets={year: 100})
    return {"base": live_server.url, "plan": plan, "year": year}


def goal_row(page):
    return page.locator("section[aria-labelledby=goals-h] tbody tr", has_text="地域のつながりづくり")


def test_reporter_reports_and_the_leader_sees_the_goal_move(browser, running_plan):
    base, plan, year = running_plan["base"], running_plan["plan"], running_plan["year"]
    dashboard = f"{base}/plans/{plan.pk}/dashboard/?year={year}"

    contexts = [browser.new_context(viewport={"width": 1300, "height": 900}, locale="ja-JP") for _ in range(2)]
    try:
        _walk_through(contexts, base, plan, year, dashboard)
    finally:
        for context in contexts:
            context.close()


def _walk_through(contexts, base, plan, year, dashboard):
    leader = contexts[0].new_page()
    login(leader, base, "leader1", "pw-for-browser-1")
    leader.goto(dashboard)
    expect(goal_row(leader).locator("td").nth(1)).to_have_text("—")  # nothing reported yet

    reporter = contexts[1].new_page()
    login(reporter, base, "hokoku", "pw-for-browser-1")
    reporter.get_by_role("link", name="わたしの担当").click()
    row = reporter.locator("tr", has_text="見守り活動")
    expect(row).to_contain_text("報告期間中")
    row.get_by_role("link", name="報告する").click()
    reporter.get_by_label("順調").check()
    reporter.get_by_label("実施内容").fill("見守り訪問を毎週実施")
    reporter.get_by_label("見守り訪問件数（件）").fill("80")
    reporter.get_by_role("button", name="保存する").click()
    expect(reporter.locator(".messages")).to_contain_text("進捗を保存しました")
    # the reporter cannot open someone else's item
    other = plan.nodes.get(title="サロン活動")
    response = reporter.goto(f"{base}/plans/{plan.pk}/nodes/{other.pk}/report/")
    assert response.status == 404

    leader.reload()
    # 進捗: 順調 = 75 (only 見守り活動 has a figure); 達成率: 80 ÷ 100 × 100 = 80.0
    expect(goal_row(leader).locator("td").nth(1)).to_have_text("75.0")
    expect(goal_row(leader).locator("td").nth(2)).to_have_text("80.0")
    leader.screenshot(path="/tmp/dashboard_after.png", full_page=True)
