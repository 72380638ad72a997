"""Admins of a council that requires two-step sign-in set it up before anything else."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from .selectors import two_factor_required


class TwoFactorRequiredMiddleware:
    """After OTPMiddleware: a signed-in person whose session is not verified by a code, and whom a
    council requires to use two-step sign-in, is sent to the two-step page (set up, or enter a code)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not user.is_verified()  # set by django_otp's OTPMiddleware
            and not self._exempt(request.path)
            and two_factor_required(user)
        ):
            return redirect("accounts:two_factor")
        return self.get_response(request)

    @staticmethod
    def _exempt(path: str) -> bool:
        allowed = (
            reverse("accounts:two_factor"),
            reverse("logout"),
            "/" + settings.STATIC_URL.lstrip("/"),
        )
        return path.startswith(allowed)
