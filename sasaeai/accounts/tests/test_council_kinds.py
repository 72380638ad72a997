"""Council kinds form a hierarchy (都道府県社協 > 市区町村社協 > 区社協 > 地区社協): in the web form, in
`manage.py create_council` (whose help is Japanese too) and in the model."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from sasaeai.accounts.models import Invitation, User
from sasaeai.core.models import Council
from sasaeai.core.services import council_create


@pytest.fixture(autouse=True)
def _mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SASAEAI_BASE_URL = "https://sasaeai.example.jp"


def counts():
    return Council.objects.count(), Invitation.objects.count()


@pytest.mark.parametrize(
    "parent_kind, kind, ok",
    [
        ("prefecture", "municipal", True),
        ("municipal", "ward", True),
        ("municipal", "district", True),
        ("ward", "district", True),
        ("municipal", "prefecture", False),
        ("district", "prefecture", False),
        ("municipal", "municipal", False),
        ("ward", "municipal", False),
        ("district", "district", False),
    ],
)
def test_the_model_rule(db, parent_kind, kind, ok):
    parent = council_create(name="上", kind=parent_kind)
    if ok:
        assert council_create(name="下", kind=kind, parent=parent).parent == parent
    else:
        with pytest.raises(ValidationError) as info:
            council_create(name="下", kind=kind, parent=parent)
        assert "kind" in info.value.message_dict
        assert not Council.objects.filter(name="下").exists()


def test_a_parent_cannot_become_a_kind_at_or_below_its_children(councils):
    council = councils["a"]  # municipal, with a ward below
    council.kind = "district"
    with pytest.raises(ValidationError, match="下"):
        council.full_clean()


def test_the_operator_form_shows_the_kind_error(client, councils):
    operator = User.objects.create_superuser("operator", password="pw-for-tests-123")
    client.force_login(operator)
    before = counts()
    data = {"name": "新県", "kind": "prefecture", "parent": councils["a_child"].pk, "admin_email": "x@example.jp"}
    response = client.post(reverse("members:council_new"), {**data, "admin_name": "", "admin_username": ""})
    assert response.status_code == 200
    form = response.context["form"]
    assert "都道府県社協は、ほかの社協の下にはつくれません" in " ".join(form.errors["kind"])
    assert counts() == before


def test_a_council_admin_cannot_put_a_prefecture_below_their_city(client_for, users, councils):
    client = client_for(users["admin"])
    before = counts()
    data = {"name": "ニセ県社協", "kind": "prefecture", "admin_email": "", "admin_name": "", "admin_username": ""}
    response = client.post(reverse("members:council_child_new", args=[councils["a"].pk]), data)
    assert response.status_code == 200
    form = response.context["form"]
    # every error at once: the kind and the missing name of the first admin
    assert "kind" in form.errors and "admin_name" in form.errors
    assert counts() == before


def test_a_district_council_has_no_children(client_for, users, councils):
    district = council_create(name="テスト地区", kind="district", parent=councils["a"])
    client = client_for(users["admin"])
    data = {"name": "孫", "kind": "district", "admin_email": "", "admin_name": "孫 太郎", "admin_username": ""}
    response = client.post(reverse("members:council_child_new", args=[district.pk]), data)
    assert response.status_code == 200
    assert "地区社協の下には社協をつくれません" in " ".join(response.context["form"].errors["kind"])
    assert not Council.objects.filter(name="孫").exists()


def test_create_council_command_refuses_a_prefecture_below_a_city(councils):
    before = counts()
    with pytest.raises(CommandError, match="都道府県社協は、ほかの社協の下にはつくれません"):
        call_command(
            "create_council",
            "--name=新県",
            "--kind=prefecture",
            "--parent=テスト市社会福祉協議会",
            "--admin-email=a@example.jp",
            stdout=io.StringIO(),
        )
    assert counts() == before


def test_create_council_help_is_japanese(capsys):
    with pytest.raises(SystemExit):
        call_command("create_council", "--help")
    out = capsys.readouterr().out
    assert "社協をつくり" in out
    for text in ("社協の名称", "種別", "上位の社協", "メールアドレス", "氏名", "ユーザー名"):
        assert text in out
    assert "council name" not in out and "the first admin" not in out
