"""A new sign-in sheet for a member who forgot their password (no e-mail needed), and codes typed with
the Japanese IME on (full-width letters and dashes)."""

import re

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from sasaeai.accounts.models import Invitation, Membership, User
from sasaeai.accounts.selectors import is_locked_out, members_for_council
from sasaeai.accounts.services import members as services
from sasaeai.core.audit import ACTION_LABELS
from sasaeai.core.models import AuditEntry

NEW_PASSWORD = "atarashii-mori-77"
OLD_PASSWORD = "pw-for-tests-123"


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.SASAEAI_BASE_URL = "https://sasaeai.example.jp"


def issue(client, council, membership):
    return client.post(reverse("members:reset_sheet", args=[council.pk, membership.pk]))


def sheet_code(client, response):
    html = client.get(response["Location"]).content.decode()
    return re.search(r'sheet-code">([A-Z0-9-]+)<', html).group(1), html


def test_member_page_offers_the_reset_sheet(client_for, users, councils):
    membership = users["viewer"].memberships.get()
    html = client_for(users["admin"]).get(reverse("members:detail", args=[councils["a"].pk, membership.pk]))
    assert "ログイン用紙を発行し直す（パスワードを忘れたとき）" in html.content.decode()
    assert reverse("members:reset_sheet", args=[councils["a"].pk, membership.pk]) in html.content.decode()


