"""Screens of the formulation record: overview and timeline, steps, workshops and hearings, voices,
traceability, committees. Thin: permission, form, one service, redirect."""
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext as _

from sasaeai.accounts.decorators import council_permission, plan_permission
from sasaeai.core.files import stored_file_response
from sasaeai.plans.selectors import issue_get, plan_tree
from sasaeai.plans.views import _form_errors_from

from . import selectors, services
from .forms import (
    FIELD_SUGGESTIONS,
    BulkLinkForm,
    CommitteeForm,
    MeetingForm,
    MemberFormSet,
    MembersQuickForm,
    QuickVoicesForm,
    SessionForm,
    StepFormSet,
    TagForm,
    VoiceForm,
    member_rows,
    step_rows,
)
from .models import Committee, EngagementSession, Voice

READ = "participation.view"
MANAGE = "participation.manage"


def _ctx(request, plan, **extra):
    return {"plan": plan, "perms_here": request.council_permissions,
            "can_manage": MANAGE in request.council_permissions, **extra}


def _require_manage(request):
    if MANAGE not in request.council_permissions:
        raise Http404


def _node_options(rows, selected=None):
    """<option>s of every plan item, indented by depth (built without a template per row)."""
    return format_html_join("", '<option value="{}"{}>{}{}: {}</option>', (
        (n.pk, " selected" if n.pk == selected else "", "\u3000" * depth, n.level.name, n.label) for n, depth in rows))


# --------------------------------------------------------------------------- overview, steps


@plan_permission(READ)
def overview(request, plan):
    return render(request, "participation/overview.html", _ctx(
        request, plan, counts=selectors.overview_counts(plan), groups=selectors.timeline(plan),
        committees=selectors.committees_for(plan.council, plan=plan)))


@plan_permission(MANAGE)
def steps_edit(request, plan):
    steps = list(plan.formulation_steps.order_by("position", "pk"))
    if steps:
        initial = [{"id": s.pk, "name": s.name, "start_date": s.start_date, "end_date": s.end_date,
                    "description": s.description, "outputs": s.outputs} for s in steps]
    else:
        initial = [{"name": name} for name in services.default_step_names()]
    formset = StepFormSet(request.POST or None, initial=initial, prefix="steps")
    errors = []
    if request.method == "POST":
        if formset.is_valid():
            try:
                services.formulation_steps_save(plan=plan, by=request.user, rows=step_rows(formset))
            except ValidationError as exc:
                errors = exc.messages
            else:
                messages.success(request, _("策定の工程を保存しました。"))
                return redirect(reverse("participation:overview", args=[plan.pk]) + "#timeline")
        else:
            errors = [_("入力内容を確認してください。赤く示した項目に誤りがあります。保存はしていません。")]
    return render(request, "participation/steps_form.html", _ctx(
        request, plan, formset=formset, errors=errors, suggested=not steps), status=400 if errors else 200)


# --------------------------------------------------------------------------- workshops and hearings


@plan_permission(READ)
def session_list(request, plan):
    kind = request.GET.get("kind", "")
    kind = kind if kind in EngagementSession.Kind.values else ""
    sessions = selectors.sessions_for(plan, kind or None)
    return render(request, "participation/session_list.html", _ctx(
        request, plan, sessions=sessions, kind=kind, kinds=EngagementSession.Kind.choices,
        total_participants=sum(s.participants or 0 for s in sessions),
        without_count=sum(1 for s in sessions if s.participants is None),
        total_voices=sum(s.voice_count for s in sessions)))


