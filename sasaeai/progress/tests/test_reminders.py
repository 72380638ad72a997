"""Reminders (``manage.py send_reminders``): who gets what, when, once, and what the e-mail says.

The plan from ``demo.generator.create_plan(nodes=10)`` is, by the ``summary`` of each item:
項目1 (goal) → 項目2 (with 項目7–10 below it), 項目3, 項目4, 項目5, 項目6. Its period is FY2026–2030.
With the half-year schedule below, 令和8年度上半期 runs 2026-04-01〜09-30, is due 10-30 and
overdue after 11-13.
"""

import datetime as dt
import smtplib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sasaeai.demo.generator import create_plan
from sasaeai.plans.models import Plan, PlanNode
from sasaeai.progress import reminders
from sasaeai.progress.models import AnnualPlan, ReminderLog, WorkingGroup
from sasaeai.progress.services import report_save, schedule_update, statuses_for

DUE_DAY = "2026-10-01"  # the day after the first half ends
OVERDUE_DAY = "2026-11-14"  # the day after its overdue point


def node(plan, n):
    return PlanNode.objects.get(plan=plan, summary=f"項目{n}の要旨")


def make_plan(council, title="見守りの計画", due_days=30, grace_days=14, nodes=10):
    plan = create_plan(council=council, nodes=nodes, issues=3, title=title)
    schedule_update(plan=plan, by=None, frequency="half", due_days=due_days, grace_days=grace_days)
    return plan


def own(plan, n, *users, year=2026, group=None):
    annual, _ = AnnualPlan.objects.get_or_create(node=node(plan, n), fiscal_year=year)
    annual.owners.add(*users)
    if group is not None:
        annual.working_group = group
        annual.save()
    return annual


