"""Sign-in throttling (django-axes): where the client address comes from, and the Japanese lock-out page.

Settings (``AXES_*`` in ``config/settings/base.py``, documented in docs/operations.md): after
``AXES_FAILURE_LIMIT`` failures within ``AXES_COOLOFF_TIME`` an account and an address are refused.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def client_ip(request: HttpRequest) -> str:
    """The address axes counts failures for: ``REMOTE_ADDR`` (the trusted-proxy middleware sets it)."""
    return str(request.META.get("REMOTE_ADDR") or "")


def cooloff_minutes() -> int:
    return max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """The page a locked-out sign-in gets (HTTP 429): how long, and whom to ask."""
    return render(
        request,
        "accounts/locked_out.html",
        {"minutes": cooloff_minutes(), "failure_limit": settings.AXES_FAILURE_LIMIT},
        status=429,
    )
