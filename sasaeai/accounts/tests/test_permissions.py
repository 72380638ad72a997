"""Role × action matrix across two councils. The expected table is written out here by hand,
so a change to the role mapping or to a view's declared permission fails this test."""

import pytest
from django.urls import reverse

from sasaeai.accounts.permissions import PERMISSIONS, ROLE_PERMISSIONS
from sasaeai.demo.generator import create_plan

# What each role may do, as the product decision reads (not derived from the code).
EXPECTED = {
    "admin": {
        "plans.view",
        "plans.export",
        "plans.create",
        "plans.edit",
        "plans.import",
        "plans.delete",
        "audit.view",
        "councils.manage",
        "councils.create",
        "members.manage",
        "accounts.security",
        "progress.view",
        "progress.manage",
        "progress.report",
        "progress.attachments",
        "evaluation.view",
        "evaluation.self",
        "evaluation.review",
        "evaluation.internal",
        "evaluation.external",
        "evaluation.opinion",
        "evaluation.final",
        "evaluation.reopen",
        "evaluation.settings",
        "evaluation.close_year",
        "evaluation.midterm",
        "evaluation.export",
        "participation.view",
        "participation.manage",
        "participation.comments",
        "participation.materials",
        "publishing.publish",
        "publishing.settings",
    },
    "editor": {
        "plans.view",
        "plans.export",
        "plans.create",
        "plans.edit",
        "plans.import",
        "audit.view",
        "progress.view",
        "progress.manage",
        "progress.report",
        "progress.attachments",
        "evaluation.view",
        "evaluation.self",
        "evaluation.review",
        "evaluation.internal",
        "evaluation.final",
        "evaluation.close_year",
        "evaluation.midterm",
        "evaluation.export",
        "participation.view",
        "participation.manage",
        "participation.comments",
        "participation.materials",
        "publishing.publish",
    },
    "leader": {
        "plans.view",
        "plans.export",
        "progress.view",
        "progress.report_own",
        "progress.attachments",
        "evaluation.view",
        "evaluation.self_own",
        "evaluation.review_own",
        "evaluation.export",
        "participation.view",
        "participation.materials",
    },
    "reporter": {
        "plans.view",
        "progress.view",
        "progress.report_own",
        "progress.attachments",
        "evaluation.view",
        "evaluation.self_own",
    },
    "viewer": {
        "plans.view",
        "plans.export",
        "progress.view",
        "progress.attachments",
        "evaluation.view",
        "evaluation.export",
        "participation.view",
        "participation.materials",
    },
    # 評価委員: reads plan, progress and the internal evaluation; writes the external evaluation and 答申.
    "committee": {
        "plans.view",
        "progress.view",
        "evaluation.view_internal",
        "evaluation.external",
        "evaluation.opinion",
        "participation.view",
    },
}
ROLES = ["admin", "editor", "leader", "reporter", "viewer", "committee"]
READ_EVALUATION = ("evaluation.view", "evaluation.view_internal")


def leaf(plan):
    return plan.nodes.filter(children__isnull=True).order_by("pk").first()


