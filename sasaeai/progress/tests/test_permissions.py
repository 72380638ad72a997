"""The spec of ``progress/permissions.py`` (and of ``evaluation/permissions.py``, which asks it).

Two things are proved here:

- the role × action × ownership matrix, written out by hand below (not computed from the code);
- one rule: a working group's leader (and sub-leader) reports on, reviews, downloads and uploads in
  the group's Excel workbook, is reminded about, finds in the group's evaluation report, and is
  named on the dashboard for EXACTLY the same items, including items the group holds only through
  ``AnnualPlan.working_group``; another group's leader and an outsider get none of them.
"""

import datetime as dt
import io

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sasaeai.accounts.decorators import permissions_for
from sasaeai.demo.generator import create_plan
from sasaeai.evaluation import services as evaluation_services
from sasaeai.evaluation.models import Grade, Stage
from sasaeai.evaluation.permissions import can_enter
from sasaeai.evaluation.reports import build_report
from sasaeai.plans import services as plan_services
from sasaeai.plans.models import Plan
from sasaeai.progress import excel, reminders, services
from sasaeai.progress.dashboard import plan_dashboard
from sasaeai.progress.models import AnnualPlan, WorkingGroup
from sasaeai.progress.permissions import (
    can_report,
    leads_node,
    led_node_ids,
    owned_node_ids,
    owns_node,
    plan_ownership,
)

YEAR = 2026


@pytest.fixture
def plan(councils):
    """基本目標 g1 (p11, p12), g2 (p21, p22), g3 (p31, p32); FY2026–2030, half-yearly reports, active."""
    plan = plan_services.plan_create(
        council=councils["a"],
        by=None,
        title="担当を確かめる計画",
        kind="activity",
        levels=["基本目標", "推進事業"],
        period_start=2026,
        period_end=2030,
    )
    for g in ("g1", "g2", "g3"):
        goal = plan_services.node_create(plan=plan, parent=None, by=None, title=g)
        for p in ("1", "2"):
            plan_services.node_create(plan=plan, parent=goal, by=None, title=f"p{g[1]}{p}")
    Plan.objects.filter(pk=plan.pk).update(status=Plan.Status.ACTIVE)
    plan.refresh_from_db()
    services.schedule_update(plan=plan, by=None, frequency="half", due_days=30, grace_days=14)
    return plan


def node(plan, title):
    return plan.nodes.get(title=title)


def ids(plan, *titles):
    return {node(plan, t).pk for t in titles}


def annual(plan, title, *owners, year=YEAR, group=None):
    a, _ = AnnualPlan.objects.get_or_create(node=node(plan, title), fiscal_year=year)
    a.owners.add(*owners)
    if group is not None:
        a.working_group = group
        a.save()
    return a


# --------------------------------------------------------------------------- the matrix

# How the user stands to project p11 in FY2026:
#   named        named as 担当者 on p11's annual plan of 2026
#   group_nodes  leader of a group whose 担当する項目 is g1 (p11's goal)
#   group_annual sub-leader of a group named on p11's annual plan of 2026 (AnnualPlan.working_group)
#   other        p11 is someone else's (named, and their group's); the user owns p21 instead
#   other_year   named on p11's annual plan of 2025 only
#   none         nobody owns anything
STATES = ("named", "group_nodes", "group_annual", "other", "other_year", "none")

# role → action → expected answer in each state, in the order of STATES (Y = allowed).
# report: progress report of p11; self / review / internal / external / final: that stage of p11's evaluation.
MATRIX = {
    "admin": {
        "report": "YYYYYY",
        "self": "YYYYYY",
        "review": "YYYYYY",
        "internal": "YYYYYY",
        "external": "YYYYYY",
        "final": "YYYYYY",
    },
    "editor": {
        "report": "YYYYYY",
        "self": "YYYYYY",
        "review": "YYYYYY",
        "internal": "YYYYYY",
        "external": "NNNNNN",
        "final": "YYYYYY",
    },
    "viewer": {
        "report": "NNNNNN",
        "self": "NNNNNN",
        "review": "NNNNNN",
        "internal": "NNNNNN",
        "external": "NNNNNN",
        "final": "NNNNNN",
    },
    # a leader reviews what their groups reach, not what they are personally named on
    "leader": {
        "report": "YYYNNN",
        "self": "YYYNNN",
        "review": "NYYNNN",
        "internal": "NNNNNN",
        "external": "NNNNNN",
        "final": "NNNNNN",
    },
    # a reporter made a group's leader reports and self-evaluates for it, but never reviews
    "reporter": {
        "report": "YYYNNN",
        "self": "YYYNNN",
        "review": "NNNNNN",
        "internal": "NNNNNN",
        "external": "NNNNNN",
        "final": "NNNNNN",
    },
    "committee": {
        "report": "NNNNNN",
        "self": "NNNNNN",
        "review": "NNNNNN",
        "internal": "NNNNNN",
        "external": "YYYYYY",
        "final": "NNNNNN",
    },
    # admin of the other council: nothing here, whatever the data of this plan says about them
    "outsider": {
        "report": "NNNNNN",
        "self": "NNNNNN",
        "review": "NNNNNN",
        "internal": "NNNNNN",
        "external": "NNNNNN",
        "final": "NNNNNN",
    },
    "nobody": {
        "report": "NNNNNN",
        "self": "NNNNNN",
        "review": "NNNNNN",
        "internal": "NNNNNN",
        "external": "NNNNNN",
        "final": "NNNNNN",
    },
}


