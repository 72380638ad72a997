"""The publication rules: what a frozen copy may hold, what publishing and withdrawing do, and their audit."""

import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from sasaeai.core.audit import ACTION_LABELS
from sasaeai.core.models import AuditEntry
from sasaeai.publishing import services, snapshot
from sasaeai.publishing.models import Publication, PublicSite

STRUCTURE, PROGRESS, EVALUATION, OPINION = (
    Publication.Part.STRUCTURE,
    Publication.Part.PROGRESS,
    Publication.Part.EVALUATION,
    Publication.Part.OPINION,
)
YEAR = 2027  # the year with real data; 2026 holds samples only

# Text that exists in the live data but must never be frozen into a public copy.
NEVER = {
    "sample indicator": "見本の指標ZZ",
    "sample actual": "98765",
    "sample final": "見本の最終評価ZZ",
    "self": "自己評価の文ZZ",
    "review": "確認の文ZZ",
    "internal": "内部評価の文ZZ",
    "external": "外部評価の文ZZ",
    "draft final": "下書きの最終評価ZZ",
    "report text": "報告の実施内容ZZ",
}


def frozen(publication):
    return json.dumps({"data": publication.data, "readings": publication.readings}, ensure_ascii=False)


def people_strings():
    from sasaeai.accounts.models import User

    found = set()
    for user in User.objects.all():
        found |= {v for v in (user.username, user.email, user.display_name, user.first_name, user.last_name) if v}
    return found


@pytest.fixture
def people(make_user, councils):
    from sasaeai.accounts.models import User

    made = {}
    for key, role, name in [
        ("reporter", "reporter", "山田秘匿子"),
        ("leader", "leader", "鈴木指導者"),
        ("chair", "committee", "佐藤委員長"),
    ]:
        user = make_user(f"hidden_{key}", role, councils["a"])
        User.objects.filter(pk=user.pk).update(display_name=name, email=f"{key}.hidden@example.jp")
        user.refresh_from_db()
        made[key] = user
    return made


@pytest.fixture
def world(councils, users, people):
    """A running plan (FY2026–2028) with samples everywhere, and in FY2027 real progress and evaluations
    entered by named people, every stage of the evaluation, a draft 最終評価 and a committee 総評."""
    from sasaeai.demo.generator import create_running_plan, fill_evaluations
    from sasaeai.evaluation.models import CommitteeOpinion, Evaluation, StageEntry
    from sasaeai.evaluation.selectors import directions_for, grades_for
    from sasaeai.progress.models import (
        AnnualPlan,
        Indicator,
        IndicatorActual,
        IndicatorTarget,
        ProgressReport,
        WorkingGroup,
    )
    from sasaeai.progress.services import statuses_for

    reporter, leader, chair = people["reporter"], people["leader"], people["chair"]
    plan = create_running_plan(
        council=councils["a"],
        projects=4,
        goals=2,
        indicators=1,
        years=3,
        start=2026,
        owner=reporter,
        title="公表する計画",
    )
    Indicator.objects.filter(node__plan=plan, is_sample=True).update(name=NEVER["sample indicator"])
    ProgressReport.objects.filter(node__plan=plan).update(done_text=NEVER["report text"])
    leaves = list(plan.nodes.filter(parent__isnull=False).order_by("pk"))
    real_group = WorkingGroup.objects.create(plan=plan, name="見守り推進WG", leader=leader, sub_leader=reporter)
    real_group.members.add(reporter, chair)
    real_group.nodes.add(leaves[0])
    AnnualPlan.objects.filter(node=leaves[0], fiscal_year=YEAR).update(is_sample=False, working_group=real_group)
    statuses = statuses_for(plan.council)

    # Progress in FY2027 for the first project: a real indicator, a real report, and a later sample report.
    indicator = Indicator.objects.create(node=leaves[0], name="サロン参加者数", unit="人", baseline_value=Decimal(50))
    IndicatorTarget.objects.create(indicator=indicator, fiscal_year=YEAR, value=Decimal(100))
    ProgressReport.objects.filter(node=leaves[0], fiscal_year=YEAR).delete()
    real_report = ProgressReport.objects.create(
        node=leaves[0],
        fiscal_year=YEAR,
        period=1,
        status=statuses[0],
        done_text=NEVER["report text"],
        updated_by=reporter,
    )
    IndicatorActual.objects.create(report=real_report, indicator=indicator, value=Decimal(80))
    sample_report = ProgressReport.objects.create(
        node=leaves[0], fiscal_year=YEAR, period=2, status=statuses[-1], is_sample=True, updated_by=leader
    )
    IndicatorActual.objects.create(report=sample_report, indicator=indicator, value=Decimal(NEVER["sample actual"]))

    # Evaluations: samples for every project in FY2026; in FY2027 a real one with every stage submitted,
    # a real one whose 最終評価 is a draft, and a sample one with a submitted 最終評価.
    fill_evaluations(plan, fiscal_year=2026)
    grades, directions = grades_for(plan.council), directions_for(plan.council)
    now = timezone.now()
    texts = {"self": NEVER["self"], "review": NEVER["review"], "internal": NEVER["internal"]}
    texts |= {"external": NEVER["external"], "final": "最終評価の成果"}
    full = Evaluation.objects.create(node=leaves[0], fiscal_year=YEAR)
    for stage, text in texts.items():
        StageEntry.objects.create(
            evaluation=full,
            stage=stage,
            state="submitted",
            grade=grades[0],
            results=text,
            comment=text,
            direction=directions[0],
            updated_by=people["leader"],
            submitted_by=reporter,
            submitted_at=now,
        )
    draft = Evaluation.objects.create(node=leaves[1], fiscal_year=YEAR)
    for stage in ("self", "review", "internal", "external"):
        StageEntry.objects.create(
            evaluation=draft, stage=stage, state="submitted", results=texts[stage], submitted_by=chair
        )
    StageEntry.objects.create(
        evaluation=draft, stage="final", state="draft", results=NEVER["draft final"], updated_by=chair
    )
    sample = Evaluation.objects.create(node=leaves[2], fiscal_year=YEAR, is_sample=True)
    StageEntry.objects.create(evaluation=sample, stage="final", state="submitted", results=NEVER["sample final"])
    opinion = CommitteeOpinion.objects.create(plan=plan, fiscal_year=YEAR, text="委員会の総評です。", updated_by=chair)
    return {"plan": plan, "leaves": leaves, "indicator": indicator, "opinion": opinion, "people": people}


