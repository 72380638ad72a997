"""The sign-in sheet's wording and print button, the invite form's errors (all at once) and its radio
group, user-name rules told truthfully, the e-mail to an existing account, and the child council page."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from sasaeai.accounts.models import Invitation, User
from sasaeai.accounts.services import members as services
from sasaeai.core.services import council_create


@pytest.fixture(autouse=True)
def _mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SASAEAI_BASE_URL = "https://sasaeai.example.jp"


def invite(client, council, **data):
    payload = {"delivery": "sheet", "council": council.pk, "role": "reporter", "display_name": "", "email": ""}
    payload.update(data)
    return client.post(reverse("members:invite", args=[council.pk]), payload)


def test_the_sheet_says_qr_code_without_a_direction_and_has_a_print_button(client_for, users, councils):
    client = client_for(users["admin"])
    response = invite(client, councils["a"], display_name="佐藤 一郎", username="sato1")
    html = client.get(response["Location"]).content.decode()
    assert "QRコードを読み取る" in html
    assert "左のQRコード" not in html and "右のQRコード" not in html
    button = re.search(r"<button[^>]*data-print[^>]*>([^<]*)</button>", html)
    assert button and button.group(1) == "印刷する" and "no-print" in button.group(0)
    assert re.search(r'<script src="[^"]*sasaeai/print\.js"', html)
    assert "onclick" not in html


def test_the_invite_form_shows_every_error_at_once(client_for, users, councils):
    client = client_for(users["admin"])
    response = invite(client, councils["a"], display_name="", username="空白 あり")
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "display_name" in errors and "username" in errors
    assert "空白は使えません" in errors["username"][0]
    taken = invite(client, councils["a"], display_name="", username=users["viewer"].username)
    assert {"display_name", "username"} <= set(taken.context["form"].errors)
    assert not Invitation.objects.exists()


def test_the_delivery_radios_are_a_fieldset_with_a_legend(client_for, users, councils):
    html = client_for(users["admin"]).get(reverse("members:invite", args=[councils["a"].pk])).content.decode()
    assert re.search(r"<fieldset[^>]*>\s*<legend>招待の方法", html)
    assert 'for=""' not in html and 'for="id_delivery"' not in html


def test_a_kanji_user_name_works_and_the_join_form_says_so(client_for, client, users, councils):
    admin_client = client_for(users["admin"])
    response = invite(admin_client, councils["a"], display_name="山田 花子", username="山田花子")
    assert response.status_code == 302
    assert Invitation.objects.get().username == "山田花子"
    issued = services.invitation_create(council=councils["a"], role="viewer", by=users["admin"], email="n@example.jp")
    client.logout()
    html = client.get(reverse("invitation_accept", args=[issued.token])).content.decode()
    assert "英数字と" not in html and "文字・数字と @ . + - _" in html


def test_an_invitation_to_an_existing_account_uses_its_own_name(users, councils):
    person = User.objects.create_user("tanaka", email="tanaka@example.jp", display_name="田中 実")
    services.invitation_create(
        council=councils["a"], role="viewer", by=users["admin"], email="tanaka@example.jp", display_name="タナカさん"
    )
    body = mail.outbox[-1].body
    assert body.startswith("田中 実 様") and "タナカさん" not in body
    assert Invitation.objects.get().user == person


def test_a_new_address_is_still_addressed_as_typed(users, councils):
    services.invitation_create(
        council=councils["a"], role="viewer", by=users["admin"], email="new@example.jp", display_name="新人 さくら"
    )
    assert mail.outbox[-1].body.startswith("新人 さくら 様")


def test_a_child_council_page_names_its_parent(client_for, users, councils):
    html = client_for(users["admin"]).get(reverse("council_detail", args=[councils["a_child"].pk])).content.decode()
    link = reverse("council_detail", args=[councils["a"].pk])
    assert re.search(rf'上位の社協：\s*<a href="{link}">テスト市社会福祉協議会</a>', html)


def test_the_parent_is_named_without_a_link_for_someone_who_cannot_see_it(client_for, make_user, councils):
    ward_member = make_user("ku_viewer", "viewer", councils["a_child"])
    html = client_for(ward_member).get(reverse("council_detail", args=[councils["a_child"].pk])).content.decode()
    assert "上位の社協：" in html and "テスト市社会福祉協議会" in html
    assert reverse("council_detail", args=[councils["a"].pk]) + '"' not in html


def test_a_top_council_page_has_no_parent_line(client_for, users, councils):
    top = council_create(name="一番上", kind="prefecture")
    assert top.parent is None
    html = client_for(users["admin"]).get(reverse("council_detail", args=[councils["a"].pk])).content.decode()
    assert "上位の社協：" not in html
