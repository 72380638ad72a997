"""ふりがな on the whole public page: every text with kanji inside <body> gets ruby (template headings too), markup
and attribute values stay as they were, nothing is wrapped twice, and a page without ?ruby=1 is untouched.
Also: dictionary words apply only over whole words, and the index lists councils in 50音順."""

import re
from html.parser import HTMLParser

import pytest
from django.core.cache import cache
from django.urls import reverse

from sasaeai.core.services import council_create
from sasaeai.demo.generator import create_plan
from sasaeai.plans.models import Plan
from sasaeai.publishing import furigana, public_context, services
from sasaeai.publishing.models import ReadingEntry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()


def _open_site(name, slug):
    council = council_create(name=name, phone="086-000-0000", address="本町1-1")
    services.site_update(council=council, slug=slug, is_open=True, introduction="ようこそ。", by=None)
    plan = create_plan(council=council, nodes=4, issues=1, title="公開テストの計画")
    Plan.objects.filter(pk=plan.pk).update(period_start=2026, period_end=2030, vision="みんなで支え合うまち")
    services.publication_publish(plan=plan, part="structure", by=None)
    return council, plan


@pytest.fixture
def plan():
    return _open_site("公開テスト市社会福祉協議会", "koukai")[1]


def plan_url(plan, query=""):
    return reverse("site:plan", args=["koukai", plan.pk]) + query


def ruby(surface, reading):
    return f"<ruby>{surface}<rp>（</rp><rt>{reading}</rt><rp>）</rp></ruby>"


class RubyNesting(HTMLParser):
    """Records any <ruby> opened inside another <ruby> (an <rt> included)."""

    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.depth = 0
        self.nested = 0

    def handle_starttag(self, tag, attrs):
        if tag == "ruby":
            self.nested += self.depth > 0
            self.depth += 1

    def handle_endtag(self, tag):
        if tag == "ruby":
            self.depth -= 1


# ------------------------------------------------------------------------------------------- the page


def test_static_headings_of_the_plan_page_get_ruby(client, plan):
    body = client.get(plan_url(plan, "?ruby=1")).content.decode()
    assert f'<h2 id="vision-heading">{ruby("基本", "きほん")}{ruby("理念", "りねん")}</h2>' in body
    assert f'<a href="#vision">{ruby("基本", "きほん")}' in body
    assert ruby("期間", "きかん") in body
    plain = client.get(plan_url(plan)).content.decode()
    assert '<h2 id="vision-heading">基本理念</h2>' in plain


def test_attributes_head_and_links_are_left_as_they_were(client, plan, monkeypatch):
    query = "?ruby=1&easy=1"
    body = client.get(plan_url(plan, query)).content.decode()
    cache.clear()
    monkeypatch.setattr(public_context, "add_ruby", lambda html, council_id: html)
    rendered = client.get(plan_url(plan, query)).content.decode()  # the same page before the ruby step

    def tags(html):
        return [t for t in re.findall(r"<[!/]?[A-Za-z][^>]*>", html) if re.match(r"</?(ruby|rt|rp)>", t) is None]

    assert tags(body) == tags(rendered), "every tag with its attribute values is as the template rendered it"
    with_kanji = [t for t in tags(body) if furigana.has_kanji(t)]
    assert with_kanji and "aria-label" in "".join(with_kanji)  # attribute values with kanji, left plain
    assert '?ruby=1&amp;easy=1"' in body.split("<body")[1]
    head = body.split("<body")[0]
    assert head == rendered.split("<body")[0] and "公開テストの計画" in head  # <title> as it was
    assert "<svg" in body and "<ruby>" not in "".join(re.findall(r"<svg.*?</svg>", body, re.DOTALL))


def test_published_text_is_not_wrapped_twice(client, plan):
    body = client.get(plan_url(plan, "?ruby=1")).content.decode()
    h1 = re.search(r"<h1[^>]*>(.*?)</h1>", body, re.DOTALL).group(1)
    assert h1.count("<ruby>") == 2, h1  # 公開 and 計画, printed by {% rb %}, left alone afterwards
    assert ruby("公開", "こうかい") in h1 and ruby("計画", "けいかく") in h1
    parser = RubyNesting()
    parser.feed(body)
    assert parser.nested == 0 and parser.depth == 0
    assert "<rt><ruby>" not in body and "<ruby><ruby>" not in body


def test_without_ruby_the_page_is_byte_for_byte_what_the_template_renders(client, plan, monkeypatch):
    before = client.get(plan_url(plan)).content
    assert b"<ruby>" not in before
    cache.clear()

    def refuse(*args):
        raise AssertionError("no ruby work without ?ruby=1")

    monkeypatch.setattr(public_context, "add_ruby", refuse)
    after = client.get(plan_url(plan)).content
    assert after == before
    council = client.get(reverse("site:council", args=["koukai"])).content
    assert b"<ruby>" not in council


