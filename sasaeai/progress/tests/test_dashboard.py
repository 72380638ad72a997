"""Dashboard: every expected number below was worked out by hand from the small plan built here."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sasaeai.demo.generator import create_plan
from sasaeai.plans import services as plan_services
from sasaeai.progress import charts, selectors, services
from sasaeai.progress.dashboard import LIST_LIMIT, plan_dashboard
from sasaeai.progress.models import (
    AnnualPlan,
    Indicator,
    IndicatorActual,
    IndicatorTarget,
    ProgressReport,
    ReportingSchedule,
    WorkingGroup,
)


def one_decimal(value):
    return None if value is None else value.quantize(D("0.1"))


@pytest.fixture
def hand(councils, users):
    """Plan 2026–2028, levels 目標 > 事業:

        G1 (weight 1)  ── A (weight 2, indicator ia)   ── B (weight 1, indicator ib, lower is better)
        G2 (weight 3)  ── C ── D ── F                    G2 has an annual plan for 2026

    2026 reports: A 順調 (ia 90), B 遅れ (ib 25), C 完了, F saved without a status; D, G2 nothing.
    2027 reports: A 順調 (ia 130).
    """
    council = councils["a"]
    editor, viewer, admin = users["editor"], users["viewer"], users["admin"]
    editor.display_name = "編集 花子"
    editor.save()
    plan = plan_services.plan_create(
        council=council,
        by=None,
        title="手計算のダッシュボード",
        kind="activity",
        levels=["目標", "事業"],
        period_start=2026,
        period_end=2028,
    )
    new = plan_services.node_create
    g1 = new(plan=plan, parent=None, by=None, title="つながりをつくる")
    a = new(plan=plan, parent=g1, by=None, title="サロン", weight=2)
    b = new(plan=plan, parent=g1, by=None, title="見守り")
    g2 = new(plan=plan, parent=None, by=None, title="支え合いを広げる", weight=3)
    c = new(plan=plan, parent=g2, by=None, title="ボランティア養成")
    d = new(plan=plan, parent=g2, by=None, title="居場所づくり")
    f = new(plan=plan, parent=g2, by=None, title="広報")
    ia = services.indicator_create(
        node=a,
        by=None,
        name="サロン参加者数",
        unit="人",
        baseline_value=80,
        baseline_year=2025,
        final_target=200,
        final_target_year=2028,
        targets={2026: 100, 2027: 120, 2028: 150},
    )
    ib = services.indicator_create(
        node=b,
        by=None,
        name="孤立世帯数",
        unit="世帯",
        direction="lower",
        final_target=15,
        final_target_year=2028,
        targets={2026: 20},
    )
    st = {s.name: s for s in services.statuses_for(council)}
    services.report_save(node=a, fiscal_year=2026, period=1, by=None, status=st["順調"], actuals={ia: 90})
    services.report_save(node=b, fiscal_year=2026, period=1, by=None, status=st["遅れ"], actuals={ib: 25})
    services.report_save(node=c, fiscal_year=2026, period=1, by=None, status=st["完了"])
    services.report_save(node=f, fiscal_year=2026, period=1, by=None, done_text="準備中")
    services.report_save(node=a, fiscal_year=2027, period=1, by=None, status=st["順調"], actuals={ia: 130})
    wg1 = WorkingGroup.objects.create(plan=plan, name="つながりWG", leader=editor, sub_leader=viewer)
    wg1.nodes.set([g1])
    wg2 = WorkingGroup.objects.create(plan=plan, name="ささえあいWG", leader=admin)
    wg2.nodes.set([c, d])
    AnnualPlan.objects.create(node=g2, fiscal_year=2026, content="全体の調整").owners.set([editor])
    AnnualPlan.objects.create(node=f, fiscal_year=2026, working_group=wg2).owners.set([viewer])
    return {
        "plan": plan,
        "g1": g1,
        "a": a,
        "b": b,
        "g2": g2,
        "c": c,
        "d": d,
        "f": f,
        "ia": ia,
        "ib": ib,
        "wg1": wg1,
        "wg2": wg2,
        "st": st,
    }


def test_goal_roll_up_with_weights(hand):
    d = plan_dashboard(hand["plan"], 2026, today=dt.date(2026, 6, 1))
    goals = {g.node.pk: g for g in d.goals}
    g1, g2 = goals[hand["g1"].pk], goals[hand["g2"].pk]
    # 進捗 G1: A 順調 75 (weight 2), B 遅れ 25 (weight 1): (2 × 75 + 25) ÷ 3 = 58.3
    assert one_decimal(g1.progress) == D("58.3")
    # 達成率 G1: A 90 ÷ 100 = 90, B 20 ÷ 25 = 80: (2 × 90 + 80) ÷ 3 = 86.7
    assert one_decimal(g1.achievement) == D("86.7")
    # 進捗 G2: only C has a figure (完了 100); D and F have none and are left out
    assert g2.progress == D(100) and g2.achievement is None
    # 計画全体: (1 × 58.33… + 3 × 100) ÷ 4 = 89.6; 達成率 only G1 has one: 86.7
    assert one_decimal(d.overall.progress) == D("89.6")
    assert one_decimal(d.overall.achievement) == D("86.7")


def test_figures_match_plan_figures(hand, councils):
    """The dashboard recomputes figures from plain rows: they must equal ``plan_figures`` for every node."""
    plan = hand["plan"]
    # an earlier period with a status, a later one without; a text-only actual after a number
    ReportingSchedule.objects.update_or_create(plan=plan, defaults=dict(frequency="half"))
    st = hand["st"]
    services.report_save(node=hand["d"], fiscal_year=2027, period=1, by=None, status=st["順調"])
    services.report_save(node=hand["d"], fiscal_year=2027, period=2, by=None, done_text="下書き")
    services.report_save(
        node=hand["b"], fiscal_year=2027, period=1, by=None, status=st["遅れ"], actuals={hand["ib"]: 10}
    )
    services.indicator_create(node=hand["c"], by=None, name="実施", kind="yes_no")
    generated = create_plan(council=councils["a"], nodes=60, issues=0, title="比べる計画")
    _fill(generated, councils["a"], {"editor": hand["wg1"].leader, "viewer": hand["wg1"].sub_leader})
    for p in (plan, generated):
        for year in (2026, 2027, 2028):
            _tree, expected = selectors.plan_figures(p, year)
            items = plan_dashboard(p, year).items
            assert {pk: (f.progress, f.achievement) for pk, f in expected.items()} == {
                pk: (i.progress, i.achievement) for pk, i in items.items()
            }, (p.title, year)
    assert plan_dashboard(plan, 2027).items[hand["d"].pk].progress is None


def test_group_average(hand):
    d = plan_dashboard(hand["plan"], 2026, today=dt.date(2026, 6, 1))
    groups = {g.group.name: g for g in d.groups}
    # つながりWG owns G1: its figures are G1's
    assert one_decimal(groups["つながりWG"].progress) == D("58.3")
    assert one_decimal(groups["つながりWG"].achievement) == D("86.7")
    # ささえあいWG owns C, D and (through F's 2026 annual plan) F: only C has 進捗 (100)
    wg2 = groups["ささえあいWG"]
    assert [n.title for n in wg2.items] == ["ボランティア養成", "居場所づくり", "広報"]
    assert wg2.progress == D(100) and wg2.progress_items == 1
    assert wg2.achievement is None and wg2.achievement_items == 0
    # in 2027 F's annual plan no longer names the group
    d = plan_dashboard(hand["plan"], 2027, today=dt.date(2027, 6, 1))
    assert [n.title for n in {g.group.name: g for g in d.groups}["ささえあいWG"].items] == [
        "ボランティア養成",
        "居場所づくり",
    ]


def test_status_counts_include_unreported(hand):
    d = plan_dashboard(hand["plan"], 2026, today=dt.date(2026, 6, 1))
    # expected: the leaves A B C D F, and G2 (annual plan 2026); not G1
    assert d.expected_count == 6
    counts = {(r.status.name if r.status else "未報告"): r.count for r in d.status_rows}
    assert counts == {"未着手": 0, "遅れ": 1, "やや遅れ": 0, "順調": 1, "完了": 1, "未報告": 3}
    assert [r.status.name if r.status else None for r in d.status_rows][-1] is None
    assert one_decimal({r.status.name if r.status else "": r.share for r in d.status_rows}[""]) == D("50.0")
    # 2027: G2 has no annual plan any more → 5 expected; only A reported
    d = plan_dashboard(hand["plan"], 2027, today=dt.date(2027, 6, 1))
    counts = {(r.status.name if r.status else "未報告"): r.count for r in d.status_rows}
    assert d.expected_count == 5 and counts["順調"] == 1 and counts["未報告"] == 4


def test_latest_period_status_wins(hand, councils):
    plan = hand["plan"]
    ReportingSchedule.objects.update_or_create(plan=plan, defaults=dict(frequency="half"))
    st = hand["st"]
    services.report_save(node=hand["d"], fiscal_year=2027, period=1, by=None, status=st["遅れ"])
    services.report_save(node=hand["d"], fiscal_year=2027, period=2, by=None, status=st["完了"])
    d = plan_dashboard(plan, 2027, today=dt.date(2027, 6, 1))
    counts = {(r.status.name if r.status else "未報告"): r.count for r in d.status_rows}
    assert counts["完了"] == 1 and counts["遅れ"] == 0


def test_overdue_on_exact_dates(hand):
    plan = hand["plan"]
    # yearly: FY2026 ends 2027-03-31, due 30 days later (2027-04-30), overdue after 14 more (2027-05-14)
    d = plan_dashboard(plan, 2026, today=dt.date(2027, 5, 14))
    assert d.periods[0].overdue_after == dt.date(2027, 5, 14)
    assert d.passed_periods == [] and d.overdue == [] and d.overdue_count == 0
    d = plan_dashboard(plan, 2026, today=dt.date(2027, 5, 15))
    # G2 and D have no report; F's report has no status, so it still counts as missing
    assert [r.node.title for r in d.overdue] == ["支え合いを広げる", "居場所づくり", "広報"]
    assert d.overdue_count == 3
    rows = {r.node.title: r for r in d.overdue}
    assert [p.number for p in rows["広報"].missed] == [1]
    # owners: annual-plan owners, leaders of groups owning the item or an item above it
    assert [str(u) for u in rows["支え合いを広げる"].owners] == ["編集 花子"] and rows["支え合いを広げる"].groups == []
    assert rows["居場所づくり"].owners == [] and [g.name for g in rows["居場所づくり"].groups] == ["ささえあいWG"]
    assert [str(u) for u in rows["広報"].owners] == ["viewer_a"]
    assert [g.name for g in rows["広報"].groups] == ["ささえあいWG"]
    assert rows["広報"].last_year == 2026 and rows["居場所づくり"].last_year is None
    # 2027 (overdue after 2028-05-14): B is reached through G1's group, whose leaders are named
    d = plan_dashboard(plan, 2027, today=dt.date(2028, 5, 15))
    rows = {r.node.title: r for r in d.overdue}
    assert set(rows) == {"見守り", "ボランティア養成", "居場所づくり", "広報"}
    wg1 = rows["見守り"].groups[0]
    assert wg1.name == "つながりWG" and str(wg1.leader) == "編集 花子" and str(wg1.sub_leader) == "viewer_a"


def test_overdue_per_half_year(hand):
    plan = hand["plan"]
    ReportingSchedule.objects.update_or_create(plan=plan, defaults=dict(frequency="half", due_days=10, grace_days=5))
    # 上半期 2027-04-01〜09-30: due 10-10, overdue after 10-15
    services.report_save(node=hand["a"], fiscal_year=2027, period=1, by=None, status=hand["st"]["順調"])
    d = plan_dashboard(plan, 2027, today=dt.date(2027, 10, 15))
    assert d.overdue_count == 0
    d = plan_dashboard(plan, 2027, today=dt.date(2027, 10, 16))
    assert [p.number for p in d.passed_periods] == [1]
    assert "サロン" not in {r.node.title for r in d.overdue} and d.overdue_count == 4
    # 下半期 ends 2028-03-31: overdue after 2028-04-15, then A misses period 2 only
    d = plan_dashboard(plan, 2027, today=dt.date(2028, 4, 16))
    rows = {r.node.title: r for r in d.overdue}
    assert [p.number for p in rows["サロン"].missed] == [2]
    assert [p.number for p in rows["見守り"].missed] == [1, 2]


def test_never_updated(hand):
    d = plan_dashboard(hand["plan"], 2026, today=dt.date(2026, 6, 1))
    # F has a report (without a status): updated. G2 and D never reported in any year.
    assert [r.node.title for r in d.never_updated] == ["支え合いを広げる", "居場所づくり"]
    assert d.never_updated_count == 2
    # in 2027 G2 is not expected (no annual plan): only D; a report of any year counts
    d = plan_dashboard(hand["plan"], 2027, today=dt.date(2027, 6, 1))
    assert [r.node.title for r in d.never_updated] == ["居場所づくり"]


def test_trend_points_and_targets(hand):
    d = plan_dashboard(hand["plan"], 2026, today=dt.date(2026, 6, 1))
    trends = {t.indicator.name: t for t in d.trends}
    assert d.trend_total == 2
    salon = trends["サロン参加者数"]
    # baseline year 2025 joins the plan years; the 2028 target row (150) wins over the final target (200)
    assert [(p.fiscal_year, p.baseline, p.target, p.actual) for p in salon.points] == [
        (2025, D(80), None, None),
        (2026, None, D(100), D(90)),
        (2027, None, D(120), D(130)),
        (2028, None, D(150), None),
    ]
    # 達成率: 90 ÷ 100 = 90.0; 130 ÷ 120 = 108.3 (not capped when shown)
    assert [one_decimal(p.rate) for p in salon.points] == [None, D("90.0"), D("108.3"), None]
    lonely = trends["孤立世帯数"]
    # no 2027 target; 2028 falls back to the final target 15; lower is better: 20 ÷ 25 = 80
    assert [(p.fiscal_year, p.target, p.actual) for p in lonely.points] == [
        (2026, D(20), D(25)),
        (2027, None, None),
        (2028, D(15), None),
    ]
    assert lonely.points[0].rate == D(80)
    # only the goal's indicators, when a goal is chosen
    d = plan_dashboard(hand["plan"], 2026, trend_goal=str(hand["g2"].pk))
    assert d.trend_total == 0 and d.trend_goal == hand["g2"]
    d = plan_dashboard(hand["plan"], 2026, trend_goal=str(hand["a"].pk))  # not a goal: ignored
    assert d.trend_total == 2 and d.trend_goal is None


def test_trend_takes_the_latest_period_with_a_value(hand):
    plan = hand["plan"]
    ReportingSchedule.objects.update_or_create(plan=plan, defaults=dict(frequency="half"))
    ia = hand["ia"]
    services.report_save(node=hand["a"], fiscal_year=2028, period=1, by=None, actuals={ia: 60})
    services.report_save(node=hand["a"], fiscal_year=2028, period=2, by=None, actuals={ia: ""})
    point = next(p for p in plan_dashboard(plan, 2028).trends[0].points if p.fiscal_year == 2028)
    assert point.actual == D(60)
    services.report_save(node=hand["a"], fiscal_year=2028, period=2, by=None, actuals={ia: 140}, expected_version=1)
    point = next(p for p in plan_dashboard(plan, 2028).trends[0].points if p.fiscal_year == 2028)
    assert point.actual == D(140)


def test_sample_data_is_marked(hand):
    d = plan_dashboard(hand["plan"], 2026, today=dt.date(2026, 6, 1))
    assert not d.has_sample
    ProgressReport.objects.filter(node=hand["b"], fiscal_year=2026).update(is_sample=True)
    WorkingGroup.objects.filter(pk=hand["wg2"].pk).update(is_sample=True)
    d = plan_dashboard(hand["plan"], 2026, today=dt.date(2027, 6, 1))
    assert d.has_sample
    assert {g.node.title: g.is_sample for g in d.goals} == {"つながりをつくる": True, "支え合いを広げる": False}
    assert {g.group.name: g.is_sample for g in d.groups} == {"つながりWG": True, "ささえあいWG": True}
    assert [r.status.name for r in d.status_rows if r.is_sample] == ["遅れ"]
    assert {r.node.title: r.is_sample for r in d.overdue}["居場所づくり"] is True
    assert {t.indicator.name: t.is_sample for t in d.trends} == {"サロン参加者数": False, "孤立世帯数": True}


# --------------------------------------------------------------------------- charts


def test_bar_chart_has_numbers_labels_and_escapes_text():
    svg = charts.bar_chart(
        [("<script>alert(1)</script>", [D("58.333"), None]), ("目標２", [D(100), D("86.7")])],
        series=[("進捗", "#0b5cad"), ("達成率", "#1a7f37")],
        title="<script>t</script>",
        desc="説明 & 数字",
    )
    assert "<script>" not in svg and "&lt;script&gt;t&lt;/script&gt;" in svg
    assert svg.startswith("<svg") and 'role="img"' in svg and 'aria-label="&lt;script&gt;t' in svg
    assert "<title>&lt;script&gt;t&lt;/script&gt;</title>" in svg and "<desc>説明 &amp; 数字</desc>" in svg
    for text in (">58.3<", ">—<", ">100.0<", ">86.7<", "目標２", ">進捗<", ">達成率<", "進捗 58.3、達成率 —"):
        assert text in svg, text
    # a bar of 100 fills the plot (640 − 220 − 60 = 360 wide); 58.33 fills 58.33 % of it
    assert 'width="360"' in svg and 'width="210"' in svg


def test_count_chart_uses_status_colours_and_refuses_bad_ones():
    svg = charts.count_chart(
        [("順調", 3, "#1a7f37", False), ("未報告", 2, None, True), ("悪い色", 1, '"/><script>', False)],
        title="状況",
        desc="項目数",
    )
    assert 'fill="#1a7f37"' in svg and "stroke-dasharray" in svg and "<script>" not in svg
    assert 'fill="#57606a"' in svg  # the bad colour falls back to grey
    assert ">3<" in svg and ">2<" in svg and "未報告" in svg
    # counts up to 3 run on an axis of whole numbers 0–4; the longest bar is ¾ of the plot (420 wide)
    assert ">1.25<" not in svg and ">4<" in svg and 'width="315"' in svg


def test_line_chart_points_and_gaps():
    svg = charts.line_chart(
        x_labels=["令和8", "令和9", "令和10"],
        unit="人",
        title="参加者<b>",
        desc="推移",
        series=[
            {"name": "目標値", "values": [D(100), D(120), None], "colour": "#9a6700", "dash": True, "marker": "square"},
            {"name": "実績値", "values": [D(90), None, D(130)], "colour": "#0b5cad", "labels": True},
        ],
    )
    assert "参加者&lt;b&gt;" in svg and "<b>" not in svg
    assert "令和9 目標値: 120人" in svg and "令和10 実績値: 130人" in svg and ">90<" in svg
    # the actuals have a gap in 令和9: no line joins them; the targets draw one line
    assert svg.count("<polyline") == 1
    assert charts.nice_max(130) == D(200) and charts.nice_max(D("0.7")) == D(1) and charts.nice_max(0) == D(1)
    assert charts.number(D("50.0000")) == "50" and charts.number(D("86.66666")) == "86.7"


# --------------------------------------------------------------------------- page


def test_page_renders_for_viewers_and_not_for_outsiders(client, users, hand):
    plan = hand["plan"]
    url = reverse("dashboard:plan", args=[plan.pk])
    client.force_login(users["outsider"])
    assert client.get(url).status_code == 404
    client.force_login(users["viewer"])
    response = client.get(url + "?year=2026")
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["plan"] == plan and response.context["perms_here"]
    for text in (
        "基本目標ごとの進捗",
        "58.3",
        "86.7",
        "89.6",
        "ワーキンググループごとの進捗",
        "つながりWG",
        "状況ごとの項目数",
        "未報告",
        "期限切れの項目",
        "一度も報告のない項目",
        "編集 花子",
        "指標の推移",
        "サロン参加者数",
        "108.3",
        'role="img"',
        "<table",
    ):
        assert text in html, text
    assert html.count('<svg class="chart"') == 5  # goals, groups, statuses and two trends
    for node in ("g1", "d", "a"):  # a goal, a never-updated item, an indicator's item
        assert f'href="{reverse("plans:node", args=[plan.pk, hand[node].pk])}"' in html
    assert 'class="sample-banner"' not in html and 'class="sample-tag"' not in html
    # an unknown year falls back to the default one
    assert client.get(url + "?year=1999").status_code == 200


def test_page_marks_sample_data_and_escapes_titles(client, users, hand):
    plan = hand["plan"]
    plan_services.node_update(node=hand["g1"], by=None, title="<script>alert(1)</script>")
    ProgressReport.objects.filter(node=hand["a"]).update(is_sample=True)
    client.force_login(users["viewer"])
    html = client.get(reverse("dashboard:plan", args=[plan.pk]) + "?year=2026").content.decode()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    assert 'class="sample-banner"' in html and 'class="sample-tag"' in html


def _fill(plan, council, users):
    """Indicators (with targets and yearly reports) on every leaf, groups and annual plans."""
    statuses = services.statuses_for(council)
    nodes = list(plan.nodes.all())
    leaves = [n for n in nodes if not any(m.parent_id == n.pk for m in nodes)]
    Indicator.objects.bulk_create(Indicator(node=n, name=f"指標{n.pk}", position=1) for n in leaves)
    indicators = list(Indicator.objects.filter(node__plan=plan))
    IndicatorTarget.objects.bulk_create(
        IndicatorTarget(indicator=i, fiscal_year=y, value=100) for i in indicators for y in (2026, 2027)
    )
    ProgressReport.objects.bulk_create(
        ProgressReport(node=n, fiscal_year=y, period=1, status=statuses[k % 5])
        for k, n in enumerate(leaves[1:])
        for y in (2026, 2027)
    )
    reports = {(r.node_id, r.fiscal_year): r for r in ProgressReport.objects.filter(node__plan=plan)}
    IndicatorActual.objects.bulk_create(
        IndicatorActual(report=reports[(i.node_id, y)], indicator=i, value=90)
        for i in indicators
        for y in (2026, 2027)
        if (i.node_id, y) in reports
    )
    for k in range(3):
        group = WorkingGroup.objects.create(plan=plan, name=f"WG{k}", leader=users["editor"])
        group.nodes.set([n for n in nodes if n.parent_id is None][k::3])
    for n in leaves[:5]:
        AnnualPlan.objects.create(node=n, fiscal_year=2026).owners.set([users["editor"], users["viewer"]])


def test_query_count_is_the_same_for_10_and_1000_nodes(client, users, councils):
    users["editor"].display_name = "編集 花子"
    users["editor"].save()
    counts, sizes = [], []
    for size in (10, 1000):
        plan = create_plan(council=councils["a"], nodes=size, issues=3, title=f"{size}項目")
        _fill(plan, councils["a"], users)
        client.force_login(users["admin"])
        url = reverse("dashboard:plan", args=[plan.pk]) + "?year=2026"
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        d = response.context["d"]
        assert d.never_updated_count == 1 and d.trends
        sizes.append(d.expected_count)
        counts.append(len(ctx.captured_queries))
        # the selector alone, with overdue items and owners to find
        with CaptureQueriesContext(connection) as ctx:
            d = plan_dashboard(plan, 2026, today=dt.date(2028, 1, 1), trend_page=2)
        # only the first leaf has no report; its annual plan names two owners
        assert d.overdue_count == 1 and [str(u) for u in d.overdue[0].owners] == ["編集 花子", "viewer_a"]
        counts.append(len(ctx.captured_queries))
    assert sizes[1] > 500
    assert counts[0] == counts[2] and counts[1] == counts[3], counts
    assert counts[1] <= 16, counts  # the selector: 15 queries


def test_long_lists_are_cut(councils, users):
    plan = create_plan(council=councils["a"], nodes=300, issues=0, title="長い一覧")
    d = plan_dashboard(plan, 2026, today=dt.date(2027, 6, 1))
    assert d.never_updated_count > LIST_LIMIT and len(d.never_updated) == LIST_LIMIT
    assert d.overdue_count == d.never_updated_count and len(d.overdue) == LIST_LIMIT
