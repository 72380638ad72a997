"""The accessibility policy and test-results pages. (being built)"""

from django.shortcuts import render
from django.urls import URLPattern, path

from ..public_context import public_context


def policy(request):
    return render(request, "publishing/site/accessibility.html", public_context(request))


public_urls: list[URLPattern] = [path("public/accessibility/", policy, name="accessibility")]
staff_urls: list[URLPattern] = []
