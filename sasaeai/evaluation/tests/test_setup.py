"""A council's evaluation settings are made when the council is created; reading a page writes nothing."""

from django.urls import reverse

from sasaeai.accounts.models import Membership
from sasaeai.core.models import AuditEntry, Council
from sasaeai.core.services import council_create
from sasaeai.demo.generator import create_plan
from sasaeai.evaluation.models import Direction, EvaluationScale, Grade


def test_a_new_council_is_set_up_for_evaluation(db):
    parent = council_create(name="新しい県社会福祉協議会", kind="prefecture")
    council = council_create(name="新しい市社会福祉協議会", parent=parent)
    entry = AuditEntry.objects.get(action="council.create", council=council)
    assert entry.after == {
        "名称": "新しい市社会福祉協議会",
        "種別": "市区町村社協",
        "上位の社協": "新しい県社会福祉協議会",
    }
    scale = EvaluationScale.objects.get(council=council)
    assert [g.code for g in Grade.objects.filter(scale=scale).order_by("position")] == ["A", "B", "C", "D"]
    assert [d.name for d in Direction.objects.filter(council=council).order_by("position")] == [
        "拡充",
        "継続",
        "見直し",
        "縮小",
        "廃止",
        "完了",
    ]


def test_pages_of_a_council_without_settings_write_nothing_and_offer_the_setup(make_user, client):
    council = Council.objects.create(name="設定のない市社会福祉協議会")  # as before council_create existed
    plan = create_plan(council=council, nodes=4, issues=0, title="設定のない計画")
    admin = make_user("setup_admin", "admin", council)
    viewer = make_user("setup_viewer", "viewer", council)
    client.force_login(viewer)
    for url in (
        reverse("evaluation:plan", args=[plan.pk]),
        reverse("evaluation:project", args=[plan.pk, plan.nodes.order_by("-pk").first().pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert "評価の設定がまだありません" in response.content.decode()
        assert "標準の尺度と方向性で始める" not in response.content.decode()  # a viewer cannot
    assert not EvaluationScale.objects.filter(council=council).exists()
    assert not Direction.objects.filter(council=council).exists()

    client.force_login(admin)
    settings_url = reverse("evaluation:settings", args=[council.pk])
    assert "標準の尺度と方向性で始める" in client.get(settings_url).content.decode()
    assert not EvaluationScale.objects.filter(council=council).exists()
    response = client.post(settings_url, {"part": "setup"})
    assert response.status_code == 302
    assert EvaluationScale.objects.filter(council=council).count() == 1
    assert Direction.objects.filter(council=council).count() == 6
    assert client.get(reverse("evaluation:plan", args=[plan.pk])).status_code == 200
    assert Membership.objects.filter(council=council).count() == 2
