"""Indicators, targets, the status scale, the reporting calendar and reports."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from sasaeai.core.concurrency import ConcurrentEditError
from sasaeai.core.models import AuditEntry
from sasaeai.plans import services as plan_services
from sasaeai.progress import services
from sasaeai.progress.models import IndicatorActual, ProgressReport
from sasaeai.progress.periods import period_of, periods


@pytest.fixture
def plan(councils):
    return plan_services.plan_create(
        council=councils["a"],
        by=None,
        title="推進する計画",
        kind="activity",
        levels=["基本目標", "推進事業"],
        period_start=2025,
        period_end=2029,
    )


@pytest.fixture
def node(plan):
    goal = plan_services.node_create(plan=plan, parent=None, by=None, title="目標")
    return plan_services.node_create(plan=plan, parent=goal, by=None, title="災害ボランティアセンターに関する活動")


@pytest.fixture
def indicator(node, users):
    return services.indicator_create(
        node=node,
        by=users["editor"],
        name="市民スタッフ登録者数",
        unit="人",
        final_target=D(100),
        final_target_year=2029,
        baseline_value=D(40),
        baseline_year=2024,
        targets={2025: 50, 2026: 60},
    )


def test_indicator_with_targets_is_audited(indicator, users):
    assert dict(indicator.targets.values_list("fiscal_year", "value")) == {2025: D(50), 2026: D(60)}
    entry = AuditEntry.objects.get(action="indicator.create")
    assert entry.after["targets"] == {"2025": "50", "2026": "60"} and entry.after["final_target"] == "100"


def test_changing_a_target_records_before_and_after(indicator, users):
    services.indicator_update(
        indicator=indicator,
        by=users["editor"],
        expected_version=indicator.version,
        targets={2025: 50, 2026: 70, 2027: 80},
    )
    entry = AuditEntry.objects.get(action="indicator.update")
    assert entry.before == {"targets": {"2025": "50", "2026": "60"}}
    assert entry.after == {"targets": {"2025": "50", "2026": "70", "2027": "80"}}


@pytest.mark.parametrize(
    "targets, message",
    [
        ({2031: 10}, "計画期間の外"),
        ({2026: "たくさん"}, "数字で入力"),
        ({2026: "1e40"}, "大きすぎます"),
    ],
)
def test_bad_targets_change_nothing(indicator, targets, message):
    with pytest.raises(ValidationError, match=message):
        services.indicator_update(indicator=indicator, by=None, unit="名", targets=targets)
    indicator.refresh_from_db()
    assert indicator.unit == "人" and indicator.targets.count() == 2


def test_default_status_scale_is_created_once(councils):
    statuses = services.statuses_for(councils["a"])
    assert [(s.name, s.score) for s in statuses] == [
        ("未着手", 0),
        ("遅れ", 25),
        ("やや遅れ", 50),
        ("順調", 75),
        ("完了", 100),
    ]
    assert len(services.statuses_for(councils["a"])) == 5


def test_half_year_periods_and_due_dates():
    first, second = periods(frequency="half", fiscal_year=2026, due_days=30, grace_days=14)
    assert (first.start, first.end, first.due, first.overdue_after) == (
        dt.date(2026, 4, 1),
        dt.date(2026, 9, 30),
        dt.date(2026, 10, 30),
        dt.date(2026, 11, 13),
    )
    assert (second.start, second.end) == (dt.date(2026, 10, 1), dt.date(2027, 3, 31))
    assert (first.label, second.label) == ("令和8年度上半期", "令和8年度下半期")
    quarters = periods(frequency="quarterly", fiscal_year=2026, due_days=0, grace_days=0)
    assert [q.end for q in quarters] == [
        dt.date(2026, 6, 30),
        dt.date(2026, 9, 30),
        dt.date(2026, 12, 31),
        dt.date(2027, 3, 31),
    ]
    assert (
        period_of(frequency="quarterly", day=dt.date(2027, 2, 1), due_days=0, grace_days=0).label
        == "令和8年度第4四半期"
    )


def test_report_create_then_update_with_actuals(node, indicator, users, councils):
    on_track = next(s for s in services.statuses_for(councils["a"]) if s.name == "順調")
    report = services.report_save(
        node=node,
        fiscal_year=2025,
        period=1,
        by=users["editor"],
        expected_version=0,
        status=on_track,
        done_text="研修を2回実施",
        actuals={indicator: "48"},
    )
    assert report.version == 1
    assert IndicatorActual.objects.get(report=report).value == D(48)
    report = services.report_save(
        node=node, fiscal_year=2025, period=1, by=users["editor"], expected_version=1, actuals={indicator: "52"}
    )
    assert report.version == 2 and IndicatorActual.objects.get(report=report).value == D(52)
    entry = AuditEntry.objects.filter(action="report.update").get()
    assert entry.before == {"実績: 市民スタッフ登録者数": "48"} and entry.after == {"実績: 市民スタッフ登録者数": "52"}


def test_two_people_editing_a_report_never_overwrite_each_other(node, indicator, users):
    services.report_save(
        node=node, fiscal_year=2025, period=1, by=users["editor"], expected_version=0, results="一人目"
    )
    # both opened version 1; the first save wins, the second is refused
    services.report_save(
        node=node, fiscal_year=2025, period=1, by=users["editor"], expected_version=1, results="二人目が先に保存"
    )
    with pytest.raises(ConcurrentEditError):
        services.report_save(
            node=node, fiscal_year=2025, period=1, by=users["admin"], expected_version=1, results="三人目"
        )
    # two people both creating the report: the second finds it already there
    with pytest.raises(ConcurrentEditError):
        services.report_save(
            node=node, fiscal_year=2025, period=1, by=users["admin"], expected_version=0, results="新規のつもり"
        )
    assert ProgressReport.objects.get().results == "二人目が先に保存"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"fiscal_year": 2031, "period": 1}, "計画期間の外"),
        ({"fiscal_year": 2025, "period": 2}, "報告期間にない"),  # yearly schedule: one period
        ({"fiscal_year": 2025, "period": 1, "actuals": "bad value"}, "数字で入力"),
        ({"fiscal_year": 2025, "period": 1, "actuals": "-3"}, "マイナス"),
    ],
)
def test_bad_reports_save_nothing(node, indicator, kwargs, message):
    if "actuals" in kwargs:
        kwargs["actuals"] = {indicator: kwargs["actuals"]}
    with pytest.raises(ValidationError, match=message):
        services.report_save(node=node, by=None, expected_version=0, done_text="x", **kwargs)
    assert not ProgressReport.objects.exists()


def test_status_and_indicator_of_other_places_are_refused(node, indicator, councils, plan):
    other_status = services.statuses_for(councils["b"])[0]
    with pytest.raises(ValidationError, match="この社協の状況"):
        services.report_save(node=node, fiscal_year=2025, period=1, by=None, status=other_status)
    other_node = plan.nodes.exclude(pk=node.pk).first()
    foreign = services.indicator_create(node=other_node, by=None, name="別の指標")
    with pytest.raises(ValidationError, match="この項目の指標ではありません"):
        services.report_save(node=node, fiscal_year=2025, period=1, by=None, actuals={foreign: 1})
    assert not ProgressReport.objects.exists()


def test_ratio_and_yes_no_actuals(node, users):
    ratio = services.indicator_create(node=node, by=None, name="参加率", kind="ratio", unit="％")
    done = services.indicator_create(node=node, by=None, name="講座の開催", kind="yes_no")
    with pytest.raises(ValidationError, match="0〜100"):
        services.report_save(node=node, fiscal_year=2025, period=1, by=None, actuals={ratio: "120"})
    report = services.report_save(node=node, fiscal_year=2025, period=1, by=None, actuals={ratio: "45.5", done: "実施"})
    assert dict(report.actuals.values_list("indicator__name", "value")) == {"参加率": D("45.5"), "講座の開催": D(1)}


def test_frequency_cannot_change_once_reports_exist(plan, node):
    services.schedule_update(plan=plan, by=None, frequency="half", due_days=30, grace_days=14)
    services.report_save(node=node, fiscal_year=2025, period=2, by=None, done_text="下半期")
    with pytest.raises(ValidationError, match="頻度は変えられません"):
        services.schedule_update(plan=plan, by=None, frequency="yearly", due_days=30, grace_days=14)
    services.schedule_update(plan=plan, by=None, frequency="half", due_days=45, grace_days=14)
    assert services.schedule_for(plan).due_days == 45


def test_restore_a_target_and_a_report_from_the_history(client, node, indicator, users, councils):
    services.indicator_update(indicator=indicator, by=users["editor"], targets={2025: 55, 2026: 60})
    statuses = {s.name: s for s in services.statuses_for(councils["a"])}
    services.report_save(
        node=node,
        fiscal_year=2025,
        period=1,
        by=users["editor"],
        status=statuses["順調"],
        done_text="講座2回",
        actuals={indicator: 48},
    )
    services.report_save(
        node=node,
        fiscal_year=2025,
        period=1,
        by=users["editor"],
        status=statuses["遅れ"],
        done_text="講座1回（誤入力）",
        actuals={indicator: 4},
    )
    client.force_login(users["editor"])
    plan = node.plan
    html = client.get(reverse("plans:history", args=[plan.pk])).content.decode()
    assert html.count("変更前に戻す") == 2
    for action in ("report.update", "indicator.update"):
        entry = AuditEntry.objects.get(action=action)
        response = client.post(reverse("progress:audit_restore", args=[plan.pk, entry.pk]))
        assert response.status_code == 302
    report = ProgressReport.objects.get()
    assert (report.status.name, report.done_text, report.actuals.get().value) == ("順調", "講座2回", D(48))
    assert dict(indicator.targets.values_list("fiscal_year", "value")) == {2025: D(50), 2026: D(60)}
    # the restore is itself recorded, so it can be undone the same way
    assert AuditEntry.objects.filter(action="report.update").count() == 2
    client.force_login(users["viewer"])  # viewers may not read history, so cannot restore either
    entry = AuditEntry.objects.filter(action="report.update").first()
    assert client.post(reverse("progress:audit_restore", args=[plan.pk, entry.pk])).status_code == 404


def test_bulk_save_matches_single_saves_and_keeps_queries_flat(councils, users):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sasaeai.demo.generator import create_plan

    statuses = services.statuses_for(councils["a"])
    counts = []
    for size in (10, 300):
        plan = create_plan(council=councils["a"], nodes=size, issues=0, title=f"一括{size}")
        nodes = list(plan.nodes.order_by("pk"))
        inds = {n.pk: services.indicator_create(node=n, by=None, name="指標", targets={2026: 10}) for n in nodes}
        services.report_save(node=nodes[0], fiscal_year=2026, period=1, by=None, done_text="前の内容")
        items = [
            {
                "node": n,
                "expected_version": 1 if i == 0 else 0,
                "actuals": {inds[n.pk]: i},
                "fields": {"status": statuses[3], "done_text": f"実施{i}"},
            }
            for i, n in enumerate(nodes)
        ]
        with CaptureQueriesContext(connection) as ctx:
            saved = services.reports_save_bulk(plan=plan, fiscal_year=2026, period=1, by=users["editor"], items=items)
        counts.append(len(ctx.captured_queries))
        assert saved == size
        first = ProgressReport.objects.get(node=nodes[0], fiscal_year=2026)
        assert (first.version, first.done_text, first.status.name) == (2, "実施0", "順調")
        assert ProgressReport.objects.get(node=nodes[5]).actuals.get().value == D(5)
        entry = AuditEntry.objects.filter(action="report.update", node_id=nodes[0].pk).get()
        assert entry.before == {"done_text": "前の内容", "status": None}
    # Reads are fixed; writes grow only by the batches Django splits bulk statements into
    # (SQLite's limit on variables per statement), never by one query per item.
    assert counts[1] - counts[0] < 10, counts


def test_bulk_save_refuses_a_stale_item_and_saves_nothing(node, indicator, users):
    services.report_save(node=node, fiscal_year=2025, period=1, by=None, done_text="最新")
    with pytest.raises(services.BulkItemError) as info:
        services.reports_save_bulk(
            plan=node.plan,
            fiscal_year=2025,
            period=1,
            by=None,
            items=[{"node": node, "expected_version": 0, "actuals": {indicator: 5}, "fields": {"done_text": "古い"}}],
        )
    assert info.value.index == 0
    assert ProgressReport.objects.get().done_text == "最新" and not IndicatorActual.objects.exists()
