"""The Django admin: superusers only, no sign-in form of its own, and the history read-only."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from sasaeai.core.models import AuditEntry


@pytest.fixture
def superuser(db):
    from sasaeai.accounts.models import User

    return User.objects.create_superuser(username="root", password="pw-for-tests-123", email="root@example.jp")


@pytest.fixture
def entry(councils, users):
    return AuditEntry.objects.create(
        council=councils["a"], actor=users["admin"], actor_name="admin_a", action="plan.create", target_label="計画"
    )


def test_admin_lives_at_the_configured_path():
    assert reverse("admin:index") == f"/{settings.SASAEAI_ADMIN_PATH}/"


def test_superuser_opens_the_admin_and_the_history(client_for, superuser, entry):
    client = client_for(superuser)
    assert client.get(reverse("admin:index")).status_code == 200
    listing = client.get(reverse("admin:core_auditentry_changelist"))
    assert listing.status_code == 200
    assert "計画" in listing.content.decode()
    detail = client.get(reverse("admin:core_auditentry_change", args=[entry.pk]))
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()  # view only


@pytest.mark.parametrize("staff", [False, True])
def test_a_councils_admin_gets_a_404_even_with_is_staff(client_for, users, staff):
    user = users["admin"]
    user.is_staff = staff
    user.save()
    client = client_for(user)
    for url in (reverse("admin:index"), reverse("admin:core_auditentry_changelist"), reverse("admin:login")):
        response = client.get(url, follow=True)
        assert response.status_code == 404, url
        assert "ページが見つかりません" in response.content.decode()


def test_signed_out_people_are_sent_to_the_sites_sign_in(client):
    response = client.get(reverse("admin:index"), follow=True)
    assert response.status_code == 200
    final, _ = response.redirect_chain[-1]
    assert final == f"{reverse('login')}?next=/{settings.SASAEAI_ADMIN_PATH}/"


def test_admin_login_form_never_signs_anyone_in(client, superuser):
    response = client.post(reverse("admin:login"), {"username": "root", "password": "pw-for-tests-123"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert "_auth_user_id" not in client.session


def test_admin_login_next_never_leaves_the_site(client):
    response = client.get(reverse("admin:login") + "?next=https://evil.example/")
    assert response["Location"] == f"{reverse('login')}?next=/{settings.SASAEAI_ADMIN_PATH}/"


def test_history_cannot_be_added_changed_or_deleted(client_for, superuser, entry):
    client = client_for(superuser)
    before = AuditEntry.objects.count()
    assert client.get(reverse("admin:core_auditentry_add")).status_code == 403
    assert client.post(reverse("admin:core_auditentry_add"), {"action": "plan.create"}).status_code == 403
    change = reverse("admin:core_auditentry_change", args=[entry.pk])
    client.post(change, {"action": "plan.delete", "target_label": "書き換え"})
    delete = reverse("admin:core_auditentry_delete", args=[entry.pk])
    assert client.get(delete).status_code == 403
    assert client.post(delete, {"post": "yes"}).status_code == 403
    changelist = reverse("admin:core_auditentry_changelist")
    client.post(changelist, {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"})
    entry.refresh_from_db()
    assert (entry.action, entry.target_label) == ("plan.create", "計画")
    assert AuditEntry.objects.count() == before


@pytest.mark.parametrize(("value", "expected"), [("kanri-7f3a/", "/kanri-7f3a/"), ("/a/b", "/a/b/"), ("", "none")])
def test_admin_path_comes_from_the_environment_and_empty_turns_it_off(value, expected):
    code = (
        "import django; django.setup(); from django.urls import NoReverseMatch, reverse\n"
        "try:\n    print(reverse('admin:index'))\nexcept NoReverseMatch:\n    print('none')"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "SASAEAI_ADMIN_PATH": value}
    root = Path(__file__).resolve().parents[3]
    result = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_invitations_are_listed_for_an_operator_but_made_only_in_the_member_screens(client_for, superuser, councils):
    from sasaeai.accounts.models import Invitation

    invitation = Invitation.objects.create(
        council=councils["a"],
        role="viewer",
        email="hanako@example.jp",
        display_name="岩手 花子",
        token_hash="0" * 64,
        expires_at="2030-01-01T00:00:00Z",
    )
    client = client_for(superuser)
    listing = client.get(reverse("admin:accounts_invitation_changelist"))
    assert listing.status_code == 200 and "岩手 花子" in listing.content.decode()
    assert client.get(reverse("admin:accounts_invitation_add")).status_code == 403
    detail = client.get(reverse("admin:accounts_invitation_change", args=[invitation.pk]))
    assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()