def _put_in_state(plan, user, someone, state):
    if state == "named":
        annual(plan, "p11", user)
    elif state == "group_nodes":
        WorkingGroup.objects.create(plan=plan, name="目標1の会", leader=user).nodes.add(node(plan, "g1"))
    elif state == "group_annual":
        annual(plan, "p11", group=WorkingGroup.objects.create(plan=plan, name="p11の会", sub_leader=user))
    elif state == "other":
        WorkingGroup.objects.create(plan=plan, name="よその会", leader=someone).nodes.add(node(plan, "g1"))
        annual(plan, "p11", someone)
        mine = WorkingGroup.objects.create(plan=plan, name="わたしの会", leader=user)
        mine.nodes.add(node(plan, "g2"))
        annual(plan, "p21", user, group=mine)
    elif state == "other_year":
        annual(plan, "p11", user, year=YEAR - 1)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", list(MATRIX))
def test_role_action_ownership_matrix(plan, users, make_user, councils, role, state):
    user, someone = users[role], make_user("someone", "leader", councils["a"])
    _put_in_state(plan, user, someone, state)
    p11 = node(plan, "p11")
    column = STATES.index(state)
    stages = {
        "self": Stage.SELF,
        "review": Stage.REVIEW,
        "internal": Stage.INTERNAL,
        "external": Stage.EXTERNAL,
        "final": Stage.FINAL,
    }
    got = {"report": can_report(user, plan, p11, YEAR)}
    got |= {action: can_enter(user, plan, p11, YEAR, stage) for action, stage in stages.items()}
    expected = {action: answers[column] == "Y" for action, answers in MATRIX[role].items()}
    assert got == expected


def test_the_matrix_covers_every_role_and_stage(users):
    assert set(MATRIX) == set(users)
    assert {a for row in MATRIX.values() for a in row} == {"report"} | {s.value for s in Stage}


# --------------------------------------------------------------------------- one rule, every entry point


@pytest.fixture
def groups(plan, make_user, councils, users):
    """Group A (leader, sub-leader): 担当する項目 g1, and p21 by its annual plan of 2026.
    Group B (leader2): g3, and p22 by its annual plan of 2026 (and p12 by that of 2027).
    Group C (no leader): g2. A reporter is named on p32 in 2026."""
    people = {
        "leader": make_user("wg_leader", "leader", councils["a"]),
        "sub": make_user("wg_sub", "leader", councils["a"]),
        "leader2": make_user("wg_leader2", "leader", councils["a"]),
        "reporter": users["reporter"],
        "outsider": users["outsider"],
        "nobody": users["nobody"],
    }
    a = WorkingGroup.objects.create(plan=plan, name="A会", leader=people["leader"], sub_leader=people["sub"])
    a.nodes.add(node(plan, "g1"))
    b = WorkingGroup.objects.create(plan=plan, name="B会", leader=people["leader2"])
    b.nodes.add(node(plan, "g3"))
    WorkingGroup.objects.create(plan=plan, name="C会").nodes.add(node(plan, "g2"))
    annual(plan, "p21", group=a)
    annual(plan, "p22", group=b)
    annual(plan, "p12", group=b, year=YEAR + 1)
    annual(plan, "p32", people["reporter"])
    return people


def _reportable(client, plan):
    found = set()
    for n in plan.nodes.all():
        url = reverse("progress:report", args=[plan.pk, n.pk]) + f"?year={YEAR}&period=1"
        status = client.get(url).status_code
        assert status in (200, 404)
        if status == 200:
            found.add(n.pk)
    return found


class _Undo(Exception):
    pass


def _reviewable(plan, user):
    """Projects whose review (確認) ``user`` may save, through the evaluation service."""
    grade = Grade.objects.filter(scale__council=plan.council).first()
    found = set()
    for n in plan.nodes.filter(parent__isnull=False):
        try:
            with transaction.atomic():
                evaluation_services.stage_save(node=n, fiscal_year=YEAR, stage=Stage.REVIEW, by=user, grade=grade)
                raise _Undo
        except _Undo:
            found.add(n.pk)
        except PermissionDenied:
            pass
    return found


