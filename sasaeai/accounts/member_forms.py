"""Forms of the member screens (invitations, roles, joining) and of creating a council with its first admin."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from sasaeai.core.models import Council, council_kind_problem

from .models import Invitation, Role


def _role_choices(roles: Iterable[str]) -> list[tuple[str, str]]:
    return [(r, str(Role(r).label)) for r in roles]


class InviteForm(forms.Form):
    delivery = forms.ChoiceField(
        label=_("招待の方法"),
        choices=[
            (Invitation.Delivery.EMAIL, _("メールで招待する（本人がリンクを開いてパスワードを決めます）")),
            (Invitation.Delivery.SHEET, _("ログイン用紙を印刷して渡す（メールのない方）")),
        ],
        initial=Invitation.Delivery.EMAIL,
        widget=forms.RadioSelect,
    )
    display_name = forms.CharField(label=_("氏名"), max_length=100, required=False)
    email = forms.EmailField(
        label=_("メールアドレス"),
        required=False,
        error_messages={"invalid": _("メールアドレスの形が正しくありません。")},
    )
    username = forms.CharField(
        label=_("ユーザー名（ログイン用紙のとき）"),
        max_length=150,
        required=False,
        help_text=_(
            "空欄なら、読み上げやすいユーザー名（m と数字6桁）を自動でつけます。"
            "使えるのは文字・数字と @ . + - _ です（空白は使えません）。"
        ),
    )
    council = forms.TypedChoiceField(label=_("所属する社協"), coerce=int)
    role = forms.ChoiceField(label=_("役割"))

    def __init__(self, *args: Any, councils: list[Council], roles: Iterable[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["council"].choices = [(c.pk, c.name) for c in councils]  # type: ignore[attr-defined]  # ChoiceField
        self.fields["role"].choices = _role_choices(roles)  # type: ignore[attr-defined]  # ChoiceField
        self.fields["role"].initial = Role.REPORTER
        self.councils = {c.pk: c for c in councils}

    def clean(self) -> dict[str, Any] | None:
        data = super().clean() or {}
        if data.get("delivery") == Invitation.Delivery.EMAIL and not data.get("email") and "email" not in self.errors:
            self.add_error(
                "email", _("メールアドレスを入力してください。メールのない方は「ログイン用紙」を選んでください。")
            )
        if data.get("delivery") == Invitation.Delivery.SHEET:
            # Every problem at once: the name and the user name are checked together.
            if not data.get("display_name"):
                self.add_error("display_name", _("ログイン用紙に印刷する氏名を入力してください。"))
            username = (data.get("username") or "").strip()
            if username and "username" not in self.errors:
                from .services.members import check_username

                try:
                    check_username(username)
                except ValidationError as exc:
                    for message in exc.message_dict.get("username", exc.messages):
                        self.add_error("username", message)
        return data


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("役割"))

    def __init__(self, *args: Any, roles: Iterable[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = _role_choices(roles)  # type: ignore[attr-defined]  # ChoiceField


class PasswordPairForm(forms.Form):
    """A new password typed twice (joining, or a reset sign-in sheet); Django's validators run in the service."""

    password1 = forms.CharField(
        label=_("パスワード"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=format_lazy(
            _("{n}文字以上。よく使われるパスワード、数字だけのもの、名前に似たものは使えません。"),
            n=settings.SASAEAI_PASSWORD_MIN_LENGTH,
        ),
    )
    password2 = forms.CharField(
        label=_("パスワード（確認のためもう一度）"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any] | None:
        data = super().clean() or {}
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", _("2つのパスワードが一致しません。"))
        return data


class AcceptForm(PasswordPairForm):
    username = forms.CharField(label=_("ユーザー名"), max_length=150)
    display_name = forms.CharField(label=_("氏名（画面に表示する名前）"), max_length=100)
    field_order = ["username", "display_name", "password1", "password2"]

    def __init__(self, *args: Any, fixed_username: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if fixed_username:
            self.fields["username"].initial = fixed_username
            self.fields["username"].disabled = True
            self.fields["username"].help_text = _("ログイン用紙に印刷されたユーザー名です。")
        else:
            self.fields["username"].help_text = _(
                "ログインのときに入力する名前です（文字・数字と @ . + - _。空白は使えません）。"
            )
        self.fields["username"].widget.attrs["autocomplete"] = "username"


class ResetPasswordForm(PasswordPairForm):
    """A new password from a reset sign-in sheet (the user name is printed on the sheet)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["password1"].label = _("新しいパスワード")
        self.fields["password2"].label = _("新しいパスワード（確認のためもう一度）")


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("ログイン用紙のコード"),
        max_length=40,
        help_text=_("例: ABCD-EFGH-JKLM（ハイフンはなくてもかまいません。大文字・小文字、全角・半角はどちらでも）"),
    )


class CouncilCreateForm(forms.Form):
    name = forms.CharField(label=_("社協の名称"), max_length=200)
    kind = forms.ChoiceField(label=_("種別"), choices=Council.Kind.choices)
    parent = forms.TypedChoiceField(label=_("上位の社協"), coerce=int, required=False, empty_value=None)
    admin_name = forms.CharField(label=_("最初の社協管理者の氏名"), max_length=100, required=False)
    admin_email = forms.EmailField(
        label=_("最初の社協管理者のメールアドレス"),
        required=False,
        help_text=_("空欄なら、メールの代わりにログイン用紙を印刷して渡します。"),
        error_messages={"invalid": _("メールアドレスの形が正しくありません。")},
    )
    admin_username = forms.CharField(
        label=_("ユーザー名（ログイン用紙のとき）"),
        max_length=150,
        required=False,
        help_text=_("空欄なら自動でつけます。"),
    )

    def __init__(
        self, *args: Any, parents: list[Council] | None, fixed_parent: Council | None = None, **kwargs: Any
    ) -> None:
        """``parents``: the councils an operator may choose from (``None``: the parent is ``fixed_parent``)."""
        super().__init__(*args, **kwargs)
        self.fixed_parent = fixed_parent
        if parents is None:
            del self.fields["parent"]
        else:
            self.fields["parent"].choices = [("", _("（なし: いちばん上の社協）")), *[(c.pk, c.name) for c in parents]]  # type: ignore[attr-defined]  # ChoiceField
            self.parents = {c.pk: c for c in parents}

    def clean(self) -> dict[str, Any] | None:
        data = super().clean() or {}
        if not data.get("admin_email") and "admin_email" not in self.errors and not data.get("admin_name"):
            self.add_error(
                "admin_name", _("メールアドレスがないときは、ログイン用紙に印刷する氏名を入力してください。")
            )
        parent = self.fixed_parent
        if "parent" in self.fields and data.get("parent"):
            parent = self.parents.get(data["parent"])
        if data.get("kind") and parent is not None:
            problem = council_kind_problem(data["kind"], parent.kind)
            if problem:
                self.add_error("kind", problem)
        return data
