"""The public site's pages (no sign-in, no JavaScript) and the staff preview of the same pages.

Every public page reads only published copies (``selectors``) and goes through the page cache
(``public_context.cached``), whose key holds the site's version: a publication or withdrawal shows at once.
An unknown, closed or unpublished council, plan or year, and any malformed id, is the same Japanese 404.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from sasaeai.accounts.decorators import PermittedRequest, plan_permission
from sasaeai.core import fiscal
from sasaeai.progress import periods as progress_periods

from .. import furigana, selectors, services
from .. import making as making_module
from ..models import Publication, PublicSite
from ..permissions import PUBLISH
from ..public_context import apply_ruby, cached, public_context, toggles
from . import site_svg

if TYPE_CHECKING:
    from sasaeai.plans.models import Plan

    from ..furigana import Segments

    Readings = dict[str, Segments]

MAX_PK = 2**31 - 1
TAKE_PART_SECONDS = 60  # an opened or closed comment period / survey shows on the council page within a minute
PARTS = (Publication.Part.PROGRESS, Publication.Part.EVALUATION, Publication.Part.OPINION)


# --------------------------------------------------------------------------- helpers


def _pk(value: object) -> int:
    """A positive database id from the address, or the 404 (never an overflow on the database)."""
    text = str(value)
    if not text.isascii() or not text.isdigit() or len(text) > 10 or not 0 < int(text) <= MAX_PK:
        raise Http404
    return int(text)


def _fiscal_year(value: object) -> int:
    text = str(value)
    if not text.isascii() or not text.isdigit() or len(text) != 4 or not 1900 <= int(text) <= 2200:
        raise Http404
    return int(text)


def _published_on(publication: Publication) -> str:
    when = publication.published_at or timezone.now()
    return fiscal.display_date(timezone.localtime(when).date())


def _digest(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def plan_tree(data: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The frozen nodes as a tree (roots) and in reading order (all), each with its children, its nesting
    (0 for the top) and the 地域生活課題 it answers."""
    issues = {i["code"]: i for i in data.get("issues", [])}
    nodes = {n["id"]: {**n, "children": []} for n in data.get("nodes", [])}
    roots: list[dict[str, Any]] = []
    for raw in data.get("nodes", []):
        node = nodes[raw["id"]]
        node["issue_refs"] = [{"code": c, "title": issues.get(c, {}).get("title", "")} for c in raw.get("issues", [])]
        actions = raw.get("actions") or {}
        node["has_actions"] = bool(actions.get("community") or actions.get("council"))
        parent = nodes.get(raw.get("parent"))
        (parent["children"] if parent else roots).append(node)
    ordered: list[dict[str, Any]] = []
    stack = [(node, 0) for node in reversed(roots)]
    while stack:
        node, nest = stack.pop()
        node["nest"] = nest
        ordered.append(node)
        stack.extend((child, nest + 1) for child in reversed(node["children"]))
    return roots, ordered


def has_plain(data: dict[str, Any]) -> bool:
    """Whether a published plan has any やさしい日本語 summary (the toggle is offered only then)."""
    return any((n.get("plain_summary") or "").strip() for n in data.get("nodes", []))


def easy_flag(data: dict[str, Any]) -> dict[str, bool]:
    """The context ``base.html`` reads for the やさしい日本語 toggle and the "none yet" note on a plan's pages."""
    return {"has": has_plain(data)}


def _period_frequency(data: dict[str, Any]) -> str:
    """How often the published year's progress was reported; guessed from the periods for older copies."""
    frequency = data.get("frequency")
    if frequency in progress_periods.MONTHS:
        return str(frequency)
    numbers = [e.get("period") or 0 for e in data.get("nodes", {}).values()]
    top = max(numbers, default=0)
    return "quarterly" if top >= 3 else "half" if top == 2 else "yearly"


def period_labels(data: dict[str, Any], fiscal_year: int) -> dict[int, str]:
    """Report period number -> its name (令和8年度上半期, 令和8年度第3四半期), the progress module's names;
    empty for a plan reported once a year (nothing to say)."""
    frequency = _period_frequency(data)
    if frequency == "yearly":
        return {}
    found = progress_periods.periods(frequency=frequency, fiscal_year=fiscal_year, due_days=0, grace_days=0)
    return {p.number: p.label for p in found}


def node_label(node: dict[str, Any]) -> str:
    return " ".join(p for p in (node.get("code") or "", node.get("title") or "") if p)