# (name, permission, method, url builder)
PLAN_ACTIONS = [
    ("overview", "plans.view", "get", lambda p, n, i: reverse("plans:overview", args=[p.pk])),
    ("structure", "plans.view", "get", lambda p, n, i: reverse("plans:structure", args=[p.pk])),
    ("matrix", "plans.view", "get", lambda p, n, i: reverse("plans:matrix", args=[p.pk])),
    ("node", "plans.view", "get", lambda p, n, i: reverse("plans:node", args=[p.pk, n.pk])),
    ("export", "plans.export", "get", lambda p, n, i: reverse("plans:export", args=[p.pk])),
    ("history", "audit.view", "get", lambda p, n, i: reverse("plans:history", args=[p.pk])),
    ("edit", "plans.edit", "get", lambda p, n, i: reverse("plans:edit", args=[p.pk])),
    ("editor", "plans.edit", "get", lambda p, n, i: reverse("plans:editor", args=[p.pk])),
    ("levels", "plans.edit", "get", lambda p, n, i: reverse("plans:levels", args=[p.pk])),
    ("node_create", "plans.edit", "get", lambda p, n, i: reverse("plans:node_create", args=[p.pk])),
    ("node_edit", "plans.edit", "get", lambda p, n, i: reverse("plans:node_edit", args=[p.pk, n.pk])),
    ("node_move", "plans.edit", "get", lambda p, n, i: reverse("plans:node_move", args=[p.pk, n.pk])),
    ("node_delete", "plans.edit", "get", lambda p, n, i: reverse("plans:node_delete", args=[p.pk, n.pk])),
    ("node_quick", "plans.edit", "post", lambda p, n, i: reverse("plans:node_quick", args=[p.pk, n.pk])),
    ("issue_create", "plans.edit", "get", lambda p, n, i: reverse("plans:issue_create", args=[p.pk])),
    ("issue_edit", "plans.edit", "get", lambda p, n, i: reverse("plans:issue_edit", args=[p.pk, i.pk])),
    ("issue_delete", "plans.edit", "get", lambda p, n, i: reverse("plans:issue_delete", args=[p.pk, i.pk])),
    ("delete", "plans.delete", "get", lambda p, n, i: reverse("plans:delete", args=[p.pk])),
    ("progress", "progress.view", "get", lambda p, n, i: reverse("progress:plan", args=[p.pk])),
    ("schedule", "progress.manage", "get", lambda p, n, i: reverse("progress:schedule", args=[p.pk])),
    (
        "indicator_new",
        "progress.manage",
        "get",
        lambda p, n, i: reverse("progress:indicator_create", args=[p.pk, n.pk]),
    ),
    ("report", "progress.report", "get", lambda p, n, i: reverse("progress:report", args=[p.pk, n.pk])),
    ("evaluation", READ_EVALUATION, "get", lambda p, n, i: reverse("evaluation:plan", args=[p.pk])),
    (
        "evaluation_project",
        READ_EVALUATION,
        "get",
        lambda p, n, i: reverse("evaluation:project", args=[p.pk, leaf(p).pk]),
    ),
    ("evaluation_opinion", READ_EVALUATION, "get", lambda p, n, i: reverse("evaluation:opinion", args=[p.pk])),
    ("close_year", "evaluation.close_year", "get", lambda p, n, i: reverse("evaluation:close", args=[p.pk])),
    ("midterm", READ_EVALUATION, "get", lambda p, n, i: reverse("midterm:list", args=[p.pk])),
    ("next_plan", "plans.create", "get", lambda p, n, i: reverse("midterm:next_plan", args=[p.pk])),
    ("evaluation_reports", "evaluation.export", "get", lambda p, n, i: reverse("evaluation_reports:page", args=[p.pk])),
    ("evaluation_pdf", "evaluation.export", "get", lambda p, n, i: reverse("evaluation_reports:pdf", args=[p.pk])),
    ("participation", "participation.view", "get", lambda p, n, i: reverse("participation:overview", args=[p.pk])),
    ("voices", "participation.view", "get", lambda p, n, i: reverse("participation:voices", args=[p.pk])),
    ("trace", "participation.view", "get", lambda p, n, i: reverse("participation:trace", args=[p.pk])),
    ("issue_voices", "participation.view", "get", lambda p, n, i: reverse("participation:issue", args=[p.pk, i.pk])),
    ("sessions", "participation.view", "get", lambda p, n, i: reverse("participation:sessions", args=[p.pk])),
    ("steps", "participation.manage", "get", lambda p, n, i: reverse("participation:steps", args=[p.pk])),
    ("voice_create", "participation.manage", "get", lambda p, n, i: reverse("participation:voice_create", args=[p.pk])),
    ("comment_periods", "participation.comments", "get", lambda p, n, i: reverse("comments:periods", args=[p.pk])),
    ("publishing", "publishing.publish", "get", lambda p, n, i: reverse("publishing:plan", args=[p.pk])),
    (
        "publish_structure",
        "publishing.publish",
        "get",
        lambda p, n, i: reverse("publishing:publish", args=[p.pk, "structure", 0]),
    ),
]
COUNCIL_ACTIONS = [
    ("council", "plans.view", lambda c: reverse("council_detail", args=[c.pk])),
    ("create", "plans.create", lambda c: reverse("plans:create", args=[c.pk])),
    ("import", "plans.import", lambda c: reverse("plans:import", args=[c.pk])),
    ("council_edit", "councils.manage", lambda c: reverse("council_edit", args=[c.pk])),
    ("evaluation_settings", "evaluation.settings", lambda c: reverse("evaluation:settings", args=[c.pk])),
    ("committees", "participation.view", lambda c: reverse("participation:committees", args=[c.pk])),
    ("committee_create", "participation.manage", lambda c: reverse("participation:committee_create", args=[c.pk])),
    ("members", "members.manage", lambda c: reverse("members:list", args=[c.pk])),
    ("member_invite", "members.manage", lambda c: reverse("members:invite", args=[c.pk])),
    ("council_child_new", "councils.create", lambda c: reverse("members:council_child_new", args=[c.pk])),
    ("public_site", ("publishing.publish", "publishing.settings"), lambda c: reverse("publishing:site", args=[c.pk])),
]