def _session_form(request, plan, session=None):
    if session is not None:
        initial = {f: getattr(session, f) for f in services.SESSION_FIELDS}
    else:
        kind = request.GET.get("kind", "")
        initial = {"kind": kind if kind in EngagementSession.Kind.values else EngagementSession.Kind.WORKSHOP}
    form = SessionForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if session is not None and request.POST.get("delete"):
            services.session_delete(session=session, by=request.user)
            messages.success(request, _("「%(title)s」を削除しました。") % {"title": session.title})
            return redirect("participation:sessions", plan_id=plan.pk)
        if form.is_valid():
            try:
                saved = services.session_save(plan=plan, by=request.user, session=session, **form.cleaned_data)
            except ValidationError as exc:
                _form_errors_from(exc, form)
            else:
                messages.success(request, _("「%(title)s」を保存しました。") % {"title": saved.title})
                return redirect("participation:session", plan_id=plan.pk, session_id=saved.pk)
        status = 400
    return render(request, "participation/session_form.html", _ctx(
        request, plan, form=form, session=session, suggestions=FIELD_SUGGESTIONS,
        voice_count=session.voices.count() if session else 0), status=status)


@plan_permission(MANAGE)
def session_create(request, plan):
    return _session_form(request, plan)


@plan_permission(MANAGE)
def session_edit(request, plan, session_id):
    return _session_form(request, plan, selectors.session_get(plan, session_id))


def _link_form_kwargs(plan, tree):
    from sasaeai.plans.models import CommunityIssue

    from .models import Tag

    return {"issues": CommunityIssue.objects.filter(plan=plan).order_by("position", "pk"),
            "node_rows": tree.rows(), "tags": Tag.objects.filter(council=plan.council).order_by("name")}


def _links_from(form, plan, tree, by):
    """(issues, nodes, tags) chosen in a link form; new tags are made."""
    data = form.cleaned_data
    nodes = [tree.by_id[pk] for pk in data.get("nodes") or [] if pk in tree.by_id]
    tags = list(data.get("tags") or [])
    if data.get("new_tags"):
        for tag in services.tags_from_names(council=plan.council, by=by, names=data["new_tags"]):
            if tag not in tags:
                tags.append(tag)
    return list(data.get("issues") or []), nodes, tags


@plan_permission(READ)
def session_detail(request, plan, session_id):
    session = selectors.session_get(plan, session_id)
    can_manage = MANAGE in request.council_permissions
    form = None
    status = 200
    if can_manage:
        tree = plan_tree(plan)
        form = QuickVoicesForm(request.POST or None, **_link_form_kwargs(plan, tree))
    if request.method == "POST":
        _require_manage(request)
        if form.is_valid():
            try:
                with transaction.atomic():
                    issues, nodes, tags = _links_from(form, plan, tree, request.user)
                    added = services.voices_add(plan=plan, by=request.user, session=session, texts=form.lines(),
                                                speaker=form.cleaned_data["speaker"], issues=issues, nodes=nodes,
                                                tags=tags)
            except ValidationError as exc:
                _form_errors_from(exc, form)
            else:
                messages.success(request, _("意見を %(n)s 件追加しました。") % {"n": len(added)})
                return redirect(reverse("participation:session", args=[plan.pk, session.pk]) + "#voices")
        status = 400
    return render(request, "participation/session_detail.html", _ctx(
        request, plan, session=session, voices=selectors.session_voices(session), form=form), status=status)


# --------------------------------------------------------------------------- voices


