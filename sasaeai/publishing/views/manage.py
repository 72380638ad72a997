"""Staff pages of the public site: its settings, and what of each plan is public (publish, withdraw, history).

Publication is a decision: staff see what is public now, look at what would be published, and confirm.
Thin views: the permission, a form, one service, a message and a redirect.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils.translation import gettext as _

from sasaeai.accounts.decorators import PermittedRequest, council_permission, plan_permission
from sasaeai.core import fiscal
from sasaeai.core.view_helpers import form_errors_from, plan_context

from .. import selectors, services
from ..forms import PublishForm, SiteForm, WithdrawForm
from ..models import Publication
from ..permissions import PUBLISH, SETTINGS

if TYPE_CHECKING:
    from sasaeai.core.models import Council
    from sasaeai.plans.models import Plan


def preview_url(plan_id: int, part: str, fiscal_year: int) -> str | None:
    """The address of the preview of one part (the preview pages are their own module; None until they exist)."""
    try:
        if part == Publication.Part.STRUCTURE:
            return reverse("publishing:preview_structure", args=[plan_id])
        return reverse("publishing:preview_part", args=[plan_id, part, fiscal_year])
    except NoReverseMatch:
        return None


def public_url(request: HttpRequest, slug: str) -> str:
    return request.build_absolute_uri(reverse("site:council", args=[slug]))


def part_label(part: str, fiscal_year: int) -> str:
    label = str(Publication.Part(part).label)
    return f"{fiscal.format_fiscal_year(fiscal_year)} {label}" if fiscal_year else label


def _part_and_year(part: object, year: object) -> tuple[str, int]:
    """The part and fiscal year named in the address; the same 404 for anything else (never a 500)."""
    if part not in Publication.Part.values:
        raise Http404
    text = str(year)
    if not text.isascii() or not text.isdigit() or len(text) > 4:
        raise Http404
    return str(part), int(text)


def contents(publication: Publication) -> list[str]:
    """What a copy holds, in counts, for the confirmation page (read from the frozen data, not the live plan)."""
    data: dict[str, Any] = publication.data or {}
    part = publication.part
    if part == Publication.Part.STRUCTURE:
        return [
            _("項目: %(n)d件（%(levels)s）")
            % {"n": len(data.get("nodes", [])), "levels": "・".join(lv["name"] for lv in data.get("levels", []))},
            _("地域生活課題: %(n)d件") % {"n": len(data.get("issues", []))},
            _("そのほかの章: %(n)d件") % {"n": len(data.get("sections", []))},
        ]
    if part == Publication.Part.PROGRESS:
        nodes = data.get("nodes", {}).values()
        indicators = [i for n in nodes for i in n.get("indicators", [])]
        with_actuals = [i for i in indicators if i.get("actual") is not None or i.get("actual_text")]
        return [
            _("状況・進捗のある項目: %(n)d件") % {"n": sum(1 for n in nodes if n.get("status") or n.get("progress"))},
            _("指標: %(n)d件（うち実績値のあるもの %(m)d件）") % {"n": len(indicators), "m": len(with_actuals)},
        ]
    if part == Publication.Part.EVALUATION:
        projects = data.get("projects", {}).values()
        return [
            _("最終評価が確定した事業: %(n)d件") % {"n": len(projects)},
            _("うち今後の方向性があるもの: %(n)d件") % {"n": sum(1 for p in projects if p.get("direction"))},
        ]
    text = data.get("text") or ""
    return [_("総評・答申: %(n)d文字") % {"n": len(text)}]


def is_empty(publication: Publication) -> bool:
    """Whether a copy would show residents nothing (samples and unfinished stages are never in it)."""
    data: dict[str, Any] = publication.data or {}
    key = {"structure": "nodes", "progress": "nodes", "evaluation": "projects", "opinion": "text"}[publication.part]
    return not data.get(key)


@council_permission((PUBLISH, SETTINGS))
def site(request: PermittedRequest, council: Council) -> HttpResponse:
    """The public site's address, whether it is open, its introduction and licence."""
    perms = request.council_permissions
    can_edit = SETTINGS in perms
    current = selectors.site_for_council(council.pk)
    initial = (
        {"slug": current.slug, "is_open": current.is_open, "introduction": current.introduction}
        | {"licence": current.licence}
        if current
        else {}
    )
    form = SiteForm(request.POST if request.method == "POST" else None, initial=initial, council=council)
    if request.method == "POST":
        if not can_edit:
            raise Http404
        if form.is_valid():
            try:
                services.site_update(council=council, by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                messages.success(request, _("公開サイトの設定を保存しました。"))
                return redirect("publishing:site", council.pk)
    if not can_edit:
        for field in form.fields.values():
            field.disabled = True
    return render(
        request,
        "publishing/manage/site.html",
        {
            "council": council,
            "site": current,
            "form": form,
            "can_edit": can_edit,
            "perms_here": perms,
            "public_url": public_url(request, current.slug) if current else None,
            "public_root": request.build_absolute_uri(reverse("site:index")),
            "plans": selectors.council_plans(council.pk),
        },
        status=400 if request.method == "POST" else 200,
    )


@plan_permission(PUBLISH)
def plan(request: PermittedRequest, plan: Plan) -> HttpResponse:
    """What of this plan is public: the plan's contents once, and per fiscal year its three parts."""
    publications = selectors.plan_publications(plan)
    structure, years = selectors.plan_publication_table(plan, publications)
    for cell in [structure, *(c for _year, row in years for c in row)]:
        cell.preview_url = preview_url(plan.pk, cell.part, cell.fiscal_year)
    site_ = selectors.site_for_council(plan.council_id)
    return render(
        request,
        "publishing/manage/plan.html",
        plan_context(
            request,
            plan,
            structure=structure,
            years=years,
            history=publications,
            site=site_,
            public_url=public_url(request, site_.slug) if site_ else None,
            can_settings=SETTINGS in request.council_permissions,
            is_drafting=plan.status == plan.Status.DRAFTING,
        ),
    )


@plan_permission(PUBLISH)
def publish(request: PermittedRequest, plan: Plan, part: str, year: str) -> HttpResponse:
    """Confirm, then publish one part: say plainly what goes public and what never does."""
    part, fiscal_year = _part_and_year(part, year)
    back = reverse("publishing:plan", args=[plan.pk])
    form = PublishForm(request.POST if request.method == "POST" else None)
    label = part_label(part, fiscal_year)
    try:
        preview = services.publication_preview(plan=plan, part=part, fiscal_year=fiscal_year)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(back)
    if request.method == "POST" and form.is_valid():
        try:
            services.publication_publish(
                plan=plan, part=part, fiscal_year=fiscal_year, note=form.cleaned_data["note"], by=request.user
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect(back)
        messages.success(request, _("「%(part)s」を公表しました。") % {"part": label})
        return redirect(back)
    current = selectors.plan_publication_current(plan, part, fiscal_year)
    site_ = selectors.site_for_council(plan.council_id)
    return render(
        request,
        "publishing/manage/publish.html",
        plan_context(
            request,
            plan,
            form=form,
            part=part,
            fiscal_year=fiscal_year,
            label=label,
            contents=contents(preview),
            empty=is_empty(preview),
            current=current,
            site=site_,
            preview_url=preview_url(plan.pk, part, fiscal_year),
            opinion_text=preview.data.get("text") if part == Publication.Part.OPINION else None,
        ),
        status=400 if request.method == "POST" else 200,
    )


@plan_permission(PUBLISH)
def withdraw(request: PermittedRequest, plan: Plan, publication_id: str) -> HttpResponse:
    """Take one publication off the public site, with a reason (nothing earlier comes back)."""
    publication = selectors.plan_publication_get(plan, publication_id)
    back = reverse("publishing:plan", args=[plan.pk])
    label = part_label(publication.part, publication.fiscal_year)
    if not publication.is_current:
        messages.error(request, _("この公表はすでに取り下げられているか、新しい公表に置き換えられています。"))
        return redirect(back)
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.publication_withdraw(publication=publication, reason=form.cleaned_data["reason"], by=request.user)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                form_errors_from(exc, form)
            else:
                for message in exc.messages:
                    messages.error(request, message)
                return redirect(back)
        else:
            messages.success(request, _("「%(part)s」の公表を取り下げました。") % {"part": label})
            return redirect(back)
    return render(
        request,
        "publishing/manage/withdraw.html",
        plan_context(request, plan, form=form, publication=publication, label=label),
        status=400 if request.method == "POST" else 200,
    )


staff_urls: list[URLPattern] = [
    path("councils/<str:council_id>/public/", site, name="site"),
    path("plans/<str:plan_id>/public/", plan, name="plan"),
    path("plans/<str:plan_id>/public/publish/<str:part>/<str:year>/", publish, name="publish"),
    path("plans/<str:plan_id>/public/withdraw/<str:publication_id>/", withdraw, name="withdraw"),
]
