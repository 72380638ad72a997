"""The staff pages of publishing: who may open them, the settings form, the confirmation flow, junk input."""

import pytest
from django.urls import reverse
from django.utils import timezone

from sasaeai.publishing import services
from sasaeai.publishing.models import Publication, PublicSite

ROLES = ["admin", "editor", "leader", "reporter", "viewer", "committee"]
PUBLISHERS = {"admin", "editor"}
CONSEQUENCE = "この内容が、だれでも見られる公開サイトに載ります。名前・連絡先・自己評価・サンプルは載りません。"


@pytest.fixture
def plan(councils):
    from sasaeai.demo.generator import create_running_plan

    return create_running_plan(
        council=councils["a"], projects=2, goals=1, indicators=1, years=2, start=2026, title="公表のテスト計画"
    )


@pytest.fixture
def other_plan(councils):
    from sasaeai.demo.generator import create_running_plan

    return create_running_plan(
        council=councils["b"], projects=2, goals=1, indicators=1, years=2, start=2026, title="よその計画"
    )


def text(response):
    return response.content.decode()


# --------------------------------------------------------------------------- who may open the pages


@pytest.mark.parametrize("role", ROLES)
def test_page_matrix(client, users, plan, other_plan, role):
    """Admin and editor open every page in their council; nobody opens another council's (the same 404)."""
    mine = services.publication_publish(plan=plan, part="structure", by=users["admin"])
    theirs = services.publication_publish(plan=other_plan, part="structure", by=users["outsider"])
    client.force_login(users[role])
    for p, publication in ((plan, mine), (other_plan, theirs)):
        urls = {
            "site": reverse("publishing:site", args=[p.council_id]),
            "plan": reverse("publishing:plan", args=[p.pk]),
            "publish": reverse("publishing:publish", args=[p.pk, "progress", 2026]),
            "withdraw": reverse("publishing:withdraw", args=[p.pk, publication.pk]),
        }
        got = {name: client.get(url).status_code for name, url in urls.items()}
        allowed = role in PUBLISHERS and p == plan
        assert got == {name: 200 if allowed else 404 for name in urls}, (role, p.title)


@pytest.mark.parametrize("role", ROLES)
def test_only_an_admin_changes_the_site_settings(client, users, councils, role):
    client.force_login(users[role])
    url = reverse("publishing:site", args=[councils["a"].pk])
    response = client.post(url, {"slug": "test-shi", "is_open": "on", "licence": "CC-BY-4.0"})
    assert response.status_code == (302 if role == "admin" else 404)
    assert PublicSite.objects.filter(council=councils["a"]).exists() is (role == "admin")


def test_an_editor_reads_the_settings_but_cannot_change_them(client, users, councils):
    services.site_update(council=councils["a"], slug="test-shi", is_open=True, by=users["admin"])
    client.force_login(users["editor"])
    html = text(client.get(reverse("publishing:site", args=[councils["a"].pk])))
    assert "http://testserver/public/test-shi/" in html
    assert "設定を変えられるのは社協管理者です" in html and "保存する" not in html
    assert 'name="slug"' in html and "disabled" in html


def test_the_plan_tabs_link_to_publishing_only_for_those_who_may_publish(client, users, plan):
    url = reverse("publishing:plan", args=[plan.pk])
    for role in ROLES:
        client.force_login(users[role])
        html = text(client.get(reverse("plans:overview", args=[plan.pk])))
        assert (url in html) is (role in PUBLISHERS), role