def _review_forms(client, plan):
    """Projects whose page offers ``user`` the review form."""
    found = set()
    for n in plan.nodes.filter(parent__isnull=False):
        page = client.get(reverse("evaluation:project", args=[plan.pk, n.pk]) + f"?year={YEAR}")
        if page.status_code == 200 and "ワーキンググループ・事務局の確認を確定する" in page.content.decode():
            found.add(n.pk)
    return found


def _workbooks(client, plan):
    """{group id or None: rows (node ids)} of every workbook ``user`` may download."""
    books = {}
    for group_id in [None, *WorkingGroup.objects.filter(plan=plan).values_list("pk", flat=True)]:
        params = {"year": YEAR, "period": 1} | ({"group": group_id} if group_id else {})
        response = client.get(reverse("excel:download", args=[plan.pk]), params)
        assert response.status_code in (200, 404)
        if response.status_code == 200:
            books[group_id] = response.content
    return books


def _rows(content):
    ws = openpyxl.load_workbook(io.BytesIO(content))[excel.sheet_name()]
    return {ws.cell(r, 1).value for r in range(excel.FIRST_ROW, ws.max_row + 1)}


def _uploaded(client, plan, content):
    """Items a filled-in workbook reports on, as the upload's preview accepts them (nothing saved)."""
    wb = openpyxl.load_workbook(io.BytesIO(content))
    ws = wb[excel.sheet_name()]
    version_col = next(i for i, c in enumerate(excel.COLUMNS, start=1) if c.key == "version")
    status_col = next(i for i, c in enumerate(excel.COLUMNS, start=1) if c.key == "status")
    for r in range(excel.FIRST_ROW, ws.max_row + 1):
        if ws.cell(r, version_col).value is not None:
            ws.cell(r, status_col).value = "順調"
    out = io.BytesIO()
    wb.save(out)
    file = io.BytesIO(out.getvalue())
    file.name = "進捗報告.xlsx"
    response = client.post(reverse("excel:upload", args=[plan.pk]), {"file": file, "year": YEAR, "period": 1})
    assert response.status_code == 200
    assert not response.context.get("problems"), response.context.get("problems")
    return {item.node.pk for item in response.context["parsed"].items}


def _reminded(plan, user):
    found = set()
    for r in reminders.plan_reminders(plan, dt.date(2026, 10, 1)):
        if r.user.pk == user.pk:
            assert r.fiscal_year == YEAR
            found |= {item.node_id for item in r.items}
    return found


def _on_dashboard(plan, user):
    """Overdue items of the dashboard where ``user`` is named: as 担当者 or as a group's (sub-)leader."""
    d = plan_dashboard(plan, YEAR, today=dt.date(2026, 11, 14))
    return {
        row.node.pk
        for row in d.overdue
        if user in row.owners or any(user.pk in (g.leader_id, g.sub_leader_id) for g in row.groups)
    }


def test_a_leader_reports_reviews_downloads_and_is_reminded_about_the_same_items(plan, groups, users, client, councils):
    evaluation_services.evaluation_setup(councils["a"])
    grade = Grade.objects.filter(scale__council=councils["a"]).first()
    for n in plan.nodes.filter(parent__isnull=False):  # every self-evaluation submitted: reviews may start
        evaluation_services.stage_save(
            node=n, fiscal_year=YEAR, stage=Stage.SELF, by=users["admin"], submit=True, grade=grade
        )
    projects = set(plan.nodes.filter(parent__isnull=False).values_list("pk", flat=True))
    with_annual_plan = set(
        AnnualPlan.objects.filter(node__plan=plan, fiscal_year=YEAR).values_list("node_id", flat=True)
    )
    expected = {
        # g1 and everything below it, and p21 through its annual plan of 2026 only
        "leader": ids(plan, "g1", "p11", "p12", "p21"),
        "sub": ids(plan, "g1", "p11", "p12", "p21"),
        # not p12: the group is named on its annual plan of 2027, not 2026
        "leader2": ids(plan, "g3", "p31", "p32", "p22"),
        "outsider": set(),
        "nobody": set(),
    }
    assert not expected["leader"] & expected["leader2"]
    for who, items in expected.items():
        user = groups[who]
        client.force_login(user)
        assert _reportable(client, plan) == items, who
        books = _workbooks(client, plan)
        downloaded = set().union(*(_rows(content) for content in books.values())) if books else set()
        assert downloaded == items, who
        uploaded = set().union(*(_uploaded(client, plan, content) for content in books.values())) if books else set()
        assert uploaded == items, who
        assert _reminded(plan, user) == items, who
        # the evaluation is of projects (the lowest items): the same items, less the goals
        assert _reviewable(plan, user) == items & projects, who
        assert _review_forms(client, plan) == items & projects, who
        # the evaluation report of each group the user leads (評価シート by working group)
        led = WorkingGroup.objects.filter(plan=plan).filter(Q(leader=user) | Q(sub_leader=user))
        in_reports = {
            line.pk
            for group in led
            for goal in build_report(
                plan, YEAR, perms=permissions_for(users["admin"], plan.council_id), group=group
            ).goals
            for line in goal.projects
        }
        assert in_reports == items & projects, who
        # the dashboard lists items expected to report: projects and items with an annual plan
        assert _on_dashboard(plan, user) == items & (projects | with_annual_plan), who
        # and the rule itself, in both forms, says the same
        assert owned_node_ids(user, plan, YEAR) == led_node_ids(user, plan, YEAR) == items, who
        assert {n.pk for n in plan.nodes.all() if owns_node(user, plan, n, YEAR)} == items, who
        assert {n.pk for n in plan.nodes.all() if leads_node(user, plan, n, YEAR)} == items, who
        owners = plan_ownership(plan, [YEAR]).owners(YEAR)
        assert {n for n, people in owners.items() if user.pk in people} == items, who


