"""The residents' review of the public site: each finding, with a test that fails without its fix."""

from pathlib import Path
from unittest import mock

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from sasaeai.core.services import council_create
from sasaeai.demo.generator import create_plan
from sasaeai.plans.models import Plan, PlanNode
from sasaeai.publishing import making, services, summary_pdf
from sasaeai.publishing.models import Publication, PublicSite

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def council():
    return council_create(name="見直し市社会福祉協議会", phone="086-111-1111", address="見直し市本町1-1")


@pytest.fixture
def site(council):
    return services.site_update(council=council, slug="minaoshi", is_open=True, introduction="", by=None)


def _publish_plan(council, *, title="見直しの計画", plain=""):
    plan = create_plan(council=council, nodes=8, issues=1, title=title)
    Plan.objects.filter(pk=plan.pk).update(period_start=2026, period_end=2030, vision="支え合うまち")
    if plain:
        root = PlanNode.objects.filter(plan=plan, parent=None).order_by("pk").first()
        PlanNode.objects.filter(pk=root.pk).update(plain_summary=plain)
    plan = Plan.objects.get(pk=plan.pk)
    services.publication_publish(plan=plan, part="structure", by=None)
    return plan


@pytest.fixture
def plan(council, site):
    return _publish_plan(council)


def url(name, *args):
    return reverse(f"site:{name}", args=args)


def body_of(client, address):
    response = client.get(address)
    assert response.status_code == 200, address
    return response.content.decode()


# 1 ------------------------------------------------------------------ やさしい日本語


def test_easy_toggle_only_where_the_plan_has_a_plain_summary(client, council, plan):
    plain = body_of(client, url("plan", "minaoshi", plan.pk))
    assert "やさしい日本語" not in plain  # no toggle: nothing would change
    assert "やさしい日本語" not in body_of(client, url("summary", "minaoshi", plan.pk))
    easy = body_of(client, url("plan", "minaoshi", plan.pk) + "?easy=1")
    assert "この計画には、まだやさしい日本語の説明がありません。" in easy
    assert "ふつうの説明にもどす" in easy  # the reader can still switch it off

    other = _publish_plan(council, title="説明のある計画", plain="みんなで たすけあいます")
    with_plain = body_of(client, url("plan", "minaoshi", other.pk))
    assert "やさしい日本語" in with_plain
    easy = body_of(client, url("plan", "minaoshi", other.pk) + "?easy=1")
    assert "みんなで たすけあいます" in easy and "まだやさしい日本語の説明がありません" not in easy


def test_flyer_promises_easy_japanese_only_when_a_plan_has_it(client, council, plan):
    site = PublicSite.objects.get(slug="minaoshi")
    assert "やさしい日本語" not in " ".join(str(t) for t in summary_pdf.flyer_content(site).topics)
    assert "やさしい日本語" not in body_of(client, url("flyer_html", "minaoshi"))
    _publish_plan(council, title="説明のある計画", plain="やさしい説明")
    assert "やさしい日本語" in " ".join(str(t) for t in summary_pdf.flyer_content(site).topics)
    assert "やさしい日本語での説明" in body_of(client, url("flyer_html", "minaoshi"))


# 2 ------------------------------------------------------------------ 進捗 with its meaning and period


def test_year_page_progress_has_its_scale_and_the_half_year_named(client, plan):
    from sasaeai.progress.models import ProgressReport, ProgressStatus, ReportingSchedule

    ReportingSchedule.objects.update_or_create(plan=plan, defaults={"frequency": "half"})
    status, _ = ProgressStatus.objects.update_or_create(council=plan.council, name="順調", defaults={"score": 80})
    node = PlanNode.objects.filter(plan=plan, parent=None).order_by("pk").first()
    ProgressReport.objects.create(node=node, fiscal_year=2026, period=2, status=status)
    services.publication_publish(plan=plan, part="progress", fiscal_year=2026, by=None)
    body = body_of(client, url("year", "minaoshi", plan.pk, 2026))
    assert "80.0点（100点満点）" in body or "80点（100点満点）" in body, body[body.find("進捗</dt>") :][:200]
    assert "100点満点" in body[: body.find("項目ごとの進み具合")]  # the rule text says what the number means
    assert "下半期の報告" in body


def test_period_labels_follow_the_progress_module():
    from sasaeai.publishing.views.site import period_labels

    assert period_labels({"frequency": "half", "nodes": {}}, 2026)[1].endswith("上半期")
    assert period_labels({"frequency": "quarterly", "nodes": {}}, 2026)[3].endswith("第3四半期")
    assert period_labels({"frequency": "yearly", "nodes": {"1": {"period": 1}}}, 2026) == {}
    # an older copy without the frequency: guessed from the periods
    assert period_labels({"nodes": {"1": {"period": 4}}}, 2026)[4].endswith("第4四半期")


# 3, 4 --------------------------------------------------------------- council page


def test_council_page_offers_no_flyer_when_nothing_is_published(client, plan, make_user):
    assert url("flyer_html", "minaoshi") in body_of(client, url("council", "minaoshi"))
    structure = Publication.objects.get(plan=plan, part="structure", is_current=True)
    services.publication_withdraw(publication=structure, reason="取り下げ", by=make_user("w1"))
    body = body_of(client, url("council", "minaoshi"))
    assert url("flyer_html", "minaoshi") not in body and url("flyer", "minaoshi") not in body
    assert client.get(url("flyer_html", "minaoshi")).status_code == 404


