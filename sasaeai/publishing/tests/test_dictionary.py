"""The ふりがな dictionary pages: who may use them, adding/editing/deleting through the services, bad input as a
Japanese message with nothing saved, another council's words out of reach, and the 試してみる box."""

import pytest
from django.urls import reverse

from sasaeai.core.models import AuditEntry
from sasaeai.publishing.models import ReadingEntry
from sasaeai.publishing.views import dictionary as views


@pytest.fixture
def entry(councils):
    return ReadingEntry.objects.create(council=councils["a"], surface="玖珠町", reading="くすちょう", note="町の広報")


@pytest.fixture
def foreign_entry(councils):
    return ReadingEntry.objects.create(council=councils["b"], surface="日出町", reading="ひのでまち")


def urls(council, entry=None):
    pk = council.pk
    result = [reverse("publishing:dictionary", args=[pk]), reverse("publishing:dictionary_add", args=[pk])]
    if entry is not None:
        result += [
            reverse("publishing:dictionary_edit", args=[pk, entry.pk]),
            reverse("publishing:dictionary_delete", args=[pk, entry.pk]),
        ]
    return result


def test_every_dictionary_view_requires_the_publish_permission():
    for view in (views.entry_list, views.entry_add, views.entry_edit, views.entry_delete):
        assert view.required_permission == "publishing.publish"


@pytest.mark.parametrize("role", ["viewer", "leader", "reporter", "committee", "outsider", "nobody"])
def test_people_without_the_permission_get_a_404(role, users, client_for, councils, entry):
    client = client_for(users[role])
    for url in urls(councils["a"], entry):
        assert client.get(url).status_code == 404
    assert client.post(urls(councils["a"], entry)[3]).status_code == 404
    assert ReadingEntry.objects.filter(pk=entry.pk).exists()


def test_signed_out_people_are_sent_to_sign_in(client, councils, entry):
    response = client.get(urls(councils["a"], entry)[0])
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize("role", ["admin", "editor"])
def test_admins_and_editors_see_the_dictionary(role, users, client_for, councils, entry):
    client = client_for(users[role])
    for url in urls(councils["a"], entry):
        assert client.get(url).status_code == 200
    page = client.get(urls(councils["a"])[0]).content.decode()
    assert "玖珠町" in page and "くすちょう" in page and "町の広報" in page


def test_another_councils_entry_is_the_same_404(users, client_for, councils, foreign_entry):
    client = client_for(users["admin"])
    edit = reverse("publishing:dictionary_edit", args=[councils["a"].pk, foreign_entry.pk])
    delete = reverse("publishing:dictionary_delete", args=[councils["a"].pk, foreign_entry.pk])
    missing = reverse("publishing:dictionary_edit", args=[councils["a"].pk, 999999])
    assert client.get(edit).status_code == 404
    assert client.get(missing).status_code == 404
    assert client.post(delete).status_code == 404
    assert client.post(edit, {"surface": "日出町", "reading": "ひじまち"}).status_code == 404
    foreign_entry.refresh_from_db()
    assert foreign_entry.reading == "ひのでまち"
    assert "日出町" not in client.get(urls(councils["a"])[0]).content.decode()


