"""Creating a council with its first admin: from a screen (operator, or a council admin below their own)
and from `manage.py create_council`."""

import io
import re
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse

from sasaeai.accounts.models import Invitation, User
from sasaeai.accounts.selectors import roles_by_council
from sasaeai.core.models import AuditEntry, Council

PASSWORD = "kotoba-no-mori-42"


@pytest.fixture(autouse=True)
def _mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SASAEAI_BASE_URL = "https://sasaeai.example.jp"


@pytest.fixture
def operator(db):
    return User.objects.create_superuser("operator", password="pw-for-tests-123")


def test_an_operator_creates_a_top_level_council_and_its_first_admin_joins(client, operator, councils):
    client.force_login(operator)
    data = {"name": "新県社会福祉協議会", "kind": "prefecture", "parent": "", "admin_email": "boss@example.jp"}
    data |= {"admin_name": "県 太郎", "admin_username": ""}
    response = client.post(reverse("members:council_new"), data)
    assert response.status_code == 302
    council = Council.objects.get(name="新県社会福祉協議会")
    assert council.parent is None and council.kind == "prefecture"
    assert council.evaluation_directions.exists()  # council setup hooks ran (core.services.council_create)
    assert AuditEntry.objects.get(action="council.create", council=council).actor == operator
    invitation = Invitation.objects.get(council=council)
    assert invitation.role == "admin" and invitation.created_by == operator
    path = re.search(r"https://sasaeai\.example\.jp(/invite/\w+/)", mail.outbox[0].body).group(1)
    client.logout()
    client.post(path, {"username": "kenboss", "display_name": "県 太郎", "password1": PASSWORD, "password2": PASSWORD})
    boss = User.objects.get(username="kenboss")
    assert roles_by_council(boss) == {council.pk: "admin"}
    assert client.get(reverse("members:list", args=[council.pk])).status_code == 200


def test_a_council_admin_creates_a_child_council_below_their_own_with_a_sheet(client_for, users, councils):
    client = client_for(users["admin"])
    url = reverse("members:council_child_new", args=[councils["a"].pk])
    data = {"name": "テスト地区社協", "kind": "district", "admin_email": "", "admin_name": "地区 花子"}
    response = client.post(url, {**data, "admin_username": "chiku1"})
    council = Council.objects.get(name="テスト地区社協")
    assert council.parent == councils["a"]
    invitation = Invitation.objects.get(council=council)
    assert invitation.delivery == "sheet" and invitation.username == "chiku1" and invitation.role == "admin"
    assert response["Location"] == reverse("members:sheet", args=[council.pk, invitation.pk])
    assert "chiku1" in client.get(response["Location"]).content.decode()
    # The creator manages the new council's members (it is below their own).
    assert client.get(reverse("members:list", args=[council.pk])).status_code == 200


def test_council_creation_bad_input(client_for, client, users, councils, operator):
    admin = client_for(users["admin"])
    url = reverse("members:council_child_new", args=[councils["a"].pk])
    before = (Council.objects.count(), Invitation.objects.count(), AuditEntry.objects.count())
    dup = admin.post(url, {"name": "よそ市社会福祉協議会", "kind": "district", "admin_email": "a@example.jp"})
    assert dup.status_code == 200 and "すでにあります" in dup.content.decode()
    bad_mail = admin.post(url, {"name": "新しい地区", "kind": "district", "admin_email": "nope"})
    assert "メールアドレスの形が正しくありません" in bad_mail.content.decode()
    no_admin = admin.post(url, {"name": "新しい地区", "kind": "district"})
    assert "氏名を入力してください" in no_admin.content.decode()
    bad_kind = admin.post(url, {"name": "新しい地区", "kind": "village", "admin_email": "a@example.jp"})
    assert "正しく選択してください" in bad_kind.content.decode()
    # Outside their tree: 404; the operator's page too.
    assert admin.post(reverse("members:council_child_new", args=[councils["b"].pk]), {}).status_code == 404
    assert admin.get(reverse("members:council_new")).status_code == 404
    assert (Council.objects.count(), Invitation.objects.count(), AuditEntry.objects.count()) == before


