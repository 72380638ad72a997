"""ふりがな: readings of known words, the council dictionary over the analyser, readings kept current after a
dictionary change, readings refused in the wrong script, and the ruby the public pages print."""

import pytest
from django.core.exceptions import ValidationError
from django.template import Context, Template
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sasaeai.publishing import furigana, services
from sasaeai.publishing.models import Publication, ReadingEntry
from sasaeai.publishing.templatetags.public import ruby_html


def reads(text, entries=None):
    return furigana.Reader(entries or {}).segments(text)


def words(segments):
    """Only the segments that carry a reading, as {surface: reading}."""
    return {s: r for s, r in segments if r}


# ------------------------------------------------------------------------------------------- analyser


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("地域福祉", {"地域": "ちいき", "福祉": "ふくし"}),
        ("社会福祉協議会", {"社会": "しゃかい", "福祉": "ふくし", "協議": "きょうぎ", "会": "かい"}),
        ("民生委員", {"民生": "みんせい", "委員": "いいん"}),
        ("重点", {"重点": "じゅうてん"}),
        ("日出町", {"日出": "ひじ", "町": "まち"}),
        ("美郷町", {"美郷": "みさと", "町": "ちょう"}),
    ],
)
def test_common_welfare_words_and_place_names_are_read_right(text, expected):
    assert words(reads(text)) == expected


def test_okurigana_is_split_off_so_ruby_sits_over_the_kanji_only():
    assert reads("支える") == [["支", "ささ"], ["える", ""]]
    assert reads("見守り") == [["見", "み"], ["守", "まも"], ["り", ""]]
    assert reads("取り組み") == [["取", "と"], ["り", ""], ["組", "く"], ["み", ""]]


def test_numbers_latin_and_kana_get_no_reading():
    segments = reads("令和6年度 ABC ケア会議をひらく")
    assert words(segments) == {"令和": "れいわ", "年度": "ねんど", "会議": "かいぎ"}
    assert "".join(s for s, _ in segments) == "令和6年度 ABC ケア会議をひらく"
    assert reads("ひらがなとカタカナ 123") == [["ひらがなとカタカナ 123", ""]]


def test_readings_are_hiragana():
    for _surface, reading in reads("一人暮らし高齢者の見守りネットワーク活動を東久留米市で進めます"):
        assert all("\u3041" <= ch <= "\u309f" or ch == "ー" for ch in reading)


# ------------------------------------------------------------------------------------------- dictionary


def test_the_council_dictionary_overrides_the_analyser():
    # Sudachi reads 玖珠町 くすまち; a council that wants another reading gets its own.
    assert words(reads("玖珠町"))["玖珠"] == "くす"
    segments = reads("玖珠町の愛育委員会", {"玖珠町": "くすちょう", "愛育委員": "あいいくいいん"})
    assert segments[:3] == [["玖珠町", "くすちょう"], ["の", ""], ["愛育委員", "あいいくいいん"]]
    assert words(segments)["会"] == "かい"


def test_the_longest_dictionary_word_wins():
    segments = reads("東久留米市", {"東久留米": "ひがしくるめ", "久留米": "くるめ", "東久留米市": "ひがしくるめし"})
    assert segments == [["東久留米市", "ひがしくるめし"]]


def test_a_dictionary_reading_also_leaves_okurigana_bare():
    assert reads("見守り隊", {"見守り隊": "みまもりたい"}) == [["見守", "みまも"], ["り", ""], ["隊", "たい"]]


def test_readings_for_walks_nested_data_once_per_text(councils):
    data = {"plan": {"title": "地域福祉"}, "nodes": [{"title": "地域福祉", "actions": {"c": [{"text": "見守り"}]}}]}
    data["nodes"].append({"code": "1-2", "title": "ABC", "weight": "1", "none": None, "n": 3})
    readings = furigana.readings_for(councils["a"].pk, data)
    assert set(readings) == {"地域福祉", "見守り"}


def test_readings_for_uses_only_that_councils_dictionary(councils):
    ReadingEntry.objects.create(council=councils["b"], surface="玖珠町", reading="くすちょう")
    assert furigana.readings_for(councils["a"].pk, ["玖珠町"])["玖珠町"][0] == ["玖珠", "くす"]
    assert furigana.readings_for(councils["b"].pk, ["玖珠町"])["玖珠町"] == [["玖珠町", "くすちょう"]]


