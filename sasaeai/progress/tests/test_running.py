"""Working groups, meetings, annual plans, and who may report on what."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from sasaeai.core.concurrency import ConcurrentEditError
from sasaeai.core.models import AuditEntry
from sasaeai.plans import services as plan_services
from sasaeai.progress import services
from sasaeai.progress.models import AnnualPlan
from sasaeai.progress.permissions import can_report, owned_node_ids


@pytest.fixture
def plan(councils):
    plan = plan_services.plan_create(
        council=councils["a"],
        by=None,
        title="推進体制の計画",
        kind="activity",
        levels=["基本目標", "推進事業"],
        period_start=2026,
        period_end=2030,
    )
    g1 = plan_services.node_create(plan=plan, parent=None, by=None, title="目標1")
    g2 = plan_services.node_create(plan=plan, parent=None, by=None, title="目標2")
    for parent, title in ((g1, "事業1-1"), (g1, "事業1-2"), (g2, "事業2-1")):
        plan_services.node_create(plan=plan, parent=parent, by=None, title=title)
    return plan


def n(plan, title):
    return plan.nodes.get(title=title)


@pytest.fixture
def people(make_user, councils):
    return {
        "leader": make_user("wg_leader", "leader", councils["a"]),
        "reporter": make_user("wg_reporter", "reporter", councils["a"]),
        "other": make_user("other_reporter", "reporter", councils["a"]),
    }


def test_leader_owns_the_groups_items_and_below(plan, people):
    services.working_group_save(plan=plan, by=None, name="目標1 WG", nodes=[n(plan, "目標1")], leader=people["leader"])
    owned = owned_node_ids(people["leader"], plan, 2026)
    assert owned == {n(plan, t).pk for t in ("目標1", "事業1-1", "事業1-2")}
    assert can_report(people["leader"], plan, n(plan, "事業1-2"), 2026)
    assert not can_report(people["leader"], plan, n(plan, "事業2-1"), 2026)


def test_reporter_owns_only_their_annual_plans_of_that_year(plan, people):
    services.annual_plan_save(
        node=n(plan, "事業2-1"), fiscal_year=2026, by=None, content="見守り訪問", owners=[people["reporter"]]
    )
    assert can_report(people["reporter"], plan, n(plan, "事業2-1"), 2026)
    assert not can_report(people["reporter"], plan, n(plan, "事業2-1"), 2027)
    assert not can_report(people["other"], plan, n(plan, "事業2-1"), 2026)


def test_report_form_follows_ownership(client, plan, people, users):
    services.annual_plan_save(node=n(plan, "事業2-1"), fiscal_year=2026, by=None, owners=[people["reporter"]])
    client.force_login(people["reporter"])
    mine = reverse("progress:report", args=[plan.pk, n(plan, "事業2-1").pk]) + "?year=2026&period=1"
    theirs = reverse("progress:report", args=[plan.pk, n(plan, "事業1-1").pk]) + "?year=2026&period=1"
    assert client.get(mine).status_code == 200
    assert client.get(theirs).status_code == 404
    assert client.post(theirs, {"done_text": "横から", "version": "0"}).status_code == 404
    client.force_login(users["editor"])
    assert client.get(theirs).status_code == 200


def test_annual_plan_is_versioned_and_audited(plan, people):
    node = n(plan, "事業1-1")
    annual = services.annual_plan_save(
        node=node,
        fiscal_year=2026,
        by=None,
        expected_version=0,
        content="月1回のサロン",
        months=[3, 4, 10],
        budget=50000,
        owners=[people["reporter"]],
    )
    assert annual.months == [4, 10, 3]  # fiscal-year order
    services.annual_plan_save(
        node=node,
        fiscal_year=2026,
        by=None,
        expected_version=1,
        content="月2回のサロン",
        months=[4, 10, 3],
        budget=50000,
        owners=[people["reporter"]],
    )
    with pytest.raises(ConcurrentEditError):
        services.annual_plan_save(node=node, fiscal_year=2026, by=None, expected_version=1, content="古い画面から")
    assert AnnualPlan.objects.get().content == "月2回のサロン"
    entry = AuditEntry.objects.filter(action="annual_plan.save").order_by("pk").last()
    assert entry.before == {"content": "月1回のサロン"} and entry.after == {"content": "月2回のサロン"}


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"fiscal_year": 2031}, "計画期間の外"),
        ({"fiscal_year": 2026, "months": [13]}, "1〜12"),
    ],
)
def test_bad_annual_plans_save_nothing(plan, kwargs, message):
    with pytest.raises(ValidationError, match=message):
        services.annual_plan_save(node=n(plan, "事業1-1"), by=None, **kwargs)
    assert not AnnualPlan.objects.exists()


def test_group_names_are_unique_and_nodes_must_be_ours(plan, councils):
    services.working_group_save(plan=plan, by=None, name="WG")
    with pytest.raises(ValidationError, match="既にあります"):
        services.working_group_save(plan=plan, by=None, name="WG")
    other = plan_services.plan_create(council=councils["a"], by=None, title="別", kind="activity", levels=["目標"])
    foreign = plan_services.node_create(plan=other, parent=None, by=None, title="よその目標")
    with pytest.raises(ValidationError, match="別の計画の項目"):
        services.working_group_save(plan=plan, by=None, name="WG2", nodes=[foreign])


def test_meeting_links_the_nodes_discussed(client, plan, users):
    group = services.working_group_save(plan=plan, by=None, name="目標1 WG")
    services.meeting_save(
        plan=plan,
        by=users["editor"],
        title="第1回 推進会議",
        held_on=dt.date(2026, 6, 10),
        working_group=group,
        decisions="サロンを増やす",
        nodes=[n(plan, "事業1-1")],
    )
    client.force_login(users["viewer"])
    html = client.get(reverse("progress:organisation", args=[plan.pk])).content.decode()
    assert "令和8年6月10日 第1回 推進会議" in html and "サロンを増やす" in html and "事業1-1" in html
    assert AuditEntry.objects.filter(action="meeting.save").exists()


def test_annual_plan_page_and_form(client, plan, users, people):
    client.force_login(users["editor"])
    node = n(plan, "事業1-1")
    url = reverse("progress:annual_plan_edit", args=[plan.pk, node.pk]) + "?year=2027"
    response = client.post(
        url,
        {
            "content": "講座を開く",
            "months": ["6", "7"],
            "owners": [people["reporter"].pk],
            "budget": "-5",
            "version": "0",
        },
    )
    assert response.status_code == 200 and not AnnualPlan.objects.exists()
    response = client.post(
        url,
        {
            "content": "講座を開く",
            "months": ["6", "7"],
            "owners": [people["reporter"].pk],
            "budget": "30000",
            "version": "0",
        },
    )
    assert response.status_code == 302
    html = client.get(reverse("progress:annual_plans", args=[plan.pk]) + "?year=2027").content.decode()
    assert "講座を開く" in html and "30000" in html and str(people["reporter"]) in html


def test_my_items_shows_what_is_mine_and_what_is_late(client, plan, people):
    from sasaeai.progress.selectors import my_items

    services.schedule_update(plan=plan, by=None, frequency="half", due_days=30, grace_days=14)
    services.annual_plan_save(node=n(plan, "事業1-1"), fiscal_year=2026, by=None, owners=[people["reporter"]])
    services.annual_plan_save(node=n(plan, "事業2-1"), fiscal_year=2026, by=None, owners=[people["reporter"]])
    on_track = services.statuses_for(plan.council)[3]
    services.report_save(node=n(plan, "事業2-1"), fiscal_year=2026, period=1, by=None, status=on_track)
    # 2026-11-20: 上半期 ended 9/30, due 10/30, overdue after 11/13; 下半期 is open.
    rows = my_items(people["reporter"], today=dt.date(2026, 11, 20))
    got = [(r["node"].title, r["period"].number, r["state"]) for r in rows]
    assert got == [("事業1-1", 1, "overdue"), ("事業1-1", 2, "open"), ("事業2-1", 2, "open")]
    rows = my_items(people["reporter"], today=dt.date(2026, 11, 1))  # after due, within grace
    assert ("事業1-1", 1, "due") in [(r["node"].title, r["period"].number, r["state"]) for r in rows]
    assert my_items(people["other"], today=dt.date(2026, 11, 20)) == []
    client.force_login(people["reporter"])
    html = client.get(reverse("running:my_items")).content.decode()
    assert "わたしの担当" in html and "事業1-1" in html


def _status_post(statuses, changes=None, new=None, delete=()):
    data = {
        "statuses-TOTAL_FORMS": str(len(statuses) + 1),
        "statuses-INITIAL_FORMS": str(len(statuses)),
        "statuses-MIN_NUM_FORMS": "0",
        "statuses-MAX_NUM_FORMS": "1000",
    }
    for i, s in enumerate(statuses):
        row = {"id": s.pk, "name": s.name, "color": s.color, "score": s.score} | (changes or {}).get(s.name, {})
        data.update({f"statuses-{i}-{k}": v for k, v in row.items()})
        if s.name in delete:
            data[f"statuses-{i}-DELETE"] = "on"
    # a browser always posts the colour picker's value, even for the untouched extra row
    for k, v in ({"color": "#57606a"} | (new or {})).items():
        data[f"statuses-{len(statuses)}-{k}"] = v
    return data


def test_council_renames_recolours_adds_and_deletes_statuses(client, users, councils, plan):
    from sasaeai.progress.models import ProgressReport, ProgressStatus

    statuses = services.statuses_for(councils["a"])
    on_track = statuses[3]
    services.report_save(node=n(plan, "事業1-1"), fiscal_year=2026, period=1, by=None, status=on_track)
    client.force_login(users["editor"])
    url = reverse("running:statuses", args=[councils["a"].pk])
    response = client.post(
        url,
        _status_post(
            statuses,
            changes={"順調": {"name": "概ね順調", "color": "#2da44e", "score": 70}},
            new={"name": "中止", "color": "#000000", "score": 0},
            delete=["未着手"],
        ),
    )
    assert response.status_code == 302
    names = list(ProgressStatus.objects.filter(council=councils["a"]).order_by("position").values_list("name", "score"))
    assert names == [("遅れ", 25), ("やや遅れ", 50), ("概ね順調", 70), ("完了", 100), ("中止", 0)]
    assert ProgressReport.objects.get().status.name == "概ね順調"  # the report follows the rename
    assert AuditEntry.objects.filter(action="statuses.update").exists()
    # a status in use cannot be deleted; nothing changes
    statuses = services.statuses_for(councils["a"])
    response = client.post(url, _status_post(statuses, delete=["概ね順調"]), follow=True)
    assert "使われているため削除できません" in response.content.decode()
    assert ProgressStatus.objects.filter(council=councils["a"]).count() == 5
    # swapping two names works (no half-way clash)
    statuses = services.statuses_for(councils["a"])
    client.post(url, _status_post(statuses, changes={"遅れ": {"name": "やや遅れ"}, "やや遅れ": {"name": "遅れ"}}))
    assert list(ProgressStatus.objects.filter(council=councils["a"]).order_by("position").values_list("name", "score"))[
        :2
    ] == [("やや遅れ", 25), ("遅れ", 50)]
    client.force_login(users["viewer"])
    assert client.get(url).status_code == 404