def test_a_failing_admin_invitation_leaves_no_council_behind(client_for, users, councils):
    admin = client_for(users["admin"])
    url = reverse("members:council_child_new", args=[councils["a"].pk])
    response = admin.post(
        url, {"name": "新しい地区", "kind": "district", "admin_name": "A", "admin_username": "editor_a"}
    )
    assert "すでに使われています" in response.content.decode()
    assert not Council.objects.filter(name="新しい地区").exists()


def test_a_council_admin_sees_only_councils_of_their_tree(client_for, users, councils):
    client = client_for(users["admin"])
    client.post(
        reverse("members:council_child_new", args=[councils["a"].pk]),
        {"name": "テスト地区社協", "kind": "district", "admin_email": "c@example.jp"},
    )
    home = client.get(reverse("home")).content.decode()
    assert "テスト地区社協" in home and "よそ市社会福祉協議会" not in home
    assert client.get(reverse("members:list", args=[councils["b"].pk])).status_code == 404


def test_create_council_command_prints_the_link(councils):
    out = io.StringIO()
    call_command(
        "create_council",
        "--name=中央区社会福祉協議会",
        "--kind=区社協",
        "--parent=テスト市社会福祉協議会",
        "--admin-email=chuo@example.jp",
        "--admin-name=中央 一郎",
        stdout=out,
    )
    council = Council.objects.get(name="中央区社会福祉協議会")
    assert council.kind == "ward" and council.parent == councils["a"]
    text = out.getvalue()
    link = re.search(r"https://sasaeai\.example\.jp/invite/\w+/", text).group(0)
    assert link in mail.outbox[0].body and "パスワード" not in text
    assert Invitation.objects.get(council=council).role == "admin"
    entry = AuditEntry.objects.get(action="council.create", council=council)
    assert entry.actor is None and entry.actor_name == "システム（コマンド・自動処理）"  # never English "system"


def test_create_council_command_with_a_sign_in_sheet(db):
    out = io.StringIO()
    call_command("create_council", "--name=山の社協", "--kind=municipal", "--admin-name=山 花子", stdout=out)
    invitation = Invitation.objects.get(council__name="山の社協")
    assert invitation.delivery == "sheet" and invitation.username in out.getvalue()
    assert "/invite/" in out.getvalue() and mail.outbox == []


@pytest.mark.parametrize(
    "args, message",
    [
        (["--name=テスト市社会福祉協議会", "--kind=municipal", "--admin-email=a@example.jp"], "すでにあります"),
        (
            ["--name=新", "--kind=municipal", "--parent=どこにもない社協", "--admin-email=a@example.jp"],
            "見つかりません",
        ),
        (["--name=新", "--kind=village", "--admin-email=a@example.jp"], "種別「village」はありません"),
        (["--name=新", "--kind=municipal", "--admin-email=not-mail"], "メールアドレスの形が正しくありません"),
        (["--name=新", "--kind=municipal"], "--admin-email"),
    ],
)
def test_create_council_command_errors(councils, args, message):
    before = (Council.objects.count(), Invitation.objects.count())
    with pytest.raises(CommandError, match=message):
        call_command("create_council", *args, stdout=io.StringIO())
    assert (Council.objects.count(), Invitation.objects.count()) == before


def test_create_council_command_exits_non_zero(councils):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "manage.py", "create_council", "--name=x", "--kind=village", "--admin-email=a@example.jp"],
        capture_output=True,
        text=True,
        env={
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "PATH": "/usr/bin:/bin",
            "DATABASE_URL": "sqlite:///:memory:",
        },
        check=False,
        cwd=Path(__file__).resolve().parents[3],
    )
    assert result.returncode != 0 and "種別「village」はありません" in result.stderr
