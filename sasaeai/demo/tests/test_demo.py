"""The five source plans are held faithfully: counts and wording only a faithful
transcription of shared/seeds has."""

import io

import pytest
from django.core.management import CommandError, call_command

from sasaeai.core.models import Branch, Council
from sasaeai.plans.models import CommunityIssue, NodeAction, Plan, PlanNode


def plan(title):
    return Plan.objects.get(title=title)


def nodes(p, level):
    return list(PlanNode.objects.filter(plan=p, level__name=level).order_by("parent__position", "position", "pk"))


def test_councils_and_tree(demo):
    nakahara = Council.objects.get(name="中原区社会福祉協議会")
    assert nakahara.parent.name == "川崎市社会福祉協議会" and nakahara.kind == "ward"
    ichinoseki = Council.objects.get(name="一関市社会福祉協議会")
    branches = list(Branch.objects.filter(council=ichinoseki).values_list("name", flat=True))
    assert branches == ["一関支部", "花泉支部", "大東支部", "千厩支部", "東山支部", "室根支部", "川崎支部", "藤沢支部"]
    assert Branch.objects.get(name="藤沢支部").address == "一関市藤沢町藤沢字町裏55"


def test_ichinoseki(demo):
    p = plan("一関市地域福祉活動計画")
    assert (p.period_start, p.period_end) == (2021, 2025)
    assert p.vision == "支え合い　幸せ感じる　地域の暮らし"
    assert [n.title for n in nodes(p, "基本目標")] == [
        "住民の参加を高めよう",
        "住民相互が協力し、支援ができる環境（地域）を創ろう",
        "住民が安心して暮らせるまちを創ろう",
    ]
    goals = nodes(p, "推進目標")
    assert len(goals) == 15
    priority = [n.code for n in goals if n.is_priority]
    assert priority == ["１-③", "２-③", "２-⑤", "３-②"]
    n = PlanNode.objects.get(plan=p, code="２-⑤")
    assert n.title == "社会福祉法人の連携強化を進めます"
    assert n.description.startswith("「社会福祉法人懇談会」を開催し")
    first = PlanNode.objects.get(plan=p, code="１")
    assert "地域住民等を対象とした福祉教育の取組みが十分ではなかった" in first.previous_evaluation
    assert "地域住民等に対する福祉教育を進めることが求められています" in first.challenges


def test_kurashiki(demo):
    p = plan("第4次倉敷市地域福祉活動計画")
    assert (p.period_start, p.period_end, p.midterm_review_year) == (2026, 2030, 2029)
    issues = list(CommunityIssue.objects.filter(plan=p).order_by("position").values_list("code", "title"))
    assert len(issues) == 11
    assert issues[0] == ("01", "つながりの希薄化") and issues[10] == ("11", "防災・防犯の備え")
    assert ("07", "生活課題の複雑化による支援のつながりにくさ") in issues
    assert len(nodes(p, "基本目標")) == 3 and len(nodes(p, "取り組み")) == 10
    n10 = PlanNode.objects.get(plan=p, code="（10）")
    assert n10.title == "地域防犯・防災力の強化" and n10.parent.code == "基本目標 3"
    assert [c.title for c in n10.children.order_by("position")] == [
        "防犯に対する意識の向上",
        "様々な住民を対象とした災害に備えた活動の推進",
    ]
    community = NodeAction.objects.get(node=PlanNode.objects.get(plan=p, code="（１）"), actor="community")
    assert community.examples == ["誰もが気軽に参加できる居場所づくり", "こども食堂（地域食堂）", "見守り訪問など"]
    assert community.steps[0] == "①：情報を届けて関心を持ってもらう" and len(community.steps) == 4
    council = NodeAction.objects.filter(node__plan=p, actor="council", text__contains="互近助パントリープロジェクト")
    assert council.count() == 1
    assert NodeAction.objects.filter(node__plan=p, actor="community").count() == 10