def test_plan_card_omits_an_empty_period(client, plan):
    structure = Publication.objects.get(plan=plan, part="structure", is_current=True)
    structure.data["plan"]["period_label"] = ""
    Publication.objects.filter(pk=structure.pk).update(data=structure.data)
    body = body_of(client, url("council", "minaoshi"))
    assert "期間: ／" not in body and "期間:" not in body


def test_council_without_contacts_does_not_promise_them(client):
    bare = council_create(name="連絡先なし社会福祉協議会")
    services.site_update(council=bare, slug="bare", is_open=True, introduction="", by=None)
    _publish_plan(bare)
    body = body_of(client, url("council", "bare"))
    assert "下の連絡先へ" not in body
    assert "お住まいの地域の社会福祉協議会へお問い合わせください" in body


def test_council_with_contacts_still_points_below(client, plan):
    body = body_of(client, url("council", "minaoshi"))
    assert "下の連絡先へ" in body and "086-111-1111" in body


# 5, 6 --------------------------------------------------------------- narrow screens


def test_diagram_has_a_narrow_screen_sentence_hidden_by_css(client, plan):
    body = body_of(client, url("plan", "minaoshi", plan.pk))
    assert "図は画面の広いパソコンなどで表示されます。内容は下の一覧と同じです。" in body
    assert "ps-diagram-figure" in body
    from django.contrib.staticfiles import finders

    css = Path(finders.find("sasaeai/public.css")).read_text(encoding="utf-8")
    narrow = css[css.find("@media (max-width: 40rem)") : css.find("@media print")]
    assert ".ps-diagram-figure { display: none; }" in narrow
    assert ".ps-diagram-narrow { display: block; }" in narrow
    printed = css[css.find("@media print") :]
    assert ".ps-diagram-figure { display: block !important; }" in printed


def test_making_survey_table_has_no_redundant_column_and_stacks(client, plan):
    from sasaeai.participation.models import Questionnaire

    Questionnaire.objects.create(
        council=plan.council, plan=plan, kind="survey", title="アンケート", status="closed", public_key="s-x"
    )
    services.publication_publish(plan=Plan.objects.get(pk=plan.pk), part="structure", by=None)
    body = body_of(client, url("making", "minaoshi", plan.pk))
    table = body[body.find('id="surveys-heading"') :]
    table = table[: table.find("</table>")]
    assert '<th scope="col">アンケート</th>' not in table
    assert "ps-table-stack" in table and 'data-label="回収率"' in table


# 7 ------------------------------------------------------------------ summary links and breadcrumbs


def test_summary_and_flyer_link_relatively_with_a_breadcrumb(client, plan, settings):
    settings.SASAEAI_BASE_URL = "https://example.org"
    body = body_of(client, url("summary", "minaoshi", plan.pk))
    assert 'href="https://example.org' not in body
    assert f'href="{url("plan", "minaoshi", plan.pk)}"' in body
    assert "https://example.org" + url("plan", "minaoshi", plan.pk) in body  # the printed address stays
    crumbs = body[body.find('class="ps-crumbs"') :]
    crumbs = crumbs[: crumbs.find("</nav>")]
    assert url("council", "minaoshi") in crumbs and "見直しの計画" in crumbs and "概要版" in crumbs

    flyer = body_of(client, url("flyer_html", "minaoshi"))
    assert 'href="https://example.org' not in flyer
    assert 'class="ps-crumbs"' in flyer and "https://example.org" + url("council", "minaoshi") in flyer


# 8 ------------------------------------------------------------------ the preview


def test_preview_says_it_is_not_published_and_explains_an_empty_progress(client, plan, make_user):
    client.force_login(make_user("admin_r", "admin", plan.council))
    body = body_of(client, reverse("publishing:preview_part", args=[plan.pk, "progress", 2026]))
    assert "公表前の確認（まだ公表していません）" in body
    assert "公表日" not in body
    if "項目ごとの進み具合" in body:
        assert "公表できる進捗（サンプルでない報告）がまだありません。" in body


# 9 ------------------------------------------------------------------ PDF headings keep with the text


def test_summary_pdf_headings_keep_with_the_next_paragraph():
    styles = summary_pdf._Styles(summary_pdf._register_font())
    assert styles.h1.keepWithNext and styles.h2.keepWithNext and styles.h3.keepWithNext


# 10 ----------------------------------------------------------------- the live 参加する list is cached


def test_take_part_is_cached_for_a_minute_per_council_and_day(client, plan):
    real = making.take_part
    with mock.patch.object(making, "take_part", side_effect=real) as spy:
        body_of(client, url("council", "minaoshi"))
        body_of(client, url("council", "minaoshi") + "?ruby=1")  # another page, same list
        body_of(client, url("council", "minaoshi"))
        assert spy.call_count == 1
        key = f"sasaeai:public:take_part:{plan.council_id}:{timezone.localdate().isoformat()}"
        assert cache.get(key) is not None
        cache.delete(key)  # a minute later
        body_of(client, url("council", "minaoshi"))
        assert spy.call_count == 2


def test_cached_council_page_costs_no_take_part_query(client, plan, django_assert_num_queries):
    body_of(client, url("council", "minaoshi"))
    with mock.patch.object(making, "take_part", side_effect=AssertionError("not cached")):
        body_of(client, url("council", "minaoshi"))
