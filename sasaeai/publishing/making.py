"""How the plan was made, for the public plan page: counts and themes, never a person.

Frozen with the plan's structure (``snapshot.build_structure``) and shown on /public/<slug>/plans/<id>/making/:
- the formulation timeline (``FormulationStep``: the steps the council recorded, with their dates);
- surveys: who was asked, how many were distributed and returned, the response rate (numbers only);
- workshops and group hearings: how many were held and how many took part, and the fields heard;
- what people said, as counts: voices per source, per 地域生活課題, per plan item and per theme (tag);
  never the text of a voice, never who said it (speaker attributes are left out too);
- committees: name, number of members and of meetings, and when they met (never a member's name);
- public comment periods: dates, the number of comments received, and the results page when published.
Everything marked ``is_sample`` (the demo's invented data) is left out.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Count, Q

from sasaeai.core import fiscal
from sasaeai.plans.models import Plan


def _date(value: date | None) -> dict[str, str] | None:
    if value is None:
        return None
    return {"iso": value.isoformat(), "label": fiscal.display_date(value)}


def _steps(plan: Plan) -> list[dict[str, Any]]:
    from sasaeai.participation.models import FormulationStep

    return [
        {
            "name": step.name,
            "start": _date(step.start_date),
            "end": _date(step.end_date),
            "description": step.description,
            "outputs": step.outputs,
        }
        for step in FormulationStep.objects.filter(plan=plan).order_by("position", "pk")
    ]


def _surveys(plan: Plan) -> list[dict[str, Any]]:
    from sasaeai.participation.models import Questionnaire
    from sasaeai.participation.selectors.surveys import response_rate

    surveys = (
        Questionnaire.objects.filter(plan=plan, kind=Questionnaire.Kind.SURVEY, is_sample=False)
        .exclude(status=Questionnaire.Status.DRAFT)
        .annotate(held=Count("responses", filter=Q(responses__is_sample=False)))
        .order_by("opens_on", "pk")
    )
    result = []
    for survey in surveys:
        figures = response_rate(survey, survey.held)
        result.append(
            {
                "title": survey.title,
                "audience": survey.audience,
                "opens_on": _date(survey.opens_on),
                "closes_on": _date(survey.closes_on),
                "distributed": figures.distributed,
                "returned": figures.returned,
                "rate": None if figures.rate is None else str(figures.rate),
            }
        )
    return result


def _sessions(plan: Plan) -> list[dict[str, Any]]:
    """Workshops and hearings by kind: how many were held, how many took part, the fields heard."""
    from sasaeai.participation.models import EngagementSession

    by_kind: dict[str, dict[str, Any]] = {}
    for session in EngagementSession.objects.filter(plan=plan, is_sample=False).order_by("held_on", "pk"):
        entry = by_kind.setdefault(
            session.kind,
            {
                "kind": session.kind,
                "kind_label": str(EngagementSession.Kind(session.kind).label),
                "held": 0,
                "participants": None,
                "fields": [],
                "first": None,
                "last": None,
            },
        )
        entry["held"] += session.occurrences or 1
        if session.participants is not None:
            entry["participants"] = (entry["participants"] or 0) + session.participants
        if session.field and session.field not in entry["fields"]:
            entry["fields"].append(session.field)
        if session.held_on:
            entry["first"] = entry["first"] or _date(session.held_on)
            entry["last"] = _date(session.held_on)
    return list(by_kind.values())


def _voices(plan: Plan) -> dict[str, Any]:
    """Counts only: the voices behind the plan by source, 地域生活課題, plan item and theme."""
    from sasaeai.participation.models import Tag, Voice
    from sasaeai.plans.models import CommunityIssue, PlanNode

    voices = Voice.objects.filter(plan=plan, is_sample=False)
    by_source = [
        {"source": row["source"], "label": str(Voice.Source(row["source"]).label), "count": row["n"]}
        for row in voices.values("source").annotate(n=Count("pk")).order_by("source")
        if row["source"] in Voice.Source.values
    ]
    real = Q(voices__is_sample=False, voices__plan=plan)
    issues = [
        {"code": i.code, "title": i.title, "count": i.n}
        for i in CommunityIssue.objects.filter(plan=plan)
        .annotate(n=Count("voices", filter=real))
        .order_by("position", "pk")
    ]
    nodes = [
        {"id": n.pk, "code": n.code, "title": n.title, "count": n.n}
        for n in PlanNode.objects.filter(plan=plan)
        .annotate(n=Count("voices", filter=real))
        .filter(n__gt=0)
        .order_by("pk")
    ]
    themes = [
        {"name": t.name, "count": t.n}
        for t in Tag.objects.filter(voices__plan=plan, voices__is_sample=False)
        .annotate(n=Count("voices", distinct=True))
        .order_by("-n", "name")
    ]
    return {"total": voices.count(), "by_source": by_source, "issues": issues, "nodes": nodes, "themes": themes}


def _committees(plan: Plan) -> list[dict[str, Any]]:
    from sasaeai.participation.models import Committee, CommitteeMeeting

    committees = list(
        Committee.objects.filter(plan=plan, is_sample=False)
        .annotate(member_count=Count("members", distinct=True))
        .order_by("kind", "name", "pk")
    )
    meetings: dict[int, list[dict[str, Any]]] = {}
    for meeting in CommitteeMeeting.objects.filter(committee__in=committees, is_sample=False).order_by("number", "pk"):
        meetings.setdefault(meeting.committee_id, []).append(
            {"number": meeting.number, "held_on": _date(meeting.held_on), "date_note": meeting.date_note}
        )
    return [
        {
            "name": c.name,
            "kind": c.kind,
            "kind_label": str(Committee.Kind(c.kind).label),
            "term_start": _date(c.term_start),
            "term_end": _date(c.term_end),
            "members": c.member_count,
            "meeting_count": len(meetings.get(c.pk, [])),
            "meetings": meetings.get(c.pk, []),
        }
        for c in committees
    ]


def _comment_periods(plan: Plan) -> list[dict[str, Any]]:
    from sasaeai.participation.models import PublicComment, PublicCommentPeriod

    counted = Q(comments__is_sample=False) & ~Q(comments__status=PublicComment.Status.EXCLUDED)
    periods = (
        PublicCommentPeriod.objects.filter(plan=plan, is_sample=False)
        .annotate(received=Count("comments", filter=counted))
        .order_by("opens_on", "pk")
    )
    return [
        {
            "title": p.title,
            "opens_on": _date(p.opens_on),
            "closes_on": _date(p.closes_on),
            "comments": p.received,
            "results_published": p.results_published,
            "results_published_on": _date(p.results_published_on) if p.results_published else None,
            # The key of the public results page (participation's public:comment_results), only once published.
            "results_key": p.public_key if p.results_published else "",
        }
        for p in periods
    ]


def build(plan: Plan) -> dict[str, Any]:
    making: dict[str, Any] = {
        "steps": _steps(plan),
        "surveys": _surveys(plan),
        "sessions": _sessions(plan),
        "voices": _voices(plan),
        "committees": _committees(plan),
        "comment_periods": _comment_periods(plan),
    }
    voices = making["voices"]
    making["has_content"] = bool(
        making["steps"]
        or making["surveys"]
        or making["sessions"]
        or voices["total"]
        or making["committees"]
        or making["comment_periods"]
    )
    return making


def take_part(council_id: int, today: date) -> dict[str, list[dict[str, Any]]]:
    """What residents can take part in right now (live, not frozen): the council's public comment periods
    open today and its online surveys taking answers today, as the participation pages decide (dates and,
    for surveys, the 回答受付中 state). Samples are never listed."""
    from sasaeai.participation.models import PublicCommentPeriod, Questionnaire

    periods = (
        PublicCommentPeriod.objects.filter(
            plan__council_id=council_id, is_sample=False, opens_on__lte=today, closes_on__gte=today
        )
        .select_related("plan")
        .order_by("closes_on", "pk")
    )
    surveys = (
        Questionnaire.objects.filter(
            council_id=council_id,
            kind=Questionnaire.Kind.SURVEY,
            status=Questionnaire.Status.OPEN,
            is_sample=False,
            public_key__isnull=False,
        )
        .exclude(public_key="")
        .filter(Q(opens_on__isnull=True) | Q(opens_on__lte=today))
        .filter(Q(closes_on__isnull=True) | Q(closes_on__gte=today))
        .order_by("closes_on", "pk")
    )
    return {
        "comments": [
            {"key": p.public_key, "title": p.title, "plan": p.plan.title, "closes_on": _date(p.closes_on)}
            for p in periods
        ],
        "surveys": [{"key": s.public_key, "title": s.title, "closes_on": _date(s.closes_on)} for s in surveys],
    }
