"""The read-only JSON API of published data (django-ninja), at /public/api/v1/.

Only what is published, ever: every endpoint reads through ``selectors`` (open sites, current publications)
and the row sources of ``opendata`` (the same columns as the CSV files). No sign-in, GET only. Every 200 has an
ETag (a hash of the body) and answers a matching ``If-None-Match`` with 304; an unknown or unpublished address
is a 404 with a Japanese ``detail``; a bad parameter is a 422 with a Japanese ``detail`` (never a 500).

Why django-ninja rather than Django REST framework: the response types are pydantic schemas, so the OpenAPI
description (``/public/api/v1/openapi.json``) comes from the same code that shapes the answers; it is small and
needs none of DRF's authentication, permission, serializer or browsable-API machinery for a read-only API.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_cache_control
from ninja import Field, NinjaAPI, Query, Schema
from ninja.errors import ValidationError
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.renderers import JSONRenderer
from pydantic import create_model

from sasaeai.core import fiscal

from . import opendata, selectors
from .models import Publication, PublicSite
from .selectors import PublicPlan

MAX_ID = 2**31 - 1
READ = ["GET", "HEAD"]  # HEAD answers like GET (the servers send no body), as the HTML pages and downloads do
MAX_LIMIT = 500

DESCRIPTION = (
    "社会福祉協議会が公開サイトで公表した地域福祉活動計画を、機械で読める形で返す読み取り専用のAPIです。"
    "公表された内容（計画の内容・進捗と指標・最終評価・評価委員会の総評）だけを返します。"
    "認証は不要で、GET のみ使えます。項目名（英字）はオープンデータのCSVの列名と同じです。"
    "データのライセンスは各社協の公開サイトのオープンデータのページに書いてあります（標準は CC BY 4.0）。"
)


class PublicAPI(NinjaAPI):
    """NinjaAPI whose successful GET answers carry an ETag and a public Cache-Control, and 304 when unchanged."""

    def create_response(
        self,
        request: HttpRequest,
        data: Any,
        *,
        status: int | None = None,
        temporal_response: HttpResponse | None = None,
    ) -> HttpResponse:
        response = super().create_response(request, data, status=status, temporal_response=temporal_response)
        if request.method in ("GET", "HEAD") and response.status_code == 200:
            etag = '"' + hashlib.sha256(response.content).hexdigest()[:32] + '"'
            match = request.headers.get("If-None-Match", "")
            if etag in [tag.strip().removeprefix("W/") for tag in match.split(",")]:
                response = HttpResponseNotModified()
            response["ETag"] = etag
            patch_cache_control(response, public=True, max_age=settings.SASAEAI_PUBLIC_CACHE_SECONDS)
            response["Access-Control-Allow-Origin"] = "*"
        return response


class Utf8JSONRenderer(JSONRenderer):
    """Japanese stays readable in the answer (UTF-8, not \\u escapes)."""

    json_dumps_params = {"ensure_ascii": False}


api = PublicAPI(
    renderer=Utf8JSONRenderer(),
    title="ささえあい 公開データAPI",
    version="1",
    description=DESCRIPTION,
    urls_namespace="public_api",
    docs_url=None,
)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(
        request, {"detail": "見つかりません。公開されていないか、アドレスが違います。"}, status=404
    )


_MESSAGES = {
    "int_parsing": "整数（半角数字）を指定してください。",
    "int_from_float": "整数（半角数字）を指定してください。",
    "greater_than_equal": "%(ge)s以上の数を指定してください。",
    "greater_than": "%(gt)sより大きい数を指定してください。",
    "less_than_equal": "%(le)s以下の数を指定してください。",
    "less_than": "%(lt)sより小さい数を指定してください。",
    "missing": "指定が必要です。",
}


def _message(error: dict[str, Any]) -> str:
    """pydantic's error in Japanese (its English ``msg`` only as a last resort)."""
    template = _MESSAGES.get(str(error.get("type", "")))
    if template is None:
        return "値が正しくありません。"
    try:
        return template % {k: str(v) for k, v in (error.get("ctx") or {}).items()}
    except (KeyError, TypeError, ValueError):
        return "値が正しくありません。"


@api.exception_handler(ValidationError)
def bad_params(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {"loc": [str(part) for part in e.get("loc", [])], "type": str(e.get("type", "")), "msg": _message(e)}
        for e in exc.errors
    ]
    names = "、".join(dict.fromkeys(e["loc"][-1] for e in errors if e["loc"])) or "?"
    detail = f"指定の値が正しくありません（{names}）。数値の項目には半角数字を指定してください。"
    return api.create_response(request, {"detail": detail, "errors": errors}, status=422)


# ---------------------------------------------------------------------------------------------------------------
# Schemas. The table rows are built from opendata.TABLES, so the API and the CSV share their columns.
# ---------------------------------------------------------------------------------------------------------------

_PY_TYPES: dict[str, Any] = {
    "integer": int | None,
    "number": int | float | None,
    "string": str | None,
    "boolean": bool | None,
    "date": str | None,
    "datetime": str | None,
}


