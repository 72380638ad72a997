"""The public pages: only published copies show, the cache follows every publication, bad addresses 404."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from sasaeai.core.services import council_create
from sasaeai.demo.generator import create_plan
from sasaeai.plans.models import Plan, PlanNode
from sasaeai.publishing import services
from sasaeai.publishing.models import Publication

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()


@pytest.fixture
def council():
    return council_create(name="公開テスト市社会福祉協議会", phone="086-000-0000", address="公開テスト市本町1-1")


@pytest.fixture
def site(council):
    return services.site_update(council=council, slug="koukai", is_open=True, introduction="ようこそ。", by=None)


@pytest.fixture
def plan(council, site):
    plan = create_plan(council=council, nodes=12, issues=2, title="公開テストの計画")
    Plan.objects.filter(pk=plan.pk).update(period_start=2026, period_end=2030, vision="みんなで支え合うまち")
    plan.refresh_from_db()
    root = PlanNode.objects.filter(plan=plan, parent=None).order_by("pk").first()
    PlanNode.objects.filter(pk=root.pk).update(is_priority=True, plain_summary="やさしい説明です")
    services.publication_publish(plan=plan, part="structure", by=None)
    return plan


def url(name, *args):
    return reverse(f"site:{name}", args=args)


def test_index_lists_open_sites_and_explains(client, plan):
    body = client.get(url("index")).content.decode()
    assert "公開テスト市社会福祉協議会" in body
    assert body.count("<h1") == 1 and 'lang="ja"' in body


def test_council_page_has_plan_contact_and_introduction(client, plan):
    body = client.get(url("council", "koukai")).content.decode()
    assert "公開テストの計画" in body and "ようこそ。" in body
    assert "086-000-0000" in body and "公開テスト市本町1-1" in body
    assert "参加する" in body


def test_finished_plan_is_in_the_archive_and_readable(client, council, site, plan):
    Plan.objects.filter(pk=plan.pk).update(status=Plan.Status.FINISHED)
    services.publication_publish(plan=Plan.objects.get(pk=plan.pk), part="structure", by=None)
    body = client.get(url("council", "koukai")).content.decode()
    assert "これまでの計画" in body
    assert client.get(url("plan", "koukai", plan.pk)).status_code == 200


def test_plan_page_tree_anchors_priority_and_easy_summary(client, plan):
    root = PlanNode.objects.filter(plan=plan, parent=None).order_by("pk").first()
    body = client.get(url("plan", "koukai", plan.pk)).content.decode()
    assert f'id="node-{root.pk}"' in body
    assert "【重点】" in body and "みんなで支え合うまち" in body
    assert "<svg" in body and 'role="img"' in body
    assert "やさしい説明です" not in body
    easy = client.get(url("plan", "koukai", plan.pk) + "?easy=1").content.decode()
    assert "やさしい説明です" in easy
    assert body.count("<h1") == 1
    assert "style=" not in body and "<script" not in body


def test_toggles_are_kept_on_links(client, plan):
    body = client.get(url("council", "koukai") + "?ruby=1&easy=1").content.decode()
    assert f'href="{url("plan", "koukai", plan.pk)}?ruby=1&amp;easy=1"' in body


@pytest.mark.parametrize(
    "path",
    [
        "/public/nosuch/",
        "/public/koukai/plans/abc/",
        "/public/koukai/plans/0/",
        "/public/koukai/plans/99999999999999999999/",
        "/public/koukai/plans/{pk}/years/2027/",
        "/public/koukai/plans/{pk}/years/20x7/",
        "/public/koukai/plans/{pk}/years/99999/",
        "/public/koukai/plans/{other}/",
    ],
)
def test_bad_addresses_are_the_japanese_404(client, plan, path):
    other = create_plan(council=council_create(name="よその社協"), nodes=3, issues=0, title="よその計画")
    Plan.objects.filter(pk=other.pk).update(period_start=2026, period_end=2030)
    services.publication_publish(plan=Plan.objects.get(pk=other.pk), part="structure", by=None)
    response = client.get(path.format(pk=plan.pk, other=other.pk) + "?ruby=%ff&x[]=1")
    assert response.status_code == 404
    assert "ページが見つかりません" in response.content.decode()


def test_closed_site_404s_everywhere(client, council, site, plan):
    services.site_update(council=council, slug="koukai", is_open=False, by=None)
    assert client.get(url("council", "koukai")).status_code == 404
    assert client.get(url("plan", "koukai", plan.pk)).status_code == 404
    assert "公開テスト市社会福祉協議会" not in client.get(url("index")).content.decode()


def _progress(plan, *, sample=False, name="登録者数"):
    from sasaeai.progress.models import Indicator, IndicatorActual, IndicatorTarget, ProgressReport

    node = PlanNode.objects.filter(plan=plan, parent=None).order_by("pk").first()
    indicator = Indicator.objects.create(node=node, name=name, unit="人", baseline_value=Decimal(10), is_sample=sample)
    IndicatorTarget.objects.create(indicator=indicator, fiscal_year=2026, value=Decimal(40))
    report, _ = ProgressReport.objects.get_or_create(node=node, fiscal_year=2026, period=1)
    IndicatorActual.objects.create(report=report, indicator=indicator, value=Decimal(30))
    return indicator


def test_year_page_shows_only_published_parts_and_no_samples(client, plan):
    _progress(plan)
    _progress(plan, sample=True, name="サンプルの指標")
    year_url = url("year", "koukai", plan.pk, 2026)
    assert client.get(year_url).status_code == 404
    services.publication_publish(plan=plan, part="progress", fiscal_year=2026, by=None)
    body = client.get(year_url).content.decode()
    assert "登録者数" in body, body
    assert "サンプルの指標" not in body, body[body.find("サンプルの指標") - 300 : body.find("サンプルの指標") + 50]
    assert "75.0%" in body, body[body.find("登録者数") : body.find("登録者数") + 900]
    assert "実績値 ÷ 目標値" in body  # the rule is stated
    assert "公表日 令和" in body
    assert "評価委員会の総評" not in body and "最終評価と今後の方向性" not in body
    assert "<svg" in body and "<table" in body
    # and the plan page links to the year
    assert year_url in client.get(url("plan", "koukai", plan.pk)).content.decode()


def test_withdraw_and_republish_show_at_once_despite_the_cache(client, plan, make_user):
    user = make_user("withdrawer")
    _progress(plan)
    publication = services.publication_publish(plan=plan, part="progress", fiscal_year=2026, by=None)
    year_url = url("year", "koukai", plan.pk, 2026)
    assert client.get(year_url).status_code == 200
    services.publication_withdraw(publication=publication, reason="誤り", by=user)
    assert client.get(year_url).status_code == 404

    plan_url = url("plan", "koukai", plan.pk)
    assert "公開テストの計画" in client.get(plan_url).content.decode()
    Plan.objects.filter(pk=plan.pk).update(title="新しい名前の計画")
    assert "新しい名前の計画" not in client.get(plan_url).content.decode()  # an edit is not published
    services.publication_publish(plan=Plan.objects.get(pk=plan.pk), part="structure", by=None)
    body = client.get(plan_url).content.decode()
    assert "新しい名前の計画" in body and "公開テストの計画" not in body
    structure = Publication.objects.get(plan=plan, part="structure", is_current=True)
    services.publication_withdraw(publication=structure, reason="取り下げ", by=user)
    assert client.get(plan_url).status_code == 404


def test_plan_page_queries_do_not_grow_with_the_plan(client, council, site, django_assert_max_num_queries):
    small = create_plan(council=council, nodes=5, issues=1, title="小")
    large = create_plan(council=council, nodes=400, issues=10, title="大")
    for p in (small, large):
        Plan.objects.filter(pk=p.pk).update(period_start=2026, period_end=2030)
        services.publication_publish(plan=Plan.objects.get(pk=p.pk), part="structure", by=None)
    for p in (small, large):
        cache.clear()
        with django_assert_max_num_queries(4):
            assert client.get(url("plan", "koukai", p.pk)).status_code == 200


def test_council_page_lists_open_participation_but_never_samples(client, plan):
    from sasaeai.participation.models import PublicCommentPeriod, Questionnaire

    today = timezone.localdate()
    PublicCommentPeriod.objects.create(
        plan=plan,
        title="案への意見募集",
        opens_on=today - timedelta(days=1),
        closes_on=today + timedelta(days=5),
        public_key="k-open",
    )
    PublicCommentPeriod.objects.create(
        plan=plan, title="サンプルの募集", opens_on=today, closes_on=today, public_key="k-sample", is_sample=True
    )
    PublicCommentPeriod.objects.create(
        plan=plan,
        title="終わった募集",
        opens_on=today - timedelta(days=9),
        closes_on=today - timedelta(days=2),
        public_key="k-old",
    )
    Questionnaire.objects.create(
        council=plan.council, kind="survey", title="暮らしのアンケート", status="open", public_key="s-open"
    )
    Questionnaire.objects.create(council=plan.council, kind="survey", title="準備中のアンケート", public_key="s-d")
    body = client.get(url("council", "koukai")).content.decode()
    assert "案への意見募集" in body and reverse("public:comment", args=["k-open"]) in body
    assert "暮らしのアンケート" in body and reverse("surveys:public", args=["s-open"]) in body
    assert "サンプルの募集" not in body and "終わった募集" not in body and "準備中のアンケート" not in body


def test_preview_needs_permission_and_renders_the_same_page(client, plan, make_user):
    preview = reverse("publishing:preview_structure", args=[plan.pk])
    assert client.get(preview).status_code == 302  # sign in first
    client.force_login(make_user("viewer_p", "viewer", plan.council))
    assert client.get(preview).status_code == 404
    client.force_login(make_user("admin_p", "admin", plan.council))
    body = client.get(preview).content.decode()
    assert 'name="robots" content="noindex"' in body and "公開前の確認画面" in body
    assert "公開テストの計画" in body
    assert client.get(preview + "?page=making").status_code == 200
    part = reverse("publishing:preview_part", args=[plan.pk, "progress", 2040])
    response = client.get(part)
    assert response.status_code == 200 and "年度は計画期間の中から選んでください" in response.content.decode()
    assert client.get(reverse("publishing:preview_part", args=[plan.pk, "progress", 2026])).status_code == 200
    assert client.get(reverse("publishing:preview_part", args=[plan.pk, "nonsense", 2026])).status_code == 404


def test_preview_of_a_drafting_plan_is_a_message_not_an_error(client, plan, make_user):
    Plan.objects.filter(pk=plan.pk).update(status=Plan.Status.DRAFTING)
    client.force_login(make_user("admin_q", "admin", plan.council))
    response = client.get(reverse("publishing:preview_structure", args=[plan.pk]))
    assert response.status_code == 200 and "策定中の計画は公表できません" in response.content.decode()


def test_ruby_covers_the_council_name_and_live_text_on_every_page(client, council, plan):
    """ふりがな reaches what the council page shows live (its name, branches) and the plan page's header, and
    costs nothing when the reader did not ask for it."""
    from sasaeai.core.models import Branch

    Branch.objects.create(council=council, name="北部支部", address="公開テスト市北町2-2")
    plain = client.get(url("council", "koukai")).content.decode()
    assert "<ruby>" not in plain
    council_page = client.get(url("council", "koukai") + "?ruby=1").content.decode()
    assert "<ruby>北部<rp>" in council_page or "<ruby>北<rp>" in council_page
    assert "<ruby>公開<rp>" in council_page
    index = client.get(url("index") + "?ruby=1").content.decode()
    assert "<ruby>公開<rp>" in index
    plan_page = client.get(url("plan", "koukai", plan.pk) + "?ruby=1").content.decode()
    header = plan_page.split("</header>")[0]
    assert "<ruby>" in header, "the council name in the header has its reading"


def test_cached_page_is_sent_gzipped_to_browsers_that_ask(client, plan):
    """The cached copy is compressed once; a browser that accepts gzip gets it, others the page as is."""
    import gzip

    page = url("plan", "koukai", plan.pk)
    plain = client.get(page)
    assert "Content-Encoding" not in plain and "Accept-Encoding" in plain["Vary"]
    zipped = client.get(page, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert zipped["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.content) == plain.content
    assert len(zipped.content) < len(plain.content) / 2


def test_a_cached_page_costs_no_query_and_a_withdrawal_still_shows_at_once(client, plan, django_assert_num_queries):
    """The site is remembered for a moment and the page kept: a repeat visit reads nothing from the database.
    Publishing or withdrawing forgets both, so the change shows on the next visit."""
    page = url("plan", "koukai", plan.pk)
    assert client.get(page).status_code == 200
    with django_assert_num_queries(0):
        assert client.get(page).status_code == 200
    services.publication_withdraw(
        publication=Publication.objects.get(plan=plan, is_current=True), reason="見直し", by=None
    )
    assert client.get(page).status_code == 404
