"""Screens of the formulation record: overview and timeline, steps, workshops and hearings, voices,
traceability. Thin: permission, form, one service, redirect. Committees are in committees.py."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext as _

from sasaeai.accounts.decorators import plan_permission
from sasaeai.core.view_helpers import form_errors_from, plan_context
from sasaeai.plans.selectors import issue_get, plan_tree

from ..forms import (
    FIELD_SUGGESTIONS,
    BulkLinkForm,
    QuickVoicesForm,
    SessionForm,
    StepFormSet,
    TagForm,
    VoiceForm,
    step_rows,
)
from ..models import EngagementSession, Voice
from ..permissions import MANAGE
from ..permissions import VIEW as READ
from ..selectors import committees as committee_selectors
from ..selectors import voices as voice_selectors
from ..services import voices as voice_services


def _ctx(request, plan, **extra):
    return plan_context(request, plan, can_manage=MANAGE in request.council_permissions, **extra)


def _require_manage(request):
    if MANAGE not in request.council_permissions:
        raise Http404


def _node_options(rows, selected=None):
    """<option>s of every plan item, indented by depth (built without a template per row)."""
    return format_html_join(
        "",
        '<option value="{}"{}>{}{}: {}</option>',
        ((n.pk, " selected" if n.pk == selected else "", "\u3000" * depth, n.level.name, n.label) for n, depth in rows),
    )


# --------------------------------------------------------------------------- overview, steps


@plan_permission(READ)
def overview(request, plan):
    return render(
        request,
        "participation/overview.html",
        _ctx(
            request,
            plan,
            counts=voice_selectors.overview_counts(plan),
            groups=voice_selectors.timeline(plan),
            committees=committee_selectors.committees_for(plan.council, plan=plan),
        ),
    )


@plan_permission(MANAGE)
def steps_edit(request, plan):
    steps = list(plan.formulation_steps.order_by("position", "pk"))
    if steps:
        initial = [
            {
                "id": s.pk,
                "name": s.name,
                "start_date": s.start_date,
                "end_date": s.end_date,
                "description": s.description,
                "outputs": s.outputs,
            }
            for s in steps
        ]
    else:
        initial = [{"name": name} for name in voice_services.default_step_names()]
    formset = StepFormSet(request.POST or None, initial=initial, prefix="steps")
    errors = []
    if request.method == "POST":
        if formset.is_valid():
            try:
                voice_services.formulation_steps_save(plan=plan, by=request.user, rows=step_rows(formset))
            except ValidationError as exc:
                errors = exc.messages
            else:
                messages.success(request, _("策定の工程を保存しました。"))
                return redirect(reverse("participation:overview", args=[plan.pk]) + "#timeline")
        else:
            errors = [_("入力内容を確認してください。赤く示した項目に誤りがあります。保存はしていません。")]
    return render(
        request,
        "participation/steps_form.html",
        _ctx(request, plan, formset=formset, errors=errors, suggested=not steps),
        status=400 if errors else 200,
    )


# --------------------------------------------------------------------------- workshops and hearings


@plan_permission(READ)
def session_list(request, plan):
    kind = request.GET.get("kind", "")
    kind = kind if kind in EngagementSession.Kind.values else ""
    sessions = voice_selectors.sessions_for(plan, kind or None)
    return render(
        request,
        "participation/session_list.html",
        _ctx(
            request,
            plan,
            sessions=sessions,
            kind=kind,
            kinds=EngagementSession.Kind.choices,
            total_participants=sum(s.participants or 0 for s in sessions),
            without_count=sum(1 for s in sessions if s.participants is None),
            total_voices=sum(s.voice_count for s in sessions),
        ),
    )


def _session_form(request, plan, session=None):
    if session is not None:
        initial = {f: getattr(session, f) for f in voice_services.SESSION_FIELDS}
    else:
        kind = request.GET.get("kind", "")
        initial = {"kind": kind if kind in EngagementSession.Kind.values else EngagementSession.Kind.WORKSHOP}
    form = SessionForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if session is not None and request.POST.get("delete"):
            voice_services.session_delete(session=session, by=request.user)
            messages.success(request, _("「%(title)s」を削除しました。") % {"title": session.title})
            return redirect("participation:sessions", plan_id=plan.pk)
        if form.is_valid():
            try:
                saved = voice_services.session_save(plan=plan, by=request.user, session=session, **form.cleaned_data)
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                messages.success(request, _("「%(title)s」を保存しました。") % {"title": saved.title})
                return redirect("participation:session", plan_id=plan.pk, session_id=saved.pk)
        status = 400
    return render(
        request,
        "participation/session_form.html",
        _ctx(
            request,
            plan,
            form=form,
            session=session,
            suggestions=FIELD_SUGGESTIONS,
            voice_count=session.voices.count() if session else 0,
        ),
        status=status,
    )


@plan_permission(MANAGE)
def session_create(request, plan):
    return _session_form(request, plan)


@plan_permission(MANAGE)
def session_edit(request, plan, session_id):
    return _session_form(request, plan, voice_selectors.session_get(plan, session_id))


def _link_form_kwargs(plan, tree):
    from sasaeai.plans.models import CommunityIssue

    from ..models import Tag

    return {
        "issues": CommunityIssue.objects.filter(plan=plan).order_by("position", "pk"),
        "node_rows": tree.rows(),
        "tags": Tag.objects.filter(council=plan.council).order_by("name"),
    }


def _links_from(form, tree):
    """The links chosen in a link form, as keyword arguments of the voice services (new tags are
    named, and made by the service)."""
    data = form.cleaned_data
    return {
        "issues": list(data.get("issues") or []),
        "nodes": [tree.by_id[pk] for pk in data.get("nodes") or [] if pk in tree.by_id],
        "tags": list(data.get("tags") or []),
        "new_tags": data.get("new_tags") or None,
    }


@plan_permission(READ)
def session_detail(request, plan, session_id):
    session = voice_selectors.session_get(plan, session_id)
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
                added = voice_services.voices_add(
                    plan=plan,
                    by=request.user,
                    session=session,
                    texts=form.lines(),
                    speaker=form.cleaned_data["speaker"],
                    **_links_from(form, tree),
                )
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                messages.success(request, _("意見を %(n)s 件追加しました。") % {"n": len(added)})
                return redirect(reverse("participation:session", args=[plan.pk, session.pk]) + "#voices")
        status = 400
    return render(
        request,
        "participation/session_detail.html",
        _ctx(request, plan, session=session, voices=voice_selectors.session_voices(session), form=form),
        status=status,
    )


# --------------------------------------------------------------------------- voices


@plan_permission(READ)
def voice_list(request, plan):
    filters = voice_selectors.VoiceFilters.from_query(request.GET)
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
                changed = voice_services.voices_link(
                    plan=plan,
                    by=request.user,
                    voices=voices,
                    remove=form.cleaned_data["mode"] == "remove",
                    **_links_from(form, tree),
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict") and "voices" in exc.error_dict:
                    exc = ValidationError({"voice": exc.error_dict["voices"]})
                form_errors_from(exc, form)
            else:
                if form.cleaned_data["mode"] == "remove":
                    messages.success(
                        request,
                        _("%(v)s 件の意見から結び付きを %(n)s 件外しました。") % {"v": len(voices), "n": changed},
                    )
                else:
                    messages.success(
                        request, _("%(v)s 件の意見に結び付きを %(n)s 件加えました。") % {"v": len(voices), "n": changed}
                    )
                query = filters.querystring(page=request.GET.get("page", ""))
                return redirect(reverse("participation:voices", args=[plan.pk]) + (f"?{query}" if query else ""))
        status = 400
    page = voice_selectors.voices_page(plan, filters, request.GET.get("page") or 1)
    selected_ids = set(form.cleaned_data.get("voice") or []) if form is not None and form.is_bound else set()
    return render(
        request,
        "participation/voice_list.html",
        _ctx(
            request,
            plan,
            page=page,
            filters=filters,
            form=form,
            sources=Voice.Source.choices,
            sessions=voice_selectors.sessions_for(plan),
            issues=tree.issues,
            tags=voice_selectors.tags_for(plan.council),
            node_options=_node_options(tree.rows(), filters.node),
            selected_ids=selected_ids,
            page_query=filters.querystring(),
        ),
        status=status,
    )


def _voice_form(request, plan, voice=None):
    tree = plan_tree(plan)
    fixed = voice is not None and voice.source in (Voice.Source.SURVEY, Voice.Source.PUBLIC_COMMENT)
    initial = {}
    if voice is not None:
        initial = {
            "text": voice.text,
            "speaker": voice.speaker,
            "source": voice.source,
            "session": voice.session_id,
            "issues": list(voice.issues.all()),
            "nodes": [n.pk for n in voice.nodes.all()],
            "tags": list(voice.tags.all()),
        }
    else:
        session_id = request.GET.get("session", "")
        if session_id.isdigit():
            initial["session"] = voice_selectors.session_get(plan, session_id).pk
    form = VoiceForm(
        request.POST or None,
        initial=initial,
        fixed_origin=fixed,
        sessions=EngagementSession.objects.filter(plan=plan).order_by("held_on", "pk"),
        **_link_form_kwargs(plan, tree),
    )
    status = 200
    if request.method == "POST":
        if voice is not None and request.POST.get("delete"):
            voice_services.voice_delete(voice=voice, by=request.user)
            messages.success(request, _("意見を削除しました。"))
            return redirect("participation:voices", plan_id=plan.pk)
        if form.is_valid():
            data = form.cleaned_data
            try:
                saved = voice_services.voice_save(
                    plan=plan,
                    by=request.user,
                    voice=voice,
                    text=data["text"],
                    speaker=data["speaker"],
                    source=data.get("source") or None,
                    session=data.get("session") if not fixed else None,
                    **_links_from(form, tree),
                )
            except ValidationError as exc:
                form_errors_from(exc, form)
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
    return _voice_form(request, plan, voice_selectors.voice_get(plan, voice_id))


@plan_permission(READ)
def voice_detail(request, plan, voice_id):
    voice = voice_selectors.voice_get(plan, voice_id)
    return render(
        request,
        "participation/voice_detail.html",
        _ctx(request, plan, voice=voice, chain=voice_selectors.voice_chain(plan, voice)),
    )


@plan_permission(MANAGE)
def tags(request, plan):
    council = plan.council
    tag_id = request.POST.get("tag", "") if request.method == "POST" else ""
    tag = voice_selectors.tag_get(council, tag_id) if tag_id else None
    form = TagForm(request.POST or None, prefix=f"tag{tag.pk}" if tag else "new")
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                voice_services.tag_save(council=council, by=request.user, tag=tag, name=form.cleaned_data["name"])
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                messages.success(request, _("タグ「%(name)s」を保存しました。") % {"name": form.cleaned_data["name"]})
                return redirect("participation:tags", plan_id=plan.pk)
        status = 400
    tag_list = voice_selectors.tags_for(council)
    rows = [
        (t, form if tag is not None and tag.pk == t.pk else TagForm(prefix=f"tag{t.pk}", initial={"name": t.name}))
        for t in tag_list
    ]
    return render(
        request,
        "participation/tags.html",
        _ctx(request, plan, rows=rows, new_form=form if tag is None else TagForm(prefix="new")),
        status=status,
    )


# --------------------------------------------------------------------------- traceability


@plan_permission(READ)
def trace(request, plan):
    threshold = request.GET.get("threshold", "")
    threshold = int(threshold) if threshold.isdigit() and 1 <= int(threshold) <= 100 else voice_selectors.FEW_VOICES
    data = voice_selectors.trace(plan, threshold=threshold)
    return render(request, "participation/trace.html", _ctx(request, plan, sources=Voice.Source.choices, **data))


@plan_permission(READ)
def issue_detail(request, plan, issue_id):
    issue = issue_get(plan, issue_id)
    return render(
        request,
        "participation/issue_detail.html",
        _ctx(
            request, plan, issue=issue, threshold=voice_selectors.FEW_VOICES, **voice_selectors.issue_trace(plan, issue)
        ),
    )