def test_higashikurume(demo):
    p = plan("第四次東久留米市民地域福祉活動計画")
    assert list(p.levels.values_list("name", flat=True)) == ["活動方針", "活動目標", "推進事業", "事業細目"]
    assert [(ph.name, ph.start_year, ph.end_year) for ph in p.phases.all()] == [
        ("前期", 2025, 2029),
        ("後期", 2030, 2034),
    ]
    assert [n.title for n in nodes(p, "活動方針")] == [
        "支えあいの輪を広げます",
        "お互いさまが響き合う地域にします",
        "思いを集めて安心につなげます",
    ]
    assert len(nodes(p, "活動目標")) == 5 and len(nodes(p, "推進事業")) == 15
    target = PlanNode.objects.get(plan=p, targets_text__contains="市民スタッフ登録者数100人")
    assert target.title == "災害ボランティアセンターに関する活動" and target.parent.code == "事業2"
    from sasaeai.progress.models import Indicator

    indicator = Indicator.objects.get(node=target)
    assert (indicator.name, indicator.unit, indicator.final_target, indicator.final_target_year) == (
        "市民スタッフ登録者数",
        "人",
        100,
        None,
    )
    assert not indicator.is_sample


def test_kashiwa_document_with_three_plans(demo):
    plans = list(Plan.objects.filter(council__name="柏市社会福祉協議会").order_by("part"))
    assert [(p.part, p.kind) for p in plans] == [
        ("計画Ⅰ", "activity"),
        ("計画Ⅱ", "council_development"),
        ("計画Ⅲ", "district"),
    ]
    assert {p.document for p in plans} == {"第3期 柏市地域健康福祉活動計画"}
    assert {(p.period_start, p.period_end) for p in plans} == {(2014, 2018)}
    projects = nodes(plans[0], "地域実践プロジェクト")
    assert len(projects) == 6 and projects[3].title == "孤立させないしくみをつくろう！"
    leading = PlanNode.objects.filter(plan=plans[1], is_priority=True).order_by("position")
    assert [n.title for n in leading] == [
        "孤立させない体制づくり",
        "重層的な支えあい活動の推進と支援",
        "協議体機能を活かした新たな活動の創造",
    ]
    assert PlanNode.objects.filter(plan=plans[1], parent__title="具体的な取り組み").count() == 7
    assert not PlanNode.objects.filter(plan=plans[2]).exists()  # the seed gives only a heading


def test_kawasaki_and_nakahara(demo):
    k = plan("第６期地域福祉活動計画")
    assert k.period_start is None  # the seed prints no period; none is invented
    assert len(nodes(k, "目標")) == 4 and len(nodes(k, "取組")) == 10
    assert PlanNode.objects.filter(plan=k, level__name="取組", parent__isnull=True).count() == 10
    n = Plan.objects.get(council__name="中原区社会福祉協議会")
    assert (n.period_start, n.period_end) == (2024, 2026)
    priority = PlanNode.objects.filter(plan=n, is_priority=True).order_by("position")
    assert [p.title for p in priority] == ["地域福祉活動拠点の設置", "人材育成の推進", "災害時の対応と連携"]
    assert n.municipal_plan_name == "第７期中原区地域福祉計画"


def test_demo_is_idempotent_and_reset_reloads(demo):
    count = PlanNode.objects.count()
    call_command("demo", stdout=io.StringIO())
    assert PlanNode.objects.count() == count and Plan.objects.count() == 8
    PlanNode.objects.filter(code="２-⑤").update(title="壊れたタイトル")
    call_command("demo", "--reset", stdout=io.StringIO())
    assert PlanNode.objects.get(code="２-⑤").title == "社会福祉法人の連携強化を進めます"


