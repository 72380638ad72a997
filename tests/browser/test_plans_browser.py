"""A planning officer logs in, reads each source plan's 体系図, and edits a structure."""

import re

import pytest
from playwright.sync_api import expect

from .conftest import login

pytestmark = pytest.mark.browser

PLANS = [
    # (council, plan link text, texts only a faithful transcription has)
    (
        "一関市社会福祉協議会",
        "一関市地域福祉活動計画",
        [
            "２-⑤【重点】社会福祉法人の連携強化を進めます",
            "１-③【重点】地域福祉コーディネーターによる地域づくり支援を進めます",
        ],
    ),
    ("倉敷市社会福祉協議会", "第4次倉敷市地域福祉活動計画", ["11防災・防犯の備え", "（10）地域防犯・防災力の強化"]),
    (
        "東久留米市社会福祉協議会",
        "第四次東久留米市民地域福祉活動計画",
        ["事業2福祉学習、ボランティア活動の推進", "（２）災害ボランティアセンターに関する活動"],
    ),
    ("柏市社会福祉協議会", "社協アクションプラン・発展強化計画", ["1【重点】孤立させない体制づくり", "7災害支援"]),
    (
        "川崎市社会福祉協議会",
        "第６期地域福祉活動計画",
        ["未来の福祉を共創しよう", "持続可能な地域福祉の推進に向けた調査研究の強化"],
    ),
    (
        "中原区社会福祉協議会",
        "中原区社会福祉協議会 今期計画（令和６年度〜令和８年度）",
        ["①【重点】地域福祉活動拠点の設置", "⑥区社協組織基盤の安定"],
    ),
]


def test_officer_reads_every_source_plan(page, demo_site):
    login(page, demo_site)
    for council, title, texts in PLANS:
        page.goto(demo_site + "/")
        page.get_by_role("link", name=re.compile(re.escape(title))).first.click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(title)
        page.get_by_role("link", name="体系図", exact=True).click()
        expect(page.locator("h1")).to_contain_text("体系図")
        body = page.locator("main").inner_text()
        boxes = [t.replace("\n", "") for t in page.locator(".st-box .node-label, .issue-chips li").all_inner_texts()]
        for text in texts:
            assert text in boxes, f"{title}: {text!r} not in the 体系図"
        assert council in page.locator(".breadcrumbs").inner_text()
        assert "サンプル" not in body


def test_overview_shows_period_in_both_calendars(page, demo_site):
    login(page, demo_site)
    page.get_by_role("link", name="第4次倉敷市地域福祉活動計画").first.click()
    expect(page.locator(".facts")).to_contain_text("令和8年度〜令和12年度 (2026〜2030年度)")
    expect(page.locator(".facts")).to_contain_text("第3次倉敷市地域福祉計画")


def test_matrix_highlights_unanswered_issues(page, demo_site):
    login(page, demo_site)
    page.get_by_role("link", name="第4次倉敷市地域福祉活動計画").first.click()
    page.get_by_role("link", name="地域生活課題", exact=True).click()
    rows = page.locator("tr.unanswered")
    expect(rows).to_have_count(11)  # the seed links no issue to a goal, and nothing is invented
    page.locator("tr", has_text="防災・防犯の備え").get_by_role("link", name="対応を編集").click()
    page.get_by_label(re.compile("（10） 地域防犯・防災力の強化")).check()
    page.get_by_role("button", name="保存する").click()
    expect(page.locator("tr.unanswered")).to_have_count(10)
    row = page.locator("tr", has_text="防災・防犯の備え")
    expect(row.locator("td.mark").nth(2)).to_have_text("○")


def test_editor_marks_priority_adds_and_moves_nodes(page, demo_site):
    login(page, demo_site)
    page.get_by_role("link", name="一関市地域福祉活動計画").first.click()
    page.get_by_role("link", name="体系の編集").click()
    row = page.locator(".editor-row", has_text="福祉教育を推進します")
    row.get_by_role("button", name="重点にする").click()
    expect(page.locator(".messages")).to_contain_text("重点にしました")

    # add a 推進目標 under 基本目標 1
    page.locator(".editor-row", has_text="住民の参加を高めよう").get_by_role("link", name="下に追加").click()
    page.get_by_label("番号").fill("１-④")
    page.get_by_label("名称").fill("新しい推進目標を試します")
    page.get_by_role("button", name="保存する").click()
    expect(page.locator(".messages")).to_contain_text("追加しました")

    # a duplicate code is refused in place and nothing is saved
    page.locator(".editor-row", has_text="住民の参加を高めよう").get_by_role("link", name="下に追加").click()
    page.get_by_label("番号").fill("１-④")
    page.get_by_label("名称").fill("重複")
    page.get_by_role("button", name="保存する").click()
    expect(page.locator(".field-error")).to_contain_text("番号「１-④」は同じ階層に既にあります")
    page.get_by_role("link", name="やめる").click()

    # move it under 基本目標 3, first position
    page.locator(".editor-row", has_text="新しい推進目標を試します").get_by_role("link", name="移動").click()
    select = page.get_by_label("移動先（この項目の下へ）")
    option = select.locator("option", has_text="住民が安心して暮らせるまちを創ろう").first.get_attribute("value")
    select.select_option(value=option)
    page.get_by_label("位置").select_option(label="最初")
    page.get_by_role("button", name="移動する").click()

    page.get_by_role("link", name="体系図", exact=True).click()
    labels = [t.replace("\n", "") for t in page.locator(".st-box .node-label").all_inner_texts()]
    assert "１-①【重点】福祉教育を推進します" in labels
    assert labels.index("１-④新しい推進目標を試します") == labels.index("３住民が安心して暮らせるまちを創ろう") + 1

    page.get_by_role("link", name="変更履歴").click()
    history = page.locator("main").inner_text()
    assert "重点の設定を変更" in history and "項目を移動" in history and "項目を追加" in history


def test_structure_prints_on_a4_landscape(page, demo_site, tmp_path):
    login(page, demo_site)
    page.get_by_role("link", name="第四次東久留米市民地域福祉活動計画").first.click()
    page.get_by_role("link", name="体系図", exact=True).click()
    page.emulate_media(media="print")
    assert page.locator(".plan-tabs").is_hidden()
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    # A4 landscape is 842 × 595 points
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert boxes, "no page in the PDF"
    assert all(round(float(w)) == 842 and round(float(h)) == 595 for w, h in boxes), boxes
    (tmp_path / "structure.pdf").write_bytes(pdf)
