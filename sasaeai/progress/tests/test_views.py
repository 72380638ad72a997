"""Progress screens: indicators with targets, reports with actuals, the roll-up page."""

from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sasaeai.demo.generator import create_plan
from sasaeai.progress import services
from sasaeai.progress.models import Indicator, ProgressReport


@pytest.fixture
def plan(councils):
    return create_plan(council=councils["a"], nodes=10, issues=2, title="進捗の計画")


def leaf(plan):
    return plan.nodes.filter(children__isnull=True).order_by("pk").first()


def test_indicator_form_with_yearly_targets(client, users, plan):
    client.force_login(users["editor"])
    node = leaf(plan)
    url = reverse("progress:indicator_create", args=[plan.pk, node.pk])
    response = client.post(url, {"name": "", "kind": "quantity", "direction": "higher"})
    assert response.status_code == 200 and "このフィールドは必須です" in response.content.decode()
    response = client.post(
        url,
        {
            "name": "サロン参加者数",
            "unit": "人",
            "kind": "quantity",
            "direction": "higher",
            "baseline_value": "120",
            "baseline_year": "令和7年度",
            "target_2026": "150",
            "target_2027": "abc",
        },
    )
    assert "数値を入力してください" in response.content.decode()
    assert not Indicator.objects.exists()
    response = client.post(
        url,
        {
            "name": "サロン参加者数",
            "unit": "人",
            "kind": "quantity",
            "direction": "higher",
            "baseline_value": "120",
            "baseline_year": "令和7年度",
            "target_2026": "150",
            "target_2030": "200",
        },
    )
    assert response.status_code == 302
    indicator = Indicator.objects.get()
    assert indicator.baseline_year == 2025
    assert dict(indicator.targets.values_list("fiscal_year", "value")) == {2026: D(150), 2030: D(200)}
    html = client.get(reverse("plans:node", args=[plan.pk, node.pk])).content.decode()
    assert "サロン参加者数（人）" in html and "令和8年度 150" in html


def test_report_form_saves_and_refuses_a_stale_copy(client, users, plan):
    node = leaf(plan)
    indicator = services.indicator_create(node=node, by=None, name="参加者数", unit="人", targets={2026: 100})
    on_track = next(s for s in services.statuses_for(plan.council) if s.name == "順調")
    client.force_login(users["editor"])
    url = reverse("progress:report", args=[plan.pk, node.pk]) + "?year=2026&period=1"
    form = {
        "status": str(on_track.pk),
        "done_text": "サロンを月2回開催",
        f"actual_{indicator.pk}": "80",
        "version": "0",
    }
    assert client.post(url, form).status_code == 302
    report = ProgressReport.objects.get()
    assert report.status == on_track and report.actuals.get().value == D(80)
    # the form shows the saved values; someone else's older copy (version 0) is refused
    assert 'value="80"' in client.get(url).content.decode()
    form[f"actual_{indicator.pk}"] = "90"
    response = client.post(url, form)
    assert "他の人がこの内容を更新しました" in response.content.decode()
    assert ProgressReport.objects.get().actuals.get().value == D(80)
    form.update({"version": "1", f"actual_{indicator.pk}": "九十"})
    assert "数字で入力してください" in client.post(url, form).content.decode()


def test_progress_page_rolls_up_with_weights(client, users, councils):
    from sasaeai.plans import services as plan_services

    plan = plan_services.plan_create(
        council=councils["a"],
        by=None,
        title="手計算の計画",
        kind="activity",
        levels=["目標", "事業"],
        period_start=2026,
        period_end=2026,
    )
    goal = plan_services.node_create(plan=plan, parent=None, by=None, title="目標")
    a = plan_services.node_create(plan=plan, parent=goal, by=None, title="事業A", weight=2)
    b = plan_services.node_create(plan=plan, parent=goal, by=None, title="事業B")
    ia = services.indicator_create(node=a, by=None, name="A指標", targets={2026: 100})
    ib = services.indicator_create(node=b, by=None, name="B指標", direction="lower", targets={2026: 20})
    statuses = {s.name: s for s in services.statuses_for(councils["a"])}
    services.report_save(node=a, fiscal_year=2026, period=1, by=None, status=statuses["順調"], actuals={ia: 90})
    services.report_save(node=b, fiscal_year=2026, period=1, by=None, status=statuses["遅れ"], actuals={ib: 25})
    client.force_login(users["viewer"])
    html = client.get(reverse("progress:plan", args=[plan.pk]) + "?year=2026").content.decode()
    # 達成率: A 90 ÷ 100 = 90.0; B 20 ÷ 25 = 80.0; goal (2 × 90 + 1 × 80) ÷ 3 = 86.7
    # 進捗: A 順調 75, B 遅れ 25; goal (2 × 75 + 25) ÷ 3 = 58.3
    for expected in ("90.0", "80.0", "86.7", "58.3", "（80.0％）"):
        assert expected in html, expected


