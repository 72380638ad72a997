from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, PasswordResetForm, SetPasswordForm
from django.core.exceptions import ValidationError
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
    def clean_display_name(self) -> str:
        name = str(self.cleaned_data.get("display_name") or "").strip()
        if not name:
            raise forms.ValidationError(_("表示名を入力してください（空白だけにはできません）。"), code="blank")
        return name

    class Meta:
        model = User
        fields = ["display_name"]
        labels = {"display_name": _("表示名")}
        help_texts = {"display_name": _("画面や変更履歴に出る名前です（例: 山田 花子）。")}


class EmailChangeForm(forms.Form):
    """A new address; the current password is asked so a session left open cannot take the account over."""

    password = forms.CharField(
        label=_("今のパスワード"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    email = forms.EmailField(label=_("新しいメールアドレス"), max_length=254)

    def __init__(self, *args: Any, user: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = str(self.cleaned_data.get("password") or "")
        if self.user is not None and not self.user.check_password(password):
            raise forms.ValidationError(
                _("今のパスワードが違います。もう一度入力してください。"), code="password_incorrect"
            )
        return password


class _NewPasswordErrorsOnFirstField:
    """Django checks the new password with the validators on ``new_password2`` (the confirmation) and
    shows their errors there; they are about the new password, so they go under ``new_password1``."""

    cleaned_data: dict[str, Any]

    def validate_password_for_user(self, user: Any, password_field_name: str = "new_password1") -> None:
        password = self.cleaned_data.get("new_password1")
        if not password:
            return
        try:
            password_validation.validate_password(password, user)
        except ValidationError as error:
            self.add_error("new_password1", ValidationError([_plain(e) for e in error.error_list]))  # type: ignore[attr-defined]


def _plain(error: ValidationError) -> ValidationError:
    """Django's Japanese "このパスワードは %(verbose_name)s と似すぎています。" has spaces around the name."""
    if error.code == "password_too_similar" and error.params:
        return ValidationError(
            _("このパスワードは%(verbose_name)sと似すぎています。") % {"verbose_name": error.params["verbose_name"]},
            code=error.code,
        )
    return error


class SasaeaiPasswordChangeForm(_NewPasswordErrorsOnFirstField, PasswordChangeForm):
    error_messages = {
        **PasswordChangeForm.error_messages,
        "password_incorrect": _("今のパスワードが違います。もう一度入力してください。"),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = _("今のパスワード")
        self.fields["new_password1"].label = _("新しいパスワード")
        self.fields["new_password1"].help_text = ""  # the page states the rules once, above the form
        self.fields["new_password2"].label = _("新しいパスワード（確認）")


class SasaeaiSetPasswordForm(_NewPasswordErrorsOnFirstField, SetPasswordForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = _("新しいパスワード")
        self.fields["new_password1"].help_text = ""  # the page states the rules once, above the form
        self.fields["new_password2"].label = _("新しいパスワード（確認）")


class SasaeaiPasswordResetForm(PasswordResetForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].label = _("登録しているメールアドレス")