# --------------------------------------------------------------------------- the settings form


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("Kurashiki", "大文字は使えません"),
        ("くらしき", "使えない文字があります: 「く」、「ら」、「し」、「き」"),
        ("my site", "使えない文字があります: 空白"),
        ("my_site", "使えない文字があります: 「_」"),
        ("a", "短すぎます"),
        ("a" * 61, "長すぎます。60文字以内にしてください（いまは61文字）"),
        ("-abc", "先頭と末尾にはハイフン"),
        ("Kura shiki_", "大文字は使えません。半角の英小文字に"),
        ("Kura shiki_", "kurashiki）。 公開アドレスに使えない文字があります: 空白、「_」。"),
        ("api", "「api」はこのサイトが使う名前なので使えません"),
        ("open-data", "このサイトが使う名前"),
        ("yoso", "「yoso」はほかの社協が使っています"),
    ],
)
def test_site_form_errors_are_japanese_and_on_the_slug_field(client, users, councils, slug, message):
    services.site_update(council=councils["b"], slug="yoso", is_open=True, by=users["outsider"])
    client.force_login(users["admin"])
    response = client.post(
        reverse("publishing:site", args=[councils["a"].pk]), {"slug": slug, "is_open": "on", "licence": "CC0-1.0"}
    )
    assert response.status_code == 400
    html = text(response)
    assert message in html
    assert 'class="field has-error"' in html and 'for="id_slug"' in html
    assert not PublicSite.objects.filter(council=councils["a"]).exists()


def test_saving_the_settings_shows_the_address_and_warns_about_printed_codes(client, users, councils):
    client.force_login(users["admin"])
    url = reverse("publishing:site", args=[councils["a"].pk])
    html = text(client.get(url))
    assert "公開サイトはまだありません" in html and "QRコード" not in html
    response = client.post(
        url, {"slug": "test-shi", "is_open": "on", "introduction": "ごあいさつ", "licence": "PDL-1.0"}, follow=True
    )
    html = text(response)
    assert "公開サイトの設定を保存しました" in html
    assert "http://testserver/public/test-shi/" in html and "QRコード" in html
    site = PublicSite.objects.get(council=councils["a"])
    assert (site.slug, site.is_open, site.introduction, site.licence) == ("test-shi", True, "ごあいさつ", "PDL-1.0")
    response = client.post(url, {"slug": "test-shi", "licence": "nonsense"})
    assert response.status_code == 400 and "正しく選択してください" in text(response)
    site.refresh_from_db()
    assert site.is_open is True


# --------------------------------------------------------------------------- the plan page and the confirmation


def test_no_site_yet_is_said_with_a_way_to_settings(client, users, plan):
    client.force_login(users["admin"])
    html = text(client.get(reverse("publishing:plan", args=[plan.pk])))
    assert "公開サイトはまだありません" in html
    assert reverse("publishing:site", args=[plan.council_id]) in html
    client.force_login(users["editor"])
    assert "社協管理者に公開サイトの設定を依頼してください" in text(
        client.get(reverse("publishing:plan", args=[plan.pk]))
    )


def test_the_plan_page_lists_every_year_with_its_three_parts(client, users, plan):
    client.force_login(users["editor"])
    html = text(client.get(reverse("publishing:plan", args=[plan.pk])))
    for year in (2026, 2027):
        for part in ("progress", "evaluation", "opinion"):
            assert reverse("publishing:publish", args=[plan.pk, part, year]) in html
    assert reverse("publishing:publish", args=[plan.pk, "progress", 2028]) not in html
    assert html.count("未公表") == 7 and "この計画はまだ公表していません" in html


def test_publish_confirm_then_withdraw(client, users, plan):
    services.site_update(council=plan.council, slug="test-shi", is_open=True, by=users["admin"])
    client.force_login(users["editor"])
    url = reverse("publishing:publish", args=[plan.pk, "structure", 0])
    html = text(client.get(url))
    assert CONSEQUENCE in html
    assert "項目: 3件（基本目標・推進事業）" in html and "地域生活課題: 0件" in html
    assert not Publication.objects.filter(plan=plan).exists()  # looking publishes nothing
    response = client.post(url, {"note": "理事会で承認（12月1日）"}, follow=True)
    html = text(response)
    assert "「計画の内容（基本理念・体系・地域生活課題・策定の経過）」を公表しました" in html
    assert "公開中" in html and "editor_a" in html and "理事会で承認（12月1日）" in html
    publication = Publication.objects.get(plan=plan, is_current=True)
    assert publication.published_by == users["editor"] and publication.note == "理事会で承認（12月1日）"

    withdraw = reverse("publishing:withdraw", args=[plan.pk, publication.pk])
    assert "前に公表していた内容が代わりに載ることはありません" in text(client.get(withdraw))
    response = client.post(withdraw, {"reason": ""})
    assert response.status_code == 400 and "取り下げる理由を書いてください" in text(response)
    publication.refresh_from_db()
    assert publication.is_current
    html = text(client.post(withdraw, {"reason": "誤字があったため"}, follow=True))
    assert "の公表を取り下げました" in html and "取り下げ" in html and "誤字があったため" in html
    assert not Publication.objects.filter(plan=plan, is_current=True).exists()
    again = client.post(withdraw, {"reason": "もう一度"}, follow=True)
    assert again.status_code == 200 and "すでに取り下げられている" in text(again)


