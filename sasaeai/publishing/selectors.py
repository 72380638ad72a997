"""Reads of the public site. Every public read starts here and sees only current publications of open sites.

An unknown slug, a closed site, a plan with nothing published and a year with nothing published all raise
the same ``Http404``: a resident cannot tell "not published" from "does not exist".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from sasaeai.core.models import AuditEntry
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


# How long a process may answer from its remembered copy of a site (its version is the pages' cache key). The
# process that publishes forgets it at once (``site_forget``); with a cache shared by every process (Redis) all
# do, and with the per-process default the others follow within these seconds.
SITE_LOOKUP_SECONDS = 2


def _site_key(slug: str) -> str:
    return f"public-site:{slug}"


def site_get(slug: object) -> PublicSite:
    """An open site by its address, remembered for ``SITE_LOOKUP_SECONDS`` so a cached page costs no query."""
    if not isinstance(slug, str) or not slug or len(slug) > 60:
        raise Http404
    site: PublicSite | None = cache.get(_site_key(slug))
    if site is None:
        site = PublicSite.objects.filter(slug=slug, is_open=True).select_related("council").first()
        if site is None:
            raise Http404
        cache.set(_site_key(slug), site, SITE_LOOKUP_SECONDS)
    return site


def site_forget(*slugs: str) -> None:
    """Forget the remembered sites (after a publication, a withdrawal or a change of settings)."""
    cache.delete_many([_site_key(s) for s in slugs if s])


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
        data: dict[str, Any] = self.structure.data  # a JSONField: the frozen copy is a JSON object
        return data

    @property
    def is_finished(self) -> bool:
        return bool(self.data.get("plan", {}).get("status") == Plan.Status.FINISHED)


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


# --------------------------------------------------------------------------- staff pages (publishing:)
# What staff see of their own publications: every copy, current or not, with who published or withdrew it.


@dataclass
class PartCell:
    """One cell of a plan's publication table: a part (for a year), what is public now, what was withdrawn."""

    part: str
    fiscal_year: int
    current: Publication | None = None
    last: Publication | None = None  # the newest publication of the cell, current or not
    preview_url: str | None = None
    # Set by plan_publication_table: a year's part shown to nobody while the plan's contents are not public,
    # and why a part cannot be published yet (the 総評 before the committee confirmed it).
    hidden: bool = False
    blocked: str = ""

    @property
    def label(self) -> str:
        return str(Publication.Part(self.part).label)

    @property
    def short_label(self) -> str:
        return str(SHORT_LABELS[self.part])

    @property
    def state(self) -> str:
        if self.current is not None:
            return "current"
        if self.last is not None and self.last.withdrawn_at is not None:
            return "withdrawn"
        return "none"


SHORT_LABELS: dict[str, Any] = {
    Publication.Part.STRUCTURE: _("計画の内容"),
    Publication.Part.PROGRESS: _("進捗と指標"),
    Publication.Part.EVALUATION: _("最終評価と方向性"),
    Publication.Part.OPINION: _("評価委員会の総評"),
}
YEAR_PARTS = (Publication.Part.PROGRESS, Publication.Part.EVALUATION, Publication.Part.OPINION)


def site_for_council(council_id: int) -> PublicSite | None:
    return PublicSite.objects.filter(council_id=council_id).first()


def plan_publications(plan: Plan) -> list[Publication]:
    """Every publication of the plan, newest first, without the (large) frozen copies."""
    return list(
        Publication.objects.filter(plan=plan)
        .defer("data", "readings")
        .select_related("published_by", "withdrawn_by")
        .order_by("-published_at", "-pk")
    )


def plan_publication_table(
    plan: Plan, publications: list[Publication]
) -> tuple[PartCell, list[tuple[int, list[PartCell]]]]:
    """The structure cell and, for each fiscal year of the plan period, its three cells (from ``publications``)."""
    cells: dict[tuple[str, int], PartCell] = {}

    def cell(part: str, year: int) -> PartCell:
        return cells.setdefault((part, year), PartCell(part=part, fiscal_year=year))

    for pub in publications:  # newest first
        c = cell(pub.part, pub.fiscal_year)
        if c.last is None:
            c.last = pub
        if pub.is_current:
            c.current = pub
    from sasaeai.evaluation.models import CommitteeOpinion

    structure = cell(Publication.Part.STRUCTURE, 0)
    confirmed = set(CommitteeOpinion.objects.filter(plan=plan, is_submitted=True).values_list("fiscal_year", flat=True))
    years: list[tuple[int, list[PartCell]]] = []
    if plan.period_start:
        for year in range(plan.period_start, (plan.period_end or plan.period_start) + 1):
            row = [cell(part, year) for part in YEAR_PARTS]
            for c in row:
                c.hidden = c.current is not None and structure.current is None
                if c.part == Publication.Part.OPINION and year not in confirmed and c.current is None:
                    c.blocked = str(_("総評がまだ確定していません"))
            years.append((year, row))
    return structure, years


def plan_publication_get(plan: Plan, publication_id: object) -> Publication:
    """One publication of ``plan`` (404 for a missing one or one of another plan)."""
    try:
        pk = int(str(publication_id))
    except ValueError:
        raise Http404 from None
    publication = Publication.objects.filter(plan=plan, pk=pk).select_related("plan", "published_by").first()
    if publication is None:
        raise Http404
    return publication


def plan_publication_current(plan: Plan, part: str, fiscal_year: int) -> Publication | None:
    return (
        Publication.objects.filter(plan=plan, part=part, fiscal_year=fiscal_year, is_current=True)
        .defer("data", "readings")
        .first()
    )


def council_plans(council_id: int) -> QuerySet[Plan]:
    return Plan.objects.filter(council_id=council_id).order_by("-period_start", "title")


SITE_HISTORY_ACTIONS = ("publishing.site", "publishing.reading", "publishing.reading_delete")


def site_history(council_id: int, limit: int = 30) -> list[AuditEntry]:
    """The latest changes to the council's public site settings and ふりがな辞書 (publications: each plan's page)."""
    return list(
        AuditEntry.objects.filter(council_id=council_id, action__in=SITE_HISTORY_ACTIONS)
        .select_related("actor")
        .order_by("-created_at", "-pk")[:limit]
    )
