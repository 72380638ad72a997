"""Reads of the formulation record: the timeline of steps with the facts recorded for each, counts,
voices with their links and the traceability chain (voice → life issue → goal/item → indicator).
Committees are read in committees.py. Every page reads a fixed number of queries, however many voices there are.

Surveys and public comment are read straight from their models (``Questionnaire``, ``Response``,
``PublicCommentPeriod``, ``PublicComment``), never through the survey and comment modules.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import Http404

from sasaeai.core.forms import clean_search_text
from sasaeai.plans.models import CommunityIssue
from sasaeai.plans.selectors import plan_tree

from ..models import (
    CommitteeMeeting,
    EngagementSession,
    FormulationStep,
    PublicComment,
    PublicCommentPeriod,
    Questionnaire,
    Tag,
    Voice,
)

# An issue with fewer voices than this is flagged on the traceability page.
FEW_VOICES = 3
VOICES_PER_PAGE = 50
# Voices shown per group in the node page's section (the rest behind a link).
NODE_VOICES_SHOWN = 10
SOURCES = list(Voice.Source)


# --------------------------------------------------------------------------- small helpers


def response_rate(distributed, returned) -> Decimal | None:
    """回収率 in percent, one decimal, rounded half up (943 / 2,000 → 47.2)."""
    if not distributed or returned is None:
        return None
    return (Decimal(returned) * 100 / Decimal(distributed)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def source_counts(counter) -> list[tuple[str, str, int]]:
    """(source code, label, count) in the fixed order of ``Voice.Source``, for every source."""
    return [(s.value, str(s.label), counter.get(s.value, 0)) for s in SOURCES]


def count_by_source(qs) -> Counter:
    """Counter(source → number of voices) of a voice queryset, in one query."""
    return Counter(dict(qs.order_by().values_list("source").annotate(n=Count("pk"))))


def voices_queryset(plan):
    return (
        Voice.objects.filter(plan=plan)
        .select_related("session", "question", "comment__period")
        .prefetch_related("issues", "nodes", "tags")
    )


# --------------------------------------------------------------------------- sessions, voices, tags


def sessions_for(plan, kind=None):
    qs = EngagementSession.objects.filter(plan=plan).annotate(voice_count=Count("voices"))
    if kind:
        qs = qs.filter(kind=kind)
    return list(qs.order_by("held_on", "pk"))


def session_get(plan, session_id) -> EngagementSession:
    try:
        return EngagementSession.objects.get(pk=int(session_id), plan=plan)
    except (EngagementSession.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def session_voices(session):
    return list(voices_queryset(session.plan).filter(session=session).order_by("pk"))


def voice_get(plan, voice_id) -> Voice:
    try:
        return voices_queryset(plan).get(pk=int(voice_id))
    except (Voice.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def tags_for(council):
    return list(Tag.objects.filter(council=council).annotate(voice_count=Count("voices")).order_by("name"))


def tag_get(council, tag_id) -> Tag:
    try:
        return Tag.objects.get(pk=int(tag_id), council=council)
    except (Tag.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


@dataclass
class VoiceFilters:
    source: str = ""
    session: int | None = None
    issue: int | None = None
    node: int | None = None
    tag: int | None = None
    only: str = ""  # "" | "untagged" | "unlinked"
    q: str = ""

    ONLY_CHOICES = ("untagged", "unlinked")

    @classmethod
    def from_query(cls, params):
        def number(name):
            value = (params.get(name) or "").strip()
            return int(value) if value.isdigit() else None

        source = params.get("source", "")
        only = params.get("only", "")
        return cls(
            source=source if source in Voice.Source.values else "",
            session=number("session"),
            issue=number("issue"),
            node=number("node"),
            tag=number("tag"),
            only=only if only in cls.ONLY_CHOICES else "",
            q=clean_search_text(params.get("q"), 100),
        )

    def apply(self, qs):
        if self.source:
            qs = qs.filter(source=self.source)
        if self.session:
            qs = qs.filter(session_id=self.session)
        if self.issue:
            qs = qs.filter(issues__id=self.issue)
        if self.node:
            qs = qs.filter(nodes__id=self.node)
        if self.tag:
            qs = qs.filter(tags__id=self.tag)
        if self.only == "untagged":
            qs = qs.filter(tags__isnull=True)
        elif self.only == "unlinked":
            qs = qs.filter(issues__isnull=True, nodes__isnull=True)
        if self.q:
            qs = qs.filter(Q(text__icontains=self.q) | Q(speaker__icontains=self.q))
        return qs.distinct()

    def querystring(self, **override):
        from urllib.parse import urlencode

        values = {
            "source": self.source,
            "session": self.session,
            "issue": self.issue,
            "node": self.node,
            "tag": self.tag,
            "only": self.only,
            "q": self.q,
        }
        values.update(override)
        return urlencode({k: v for k, v in values.items() if v not in (None, "")})

    @property
    def active(self):
        return bool(self.source or self.session or self.issue or self.node or self.tag or self.only or self.q)


def voices_page(plan, filters: VoiceFilters, page_number=1):
    """A page of 50 voices, filtered, each with its issues, nodes, tags and source prefetched."""
    qs = filters.apply(voices_queryset(plan)).order_by("pk")
    paginator = Paginator(qs, VOICES_PER_PAGE)
    return paginator.get_page(page_number)


# --------------------------------------------------------------------------- counts and timeline


@dataclass
class StepFacts:
    """The facts recorded for one step (or for the その他 group when ``step`` is None)."""

    step: FormulationStep | None
    surveys: list = field(default_factory=list)
    workshops: list = field(default_factory=list)
    hearings: list = field(default_factory=list)
    other_sessions: list = field(default_factory=list)
    meetings: list = field(default_factory=list)  # CommitteeMeeting, with .committee
    periods: list = field(default_factory=list)  # PublicCommentPeriod, with .comment_count

    @property
    def workshop_count(self):
        return sum(s.occurrences for s in self.workshops)

    @property
    def workshop_participants(self):
        return sum(s.participants or 0 for s in self.workshops)

    @property
    def workshops_without_count(self):
        return sum(1 for s in self.workshops if s.participants is None)

    @property
    def hearing_groups(self):
        labels = []
        for s in self.hearings:
            label = s.group_name or s.field or s.title
            if label and label not in labels:
                labels.append(label)
        return labels

    @property
    def committee_groups(self):
        """[(committee, [meetings in number order])] in order of first meeting."""
        groups = {}
        for m in self.meetings:
            groups.setdefault(m.committee_id, (m.committee, []))[1].append(m)
        return [(c, sorted(ms, key=lambda m: m.number)) for c, ms in groups.values()]

    @property
    def is_empty(self):
        return not (
            self.surveys or self.workshops or self.hearings or self.other_sessions or self.meetings or self.periods
        )


def _step_range(step):
    start, end = step.start_date or step.end_date, step.end_date or step.start_date
    return (start, end) if start else None


def _fact_date(obj) -> date | None:
    for name in ("held_on", "opens_on", "closes_on"):
        value = getattr(obj, name, None)
        if value:
            return value
    return None


def plan_surveys(plan):
    """Surveys of the plan with 配布数・回収数・回収率 (回収数: the recorded number, else the responses held).
    Sample (demo) surveys are left out: the timeline and the counts are the record of what happened."""
    surveys = list(
        Questionnaire.objects.filter(plan=plan, kind=Questionnaire.Kind.SURVEY, is_sample=False)
        .annotate(response_count=Count("responses"))
        .order_by("opens_on", "pk")
    )
    for q in surveys:
        q.returned_count = q.returned if q.returned is not None else q.response_count
        q.rate = response_rate(q.distributed, q.returned_count)
    return surveys


def plan_comment_periods(plan):
    return list(
        PublicCommentPeriod.objects.filter(plan=plan)
        .annotate(comment_count=Count("comments", filter=~Q(comments__status=PublicComment.Status.EXCLUDED)))
        .order_by("opens_on", "pk")
    )


def plan_committee_meetings(plan):
    return list(
        CommitteeMeeting.objects.filter(committee__plan=plan)
        .select_related("committee")
        .order_by("held_on", "committee_id", "number")
    )


def timeline(plan):
    """The plan's steps in order, each with the facts whose date falls in its range, and a last group
    (step None, その他の取り組み) for undated facts and facts outside every step. Six queries."""
    steps = list(FormulationStep.objects.filter(plan=plan).order_by("position", "pk"))
    groups = [StepFacts(step=s) for s in steps]
    other = StepFacts(step=None)
    ranges = [(_step_range(s), g) for s, g in zip(steps, groups, strict=False)]

    def group_for(obj):
        when = _fact_date(obj)
        if when is not None:
            for bounds, group in ranges:
                if bounds and bounds[0] <= when <= bounds[1]:
                    return group
        return other

    for q in plan_surveys(plan):
        group_for(q).surveys.append(q)
    for s in EngagementSession.objects.filter(plan=plan).order_by("held_on", "pk"):
        target = group_for(s)
        {"workshop": target.workshops, "hearing": target.hearings}.get(s.kind, target.other_sessions).append(s)
    meetings = plan_committee_meetings(plan)
    committee_group = {}
    for m in meetings:
        if m.held_on is not None:
            committee_group.setdefault(m.committee_id, group_for(m))
    for m in meetings:
        # An undated meeting stays with its committee's dated meetings (they ran as one series).
        (group_for(m) if m.held_on is not None else committee_group.get(m.committee_id, other)).meetings.append(m)
    for p in plan_comment_periods(plan):
        group_for(p).periods.append(p)
    return groups + ([other] if not other.is_empty else [])


def overview_counts(plan):
    """The headline numbers of the formulation record. A fixed number of queries."""
    surveys = plan_surveys(plan)
    sessions = (
        EngagementSession.objects.filter(plan=plan)
        .order_by()
        .values("kind")
        .annotate(n=Sum("occurrences"), records=Count("pk"), people=Count("participants"))
    )
    by_kind = {row["kind"]: row for row in sessions}
    participants = EngagementSession.objects.filter(plan=plan, kind=EngagementSession.Kind.WORKSHOP).aggregate(
        total=Sum("participants")
    )["total"]
    voice_counter = count_by_source(Voice.objects.filter(plan=plan))
    return {
        "surveys": len(surveys),
        "distributed": sum(q.distributed or 0 for q in surveys),
        "responses": sum(q.returned_count or 0 for q in surveys),
        "workshops": by_kind.get("workshop", {}).get("n", 0),
        "workshops_without_count": by_kind.get("workshop", {}).get("records", 0)
        - by_kind.get("workshop", {}).get("people", 0),
        "participants": participants or 0,
        "hearings": by_kind.get("hearing", {}).get("n", 0),
        "voices": sum(voice_counter.values()),
        "voices_by_source": source_counts(voice_counter),
        "committee_meetings": CommitteeMeeting.objects.filter(committee__plan=plan).count(),
        "comments": PublicComment.objects.filter(period__plan=plan)
        .exclude(status=PublicComment.Status.EXCLUDED)
        .count(),
    }


# --------------------------------------------------------------------------- traceability


@dataclass
class IssueTrace:
    issue: CommunityIssue
    counts: list  # source_counts
    total: int
    nodes: list

    few: bool = False

    @property
    def no_goal(self):
        return not self.nodes


def _issue_voice_counts(plan):
    """{issue id: Counter(source → voices)} in one query."""
    through = Voice.issues.through
    result = defaultdict(Counter)
    for issue_id, source, n in (
        through.objects.filter(voice__plan=plan)
        .order_by()
        .values_list("communityissue_id", "voice__source")
        .annotate(n=Count("pk"))
    ):
        result[issue_id][source] += n
    return result


def trace(plan, *, threshold=FEW_VOICES):
    """Every issue with its voices by source and the items answering it; flags issues with fewer voices
    than ``threshold`` or no item; goals (top items) with no issue and no voice anywhere below them,
    and items with neither. Five queries, whatever the number of voices."""
    tree = plan_tree(plan)
    counts = _issue_voice_counts(plan)
    voiced_nodes = set(
        Voice.nodes.through.objects.filter(voice__plan=plan).values_list("plannode_id", flat=True).distinct()
    )
    rows = []
    for issue in tree.issues:
        counter = counts.get(issue.pk, Counter())
        total = sum(counter.values())
        rows.append(
            IssueTrace(
                issue=issue,
                counts=source_counts(counter),
                total=total,
                nodes=tree.nodes_by_issue.get(issue.pk, []),
                few=total < threshold,
            )
        )
    bare_nodes = [n for n in tree.walk() if not n.issue_list and n.pk not in voiced_nodes]
    bare_ids = {n.pk for n in bare_nodes}
    bare_goals = [root for root in tree.roots if all(n.pk in bare_ids for n in tree.walk([root]))]
    unlinked_voices = Voice.objects.filter(plan=plan, issues__isnull=True, nodes__isnull=True).count()
    return {
        "tree": tree,
        "rows": rows,
        "threshold": threshold,
        "few": [r for r in rows if r.few],
        "no_goal": [r for r in rows if r.no_goal],
        "bare_goals": bare_goals,
        "bare_nodes": bare_nodes,
        "unlinked_voices": unlinked_voices,
        "node_count": len(tree.by_id),
    }


def _figures(plan, tree):
    """Indicator figures of the current fiscal year by node id (optional: empty if progress is absent)."""
    try:
        from sasaeai.progress.selectors import default_fiscal_year, plan_figures
    except ImportError:  # pragma: no cover - progress is installed in this project
        return None, {}
    year = default_fiscal_year(plan)
    _tree, figures = plan_figures(plan, year, tree=tree)
    return year, figures


ISSUE_VOICES_SHOWN = 50


def issue_trace(plan, issue):
    """One issue: its voices by source (the first 50 of each source) and the items answering it with
    their indicators' 達成率. At most five voice queries, however many voices there are."""
    tree = plan_tree(plan)
    linked = voices_queryset(plan).filter(issues=issue)
    counter = count_by_source(Voice.objects.filter(plan=plan, issues=issue))
    groups = [
        (s.value, s.label, list(linked.filter(source=s.value).order_by("pk")[:ISSUE_VOICES_SHOWN]), counter[s.value])
        for s in SOURCES
        if counter.get(s.value)
    ]
    nodes = tree.nodes_by_issue.get(issue.pk, [])
    year, figures = _figures(plan, tree) if nodes else (None, {})
    return {
        "tree": tree,
        "total": sum(counter.values()),
        "groups": groups,
        "counts": source_counts(counter),
        "shown": ISSUE_VOICES_SHOWN,
        "nodes": [(n, tree.ancestors(n), figures.get(n.pk)) for n in nodes],
        "year": year,
    }