@plan_permission(READ)
def voice_list(request, plan):
    filters = selectors.VoiceFilters.from_query(request.GET)
    tree = plan_tree(plan)
    can_manage = MANAGE in request.council_permissions
    form = BulkLinkForm(request.POST or None, **_link_form_kwargs(plan, tree)) if can_manage else None
    status = 200
    if request.method == "POST":
        _require_manage(request)
        if form.is_valid():
            ids = form.cleaned_data["voice"]
            voices = list(Voice.objects.filter(plan=plan, pk__in=ids))
            try:
                if not ids:
                    raise ValidationError({"voice": _("結び付ける意見を選んでください（一覧の左の四角）。")})
                if len(voices) != len(ids):
                    raise ValidationError({"voice": _("選んだ意見の一部が見つかりません。")})
                with transaction.atomic():
                    issues, nodes, tags = _links_from(form, plan, tree, request.user)
                    changed = services.voices_link(plan=plan, by=request.user, voices=voices, issues=issues,
                                                   nodes=nodes, tags=tags, remove=form.cleaned_data["mode"] == "remove")
            except ValidationError as exc:
                if hasattr(exc, "error_dict") and "voices" in exc.error_dict:
                    exc = ValidationError({"voice": exc.error_dict["voices"]})
                _form_errors_from(exc, form)
            else:
                if form.cleaned_data["mode"] == "remove":
                    messages.success(request, _("%(v)s 件の意見から結び付きを %(n)s 件外しました。") % {"v": len(voices), "n": changed})
                else:
                    messages.success(request, _("%(v)s 件の意見に結び付きを %(n)s 件加えました。") % {"v": len(voices), "n": changed})
                query = filters.querystring(page=request.GET.get("page", ""))
                return redirect(reverse("participation:voices", args=[plan.pk]) + (f"?{query}" if query else ""))
        status = 400
    page = selectors.voices_page(plan, filters, request.GET.get("page") or 1)
    selected_ids = set(form.cleaned_data.get("voice") or []) if form is not None and form.is_bound else set()
    return render(request, "participation/voice_list.html", _ctx(
        request, plan, page=page, filters=filters, form=form, sources=Voice.Source.choices,
        sessions=selectors.sessions_for(plan), issues=tree.issues, tags=selectors.tags_for(plan.council),
        node_options=_node_options(tree.rows(), filters.node), selected_ids=selected_ids,
        page_query=filters.querystring()), status=status)


def _voice_form(request, plan, voice=None):
    tree = plan_tree(plan)
    fixed = voice is not None and voice.source in (Voice.Source.SURVEY, Voice.Source.PUBLIC_COMMENT)
    initial = {}
    if voice is not None:
        initial = {"text": voice.text, "speaker": voice.speaker, "source": voice.source, "session": voice.session_id,
                   "issues": list(voice.issues.all()), "nodes": [n.pk for n in voice.nodes.all()],
                   "tags": list(voice.tags.all())}
    else:
        session_id = request.GET.get("session", "")
        if session_id.isdigit():
            initial["session"] = selectors.session_get(plan, session_id).pk
    form = VoiceForm(request.POST or None, initial=initial, fixed_origin=fixed,
                     sessions=EngagementSession.objects.filter(plan=plan).order_by("held_on", "pk"),
                     **_link_form_kwargs(plan, tree))
    status = 200
    if request.method == "POST":
        if voice is not None and request.POST.get("delete"):
            services.voice_delete(voice=voice, by=request.user)
            messages.success(request, _("意見を削除しました。"))
            return redirect("participation:voices", plan_id=plan.pk)
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    issues, nodes, tags = _links_from(form, plan, tree, request.user)
                    saved = services.voice_save(
                        plan=plan, by=request.user, voice=voice, text=data["text"], speaker=data["speaker"],
                        source=data.get("source") or None, session=data.get("session") if not fixed else None,
                        issues=issues, nodes=nodes, tags=tags)
            except ValidationError as exc:
                _form_errors_from(exc, form)
            else:
                messages.success(request, _("意見を保存しました。"))
                return redirect("participation:voice", plan_id=plan.pk, voice_id=saved.pk)
        status = 400
    return render(request, "participation/voice_form.html", _ctx(request, plan, form=form, voice=voice), status=status)


@plan_permission(MANAGE)
def voice_create(request, plan):
    return _voice_form(request, plan)


@plan_permission(MANAGE)
def voice_edit(request, plan, voice_id):
    return _voice_form(request, plan, selectors.voice_get(plan, voice_id))


@plan_permission(READ)
def voice_detail(request, plan, voice_id):
    voice = selectors.voice_get(plan, voice_id)
    return render(request, "participation/voice_detail.html", _ctx(
        request, plan, voice=voice, chain=selectors.voice_chain(plan, voice)))