def _allowed(role, permission):
    wanted = (permission,) if isinstance(permission, str) else permission
    return any(p in EXPECTED[role] for p in wanted)


def test_role_mapping_matches_the_expected_table():
    assert {role.value: set(perms) for role, perms in ROLE_PERMISSIONS.items()} == EXPECTED
    assert set(PERMISSIONS) == set().union(*EXPECTED.values())


@pytest.fixture
def world(users, councils):
    plans = {}
    for key in ("a", "a_child", "b"):
        plan = create_plan(council=councils[key], nodes=6, issues=2, title=f"計画{key}")
        plans[key] = (plan, plan.nodes.order_by("pk").first(), plan.issues.first())
    return plans


def _status(client, method, url):
    response = client.post(url, {"action": "down"}) if method == "post" else client.get(url)
    return response.status_code


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("where", ["a", "a_child", "b"])
def test_plan_action_matrix(client, users, world, role, where):
    """A role in council A applies to A and its child council; in B it gives nothing (404)."""
    client.force_login(users[role])
    plan, node, issue = world[where]
    got, want = {}, {}
    for name, permission, method, url in PLAN_ACTIONS:
        got[name] = _status(client, method, url(plan, node, issue))
        allowed = where != "b" and _allowed(role, permission)
        want[name] = (302 if method == "post" else 200) if allowed else 404
    assert got == want


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("where", ["a", "a_child", "b"])
def test_council_action_matrix(client, users, councils, role, where):
    client.force_login(users[role])
    got = {name: client.get(url(councils[where])).status_code for name, _, url in COUNCIL_ACTIONS}
    want = {name: 200 if where != "b" and _allowed(role, perm) else 404 for name, perm, _ in COUNCIL_ACTIONS}
    assert got == want


def test_outsider_and_nobody_get_the_same_not_found_as_a_missing_plan(client, users, world):
    plan, _node, _issue = world["a"]
    client.force_login(users["outsider"])
    foreign = client.get(reverse("plans:overview", args=[plan.pk]))
    missing = client.get(reverse("plans:overview", args=[plan.pk + 10_000]))
    assert foreign.status_code == missing.status_code == 404
    assert foreign.content == missing.content
    client.force_login(users["nobody"])
    assert client.get(reverse("plans:structure", args=[plan.pk])).status_code == 404


def test_node_of_another_plan_is_not_found_through_a_permitted_plan(client, users, world):
    plan_a, _, _ = world["a"]
    _, node_b, _ = world["b"]
    client.force_login(users["admin"])
    assert client.get(reverse("plans:node_edit", args=[plan_a.pk, node_b.pk])).status_code == 404