def confirm_opinion(opinion):
    opinion.is_submitted = True
    opinion.submitted_at = timezone.now()
    opinion.save()


def publish_everything(world, by):
    plan = world["plan"]
    confirm_opinion(world["opinion"])
    return [
        services.publication_publish(plan=plan, part=STRUCTURE, by=by),
        *(
            services.publication_publish(plan=plan, part=part, fiscal_year=year, by=by)
            for year in (2026, YEAR)
            for part in (PROGRESS, EVALUATION, OPINION)
            if not (part == OPINION and year == 2026)
        ),
    ]


# --------------------------------------------------------------------------- what a copy holds


def test_no_copy_names_a_person_or_holds_a_sample_or_an_unfinished_stage(world, users):
    publications = publish_everything(world, users["editor"])
    names = people_strings()
    assert {"山田秘匿子", "hidden_reporter", "reporter.hidden@example.jp", "鈴木指導者", "佐藤委員長"} <= names
    for publication in publications:
        text = frozen(publication)
        for name in names:
            assert name not in text, (publication.part, publication.fiscal_year, name)
        for what, marker in NEVER.items():
            assert marker not in text, (publication.part, publication.fiscal_year, what)


def test_the_progress_copy_holds_the_real_indicator_with_its_real_actual(world, users):
    plan, leaf = world["plan"], world["leaves"][0]
    services.publication_publish(plan=plan, part=STRUCTURE, by=users["editor"])
    progress = services.publication_publish(plan=plan, part=PROGRESS, fiscal_year=YEAR, by=users["editor"])
    entry = progress.data["nodes"][str(leaf.pk)]
    assert [(i["name"], i["target"], i["actual"], i["rate"]) for i in entry["indicators"]] == [
        ("サロン参加者数", "100", "80", "80.0")
    ]
    from sasaeai.progress.services import statuses_for

    assert entry["status"] == statuses_for(plan.council)[0].name  # the real report, not the later sample one
    only_samples = services.publication_publish(plan=plan, part=PROGRESS, fiscal_year=2026, by=users["editor"])
    # FY2026 has sample reports only: no status anywhere; the one real indicator is listed without an actual.
    entries = only_samples.data["nodes"].values()
    assert [e["status"] for e in entries] == [None]
    assert [(i["name"], i["actual"]) for e in entries for i in e["indicators"]] == [("サロン参加者数", None)]


def test_the_evaluation_copy_holds_only_submitted_real_final_evaluations(world, users):
    plan, leaves = world["plan"], world["leaves"]
    services.publication_publish(plan=plan, part=STRUCTURE, by=users["editor"])
    evaluation = services.publication_publish(plan=plan, part=EVALUATION, fiscal_year=YEAR, by=users["editor"])
    assert list(evaluation.data["projects"]) == [str(leaves[0].pk)]
    assert evaluation.data["projects"][str(leaves[0].pk)]["results"] == "最終評価の成果"
    samples_only = services.publication_publish(plan=plan, part=EVALUATION, fiscal_year=2026, by=users["editor"])
    assert samples_only.data["projects"] == {}