def test_a_person_named_on_an_annual_plan_reports_and_is_reminded_but_does_not_review(plan, groups, client):
    reporter = groups["reporter"]
    client.force_login(reporter)
    assert _reportable(client, plan) == ids(plan, "p32")
    assert _reminded(plan, reporter) == ids(plan, "p32")
    assert _workbooks(client, plan) == {}
    assert _reviewable(plan, reporter) == set()
    assert can_enter(reporter, plan, node(plan, "p32"), YEAR, Stage.SELF)
    assert not can_enter(reporter, plan, node(plan, "p32"), YEAR + 1, Stage.SELF)


def test_a_group_without_a_leader_owns_for_nobody(plan, groups):
    owners = plan_ownership(plan, [YEAR]).owners(YEAR)
    # g2 and p22's only group without a leader is C; p22 also belongs to B (leader2) by its annual plan
    assert node(plan, "g2").pk not in owners
    assert owners[node(plan, "p22").pk] == {groups["leader2"].pk}
    assert owners[node(plan, "p21").pk] == {groups["leader"].pk, groups["sub"].pk}


def test_an_item_of_another_plan_is_never_owned(plan, groups, councils):
    other = create_plan(council=councils["a"], nodes=5, issues=0, title="別の計画")
    stranger = other.nodes.first()
    assert not owns_node(groups["leader"], plan, stranger, YEAR)
    assert not can_report(groups["leader"], plan, stranger, YEAR)


# --------------------------------------------------------------------------- bulk forms: fixed queries


def _queries(fn):
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_bulk_forms_read_a_fixed_number_of_queries(councils, make_user):
    leader = make_user("big_leader", "leader", councils["a"])
    counts = []
    for size in (10, 300):
        plan = create_plan(council=councils["a"], nodes=size, issues=0, title=f"{size}項目")
        roots = list(plan.nodes.filter(parent__isnull=True))
        for k, root in enumerate(roots[:3]):
            group = WorkingGroup.objects.create(plan=plan, name=f"会{k}", leader=leader)
            group.nodes.add(root)
        for n in plan.nodes.filter(parent__isnull=False)[: size // 3]:
            a = AnnualPlan.objects.create(node=n, fiscal_year=YEAR, working_group=group)
            a.owners.add(leader)
        counts.append(
            (
                _queries(lambda plan=plan: plan_ownership(plan, [YEAR, YEAR + 1]).owners(YEAR)),
                _queries(lambda plan=plan: owned_node_ids(leader, plan, YEAR)),
            )
        )
        everyone = plan_ownership(plan, [YEAR]).owners(YEAR)
        assert owned_node_ids(leader, plan, YEAR) == {n for n, people in everyone.items() if leader.pk in people}
    assert counts[0] == counts[1], counts
    assert counts[0][0] <= 5 and counts[0][1] <= 5, counts


def test_the_node_page_offers_the_report_form_where_the_rule_allows_it(plan, groups, users, client, monkeypatch):
    monkeypatch.setattr("sasaeai.progress.selectors.default_fiscal_year", lambda plan: YEAR)  # the page's year
    button = "進捗を報告する"

    def offered(user, title):
        client.force_login(user)
        page = client.get(reverse("plans:node", args=[plan.pk, node(plan, title).pk]))
        assert page.status_code == 200
        return button in page.content.decode()

    with_dates = {"p21": True, "p12": True, "p31": False, "g2": False}  # p21 only through its annual plan
    assert {t: offered(groups["leader"], t) for t in with_dates} == with_dates
    assert {t: offered(groups["leader2"], t) for t in with_dates} == {
        "p21": False,
        "p12": False,
        "p31": True,
        "g2": False,
    }
    assert offered(users["editor"], "g2") and not offered(users["viewer"], "p21")
