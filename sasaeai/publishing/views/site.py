"""The public site's pages (no sign-in). (being built: index and council page are minimal.)"""

from django.shortcuts import render
from django.urls import URLPattern, path

from .. import selectors
from ..public_context import public_context


def index(request):
    return render(request, "publishing/site/index.html", {**public_context(request), "sites": selectors.open_sites()})


def council(request, slug):
    site = selectors.site_get(slug)
    plans = selectors.site_plans(site)
    return render(request, "publishing/site/council.html", {**public_context(request, site=site), "plans": plans})


public_urls: list[URLPattern] = [
    path("public/", index, name="index"),
    path("public/<str:slug>/", council, name="council"),
]
staff_urls: list[URLPattern] = []
