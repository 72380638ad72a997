"""概要版 (page and PDF) and flyer: built from the published copies of the demo's plans."""

import datetime
import io
import re

import pytest
import segno
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone
from pypdf import PdfReader

from sasaeai.accounts.models import User
from sasaeai.participation.models import PublicCommentPeriod
from sasaeai.plans.models import Plan
from sasaeai.publishing import qr, selectors, services, summary_pdf
from sasaeai.publishing.models import Publication, PublicSite


@pytest.fixture(scope="module")
def demo_loaded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("demo", stdout=io.StringIO())
    yield
    with django_db_blocker.unblock():
        call_command("flush", "--noinput", verbosity=0)


@pytest.fixture
def demo(demo_loaded, db):
    """The demo, loaded once; each test's changes are rolled back, and the page cache starts empty."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def kurashiki(demo):
    site = PublicSite.objects.select_related("council").get(slug="kurashiki")
    publication = Publication.objects.get(council=site.council, part=Publication.Part.STRUCTURE, is_current=True)
    return site, publication


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text or "")


def pdf_text(reader: PdfReader) -> str:
    return flat("".join(page.extract_text() or "" for page in reader.pages))


def font_files(reader: PdfReader) -> list[tuple[str, bool]]:
    """(font name, has an embedded TrueType program) for every font the pages use."""
    found = {}
    for page in reader.pages:
        fonts = (page.get("/Resources") or {}).get("/Font") or {}
        for ref in fonts.values():
            font = ref.get_object()
            descriptor = font.get("/FontDescriptor")
            embedded = descriptor is not None and "/FontFile2" in descriptor.get_object()
            found[str(font.get("/BaseFont"))] = embedded
    return sorted(found.items())


def test_summary_pdf_of_kurashiki(client, kurashiki):
    site, publication = kurashiki
    plan = publication.data["plan"]
    response = client.get(f"/public/kurashiki/plans/{publication.plan_id}/summary.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "filename*=utf-8''" in response["Content-Disposition"]
    reader = PdfReader(io.BytesIO(response.content))
    goals = [n for n in publication.data["nodes"] if n["parent"] is None]
    # cover, 体系図, one page per goal, taking part and contacts
    assert len(reader.pages) >= 3 + len(goals) >= 4
    text = pdf_text(reader)
    assert flat(plan["vision"]) in text
    assert flat(plan["title"]) in text
    assert flat(plan["period_label"]) in text
    for goal in goals:
        assert flat(goal["title"]) in text
    assert flat("地域での取り組み") in text and flat("社協の取り組み") in text
    assert flat(site.council.phone) in text
    assert reader.metadata.title == f"{plan['title']} 概要版"
    assert reader.metadata.author == site.council.name
    assert reader.trailer["/Root"].get("/Lang") == "ja"
    fonts = font_files(reader)
    ipa = [name for name, embedded in fonts if "IPAexGothic" in name and embedded]
    assert ipa, fonts
    assert all(embedded for name, embedded in fonts if "IPAexGothic" in name)


def test_summary_pdf_is_cached_per_publication(client, kurashiki, django_assert_max_num_queries):
    site, publication = kurashiki
    url = f"/public/kurashiki/plans/{publication.plan_id}/summary.pdf"
    first = client.get(url).content
    key = selectors.cache_key(site, "summary.pdf", publication.plan_id, publication.pk)
    assert cache.get(key) == first
    with django_assert_max_num_queries(3):  # site, publications: no tree, no branches, no rebuild
        assert client.get(url).content == first


def test_summary_page_has_the_qr_code_as_inline_svg_with_the_absolute_address(client, kurashiki):
    site, publication = kurashiki
    response = client.get(f"/public/kurashiki/plans/{publication.plan_id}/summary/")
    assert response.status_code == 200
    html = response.content.decode()
    plan_url = settings.SASAEAI_BASE_URL.rstrip("/") + f"/public/kurashiki/plans/{publication.plan_id}/"
    assert plan_url.startswith("http")
    svg = re.search(r"<svg[^>]*>.*?</svg>", html, re.S).group(0)
    assert 'role="img"' in svg and plan_url in svg
    assert "data:" not in html and "style=" not in html and "<script" not in html
    # the drawn path is exactly segno's symbol for the address
    assert qr.svg_modules(svg) == [[bool(v) for v in row] for row in segno.make(plan_url, error="m").matrix]
    # the printed address is absolute, the link itself relative (it stays on this host)
    assert f'href="/public/kurashiki/plans/{publication.plan_id}/">{plan_url}</a>' in html
    plan = publication.data["plan"]
    assert plan["vision"] in html and plan["title"] in html and plan["period_label"] in html
    assert "概要版" in html and "参加するには" in html and "お問い合わせ" in html
    assert site.council.phone in html and site.council.email in html
    assert f'href="/public/kurashiki/plans/{publication.plan_id}/summary.pdf"' in html


def test_summary_page_names_no_person(client, kurashiki):
    _site, publication = kurashiki
    # the person who published it has a name, and so does every other user of the demo
    publisher = User.objects.get(username="demo")
    User.objects.filter(pk=publisher.pk).update(display_name="公表担当の山田花子", last_name="山田", first_name="花子")
    Publication.objects.filter(pk=publication.pk).update(published_by=publisher)
    html = client.get(f"/public/kurashiki/plans/{publication.plan_id}/summary/").content.decode()
    names = set()
    for user in User.objects.all():
        names |= {user.display_name.strip(), user.get_full_name().strip(), user.last_name.strip()}
    names = {n for n in names if len(n) >= 2}
    assert "山田" in names
    assert not [n for n in names if n in html]
    pdf = client.get(f"/public/kurashiki/plans/{publication.plan_id}/summary.pdf").content
    text = pdf_text(PdfReader(io.BytesIO(pdf)))
    assert not [n for n in names if flat(n) in text]


def test_qr_flowable_draws_the_symbol_of_the_address():
    from reportlab.pdfgen.canvas import Canvas

    url = "https://sasaeai.example.jp/public/kurashiki/plans/7/"
    code = qr.flowable(url, 100)
    code.drawOn(Canvas(io.BytesIO()), 0, 0)
    expected = segno.make(url, error="m").matrix
    drawn = [[False] * len(expected) for _ in expected]
    for y, x, n in code.drawn_runs:
        for i in range(n):
            drawn[y][x + i] = True
    assert drawn == [[bool(v) for v in row] for row in expected]
    assert qr.runs([[True, True, False, True]]) == [(0, 0, 2), (0, 3, 1)]


@pytest.mark.parametrize(
    "path",
    [
        "/public/kurashiki/plans/{other}/summary/",
        "/public/kurashiki/plans/{other}/summary.pdf",
        "/public/kurashiki/plans/999999/summary.pdf",
        "/public/kurashiki/plans/abc/summary/",
        "/public/no-such-council/plans/{own}/summary.pdf",
        "/public/no-such-council/flyer.pdf",
        "/public/no-such-council/flyer/",
    ],
)
def test_unknown_or_unpublished_is_the_same_404(client, kurashiki, path):
    site, publication = kurashiki
    other = Publication.objects.filter(is_current=True).exclude(council=site.council).first()
    response = client.get(path.format(other=other.plan_id, own=publication.plan_id))
    assert response.status_code == 404
    assert "ページが見つかりません" in response.content.decode() or "見つかりません" in response.content.decode()


def test_closed_site_is_404(client, kurashiki):
    site, publication = kurashiki
    PublicSite.objects.filter(pk=site.pk).update(is_open=False)
    assert client.get(f"/public/kurashiki/plans/{publication.plan_id}/summary.pdf").status_code == 404
    assert client.get("/public/kurashiki/flyer.pdf").status_code == 404


def test_withdrawal_is_404_and_a_new_publication_is_not_served_from_the_cache(client, kurashiki):
    _site, publication = kurashiki
    user = User.objects.get(username="demo")
    page = f"/public/kurashiki/plans/{publication.plan_id}/summary/"
    pdf = f"/public/kurashiki/plans/{publication.plan_id}/summary.pdf"
    old_title = publication.data["plan"]["title"]
    assert client.get(page).status_code == 200
    assert flat(old_title) in pdf_text(PdfReader(io.BytesIO(client.get(pdf).content)))

    services.publication_withdraw(publication=publication, reason="内容を確認するため", by=user)
    assert client.get(page).status_code == 404
    assert client.get(pdf).status_code == 404

    Plan.objects.filter(pk=publication.plan_id).update(title="第4次倉敷市地域福祉活動計画（改訂版）")
    plan = Plan.objects.get(pk=publication.plan_id)
    services.publication_publish(plan=plan, part=Publication.Part.STRUCTURE, by=user)
    text = pdf_text(PdfReader(io.BytesIO(client.get(pdf).content)))
    assert flat("第4次倉敷市地域福祉活動計画（改訂版）") in text
    assert "（改訂版）" in client.get(page).content.decode()


def _period(plan, title, opens, closes, *, sample=False, key):
    return PublicCommentPeriod.objects.create(
        plan=plan, title=title, opens_on=opens, closes_on=closes, public_key=key, is_sample=sample
    )


def test_flyer_lists_plans_and_only_open_real_comment_periods(client, kurashiki):
    site, publication = kurashiki
    PublicCommentPeriod.objects.filter(plan__council=site.council).delete()
    plan = Plan.objects.get(pk=publication.plan_id)
    today = timezone.localdate()
    day = datetime.timedelta(days=1)
    _period(plan, "計画の見直し案への意見募集", today - day, today + 10 * day, key="open-period-key")
    _period(plan, "サンプルの意見募集", today - day, today + day, sample=True, key="sample-key")
    _period(plan, "終わった意見募集", today - 20 * day, today - day, key="closed-key")
    _period(plan, "これからの意見募集", today + day, today + 5 * day, key="later-key")

    html = client.get("/public/kurashiki/flyer/").content.decode()
    base = settings.SASAEAI_BASE_URL.rstrip("/")
    assert "わたしたちの地域福祉活動計画を公開しています" in html
    assert publication.data["plan"]["title"] in html and publication.data["plan"]["vision"] in html
    assert f"{base}/public/kurashiki/" in html
    assert "計画の見直し案への意見募集" in html and f"{base}/public/comment/open-period-key/" in html
    for hidden in ("サンプルの意見募集", "終わった意見募集", "これからの意見募集", "sample-key", "closed-key"):
        assert hidden not in html
    assert html.count("<svg") == 2
    assert "style=" not in html and "data:" not in html

    response = client.get("/public/kurashiki/flyer.pdf")
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    text = pdf_text(reader)
    assert flat("わたしたちの地域福祉活動計画を公開しています") in text
    assert flat("計画の見直し案への意見募集") in text and "サンプルの意見募集" not in text
    assert flat(publication.data["plan"]["title"]) in text
    assert any(embedded for name, embedded in font_files(reader) if "IPAexGothic" in name)


def test_flyer_follows_a_period_closing_without_a_publication(client, kurashiki):
    site, publication = kurashiki
    PublicCommentPeriod.objects.filter(plan__council=site.council).delete()
    plan = Plan.objects.get(pk=publication.plan_id)
    today = timezone.localdate()
    period = _period(plan, "計画の見直し案への意見募集", today, today + datetime.timedelta(days=3), key="k1")
    assert flat("計画の見直し案への意見募集") in pdf_text(
        PdfReader(io.BytesIO(client.get("/public/kurashiki/flyer.pdf").content))
    )
    PublicCommentPeriod.objects.filter(pk=period.pk).update(closes_on=today - datetime.timedelta(days=1))
    text = pdf_text(PdfReader(io.BytesIO(client.get("/public/kurashiki/flyer.pdf").content)))
    assert flat("計画の見直し案への意見募集") not in text


def test_summary_of_a_large_plan_fits_its_tables(kurashiki):
    """A plan of 2,000 items: the 体系図 cells are capped, every goal gets its page, the PDF builds."""
    site, publication = kurashiki
    nodes, next_id = [], 1

    def add(parent, depth, level, code, title, **extra):
        nonlocal next_id
        nodes.append({"id": next_id, "parent": parent, "depth": depth, "level": level, "code": code, "title": title})
        nodes[-1].update(extra)
        next_id += 1
        return next_id - 1

    for g in range(1, 5):
        goal = add(None, 0, "基本目標", str(g), f"目標{g}", is_priority=g == 1)
        for p in range(1, 11):
            project = add(goal, 1, "事業", f"{g}-{p}", f"事業{g}-{p}", actions={"community": [{"text": "見守り"}]})
            for s in range(1, 49):
                add(project, 2, "細目", "", f"細目{g}-{p}-{s}の取り組みを地域のみなさんと進めます")
    assert len(nodes) >= 1960
    publication.data = {**publication.data, "nodes": nodes}
    outline = summary_pdf.summary_outline(site, selectors.PublicPlan(structure=publication))
    content = summary_pdf.summary_build(outline)
    reader = PdfReader(io.BytesIO(content))
    text = pdf_text(reader)
    assert flat("ほか 24 件") in text
    assert flat("細目4-10-48の取り組みを地域のみなさんと進めます") in text
    assert len(reader.pages) > 10
