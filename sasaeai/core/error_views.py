"""Error pages people can act on: Japanese, with a way back, and nothing about the cause shown.

400, 403, 404 and 500 use Django's own handlers with the templates ``400.html`` … ``500.html``
(``sasaeai/templates``); this module adds the CSRF failure page and ``/favicon.ico``.
"""

from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, HttpResponsePermanentRedirect
from django.template import loader
from django.templatetags.static import static


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent with a stale or missing CSRF token (settings.CSRF_FAILURE_VIEW). ``reason`` is not shown."""
    return HttpResponseForbidden(loader.render_to_string("403_csrf.html", request=request))


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page says; send them to the static icon."""
    return HttpResponsePermanentRedirect(static("sasaeai/favicon.ico"))
