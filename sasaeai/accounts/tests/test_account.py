"""A person's own account: name, password, e-mail (confirmed by a link), password reset by e-mail,
memberships, sign out everywhere and turning two-step sign-in on; and what bad input does."""

import re

import pytest
from django.core import mail, signing
from django.urls import reverse

from sasaeai.accounts.models import User
from sasaeai.accounts.services.account import EMAIL_CHANGE_SALT
from sasaeai.core.models import AuditEntry

PASSWORD = "pw-for-tests-123"
BASE = "https://sasaeai.example.jp"


@pytest.fixture(autouse=True)
def base_url(settings):
    settings.SASAEAI_BASE_URL = BASE


def test_the_header_links_to_the_account_page_which_lists_memberships(client, users, councils, make_user):
    from sasaeai.accounts.models import Membership

    Membership.objects.create(user=users["viewer"], council=councils["b"], role="committee")
    client.force_login(users["viewer"])
    home = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("accounts:home")}"' in home and "アカウント" in home
    html = client.get(reverse("accounts:home")).content.decode()
    assert "テスト市社会福祉協議会" in html and "閲覧者" in html
    assert "よそ市社会福祉協議会" in html and "評価委員" in html
    assert "admin_a" not in html  # only one's own


def test_the_account_pages_need_a_sign_in(client, users):
    for name in ("home", "display_name", "password_change", "email_change", "two_factor"):
        response = client.get(reverse(f"accounts:{name}"))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), name


def test_changing_the_display_name_is_audited_in_each_council(client, users, councils):
    client.force_login(users["editor"])
    response = client.post(reverse("accounts:display_name"), {"display_name": "  山田 花子 "})
    assert response.status_code == 302
    users["editor"].refresh_from_db()
    assert users["editor"].display_name == "山田 花子"
    entry = AuditEntry.objects.get(action="account.update")
    assert entry.council == councils["a"] and entry.after == {"表示名": "山田 花子"}


@pytest.mark.parametrize("blank", ["", "   ", "\u3000\u3000"])
def test_a_blank_display_name_is_refused(client, users, blank):
    users["editor"].display_name = "山田"
    users["editor"].save()
    client.force_login(users["editor"])
    response = client.post(reverse("accounts:display_name"), {"display_name": blank})
    assert response.status_code == 200 and "表示名を入力してください" in response.content.decode()
    users["editor"].refresh_from_db()
    assert users["editor"].display_name == "山田"


def test_too_long_a_display_name_is_refused(client, users):
    client.force_login(users["editor"])
    response = client.post(reverse("accounts:display_name"), {"display_name": "長" * 101})
    assert response.status_code == 200 and "field-error" in response.content.decode()
    users["editor"].refresh_from_db()
    assert users["editor"].display_name == ""


def test_changing_the_password_keeps_this_session_and_ends_the_others(client, users, django_user_model):
    from django.test import Client

    other = Client()
    other.force_login(users["editor"])
    client.force_login(users["editor"])
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": "kawasaki-sakura-2026", "new_password2": "kawasaki-sakura-2026"},
    )
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    assert other.get(reverse("home")).status_code == 302
    users["editor"].refresh_from_db()
    assert users["editor"].check_password("kawasaki-sakura-2026")
    assert AuditEntry.objects.filter(action="account.password").exists()


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("short-1", "短すぎます"),
        ("password1234", "一般的すぎます"),
        ("20260401123456", "数字しか使われていません"),
        ("editor_a_2026", "このパスワードはユーザー名と似すぎています"),
        ("yamada.hanako.1", "このパスワードはメールアドレスと似すぎています"),
    ],
)
def test_a_weak_new_password_is_refused_in_japanese(client, users, new, message):
    user = users["editor"]
    user.email = "yamada.hanako@example.jp"
    user.save()
    client.force_login(user)
    response = client.post(
        reverse("accounts:password_change"), {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    form = response.context["form"]
    assert any(message in e for e in form.errors["new_password1"]) and "new_password2" not in form.errors
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_the_password_pages_state_the_rules_once_and_plainly(client, users, settings):
    settings.SASAEAI_PASSWORD_MIN_LENGTH = 12
    client.force_login(users["editor"])
    html = client.get(reverse("accounts:password_change")).content.decode()
    assert "12文字以上にしてください。" in html and "数字だけのものは使えません" in html
    assert "数字だけでない" not in html
    assert "<ul>" not in html.split("<form", 1)[1].split("</form>")[0]  # no Django rule list under the field


def test_a_wrong_current_password_or_a_mismatch_changes_nothing(client, users):
    client.force_login(users["editor"])
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": "wrong", "new_password1": "kawasaki-sakura-2026", "new_password2": "kawasaki-sakura-2026"},
    )
    assert "今のパスワードが違います" in response.content.decode()
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": "kawasaki-sakura-2026", "new_password2": "kawasaki-sakura-2027"},
    )
    assert "一致しません" in response.content.decode()
    users["editor"].refresh_from_db()
    assert users["editor"].check_password(PASSWORD)