def send(*args):
    out = StringIO()
    call_command("send_reminders", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def plan(councils):
    return make_plan(councils["a"])


@pytest.fixture
def person(councils, make_user):
    def make(username, role="reporter", council=None, email=True):
        user = make_user(username, role, council or councils["a"])
        if email:
            user.email = f"{username}@example.jp"
            user.save()
        return user

    return make


def by_recipient(outbox):
    return {m.to[0].split("@")[0]: m for m in outbox}


# --------------------------------------------------------------------------- who gets what


def test_annual_plan_owner_gets_only_their_unreported_items(plan, person, mailoutbox):
    owner, other = person("owner"), person("other")
    own(plan, 3, owner)
    own(plan, 5, owner)
    own(plan, 4, other, year=2027)  # another year: not owned in FY2026
    send("--date", DUE_DAY)
    assert [m.to for m in mailoutbox] == [["owner@example.jp"]]
    body = mailoutbox[0].body
    assert node(plan, 3).label in body and node(plan, 5).label in body
    assert body.index(node(plan, 3).label) < body.index(node(plan, 5).label)  # order of the plan
    assert node(plan, 4).label not in body and node(plan, 2).label not in body
    log = ReminderLog.objects.get()
    assert (log.user, log.plan, log.fiscal_year, log.period, log.kind, log.item_count) == (
        owner,
        plan,
        2026,
        1,
        "due",
        2,
    )


def test_group_leader_and_sub_leader_get_the_group_items_and_everything_below(plan, person, mailoutbox):
    leader, sub, member = person("leader", "leader"), person("sub", "leader"), person("member")
    group = WorkingGroup.objects.create(plan=plan, name="見守りWG", leader=leader, sub_leader=sub)
    group.members.add(member)
    group.nodes.add(node(plan, 3), node(plan, 2))
    send("--date", DUE_DAY)
    mails = by_recipient(mailoutbox)
    assert set(mails) == {"leader", "sub"}  # members are not reminded
    expected = [node(plan, n).label for n in (2, 7, 8, 9, 10, 3)]  # in the order of the plan's tree
    for mail in mails.values():
        listed = [line[2:] for line in mail.body.splitlines() if line.startswith("- ")]
        assert listed == expected
    assert set(ReminderLog.objects.values_list("item_count", flat=True)) == {6}


def test_group_named_on_the_annual_plan_owns_that_item_for_that_year(plan, person, mailoutbox):
    leader = person("leader", "leader")
    group = WorkingGroup.objects.create(plan=plan, name="地域WG", leader=leader)
    Plan.objects.filter(pk=plan.pk).update(period_start=2025)
    own(plan, 3, group=group)
    own(plan, 4, year=2025, group=group)
    own(plan, 5, year=2027, group=group)
    send("--date", DUE_DAY)  # FY2026 first half is due, both halves of FY2025 are overdue
    items = {}
    for mail in mailoutbox:
        period = mail.subject.rsplit("（", 1)[1]
        items[period] = [line[2:] for line in mail.body.splitlines() if line.startswith("- ")]
    assert items == {
        "令和8年度上半期）": [node(plan, 3).label],
        "令和7年度上半期）": [node(plan, 4).label],
        "令和7年度下半期）": [node(plan, 4).label],
    }


def test_items_with_a_status_are_left_out_and_a_report_without_status_is_not_enough(plan, person, users, mailoutbox):
    owner = person("owner")
    own(plan, 3, owner)
    own(plan, 4, owner)
    own(plan, 5, owner)
    status = statuses_for(plan.council)[3]
    report_save(node=node(plan, 3), fiscal_year=2026, period=1, by=users["editor"], status=status)
    report_save(node=node(plan, 4), fiscal_year=2026, period=1, by=users["editor"], done_text="途中まで")
    report_save(node=node(plan, 5), fiscal_year=2026, period=2, by=users["editor"], status=status)  # other period
    send("--date", DUE_DAY)
    body = mailoutbox[0].body
    assert node(plan, 3).label not in body
    assert node(plan, 4).label in body and node(plan, 5).label in body


def test_nobody_is_reminded_when_everything_is_reported(plan, person, users, mailoutbox):
    owner = person("owner")
    own(plan, 3, owner)
    report_save(
        node=node(plan, 3), fiscal_year=2026, period=1, by=users["editor"], status=statuses_for(plan.council)[0]
    )
    assert "送信 0 件" in send("--date", DUE_DAY)
    assert mailoutbox == [] and not ReminderLog.objects.exists()


@pytest.mark.parametrize("status", [Plan.Status.DRAFTING, Plan.Status.FINISHED])
def test_plans_that_are_not_active_send_nothing(plan, person, mailoutbox, status):
    own(plan, 3, person("owner"))
    Plan.objects.filter(pk=plan.pk).update(status=status)
    send("--date", DUE_DAY)
    assert "推進中ではない" in send("--date", DUE_DAY, "--plan", str(plan.pk))
    assert mailoutbox == [] and not ReminderLog.objects.exists()


@pytest.mark.parametrize(
    "role, council, active",
    [
        ("viewer", "a", True),  # cannot report, so the link would be refused
        ("admin", "b", True),  # another council
        ("reporter", "a", False),  # deactivated account
        (None, None, True),  # no membership at all
    ],
)
def test_owners_who_cannot_report_are_not_reminded(plan, councils, make_user, mailoutbox, role, council, active):
    user = make_user("someone", role, councils[council] if council else None)
    user.email, user.is_active = "someone@example.jp", active
    user.save()
    own(plan, 3, user)
    send("--date", DUE_DAY)
    assert mailoutbox == []


def test_membership_of_a_parent_council_counts_and_the_nearest_one_wins(councils, person, mailoutbox):
    plan = make_plan(councils["a_child"])
    parent_reporter = person("parent", "reporter", councils["a"])
    overridden = person("overridden", "reporter", councils["a"])
    overridden.memberships.create(council=councils["a_child"], role="viewer")
    own(plan, 3, parent_reporter, overridden)
    send("--date", DUE_DAY)
    assert set(by_recipient(mailoutbox)) == {"parent"}


def test_years_outside_the_plan_period_are_not_reminded(plan, person, mailoutbox):
    owner = person("owner")
    own(plan, 3, owner, year=2025)  # FY2025 second half would be due on 2026-04-30, but the plan starts in 2026
    Plan.objects.filter(pk=plan.pk).update(period_start=2026)
    send("--date", "2026-04-20")
    assert mailoutbox == []
    Plan.objects.filter(pk=plan.pk).update(period_start=2025)  # now it is inside the period
    send("--date", "2026-04-20")
    assert sorted(ReminderLog.objects.values_list("fiscal_year", "period", "kind")) == [
        (2025, 1, "overdue"),
        (2025, 2, "due"),
    ]
    assert sorted(m.subject[-10:] for m in mailoutbox) == ["（令和7年度上半期）", "（令和7年度下半期）"]


def test_owners_are_per_fiscal_year_and_only_the_last_three_years_are_looked_at(plan, person, mailoutbox):
    Plan.objects.filter(pk=plan.pk).update(period_start=2020)
    this_year, last_year, two_back, three_back = (person(n) for n in ("fy2026", "fy2025", "fy2024", "fy2023"))
    own(plan, 3, this_year, year=2026)
    own(plan, 4, last_year, year=2025)
    own(plan, 5, two_back, year=2024)
    own(plan, 6, three_back, year=2023)  # its periods were overdue long before FY2026 began
    send("--date", DUE_DAY)
    sent = sorted(ReminderLog.objects.values_list("user__username", "fiscal_year", "period", "kind"))
    assert sent == [
        ("fy2024", 2024, 1, "overdue"),
        ("fy2024", 2024, 2, "overdue"),
        ("fy2025", 2025, 1, "overdue"),
        ("fy2025", 2025, 2, "overdue"),
        ("fy2026", 2026, 1, "due"),
    ]


# --------------------------------------------------------------------------- when


@pytest.mark.parametrize(
    "due_days, grace_days, day, kind",
    [
        (30, 14, "2026-09-30", None),  # the period has not ended, due date more than 14 days away
        (30, 14, "2026-10-01", "due"),  # the day after the period ends
        (30, 14, "2026-10-30", "due"),  # the due date
        (30, 14, "2026-11-13", "due"),  # the last day of grace
        (30, 14, "2026-11-14", "overdue"),  # the day after the overdue point
        (5, 14, "2026-09-20", None),  # due 10-05: 15 days before
        (5, 14, "2026-09-21", "due"),  # 14 days before the due date, still inside the period
        (5, 14, "2026-10-19", "due"),
        (5, 14, "2026-10-20", "overdue"),
        (0, 0, "2026-09-30", "due"),  # due on the last day of the period
        (0, 0, "2026-10-01", "overdue"),
    ],
)
def test_due_and_overdue_boundaries(councils, person, mailoutbox, due_days, grace_days, day, kind):
    plan = make_plan(councils["a"], due_days=due_days, grace_days=grace_days)
    own(plan, 3, person("owner"))
    send("--date", day)
    assert list(ReminderLog.objects.values_list("kind", flat=True)) == ([kind] if kind else [])
    assert len(mailoutbox) == (1 if kind else 0)


def test_first_run_after_the_overdue_point_sends_only_the_overdue_reminder(plan, person, mailoutbox):
    own(plan, 3, person("owner"))
    send("--date", OVERDUE_DAY)
    assert list(ReminderLog.objects.values_list("kind", flat=True)) == ["overdue"]


def test_each_reminder_is_sent_once(plan, person, mailoutbox):
    own(plan, 3, person("owner"))
    send("--date", DUE_DAY)
    assert len(mailoutbox) == 1
    second = send("--date", DUE_DAY)
    assert len(mailoutbox) == 1 and "送信 0 件、送信済みのため省略 1 件" in second
    send("--date", "2026-10-20")  # still the same due reminder
    assert len(mailoutbox) == 1
    send("--date", OVERDUE_DAY)
    send("--date", "2026-12-01")
    assert len(mailoutbox) == 2
    assert sorted(ReminderLog.objects.values_list("kind", flat=True)) == ["due", "overdue"]


def test_a_failed_send_records_nothing_and_is_retried(plan, person, mailoutbox, monkeypatch):
    own(plan, 3, person("owner"))

    def refuse(self, fail_silently=False):
        raise smtplib.SMTPServerDisconnected("connection lost")

    with monkeypatch.context() as m:
        m.setattr("django.core.mail.EmailMessage.send", refuse)
        with pytest.raises(CommandError, match="1 件の案内を送れませんでした"):
            send("--date", DUE_DAY)
    assert not ReminderLog.objects.exists()
    send("--date", DUE_DAY)
    assert len(mailoutbox) == 1 and ReminderLog.objects.count() == 1


def test_users_without_an_email_address_are_skipped_and_told(plan, person, mailoutbox):
    no_address = person("noaddress", email=False)
    own(plan, 3, no_address, person("owner"))
    output = send("--date", DUE_DAY)
    assert [m.to for m in mailoutbox] == [["owner@example.jp"]]
    assert "メールアドレスが登録されていません" in output and "noaddress" in output
    assert "メールアドレスがないため送れない 1 件" in output
    assert not ReminderLog.objects.filter(user=no_address).exists()
    no_address.email = "noaddress@example.jp"
    no_address.save()
    send("--date", DUE_DAY)  # sent once the address is there
    assert [m.to for m in mailoutbox][-1] == ["noaddress@example.jp"]


def test_dry_run_sends_and_records_nothing(plan, person, mailoutbox):
    own(plan, 3, person("owner"))
    output = send("--date", DUE_DAY, "--dry-run")
    assert mailoutbox == [] and not ReminderLog.objects.exists()
    assert "送信予定" in output and "owner@example.jp" in output and "送信予定 1 件" in output
    send("--date", DUE_DAY)
    assert len(mailoutbox) == 1
    assert "送信予定 0 件、送信済みのため省略 1 件" in send("--date", DUE_DAY, "--dry-run")


def test_plan_option_limits_to_one_plan(councils, person, mailoutbox):
    first, second = make_plan(councils["a"], title="一つ目"), make_plan(councils["a"], title="二つ目")
    owner = person("owner")
    own(first, 3, owner)
    own(second, 3, owner)
    send("--date", DUE_DAY, "--plan", str(second.pk))
    assert len(mailoutbox) == 1 and "二つ目" in mailoutbox[0].subject
    with pytest.raises(CommandError, match="見つかりません"):
        send("--date", DUE_DAY, "--plan", "999999")


def test_bad_date_is_refused(plan):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        send("--date", "2026/10/01")


def test_default_date_is_the_local_date(plan, person, mailoutbox, monkeypatch):
    own(plan, 3, person("owner"))
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: dt.date(2026, 9, 30))
    send()
    assert mailoutbox == []
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: dt.date(2026, 10, 1))
    send()
    assert len(mailoutbox) == 1