def test_the_confirmation_counts_what_a_year_would_publish(client, users, plan):
    from decimal import Decimal

    from sasaeai.progress.models import Indicator, IndicatorActual, IndicatorTarget, ProgressReport

    services.publication_publish(plan=plan, part="structure", by=users["admin"])
    leaf = plan.nodes.filter(parent__isnull=False).order_by("pk").first()
    indicator = Indicator.objects.create(node=leaf, name="参加者数", unit="人")
    IndicatorTarget.objects.create(indicator=indicator, fiscal_year=2027, value=Decimal(10))
    ProgressReport.objects.filter(node=leaf, fiscal_year=2027).delete()
    report = ProgressReport.objects.create(node=leaf, fiscal_year=2027, period=1)
    IndicatorActual.objects.create(report=report, indicator=indicator, value=Decimal(7))
    client.force_login(users["admin"])
    html = text(client.get(reverse("publishing:publish", args=[plan.pk, "progress", 2027])))
    assert "指標: 1件（うち実績値のあるもの 1件）" in html  # the sample indicators are not counted
    assert "住民に見せる内容がまだありません" not in html
    html = text(client.get(reverse("publishing:publish", args=[plan.pk, "evaluation", 2027])))
    assert "最終評価が確定した事業: 0件" in html
    assert "住民に見せる内容がまだありません" in html


def test_refusals_are_messages_on_the_plan_page(client, users, plan, councils):
    from sasaeai.demo.generator import create_plan
    from sasaeai.evaluation.models import CommitteeOpinion

    client.force_login(users["editor"])

    def refused(p, part, year):
        response = client.get(reverse("publishing:publish", args=[p.pk, part, year]), follow=True)
        assert response.redirect_chain[-1][0] == reverse("publishing:plan", args=[p.pk])
        return text(response)

    assert "先に「計画の内容」を公表してください" in refused(plan, "progress", 2026)
    services.publication_publish(plan=plan, part="structure", by=users["admin"])
    assert "年度は計画期間の中から選んでください" in refused(plan, "progress", 2031)
    CommitteeOpinion.objects.create(plan=plan, fiscal_year=2026, text="下書きの総評")
    assert "総評はまだ確定していません" in refused(plan, "opinion", 2026)
    drafting = create_plan(council=councils["a"], nodes=3, issues=1, title="策定中の計画")
    drafting.status = drafting.Status.DRAFTING
    drafting.save()
    html = refused(drafting, "structure", 0)
    assert "策定中の計画は公表できません" in html
    # A POST is refused the same way, and publishes nothing.
    client.post(reverse("publishing:publish", args=[drafting.pk, "structure", 0]), {"note": ""})
    assert not Publication.objects.filter(plan=drafting).exists()


def test_a_double_click_on_publish_replaces_rather_than_fails(client, users, plan):
    client.force_login(users["editor"])
    url = reverse("publishing:publish", args=[plan.pk, "structure", 0])
    assert client.post(url, {"note": "1回目"}).status_code == 302
    assert client.post(url, {"note": "2回目"}).status_code == 302
    assert Publication.objects.filter(plan=plan).count() == 2
    assert list(Publication.objects.filter(plan=plan, is_current=True).values_list("note", flat=True)) == ["2回目"]
    html = text(client.get(reverse("publishing:plan", args=[plan.pk])))
    assert "置き換え済み" in html


