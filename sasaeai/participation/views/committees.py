"""Screens of committees (council level): list, members, meetings with attendance and materials.
Thin: permission, form, one service, redirect."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from sasaeai.accounts.decorators import council_permission
from sasaeai.core.files import stored_file_response
from sasaeai.core.view_helpers import form_errors_from

from ..forms import (
    CommitteeForm,
    MeetingForm,
    MemberFormSet,
    MembersQuickForm,
    member_rows,
)
from ..models import Committee
from ..permissions import MANAGE, MATERIALS
from ..permissions import VIEW as READ
from ..selectors import committees as committee_selectors
from ..services import committees as committee_services

# --------------------------------------------------------------------------- committees (council level)


def _cctx(request, council, **extra):
    return {
        "council": council,
        "perms_here": request.council_permissions,
        "can_manage": MANAGE in request.council_permissions,
        **extra,
    }


def _council_plans(council):
    from sasaeai.plans.models import Plan

    return Plan.objects.filter(council=council).order_by("-period_start", "title")


@council_permission(READ)
def committee_list(request, council):
    return render(
        request,
        "participation/committee_list.html",
        _cctx(request, council, committees=committee_selectors.committees_for(council)),
    )


def _committee_form(request, council, committee=None):
    if committee is not None:
        initial = {
            "kind": committee.kind,
            "name": committee.name,
            "plan": committee.plan_id,
            "term_start": committee.term_start,
            "term_end": committee.term_end,
        }
    else:
        plan_id = request.GET.get("plan", "")
        kind = request.GET.get("kind", "")
        initial = {
            "plan": int(plan_id) if plan_id.isdigit() else None,
            "kind": kind if kind in Committee.Kind.values else Committee.Kind.FORMULATION,
        }
    form = CommitteeForm(request.POST or None, initial=initial, plans=_council_plans(council))
    status = 200
    if request.method == "POST":
        if committee is not None and request.POST.get("delete"):
            committee_services.committee_delete(committee=committee, by=request.user)
            messages.success(request, _("「%(name)s」を削除しました。") % {"name": committee.name})
            return redirect("participation:committees", council_id=council.pk)
        if form.is_valid():
            try:
                saved = committee_services.committee_save(
                    council=council, by=request.user, committee=committee, **form.cleaned_data
                )
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                messages.success(request, _("「%(name)s」を保存しました。") % {"name": saved.name})
                return redirect("participation:committee", council_id=council.pk, committee_id=saved.pk)
        status = 400
    return render(
        request,
        "participation/committee_form.html",
        _cctx(request, council, form=form, committee=committee),
        status=status,
    )


@council_permission(MANAGE)
def committee_create(request, council):
    return _committee_form(request, council)


@council_permission(MANAGE)
def committee_edit(request, council, committee_id):
    return _committee_form(request, council, committee_selectors.committee_get(council, committee_id))


@council_permission(READ)
def committee_detail(request, council, committee_id):
    committee = committee_selectors.committee_get(council, committee_id)
    members = committee_selectors.committee_members(committee)
    meetings = committee_selectors.committee_meetings(committee)
    for meeting in meetings:
        present = {m.pk for m in meeting.attendees.all()}
        meeting.attendee_list = [m for m in members if m.pk in present]
        meeting.absent_count = len(members) - len(meeting.attendee_list)
    return render(
        request,
        "participation/committee_detail.html",
        _cctx(request, council, committee=committee, members=members, meetings=meetings),
    )


@council_permission(MANAGE)
def committee_members(request, council, committee_id):
    from sasaeai.accounts.selectors import users_for_council

    committee = committee_selectors.committee_get(council, committee_id)
    members = committee_selectors.committee_members(committee)
    users = users_for_council(council)
    initial = [
        {
            "id": m.pk,
            "name": m.name,
            "affiliation": m.affiliation,
            "category": m.category,
            "role": m.role,
            "user": m.user_id,
        }
        for m in members
    ]
    formset = MemberFormSet(request.POST or None, initial=initial, prefix="members", form_kwargs={"users": users})
    quick = MembersQuickForm(request.POST or None, prefix="quick")
    errors = []
    if request.method == "POST":
        if formset.is_valid() and quick.is_valid():
            rows = member_rows(formset) + [dict(p, id=None) for p in quick.people()]
            try:
                committee_services.committee_members_save(committee=committee, by=request.user, rows=rows)
            except ValidationError as exc:
                errors = exc.messages
            else:
                messages.success(request, _("委員を保存しました（%(n)s人）。") % {"n": len(rows)})
                return redirect("participation:committee", council_id=council.pk, committee_id=committee.pk)
        else:
            errors = [_("入力内容を確認してください。赤く示した項目に誤りがあります。保存はしていません。")]
    return render(
        request,
        "participation/committee_members.html",
        _cctx(request, council, committee=committee, formset=formset, quick=quick, errors=errors),
        status=400 if errors else 200,
    )


def _meeting_form(request, council, committee, meeting=None):
    members = committee.members.order_by("position", "pk")
    if meeting is not None:
        initial = {
            "number": meeting.number,
            "held_on": meeting.held_on,
            "place": meeting.place,
            "agenda": meeting.agenda,
            "minutes": meeting.minutes,
            "attendees": list(meeting.attendees.all()),
        }
    else:
        last = committee.meetings.order_by("-number").values_list("number", flat=True).first()
        initial = {"number": (last or 0) + 1, "attendees": list(members)}
    form = MeetingForm(
        request.POST or None,
        request.FILES or None,
        initial=initial,
        members=members,
        materials=meeting.materials.all() if meeting else (),
        max_material_bytes=settings.SASAEAI_ATTACHMENT_MAX_BYTES,
    )
    status = 200
    back = reverse("participation:committee", args=[council.pk, committee.pk])
    if request.method == "POST":
        if meeting is not None and request.POST.get("delete"):
            committee_services.committee_meeting_delete(meeting=meeting, by=request.user)
            messages.success(request, _("第%(n)s回の会議の記録を削除しました。") % {"n": meeting.number})
            return redirect(back)
        if form.is_valid():
            try:
                saved = committee_services.committee_meeting_save(
                    committee=committee,
                    by=request.user,
                    meeting=meeting,
                    attendees=form.cleaned_data["attendees"],
                    remove_materials=form.removed_materials(),
                    material=form.cleaned_data.get("material"),
                    **form.meeting_fields(),
                )
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                messages.success(request, _("第%(n)s回の会議を保存しました。") % {"n": saved.number})
                return redirect(back + f"#meeting-{saved.pk}")
        status = 400
    return render(
        request,
        "participation/committee_meeting_form.html",
        _cctx(request, council, committee=committee, meeting=meeting, form=form, back=back),
        status=status,
    )


@council_permission(MANAGE)
def meeting_create(request, council, committee_id):
    return _meeting_form(request, council, committee_selectors.committee_get(council, committee_id))


@council_permission(MANAGE)
def meeting_edit(request, council, committee_id, meeting_id):
    committee = committee_selectors.committee_get(council, committee_id)
    return _meeting_form(request, council, committee, committee_selectors.meeting_get(committee, meeting_id))


@council_permission(MATERIALS)
def material_download(request, council, material_id):
    material = committee_selectors.material_get(council, material_id)
    return stored_file_response(material.file, name=material.name, content_type=material.content_type)