# --------------------------------------------------------------------------- the e-mail


def test_due_email_text(plan, person, mailoutbox, settings):
    settings.SASAEAI_BASE_URL = "https://sasaeai.example.jp/"
    owner = person("owner")
    owner.display_name = "佐藤 花子"
    owner.save()
    Plan.objects.filter(pk=plan.pk).update(title="見守り & 支え合い <第2次>")
    item = node(plan, 3)
    own(plan, 3, owner)
    send("--date", DUE_DAY)
    mail = mailoutbox[0]
    assert mail.subject == "【ささえあい】進捗報告の締切のご案内: 見守り & 支え合い <第2次>（令和8年度上半期）"
    assert "\n" not in mail.subject
    body = mail.body
    assert body.startswith("佐藤 花子 様")
    assert "「見守り & 支え合い <第2次>」の令和8年度上半期の進捗報告の締切は 令和8年10月30日 です。" in body
    assert "&amp;" not in body and "&lt;" not in body  # plain text, not HTML-escaped
    assert "報告がまだの項目（1件）" in body
    assert (
        f"- {item.label}\n  https://sasaeai.example.jp/plans/{plan.pk}/nodes/{item.pk}/report/?year=2026&period=1"
        in body
    )
    assert mail.to == ["owner@example.jp"]