def test_a_reset_sheet_sets_a_new_password_without_signing_in_then_signs_in(client_for, users, councils):
    viewer = users["viewer"]
    membership = viewer.memberships.get()
    # The person is signed in elsewhere (that session must end) and is locked out of sign-in.
    elsewhere = Client()
    elsewhere.force_login(viewer)
    council_url = reverse("council_detail", args=[councils["a"].pk])
    assert elsewhere.get(council_url).status_code == 200
    for i in range(settings.AXES_FAILURE_LIMIT):
        Client().post(
            reverse("login"), {"username": viewer.username, "password": "wrong"}, REMOTE_ADDR=f"192.0.2.{i + 10}"
        )
    assert is_locked_out(viewer)

    admin_client = client_for(users["admin"])
    response = issue(admin_client, councils["a"], membership)
    invitation = Invitation.objects.get(purpose=Invitation.Purpose.RESET)
    assert response["Location"] == reverse("members:sheet", args=[councils["a"].pk, invitation.pk])
    code, html = sheet_code(admin_client, response)
    assert viewer.username in html and "パスワードの再設定" in html
    assert invitation.user == viewer and invitation.delivery == Invitation.Delivery.SHEET
    entry = AuditEntry.objects.get(action="member.reset_sheet")
    assert entry.actor == users["admin"] and entry.after["ユーザー名"] == viewer.username
    assert "member.reset_sheet" in ACTION_LABELS
    # A reset sheet is not an open invitation in the member list.
    assert not any(r.invitation for r in members_for_council(councils["a"]))

    person = Client()  # not signed in: they forgot the password
    page = person.get(reverse("invitation_accept", args=[code]))
    assert page.status_code == 200 and "新しいパスワード" in page.content.decode()
    mismatch = {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD + "x"}
    assert person.post(reverse("invitation_accept", args=[code]), mismatch).status_code == 200
    weak = {"password1": "12345", "password2": "12345"}
    assert person.post(reverse("invitation_accept", args=[code]), weak).status_code == 200
    viewer.refresh_from_db()
    assert viewer.check_password(OLD_PASSWORD)
    new = {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    done = person.post(reverse("invitation_accept", args=[code]), new)
    assert done.status_code == 302
    viewer.refresh_from_db()
    assert viewer.check_password(NEW_PASSWORD)
    assert person.session["_auth_user_id"] == str(viewer.pk)
    assert not is_locked_out(viewer)
    assert Membership.objects.filter(user=viewer).count() == 1  # nothing joined twice
    # The other session ended; the sheet works only once.
    assert elsewhere.get(council_url).status_code == 302
    assert Client().get(reverse("invitation_accept", args=[code])).status_code == 410
    assert AuditEntry.objects.get(action="member.reset_password").actor == viewer


def test_a_new_reset_sheet_kills_the_old_one(client_for, users, councils):
    membership = users["viewer"].memberships.get()
    admin_client = client_for(users["admin"])
    old_code, _ = sheet_code(admin_client, issue(admin_client, councils["a"], membership))
    new_code, _ = sheet_code(admin_client, issue(admin_client, councils["a"], membership))
    assert old_code != new_code
    assert Client().get(reverse("invitation_accept", args=[old_code])).status_code == 410
    assert Client().get(reverse("invitation_accept", args=[new_code])).status_code == 200
    assert AuditEntry.objects.filter(action="member.reset_sheet").count() == 2


def test_no_reset_sheet_for_a_suspended_member(client_for, users, councils):
    membership = users["viewer"].memberships.get()
    admin_client = client_for(users["admin"])
    services.membership_suspend(membership=membership, by=users["admin"])
    response = issue(admin_client, councils["a"], membership)
    assert response["Location"] == reverse("members:detail", args=[councils["a"].pk, membership.pk])
    page = admin_client.get(response["Location"]).content.decode()
    assert "停止しているので、ログイン用紙は発行できません" in page
    assert not Invitation.objects.filter(purpose=Invitation.Purpose.RESET).exists()


def test_a_reset_sheet_stops_working_once_the_membership_is_suspended(client_for, users, councils):
    viewer = users["viewer"]
    membership = viewer.memberships.get()
    admin_client = client_for(users["admin"])
    code, _ = sheet_code(admin_client, issue(admin_client, councils["a"], membership))
    services.membership_suspend(membership=membership, by=users["admin"])
    person = Client()
    response = person.post(
        reverse("invitation_accept", args=[code]), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 200 and "停止しているので" in response.content.decode()
    viewer.refresh_from_db()
    assert viewer.check_password(OLD_PASSWORD) and "_auth_user_id" not in person.session


def test_reset_sheet_needs_members_manage_in_that_council(client_for, users, councils):
    membership = users["viewer"].memberships.get()
    for who in ("editor", "viewer", "outsider"):
        client = client_for(users[who])
        assert issue(client, councils["a"], membership).status_code == 404
    # A foreign council's id in the URL: the same 404.
    assert issue(client_for(users["outsider"]), councils["b"], membership).status_code == 404
    assert not Invitation.objects.exists()


def test_a_reset_sheet_cannot_be_used_to_join(users, councils):
    issued = services.reset_sheet_issue(membership=users["viewer"].memberships.get(), by=users["admin"])
    with pytest.raises(Exception, match="パスワードを決め直す"):
        services.invitation_accept(invitation=issued.invitation, user=users["viewer"])


# --- item 2: full-width codes -----------------------------------------------------------------------


@pytest.mark.parametrize("dash", ["－", "ー", "‐", "−", "-", " ", "　"])
def test_a_code_typed_full_width_is_found(client, users, councils, dash):
    issued = services.invitation_create(
        council=councils["a"], role="viewer", by=users["admin"], delivery="sheet", display_name="全角 太郎"
    )
    token = issued.token
    full_width = dash.join(token[i : i + 4] for i in range(0, 12, 4)).translate(
        {c: c + 0xFEE0 for c in range(0x21, 0x7F)}
    )
    response = client.post(reverse("invitation_code"), {"code": full_width.lower()})
    assert response.status_code == 302
    assert response["Location"] == reverse("invitation_accept", args=[token])
    assert client.get(reverse("invitation_accept", args=[full_width])).status_code == 200


def test_user_is_not_changed_by_a_reset_of_someone_else(client_for, users, councils):
    """A reset sheet only changes the password of the person it was issued for."""
    issued = services.reset_sheet_issue(membership=users["viewer"].memberships.get(), by=users["admin"])
    services.reset_sheet_accept(invitation=issued.invitation, password=NEW_PASSWORD)
    assert User.objects.get(pk=users["editor"].pk).check_password(OLD_PASSWORD)
    assert User.objects.get(pk=users["viewer"].pk).check_password(NEW_PASSWORD)


def test_a_reset_sheet_cannot_be_reissued_for_a_suspended_member(users, councils):
    membership = users["viewer"].memberships.get()
    issued = services.reset_sheet_issue(membership=membership, by=users["admin"])
    services.membership_suspend(membership=membership, by=users["admin"])
    with pytest.raises(ValidationError, match="停止しているので"):
        services.invitation_reissue(invitation=issued.invitation, by=users["admin"])
    issued.invitation.refresh_from_db()
    assert issued.invitation.token_hash == Invitation.objects.get(pk=issued.invitation.pk).token_hash