def test_the_committee_opinion_is_published_only_once_confirmed(world, users):
    plan = world["plan"]
    services.publication_publish(plan=plan, part=STRUCTURE, by=users["editor"])
    with pytest.raises(ValidationError, match="総評はまだ確定していません"):
        services.publication_publish(plan=plan, part=OPINION, fiscal_year=YEAR, by=users["editor"])
    assert snapshot.build_opinion(plan, YEAR)["text"] == ""  # the builder itself never reads a draft
    confirm_opinion(world["opinion"])
    published = services.publication_publish(plan=plan, part=OPINION, fiscal_year=YEAR, by=users["editor"])
    assert published.data["text"] == "委員会の総評です。"
    assert "佐藤委員長" not in frozen(published)


def test_a_copy_is_frozen_the_live_plan_changes_do_not_reach_it(world, users):
    plan = world["plan"]
    published = services.publication_publish(plan=plan, part=STRUCTURE, by=users["editor"])
    plan.vision = "新しい基本理念"
    plan.save()
    published.refresh_from_db()
    assert published.data["plan"]["vision"] != "新しい基本理念"
    again = services.publication_publish(plan=plan, part=STRUCTURE, by=users["editor"])
    assert again.data["plan"]["vision"] == "新しい基本理念"


# --------------------------------------------------------------------------- when publishing is refused


def test_publication_check_refusals(world, users, councils):
    from sasaeai.demo.generator import create_plan

    plan, by = world["plan"], users["editor"]
    with pytest.raises(ValidationError, match="先に「計画の内容」を公表してください"):
        services.publication_publish(plan=plan, part=PROGRESS, fiscal_year=YEAR, by=by)
    services.publication_publish(plan=plan, part=STRUCTURE, by=by)
    for year in (2025, 2029):
        with pytest.raises(ValidationError, match="計画期間の中から"):
            services.publication_publish(plan=plan, part=PROGRESS, fiscal_year=year, by=by)
    with pytest.raises(ValidationError, match="計画全体で公表します"):
        services.publication_publish(plan=plan, part=STRUCTURE, fiscal_year=YEAR, by=by)
    with pytest.raises(ValidationError, match="公表する内容を選んでください"):
        services.publication_publish(plan=plan, part="people", fiscal_year=YEAR, by=by)
    drafting = create_plan(council=councils["a"], nodes=3, issues=1, title="策定中の計画")
    drafting.status = drafting.Status.DRAFTING
    drafting.save()
    with pytest.raises(ValidationError, match="策定中の計画は公表できません"):
        services.publication_publish(plan=drafting, part=STRUCTURE, by=by)
    assert Publication.objects.filter(plan=drafting).count() == 0
    assert Publication.objects.filter(plan=plan).count() == 1


# --------------------------------------------------------------------------- publish, replace, withdraw


def test_publishing_again_replaces_the_current_copy(world, users):
    plan = world["plan"]
    first = services.publication_publish(plan=plan, part=STRUCTURE, note="理事会で承認", by=users["editor"])
    second = services.publication_publish(plan=plan, part=STRUCTURE, by=users["admin"])
    first.refresh_from_db()
    assert first.is_current is False and first.withdrawn_at is None
    assert second.is_current is True
    assert list(Publication.objects.filter(plan=plan, is_current=True)) == [second]
    assert first.note == "理事会で承認" and first.published_by == users["editor"]


def test_withdrawing_leaves_nothing_current_and_nothing_earlier_comes_back(world, users):
    plan = world["plan"]
    services.publication_publish(plan=plan, part=STRUCTURE, by=users["editor"])
    second = services.publication_publish(plan=plan, part=STRUCTURE, by=users["editor"])
    with pytest.raises(ValidationError) as refused:
        services.publication_withdraw(publication=second, reason="  ", by=users["admin"])
    assert "reason" in refused.value.error_dict
    withdrawn = services.publication_withdraw(publication=second, reason="誤りがあったため", by=users["admin"])
    assert withdrawn.withdrawn_by == users["admin"] and withdrawn.withdraw_reason == "誤りがあったため"
    assert not Publication.objects.filter(plan=plan, is_current=True).exists()
    with pytest.raises(ValidationError, match="すでに取り下げられている"):
        services.publication_withdraw(publication=second, reason="もう一度", by=users["admin"])
    assert not Publication.objects.filter(plan=plan, is_current=True).exists()


