"""The public site (``site:``, no sign-in, under /public/) and its staff pages (``publishing:``).

Each view module lists its own URLs; the specific public addresses come before /public/<council-slug>/,
whose slugs may not take those names (``models.RESERVED_SLUGS``)."""

from django.urls import include, path

from .api import api
from .views import accessibility, dictionary, manage, opendata, site, summary

site_patterns = [
    *accessibility.public_urls,
    *opendata.public_urls,
    *summary.public_urls,
    *site.public_urls,
]
staff_patterns = [
    *manage.staff_urls,
    *dictionary.staff_urls,
    *summary.staff_urls,
    *opendata.staff_urls,
    *site.staff_urls,
    *accessibility.staff_urls,
]

urlpatterns = [
    path("public/api/v1/", api.urls),
    path("", include((site_patterns, "site"))),
    path("", include((staff_patterns, "publishing"))),
]
