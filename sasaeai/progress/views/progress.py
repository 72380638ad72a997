"""Screens for running the plan. Thin: permission, form, one service, redirect."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sasaeai.accounts.decorators import council_permission, plan_permission
from sasaeai.core import fiscal
from sasaeai.core.view_helpers import form_errors_from
from sasaeai.plans.selectors import node_get_for_user, plan_tree

from .. import permissions, rendering, rollup, selectors, services
from ..forms import (
    AnnualPlanForm,
    IndicatorForm,
    MeetingForm,
    ReportForm,
    ScheduleForm,
    StatusFormSet,
    WorkingGroupForm,
)
from ..midterm import latest_midterm


def _year(request, plan):
    years = selectors.plan_years(plan)
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = selectors.default_fiscal_year(plan)
    return year if year in years else selectors.default_fiscal_year(plan), years


@plan_permission("progress.view")
def plan_progress(request, plan):
    year, years = _year(request, plan)
    tree, figures = selectors.plan_figures(plan, year)
    node_base = reverse("plans:node", args=[plan.pk, 0])[:-2]
    rows = rendering.progress_rows(
        [(node, depth, figures[node.pk]) for node, depth in tree.rows()], node_base=node_base
    )
    return render(
        request,
        "progress/plan_progress.html",
        {
            "plan": plan,
            "perms_here": request.council_permissions,
            "year": year,
            "years": years,
            "rows": rows,
            "roots": [(node, figures[node.pk]) for node in tree.roots],
            "display": rollup.display,
            "periods": services.plan_periods(plan, year),
            "schedule": services.schedule_for(plan),
        },
    )


@plan_permission("progress.manage")
def schedule_edit(request, plan):
    schedule = services.schedule_for(plan)
    form = ScheduleForm(
        request.POST or None,
        instance=schedule if request.method == "GET" else None,
        initial={"frequency": schedule.frequency, "due_days": schedule.due_days, "grace_days": schedule.grace_days},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.schedule_update(plan=plan, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("報告の頻度と締切を保存しました。"))
            return redirect("progress:plan", plan_id=plan.pk)
    year = selectors.default_fiscal_year(plan)
    return render(
        request,
        "progress/schedule_form.html",
        {
            "plan": plan,
            "perms_here": request.council_permissions,
            "form": form,
            "periods": services.plan_periods(plan, year),
        },
    )


def _indicator_form(request, plan, node, indicator=None):
    initial = {"version": indicator.version if indicator else None}
    if indicator is not None:
        initial.update({f: getattr(indicator, f) for f in IndicatorForm.Meta.fields})
        initial.update({f"target_{t.fiscal_year}": t.value for t in indicator.targets.all()})
    # After a midterm review a changed target needs a reason (kept with the old value).
    ask_reason = indicator is not None and latest_midterm(plan.pk) is not None
    return IndicatorForm(request.POST or None, years=selectors.plan_years(plan), initial=initial, ask_reason=ask_reason)


@plan_permission("progress.manage")
def indicator_create(request, plan, node_id):
    node = node_get_for_user(request.user, plan, node_id)
    form = _indicator_form(request, plan, node)
    if request.method == "POST" and form.is_valid():
        fields = form.model_fields()
        try:
            services.indicator_create(node=node, by=request.user, targets=form.targets(), **fields)
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("指標「%(name)s」を追加しました。") % {"name": fields["name"]})
            return redirect(reverse("plans:node", args=[plan.pk, node.pk]) + "#indicators")
    return render(
        request,
        "progress/indicator_form.html",
        {"plan": plan, "perms_here": request.council_permissions, "node": node, "form": form, "indicator": None},
    )


@plan_permission("progress.manage")
def indicator_edit(request, plan, node_id, indicator_id):
    node = node_get_for_user(request.user, plan, node_id)
    indicator = selectors.indicator_get(node, indicator_id)
    form = _indicator_form(request, plan, node, indicator)
    if request.method == "POST":
        if request.POST.get("delete"):
            services.indicator_delete(indicator=indicator, by=request.user)
            messages.success(request, _("指標「%(name)s」を削除しました。") % {"name": indicator.name})
            return redirect(reverse("plans:node", args=[plan.pk, node.pk]) + "#indicators")
        if form.is_valid():
            try:
                services.indicator_update(
                    indicator=indicator,
                    by=request.user,
                    expected_version=form.cleaned_data["version"],
                    targets=form.targets(),
                    target_change_reason=form.change_reason(),
                    **form.model_fields(),
                )
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                messages.success(request, _("指標「%(name)s」を保存しました。") % {"name": form.cleaned_data["name"]})
                return redirect(reverse("plans:node", args=[plan.pk, node.pk]) + "#indicators")
    return render(
        request,
        "progress/indicator_form.html",
        {"plan": plan, "perms_here": request.council_permissions, "node": node, "form": form, "indicator": indicator},
    )


def _period(request, plan):
    """The period named by ?year=&period=, or the one today falls in (or the plan's nearest)."""
    year, _years = _year(request, plan)
    periods = services.plan_periods(plan, year)
    try:
        number = int(request.GET.get("period", ""))
    except ValueError:
        today = timezone.localdate()
        current = [p for p in periods if p.start <= today <= p.end]
        number = current[0].number if current else periods[-1].number
    match = [p for p in periods if p.number == number]
    if not match:
        raise Http404
    return match[0], periods


@plan_permission("progress.view")
def report_edit(request, plan, node_id):
    node = node_get_for_user(request.user, plan, node_id)
    period, periods = _period(request, plan)
    if not permissions.can_report(request.user, plan, node, period.fiscal_year, request.council_permissions):
        raise Http404
    report = selectors.report_for(node, period.fiscal_year, period.number)
    indicators = selectors.node_indicators(node)
    statuses = services.statuses_for(plan.council)
    initial = {"version": report.version if report else 0}
    if report:
        initial.update(
            {
                "status": str(report.status_id or ""),
                "done_text": report.done_text,
                "results": report.results,
                "problems": report.problems,
            }
        )
        for actual in report.actuals.all():
            initial[f"actual_{actual.indicator_id}"] = (
                actual.text if actual.value is None else format(actual.value.normalize(), "f")
            )
    from django.conf import settings

    form = ReportForm(
        request.POST or None,
        request.FILES or None,
        statuses=statuses,
        indicators=indicators,
        initial=initial,
        attachments=report.attachments.all() if report else (),
        max_attachment_bytes=settings.SASAEAI_ATTACHMENT_MAX_BYTES,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.report_submit(
                node=node,
                fiscal_year=period.fiscal_year,
                period=period.number,
                by=request.user,
                expected_version=form.cleaned_data["version"],
                actuals=form.actuals(),
                status=form.status_object(),
                done_text=form.cleaned_data["done_text"],
                results=form.cleaned_data["results"],
                problems=form.cleaned_data["problems"],
                remove_attachments=form.removed_attachments(),
                attachment=form.cleaned_data.get("attachment"),
                attachment_info=form.attachment_info if form.cleaned_data.get("attachment") else None,
            )
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("%(period)sの進捗を保存しました。") % {"period": period.label})
            return redirect(reverse("plans:node", args=[plan.pk, node.pk]) + "#reports")
    return render(
        request,
        "progress/report_form.html",
        {
            "plan": plan,
            "perms_here": request.council_permissions,
            "node": node,
            "form": form,
            "report": report,
            "period": period,
            "periods": periods,
            "statuses": statuses,
        },
    )


# --------------------------------------------------------------------------- 推進体制: groups and meetings


@plan_permission("progress.view")
def organisation(request, plan):
    return render(
        request,
        "progress/organisation.html",
        {
            "plan": plan,
            "perms_here": request.council_permissions,
            "groups": selectors.plan_working_groups(plan),
            "meetings": selectors.plan_meetings(plan),
        },
    )


def _plan_nodes(plan):
    from sasaeai.plans.models import PlanNode

    return PlanNode.objects.filter(plan=plan).select_related("level").order_by("level__depth", "parent_id", "position")


@plan_permission("progress.manage")
def group_edit(request, plan, group_id=None):
    from sasaeai.accounts.selectors import users_for_council

    group = selectors.working_group_get(plan, group_id) if group_id else None
    initial = {}
    if group:
        initial = {
            "name": group.name,
            "leader": group.leader_id,
            "sub_leader": group.sub_leader_id,
            "nodes": list(group.nodes.all()),
            "members": list(group.members.all()),
        }
    form = WorkingGroupForm(
        request.POST or None, initial=initial, nodes=_plan_nodes(plan), users=users_for_council(plan.council)
    )
    if request.method == "POST":
        if group and request.POST.get("delete"):
            services.working_group_delete(group=group, by=request.user)
            messages.success(request, _("ワーキンググループ「%(n)s」を削除しました。") % {"n": group.name})
            return redirect("progress:organisation", plan_id=plan.pk)
        if form.is_valid():
            try:
                services.working_group_save(plan=plan, by=request.user, group=group, **form.cleaned_data)
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                messages.success(
                    request, _("ワーキンググループ「%(n)s」を保存しました。") % {"n": form.cleaned_data["name"]}
                )
                return redirect("progress:organisation", plan_id=plan.pk)
    return render(
        request,
        "progress/simple_form.html",
        {
            "plan": plan,
            "perms_here": request.council_permissions,
            "form": form,
            "can_delete": group is not None,
            "heading": _("ワーキンググループ") + (f": {group.name}" if group else ""),
            "back": reverse("progress:organisation", args=[plan.pk]),
        },
    )


@plan_permission("progress.manage")
def meeting_edit(request, plan, meeting_id=None):
    from ..models import WorkingGroup

    meeting = selectors.meeting_get(plan, meeting_id) if meeting_id else None
    initial = {}
    if meeting:
        initial = {f: getattr(meeting, f) for f in services.MEETING_FIELDS}
        initial["nodes"] = list(meeting.nodes.all())
    form = MeetingForm(
        request.POST or None, initial=initial, nodes=_plan_nodes(plan), groups=WorkingGroup.objects.filter(plan=plan)
    )
    if request.method == "POST":
        if meeting and request.POST.get("delete"):
            services.meeting_delete(meeting=meeting, by=request.user)
            messages.success(request, _("推進会議の記録を削除しました。"))
            return redirect("progress:organisation", plan_id=plan.pk)
        if form.is_valid():
            data = dict(form.cleaned_data)
            nodes = data.pop("nodes")
            try:
                services.meeting_save(plan=plan, by=request.user, meeting=meeting, nodes=nodes, **data)
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                messages.success(request, _("推進会議の記録を保存しました。"))
                return redirect("progress:organisation", plan_id=plan.pk)
    return render(
        request,
        "progress/simple_form.html",
        {
            "plan": plan,
            "perms_here": request.council_permissions,
            "form": form,
            "can_delete": meeting is not None,
            "heading": _("推進会議の記録"),
            "back": reverse("progress:organisation", args=[plan.pk]),
        },
    )


# --------------------------------------------------------------------------- 年次計画


@plan_permission("progress.view")
def annual_plans(request, plan):
    year, years = _year(request, plan)
    tree = plan_tree(plan)
    annual = selectors.plan_annual_plans(plan, year)
    rows = [(node, depth, annual.get(node.pk)) for node, depth in tree.rows()]
    return render(
        request,
        "progress/annual_plans.html",
        {
            "plan": plan,
            "perms_here": request.council_permissions,
            "year": year,
            "years": years,
            "rows": rows,
            "node_base": reverse("plans:node", args=[plan.pk, 0])[:-2],
            "months": services.MONTHS_OF_FY,
            "has_sample": any(a.is_sample for a in annual.values()),
        },
    )


@plan_permission("progress.manage")
def annual_plan_edit(request, plan, node_id):
    from sasaeai.accounts.selectors import users_for_council

    from ..models import WorkingGroup

    node = node_get_for_user(request.user, plan, node_id)
    year, _years = _year(request, plan)
    annual = selectors.plan_annual_plans(plan, year, node=node).get(node.pk)
    initial = {"version": annual.version if annual else 0}
    if annual:
        initial.update(
            {
                "content": annual.content,
                "months": annual.months,
                "working_group": annual.working_group_id,
                "owners": list(annual.owners.all()),
                "budget": annual.budget,
            }
        )
    form = AnnualPlanForm(
        request.POST or None,
        initial=initial,
        groups=WorkingGroup.objects.filter(plan=plan),
        users=users_for_council(plan.council),
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.annual_plan_save(
                node=node, fiscal_year=year, by=request.user, expected_version=data.pop("version"), **data
            )
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("年次計画を保存しました。"))
            return redirect(reverse("progress:annual_plans", args=[plan.pk]) + f"?year={year}#node-{node.pk}")
    return render(
        request,
        "progress/simple_form.html",
        {
            "plan": plan,
            "perms_here": request.council_permissions,
            "form": form,
            "can_delete": False,
            "heading": _("年次計画（%(year)s）: %(label)s")
            % {"year": fiscal.format_fiscal_year(year), "label": node.label},
            "back": reverse("progress:annual_plans", args=[plan.pk]) + f"?year={year}",
        },
    )


# --------------------------------------------------------------------------- my items


@login_required
def my_items(request):
    rows = selectors.my_items(request.user)
    counts = {state: sum(1 for r in rows if r["state"] == state) for state in ("overdue", "due", "open", "done")}
    return render(request, "progress/my_items.html", {"rows": rows, "counts": counts})


# --------------------------------------------------------------------------- restore from history


@require_POST
@plan_permission("audit.view")
def audit_restore(request, plan, entry_id):
    from sasaeai.core.models import AuditEntry

    entry = AuditEntry.objects.filter(pk=entry_id, council_id=plan.council_id, plan_id=plan.pk).first()
    if entry is None:
        raise Http404
    allowed = (
        permissions.MANAGE in request.council_permissions
        if entry.action == "indicator.update"
        else (
            entry.node_id is not None
            and permissions.can_report(
                request.user,
                plan,
                node_get_for_user(request.user, plan, entry.node_id),
                selectors.report_year(entry.object_id),
            )
        )
    )
    if not allowed:
        raise Http404
    try:
        services.audit_restore(entry=entry, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("「%(label)s」を変更前の値に戻しました。") % {"label": entry.target_label})
    # Back where the button was, if that is a path on this site (never a view name or another site).
    back = request.POST.get("next") or ""
    if not (
        back.startswith("/")
        and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    ):
        back = reverse("plans:history", args=[plan.pk])
    return redirect(back)


# --------------------------------------------------------------------------- status scale


@council_permission("progress.manage")
def statuses_edit(request, council):
    statuses = services.statuses_for(council)
    formset = StatusFormSet(
        request.POST or None,
        prefix="statuses",
        initial=[{"id": s.pk, "name": s.name, "color": s.color, "score": s.score} for s in statuses],
    )
    if request.method == "POST" and formset.is_valid():
        rows = []
        for form in formset.forms:  # every existing status, plus a filled-in new row
            if not form.initial and not form.has_changed():
                continue
            data = form.cleaned_data
            rows.append(
                {
                    "id": data.get("id"),
                    "name": data.get("name"),
                    "color": data.get("color"),
                    "score": data.get("score"),
                    "delete": bool(data.get("DELETE")),
                }
            )
        try:
            services.statuses_update(council=council, by=request.user, rows=rows)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("状況の一覧を保存しました。"))
            return redirect("council_detail", council_id=council.pk)
    return render(request, "progress/statuses_form.html", {"council": council, "formset": formset})


@plan_permission(permissions.ATTACHMENTS)
def attachment_download(request, plan, attachment_id):
    from sasaeai.core.files import stored_file_response

    from ..models import ReportAttachment

    attachment = ReportAttachment.objects.filter(pk=attachment_id, report__node__plan=plan).first()
    if attachment is None:
        raise Http404
    return stored_file_response(attachment.file, name=attachment.name, content_type=attachment.content_type)
