"""Sign-in: the password, then (for a person who turned it on) the 6-digit code; then the page where
the person's work is. Throttling is django-axes' (``accounts.lockout``)."""

from __future__ import annotations

import time
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login

from sasaeai.core.view_helpers import form_errors_from

from ..forms import CodeForm, LoginForm
from ..lockout import address_locked, address_lockout_response, lockout_response
from ..models import Role, User
from ..selectors import memberships_for_user
from ..services.account import two_factor_device, two_factor_verify

PENDING_KEY = "sasaeai_two_factor_pending"


def landing_url(user: User) -> str:
    """Where the person's work is: わたしの担当 for reporters and leaders, the evaluation of the one plan
    a committee member sees, the home page for everyone else."""
    roles = {m.role for m in memberships_for_user(user)}
    if roles & {Role.REPORTER, Role.LEADER}:
        return reverse("running:my_items")
    if roles == {Role.COMMITTEE}:
        from sasaeai.plans.selectors import plans_for_user

        plans = list(plans_for_user(user)[:2])
        if len(plans) == 1:
            return reverse("evaluation:plan", kwargs={"plan_id": plans[0].pk})
    return reverse(settings.LOGIN_REDIRECT_URL)


def safe_next(request: HttpRequest, url: str) -> str:
    """``url`` when it stays on this site, else ""."""
    ok = url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    return url if url and ok else ""


class SasaeaiLoginView(LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if address_locked(request):  # too many failures from this address, whatever the accounts
            return address_lockout_response(request)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        if two_factor_device(user) is None:
            return super().form_valid(form)
        # The password was right; the session is not signed in until the code is right too.
        self.request.session[PENDING_KEY] = {
            "user": user.pk,
            "backend": getattr(user, "backend", settings.AUTHENTICATION_BACKENDS[-1]),
            "hash": user.get_session_auth_hash(),
            "next": safe_next(self.request, self.get_redirect_url()),
            "at": time.time(),
        }
        return redirect("login_code")

    def get_default_redirect_url(self) -> str:
        return landing_url(self.request.user)  # type: ignore[arg-type]  # signed in by now


def _pending_user(request: HttpRequest) -> tuple[User, dict[str, Any]] | None:
    pending = request.session.get(PENDING_KEY)
    if (
        not isinstance(pending, dict)
        or time.time() - pending.get("at", 0) > settings.SASAEAI_TWO_FACTOR_PENDING_SECONDS
    ):
        return None
    user_id = pending.get("user")
    user = User.objects.filter(pk=user_id, is_active=True).first() if isinstance(user_id, int) else None
    if user is None or user.get_session_auth_hash() != pending.get("hash"):
        return None
    return user, pending


@sensitive_post_parameters("token")
@never_cache
def login_code(request: HttpRequest) -> HttpResponse:
    """The second step: the 6-digit code. Wrong codes count as failed sign-ins (django-axes)."""
    found = _pending_user(request)
    if found is None:
        request.session.pop(PENDING_KEY, None)
        return redirect("login")
    user, pending = found
    credentials = {"username": user.get_username()}
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if address_locked(request):
            return address_lockout_response(request)
        if not AxesProxyHandler.is_allowed(request, credentials):
            return lockout_response(request)
        try:
            device = two_factor_verify(user=user, token=form.cleaned_data["token"])
        except ValidationError as exc:
            form_errors_from(exc, form)
            user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        else:
            del request.session[PENDING_KEY]
            login(request, user, backend=pending["backend"])
            otp_login(request, device)
            return HttpResponseRedirect(pending.get("next") or landing_url(user))
    return render(request, "accounts/login_code.html", {"form": form})