@plan_permission(MANAGE)
def tags(request, plan):
    council = plan.council
    tag_id = request.POST.get("tag", "") if request.method == "POST" else ""
    tag = selectors.tag_get(council, tag_id) if tag_id else None
    form = TagForm(request.POST or None, prefix=f"tag{tag.pk}" if tag else "new")
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.tag_save(council=council, by=request.user, tag=tag, name=form.cleaned_data["name"])
            except ValidationError as exc:
                _form_errors_from(exc, form)
            else:
                messages.success(request, _("タグ「%(name)s」を保存しました。") % {"name": form.cleaned_data["name"]})
                return redirect("participation:tags", plan_id=plan.pk)
        status = 400
    tag_list = selectors.tags_for(council)
    rows = [(t, form if tag is not None and tag.pk == t.pk else TagForm(prefix=f"tag{t.pk}", initial={"name": t.name}))
            for t in tag_list]
    return render(request, "participation/tags.html", _ctx(
        request, plan, rows=rows, new_form=form if tag is None else TagForm(prefix="new")), status=status)


# --------------------------------------------------------------------------- traceability


@plan_permission(READ)
def trace(request, plan):
    threshold = request.GET.get("threshold", "")
    threshold = int(threshold) if threshold.isdigit() and 1 <= int(threshold) <= 100 else selectors.FEW_VOICES
    data = selectors.trace(plan, threshold=threshold)
    return render(request, "participation/trace.html", _ctx(request, plan, sources=Voice.Source.choices, **data))


@plan_permission(READ)
def issue_detail(request, plan, issue_id):
    issue = issue_get(plan, issue_id)
    return render(request, "participation/issue_detail.html", _ctx(
        request, plan, issue=issue, threshold=selectors.FEW_VOICES, **selectors.issue_trace(plan, issue)))


# --------------------------------------------------------------------------- committees (council level)


def _cctx(request, council, **extra):
    return {"council": council, "perms_here": request.council_permissions,
            "can_manage": MANAGE in request.council_permissions, **extra}


def _council_plans(council):
    from sasaeai.plans.models import Plan

    return Plan.objects.filter(council=council).order_by("-period_start", "title")


@council_permission(READ)
def committee_list(request, council):
    return render(request, "participation/committee_list.html", _cctx(
        request, council, committees=selectors.committees_for(council)))


def _committee_form(request, council, committee=None):
    if committee is not None:
        initial = {"kind": committee.kind, "name": committee.name, "plan": committee.plan_id,
                   "term_start": committee.term_start, "term_end": committee.term_end}
    else:
        plan_id = request.GET.get("plan", "")
        kind = request.GET.get("kind", "")
        initial = {"plan": int(plan_id) if plan_id.isdigit() else None,
                   "kind": kind if kind in Committee.Kind.values else Committee.Kind.FORMULATION}
    form = CommitteeForm(request.POST or None, initial=initial, plans=_council_plans(council))
    status = 200
    if request.method == "POST":
        if committee is not None and request.POST.get("delete"):
            services.committee_delete(committee=committee, by=request.user)
            messages.success(request, _("「%(name)s」を削除しました。") % {"name": committee.name})
            return redirect("participation:committees", council_id=council.pk)
        if form.is_valid():
            try:
                saved = services.committee_save(council=council, by=request.user, committee=committee,
                                                **form.cleaned_data)
            except ValidationError as exc:
                _form_errors_from(exc, form)
            else:
                messages.success(request, _("「%(name)s」を保存しました。") % {"name": saved.name})
                return redirect("participation:committee", council_id=council.pk, committee_id=saved.pk)
        status = 400
    return render(request, "participation/committee_form.html", _cctx(
        request, council, form=form, committee=committee), status=status)


@council_permission(MANAGE)
def committee_create(request, council):
    return _committee_form(request, council)


@council_permission(MANAGE)
def committee_edit(request, council, committee_id):
    return _committee_form(request, council, selectors.committee_get(council, committee_id))


@council_permission(READ)
def committee_detail(request, council, committee_id):
    committee = selectors.committee_get(council, committee_id)
    members = selectors.committee_members(committee)
    meetings = selectors.committee_meetings(committee)
    for meeting in meetings:
        present = {m.pk for m in meeting.attendees.all()}
        meeting.attendee_list = [m for m in members if m.pk in present]
        meeting.absent_count = len(members) - len(meeting.attendee_list)
    return render(request, "participation/committee_detail.html", _cctx(
        request, council, committee=committee, members=members, meetings=meetings))