class Links:
    """The addresses a plan's pages link to: the public ones, or the staff preview's."""

    def __init__(self, *, site: PublicSite | None, plan_id: int, preview: bool = False):
        self.site, self.plan_id, self.preview = site, plan_id, preview

    @property
    def council(self) -> str:
        return reverse("site:council", args=[self.site.slug]) if self.site and not self.preview else ""

    @property
    def plan(self) -> str:
        if self.preview:
            return reverse("publishing:preview_structure", args=[self.plan_id])
        return reverse("site:plan", args=[self.site.slug, self.plan_id]) if self.site else ""

    @property
    def making(self) -> str:
        if self.preview:
            return reverse("publishing:preview_structure", args=[self.plan_id]) + "?page=making"
        return reverse("site:making", args=[self.site.slug, self.plan_id]) if self.site else ""

    def _public(self, name: str) -> str:
        return "" if self.preview or not self.site else reverse(name, args=[self.site.slug, self.plan_id])

    @property
    def summary(self) -> str:
        return self._public("site:summary")

    @property
    def summary_pdf(self) -> str:
        return self._public("site:summary_pdf")

    @property
    def opendata(self) -> str:
        return self._public("site:opendata")

    def year(self, fiscal_year: int) -> str:
        if self.preview or not self.site:
            return ""
        return reverse("site:year", args=[self.site.slug, self.plan_id, fiscal_year])


def _years(public_plan: selectors.PublicPlan | None, links: Links) -> list[dict[str, Any]]:
    if public_plan is None:
        return []
    labels = {part.value: str(part.label) for part in PARTS}
    return [
        {
            "year": year,
            "label": fiscal.format_fiscal_year(year),
            "url": links.year(year),
            "parts": [labels[p] for p in PARTS if p in parts],
        }
        for year, parts in sorted(public_plan.years.items(), reverse=True)
    ]


# --------------------------------------------------------------------------- page contexts


def plan_context(structure: Publication, links: Links, public_plan: selectors.PublicPlan | None) -> dict[str, Any]:
    data = structure.data
    roots, ordered = plan_tree(data)
    by_id = {n["id"]: n for n in ordered}
    issues = [
        {**issue, "answers": [by_id[pk] for pk in issue.get("nodes", []) if pk in by_id]}
        for issue in data.get("issues", [])
    ]
    plan = data.get("plan", {})
    return {
        "structure": structure,
        "data": data,
        "plan": plan,
        "levels": data.get("levels", []),
        "roots": roots,
        "issues": issues,
        "sections": data.get("sections", []),
        "has_priority": any(n.get("is_priority") for n in ordered),
        "diagram": site_svg.diagram(roots, title=plan.get("title", "")),
        "published_on": _published_on(structure),
        "links": links,
        "years": _years(public_plan, links),
        "has_making": bool((data.get("making") or {}).get("has_content")),
        "easy": easy_flag(data),
    }


def making_context(structure: Publication, links: Links) -> dict[str, Any]:
    data = structure.data
    making = data.get("making") or {}
    _roots, ordered = plan_tree(data)
    voices = making.get("voices") or {}
    return {
        "structure": structure,
        "plan": data.get("plan", {}),
        "making": making,
        "voices": voices,
        "voice_nodes": [
            {**v, "level": next((n["level"] for n in ordered if n["id"] == v["id"]), "")}
            for v in voices.get("nodes", [])
        ],
        "issue_voice_total": sum(i.get("count", 0) for i in voices.get("issues", [])),
        "published_on": _published_on(structure),
        "links": links,
        "easy": easy_flag(data),
    }


def year_context(
    structure: Publication, parts: dict[str, Publication], fiscal_year: int, links: Links
) -> dict[str, Any]:
    _roots, ordered = plan_tree(structure.data)
    context: dict[str, Any] = {
        "structure": structure,
        "plan": structure.data.get("plan", {}),
        "fiscal_year": fiscal_year,
        "fiscal_year_label": fiscal.format_fiscal_year(fiscal_year),
        "links": links,
        "easy": easy_flag(structure.data),
    }
    progress = parts.get(Publication.Part.PROGRESS)
    if progress is not None:
        entries = progress.data.get("nodes", {})
        names = period_labels(progress.data, fiscal_year)
        rows = [
            {"node": n, "entry": entries[str(n["id"])], "period_label": names.get(entries[str(n["id"])].get("period"))}
            for n in ordered
            if str(n["id"]) in entries
        ]
        bars = [
            {"label": node_label(r["node"]), "value": r["entry"].get("achievement")}
            for r in rows
            if r["node"]["nest"] == 0 and r["entry"].get("achievement") is not None
        ]
        context["progress"] = {
            "publication": progress,
            "data": progress.data,
            "published_on": _published_on(progress),
            "rows": rows,
            "bars": bars,
            "chart": site_svg.bar_chart(bars, title=_("目標ごとの達成率")) if bars else "",
        }
    evaluation = parts.get(Publication.Part.EVALUATION)
    if evaluation is not None:
        projects = evaluation.data.get("projects", {})
        context["evaluation"] = {
            "publication": evaluation,
            "data": evaluation.data,
            "published_on": _published_on(evaluation),
            "rows": [{"node": n, "entry": projects[str(n["id"])]} for n in ordered if str(n["id"]) in projects],
        }
    opinion = parts.get(Publication.Part.OPINION)
    if opinion is not None and opinion.data.get("text"):
        context["opinion"] = {"publication": opinion, "data": opinion.data, "published_on": _published_on(opinion)}
    return context


