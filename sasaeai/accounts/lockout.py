"""Sign-in throttling (django-axes): where the client address comes from, and the Japanese lock-out page.

Settings (``AXES_*`` in ``config/settings/base.py``, documented in docs/operations.md): after
``AXES_FAILURE_LIMIT`` failures within ``AXES_COOLOFF_TIME`` an account is refused (django-axes); after
``SASAEAI_LOGIN_ADDRESS_FAILURE_LIMIT`` failures from one address, whatever the accounts, that address
is refused (here, from axes' own records). The address limit is higher because a 社協 office usually
shares one address: a few colleagues' typos must not lock the whole office, its admin included.
"""

from __future__ import annotations

from typing import Any

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone


def client_ip(request: HttpRequest) -> str:
    """The address axes counts failures for: ``REMOTE_ADDR`` (the trusted-proxy middleware sets it)."""
    return str(request.META.get("REMOTE_ADDR") or "")


def address_failures(address: str) -> int:
    """Failed sign-ins from ``address`` within the cool-off, over every account (one query)."""
    if not address:
        return 0
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    found = AccessAttempt.objects.filter(ip_address=address, attempt_time__gte=since).aggregate(
        total=Sum("failures_since_start")
    )["total"]
    return int(found or 0)


def address_locked(request: HttpRequest) -> bool:
    return address_failures(client_ip(request)) >= settings.SASAEAI_LOGIN_ADDRESS_FAILURE_LIMIT


def cooloff_minutes() -> int:
    return max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """The page a locked-out sign-in gets (HTTP 429): how long, and whom to ask."""
    return render(
        request,
        "accounts/locked_out.html",
        {"minutes": cooloff_minutes(), "failure_limit": settings.AXES_FAILURE_LIMIT, "by_address": False},
        status=429,
    )


def address_lockout_response(request: HttpRequest) -> HttpResponse:
    """The page for a sign-in from an address with too many failures (any account)."""
    return render(request, "accounts/locked_out.html", {"minutes": cooloff_minutes(), "by_address": True}, status=429)