def test_cli_export_then_import(demo, tmp_path):
    p = plan("一関市地域福祉活動計画")
    out = tmp_path / "ichinoseki.yaml"
    call_command("export_plan", str(p.pk), "-o", str(out))
    from sasaeai.demo.services import PLANS_DIR

    assert out.read_text(encoding="utf-8") == (PLANS_DIR / "ichinoseki.yaml").read_text(encoding="utf-8")
    p.delete()
    call_command("import_plan", str(out), stdout=io.StringIO())
    assert PlanNode.objects.filter(plan__title="一関市地域福祉活動計画").count() == 18


def test_cli_import_reports_problems(demo, tmp_path):
    from django.core.management.base import CommandError

    bad = tmp_path / "bad.yaml"
    bad.write_text("format: sasaeai-plan/1\ncouncil: 一関市社会福祉協議会\nplans:\n- title: x\n", encoding="utf-8")
    with pytest.raises(CommandError) as info:
        call_command("import_plan", str(bad))
    assert "bad.yaml 4行目 plans[1].kind（計画の種類）" in str(info.value)


def test_sample_running_data_is_marked_on_every_screen(demo, client):
    from django.urls import reverse

    from sasaeai.accounts.models import User
    from sasaeai.progress.models import AnnualPlan, Indicator, ProgressReport, WorkingGroup

    assert ProgressReport.objects.exists() and not ProgressReport.objects.filter(is_sample=False).exists()
    assert not AnnualPlan.objects.filter(is_sample=False).exists()
    assert not WorkingGroup.objects.filter(is_sample=False).exists()
    from sasaeai.progress.models import Meeting

    assert Meeting.objects.exists() and not Meeting.objects.filter(is_sample=False).exists()
    assert list(Indicator.objects.filter(is_sample=False).values_list("name", flat=True)) == ["市民スタッフ登録者数"]
    p = plan("一関市地域福祉活動計画")
    year = ProgressReport.objects.filter(node__plan=p).order_by("-fiscal_year").first().fiscal_year
    node = ProgressReport.objects.filter(node__plan=p).first().node
    client.force_login(User.objects.get(username="reporter"))
    assert "サンプル" in client.get(reverse("running:my_items")).content.decode()
    client.force_login(User.objects.get(username="viewer"))
    for url in (
        reverse("progress:plan", args=[p.pk]) + f"?year={year}",
        reverse("progress:annual_plans", args=[p.pk]) + f"?year={year}",
        reverse("progress:organisation", args=[p.pk]),
        reverse("plans:node", args=[p.pk, node.pk]),
    ):
        html = client.get(url).content.decode()
        assert "サンプル" in html, url


def test_demo_logins_get_no_role_in_a_council_the_demo_did_not_make(db):
    """A real council sharing the database is never opened to the well-known demo accounts."""
    from sasaeai.accounts.models import Membership
    from sasaeai.core.services import council_create

    real = council_create(name="本物の市社会福祉協議会")
    call_command("demo", "--allow-foreign-councils", stdout=io.StringIO())
    assert not Membership.objects.filter(council=real).exists()
    demo_admin = Membership.objects.filter(user__username="demo", role="admin")
    assert sorted(demo_admin.values_list("council__name", flat=True)) == sorted(
        [
            "川崎市社会福祉協議会",
            "一関市社会福祉協議会",
            "柏市社会福祉協議会",
            "倉敷市社会福祉協議会",
            "東久留米市社会福祉協議会",
        ]
    )


def test_demo_refuses_a_database_with_a_council_it_did_not_make(db):
    """A real installation is never filled with the well-known demo logins by mistake."""
    from sasaeai.accounts.models import Membership, User
    from sasaeai.core.models import Council
    from sasaeai.core.services import council_create
    from sasaeai.plans.models import Plan

    real = council_create(name="本物の市社会福祉協議会")

    def state():
        return (
            sorted(Council.objects.values_list("name", flat=True)),
            sorted(User.objects.values_list("username", "password")),
            Plan.objects.count(),
            sorted(Membership.objects.values_list("user__username", "council__name", "role")),
        )

    before = state()
    with pytest.raises(CommandError) as refused:
        call_command("demo", "--reset", stdout=io.StringIO())
    message = str(refused.value)
    assert "デモが作っていない社協（本物の市社会福祉協議会）" in message
    assert "--allow-foreign-councils" in message and "何も変更していません" in message
    assert state() == before  # nothing changed
    assert not Membership.objects.filter(council=real).exists()