def _readings(*publications: Publication | None) -> Readings:
    merged: Readings = {}
    for publication in publications:
        if publication is not None:
            merged.update(publication.readings or {})
    return merged


def _live_readings(request: HttpRequest, council_id: int | None, texts: Any) -> Readings:
    """Readings for text a page shows live (council names, branches, open comment periods), computed only
    when the reader asked for ふりがな; the rendered page is cached, so this runs once per version."""
    if not toggles(request)["ruby_on"]:
        return {}
    return furigana.readings_for(council_id, texts)


# --------------------------------------------------------------------------- public pages


def index(request: HttpRequest) -> HttpResponse:
    versions = list(PublicSite.objects.filter(is_open=True).order_by("pk").values_list("pk", "version"))

    def build() -> HttpResponse:
        # 50音順: by the reading of the council's name (with its own ふりがな dictionary), else by the name.
        sites = list(selectors.open_sites())
        readings: Readings = {}
        for s in sites:
            readings.update(furigana.readings_for(s.council_id, [s.council.name]))

        def order(site: PublicSite) -> tuple[str, str]:
            name = site.council.name
            segments = readings.get(name) or [[name, ""]]
            return "".join(r or furigana.to_hiragana(s) for s, r in segments), name

        sites.sort(key=order)
        if not toggles(request)["ruby_on"]:
            readings = {}
        return render(
            request, "publishing/site/index.html", {**public_context(request, readings=readings), "sites": sites}
        )

    return cached(request, None, "index:" + _digest(versions), build)


def _take_part(council_id: int, today: Any) -> dict[str, list[dict[str, Any]]]:
    """The council's live 参加する list, kept for a minute: a cached council page then costs no query for it."""
    key = f"sasaeai:public:take_part:{council_id}:{today.isoformat()}"
    found: dict[str, list[dict[str, Any]]] | None = cache.get(key)
    if found is None:
        found = making_module.take_part(council_id, today)
        cache.set(key, found, TAKE_PART_SECONDS)
    return found


def _has_contact(place: Any) -> bool:
    return any(getattr(place, name, "") for name in ("phone", "fax", "email", "address", "url"))


def council(request: HttpRequest, slug: str) -> HttpResponse:
    site = selectors.site_get(slug)
    today = timezone.localdate()
    take_part = _take_part(site.council_id, today)

    def build() -> HttpResponse:
        plans = selectors.site_plans(site)
        branches = list(site.council.branches.order_by("position", "pk"))
        readings = _readings(*(p.structure for p in plans))
        live = [site.council.name, site.introduction, take_part, [[b.name, b.address] for b in branches]]
        readings.update(_live_readings(request, site.council_id, live))
        return render(
            request,
            "publishing/site/council.html",
            {
                **public_context(request, site=site, readings=readings),
                "current_plans": [p for p in plans if not p.is_finished],
                "finished_plans": [p for p in plans if p.is_finished],
                "has_contact": _has_contact(site.council) or any(_has_contact(b) for b in branches),
                "take_part": take_part,
                "branches": branches,
            },
        )

    key = "council:" + _digest(today.isoformat(), site.council.updated_at, take_part)
    return cached(request, site, key, build)


def plan(request: HttpRequest, slug: str, plan_id: str) -> HttpResponse:
    site = selectors.site_get(slug)
    pk = _pk(plan_id)

    def build() -> HttpResponse:
        public_plan = selectors.site_plan(site, pk)
        structure = public_plan.structure
        context = plan_context(structure, Links(site=site, plan_id=pk), public_plan)
        return render(
            request,
            "publishing/site/plan.html",
            {**public_context(request, site=site, readings=structure.readings), **context},
        )

    return cached(request, site, f"plan:{pk}", build)