def test_very_long_texts_are_left_without_readings(councils):
    long = "地域" * (furigana.MAX_TEXT // 2 + 1)
    assert furigana.readings_for(councils["a"].pk, [long]) == {}


def test_long_texts_are_analysed_in_pieces_without_losing_characters():
    text = ("地域福祉を進めます。\n" * 300) + "見守り"
    segments = reads(text)
    assert "".join(s for s, _ in segments) == text
    assert segments[-3:] == [["見", "み"], ["守", "まも"], ["り", ""]]


@pytest.fixture
def published(councils):
    from sasaeai.plans import services as plan_services

    plan = plan_services.plan_create(
        council=councils["a"], by=None, title="玖珠町地域福祉活動計画", kind="activity", levels=["基本目標"]
    )
    plan_services.node_create(plan=plan, parent=None, by=None, title="愛育委員と見守り")
    return services.publication_publish(plan=plan, part=Publication.Part.STRUCTURE, by=None)


def test_publishing_freezes_readings_of_the_published_text(published):
    assert published.readings["愛育委員と見守り"][0] == ["愛育", "あいいく"]
    assert ["玖珠", "くす"] in published.readings["玖珠町地域福祉活動計画"]


def test_a_dictionary_change_refreshes_the_published_readings(published, users):
    council = published.council
    site = services.site_update(council=council, slug="kusu", is_open=True, by=users["admin"])
    entry = services.reading_entry_save(council=council, surface="玖珠町", reading="クスチョウ", by=users["admin"])
    published.refresh_from_db()
    assert entry.reading == "くすちょう"
    assert published.readings["玖珠町地域福祉活動計画"][0] == ["玖珠町", "くすちょう"]
    assert site.__class__.objects.get(pk=site.pk).version > site.version  # the cached public pages are stale

    services.reading_entry_delete(entry=entry, by=users["admin"])
    published.refresh_from_db()
    assert published.readings["玖珠町地域福祉活動計画"][0] == ["玖珠", "くす"]


def test_a_withdrawn_publication_keeps_its_readings(published, users):
    services.publication_withdraw(publication=published, reason="誤り", by=users["admin"])
    services.reading_entry_save(council=published.council, surface="玖珠町", reading="くすちょう", by=users["admin"])
    published.refresh_from_db()
    assert published.readings["玖珠町地域福祉活動計画"][0] == ["玖珠", "くす"]


# ------------------------------------------------------------------------------------------- normalise_reading


@pytest.mark.parametrize(
    ("given_text", "kept"),
    [
        ("くすまち", "くすまち"),
        ("  くすまち　", "くすまち"),
        ("クスマチ", "くすまち"),
        ("ｸｽﾏﾁ", "くすまち"),
        ("くす まち", "くすまち"),
        ("こーひー", "こーひー"),
        ("ヴぁ", "ゔぁ"),
    ],
)
def test_normalise_reading_keeps_hiragana_and_converts_katakana(given_text, kept):
    assert furigana.normalise_reading(given_text) == kept


@pytest.mark.parametrize("bad", ["", "   ", "玖珠まち", "kusu", "くす1", "くす・まち", "くす!", "<script>"])
def test_normalise_reading_refuses_another_script(bad):
    with pytest.raises(ValidationError) as exc:
        furigana.normalise_reading(bad)
    assert "ひらがな" in exc.value.messages[0]


def test_the_refusal_names_the_wrong_characters():
    with pytest.raises(ValidationError) as exc:
        furigana.normalise_reading("玖珠まち")
    assert "漢字・英字・数字" in exc.value.messages[0]
    assert "玖珠" in exc.value.messages[0]


# ------------------------------------------------------------------------------------------- {% rb %}


def render(template, **context):
    return Template("{% load public %}" + template).render(Context(context))


def test_rb_prints_ruby_when_the_reader_asked_for_it():
    readings = {"支える": [["支", "ささ"], ["える", ""]]}
    html = render("{% rb text %}", text="支える", ruby_on=True, readings=readings)
    assert html == "<ruby>支<rp>（</rp><rt>ささ</rt><rp>）</rp></ruby>える"
    assert render("{% rb text %}", text="支える", ruby_on=False, readings=readings) == "支える"


def test_rb_prints_text_it_has_no_readings_for_escaped():
    html = render("{% rb text %}", text="<b>地域</b>", ruby_on=True, readings={"地域": [["地域", "ちいき"]]})
    assert html == "&lt;b&gt;地域&lt;/b&gt;"
    assert render("{% rb text %}", text=None, ruby_on=True, readings={}) == ""
    assert render("{% rb text %}", text=12, ruby_on=True, readings={}) == "12"


def test_rb_escapes_everything_even_inside_readings():
    text = "<script>alert(1)</script>地域"
    readings = furigana.Reader({}).segments(text)
    html = render("{% rb text %}", text=text, ruby_on=True, readings={text: readings})
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "<ruby>地域<rp>（</rp><rt>ちいき</rt><rp>）</rp></ruby>" in html
    evil = [["<i>地</i>", "<b>ち</b>"]]
    assert ruby_html(evil) == "<ruby>&lt;i&gt;地&lt;/i&gt;<rp>（</rp><rt>&lt;b&gt;ち&lt;/b&gt;</rt><rp>）</rp></ruby>"


def test_rb_turns_line_breaks_into_paragraphs_after_escaping():
    text = "地域の<見守り>\n二行目\n\n次の段落"
    readings = {text: furigana.Reader({}).segments(text)}
    html = render("{% rb text linebreaks=True %}", text=text, ruby_on=True, readings=readings)
    assert html.startswith("<p><ruby>地域")
    assert "&lt;" in html and "<見守り>" not in html
    assert "<br>" in html and html.count("<p>") == 2
    plain = render('{% rb text linebreaks="br" %}', text="一行目\r\n二行目", ruby_on=False, readings={})
    assert plain == "一行目<br>二行目"


# ------------------------------------------------------------------------------------------- fuzz

TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("地域福祉見守り支える玖珠町東久留米市民生委員重点々ヶ〇の・、。\n ABCｱｲ123ーー")),
        st.characters(codec="utf-8"),
    ),
    max_size=80,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=TEXT, surface=st.sampled_from(["玖珠町", "見守り", "地", "東久留米"]))
def test_fuzz_segments_always_concatenate_back_to_the_text(text, surface):
    for entries in ({}, {surface: "よみ"}):
        segments = furigana.Reader(entries).segments(text)
        assert "".join(s for s, _ in segments) == text
        for s, r in segments:
            if r:
                assert furigana.has_kanji(s)
                assert all("\u3041" <= ch <= "\u309f" or ch == "ー" for ch in r)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=40))
def test_fuzz_normalise_reading_returns_hiragana_or_a_validation_error(text):
    try:
        kept = furigana.normalise_reading(text)
    except ValidationError:
        return
    assert kept and all("\u3041" <= ch <= "\u309f" or ch == "ー" for ch in kept)