def test_progress_page_query_count_is_flat(client, users, councils):
    counts = []
    for size in (10, 2000):
        plan = create_plan(council=councils["a"], nodes=size, issues=3, title=f"{size}項目")
        statuses = services.statuses_for(councils["a"])
        for i, node in enumerate(plan.nodes.filter(children__isnull=True)[:50]):
            indicator = services.indicator_create(node=node, by=None, name=f"指標{i}", targets={2026: 10})
            services.report_save(
                node=node, fiscal_year=2026, period=1, by=None, status=statuses[i % 5], actuals={indicator: i}
            )
        client.force_login(users["admin"])
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("progress:plan", args=[plan.pk]) + "?year=2026").status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_report_with_a_photo_and_who_may_see_it(client, users, plan, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from sasaeai.progress.models import ReportAttachment

    node = leaf(plan)
    url = reverse("progress:report", args=[plan.pk, node.pk]) + "?year=2026&period=1"
    client.force_login(users["editor"])
    response = client.post(
        url,
        {
            "done_text": "サロンの様子",
            "version": "0",
            "attachment": SimpleUploadedFile("サロン.png", PNG, content_type="image/png"),
        },
    )
    assert response.status_code == 302
    attachment = ReportAttachment.objects.get()
    assert (attachment.name, attachment.content_type, attachment.size) == ("サロン.png", "image/png", len(PNG))
    download = reverse("progress:attachment", args=[plan.pk, attachment.pk])
    assert download in client.get(reverse("plans:node", args=[plan.pk, node.pk])).content.decode()
    client.force_login(users["viewer"])
    response = client.get(download)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PNG
    assert response["X-Content-Type-Options"] == "nosniff"
    client.force_login(users["outsider"])
    assert client.get(download).status_code == 404
    # removing it
    client.force_login(users["editor"])
    client.post(url, {"done_text": "サロンの様子", "version": "1", f"remove_{attachment.pk}": "on"})
    assert not ReportAttachment.objects.exists()


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("setup.exe", b"MZ\x90\x00", "添付できない種類"),
        ("写真.png", b"not really a png", "中身がファイル名"),
        ("大きい.pdf", b"%PDF-" + b"0" * 3000, "大きすぎます"),
    ],
)
def test_bad_attachments_save_nothing(client, users, plan, settings, name, content, message):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from sasaeai.progress.models import ReportAttachment

    settings.SASAEAI_ATTACHMENT_MAX_BYTES = 2000
    node = leaf(plan)
    client.force_login(users["editor"])
    response = client.post(
        reverse("progress:report", args=[plan.pk, node.pk]) + "?year=2026&period=1",
        {"done_text": "保存されないはず", "version": "0", "attachment": SimpleUploadedFile(name, content)},
    )
    assert response.status_code == 200 and message in response.content.decode()
    assert not ProgressReport.objects.exists() and not ReportAttachment.objects.exists()


def test_progress_page_writes_numbers_as_people_do_and_escapes_names(client, users, plan):
    node = leaf(plan)
    indicator = services.indicator_create(
        node=node, by=None, name="<script>x</script>件数", unit="件", targets={2026: 100}
    )
    services.report_save(node=node, fiscal_year=2026, period=1, by=None, actuals={indicator: "150"})
    client.force_login(users["viewer"])
    html = client.get(reverse("progress:plan", args=[plan.pk]) + "?year=2026").content.decode()
    assert "&lt;script&gt;x&lt;/script&gt;件数: 100 → 150件（150.0％）" in html
    assert "1E+2" not in html and "<script>x</script>" not in html
