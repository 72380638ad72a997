"""Error pages people can act on: Japanese, with a way back, and nothing about the cause shown.

400, 403 and 500 use Django's own handlers with the templates ``400.html`` … ``500.html``
(``sasaeai/templates``); this module adds the 404 handler (JSON for the public API, the page otherwise; the
page speaks to residents under /public/), the CSRF failure page and ``/favicon.ico``.
"""

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseForbidden,
    HttpResponsePermanentRedirect,
    JsonResponse,
)
from django.template import loader
from django.templatetags.static import static
from django.views import defaults

PUBLIC_API_PREFIX = "/public/api/v1/"


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404: the public API answers in JSON like its other errors; every other address gets ``404.html``."""
    if request.path.startswith(PUBLIC_API_PREFIX):
        return JsonResponse(
            {"detail": "見つかりません。アドレスを確かめてください（公開が取り下げられた可能性もあります）。"},
            status=404,
            json_dumps_params={"ensure_ascii": False},
        )
    return defaults.page_not_found(request, exception)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent with a stale or missing CSRF token (settings.CSRF_FAILURE_VIEW). ``reason`` is not shown."""
    return HttpResponseForbidden(loader.render_to_string("403_csrf.html", request=request))


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page says; send them to the static icon."""
    return HttpResponsePermanentRedirect(static("sasaeai/favicon.ico"))
