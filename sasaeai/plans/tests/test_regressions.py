"""Regression tests for bugs found in review (each failed before its fix)."""

import pytest
from django.urls import reverse

from sasaeai.plans import planfile, services
from sasaeai.plans.models import Plan, PlanNode
from sasaeai.plans.tests.test_planfile import MAX, VALID, problems_of
from sasaeai.plans.tests.test_views import upload


def test_deeply_nested_yaml_is_refused_instead_of_crashing_the_process():
    err = problems_of(b"[" * 30000 + b"]" * 30000)
    assert "入れ子が深すぎます（64 段まで）" in str(err)
    assert "入れ子が深すぎます" in str(problems_of(b"a: " + b"[" * 100000))


def test_deep_nesting_through_the_import_view(client, users, councils):
    client.force_login(users["editor"])
    response = upload(client, councils["a"], b"[" * 30000 + b"]" * 30000)
    assert response.status_code == 200 and "入れ子が深すぎます" in response.content.decode()


@pytest.mark.parametrize(
    "change",
    [
        ("  kind: activity\n", "  kind: [activity]\n"),
        ("  kind: activity\n", "  kind: activity\n  status: {a: b}\n"),
        ("      priority: true\n", "      priority: [a]\n"),
        ("      priority: true\n", "      priority: !!set {a: null}\n"),
        (
            "      priority: true\n",
            "      priority: true\n      actions:\n      - actor: [community]\n        text: x\n",
        ),
    ],
)
def test_lists_and_maps_where_a_word_is_expected(change):
    err = problems_of(VALID.replace(*change))
    assert err.problems  # a PlanFileError with a message, not a TypeError


@pytest.mark.parametrize(
    "value",
    [
        "!!int abc",
        "!!int ''",
        "!!float abc",
        "!!bool maybe",
        "!!timestamp abc",
        "!!int " + "9" * 5000,
        "!!int 0x" + "f" * 5000,
        "!!python/object:os.system x",
    ],
)
def test_explicit_tags_never_crash(value):
    text = VALID.replace("    end: 2030\n", f"    end: {value}\n")
    err = problems_of(text)
    assert all(len(str(p)) < 400 for p in err.problems)


def test_explicit_int_tag_on_a_year_still_reads():
    data = planfile.parse(VALID.replace("    end: 2030\n", "    end: !!int 2030\n").encode(), max_bytes=MAX)
    assert data.plans[0].period_end == 2030


def test_nul_in_an_escaped_string_is_refused():
    assert "NUL" in str(problems_of(VALID.replace("title: 目標一", 'title: "目標\\0一"')))


def test_municipal_plan_end_before_start_is_caught_at_preview(client, users, councils):
    text = VALID.replace(
        "  levels:\n", "  municipal_plan:\n    name: 市の計画\n    start: 2030\n    end: 2020\n  levels:\n"
    )
    client.force_login(users["editor"])
    response = upload(client, councils["a"], text.encode())
    assert "終了年度が開始年度より前です" in response.content.decode()
    assert not Plan.objects.exists()


@pytest.fixture
def plan(councils):
    plan = services.plan_create(
        council=councils["a"], by=None, title="移動の計画", kind="activity", levels=["A", "B", "C"]
    )
    g = services.node_create(plan=plan, parent=None, by=None, title="g")
    for t in ["2", "3", "4", "5", "6"]:
        services.node_create(plan=plan, parent=g, by=None, title=t)
    return plan


def titles(parent):
    return list(PlanNode.objects.filter(parent=parent).order_by("position").values_list("title", flat=True))


def test_move_within_the_same_parent_to_last(plan):
    g = PlanNode.objects.get(plan=plan, title="g")
    services.node_move(node=PlanNode.objects.get(plan=plan, title="2"), by=None, parent=g, position=None)
    assert titles(g) == ["3", "4", "5", "6", "2"]
    assert list(PlanNode.objects.filter(parent=g).order_by("position").values_list("position", flat=True)) == [
        0,
        1,
        2,
        3,
        4,
    ]


def test_move_to_the_top_through_the_form(client, users, plan):
    client.force_login(users["editor"])
    node = PlanNode.objects.get(plan=plan, title="3")
    response = client.post(reverse("plans:node_move", args=[plan.pk, node.pk]), {"parent": "", "position": "-1"})
    assert response.status_code == 302
    node.refresh_from_db()
    assert node.parent is None and node.level.name == "A"


def test_reordering_keeps_a_deliberately_skipped_level(plan):
    g = PlanNode.objects.get(plan=plan, title="g")
    deep = services.node_create(plan=plan, parent=g, by=None, title="深い", level=plan.levels.get(name="C"))
    services.node_move(node=deep, by=None, parent=g, position=0)
    deep.refresh_from_db()
    assert deep.level.name == "C" and titles(g)[0] == "深い"


def test_level_change_allowed_when_children_stay_deeper(plan):
    root = services.node_create(plan=plan, parent=None, by=None, title="root")
    services.node_create(plan=plan, parent=root, by=None, title="child", level=plan.levels.get(name="C"))
    services.node_update(node=root, by=None, level=plan.levels.get(name="B"))
    root.refresh_from_db()
    assert root.level.name == "B"


def test_history_shows_non_text_values(client, users, plan):
    client.force_login(users["editor"])
    g = PlanNode.objects.get(plan=plan, title="g")
    services.node_create(plan=plan, parent=g, by=users["editor"], title="重点の項目", is_priority=True)
    html = client.get(reverse("plans:history", args=[plan.pk])).content.decode()
    assert '<span class="muted">is_priority</span><span><ins>はい</ins>' in html


def test_long_level_names_are_refused_in_the_create_form(client, users, councils):
    client.force_login(users["editor"])
    response = client.post(
        reverse("plans:create", args=[councils["a"].pk]),
        {"title": "長い階層名", "kind": "activity", "status": "drafting", "levels": "あ" * 80},
    )
    assert "階層名は50文字までです" in response.content.decode()
    assert not Plan.objects.filter(title="長い階層名").exists()


def test_matrix_names_the_chosen_level(client, users, plan):
    client.force_login(users["viewer"])
    services.issue_create(plan=plan, by=None, code="01", title="課題")
    html = client.get(reverse("plans:matrix", args=[plan.pk]) + "?level=1").content.decode()
    assert "地域生活課題とBの対応" in html and "列: B" in html
