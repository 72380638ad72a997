"""Reads of public comment (パブリックコメント): periods, comments with their filters and pages, the
published results and the public page's structure. Writes are in ../services/comments.py."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from sasaeai.core.forms import clean_search_text
from sasaeai.plans.models import PlanSection

from ..models import PublicComment, PublicCommentPeriod
from ..services.comments import period_state

PAGE_SIZE = 50

# --------------------------------------------------------------------------- reads


def period_by_key(key: str) -> PublicCommentPeriod:
    """The public pages' period (one 404 for a wrong key)."""
    try:
        return PublicCommentPeriod.objects.select_related("plan__council").get(public_key=str(key))
    except PublicCommentPeriod.DoesNotExist:
        raise Http404 from None


def period_get(plan, period_id) -> PublicCommentPeriod:
    try:
        period = PublicCommentPeriod.objects.get(pk=int(period_id), plan=plan)
    except (PublicCommentPeriod.DoesNotExist, TypeError, ValueError):
        raise Http404 from None
    period.plan = plan
    return period


def periods_for_plan(plan):
    excluded = PublicComment.Status.EXCLUDED
    periods = list(
        PublicCommentPeriod.objects.filter(plan=plan)
        .annotate(
            comment_count=Count("comments"),
            new_count=Count("comments", filter=Q(comments__status=PublicComment.Status.NEW)),
            excluded_count=Count("comments", filter=Q(comments__status=excluded)),
        )
        .order_by("-opens_on", "pk")
    )
    today = timezone.localdate()
    for period in periods:
        period.plan = plan
        period.state = period_state(period, today)
    return periods


def plan_sections(plan):
    return list(PlanSection.objects.filter(plan=plan).order_by("position", "pk"))


def status_counts(period) -> dict:
    counts = dict(period.comments.values_list("status").annotate(n=Count("pk")).order_by())
    return {"total": sum(counts.values()), **{s: counts.get(s, 0) for s in PublicComment.Status.values}}


@dataclass
class CommentFilters:
    status: str = ""
    section: str = ""  # "" all, "none" the whole plan, or a section id
    reflection: str = ""  # "" all, "none" not set, or a value
    group: str = ""  # "" all, "none" not grouped, or a label
    q: str = ""

    @classmethod
    def from_query(cls, data, sections):
        section_ids = {str(s.pk) for s in sections}
        status = data.get("status", "")
        section = data.get("section", "")
        reflection = data.get("reflection", "")
        return cls(
            status=status if status in PublicComment.Status.values else "",
            section=section if section == "none" or section in section_ids else "",
            reflection=reflection if reflection == "none" or reflection in PublicComment.Reflection.values else "",
            group=clean_search_text(data.get("group"), 200, strip=False),
            q=clean_search_text(data.get("q"), 200),
        )

    def apply(self, qs):
        if self.status:
            qs = qs.filter(status=self.status)
        if self.section == "none":
            qs = qs.filter(section__isnull=True)
        elif self.section:
            qs = qs.filter(section_id=int(self.section))
        if self.reflection == "none":
            qs = qs.filter(reflection="")
        elif self.reflection:
            qs = qs.filter(reflection=self.reflection)
        if self.group == "none":
            qs = qs.filter(group_label="")
        elif self.group:
            qs = qs.filter(group_label=self.group)
        if self.q:
            cond = (
                Q(text__icontains=self.q)
                | Q(name__icontains=self.q)
                | Q(group_label__icontains=self.q)
                | Q(answer__icontains=self.q)
                | Q(district__icontains=self.q)
            )
            if self.q.isdigit():
                cond |= Q(number=int(self.q))
            qs = qs.filter(cond)
        return qs

    def query(self) -> str:
        from urllib.parse import urlencode

        return urlencode({k: v for k, v in self.__dict__.items() if v})

    @property
    def active(self):
        return any(self.__dict__.values())


