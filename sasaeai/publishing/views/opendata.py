"""Open data of a published plan (no sign-in): the download page, the files, and the human page of the API.

Every file is built from the current publications of an open site only (``opendata``, ``selectors``); an
unknown, closed or unpublished address is the public site's one 404.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from .. import opendata, selectors
from ..models import PublicSite
from ..public_context import public_context
from ..selectors import PublicPlan

MAX_ID = 2**31 - 1  # larger ids cannot exist (and would overflow the database driver)


def _plan(slug: str, plan_id: int) -> tuple[PublicSite, PublicPlan]:
    if plan_id > MAX_ID:
        raise Http404
    site = selectors.site_get(slug)
    return site, selectors.site_plan(site, plan_id)


def _if_none_match(request: HttpRequest, etag: str) -> bool:
    header = request.headers.get("If-None-Match", "")
    return header.strip() == "*" or etag in [tag.strip().removeprefix("W/") for tag in header.split(",")]


@require_safe
def page(request: HttpRequest, slug: str, plan_id: int) -> HttpResponse:
    site, public_plan = _plan(slug, plan_id)
    files = opendata.plan_files(site, public_plan)
    source = opendata.Source(site, public_plan)
    tables = [
        {
            "table": table,
            "rows": len(opendata.rows(table, public_plan)),
            "files": [
                {"format": fmt, "name": name, "size": opendata.human_size(len(files[name].content))}
                for fmt in opendata.FORMATS
                for name in [f"{table.name}.{fmt}"]
            ],
            "columns": [{"column": c, "type_label": opendata.TYPE_LABELS[c.type]} for c in table.columns],
        }
        for table in opendata.TABLES
    ]
    api_base = opendata.absolute(f"/public/api/v1/councils/{site.slug}/plans/{public_plan.plan_id}")
    context = {
        **public_context(request, site=site),
        "public_plan": public_plan,
        "source": source,
        "tables": tables,
        "all_size": opendata.human_size(len(files["all.xlsx"].content)),
        "package_size": opendata.human_size(len(files["datapackage.json"].content)),
        "package_url": opendata.absolute(
            reverse("site:opendata_file", args=[slug, public_plan.plan_id, "datapackage.json"])
        ),
        "api_base": api_base,
        "years": sorted(public_plan.years, reverse=True),
    }
    response = render(request, "publishing/site/opendata.html", context)
    patch_cache_control(response, public=True, max_age=settings.SASAEAI_PUBLIC_CACHE_SECONDS)
    return response


@require_safe
def download(request: HttpRequest, slug: str, plan_id: int, filename: str) -> HttpResponse:
    site, public_plan = _plan(slug, plan_id)
    if filename not in opendata.file_names():
        raise Http404
    etag = opendata.etag_for(site, public_plan, filename)
    if _if_none_match(request, etag):
        response: HttpResponse = HttpResponseNotModified()
    else:
        built = opendata.plan_file(site, public_plan, filename)
        if built is None:
            raise Http404
        response = HttpResponse(built.content, content_type=built.content_type)
        attachment = not filename.endswith(".json")
        response["Content-Disposition"] = content_disposition_header(attachment, built.download_name) or ""
        response["Content-Length"] = str(len(built.content))
        response["Access-Control-Allow-Origin"] = "*"
    response["ETag"] = etag
    patch_cache_control(response, public=True, max_age=settings.SASAEAI_PUBLIC_CACHE_SECONDS)
    return response


@require_safe
def api_docs(request: HttpRequest) -> HttpResponse:
    sites = list(selectors.open_sites()[:1])
    example = None
    if sites:
        plans = selectors.site_plans(sites[0])
        if plans:
            example = {"slug": sites[0].slug, "plan_id": plans[0].plan_id}
    context = {
        **public_context(request),
        "api_root": opendata.absolute("/public/api/v1"),
        "example": example,
        "tables": opendata.TABLES,
    }
    response = render(request, "publishing/site/api.html", context)
    patch_cache_control(response, public=True, max_age=settings.SASAEAI_PUBLIC_CACHE_SECONDS)
    return response


public_urls: list[URLPattern] = [
    path("public/api/", api_docs, name="api_docs"),
    path("public/<str:slug>/plans/<int:plan_id>/data/", page, name="opendata"),
    path("public/<str:slug>/plans/<int:plan_id>/data/<str:filename>", download, name="opendata_file"),
]
staff_urls: list[URLPattern] = []