def test_overdue_email_text(plan, person, mailoutbox):
    item = node(plan, 3)
    own(plan, 3, person("owner"))
    send("--date", OVERDUE_DAY)
    mail = mailoutbox[0]
    assert mail.subject == "【ささえあい】進捗報告の締切を過ぎています: 見守りの計画（令和8年度上半期）"
    assert "締切（令和8年10月30日）を過ぎています" in mail.body
    assert f"http://127.0.0.1:8000/plans/{plan.pk}/nodes/{item.pk}/report/?year=2026&period=1" in mail.body


def test_link_opens_the_report_form_for_that_period(plan, person, mailoutbox, client):
    owner = person("owner")
    own(plan, 3, owner)
    send("--date", DUE_DAY)
    path = reminders.reminders_for(dt.date(2026, 10, 1))[0].items[0].path
    client.force_login(owner)
    response = client.get(path)
    assert response.status_code == 200
    assert response.context["period"].label == "令和8年度上半期" and response.context["node"] == node(plan, 3)


# --------------------------------------------------------------------------- cost


def test_query_count_does_not_depend_on_plan_size_or_owners(councils, person):
    small, large = make_plan(councils["a"], title="小"), make_plan(councils["a"], title="大", nodes=120)
    owners = [person(f"owner{i}") for i in range(6)]
    own(small, 3, owners[0])
    leader = person("leader", "leader")
    WorkingGroup.objects.create(plan=small, name="WG", leader=leader).nodes.add(node(small, 2))
    for i, n in enumerate(range(3, 60)):
        own(large, n, owners[i % len(owners)])
    for n in (2, 7):
        WorkingGroup.objects.create(plan=large, name=f"WG{n}", leader=leader, sub_leader=owners[0]).nodes.add(
            node(large, n)
        )
    day = dt.date(2026, 10, 1)
    counts = {}
    for plan in (small, large):
        with CaptureQueriesContext(connection) as ctx:
            found = reminders.reminders_for(day, plan_id=plan.pk)
        counts[plan.title] = len(ctx)
        assert found
    assert counts["小"] == counts["大"] <= 10
    assert sum(len(r.items) for r in reminders.reminders_for(day, plan_id=large.pk)) > 57
