from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, PasswordResetForm, SetPasswordForm
from django.utils.translation import gettext_lazy as _

from .models import User


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("ユーザー名またはパスワードが違います。大文字と小文字も区別されます。"),
        "inactive": _("このアカウントは使えません。社協の管理者にお問い合わせください。"),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("ユーザー名")
        self.fields["password"].label = _("パスワード")


class CodeForm(forms.Form):
    """The 6-digit code of an authenticator app (two-step sign-in)."""

    token = forms.CharField(
        label=_("確認コード（6桁）"),
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "size": 8}),
    )


class DisplayNameForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["display_name"]
        labels = {"display_name": _("表示名")}
        help_texts = {"display_name": _("画面や変更履歴に出る名前です（例: 山田 花子）。")}


class EmailChangeForm(forms.Form):
    email = forms.EmailField(label=_("新しいメールアドレス"), max_length=254)


class SasaeaiPasswordChangeForm(PasswordChangeForm):
    error_messages = {
        **PasswordChangeForm.error_messages,
        "password_incorrect": _("今のパスワードが違います。もう一度入力してください。"),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = _("今のパスワード")
        self.fields["new_password1"].label = _("新しいパスワード")
        self.fields["new_password2"].label = _("新しいパスワード（確認）")


class SasaeaiSetPasswordForm(SetPasswordForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = _("新しいパスワード")
        self.fields["new_password2"].label = _("新しいパスワード（確認）")


class SasaeaiPasswordResetForm(PasswordResetForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].label = _("登録しているメールアドレス")