@council_permission(MANAGE)
def committee_members(request, council, committee_id):
    from sasaeai.accounts.selectors import users_for_council

    committee = selectors.committee_get(council, committee_id)
    members = selectors.committee_members(committee)
    users = users_for_council(council)
    initial = [{"id": m.pk, "name": m.name, "affiliation": m.affiliation, "category": m.category, "role": m.role,
                "user": m.user_id} for m in members]
    formset = MemberFormSet(request.POST or None, initial=initial, prefix="members", form_kwargs={"users": users})
    quick = MembersQuickForm(request.POST or None, prefix="quick")
    errors = []
    if request.method == "POST":
        if formset.is_valid() and quick.is_valid():
            rows = member_rows(formset) + [dict(p, id=None) for p in quick.people()]
            try:
                services.committee_members_save(committee=committee, by=request.user, rows=rows)
            except ValidationError as exc:
                errors = exc.messages
            else:
                messages.success(request, _("委員を保存しました（%(n)s人）。") % {"n": len(rows)})
                return redirect("participation:committee", council_id=council.pk, committee_id=committee.pk)
        else:
            errors = [_("入力内容を確認してください。赤く示した項目に誤りがあります。保存はしていません。")]
    return render(request, "participation/committee_members.html", _cctx(
        request, council, committee=committee, formset=formset, quick=quick, errors=errors),
        status=400 if errors else 200)


def _meeting_form(request, council, committee, meeting=None):
    members = committee.members.order_by("position", "pk")
    if meeting is not None:
        initial = {"number": meeting.number, "held_on": meeting.held_on, "place": meeting.place,
                   "agenda": meeting.agenda, "minutes": meeting.minutes, "attendees": list(meeting.attendees.all())}
    else:
        last = committee.meetings.order_by("-number").values_list("number", flat=True).first()
        initial = {"number": (last or 0) + 1, "attendees": list(members)}
    form = MeetingForm(request.POST or None, request.FILES or None, initial=initial, members=members,
                       materials=meeting.materials.all() if meeting else (),
                       max_material_bytes=settings.SASAEAI_ATTACHMENT_MAX_BYTES)
    status = 200
    back = reverse("participation:committee", args=[council.pk, committee.pk])
    if request.method == "POST":
        if meeting is not None and request.POST.get("delete"):
            services.committee_meeting_delete(meeting=meeting, by=request.user)
            messages.success(request, _("第%(n)s回の会議の記録を削除しました。") % {"n": meeting.number})
            return redirect(back)
        if form.is_valid():
            try:
                with transaction.atomic():
                    saved = services.committee_meeting_save(
                        committee=committee, by=request.user, meeting=meeting,
                        attendees=form.cleaned_data["attendees"], **form.meeting_fields())
                    for material in form.removed_materials():
                        services.meeting_material_delete(material=material, by=request.user)
                    if form.cleaned_data.get("material"):
                        services.meeting_material_add(meeting=saved, by=request.user,
                                                      upload=form.cleaned_data["material"])
            except ValidationError as exc:
                _form_errors_from(exc, form)
            else:
                messages.success(request, _("第%(n)s回の会議を保存しました。") % {"n": saved.number})
                return redirect(back + f"#meeting-{saved.pk}")
        status = 400
    return render(request, "participation/committee_meeting_form.html", _cctx(
        request, council, committee=committee, meeting=meeting, form=form, back=back), status=status)


@council_permission(MANAGE)
def meeting_create(request, council, committee_id):
    return _meeting_form(request, council, selectors.committee_get(council, committee_id))


@council_permission(MANAGE)
def meeting_edit(request, council, committee_id, meeting_id):
    committee = selectors.committee_get(council, committee_id)
    return _meeting_form(request, council, committee, selectors.meeting_get(committee, meeting_id))


@council_permission(READ)
def material_download(request, council, material_id):
    material = selectors.material_get(council, material_id)
    return stored_file_response(material.file, name=material.name, content_type=material.content_type)