def test_adding_a_word_saves_it_through_the_service(users, client_for, councils):
    client = client_for(users["admin"])
    response = client.post(urls(councils["a"])[1], {"surface": " 愛育委員 ", "reading": "アイイク イイン", "note": ""})
    assert response.status_code == 302
    entry = ReadingEntry.objects.get(council=councils["a"])
    assert (entry.surface, entry.reading) == ("愛育委員", "あいいくいいん")
    assert AuditEntry.objects.filter(council=councils["a"], action="publishing.reading").exists()
    assert "あいいくいいん" in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"surface": "玖珠町", "reading": "玖珠まち"}, "ひらがなで入力してください"),
        ({"surface": "玖珠町", "reading": "kusu"}, "ひらがなで入力してください"),
        ({"surface": "玖珠町", "reading": ""}, "必須"),
        ({"surface": "くすまち", "reading": "くすまち"}, "漢字を含む語"),
        ({"surface": "玖珠 町", "reading": "くすまち"}, "空白"),
        ({"surface": "玖" * 61, "reading": "くす"}, "60"),
    ],
)
def test_bad_input_is_a_message_and_nothing_is_saved(data, message, users, client_for, councils):
    client = client_for(users["admin"])
    response = client.post(urls(councils["a"])[1], data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ReadingEntry.objects.filter(council=councils["a"]).exists()


def test_a_word_already_in_the_dictionary_is_a_message(users, client_for, councils, entry):
    client = client_for(users["admin"])
    response = client.post(urls(councils["a"])[1], {"surface": "玖珠町", "reading": "くすまち"})
    assert response.status_code == 200
    assert "「玖珠町」はもう辞書にあります" in response.content.decode()
    assert ReadingEntry.objects.filter(council=councils["a"]).count() == 1
    entry.refresh_from_db()
    assert entry.reading == "くすちょう"


def test_editing_a_word(users, client_for, councils, entry):
    client = client_for(users["editor"])
    edit = urls(councils["a"], entry)[2]
    assert 'value="くすちょう"' in client.get(edit).content.decode()
    response = client.post(edit, {"surface": "玖珠町", "reading": "くすまち", "note": "町の表記"})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.reading, entry.note) == ("くすまち", "町の表記")


def test_deleting_asks_first_and_deletes_on_post(users, client_for, councils, entry):
    client = client_for(users["admin"])
    delete = urls(councils["a"], entry)[3]
    page = client.get(delete).content.decode()
    assert "削除します" in page and ReadingEntry.objects.filter(pk=entry.pk).exists()
    assert client.post(delete).status_code == 302
    assert not ReadingEntry.objects.filter(pk=entry.pk).exists()
    assert AuditEntry.objects.filter(council=councils["a"], action="publishing.reading_delete").exists()


def test_search_narrows_the_list(users, client_for, councils, entry):
    ReadingEntry.objects.create(council=councils["a"], surface="愛育委員", reading="あいいくいいん")
    client = client_for(users["admin"])
    page = client.get(urls(councils["a"])[0], {"q": "愛育"}).content.decode()
    assert "あいいくいいん" in page and "くすちょう" not in page
    page = client.get(urls(councils["a"])[0], {"q": "クス"}).content.decode()  # katakana finds the reading
    assert "くすちょう" in page and "あいいくいいん" not in page
    assert "含む語は登録されていません" in client.get(urls(councils["a"])[0], {"q": "存在しない"}).content.decode()
    assert client.get(urls(councils["a"])[0], {"q": "x" * 500, "page": "zz"}).status_code == 200


def test_trying_a_sentence_shows_it_with_the_councils_readings(users, client_for, councils, entry):
    client = client_for(users["admin"])
    page = client.get(urls(councils["a"])[0], {"text": "玖珠町の<b>見守り</b>"}).content.decode()
    assert "<ruby>玖珠町<rp>（</rp><rt>くすちょう</rt><rp>）</rp></ruby>" in page
    assert "&lt;b&gt;" in page and "<b>見" not in page
    assert "<rt>まも</rt>" in page


def test_the_staff_node_form_edits_the_plain_japanese_summary(users, client_for, small_plan):
    from sasaeai.plans.models import PlanNode

    client = client_for(users["editor"])
    node = small_plan.nodes.order_by("pk").first()
    url = reverse("plans:node_edit", args=[small_plan.pk, node.pk])
    assert 'name="plain_summary"' in client.get(url).content.decode()
    form = {
        "level": node.level_id,
        "code": node.code,
        "title": node.title,
        "version": node.version,
        "plain_summary": "みんなで 見守ります。",
        "actions-TOTAL_FORMS": "0",
        "actions-INITIAL_FORMS": "0",
    }
    assert client.post(url, form).status_code == 302
    assert PlanNode.objects.get(pk=node.pk).plain_summary == "みんなで 見守ります。"