# --- E-mail change ---


def _link(message):
    return re.search(rf"{re.escape(BASE)}(/\S+)", message.body).group(1)


def test_the_email_changes_only_when_the_link_sent_to_the_new_address_is_opened(
    client, users, django_capture_on_commit_callbacks
):
    user = users["editor"]
    user.email = "old@example.jp"
    user.save()
    client.force_login(user)
    response = client.post(reverse("accounts:email_change"), {"email": "new@example.jp", "password": PASSWORD})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["new@example.jp"]
    assert "メールアドレス変更の確認" in mail.outbox[0].subject and "開くと、変更されます" in mail.outbox[0].body
    user.refresh_from_db()
    assert user.email == "old@example.jp"
    path = _link(mail.outbox[0])
    shown = client.get(path)  # a GET shows which address it switches to; it changes nothing
    assert shown.status_code == 200 and "new@example.jp" in shown.content.decode()
    user.refresh_from_db()
    assert user.email == "old@example.jp"
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(path).status_code == 302
    user.refresh_from_db()
    assert user.email == "new@example.jp"
    assert AuditEntry.objects.get(action="account.email").after == {"メールアドレス": "new@example.jp"}
    # the old address is told, in Japanese, with whom to contact
    notice = mail.outbox[1]
    assert notice.to == ["old@example.jp"] and "メールアドレスが変更されました" in notice.subject
    assert "new@example.jp" in notice.body and "心当たりがなければ" in notice.body and "社協の管理者" in notice.body
    # the same link a second time
    response = client.post(path)
    assert response.status_code == 400 and "このリンクは使えません" in response.content.decode()


def test_an_email_change_needs_the_current_password(client, users):
    client.force_login(users["editor"])
    response = client.post(reverse("accounts:email_change"), {"email": "new@example.jp", "password": "wrong"})
    assert response.status_code == 200
    assert "今のパスワードが違います" in response.content.decode()
    response = client.post(reverse("accounts:email_change"), {"email": "new@example.jp"})
    assert response.status_code == 200 and "field-error" in response.content.decode()
    assert mail.outbox == []


def test_a_wrong_email_link_says_so_on_a_get_too(client, users):
    client.force_login(users["editor"])
    response = client.get(reverse("accounts:email_confirm", args=["nonsense"]))
    assert response.status_code == 400 and "このリンクは使えません" in response.content.decode()
    assert "メールアドレスを変更する" not in response.content.decode()


def test_an_address_used_by_another_account_is_refused(client, users):
    users["viewer"].email = "Taken@Example.jp"
    users["viewer"].save()
    client.force_login(users["editor"])
    response = client.post(reverse("accounts:email_change"), {"email": "taken@example.jp", "password": PASSWORD})
    assert response.status_code == 200
    assert "別のアカウントで使われています" in response.content.decode()
    assert mail.outbox == []


