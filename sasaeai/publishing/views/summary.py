"""概要版 (summary edition) of a published plan as a printable page and an A4 PDF, and the council's flyer.

Everything is read from the published copies (``summary_pdf``); an unknown slug, a closed site or a plan
with nothing published is the same Japanese 404 as everywhere on the public site.
"""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from .. import qr, selectors, summary_pdf
from ..public_context import cached, public_context
from .site import Links, easy_flag


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=summary_pdf.CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(False, filename) or ""
    return response


def summary(request: HttpRequest, slug: str, plan_id: str) -> HttpResponse:
    site = selectors.site_get(slug)
    public_plan = selectors.site_plan(site, plan_id)

    def page() -> HttpResponse:
        outline = summary_pdf.summary_outline(site, public_plan)
        context = {
            **public_context(request, site=site, readings=public_plan.structure.readings),
            "outline": outline,
            "plan": outline.plan,
            "links": Links(site=site, plan_id=public_plan.plan_id),
            "easy": easy_flag(public_plan.data),
            "qr_svg": qr.svg(outline.plan_url, label=_("計画のページのQRコード: %(url)s") % {"url": outline.plan_url}),
        }
        return render(request, "publishing/site/summary.html", context)

    return cached(request, site, f"summary:{public_plan.plan_id}:{public_plan.structure.pk}", page)


def summary_pdf_view(request: HttpRequest, slug: str, plan_id: str) -> HttpResponse:
    site = selectors.site_get(slug)
    public_plan = selectors.site_plan(site, plan_id)
    content = summary_pdf.summary_pdf(site, public_plan)
    title = public_plan.data.get("plan", {}).get("title") or site.slug
    return _pdf(content, f"{title}_{_('概要版')}.pdf")


def flyer_html(request: HttpRequest, slug: str) -> HttpResponse:
    site = selectors.site_get(slug)
    if not selectors.site_plans(site):
        raise Http404
    flyer = summary_pdf.flyer_content(site)
    periods = [
        (
            period,
            qr.svg(
                period.url,
                label=_("意見募集のページのQRコード: %(url)s") % {"url": period.url},
                css_class="qr qr-small",
            ),
        )
        for period in flyer.periods
    ]
    context = {
        **public_context(request, site=site),
        "flyer": flyer,
        "periods": periods,
        "topics": flyer.topics,
        "qr_svg": qr.svg(flyer.site_url, label=_("公開サイトのQRコード: %(url)s") % {"url": flyer.site_url}),
    }
    return render(request, "publishing/site/flyer.html", context)


def flyer_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    site = selectors.site_get(slug)
    if not selectors.site_plans(site):
        raise Http404
    return _pdf(summary_pdf.flyer_pdf(site), f"{site.council.name}_{_('お知らせ')}.pdf")


public_urls: list[URLPattern] = [
    path("public/<str:slug>/plans/<str:plan_id>/summary/", summary, name="summary"),
    path("public/<str:slug>/plans/<str:plan_id>/summary.pdf", summary_pdf_view, name="summary_pdf"),
    path("public/<str:slug>/flyer/", flyer_html, name="flyer_html"),
    path("public/<str:slug>/flyer.pdf", flyer_pdf, name="flyer"),
]
staff_urls: list[URLPattern] = []