def test_the_page_with_ruby_is_cached_once_per_version(client, plan, monkeypatch):
    first = client.get(plan_url(plan, "?ruby=1")).content
    calls = []
    monkeypatch.setattr(public_context, "add_ruby", lambda html, council_id: calls.append(1) or html)
    assert client.get(plan_url(plan, "?ruby=1")).content == first
    assert calls == []


def test_the_council_dictionary_reaches_template_text(client, plan):
    ReadingEntry.objects.create(council=plan.council, surface="理念", reading="りーねん")
    body = client.get(plan_url(plan, "?ruby=1")).content.decode()
    assert ruby("理念", "りーねん") in body


# ------------------------------------------------------------------------------------------- add_ruby itself


def test_add_ruby_keeps_escapes_and_markup():
    html = (
        '<!doctype html><html><head><title>計画</title></head><body><a href="?ruby=1&amp;easy=1" title="地域">'
        "地域&amp;福祉 &lt;script&gt;計画&lt;/script&gt;</a><svg><text>計画</text></svg><!-- 計画 -->"
        "<pre>計画</pre><code>計画</code><select><option>計画</option></select><textarea>計画</textarea>"
        '<p>a>b "計画"</p><script>if (a<b) {}</script>'
        f"{ruby('福祉', 'ふくし')}</body></html>"
    )
    out = public_context.add_ruby(html, None)
    assert out.startswith(
        '<!doctype html><html><head><title>計画</title></head><body><a href="?ruby=1&amp;easy=1" title="地域">'
    )
    words = f"{ruby('地域', 'ちいき')}&amp;{ruby('福祉', 'ふくし')}"
    assert f"{words} &lt;script&gt;{ruby('計画', 'けいかく')}&lt;/script&gt;</a>" in out
    tail = (
        "<svg><text>計画</text></svg><!-- 計画 --><pre>計画</pre><code>計画</code><select><option>計画</option>"
        "</select><textarea>計画</textarea>"
    )
    assert tail in out
    assert (
        f'<p>a>b "{ruby("計画", "けいかく")}"</p><script>if (a<b) {{}}</script>{ruby("福祉", "ふくし")}</body>' in out
    )
    # Taking the ruby out again gives back the page exactly.
    stripped = re.sub(r"<rp>（</rp><rt>[^<]*</rt><rp>）</rp></ruby>", "", out.replace("<ruby>", ""))
    assert stripped == html.replace(ruby("福祉", "ふくし"), "福祉")


def test_add_ruby_leaves_a_page_without_kanji_alone():
    html = "<html><body><p>ひらがな &amp; ABC</p></body></html>"
    assert public_context.add_ruby(html, None) == html


# ------------------------------------------------------------------------------------------- whole words


def test_a_dictionary_word_applies_only_over_whole_words(councils):
    ReadingEntry.objects.create(council=councils["a"], surface="方", reading="かた")
    readings = furigana.readings_for(councils["a"].pk, ["方法", "方々", "この方が", "やり方"])
    assert readings["方法"] == [["方法", "ほうほう"]]
    assert readings["方々"] == [["方々", "かたがた"]]
    assert ["方", "かた"] in readings["この方が"]
    assert readings["やり方"] == [["やり", ""], ["方", "かた"]]


def test_a_dictionary_word_still_applies_inside_a_compound_on_word_boundaries():
    reader = furigana.Reader({"愛育委員": "あいいくいいん", "方": "かた"})
    assert reader.segments("愛育委員会") == [["愛育委員", "あいいくいいん"], ["会", "かい"]]


def test_repeat_mark_never_gets_a_reading_of_its_own():
    reader = furigana.Reader({"方": "かた"})
    for text in ("方々", "人々", "佐々木さん", "々"):
        for surface, reading in reader.segments(text):
            assert not (reading and surface.startswith("々")), (text, surface, reading)


def test_a_one_character_word_is_saved_with_a_warning(users, client_for, councils):
    client = client_for(users["admin"])
    add = reverse("publishing:dictionary_add", args=[councils["a"].pk])
    response = client.post(add, {"surface": "方", "reading": "かた"}, follow=True)
    assert ReadingEntry.objects.filter(council=councils["a"], surface="方").exists()
    assert "1文字の語は、その字を含むほかの語には使われません" in response.content.decode()
    response = client.post(add, {"surface": "愛育委員", "reading": "あいいくいいん"}, follow=True)
    assert "1文字の語" not in response.content.decode()


# ------------------------------------------------------------------------------------------- index order


def test_index_lists_councils_by_the_reading_of_their_names(client):
    for name, slug in [
        ("柏市社協", "kashiwa"),
        ("中原区社協", "nakahara"),
        ("一関市社協", "ichinoseki"),
        ("倉敷市社協", "kurashiki"),
    ]:
        _open_site(name, slug)
    body = client.get(reverse("site:index")).content.decode()
    positions = [body.index(f"/public/{slug}/") for slug in ("ichinoseki", "kashiwa", "kurashiki", "nakahara")]
    assert positions == sorted(positions)  # いちのせき, かしわ, くらしき, なかはら (not 一 中 倉 柏)