def test_the_history_names_who_published_and_who_withdrew(client, users, plan):
    first = services.publication_publish(plan=plan, part="structure", note="最初", by=users["editor"])
    services.publication_withdraw(publication=first, reason="見直し", by=users["admin"])
    services.publication_publish(plan=plan, part="structure", by=None)  # the demo loader publishes as nobody
    client.force_login(users["admin"])
    html = text(client.get(reverse("publishing:plan", args=[plan.pk])))
    history = html.split("公表の履歴", 1)[1]
    assert "editor_a" in history and "admin_a" in history and "見直し" in history and "最初" in history
    assert "（自動）" in history


# --------------------------------------------------------------------------- junk input


def test_junk_in_the_address_is_the_same_404_never_a_500(client, users, plan, other_plan):
    mine = services.publication_publish(plan=plan, part="structure", by=users["admin"])
    theirs = services.publication_publish(plan=other_plan, part="structure", by=users["outsider"])
    client.force_login(users["admin"])
    urls = [
        f"/plans/{plan.pk}/public/publish/people/2026/",
        f"/plans/{plan.pk}/public/publish/progress/abc/",
        f"/plans/{plan.pk}/public/publish/progress/２０２６/",
        f"/plans/{plan.pk}/public/publish/progress/-1/",
        f"/plans/{plan.pk}/public/publish/progress/99999999999999999999/",
        f"/plans/{plan.pk}/public/withdraw/abc/",
        f"/plans/{plan.pk}/public/withdraw/99999999999999999999/",
        f"/plans/{plan.pk}/public/withdraw/{theirs.pk}/",  # a publication of another plan
        "/plans/abc/public/",
        "/plans/99999999999999999999/public/",
        "/councils/abc/public/",
        "/councils/99999999999999999999/public/",
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"note": "x", "reason": "x"}).status_code == 404, url
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.is_current and theirs.is_current
    # A year beyond the plan period but well-formed is a message, not a 404.
    response = client.get(f"/plans/{plan.pk}/public/publish/progress/2099/", follow=True)
    assert "計画期間の中から" in text(response)
    # Junk in the form is a form error or ignored, never a 500.
    big = client.post(reverse("publishing:publish", args=[plan.pk, "structure", 0]), {"note": "あ" * 5000})
    assert big.status_code == 400 and "2000 文字以下" in text(big)
    assert Publication.objects.filter(plan=plan).count() == 1


def test_an_opinion_is_published_from_the_page_once_confirmed(client, users, plan):
    from sasaeai.evaluation.models import CommitteeOpinion

    services.publication_publish(plan=plan, part="structure", by=users["admin"])
    CommitteeOpinion.objects.create(
        plan=plan, fiscal_year=2026, text="よく取り組まれています。", is_submitted=True, submitted_at=timezone.now()
    )
    client.force_login(users["editor"])
    url = reverse("publishing:publish", args=[plan.pk, "opinion", 2026])
    html = text(client.get(url))
    assert "よく取り組まれています。" in html and "総評・答申: 12文字" in html
    assert client.post(url, {}).status_code == 302
    assert (
        Publication.objects.get(plan=plan, part="opinion", is_current=True).data["text"] == "よく取り組まれています。"
    )


def test_the_plan_page_query_count_does_not_grow_with_its_history(client, users, plan):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sasaeai.evaluation.models import CommitteeOpinion

    client.force_login(users["editor"])
    url = reverse("publishing:plan", args=[plan.pk])
    services.publication_publish(plan=plan, part="structure", by=users["admin"])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for year in (2026, 2027):
        CommitteeOpinion.objects.create(
            plan=plan, fiscal_year=year, text="総評", is_submitted=True, submitted_at=timezone.now()
        )
        for part in ("progress", "evaluation", "opinion"):
            for by in (users["admin"], users["editor"]):
                services.publication_publish(plan=plan, part=part, fiscal_year=year, by=by)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.content.decode().count("置き換え済み") == 6
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