def making(request: HttpRequest, slug: str, plan_id: str) -> HttpResponse:
    site = selectors.site_get(slug)
    pk = _pk(plan_id)

    def build() -> HttpResponse:
        structure = selectors.site_plan(site, pk).structure
        context = making_context(structure, Links(site=site, plan_id=pk))
        return render(
            request,
            "publishing/site/making.html",
            {**public_context(request, site=site, readings=structure.readings), **context},
        )

    return cached(request, site, f"making:{pk}", build)


def year(request: HttpRequest, slug: str, plan_id: str, fiscal_year: str) -> HttpResponse:
    site = selectors.site_get(slug)
    pk, fy = _pk(plan_id), _fiscal_year(fiscal_year)

    def build() -> HttpResponse:
        public_plan = selectors.site_plan(site, pk)
        parts = selectors.site_year(public_plan, fy)
        context = year_context(public_plan.structure, parts, fy, Links(site=site, plan_id=pk))
        if not any(k in context for k in ("progress", "evaluation", "opinion")):
            raise Http404
        readings = _readings(public_plan.structure, *parts.values())
        return render(
            request, "publishing/site/year.html", {**public_context(request, site=site, readings=readings), **context}
        )

    return cached(request, site, f"year:{pk}:{fy}", build)


# --------------------------------------------------------------------------- staff preview


def _preview_context(request: HttpRequest, plan: Plan, readings: Readings) -> dict[str, Any]:
    site = PublicSite.objects.filter(council_id=plan.council_id).first()
    context = public_context(request, site=None, readings=readings)
    context.update({"preview": True, "council": plan.council, "preview_site": site})
    return context


def _preview_refused(request: HttpRequest, plan: Plan, error: ValidationError) -> HttpResponse:
    context = _preview_context(request, plan, {})
    context.update({"messages_list": error.messages, "plan_title": plan.title})
    return apply_ruby(request, render(request, "publishing/site/preview_refused.html", context), plan.council_id)


@plan_permission(PUBLISH)
def preview_structure(request: PermittedRequest, plan: Plan) -> HttpResponse:
    """The plan page (or, with ?page=making, its making page) as publishing now would show it."""
    try:
        publication = services.publication_preview(plan=plan, part=Publication.Part.STRUCTURE)
    except ValidationError as error:
        return _preview_refused(request, plan, error)
    links = Links(site=None, plan_id=plan.pk, preview=True)
    context = _preview_context(request, plan, publication.readings)
    if request.GET.get("page") == "making":
        context.update(making_context(publication, links))
        return apply_ruby(request, render(request, "publishing/site/making.html", context), plan.council_id)
    context.update(plan_context(publication, links, None))
    return apply_ruby(request, render(request, "publishing/site/plan.html", context), plan.council_id)


@plan_permission(PUBLISH)
def preview_part(request: PermittedRequest, plan: Plan, part: str, fiscal_year: str) -> HttpResponse:
    """One year's part (進捗・評価・総評) as publishing now would show it, beside the published plan contents."""
    if part not in {p.value for p in PARTS}:
        raise Http404
    fy = _fiscal_year(fiscal_year)
    try:
        publication = services.publication_preview(plan=plan, part=part, fiscal_year=fy)
    except ValidationError as error:
        return _preview_refused(request, plan, error)
    structure = Publication.objects.filter(plan=plan, part=Publication.Part.STRUCTURE, is_current=True).first()
    if structure is None:  # publication_check requires it; a race with a withdrawal
        return _preview_refused(request, plan, ValidationError(_("先に「計画の内容」を公表してください。")))
    links = Links(site=None, plan_id=plan.pk, preview=True)
    context = _preview_context(request, plan, _readings(structure, publication))
    context.update(year_context(structure, {part: publication}, fy, links))
    context["preview_part_empty"] = not any(k in context for k in ("progress", "evaluation", "opinion"))
    return apply_ruby(request, render(request, "publishing/site/year.html", context), plan.council_id)


public_urls: list[URLPattern] = [
    path("public/", index, name="index"),
    path("public/<str:slug>/", council, name="council"),
    path("public/<str:slug>/plans/<str:plan_id>/", plan, name="plan"),
    path("public/<str:slug>/plans/<str:plan_id>/making/", making, name="making"),
    path("public/<str:slug>/plans/<str:plan_id>/years/<str:fiscal_year>/", year, name="year"),
]
staff_urls: list[URLPattern] = [
    path("plans/<int:plan_id>/public/preview/structure/", preview_structure, name="preview_structure"),
    path("plans/<int:plan_id>/public/preview/<str:part>/<str:fiscal_year>/", preview_part, name="preview_part"),
]