def _row_schema(table: opendata.Table, name: str) -> type[Schema]:
    fields: dict[str, Any] = {
        c.name: (_PY_TYPES[c.type], Field(None, title=str(c.title), description=str(c.description) or str(c.title)))
        for c in table.columns
    }
    model: type[Schema] = create_model(name, __base__=Schema, __doc__=str(table.description), **fields)
    return model


PlanRow = _row_schema(opendata.TABLES_BY_NAME["plan"], "PlanRow")
NodeRow = _row_schema(opendata.TABLES_BY_NAME["nodes"], "NodeRow")
IssueRow = _row_schema(opendata.TABLES_BY_NAME["issues"], "IssueRow")
IndicatorRow = _row_schema(opendata.TABLES_BY_NAME["indicators"], "IndicatorRow")
ProgressRow = _row_schema(opendata.TABLES_BY_NAME["progress"], "ProgressRow")
EvaluationRow = _row_schema(opendata.TABLES_BY_NAME["evaluations"], "EvaluationRow")


class Error(Schema):
    detail: str = Field(..., description="エラーの説明（日本語）")


class Council(Schema):
    slug: str = Field(..., description="公開サイトのアドレス（/public/<slug>/）")
    name: str = Field(..., description="社協の名前")
    plans: int = Field(..., description="公表している計画の数")


class YearSummary(Schema):
    fiscal_year: int = Field(..., description="西暦の年度（4月から翌年3月）")
    fiscal_year_label: str = Field(..., description="和暦と西暦の年度（例: 令和8年度 (2026年度)）")
    parts: list[str] = Field(
        ..., description="公表した内容: progress（進捗と指標）・evaluation（最終評価）・opinion（総評）"
    )


class PlanSummary(Schema):
    plan: PlanRow = Field(..., description="計画")  # type: ignore[valid-type]
    years: list[YearSummary] = Field(..., description="進捗・評価・総評を公表した年度")
    data_url: str = Field(..., description="オープンデータ（CSV・Excel・JSON）のページ")


class Level(Schema):
    depth: int
    name: str


class Section(Schema):
    title: str
    body: str


class PlanDetail(PlanSummary):
    levels: list[Level] = Field(..., description="体系の階層（上から）")
    issues: list[IssueRow] = Field(..., description="地域生活課題")  # type: ignore[valid-type]
    sections: list[Section] = Field(..., description="計画書のその他の章")
    nodes_count: int = Field(..., description="体系の項目の数（項目は /nodes で取得）")


class Opinion(Schema):
    text: str = Field(..., description="評価委員会の総評・答申")
    submitted_on: str | None = Field(None, description="確定日")


class YearDetail(Schema):
    fiscal_year: int
    fiscal_year_label: str
    achievement_rule: str | None = Field(None, description="達成率の計算方法（進捗を公表した年度）")
    progress: list[ProgressRow] | None = Field(None, description="項目ごとの状況・進捗・達成率（未公表なら null）")  # type: ignore[valid-type]
    indicators: list[IndicatorRow] | None = Field(None, description="指標（未公表なら null）")  # type: ignore[valid-type]
    evaluations: list[EvaluationRow] | None = Field(None, description="最終評価と方向性（未公表なら null）")  # type: ignore[valid-type]
    opinion: Opinion | None = Field(None, description="評価委員会の総評（未公表なら null）")


# ---------------------------------------------------------------------------------------------------------------
# Reads
# ---------------------------------------------------------------------------------------------------------------


def _site(slug: str) -> PublicSite:
    return selectors.site_get(slug)


def _plan(slug: str, plan_id: int) -> tuple[PublicSite, PublicPlan]:
    if not 0 < plan_id <= MAX_ID:
        raise Http404
    site = _site(slug)
    return site, selectors.site_plan(site, plan_id)


def _table_rows(name: str, public_plan: PublicPlan, fiscal_year: int | None = None) -> list[dict[str, Any]]:
    table = opendata.TABLES_BY_NAME[name]
    out = []
    for row in table.rows(public_plan):
        if fiscal_year is not None and row.get("fiscal_year") != fiscal_year:
            continue
        out.append({c.name: opendata.json_value(c, row.get(c.name)) for c in table.columns})
    return out


def _years(public_plan: PublicPlan) -> list[dict[str, Any]]:
    order = [Publication.Part.PROGRESS, Publication.Part.EVALUATION, Publication.Part.OPINION]
    return [
        {
            "fiscal_year": year,
            "fiscal_year_label": fiscal.format_fiscal_year(year),
            "parts": [str(p) for p in order if p in parts],
        }
        for year, parts in sorted(public_plan.years.items(), reverse=True)
    ]


def _summary(site: PublicSite, public_plan: PublicPlan) -> dict[str, Any]:
    return {
        "plan": _table_rows("plan", public_plan)[0],
        "years": _years(public_plan),
        "data_url": opendata.Source(site, public_plan).page_url,
    }