def test_an_address_taken_after_the_link_was_sent_is_refused_on_confirm(client, users):
    client.force_login(users["editor"])
    client.post(reverse("accounts:email_change"), {"email": "new@example.jp", "password": PASSWORD})
    users["viewer"].email = "new@example.jp"
    users["viewer"].save()
    response = client.post(_link(mail.outbox[0]))
    assert response.status_code == 400 and "別のアカウントで使われています" in response.content.decode()
    users["editor"].refresh_from_db()
    assert users["editor"].email == ""


def test_wrong_expired_and_foreign_email_links_change_nothing(client, users, settings):
    client.force_login(users["editor"])
    client.post(reverse("accounts:email_change"), {"email": "new@example.jp", "password": PASSWORD})
    path = _link(mail.outbox[0])
    # another person opening the link
    client.force_login(users["viewer"])
    assert client.post(path).status_code == 400
    users["viewer"].refresh_from_db()
    assert users["viewer"].email == ""
    client.force_login(users["editor"])
    # a tampered token
    assert client.post(path[:-3] + "xyz/").status_code == 400
    assert client.post(reverse("accounts:email_confirm", args=["nonsense"])).status_code == 400
    # expired
    settings.SASAEAI_EMAIL_CHANGE_SECONDS = -1
    response = client.post(path)
    assert response.status_code == 400 and "期限が切れています" in response.content.decode()
    users["editor"].refresh_from_db()
    assert users["editor"].email == ""
    assert not AuditEntry.objects.filter(action="account.email").exists()


def test_a_token_signed_for_something_else_is_refused(client, users):
    client.force_login(users["editor"])
    token = signing.dumps({"u": users["editor"].pk, "old": "", "new": "x@example.jp"}, salt="another-purpose")
    assert client.post(reverse("accounts:email_confirm", args=[token])).status_code == 400
    token = signing.dumps(["not", "a", "dict"], salt=EMAIL_CHANGE_SALT)
    assert client.post(reverse("accounts:email_confirm", args=[token])).status_code == 400


# --- Password reset by e-mail ---


def test_a_known_and_an_unknown_address_get_the_same_answer(client, users):
    users["editor"].email = "editor@example.jp"
    users["editor"].save()
    known = client.post(reverse("accounts:password_reset"), {"email": "editor@example.jp"})
    unknown = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.jp"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == reverse("accounts:password_reset_sent")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["editor@example.jp"]


def test_the_reset_mail_is_japanese_and_links_to_the_base_url_not_the_host_header(client, users):
    users["editor"].email = "editor@example.jp"
    users["editor"].save()
    client.post(reverse("accounts:password_reset"), {"email": "editor@example.jp"}, HTTP_HOST="attacker.example")
    message = mail.outbox[0]
    assert message.subject == "【ささえあい】パスワードの再設定"
    assert "新しいパスワードを設定してください" in message.body and "ユーザー名: editor_a" in message.body
    assert "attacker.example" not in message.body
    assert re.search(rf"{re.escape(BASE)}/password-reset/\S+/\S+/", message.body)


def test_a_reset_link_sets_a_new_password_once_and_unlocks_the_account(client, users, settings):
    from sasaeai.accounts.selectors import is_locked_out

    users["editor"].email = "editor@example.jp"
    users["editor"].save()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "editor_a", "password": "wrong"})
    assert is_locked_out(users["editor"])
    client.post(reverse("accounts:password_reset"), {"email": "editor@example.jp"})
    path = _link(mail.outbox[0])
    form_url = client.get(path)["Location"]  # Django moves the token into the session
    weak = client.post(form_url, {"new_password1": "1234567890", "new_password2": "1234567890"})
    assert "数字しか使われていません" in weak.content.decode()
    assert "new_password1" in weak.context["form"].errors and "new_password2" not in weak.context["form"].errors
    assert f"{settings.SASAEAI_PASSWORD_MIN_LENGTH}文字以上にしてください。" in weak.content.decode()
    users["editor"].refresh_from_db()
    assert users["editor"].check_password(PASSWORD)
    response = client.post(form_url, {"new_password1": "nakahara-ume-2026", "new_password2": "nakahara-ume-2026"})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:password_reset_complete")
    users["editor"].refresh_from_db()
    assert users["editor"].check_password("nakahara-ume-2026")
    assert not is_locked_out(users["editor"])
    # the link is spent
    again = client.get(path)
    assert again.status_code == 200 and "このリンクは使えません" in again.content.decode()


