"""The screens: import with preview, forms that refuse bad input in place, export, 体系図."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sasaeai.core.models import AuditEntry
from sasaeai.demo.generator import create_plan
from sasaeai.plans import services
from sasaeai.plans.models import Plan, PlanNode

from .factories import VALID, upload


def mgmt(prefix, total=0, initial=0):
    """The management fields a formset needs (here: no rows)."""
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


NO_ACTIONS = mgmt("actions")
NO_PHASES_OR_SECTIONS = {**mgmt("phases"), **mgmt("sections")}


def test_import_preview_then_confirm(client, users, councils):
    client.force_login(users["editor"])
    response = upload(client, councils["a"], VALID.encode())
    html = response.content.decode()
    assert response.status_code == 200 and "取り込む内容の確認" in html and "テスト計画" in html
    assert not Plan.objects.exists()  # nothing saved before confirming
    sha = response.context["sha"]
    response = client.post(reverse("plans:import", args=[councils["a"].pk]), {"confirm": "1", "sha": sha})
    plan = Plan.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("plans:overview", args=[plan.pk])
    assert PlanNode.objects.filter(plan=plan).count() == 2
    assert AuditEntry.objects.filter(action="plan.import", plan_id=plan.pk, actor=users["editor"]).exists()


def test_confirm_without_a_pending_upload_saves_nothing(client, users, councils):
    client.force_login(users["editor"])
    response = client.post(reverse("plans:import", args=[councils["a"].pk]), {"confirm": "1", "sha": "x"}, follow=True)
    assert "確認中の取り込みが見つかりません" in response.content.decode()
    assert not Plan.objects.exists()


@pytest.mark.parametrize(
    "content, expected",
    [
        (VALID.encode("cp932"), "Shift_JIS"),
        (b"format: sasaeai-plan/1\nplans: [\n", "YAML として読み取れません"),
        (VALID.replace("  kind: activity\n", "").encode(), "plans[1].kind（計画の種類）"),
        (VALID.replace("テスト市社会福祉協議会", "別の社会福祉協議会").encode(), "一致しません"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "バイナリ"),
    ],
)
def test_bad_upload_shows_the_problem_and_saves_nothing(client, users, councils, content, expected):
    client.force_login(users["editor"])
    response = upload(client, councils["a"], content)
    html = response.content.decode()
    assert response.status_code == 200
    assert "取り込んでいません" in html and expected in html
    assert not Plan.objects.exists() and not PlanNode.objects.exists()


def test_oversized_upload_is_refused_politely(client, users, councils, settings):
    settings.SASAEAI_PLAN_FILE_MAX_BYTES = 1000
    client.force_login(users["editor"])
    response = upload(client, councils["a"], VALID.encode() + b"#" * 2000)
    assert response.status_code == 200 and "大きすぎます" in response.content.decode()
    assert not Plan.objects.exists()


def test_html_in_a_plan_file_is_escaped(client, users, councils):
    client.force_login(users["editor"])
    text = VALID.replace("title: 目標一", "title: <script>alert(1)</script>")
    sha = upload(client, councils["a"], text.encode()).context["sha"]
    client.post(reverse("plans:import", args=[councils["a"].pk]), {"confirm": "1", "sha": sha})
    plan = Plan.objects.get()
    for page in ("plans:structure", "plans:editor", "plans:overview", "plans:matrix"):
        html = client.get(reverse(page, args=[plan.pk])).content.decode()
        assert "<script>alert(1)</script>" not in html, page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, page


def test_export_downloads_the_canonical_file(client, users, councils):
    plan = create_plan(council=councils["a"], nodes=12, issues=3, title="書き出す計画")
    client.force_login(users["viewer"])
    response = client.get(reverse("plans:export", args=[plan.pk]))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"] and ".yaml" in response["Content-Disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("format: sasaeai-plan/1\ncouncil: テスト市社会福祉協議会\n")
    assert text.count("  title: ") >= 12


def test_node_form_adds_a_node_and_rejects_bad_input_in_place(client, users, small_plan):
    client.force_login(users["editor"])
    url = reverse("plans:node_create", args=[small_plan.pk])
    level = small_plan.levels.get(depth=0)
    before = PlanNode.objects.count()
    response = client.post(url, {"level": level.pk, "code": "", "title": "", **NO_ACTIONS})
    assert response.status_code == 200 and "このフィールドは必須です" in response.content.decode()
    assert PlanNode.objects.count() == before
    response = client.post(
        url, {"level": level.pk, "code": "9", "title": "新しい目標", "is_priority": "on", **NO_ACTIONS}
    )
    assert response.status_code == 302
    node = PlanNode.objects.get(title="新しい目標")
    assert node.is_priority and node.parent is None


def test_node_form_reports_concurrent_edit(client, users, small_plan):
    client.force_login(users["editor"])
    node = small_plan.nodes.order_by("pk").first()
    url = reverse("plans:node_edit", args=[small_plan.pk, node.pk])
    form = {"level": node.level_id, "code": node.code, "title": "一人目の変更", "version": node.version, **NO_ACTIONS}
    assert client.post(url, form).status_code == 302
    form["title"] = "二人目の変更"
    response = client.post(url, form)
    assert response.status_code == 200 and "他の人がこの内容を更新しました" in response.content.decode()
    node.refresh_from_db()
    assert node.title == "一人目の変更"


def test_plan_form_accepts_wareki_and_rejects_nonsense(client, users, small_plan):
    client.force_login(users["editor"])
    url = reverse("plans:edit", args=[small_plan.pk])
    data = {
        "title": small_plan.title,
        "kind": "activity",
        "status": "active",
        "period_start": "令和8年度",
        "period_end": "R12",
        "version": small_plan.version,
        **NO_PHASES_OR_SECTIONS,
    }
    assert client.post(url, data).status_code == 302
    small_plan.refresh_from_db()
    assert (small_plan.period_start, small_plan.period_end) == (2026, 2030)
    data.update(period_end="平成32年度", version=small_plan.version)
    response = client.post(url, data)
    assert response.status_code == 200 and "平成32年度" in response.content.decode()
    data.update(period_end="2020")
    response = client.post(url, data)
    assert "終了年度は開始年度以降にしてください" in response.content.decode()
    small_plan.refresh_from_db()
    assert small_plan.period_end == 2030


def test_create_plan_in_the_browser(client, users, councils):
    client.force_login(users["editor"])
    response = client.post(
        reverse("plans:create", args=[councils["a"].pk]),
        {
            "title": "第1次テスト地域福祉活動計画",
            "kind": "activity",
            "status": "drafting",
            "period_start": "2027",
            "period_end": "2031",
            "levels": "基本目標\n推進目標",
        },
    )
    plan = Plan.objects.get(title="第1次テスト地域福祉活動計画")
    assert response.status_code == 302
    assert list(plan.levels.values_list("name", flat=True)) == ["基本目標", "推進目標"]


def test_rename_level_in_the_browser(client, users, small_plan):
    client.force_login(users["editor"])
    response = client.post(
        reverse("plans:levels", args=[small_plan.pk]),
        {"level_0": "基本方針", "level_1": "推進目標", "level_2": "推進事業", "level_3": "事業細目", "new_level": ""},
    )
    assert response.status_code == 302
    assert small_plan.levels.get(depth=0).name == "基本方針"
    html = client.get(reverse("plans:structure", args=[small_plan.pk])).content.decode()
    assert '<div class="structure-colhead">基本方針</div>' in html


def test_delete_plan_needs_the_title(client, users, small_plan):
    client.force_login(users["admin"])
    url = reverse("plans:delete", args=[small_plan.pk])
    client.post(url, {"confirm_title": "違う名前"})
    assert Plan.objects.filter(pk=small_plan.pk).exists()
    client.post(url, {"confirm_title": small_plan.title})
    assert not Plan.objects.filter(pk=small_plan.pk).exists()
    assert AuditEntry.objects.filter(action="plan.delete", plan_id=small_plan.pk).exists()


def test_history_pages_show_before_and_after(client, users, small_plan):
    client.force_login(users["editor"])
    node = small_plan.nodes.order_by("pk").first()
    client.post(
        reverse("plans:node_edit", args=[small_plan.pk, node.pk]),
        {"level": node.level_id, "code": node.code, "title": "変更後の名称", "version": node.version, **NO_ACTIONS},
    )
    for url in (reverse("plans:history", args=[small_plan.pk]), reverse("plans:node", args=[small_plan.pk, node.pk])):
        html = client.get(url).content.decode()
        assert f"<del>{node.title}</del> → <ins>変更後の名称</ins>" in html
        assert users["editor"].username in html


# ----------------------------------------------------------------------------- query counts


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("page", ["plans:structure", "plans:overview", "plans:matrix", "plans:editor"])
def test_plan_pages_run_the_same_queries_for_10_and_2000_nodes(client, users, councils, page):
    small = create_plan(council=councils["a"], nodes=10, issues=5, title="10項目")
    large = create_plan(council=councils["a"], nodes=2000, issues=30, title="2000項目")
    client.force_login(users["admin"])
    client.get(reverse("home"))  # warm the session
    counts = [_queries(client, reverse(page, args=[p.pk])) for p in (small, large)]
    assert counts[0] == counts[1], counts
    assert counts[0] <= 15


def test_node_page_query_count_is_flat(client, users, councils):
    small = create_plan(council=councils["a"], nodes=10, issues=5, title="10項目")
    large = create_plan(council=councils["a"], nodes=2000, issues=30, title="2000項目")
    client.force_login(users["admin"])
    counts = [
        _queries(client, reverse("plans:node", args=[p.pk, p.nodes.filter(parent=None).first().pk]))
        for p in (small, large)
    ]
    assert counts[0] == counts[1], counts


def test_node_form_edits_actions(client, users, small_plan):
    client.force_login(users["editor"])
    node = small_plan.nodes.order_by("pk").first()
    url = reverse("plans:node_edit", args=[small_plan.pk, node.pk])
    data = {
        "level": node.level_id,
        "code": node.code,
        "title": node.title,
        "version": node.version,
        **mgmt("actions", total=2),
        "actions-0-actor": "community",
        "actions-0-examples": "居場所づくり\n\n見守り訪問など",
        "actions-0-steps": "①：知る",
        "actions-1-actor": "",
        "actions-1-text": "",
    }  # the second row is left untouched: ignored
    assert client.post(url, data).status_code == 302
    action = node.actions.get()
    assert (action.actor, action.examples, action.steps) == (
        "community",
        ["居場所づくり", "見守り訪問など"],
        ["①：知る"],
    )
    # the form shows them again, and ticking 削除 removes the row
    html = client.get(url).content.decode()
    assert "居場所づくり\n見守り訪問など" in html
    node.refresh_from_db()
    data.update({"version": node.version, **mgmt("actions", total=1, initial=1), "actions-0-DELETE": "on"})
    assert client.post(url, data).status_code == 302
    assert not node.actions.exists()
    # content without an actor is refused in place
    data.update(
        {
            "version": node.version,
            **mgmt("actions", total=1),
            "actions-0-DELETE": "",
            "actions-0-actor": "",
            "actions-0-text": "主体のない取り組み",
        }
    )
    response = client.post(url, data)
    assert "取り組む主体（地域／社協）を選んでください" in response.content.decode()


def test_node_form_refuses_an_action_without_content(client, users, small_plan):
    client.force_login(users["editor"])
    node = small_plan.nodes.order_by("pk").first()
    data = {
        "level": node.level_id,
        "code": node.code,
        "title": "変えない",
        "version": node.version,
        **mgmt("actions", total=1),
        "actions-0-actor": "council",
        "actions-0-text": " ",
    }
    response = client.post(reverse("plans:node_edit", args=[small_plan.pk, node.pk]), data)
    # choosing the actor alone changes the row, so it is checked and refused
    assert response.status_code == 200 and "内容・例・段階のどれかを入力してください" in response.content.decode()
    node.refresh_from_db()
    assert node.title != "変えない"


def test_plan_form_edits_phases_and_sections(client, users, small_plan):
    client.force_login(users["editor"])
    data = {
        "title": small_plan.title,
        "kind": "activity",
        "status": "active",
        "period_start": "2026",
        "period_end": "2030",
        "version": small_plan.version,
        **mgmt("phases", total=2),
        "phases-0-name": "前期",
        "phases-0-start_year": "令和8年度",
        "phases-0-end_year": "令和10年度",
        "phases-1-name": "後期",
        "phases-1-start_year": "2029",
        "phases-1-end_year": "2030",
        **mgmt("sections", total=1),
        "sections-0-title": "推進体制",
        "sections-0-body": "本文",
    }
    assert client.post(reverse("plans:edit", args=[small_plan.pk]), data).status_code == 302
    assert list(small_plan.phases.values_list("name", "start_year", "end_year")) == [
        ("前期", 2026, 2028),
        ("後期", 2029, 2030),
    ]
    html = client.get(reverse("plans:overview", args=[small_plan.pk])).content.decode()
    assert "前期: 令和8年度〜令和10年度 (2026〜2028年度)" in html and "推進体制" in html


# --------------------------------------------------------------------------- inputs that once failed


def test_deep_nesting_through_the_import_view(client, users, councils):
    client.force_login(users["editor"])
    response = upload(client, councils["a"], b"[" * 30000 + b"]" * 30000)
    assert response.status_code == 200 and "入れ子が深すぎます" in response.content.decode()


def test_municipal_plan_end_before_start_is_caught_at_preview(client, users, councils):
    text = VALID.replace(
        "  levels:\n", "  municipal_plan:\n    name: 市の計画\n    start: 2030\n    end: 2020\n  levels:\n"
    )
    client.force_login(users["editor"])
    response = upload(client, councils["a"], text.encode())
    assert "終了年度が開始年度より前です" in response.content.decode()
    assert not Plan.objects.exists()


def test_move_to_the_top_through_the_form(client, users, move_plan):
    client.force_login(users["editor"])
    node = PlanNode.objects.get(plan=move_plan, title="3")
    response = client.post(reverse("plans:node_move", args=[move_plan.pk, node.pk]), {"parent": "", "position": "-1"})
    assert response.status_code == 302
    node.refresh_from_db()
    assert node.parent is None and node.level.name == "A"


def test_history_shows_non_text_values(client, users, move_plan):
    client.force_login(users["editor"])
    g = PlanNode.objects.get(plan=move_plan, title="g")
    services.node_create(plan=move_plan, parent=g, by=users["editor"], title="重点の項目", is_priority=True)
    html = client.get(reverse("plans:history", args=[move_plan.pk])).content.decode()
    assert '<span class="muted">is_priority</span><span><ins>はい</ins>' in html


def test_long_level_names_are_refused_in_the_create_form(client, users, councils):
    client.force_login(users["editor"])
    response = client.post(
        reverse("plans:create", args=[councils["a"].pk]),
        {"title": "長い階層名", "kind": "activity", "status": "drafting", "levels": "あ" * 80},
    )
    assert "階層名は50文字までです" in response.content.decode()
    assert not Plan.objects.filter(title="長い階層名").exists()


def test_matrix_names_the_chosen_level(client, users, move_plan):
    client.force_login(users["viewer"])
    services.issue_create(plan=move_plan, by=None, code="01", title="課題")
    html = client.get(reverse("plans:matrix", args=[move_plan.pk]) + "?level=1").content.decode()
    assert "地域生活課題とBの対応" in html and "列: B" in html