@api.api_operation(
    READ,
    "/councils",
    response=list[Council],
    summary="公開している社協の一覧",
    description="公開サイトを開いていて、計画を1つ以上公表している社協です（名前順）。",
    tags=["社協"],
)
def councils(request: HttpRequest) -> list[dict[str, Any]]:
    sites = list(selectors.open_sites())
    counts = opendata.site_plan_counts(sites)
    return [{"slug": s.slug, "name": s.council.name, "plans": counts.get(s.council_id, 0)} for s in sites]


@api.api_operation(
    READ,
    "/councils/{slug}/plans",
    response={200: list[PlanSummary], 404: Error},
    summary="社協が公表している計画の一覧",
    description="推進中の計画、終了した計画の順です。年度ごとに公表した内容（years）も返します。",
    tags=["計画"],
)
def plans(request: HttpRequest, slug: str) -> list[dict[str, Any]]:
    site = _site(slug)
    return [_summary(site, p) for p in selectors.site_plans(site)]


@api.api_operation(
    READ,
    "/councils/{slug}/plans/{plan_id}",
    response={200: PlanDetail, 404: Error},
    summary="計画の内容",
    description="計画の名前・期間・基本理念、体系の階層、地域生活課題、その他の章。体系の項目は /nodes で取得します。",
    tags=["計画"],
)
def plan(request: HttpRequest, slug: str, plan_id: int) -> dict[str, Any]:
    site, public_plan = _plan(slug, plan_id)
    data = public_plan.data
    return {
        **_summary(site, public_plan),
        "levels": data.get("levels", []),
        "issues": _table_rows("issues", public_plan),
        "sections": data.get("sections", []),
        "nodes_count": len(data.get("nodes", [])),
    }


@api.api_operation(
    READ,
    "/councils/{slug}/plans/{plan_id}/nodes",
    response={200: list[NodeRow], 404: Error},  # type: ignore[valid-type]
    summary="計画の体系（項目）",
    description=(
        "基本目標・推進事業など計画の項目を、体系の順に返します。"
        f"limit（1〜{MAX_LIMIT}、標準100）と offset でページに分けます。count は全体の件数です。"
    ),
    tags=["計画"],
)
@paginate(LimitOffsetPagination, max_limit=MAX_LIMIT)
def nodes(request: HttpRequest, slug: str, plan_id: int) -> list[dict[str, Any]]:
    public_plan = _plan(slug, plan_id)[1]
    return _table_rows("nodes", public_plan)


@api.api_operation(
    READ,
    "/councils/{slug}/plans/{plan_id}/years",
    response={200: list[YearSummary], 404: Error},
    summary="公表した年度の一覧",
    description="進捗と指標・最終評価・評価委員会の総評を公表した年度です（新しい順）。",
    tags=["年度"],
)
def years(request: HttpRequest, slug: str, plan_id: int) -> list[dict[str, Any]]:
    public_plan = _plan(slug, plan_id)[1]
    return _years(public_plan)


@api.api_operation(
    READ,
    "/councils/{slug}/plans/{plan_id}/years/{fiscal_year}",
    response={200: YearDetail, 404: Error},
    summary="1年度の進捗・評価・総評",
    description="その年度に公表した内容だけを返します。公表していない内容は null、何も公表していない年度は404です。",
    tags=["年度"],
)
def year(request: HttpRequest, slug: str, plan_id: int, fiscal_year: int) -> dict[str, Any]:
    public_plan = _plan(slug, plan_id)[1]
    if not 0 < fiscal_year < 10000:
        raise Http404
    parts = selectors.site_year(public_plan, fiscal_year)
    progress = parts.get(Publication.Part.PROGRESS)
    opinion = parts.get(Publication.Part.OPINION)
    has_evaluation = Publication.Part.EVALUATION in parts
    return {
        "fiscal_year": fiscal_year,
        "fiscal_year_label": fiscal.format_fiscal_year(fiscal_year),
        "achievement_rule": progress.data.get("achievement_rule") if progress else None,
        "progress": _table_rows("progress", public_plan, fiscal_year) if progress else None,
        "indicators": _table_rows("indicators", public_plan, fiscal_year) if progress else None,
        "evaluations": _table_rows("evaluations", public_plan, fiscal_year) if has_evaluation else None,
        "opinion": (
            {"text": opinion.data.get("text", ""), "submitted_on": opinion.data.get("submitted_on")}
            if opinion
            else None
        ),
    }


class IndicatorFilter(Schema):
    fiscal_year: int | None = Field(None, ge=1, le=9999, description="この年度の指標だけ（西暦。例: 2026）")


@api.api_operation(
    READ,
    "/councils/{slug}/plans/{plan_id}/indicators",
    response={200: list[IndicatorRow], 404: Error},  # type: ignore[valid-type]
    summary="指標の目標値・実績値・達成率",
    description="進捗を公表した年度の指標です。fiscal_year で年度を絞れます（公表していない年度は空の一覧）。",
    tags=["年度"],
)
def indicators(request: HttpRequest, slug: str, plan_id: int, filters: Query[IndicatorFilter]) -> list[dict[str, Any]]:
    public_plan = _plan(slug, plan_id)[1]
    return _table_rows("indicators", public_plan, filters.fiscal_year)