def test_anonymous_is_sent_to_login(client, world):
    plan, _, _ = world["a"]
    response = client.get(reverse("plans:structure", args=[plan.pk]))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_home_lists_only_visible_councils_and_plans(client, users, world):
    client.force_login(users["viewer"])
    html = client.get(reverse("home")).content.decode()
    assert "計画a" in html and "計画a_child" in html
    assert "計画b" not in html and "よそ市社会福祉協議会" not in html
    assert "あなたの役割: 閲覧者" in html


def test_viewer_sees_no_edit_links_or_history(client, users, world):
    plan, _, _ = world["a"]
    client.force_login(users["viewer"])
    html = client.get(reverse("plans:overview", args=[plan.pk])).content.decode()
    assert reverse("plans:editor", args=[plan.pk]) not in html
    assert reverse("plans:history", args=[plan.pk]) not in html
    client.force_login(users["editor"])
    html = client.get(reverse("plans:overview", args=[plan.pk])).content.decode()
    assert reverse("plans:editor", args=[plan.pk]) in html


def test_csrf_is_enforced(users, world):
    from django.test import Client

    plan, node, _ = world["a"]
    assert node.is_priority is False
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["admin"])
    response = client.post(reverse("plans:node_quick", args=[plan.pk, node.pk]), {"action": "priority_on"})
    assert response.status_code == 403
    node.refresh_from_db()
    assert node.is_priority is False


def test_council_admin_edits_contact_details_and_branches(client, users, councils):
    from sasaeai.core.models import AuditEntry, Branch

    client.force_login(users["admin"])
    url = reverse("council_edit", args=[councils["a"].pk])
    data = {
        "postal_code": "021-0877",
        "address": "一関市城内1-36",
        "phone": "0191-23-6020",
        "fax": "",
        "email": "",
        "url": "",
        "branches-TOTAL_FORMS": "2",
        "branches-INITIAL_FORMS": "0",
        "branches-MIN_NUM_FORMS": "0",
        "branches-MAX_NUM_FORMS": "1000",
        "branches-0-name": "花泉支部",
        "branches-0-phone": "0191-82-4002",
        "branches-1-name": "",
    }
    assert client.post(url, data).status_code == 302
    councils["a"].refresh_from_db()
    assert councils["a"].phone == "0191-23-6020"
    assert list(Branch.objects.filter(council=councils["a"]).values_list("name", "phone")) == [
        ("花泉支部", "0191-82-4002")
    ]
    entry = AuditEntry.objects.get(action="council.update")
    assert entry.after["branches"] == ["花泉支部"] and entry.actor == users["admin"]
    data["email"] = "not-an-address"
    response = client.post(url, data)
    assert response.status_code == 200 and "有効なメールアドレスを入力してください" in response.content.decode()
    councils["a"].refresh_from_db()
    assert councils["a"].email == ""


# --------------------------------------------------------------------------- downloads
# What each role may download, as docs/permissions.md ("Downloads") says: a 評価委員 downloads nothing.
DOWNLOADS = [
    ("plan_file", "plans.export", lambda w: reverse("plans:export", args=[w["plan"].pk])),
    ("evaluation_xlsx", "evaluation.export", lambda w: reverse("evaluation_reports:xlsx", args=[w["plan"].pk])),
    ("evaluation_csv", "evaluation.export", lambda w: reverse("evaluation_reports:csv", args=[w["plan"].pk])),
    ("progress_workbook", "progress.report", lambda w: reverse("excel:download", args=[w["plan"].pk])),
    (
        "report_attachment",
        "progress.attachments",
        lambda w: reverse("progress:attachment", args=[w["plan"].pk, w["attachment"].pk]),
    ),
    (
        "survey_workbook",
        "participation.manage",
        lambda w: reverse("surveys:export", args=[w["plan"].pk, w["survey"].pk]),
    ),
    (
        "committee_material",
        "participation.materials",
        lambda w: reverse("participation:material", args=[w["plan"].council_id, w["material"].pk]),
    ),
    (
        "comment_export",
        "participation.comments",
        lambda w: reverse("comments:export", args=[w["plan"].pk, w["period"].pk]),
    ),
]