def test_a_second_publish_at_the_same_moment_replaces_the_first_without_an_error(world, users, monkeypatch):
    """Two publishes racing: another copy becomes current between our replace and our insert, so our insert
    breaks ``publication_one_current``. The step is done again, and ends with exactly one current copy."""
    plan = world["plan"]
    services.publication_publish(plan=plan, part=STRUCTURE, by=users["editor"])
    real_save = Publication.save
    raced = []

    def racing_save(self, *args, **kwargs):
        if self.pk is None and not raced:  # the other request's copy lands first
            raced.append(True)
            real_save(Publication(council=self.council, plan=self.plan, part=self.part, data={}))
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(Publication, "save", racing_save)
    ours = services.publication_publish(plan=plan, part=STRUCTURE, by=users["admin"])
    assert raced, "the race was not staged"
    assert list(Publication.objects.filter(plan=plan, is_current=True)) == [ours]
    assert ours.published_by == users["admin"]


def test_a_clash_that_repeats_is_a_japanese_message(world, users, monkeypatch):
    from django.db import IntegrityError

    def always_clashes(**kwargs):
        raise IntegrityError("publication_one_current")

    monkeypatch.setattr(services, "_publish_once", always_clashes)
    with pytest.raises(ValidationError, match="同時に公表しました"):
        services.publication_publish(plan=world["plan"], part=STRUCTURE, by=users["admin"])


# --------------------------------------------------------------------------- the site and its version


def test_site_version_bumps_on_settings_publish_and_withdraw(world, users, councils):
    plan, council = world["plan"], councils["a"]
    site = services.site_update(council=council, slug="test-shi", is_open=True, by=users["admin"])
    versions = [site.version]

    def now():
        return PublicSite.objects.get(council=council).version

    published = services.publication_publish(plan=plan, part=STRUCTURE, by=users["editor"])
    versions.append(now())
    services.publication_withdraw(publication=published, reason="誤り", by=users["editor"])
    versions.append(now())
    services.site_update(council=council, slug="test-shi", is_open=False, introduction="ごあいさつ", by=users["admin"])
    versions.append(now())
    assert versions == sorted(set(versions)) and len(versions) == 4


def test_site_slug_rules(councils, users):
    services.site_update(council=councils["b"], slug="yoso", is_open=True, by=users["outsider"])
    for slug, message in [
        ("yoso", "ほかの社協が使っています"),
        ("api", "このサイトが使う名前"),
        ("bad_slug", "公開アドレス"),
        ("x", "公開アドレス"),
    ]:
        with pytest.raises(ValidationError) as refused:
            services.site_update(council=councils["a"], slug=slug, is_open=True, by=users["admin"])
        assert "slug" in refused.value.error_dict
        assert message in " ".join(refused.value.messages), slug
    assert not PublicSite.objects.filter(council=councils["a"]).exists()


def test_every_action_writes_an_audit_entry_with_a_japanese_label(world, users, councils):
    plan = world["plan"]
    services.site_update(council=councils["a"], slug="test-shi", is_open=True, by=users["admin"])
    published = services.publication_publish(plan=plan, part=STRUCTURE, note="承認済み", by=users["editor"])
    services.publication_withdraw(publication=published, reason="誤字", by=users["admin"])
    entries = {e.action: e for e in AuditEntry.objects.filter(council=councils["a"], action__startswith="publishing.")}
    assert set(entries) == {"publishing.site", "publishing.publish", "publishing.withdraw"}
    assert entries["publishing.publish"].actor == users["editor"] and entries["publishing.publish"].plan_id == plan.pk
    assert entries["publishing.publish"].after["メモ"] == "承認済み"
    assert entries["publishing.withdraw"].after["理由"] == "誤字"
    assert entries["publishing.site"].after["公開アドレス"] == "test-shi"
    for action in entries:
        assert ACTION_LABELS[action] in {"公開サイトの設定を変更", "住民に公表", "公表を取り下げ"}


# --------------------------------------------------------------------------- council scoping


def test_staff_of_another_council_cannot_see_publish_or_withdraw(client, world, users):
    plan = world["plan"]
    published = services.publication_publish(plan=plan, part=STRUCTURE, by=users["editor"])
    client.force_login(users["outsider"])  # 社協管理者 of council B
    urls = [
        reverse("publishing:plan", args=[plan.pk]),
        reverse("publishing:publish", args=[plan.pk, "structure", 0]),
        reverse("publishing:withdraw", args=[plan.pk, published.pk]),
        reverse("publishing:site", args=[plan.council_id]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"note": "x", "reason": "x", "slug": "steal"}).status_code == 404, url
    published.refresh_from_db()
    assert published.is_current and Publication.objects.filter(plan=plan).count() == 1
    assert not PublicSite.objects.filter(slug="steal").exists()
