"""A person's own account (/account/): name, password, e-mail, memberships, two-step sign-in, sign out
everywhere; the password reset by e-mail; and what a 社協管理者 does for a member (unlock, reset the
two-step setting)."""

from __future__ import annotations

from io import BytesIO
from typing import Any
from urllib.parse import urlsplit

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.contrib.auth.views import (
    INTERNAL_RESET_SESSION_TOKEN,
    LogoutView,
    PasswordChangeView,
    PasswordResetCompleteView,
    PasswordResetConfirmView,
    PasswordResetDoneView,
    PasswordResetView,
)
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from sasaeai.core.models import Council
from sasaeai.core.view_helpers import form_errors_from

from ..decorators import AuthenticatedRequest, PermittedRequest, council_permission
from ..forms import (
    CodeForm,
    DisplayNameForm,
    EmailChangeForm,
    SasaeaiPasswordChangeForm,
    SasaeaiPasswordResetForm,
    SasaeaiSetPasswordForm,
)
from ..selectors import (
    council_member_get,
    is_locked_out,
    memberships_for_user,
    security_covers_all_memberships,
    two_factor_required,
)
from ..services import account as services
from .login import safe_next


@login_required
def account_home(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "accounts/account.html",
        {
            "memberships": memberships_for_user(user),
            "name_form": DisplayNameForm(instance=user),
            "email_form": EmailChangeForm(user=user),
            "two_factor_on": services.two_factor_device(user) is not None,
            "two_factor_required": two_factor_required(user),
        },
    )


@login_required
def display_name(request: AuthenticatedRequest) -> HttpResponse:
    form = DisplayNameForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.account_update(user=request.user, display_name=form.cleaned_data["display_name"])
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("表示名を保存しました。"))
            return redirect("accounts:home")
    return render(request, "accounts/form_page.html", {"form": form, "title": _("表示名の変更")})


class AccountPasswordChangeView(PasswordChangeView):
    form_class = SasaeaiPasswordChangeForm
    template_name = "accounts/form_page.html"
    success_url = reverse_lazy("accounts:home")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "title": _("パスワードの変更"),
            "password_help": True,
            "password_min_length": settings.SASAEAI_PASSWORD_MIN_LENGTH,
        }

    def form_valid(self, form: SetPasswordForm) -> HttpResponse:  # type: ignore[type-arg]
        user = services.account_password_set(user=form.user, password=form.cleaned_data["new_password1"])
        update_session_auth_hash(self.request, user)  # this session stays; every other one ends
        messages.success(self.request, _("パスワードを変更しました。ほかの端末のログインは終了しました。"))
        return HttpResponseRedirect(self.get_success_url())


@login_required
def email_change(request: AuthenticatedRequest) -> HttpResponse:
    form = EmailChangeForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.account_email_change_request(user=request.user, email=form.cleaned_data["email"])
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(
                request,
                _("%(email)s に確認のメールを送りました。リンクを開くまでは今のアドレスのままです。")
                % {"email": form.cleaned_data["email"]},
            )
            return redirect("accounts:home")
    return render(request, "accounts/form_page.html", {"form": form, "title": _("メールアドレスの変更")})


@never_cache
@login_required
def email_confirm(request: AuthenticatedRequest, token: str) -> HttpResponse:
    """GET shows what will change (the new address); POST changes it (no write on a GET)."""
    new_email = ""
    try:
        new_email = services.email_change_pending(user=request.user, token=token)
        if request.method == "POST":
            services.account_email_change_confirm(user=request.user, token=token)
            messages.success(request, _("メールアドレスを %(email)s に変更しました。") % {"email": new_email})
            return redirect("accounts:home")
    except ValidationError as exc:
        return render(request, "accounts/email_confirm.html", {"error": " ".join(exc.messages)}, status=400)
    return render(request, "accounts/email_confirm.html", {"new_email": new_email, "old_email": request.user.email})


