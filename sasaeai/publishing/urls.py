"""The public site (``site:``, no sign-in, under /public/) and its staff pages (``publishing:``)."""

from django.urls import include, path

site_patterns: list = []
staff_patterns: list = []

urlpatterns = [
    path("", include((site_patterns, "site"))),
    path("", include((staff_patterns, "publishing"))),
]
