"""The accessibility policy (ウェブアクセシビリティ方針) and the test results (試験結果) of the public site."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path

from .. import a11y
from ..public_context import public_context


def policy(request: HttpRequest) -> HttpResponse:
    return render(request, "publishing/site/accessibility.html", public_context(request))


def results(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "publishing/site/accessibility_results.html",
        {**public_context(request), "results": a11y.load_results()},
    )


public_urls: list[URLPattern] = [
    path("public/accessibility/", policy, name="accessibility"),
    path("public/accessibility/results/", results, name="accessibility_results"),
]
staff_urls: list[URLPattern] = []