class AccountLogoutView(LogoutView):
    """Django's logout (POST only), saying so on the sign-in page it leads to."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        signed_in = request.user.is_authenticated
        response = super().post(request, *args, **kwargs)
        if signed_in:  # added after the session ended, so it survives into the next page
            messages.success(request, _("ログアウトしました。"))
        return response


@require_POST
@login_required
def sign_out_everywhere(request: AuthenticatedRequest) -> HttpResponse:
    services.account_sign_out_everywhere(user=request.user)
    logout(request)
    messages.success(request, _("すべての端末からログアウトしました。もう一度ログインしてください。"))
    return redirect("login")


# --- Two-step sign-in (TOTP) ---


@never_cache
@login_required
def two_factor(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    device = services.two_factor_device(user)
    pending = services.two_factor_device(user, confirmed=False)
    return render(
        request,
        "accounts/two_factor.html",
        {
            "device": device,
            "pending": pending,
            "secret": _secret_text(pending) if pending else "",
            "config_url": pending.config_url if pending else "",  # otpauth:// for an app on this phone
            "required": two_factor_required(user),
            "verified": user.is_verified(),  # type: ignore[attr-defined]  # set by OTPMiddleware
            "form": CodeForm(),
        },
    )


def _secret_text(device: Any) -> str:
    from base64 import b32encode

    text = b32encode(device.bin_key).decode()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@require_POST
@login_required
def two_factor_start(request: AuthenticatedRequest) -> HttpResponse:
    services.two_factor_start(user=request.user)
    return redirect("accounts:two_factor")


@require_POST
@login_required
def two_factor_confirm(request: AuthenticatedRequest) -> HttpResponse:
    form = CodeForm(request.POST)
    if form.is_valid():
        try:
            device = services.two_factor_confirm(user=request.user, token=form.cleaned_data["token"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            otp_login(request, device)
            messages.success(request, _("2段階認証をオンにしました。次回からログインのときに確認コードを入力します。"))
            return redirect("accounts:home")
    else:
        messages.error(request, _("確認コードを入力してください。"))
    return redirect("accounts:two_factor")


@require_POST
@login_required
def two_factor_verify(request: AuthenticatedRequest) -> HttpResponse:
    """A session signed in before two-step sign-in was required: the code verifies it."""
    form = CodeForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("確認コードを入力してください。"))
        device = services.two_factor_verify(user=request.user, token=form.cleaned_data["token"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("accounts:two_factor")
    otp_login(request, device)
    return redirect("home")


@require_POST
@login_required
def two_factor_disable(request: AuthenticatedRequest) -> HttpResponse:
    form = CodeForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("確認コードを入力してください。"))
        services.two_factor_disable(user=request.user, token=form.cleaned_data["token"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("accounts:two_factor")
    messages.success(request, _("2段階認証をオフにしました。"))
    return redirect("accounts:home")


@never_cache
@login_required
def two_factor_qr(request: AuthenticatedRequest) -> HttpResponse:
    """The QR code of the key being set up, as SVG (its own URL: no inline data)."""
    device = services.two_factor_device(request.user, confirmed=False)
    if device is None:
        return HttpResponse(status=404)
    out = BytesIO()
    segno.make(device.config_url, error="m").save(out, kind="svg", scale=10, border=4)
    response = HttpResponse(out.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "no-store"
    return response


# --- What a 社協管理者 does for a member ---


def _back(request: HttpRequest, council: Council) -> HttpResponse:
    return HttpResponseRedirect(
        safe_next(request, request.POST.get("next", "")) or reverse("council_detail", args=[council.pk])
    )


@require_POST
@council_permission("accounts.security")
def unlock(request: PermittedRequest, council: Council, user_id: int) -> HttpResponse:
    member = council_member_get(council, user_id)
    locked = is_locked_out(member)
    services.account_unlock(actor=request.user, user=member, council=council)
    if locked:
        messages.success(request, _("%(name)s さんのログインのロックを解除しました。") % {"name": member})
    else:
        messages.info(
            request, _("%(name)s さんはロックされていませんでした。失敗の記録を消しました。") % {"name": member}
        )
    return _back(request, council)


@require_POST
@council_permission("accounts.security")
def two_factor_reset(request: PermittedRequest, council: Council, user_id: int) -> HttpResponse:
    member = council_member_get(council, user_id)
    if not security_covers_all_memberships(request.user, member):
        messages.error(
            request,
            _(
                "%(name)s さんはほかの社協にも所属しているため、ここでは2段階認証をリセットできません。"
                "所属するすべての社協を管理する社協管理者（または運用担当者）に依頼してください。"
            )
            % {"name": member},
        )
        return _back(request, council)
    services.two_factor_reset(actor=request.user, user=member, council=council)
    messages.success(
        request, _("%(name)s さんの2段階認証をリセットしました。次のログインのあと設定し直せます。") % {"name": member}
    )
    return _back(request, council)


# --- Forgotten password (by e-mail) ---


class AccountPasswordResetView(PasswordResetView):
    """The same answer whether the address is known or not; links start with SASAEAI_BASE_URL."""

    form_class = SasaeaiPasswordResetForm
    template_name = "accounts/password_reset_form.html"
    success_url = reverse_lazy("accounts:password_reset_sent")
    subject_template_name = "accounts/email/password_reset_subject.txt"
    email_template_name = "accounts/email/password_reset.txt"

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        base = services.base_url()
        form.save(
            domain_override=urlsplit(base).netloc,
            subject_template_name=self.subject_template_name,
            email_template_name=self.email_template_name,
            use_https=base.startswith("https://"),
            token_generator=self.token_generator,
            request=self.request,
            extra_email_context={"base_url": base, "hours": str(max(1, settings.PASSWORD_RESET_TIMEOUT // 3600))},
        )
        return HttpResponseRedirect(self.get_success_url())


class AccountPasswordResetSentView(PasswordResetDoneView):
    template_name = "accounts/password_reset_sent.html"


class AccountPasswordResetConfirmView(PasswordResetConfirmView):
    form_class = SasaeaiSetPasswordForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "password_min_length": settings.SASAEAI_PASSWORD_MIN_LENGTH}

    def form_valid(self, form: SetPasswordForm) -> HttpResponse:  # type: ignore[type-arg]
        services.account_password_set(user=form.user, password=form.cleaned_data["new_password1"], by_email_link=True)
        del self.request.session[INTERNAL_RESET_SESSION_TOKEN]
        return HttpResponseRedirect(self.get_success_url())


class AccountPasswordResetCompleteView(PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"
