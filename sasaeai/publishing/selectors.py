"""Reads of the public site. Every public read starts here and sees only current publications of open sites.

An unknown slug, a closed site, a plan with nothing published and a year with nothing published all raise
the same ``Http404``: a resident cannot tell "not published" from "does not exist".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from sasaeai.plans.models import Plan

from .models import Publication, PublicSite


def open_sites() -> QuerySet[PublicSite]:
    """Sites that are open and have at least one published plan, by council name."""
    return (
        PublicSite.objects.filter(
            is_open=True,
            council__publications__is_current=True,
            council__publications__part=Publication.Part.STRUCTURE,
        )
        .select_related("council")
        .distinct()
        .order_by("council__name")
    )


def site_get(slug: object) -> PublicSite:
    if not isinstance(slug, str) or not slug or len(slug) > 60:
        raise Http404
    site = PublicSite.objects.filter(slug=slug, is_open=True).select_related("council").first()
    if site is None:
        raise Http404
    return site


def current(site: PublicSite) -> QuerySet[Publication]:
    return Publication.objects.filter(council_id=site.council_id, is_current=True)


@dataclass
class PublicPlan:
    """One published plan: its structure copy and which years have which parts published."""

    structure: Publication
    years: dict[int, dict[str, Publication]] = field(default_factory=dict)

    @property
    def plan_id(self) -> int:
        return self.structure.plan_id

    @property
    def data(self) -> dict[str, Any]:
        return self.structure.data

    @property
    def is_finished(self) -> bool:
        return self.structure.data.get("plan", {}).get("status") == Plan.Status.FINISHED


def site_plans(site: PublicSite) -> list[PublicPlan]:
    """The site's published plans (current first, then finished ones), each with its published years."""
    publications = list(current(site).order_by("plan_id", "-fiscal_year", "part"))
    plans: dict[int, PublicPlan] = {}
    for pub in publications:
        if pub.part == Publication.Part.STRUCTURE:
            plans[pub.plan_id] = PublicPlan(structure=pub)
    for pub in publications:
        if pub.part != Publication.Part.STRUCTURE and pub.plan_id in plans:
            plans[pub.plan_id].years.setdefault(pub.fiscal_year, {})[pub.part] = pub
    return sorted(
        plans.values(),
        key=lambda p: (p.is_finished, -(p.data["plan"].get("period_start") or 0), p.data["plan"]["title"]),
    )


def site_plan(site: PublicSite, plan_id: object) -> PublicPlan:
    try:
        pk = int(str(plan_id))
    except ValueError:
        raise Http404 from None
    publications = list(current(site).filter(plan_id=pk))
    structure = next((p for p in publications if p.part == Publication.Part.STRUCTURE), None)
    if structure is None:
        raise Http404
    result = PublicPlan(structure=structure)
    for pub in publications:
        if pub.part != Publication.Part.STRUCTURE:
            result.years.setdefault(pub.fiscal_year, {})[pub.part] = pub
    result.years = dict(sorted(result.years.items(), reverse=True))
    return result


def site_year(public_plan: PublicPlan, fiscal_year: object) -> dict[str, Publication]:
    """The parts published for one year of a plan (progress, evaluation, opinion); 404 when none."""
    try:
        year = int(str(fiscal_year))
    except ValueError:
        raise Http404 from None
    parts = public_plan.years.get(year)
    if not parts:
        raise Http404
    return parts


def cache_key(site: PublicSite, *parts: object) -> str:
    """A cache key for a public page of ``site``: a new version (every publish) makes a new key."""
    return ":".join(["public", str(site.pk), str(site.version), *(str(p) for p in parts)])