def voice_chain(plan, voice):
    """voice → issues → items answering them (and items linked directly) → indicators and 達成率."""
    tree = plan_tree(plan)
    year, figures = _figures(plan, tree)
    issues = []
    for issue in voice.issues.all():
        nodes = tree.nodes_by_issue.get(issue.pk, [])
        issues.append((issue, [(n, tree.ancestors(n), figures.get(n.pk)) for n in nodes]))
    direct = [tree.by_id[n.pk] for n in voice.nodes.all() if n.pk in tree.by_id]
    return {
        "issues": issues,
        "direct": [(n, tree.ancestors(n), figures.get(n.pk)) for n in direct],
        "year": year,
        "has_nodes": bool(direct) or any(nodes for _issue, nodes in issues),
    }


def node_voices(node, *, issue_ids=None):
    """Voices linked to ``node`` and voices linked to the node's issues (not already linked directly),
    with counts per source. Four queries."""
    if issue_ids is None:
        issue_ids = list(node.issues.values_list("pk", flat=True))
    base = (
        Voice.objects.filter(plan_id=node.plan_id)
        .select_related("session", "question", "comment__period")
        .prefetch_related("tags")
    )
    direct_ids = Voice.nodes.through.objects.filter(plannode_id=node.pk).values("voice_id")
    direct = list(base.filter(pk__in=direct_ids).order_by("pk")[:NODE_VOICES_SHOWN])
    direct_counter = count_by_source(Voice.objects.filter(pk__in=direct_ids))
    via, via_counter = [], Counter()
    if issue_ids:
        via_ids = (
            Voice.issues.through.objects.filter(communityissue_id__in=issue_ids)
            .exclude(voice_id__in=direct_ids)
            .values("voice_id")
        )
        via_counter = count_by_source(Voice.objects.filter(pk__in=via_ids))
        via = list(base.filter(pk__in=via_ids).prefetch_related("issues").order_by("pk")[:NODE_VOICES_SHOWN])
    return {
        "direct": direct,
        "direct_total": sum(direct_counter.values()),
        "direct_counts": source_counts(direct_counter),
        "via": via,
        "via_total": sum(via_counter.values()),
        "via_counts": source_counts(via_counter),
    }