def test_demo_refusal_exits_non_zero_from_the_command_line(db, monkeypatch, capsys):
    """As manage.py runs it: exit status 1, the message on stderr, no logins printed."""
    from django.db import connections

    from sasaeai.core.services import council_create
    from sasaeai.demo.management.commands.demo import Command

    council_create(name="本物の市社会福祉協議会")
    monkeypatch.setattr(connections, "close_all", lambda: None)  # keep the test's transaction
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exited:
        Command(stdout=out, stderr=err).run_from_argv(["manage.py", "demo"])
    assert exited.value.code == 1
    assert "デモが作っていない社協（本物の市社会福祉協議会）" in err.getvalue()
    assert "sasaeai-demo" not in out.getvalue() + err.getvalue()


def test_demo_names_a_few_foreign_councils_and_says_there_are_more(db):
    from sasaeai.core.services import council_create

    for i in range(7):
        council_create(name=f"よその社協{i}")
    with pytest.raises(CommandError, match="よその社協4 ほか"):
        call_command("demo", stdout=io.StringIO())


def test_demo_child_councils_of_its_own_are_not_foreign(db):
    from sasaeai.demo.services import all_demo_council_names, demo_council_names

    assert "中原区社会福祉協議会" in all_demo_council_names()
    assert set(demo_council_names()) < all_demo_council_names()


def test_demo_refuses_a_demo_user_name_taken_by_a_real_member(db):
    """With the flag, a real user called "editor" in a real council would get the demo password: refused."""
    from sasaeai.accounts.models import Membership, User
    from sasaeai.core.services import council_create

    real = council_create(name="本物の市社会福祉協議会")
    person, _made = User.objects.get_or_create(username="editor")
    person.set_password("a-real-secret-123")
    person.save()
    Membership.objects.filter(user=person).delete()
    Membership.objects.create(user=person, council=real, role="admin")
    with pytest.raises(CommandError, match="ユーザー名 editor は"):
        call_command("demo", "--allow-foreign-councils", "--reset", stdout=io.StringIO())
    person.refresh_from_db()
    assert person.check_password("a-real-secret-123")
    assert list(Membership.objects.filter(user=person).values_list("council__name", flat=True)) == [real.name]


def test_demo_prints_how_to_log_in(db):
    out = io.StringIO()
    call_command("demo", stdout=out)
    text = out.getvalue()
    assert "ユーザー名 demo" in text and "パスワード sasaeai-demo" in text


def test_the_demo_password_is_shown_nowhere_else(client):
    """Only the demo command (and the README's quick start) tell the well-known password."""
    from pathlib import Path

    from sasaeai.demo.services import DEMO_PASSWORD

    root = Path(__file__).resolve().parents[3]
    for page in ("/login/", "/"):
        assert DEMO_PASSWORD not in client.get(page, follow=True).content.decode()
    for path in (root / "sasaeai").rglob("*"):
        if path.suffix in {".html", ".txt", ".po", ".js", ".css"}:
            assert DEMO_PASSWORD not in path.read_text(encoding="utf-8", errors="replace"), path
    for path in (root / "docs").rglob("*.md"):
        assert DEMO_PASSWORD not in path.read_text(encoding="utf-8"), path
    readme = (root / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("## はじめ方", 1)[1].split("\n## ", 1)[0]
    assert readme.count(DEMO_PASSWORD) == quick_start.count(DEMO_PASSWORD)
