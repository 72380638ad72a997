"""Members (issue 10): invitations by e-mail and sign-in sheet, joining, roles, suspension, and bad input."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from sasaeai.accounts.models import Invitation, Membership, User
from sasaeai.accounts.selectors import roles_by_council, users_for_council
from sasaeai.accounts.services import members as services
from sasaeai.core.models import AuditEntry

PASSWORD = "kotoba-no-mori-42"


@pytest.fixture(autouse=True)
def _mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SASAEAI_BASE_URL = "https://sasaeai.example.jp"
    settings.SASAEAI_INVITATION_DAYS = 7


def link_in(message):
    return re.search(r"https://sasaeai\.example\.jp(/invite/[A-Z0-9]+/)", message.body).group(1)


def invite(client, council, **data):
    payload = {"delivery": "email", "council": council.pk, "role": "reporter", "display_name": "", "email": ""}
    payload.update(data)
    return client.post(reverse("members:invite", args=[council.pk]), payload)


def state(council):
    """Everything an invitation or member change could touch, to prove a refusal changed nothing."""
    return (
        sorted(Membership.objects.values_list("user_id", "council_id", "role", "suspended_at")),
        sorted(Invitation.objects.values_list("pk", "token_hash", "accepted_at", "revoked_at")),
        User.objects.count(),
        AuditEntry.objects.filter(action__startswith="member.").count(),
        len(mail.outbox),
    )


# --- the list ---------------------------------------------------------------------------------


def test_the_list_shows_role_council_last_sign_in_and_status(client_for, users, councils):
    admin = users["admin"]
    users["viewer"].last_login = timezone.now()
    users["viewer"].save()
    child_member = User.objects.create_user("kuyakusho", display_name="区 太郎")
    Membership.objects.create(user=child_member, council=councils["a_child"], role="editor")
    client = client_for(admin)
    services.membership_suspend(membership=users["reporter"].memberships.get(), by=admin)
    services.invitation_create(council=councils["a"], role="viewer", by=admin, email="new@example.jp")
    html = client.get(reverse("members:list", args=[councils["a"].pk])).content.decode()
    assert "区 太郎" in html and "テスト区社会福祉協議会" in html and "計画編集者" in html
    assert "new@example.jp" in html and "招待中" in html
    assert "停止中" in html and "有効" in html
    assert "admin_b" not in html  # another council's people never appear
    row = re.search(r'<tr class="member-suspended">.*?</tr>', html, re.S).group(0)
    assert "role_reporter_a" in row


def test_the_council_page_links_to_members_only_for_admins(client_for, users, councils):
    url = reverse("members:list", args=[councils["a"].pk])
    assert url in client_for(users["admin"]).get(reverse("council_detail", args=[councils["a"].pk])).content.decode()
    assert (
        url not in client_for(users["editor"]).get(reverse("council_detail", args=[councils["a"].pk])).content.decode()
    )


def test_the_list_runs_a_fixed_number_of_queries(client_for, users, councils, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(users["admin"])
    url = reverse("members:list", args=[councils["a"].pk])
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for i in range(15):
        user = User.objects.create_user(f"extra{i}", last_login=timezone.now())
        Membership.objects.create(user=user, council=councils["a_child"], role="viewer")
        services.invitation_create(council=councils["a"], role="viewer", by=users["admin"], email=f"p{i}@example.jp")
    with CaptureQueriesContext(connection) as big:
        client.get(url)
    assert len(big) == len(small)


# --- invitation by e-mail ------------------------------------------------------------------------


def test_invite_by_email_then_accept_sets_a_password_and_signs_in(client_for, client, users, councils):
    admin_client = client_for(users["admin"])
    response = invite(admin_client, councils["a_child"], email="hanako@example.jp", display_name="山田 花子")
    assert response.status_code == 302
    invitation = Invitation.objects.get(email="hanako@example.jp")
    assert invitation.council == councils["a_child"] and invitation.role == "reporter"
    (message,) = mail.outbox
    assert message.to == ["hanako@example.jp"] and "招待" in message.subject and "山田 花子 様" in message.body
    path = link_in(message)
    token = path.split("/")[2]
    assert token not in invitation.token_hash and len(invitation.token_hash) == 64  # only the hash is stored
    assert AuditEntry.objects.get(action="member.invite").after["メールアドレス"] == "hanako@example.jp"

    client.logout()
    page = client.get(path)
    assert page.status_code == 200 and "テスト区社会福祉協議会" in page.content.decode()
    data = {"username": "hanako", "display_name": "山田 花子", "password1": PASSWORD, "password2": PASSWORD}
    response = client.post(path, data)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    user = User.objects.get(username="hanako")
    assert user.check_password(PASSWORD) and user.email == "hanako@example.jp"
    assert roles_by_council(user) == {councils["a_child"].pk: "reporter"}  # only their council
    assert int(client.session["_auth_user_id"]) == user.pk  # signed in
    home = client.get(reverse("home")).content.decode()
    assert "テスト区社会福祉協議会" in home and "よそ市社会福祉協議会" not in home
    assert AuditEntry.objects.get(action="member.join").actor == user
    # Used once: the same link now says so, and makes nothing.
    again = client.post(path, {**data, "username": "hanako2"})
    assert again.status_code == 410 and "すでに使われています" in again.content.decode()
    assert not User.objects.filter(username="hanako2").exists()


def test_django_password_validators_apply(client, users, councils):
    issued = services.invitation_create(council=councils["a"], role="viewer", by=users["admin"], email="x@example.jp")
    path = reverse("invitation_accept", args=[issued.token])
    data = {"username": "xuser", "display_name": "X", "password1": "password", "password2": "password"}
    response = client.post(path, data)
    assert response.status_code == 200
    assert "このパスワードは一般的すぎます" in response.content.decode()  # Django's CommonPasswordValidator
    mismatch = client.post(path, {**data, "password1": PASSWORD, "password2": PASSWORD + "x"})
    assert "一致しません" in mismatch.content.decode()
    assert not User.objects.filter(username="xuser").exists()
    assert Invitation.objects.get(pk=issued.invitation.pk).accepted_at is None


def test_an_existing_account_joins_a_second_council_after_signing_in_as_itself(client, users, councils):
    person = users["viewer"]
    person.email = "viewer@example.jp"
    person.save()
    issued = services.invitation_create(
        council=councils["b"], role="editor", by=users["outsider"], email="VIEWER@example.jp"
    )
    assert issued.invitation.user == person
    path = reverse("invitation_accept", args=[issued.token])
    assert "すでにお持ちのアカウント" in mail.outbox[0].body
    anonymous = client.get(path).content.decode()
    assert "ログインする" in anonymous and reverse("login") in anonymous
    client.force_login(users["editor"])  # someone else
    wrong = client.post(path)
    assert "別のアカウント宛て" in wrong.content.decode()
    assert not Membership.objects.filter(user=person, council=councils["b"]).exists()
    client.force_login(person)
    assert client.post(path).status_code == 302
    assert roles_by_council(User.objects.get(pk=person.pk)) == {
        councils["a"].pk: "viewer",
        councils["a_child"].pk: "viewer",
        councils["b"].pk: "editor",
    }
    assert User.objects.filter(email__iexact="viewer@example.jp").count() == 1


def test_resend_makes_a_new_link_and_kills_the_old_one(client_for, client, users, councils):
    admin_client = client_for(users["admin"])
    invite(admin_client, councils["a"], email="late@example.jp")
    invitation = Invitation.objects.get()
    old = link_in(mail.outbox[0])
    response = admin_client.post(reverse("members:reissue", args=[councils["a"].pk, invitation.pk]))
    assert response.status_code == 302 and len(mail.outbox) == 2
    new = link_in(mail.outbox[1])
    assert new != old
    client.logout()
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    assert AuditEntry.objects.filter(action="member.reissue").count() == 1


def test_revoked_invitation_cannot_be_used(client_for, client, users, councils):
    issued = services.invitation_create(council=councils["a"], role="viewer", by=users["admin"], email="r@example.jp")
    admin_client = client_for(users["admin"])
    admin_client.post(reverse("members:revoke", args=[councils["a"].pk, issued.invitation.pk]))
    client.logout()
    path = reverse("invitation_accept", args=[issued.token])
    response = client.post(path, {"username": "r", "display_name": "R", "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 410 and "取り消されています" in response.content.decode()
    assert not User.objects.filter(username="r").exists()


def test_expired_invitation_cannot_be_used(client, users, councils):
    issued = services.invitation_create(council=councils["a"], role="viewer", by=users["admin"], email="e@example.jp")
    Invitation.objects.filter(pk=issued.invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    path = reverse("invitation_accept", args=[issued.token])
    response = client.post(path, {"username": "e", "display_name": "E", "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 410 and "有効期限" in response.content.decode()
    assert not User.objects.filter(username="e").exists()


def test_invitation_days_setting_sets_the_expiry(settings, users, councils):
    settings.SASAEAI_INVITATION_DAYS = 2
    issued = services.invitation_create(council=councils["a"], role="viewer", by=users["admin"], email="d@example.jp")
    left = issued.invitation.expires_at - timezone.now()
    assert timedelta(days=1, hours=23) < left <= timedelta(days=2)


def test_unknown_or_malformed_tokens_are_a_clear_404(client, db):
    for token in ("NOPE", "x" * 300, "../../etc"):
        response = client.get(f"/invite/{token}/")
        assert response.status_code == 404
    assert "正しくありません" in client.get("/invite/NOPE/").content.decode()


# --- sign-in sheet ---------------------------------------------------------------------------------


def test_sign_in_sheet_for_someone_without_email(client_for, client, users, councils):
    admin_client = client_for(users["admin"])
    response = invite(
        admin_client, councils["a"], delivery="sheet", display_name="佐藤 一郎", username="sato1", role="viewer"
    )
    invitation = Invitation.objects.get(username="sato1")
    sheet_url = reverse("members:sheet", args=[councils["a"].pk, invitation.pk])
    assert response["Location"] == sheet_url and mail.outbox == []
    sheet = admin_client.get(sheet_url)
    html = sheet.content.decode()
    assert "佐藤 一郎" in html and "sato1" in html and sheet["Cache-Control"] == "no-store"
    assert f"（{settings.SASAEAI_PASSWORD_MIN_LENGTH}文字以上）" in html  # what the validators will ask for
    code = re.search(r'class="sheet-big sheet-code">([A-Z0-9-]+)<', html).group(1)
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", code)
    assert "data:" not in html  # the QR code is its own URL
    qr = admin_client.get(reverse("members:sheet_qr", args=[councils["a"].pk, invitation.pk]))
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml" and b"<svg" in qr.content
    # The code typed by hand, in lower case and without hyphens, opens the same page.
    client.logout()
    typed = client.post(reverse("invitation_code"), {"code": code.replace("-", "").lower()})
    assert typed.status_code == 302
    page = client.get(typed["Location"])
    assert 'value="sato1"' in page.content.decode() and "disabled" in page.content.decode()
    data = {"username": "someone-else", "display_name": "佐藤 一郎", "password1": PASSWORD, "password2": PASSWORD}
    assert client.post(typed["Location"], data).status_code == 302
    user = User.objects.get(username="sato1")  # the printed user name, whatever was posted
    assert user.check_password(PASSWORD) and user.email == ""
    assert not User.objects.filter(username="someone-else").exists()


def test_a_new_sheet_kills_the_old_one_and_sheets_are_not_shown_again_from_the_database(
    client_for, client, users, councils
):
    admin_client = client_for(users["admin"])
    invite(admin_client, councils["a"], delivery="sheet", display_name="ボランティア", role="reporter")
    invitation = Invitation.objects.get()
    assert re.fullmatch(r"m[2-9]{6}", invitation.username)
    sheet_url = reverse("members:sheet", args=[councils["a"].pk, invitation.pk])
    old_code = re.search(r'sheet-code">([A-Z0-9-]+)<', admin_client.get(sheet_url).content.decode()).group(1)
    # Another admin (another session) cannot see the code: it is not stored.
    other_admin = User.objects.create_user("admin2")
    Membership.objects.create(user=other_admin, council=councils["a"], role="admin")
    client.force_login(other_admin)
    other = client.get(sheet_url).content.decode()
    assert old_code not in other and "もう表示できません" in other
    assert client.get(reverse("members:sheet_qr", args=[councils["a"].pk, invitation.pk])).status_code == 404
    admin_client.post(reverse("members:reissue", args=[councils["a"].pk, invitation.pk]))
    new_code = re.search(r'sheet-code">([A-Z0-9-]+)<', admin_client.get(sheet_url).content.decode()).group(1)
    assert new_code != old_code
    client.logout()
    assert client.get(reverse("invitation_accept", args=[old_code])).status_code == 404
    assert client.get(reverse("invitation_accept", args=[new_code])).status_code == 200


# --- roles and suspension ---------------------------------------------------------------------------


def test_admin_changes_a_role_with_an_audit_entry(client_for, users, councils):
    membership = users["viewer"].memberships.get()
    client = client_for(users["admin"])
    response = client.post(reverse("members:role", args=[councils["a"].pk, membership.pk]), {"role": "editor"})
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == "editor"
    entry = AuditEntry.objects.get(action="member.role")
    assert (entry.before, entry.after, entry.actor) == ({"役割": "閲覧者"}, {"役割": "計画編集者"}, users["admin"])


def test_suspend_ends_the_open_session_and_restore_brings_it_back(client_for, client, users, councils):
    from django.test import Client

    member_client = Client()
    member_client.force_login(users["viewer"])
    council_url = reverse("council_detail", args=[councils["a"].pk])
    assert member_client.get(council_url).status_code == 200
    membership = users["viewer"].memberships.get()
    admin_client = client_for(users["admin"])
    admin_client.post(reverse("members:suspend", args=[councils["a"].pk, membership.pk]))
    membership.refresh_from_db()
    assert membership.suspended_at is not None and membership.suspended_by == users["admin"]
    assert User.objects.get(pk=users["viewer"].pk).is_active is False
    response = member_client.get(council_url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert users["viewer"] not in users_for_council(councils["a"])
    entry = AuditEntry.objects.get(action="member.suspend")
    assert entry.before == {"状態": "有効"} and entry.after["状態"] == "停止中"
    Membership.objects.filter(pk=membership.pk).update()  # the row is kept: the name stays in history
    assert Membership.objects.filter(pk=membership.pk).exists()

    admin_client.post(reverse("members:restore", args=[councils["a"].pk, membership.pk]))
    assert User.objects.get(pk=users["viewer"].pk).is_active is True
    member_client.force_login(users["viewer"])
    assert member_client.get(council_url).status_code == 200
    assert AuditEntry.objects.get(action="member.restore").after["状態"] == "有効"


def test_a_suspended_membership_grants_nothing_but_other_memberships_still_work(users, councils):
    person = users["editor"]
    Membership.objects.create(user=person, council=councils["b"], role="viewer")
    services.membership_suspend(membership=person.memberships.get(council=councils["a"]), by=users["admin"])
    person = User.objects.get(pk=person.pk)
    assert person.is_active is True  # still a member of b
    assert roles_by_council(person) == {councils["b"].pk: "viewer"}
    assert person not in users_for_council(councils["a"]) and person in users_for_council(councils["b"])


def test_the_last_admin_cannot_suspend_or_demote_themselves(client_for, users, councils):
    admin = users["admin"]
    membership = admin.memberships.get()
    client = client_for(admin)
    before = state(councils["a"])
    response = client.post(reverse("members:suspend", args=[councils["a"].pk, membership.pk]), follow=True)
    assert "最後の社協管理者" in response.content.decode()
    response = client.post(
        reverse("members:role", args=[councils["a"].pk, membership.pk]), {"role": "viewer"}, follow=True
    )
    assert "最後の社協管理者" in response.content.decode()
    assert state(councils["a"]) == before
    # With a second admin, stepping down is allowed.
    Membership.objects.create(user=User.objects.create_user("admin2"), council=councils["a"], role="admin")
    client.post(reverse("members:role", args=[councils["a"].pk, membership.pk]), {"role": "editor"})
    membership.refresh_from_db()
    assert membership.role == "editor"


# --- bad input: a clear message, nothing changed ----------------------------------------------------


def test_an_email_already_a_member_of_that_council_is_refused(client_for, users, councils):
    users["viewer"].email = "viewer@example.jp"
    users["viewer"].save()
    client = client_for(users["admin"])
    before = state(councils["a"])
    response = invite(client, councils["a"], email="Viewer@Example.jp")
    assert response.status_code == 200 and "すでに テスト市社会福祉協議会 のメンバーです" in response.content.decode()
    invite(client, councils["a"], email="pending@example.jp")
    again = invite(client, councils["a"], email="pending@example.jp")
    assert "すでに招待中" in again.content.decode()
    assert Invitation.objects.filter(email="pending@example.jp").count() == 1
    assert state(councils["a"])[0] == before[0]


def test_invalid_email_and_missing_fields_are_refused(client_for, users, councils):
    client = client_for(users["admin"])
    before = state(councils["a"])
    bad = invite(client, councils["a"], email="not an address")
    assert bad.status_code == 200 and "メールアドレスの形が正しくありません" in bad.content.decode()
    empty = invite(client, councils["a"], email="")
    assert "メールアドレスを入力してください" in empty.content.decode()
    no_name = invite(client, councils["a"], delivery="sheet", display_name="")
    assert "氏名を入力してください" in no_name.content.decode()
    bad_username = invite(client, councils["a"], delivery="sheet", display_name="A", username="山田 太郎")
    assert "空白は使えません" in bad_username.content.decode()
    taken = invite(client, councils["a"], delivery="sheet", display_name="A", username="editor_a")
    assert "すでに使われています" in taken.content.decode()
    assert state(councils["a"]) == before


def test_a_role_the_inviter_may_not_grant_is_refused(client_for, users, councils):
    client = client_for(users["admin"])
    before = state(councils["a"])
    response = invite(client, councils["a"], email="boss@example.jp", role="superuser")
    assert response.status_code == 200 and "正しく選択してください" in response.content.decode()
    membership = users["viewer"].memberships.get()
    client.post(reverse("members:role", args=[councils["a"].pk, membership.pk]), {"role": "owner"})
    assert state(councils["a"]) == before
    # The service refuses too: an editor may grant nothing, a role outside the list is refused.
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="権限がありません"):
        services.invitation_create(council=councils["a"], role="viewer", by=users["editor"], email="q@example.jp")
    with pytest.raises(ValidationError, match="役割を一覧から"):
        services.membership_set_role(membership=membership, role="root", by=users["admin"])
    assert state(councils["a"]) == before


def test_forged_posts_for_another_council_are_404_and_change_nothing(client_for, users, councils):
    outsider_membership = users["outsider"].memberships.get()
    foreign_invitation = services.invitation_create(
        council=councils["b"], role="viewer", by=users["outsider"], email="b@example.jp"
    ).invitation
    client = client_for(users["admin"])
    before = state(councils["a"])
    b, a = councils["b"].pk, councils["a"].pk
    assert invite(client, councils["b"], email="x@example.jp").status_code == 404
    for name in ("suspend", "restore"):
        assert client.post(reverse(f"members:{name}", args=[b, outsider_membership.pk])).status_code == 404
        # Through a council one manages, a membership of another council is just as missing.
        assert client.post(reverse(f"members:{name}", args=[a, outsider_membership.pk])).status_code == 404
    assert client.post(reverse("members:role", args=[a, outsider_membership.pk]), {"role": "viewer"}).status_code == 404
    assert client.get(reverse("members:detail", args=[a, outsider_membership.pk])).status_code == 404
    for name in ("reissue", "revoke"):
        assert client.post(reverse(f"members:{name}", args=[a, foreign_invitation.pk])).status_code == 404
        assert client.post(reverse(f"members:{name}", args=[b, foreign_invitation.pk])).status_code == 404
    assert client.get(reverse("members:sheet", args=[a, foreign_invitation.pk])).status_code == 404
    # Choosing council b in a's invite form is refused as an unknown choice.
    response = client.post(
        reverse("members:invite", args=[a]),
        {"delivery": "email", "council": b, "role": "viewer", "email": "z@example.jp"},
    )
    assert response.status_code == 200 and "正しく選択してください" in response.content.decode()
    assert state(councils["a"]) == before


def test_a_child_council_admin_cannot_manage_the_parent(client_for, users, councils):
    child_admin = User.objects.create_user("child_admin")
    Membership.objects.create(user=child_admin, council=councils["a_child"], role="admin")
    client = client_for(child_admin)
    assert client.get(reverse("members:list", args=[councils["a"].pk])).status_code == 404
    html = client.get(reverse("members:list", args=[councils["a_child"].pk])).content.decode()
    assert "child_admin" in html and "editor_a" not in html  # the parent's people are not theirs
    response = client.get(reverse("members:invite", args=[councils["a_child"].pk])).content.decode()
    assert "テスト区社会福祉協議会" in response and "テスト市社会福祉協議会" not in response


def test_every_non_admin_gets_404_on_every_member_page(client_for, users, councils):
    membership = users["viewer"].memberships.get()
    invitation = services.invitation_create(
        council=councils["a"], role="viewer", by=users["admin"], email="n@example.jp"
    ).invitation
    a = councils["a"].pk
    gets = [
        reverse("members:list", args=[a]),
        reverse("members:invite", args=[a]),
        reverse("members:detail", args=[a, membership.pk]),
        reverse("members:sheet", args=[a, invitation.pk]),
        reverse("members:council_child_new", args=[a]),
        reverse("members:council_new"),
    ]
    for role in ("editor", "leader", "reporter", "viewer", "committee", "outsider", "nobody"):
        client = client_for(users[role])
        assert {url: client.get(url).status_code for url in gets} == dict.fromkeys(gets, 404), role


def test_role_change_of_a_suspended_person_needs_no_reactivation(users, councils):
    membership = users["viewer"].memberships.get()
    services.membership_suspend(membership=membership, by=users["admin"])
    services.membership_set_role(membership=membership, role="editor", by=users["admin"])
    membership.refresh_from_db()
    assert membership.role == "editor" and membership.suspended_at is not None
    assert User.objects.get(pk=users["viewer"].pk).is_active is False


def test_double_suspend_and_restore_of_an_active_member_are_refused(client_for, users, councils):
    membership = users["viewer"].memberships.get()
    client = client_for(users["admin"])
    restore = client.post(reverse("members:restore", args=[councils["a"].pk, membership.pk]), follow=True)
    assert "停止していません" in restore.content.decode()
    client.post(reverse("members:suspend", args=[councils["a"].pk, membership.pk]))
    again = client.post(reverse("members:suspend", args=[councils["a"].pk, membership.pk]), follow=True)
    assert "すでに停止しています" in again.content.decode()
    assert AuditEntry.objects.filter(action="member.suspend").count() == 1


def test_a_nearer_lesser_membership_below_takes_the_management_of_that_council_away(client_for, users, councils):
    admin = users["admin"]
    Membership.objects.create(user=admin, council=councils["a_child"], role="viewer")
    child_person = User.objects.create_user("ku_member")
    membership = Membership.objects.create(user=child_person, council=councils["a_child"], role="reporter")
    client = client_for(admin)
    a = councils["a"].pk
    assert client.get(reverse("members:detail", args=[a, membership.pk])).status_code == 404
    assert client.post(reverse("members:suspend", args=[a, membership.pk])).status_code == 404
    membership.refresh_from_db()
    assert membership.suspended_at is None
