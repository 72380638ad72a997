"""The site's URLs plus three that fail on purpose, for the error-page tests."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.urls import path

from config.urls import urlpatterns as site_urlpatterns


def forbidden(request):
    raise PermissionDenied("secret reason 403")


def bad_request(request):
    raise SuspiciousOperation("secret reason 400")


def broken(request):
    raise RuntimeError("secret reason 500")


urlpatterns = [
    path("__test__/forbidden/", forbidden),
    path("__test__/bad-request/", bad_request),
    path("__test__/broken/", broken),
    *site_urlpatterns,
]
