"""パブリックコメント, the staff's side: permissions, triage, concurrent edits, bulk changes, the
flat query count of the list, and the export."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from sasaeai.core.models import AuditEntry
from sasaeai.participation.models import PublicComment
from sasaeai.participation.services import comments
from sasaeai.plans.models import PlanSection


@pytest.fixture
def period(small_plan, users):
    today = timezone.localdate()
    return comments.period_save(
        plan=small_plan,
        by=users["editor"],
        title="素案へのご意見募集",
        opens_on=today - timedelta(days=3),
        closes_on=today + timedelta(days=10),
    )


def add_comments(period, n, start=1, **fields):
    sections = list(PlanSection.objects.filter(plan=period.plan))
    PublicComment.objects.bulk_create(
        [
            PublicComment(
                period=period,
                number=i,
                text=f"意見その{i}",
                name=f"住民{i}",
                contact=f"tel-{i}",
                section=sections[i % len(sections)] if sections else None,
                **fields,
            )
            for i in range(start, start + n)
        ]
    )


def list_url(period):
    return reverse("comments:comments", args=[period.plan_id, period.pk])


def edit_url(period, number):
    return reverse("comments:comment", args=[period.plan_id, period.pk, number])


@pytest.mark.parametrize(
    "who, expected",
    [
        ("admin", 200),
        ("editor", 200),
        ("viewer", 404),
        ("leader", 404),
        ("committee", 404),
        ("reporter", 404),
        ("outsider", 404),
        ("nobody", 404),
    ],
)
def test_triage_pages_need_participation_comments_in_the_plans_council(client_for, users, period, who, expected):
    add_comments(period, 1)
    client = client_for(users[who])
    urls = [
        reverse("comments:periods", args=[period.plan_id]),
        list_url(period),
        edit_url(period, 1),
        reverse("comments:export", args=[period.plan_id, period.pk]),
        reverse("comments:period_edit", args=[period.plan_id, period.pk]),
        reverse("comments:period_new", args=[period.plan_id]),
    ]
    for url in urls:
        assert client.get(url).status_code == expected, url


def test_anonymous_is_sent_to_login(client, period):
    response = client.get(list_url(period))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_period_of_another_plan_is_404(client_for, users, period, councils):
    from sasaeai.demo.generator import create_plan

    other_plan = create_plan(council=councils["a"], nodes=2, issues=1, title="同じ社協の別の計画")
    client = client_for(users["editor"])
    assert client.get(reverse("comments:comments", args=[other_plan.pk, period.pk])).status_code == 404


def test_list_shows_names_for_staff(client_for, users, period):
    add_comments(period, 3)
    html = client_for(users["editor"]).get(list_url(period)).content.decode()
    assert "住民2" in html and "意見その3" in html
    assert period.public_key in html


def test_list_query_count_is_flat(client_for, users, period):
    PlanSection.objects.create(plan=period.plan, title="第1章")
    PlanSection.objects.create(plan=period.plan, title="第2章")
    client = client_for(users["editor"])
    add_comments(period, 30, group_label="まとめA")
    client.get(list_url(period))  # warm up (sessions, content types)
    with CaptureQueriesContext(connection) as small:
        response = client.get(list_url(period))
    assert response.status_code == 200 and response.context["page"].paginator.count == 30
    add_comments(period, 270, start=31, group_label="まとめB")
    with CaptureQueriesContext(connection) as big:
        response = client.get(list_url(period) + "?page=3")
    assert response.status_code == 200 and response.context["page"].paginator.count == 300
    assert len(response.context["page"].object_list) == 50
    assert len(big.captured_queries) == len(small.captured_queries)
    with CaptureQueriesContext(connection) as filtered:
        response = client.get(list_url(period) + "?status=new&reflection=none&q=%E6%84%8F%E8%A6%8B&page=2")
    assert response.context["page"].paginator.count == 300 and len(response.context["page"].object_list) == 50
    assert len(filtered.captured_queries) == len(small.captured_queries)


def test_filters(client_for, users, period):
    section = PlanSection.objects.create(plan=period.plan, title="第1章")
    add_comments(period, 6)
    PublicComment.objects.filter(number__in=[1, 2]).update(status="answered", reflection="partly")
    PublicComment.objects.filter(number=3).update(text="移動支援がほしい", group_label="移動")
    client = client_for(users["editor"])

    def numbers(query):
        return [c.number for c in client.get(list_url(period) + query).context["page"].object_list]

    assert numbers("?status=answered") == [1, 2]
    assert numbers("?reflection=none") == [3, 4, 5, 6]
    assert numbers("?q=%E7%A7%BB%E5%8B%95") == [3]  # 移動
    assert numbers("?q=5") == [5]
    assert numbers(f"?section={section.pk}") == [1, 2, 3, 4, 5, 6]
    assert numbers("?section=none") == []
    assert numbers("?group=%E7%A7%BB%E5%8B%95") == [3]
    assert numbers("?status=bogus") == [1, 2, 3, 4, 5, 6]  # unknown values are ignored


def test_edit_one_comment_is_audited(client_for, users, period):
    add_comments(period, 2)
    client = client_for(users["editor"])
    response = client.post(
        edit_url(period, 2),
        {
            "status": "answered",
            "group_label": "居場所",
            "answer": "取り組みに加えます。",
            "reflection": "partly",
            "version": 1,
        },
    )
    assert response.status_code == 302
    c = PublicComment.objects.get(period=period, number=2)
    assert (c.status, c.group_label, c.answer, c.reflection, c.version) == (
        "answered",
        "居場所",
        "取り組みに加えます。",
        "partly",
        2,
    )
    assert c.answered_by == users["editor"] and c.answered_at is not None
    entry = AuditEntry.objects.get(action="comment.update")
    assert entry.after["reflection"] == "partly" and entry.plan_id == period.plan_id
    assert "tel-" not in str(entry.before) + str(entry.after)


def test_concurrent_edit_is_refused_and_nothing_is_lost(client_for, users, period):
    add_comments(period, 1)
    client = client_for(users["editor"])
    first = client.post(
        edit_url(period, 1),
        {"status": "answered", "answer": "最初の人の考え方", "reflection": "reflected", "version": 1},
    )
    assert first.status_code == 302
    second = client.post(
        edit_url(period, 1),
        {"status": "triaged", "answer": "後から来た人の考え方", "reflection": "reference", "version": 1},
    )
    assert second.status_code == 409
    html = second.content.decode()
    assert "他の人がこの内容を更新しました" in html
    assert "後から来た人の考え方" in html  # what was typed is still in the form
    assert "最初の人の考え方" in html  # and what is saved is beside it
    c = PublicComment.objects.get(period=period, number=1)
    assert (c.answer, c.reflection, c.version) == ("最初の人の考え方", "reflected", 2)
    assert AuditEntry.objects.filter(action="comment.update").count() == 1


def test_bad_values_are_named_next_to_the_field(client_for, users, period):
    add_comments(period, 1)
    response = client_for(users["editor"]).post(edit_url(period, 1), {"status": "bogus", "version": 1})
    assert response.status_code == 400
    assert PublicComment.objects.get(number=1).status == "new"


def test_bulk_set_group_and_status(client_for, users, period):
    add_comments(period, 5)
    ids = list(PublicComment.objects.filter(number__in=[2, 4]).values_list("pk", flat=True))
    client = client_for(users["editor"])
    response = client.post(
        list_url(period), {"ids": ids, "group_label": "移動支援", "status": "triaged", "back": "status=new"}
    )
    assert response.status_code == 302 and response["Location"].endswith("?status=new")
    rows = {c.number: c for c in PublicComment.objects.filter(period=period)}
    assert [(n, rows[n].group_label, rows[n].status, rows[n].version) for n in (1, 2, 4)] == [
        (1, "", "new", 1),
        (2, "移動支援", "triaged", 2),
        (4, "移動支援", "triaged", 2),
    ]
    entry = AuditEntry.objects.get(action="comment.update")
    assert entry.after["numbers"] == [2, 4]
    # nothing selected: a message, nothing changed
    response = client.post(list_url(period), {"group_label": "別"})
    assert response.status_code == 400
    assert "変更する意見を一覧から選んでください" in response.content.decode()
    assert not PublicComment.objects.filter(group_label="別").exists()
    # another period's comment cannot be changed through this one
    other = comments.period_save(
        plan=period.plan, by=users["editor"], title="別", opens_on=period.opens_on, closes_on=period.closes_on
    )
    add_comments(other, 1)
    foreign = PublicComment.objects.get(period=other)
    response = client.post(list_url(period), {"ids": [foreign.pk], "status": "excluded"})
    assert response.status_code == 400
    assert PublicComment.objects.get(pk=foreign.pk).status == "new"


def test_period_form_creates_and_checks_dates(client_for, users, small_plan):
    client = client_for(users["editor"])
    url = reverse("comments:period_new", args=[small_plan.pk])
    response = client.post(url, {"title": "募集", "opens_on": "2026-06-10", "closes_on": "2026-06-01"})
    assert response.status_code == 400
    assert "受付終了日は、受付開始日" in response.content.decode()
    response = client.post(url, {"title": "募集", "opens_on": "2026-06-01", "closes_on": "2026-06-30"})
    assert response.status_code == 302
    period = small_plan.comment_periods.get()
    assert len(period.public_key) == 22
    # editing keeps the key and checks the version
    edit = reverse("comments:period_edit", args=[small_plan.pk, period.pk])
    key = period.public_key
    assert (
        client.post(
            edit, {"title": "募集（修正）", "opens_on": "2026-06-01", "closes_on": "2026-07-10", "version": 1}
        ).status_code
        == 302
    )
    period.refresh_from_db()
    assert (period.title, period.public_key, period.version) == ("募集（修正）", key, 2)
    stale = client.post(
        edit, {"title": "古い画面から", "opens_on": "2026-06-01", "closes_on": "2026-07-10", "version": 1}
    )
    assert stale.status_code == 400 and "他の人がこの内容を更新しました" in stale.content.decode()
    assert AuditEntry.objects.filter(action="comment_period.save").count() == 2


def test_publish_through_the_page(client_for, users, period):
    add_comments(period, 1, answer="考え方", reflection="already", status="answered")
    client = client_for(users["editor"])
    url = reverse("comments:publish", args=[period.plan_id, period.pk])
    response = client.post(url, {"publish": "1"}, follow=True)
    assert "受付期間中は結果を公表できません" in response.content.decode()
    period.refresh_from_db()
    assert not period.results_published
    comments.period_save(
        plan=period.plan,
        by=users["editor"],
        period=period,
        expected_version=period.version,
        title=period.title,
        opens_on=period.opens_on - timedelta(days=10),
        closes_on=timezone.localdate() - timedelta(days=1),
    )
    response = client.post(url, {"publish": "1"}, follow=True)
    assert "結果を公表しました" in response.content.decode()
    period.refresh_from_db()
    assert period.results_published
    assert client_for(users["viewer"]).post(url, {"publish": "0"}).status_code == 404
    period.refresh_from_db()
    assert period.results_published


def test_export_csv_and_xlsx_have_names_for_staff(client_for, users, period):
    add_comments(period, 2)
    PublicComment.objects.filter(number=1).update(text='=HYPERLINK("x")', district="北地区")
    client = client_for(users["editor"])
    url = reverse("comments:export", args=[period.plan_id, period.pk])
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body = response.content
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:7] == ["受付番号", "受付日時", "意見の対象（章・節）", "意見", "氏名", "お住まいの地区", "連絡先"]
    assert rows[1][0] == "1" and rows[1][3] == '\'=HYPERLINK("x")' and rows[1][4:7] == ["住民1", "北地区", "tel-1"]
    assert len(rows) == 3
    xlsx = client.get(url + "?format=xlsx")
    assert xlsx.status_code == 200
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(xlsx.content)).active
    assert ws.cell(3, 5).value == "住民1" and ws.cell(4, 7).value == "tel-2"
    assert ws.cell(3, 4).value == '\'=HYPERLINK("x")'