def comment_page(period, filters: CommentFilters, page_number):
    """One page (50) of the triage list: a fixed number of queries whatever the period's size."""
    qs = filters.apply(PublicComment.objects.filter(period=period)).select_related("section").order_by("number")
    paginator = Paginator(qs, PAGE_SIZE)
    return paginator.get_page(page_number)


def group_labels(period, limit=300):
    return list(
        period.comments.exclude(group_label="")
        .order_by("group_label")
        .values_list("group_label", flat=True)
        .distinct()[:limit]
    )


def comment_get(period, number) -> PublicComment:
    try:
        return PublicComment.objects.select_related("section", "answered_by").get(period=period, number=int(number))
    except (PublicComment.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def neighbours(period, number):
    """The previous and next comment numbers (for walking through the list)."""
    prev = period.comments.filter(number__lt=number).order_by("-number").values_list("number", flat=True).first()
    nxt = period.comments.filter(number__gt=number).order_by("number").values_list("number", flat=True).first()
    return prev, nxt


def comment_exists(period, number) -> bool:
    return PublicComment.objects.filter(period=period, number=number).exists()


# --------------------------------------------------------------------------- published results


@dataclass
class ResultGroup:
    label: str  # "" for a comment on its own
    comments: list = field(default_factory=list)

    @property
    def shared_answer(self):
        """(answer, reflection label) when every comment of the group has the same; else None."""
        pairs = {(c.answer, c.reflection) for c in self.comments}
        if len(pairs) != 1:
            return None
        answer, reflection = next(iter(pairs))
        return {"answer": answer, "reflection": PublicComment.Reflection(reflection).label if reflection else ""}


@dataclass
class Results:
    period: PublicCommentPeriod
    groups: list
    listed: int
    excluded: int
    reflection_counts: list  # (label, count)

    @property
    def total(self):
        return self.listed + self.excluded


# Only these fields are ever read for the public results (never name, district or contact).
RESULT_FIELDS = ("number", "text", "group_label", "answer", "reflection", "section", "section__title")


def results(period) -> Results:
    comments = list(
        PublicComment.objects.filter(period=period)
        .exclude(status=PublicComment.Status.EXCLUDED)
        .select_related("section")
        .only(*RESULT_FIELDS)
        .order_by("number")
    )
    excluded = PublicComment.objects.filter(period=period, status=PublicComment.Status.EXCLUDED).count()
    groups: list[ResultGroup] = []
    by_label: dict[str, ResultGroup] = {}
    for comment in comments:
        comment.reflection_label = str(PublicComment.Reflection(comment.reflection).label) if comment.reflection else ""
        if comment.group_label:
            group = by_label.get(comment.group_label)
            if group is None:
                group = by_label[comment.group_label] = ResultGroup(label=comment.group_label)
                groups.append(group)
            group.comments.append(comment)
        else:
            groups.append(ResultGroup(label="", comments=[comment]))
    counts: dict[str, int] = {}
    for comment in comments:
        counts[comment.reflection] = counts.get(comment.reflection, 0) + 1
    reflection_counts = [(label, counts.get(value, 0)) for value, label in PublicComment.Reflection.choices]
    return Results(
        period=period, groups=groups, listed=len(comments), excluded=excluded, reflection_counts=reflection_counts
    )


# --------------------------------------------------------------------------- the public page's structure


def structure_html(tree) -> str:
    """The plan's structure (goal → … titles) as nested lists, every value escaped."""
    parts: list[str] = []

    def visit(nodes):
        parts.append('<ul class="pc-structure">' if not parts else "<ul>")
        for node in nodes:
            code = format_html('<span class="code">{}</span> ', node.code) if node.code else ""
            # The level's name, unless the printed number already says it (基本目標１).
            level = (
                ""
                if node.code and node.level.name in node.code
                else format_html('<span class="pc-level">{}</span> ', node.level.name)
            )
            parts.append(format_html('<li>{}{}<span class="title">{}</span>', level, code, node.title))
            if node.children_list:
                visit(node.children_list)
            parts.append("</li>")
        parts.append("</ul>")

    if tree.roots:
        visit(tree.roots)
    return mark_safe("".join(parts))