@pytest.mark.parametrize(
    "path", ["/password-reset/MQ/bad-token/", "/password-reset/!!!/x-y/", "/password-reset/OTk5OTk5/a-b/"]
)
def test_a_wrong_reset_link_says_so(client, users, path):
    response = client.get(path)
    assert response.status_code == 200 and "このリンクは使えません" in response.content.decode()


def test_an_expired_reset_link_says_so(client, users, settings):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    user = users["editor"]
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    settings.PASSWORD_RESET_TIMEOUT = -10
    response = client.get(reverse("accounts:password_reset_confirm", args=[uid, token]))
    assert "このリンクは使えません" in response.content.decode()


# --- Sign out everywhere ---


def test_sign_out_everywhere_ends_every_session_of_the_person_only(client, users, councils):
    from django.test import Client

    phone, colleague = Client(), Client()
    phone.force_login(users["editor"])
    colleague.force_login(users["viewer"])
    client.force_login(users["editor"])
    assert client.get(reverse("accounts:sign_out_everywhere")).status_code == 405
    response = client.post(reverse("accounts:sign_out_everywhere"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert client.get(reverse("home")).status_code == 302
    assert phone.get(reverse("home")).status_code == 302
    assert colleague.get(reverse("home")).status_code == 200
    assert AuditEntry.objects.get(action="account.sign_out_everywhere").council == councils["a"]
    # signing in again works
    assert client.post(reverse("login"), {"username": "editor_a", "password": PASSWORD}).status_code == 302
    assert client.get(reverse("home")).status_code == 200


# --- Turning two-step sign-in on and off ---


def test_turning_two_step_on_with_a_qr_code_and_off_again(client, users, totp_code):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client.force_login(users["editor"])
    page = client.get(reverse("accounts:two_factor")).content.decode()
    assert "設定を始める" in page
    assert client.get(reverse("accounts:two_factor_qr")).status_code == 404  # nothing started
    client.post(reverse("accounts:two_factor_start"))
    device = TOTPDevice.objects.get(user=users["editor"])
    assert not device.confirmed
    page = client.get(reverse("accounts:two_factor")).content.decode()
    assert 'src="/account/two-factor/qr.svg"' in page and "data:" not in page and "<script" not in page
    from base64 import b32encode

    assert b32encode(device.bin_key).decode()[:4] in page  # the key as text too
    # on a phone: a plain link that opens the authenticator app with the key
    from html import unescape

    assert f'href="{device.config_url}"' in unescape(page) and "この端末の認証アプリで開く" in page
    svg = client.get(reverse("accounts:two_factor_qr"))
    assert svg["Content-Type"] == "image/svg+xml" and svg.content.lstrip().startswith(b"<?xml")
    # a wrong code leaves it off
    wrong = "000000" if totp_code(device) != "000000" else "111111"
    response = client.post(reverse("accounts:two_factor_confirm"), {"token": wrong}, follow=True)
    assert "確認コードが違います" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    device.throttling_failure_count = 0
    device.save()
    client.post(reverse("accounts:two_factor_confirm"), {"token": totp_code(device)})
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEntry.objects.get(action="account.two_factor").after == {"2段階認証": "オン"}
    # off: a wrong code changes nothing, the current one turns it off
    client.post(reverse("accounts:two_factor_disable"), {"token": wrong})
    assert TOTPDevice.objects.filter(user=users["editor"]).exists()
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.save()
    client.post(reverse("accounts:two_factor_disable"), {"token": totp_code(device, offset=1)})
    assert not TOTPDevice.objects.filter(user=users["editor"]).exists()


def test_council_edit_offers_the_two_step_requirement_to_admins(client, users, councils):
    client.force_login(users["admin"])
    url = reverse("council_edit", args=[councils["a"].pk])
    assert "管理者に2段階認証を求める" in client.get(url).content.decode()
    data = {"require_admin_two_factor": "on", "branches-TOTAL_FORMS": "0", "branches-INITIAL_FORMS": "0"}
    assert client.post(url, data).status_code == 302
    councils["a"].refresh_from_db()
    assert councils["a"].require_admin_two_factor
    assert User.objects.filter(pk=users["admin"].pk).exists()


def _wrong(totp_code, device):
    return "000000" if totp_code(device) != "000000" else "111111"


def test_one_wrong_code_does_not_block_the_right_one_typed_at_once(client, users, totp_code):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client.force_login(users["editor"])
    client.post(reverse("accounts:two_factor_start"))
    device = TOTPDevice.objects.get(user=users["editor"])
    response = client.post(reverse("accounts:two_factor_confirm"), {"token": _wrong(totp_code, device)}, follow=True)
    html = response.content.decode()
    assert "確認コードが違います" in html and "続けて間違えた" not in html
    client.post(reverse("accounts:two_factor_confirm"), {"token": totp_code(device)})  # well within a second
    device.refresh_from_db()
    assert device.confirmed and device.throttling_failure_count == 0


def test_many_wrong_codes_in_a_row_ask_for_a_wait_and_say_why(client, users, totp_code):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from sasaeai.accounts.services.account import FREE_WRONG_CODES

    client.force_login(users["editor"])
    client.post(reverse("accounts:two_factor_start"))
    device = TOTPDevice.objects.get(user=users["editor"])
    for _ in range(FREE_WRONG_CODES):
        response = client.post(
            reverse("accounts:two_factor_confirm"), {"token": _wrong(totp_code, device)}, follow=True
        )
        assert "確認コードが違います" in response.content.decode()
    response = client.post(reverse("accounts:two_factor_confirm"), {"token": totp_code(device)}, follow=True)
    assert f"確認コードを{FREE_WRONG_CODES}回続けて間違えたため" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed


def test_a_code_used_already_says_so(client, users, totp_code, confirmed_device):
    device = confirmed_device(users["editor"])
    client.force_login(users["editor"])
    code = totp_code(device)
    client.post(reverse("accounts:two_factor_verify"), {"token": code})
    device.refresh_from_db()
    assert device.last_t >= 0
    response = client.post(reverse("accounts:two_factor_disable"), {"token": code}, follow=True)
    assert "このコードはもう使われました。次のコードが表示されるまでお待ちください。" in response.content.decode()
    device.refresh_from_db()
    assert device.throttling_failure_count == 0  # the right code typed twice is no mistake


def test_the_email_link_carries_no_address_and_a_newer_request_spends_it(client, users):
    from base64 import urlsafe_b64decode

    client.force_login(users["editor"])
    client.post(reverse("accounts:email_change"), {"email": "first@example.jp", "password": PASSWORD})
    first = _link(mail.outbox[0])
    token = first.rstrip("/").rsplit("/", 1)[1]
    payload = token.split(":")[0]
    decoded = urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    assert b"first@example.jp" not in decoded and b"@" not in decoded
    users["editor"].refresh_from_db()
    assert users["editor"].pending_email == "first@example.jp" and users["editor"].email == ""
    client.post(reverse("accounts:email_change"), {"email": "second@example.jp", "password": PASSWORD})
    second = _link(mail.outbox[1])
    assert client.post(first).status_code == 400  # replaced by the newer request
    assert "second@example.jp" in client.get(second).content.decode()
    assert client.post(second).status_code == 302
    users["editor"].refresh_from_db()
    assert users["editor"].email == "second@example.jp" and users["editor"].pending_email == ""