def _download_world(plan, by):
    from datetime import timedelta

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from sasaeai.participation.models import Committee, CommitteeMeeting, MeetingMaterial
    from sasaeai.participation.services import comments, surveys
    from sasaeai.progress.models import ProgressReport, ReportAttachment

    node = leaf(plan)
    report = ProgressReport.objects.create(node=node, fiscal_year=plan.period_start, period=1, done_text="サロン")
    attachment = ReportAttachment(report=report, name="写真.jpg", size=3, content_type="image/jpeg")
    attachment.file.save("photo.jpg", ContentFile(b"jpg"), save=True)
    committee = Committee.objects.create(council=plan.council, plan=plan, name="策定委員会")
    meeting = CommitteeMeeting.objects.create(committee=committee, number=1)
    material = MeetingMaterial(meeting=meeting, name="資料.pdf", size=3, content_type="application/pdf")
    material.file.save("material.pdf", ContentFile(b"pdf"), save=True)
    survey = surveys.questionnaire_create(plan=plan, by=by, title="住民アンケート")
    surveys.question_save(questionnaire=survey, by=by, code="Q1", text="ご意見", kind="text")
    today = timezone.localdate()
    period = comments.period_save(
        plan=plan, by=by, title="募集", opens_on=today - timedelta(days=1), closes_on=today + timedelta(days=5)
    )
    return {"plan": plan, "attachment": attachment, "material": material, "survey": survey, "period": period}


@pytest.mark.parametrize("role", ROLES)
def test_download_matrix(client, users, councils, role):
    """Every download for every role, in its council and in another council (the same 404)."""
    worlds = {}
    for key in ("a", "b"):
        plan = create_plan(council=councils[key], nodes=4, issues=1, title=f"計画{key}")
        worlds[key] = _download_world(plan, users["admin"] if key == "a" else users["outsider"])
    client.force_login(users[role])
    for where, world in worlds.items():
        got = {name: client.get(url(world)).status_code for name, _perm, url in DOWNLOADS}
        want = {name: 200 if where == "a" and _allowed(role, perm) else 404 for name, perm, _url in DOWNLOADS}
        assert got == want, where


def test_a_committee_member_sees_no_download_links_and_no_staff_names(client, users, councils):
    from sasaeai.evaluation import midterm

    plan = create_plan(council=councils["a"], nodes=4, issues=1, title="計画")
    world = _download_world(plan, users["admin"])
    snapshot = midterm.snapshot_take(plan=plan, by=users["editor"], title="中間評価")
    node = world["attachment"].report.node
    pages = {
        "node": reverse("plans:node", args=[plan.pk, node.pk]),
        "committee": reverse(
            "participation:committee", args=[councils["a"].pk, world["material"].meeting.committee_id]
        ),
        "survey": reverse("surveys:results", args=[plan.pk, world["survey"].pk]),
        "midterm_list": reverse("midterm:list", args=[plan.pk]),
        "snapshot": reverse("midterm:snapshot", args=[plan.pk, snapshot.pk]),
    }
    links = {
        "node": reverse("progress:attachment", args=[plan.pk, world["attachment"].pk]),
        "committee": reverse("participation:material", args=[councils["a"].pk, world["material"].pk]),
        "survey": reverse("surveys:export", args=[plan.pk, world["survey"].pk]),
    }
    staff_name = str(users["editor"])
    for role in ("committee", "editor"):
        client.force_login(users[role])
        for name, page in pages.items():
            response = client.get(page)
            assert response.status_code == 200, (role, name)
            html = response.content.decode()
            if name in links:
                assert (links[name] in html) == (role == "editor"), (role, name)
            if name in ("midterm_list", "snapshot"):
                assert (staff_name in html) == (role == "editor"), (role, name)
    client.force_login(users["committee"])
    assert "写真.jpg" in client.get(pages["node"]).content.decode()  # the name is listed, not linked
