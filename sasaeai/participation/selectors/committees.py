"""Reads of committees: the council's committees, members, meetings and materials, each fetched and
checked against the council in one call (the same 404 for missing and foreign)."""

from __future__ import annotations

from django.db.models import Count
from django.http import Http404

from ..models import Committee, CommitteeMeeting, CommitteeMember, MeetingMaterial

# --------------------------------------------------------------------------- committees


def committees_for(council, plan=None):
    qs = (
        Committee.objects.filter(council=council)
        .select_related("plan")
        .annotate(member_count=Count("members", distinct=True), meeting_count=Count("meetings", distinct=True))
    )
    if plan is not None:
        qs = qs.filter(plan=plan)
    return list(qs.order_by("kind", "name", "pk"))


def committee_get(council, committee_id) -> Committee:
    try:
        return Committee.objects.select_related("plan", "council").get(pk=int(committee_id), council=council)
    except (Committee.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def committee_members(committee):
    return list(CommitteeMember.objects.filter(committee=committee).select_related("user").order_by("position", "pk"))


def committee_meetings(committee):
    """Meetings in number order, each with attendees and materials prefetched."""
    return list(
        CommitteeMeeting.objects.filter(committee=committee)
        .prefetch_related("attendees", "materials")
        .order_by("number")
    )


def meeting_get(committee, meeting_id) -> CommitteeMeeting:
    try:
        return CommitteeMeeting.objects.select_related("committee").get(pk=int(meeting_id), committee=committee)
    except (CommitteeMeeting.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def material_get(council, material_id) -> MeetingMaterial:
    try:
        return MeetingMaterial.objects.select_related("meeting__committee").get(
            pk=int(material_id), meeting__committee__council=council
        )
    except (MeetingMaterial.DoesNotExist, TypeError, ValueError):
        raise Http404 from None
