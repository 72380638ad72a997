"""Screens for running the plan. Thin: permission, form, one service, redirect."""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from sasaeai.accounts.decorators import plan_permission
from sasaeai.plans.selectors import node_get_for_user, plan_tree
from sasaeai.plans.views import _form_errors_from

from . import ownership, rollup, selectors, services
from .forms import IndicatorForm, ReportForm, ScheduleForm


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
    rows = [(node, depth, figures[node.pk]) for node, depth in tree.rows()]
    return render(request, "progress/plan_progress.html", {
        "plan": plan, "perms_here": request.council_permissions, "year": year, "years": years, "rows": rows,
        "roots": [(node, figures[node.pk]) for node in tree.roots], "display": rollup.display,
        "periods": services.plan_periods(plan, year), "schedule": services.schedule_for(plan),
        "node_base": reverse("plans:node", args=[plan.pk, 0])[:-2],
    })


@plan_permission("progress.manage")
def schedule_edit(request, plan):
    schedule = services.schedule_for(plan)
    form = ScheduleForm(request.POST or None, instance=schedule if request.method == "GET" else None,
                        initial={"frequency": schedule.frequency, "due_days": schedule.due_days,
                                 "grace_days": schedule.grace_days})
    if request.method == "POST" and form.is_valid():
        try:
            services.schedule_update(plan=plan, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors_from(exc, form)
        else:
            messages.success(request, _("報告の頻度と締切を保存しました。"))
            return redirect("progress:plan", plan_id=plan.pk)
    year = selectors.default_fiscal_year(plan)
    return render(request, "progress/schedule_form.html", {
        "plan": plan, "perms_here": request.council_permissions, "form": form,
        "periods": services.plan_periods(plan, year)})


def _indicator_form(request, plan, node, indicator=None):
    initial = {"version": indicator.version if indicator else None}
    if indicator is not None:
        initial.update({f: getattr(indicator, f) for f in IndicatorForm.Meta.fields})
        initial.update({f"target_{t.fiscal_year}": t.value for t in indicator.targets.all()})
    return IndicatorForm(request.POST or None, years=selectors.plan_years(plan), initial=initial)


@plan_permission("progress.manage")
def indicator_create(request, plan, node_id):
    node = node_get_for_user(request.user, plan, node_id)
    form = _indicator_form(request, plan, node)
    if request.method == "POST" and form.is_valid():
        fields = form.model_fields()
        try:
            services.indicator_create(node=node, by=request.user, targets=form.targets(), **fields)
        except ValidationError as exc:
            _form_errors_from(exc, form)
        else:
            messages.success(request, _("指標「%(name)s」を追加しました。") % {"name": fields["name"]})
            return redirect(reverse("plans:node", args=[plan.pk, node.pk]) + "#indicators")
    return render(request, "progress/indicator_form.html", {
        "plan": plan, "perms_here": request.council_permissions, "node": node, "form": form, "indicator": None})


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
                services.indicator_update(indicator=indicator, by=request.user,
                                          expected_version=form.cleaned_data["version"], targets=form.targets(),
                                          **form.model_fields())
            except ValidationError as exc:
                _form_errors_from(exc, form)
            else:
                messages.success(request, _("指標「%(name)s」を保存しました。") % {"name": form.cleaned_data["name"]})
                return redirect(reverse("plans:node", args=[plan.pk, node.pk]) + "#indicators")
    return render(request, "progress/indicator_form.html", {
        "plan": plan, "perms_here": request.council_permissions, "node": node, "form": form, "indicator": indicator})


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
    if not ownership.can_report(request.user, plan, node, period.fiscal_year):
        raise Http404
    report = selectors.report_for(node, period.fiscal_year, period.number)
    indicators = selectors.node_indicators(node)
    statuses = services.statuses_for(plan.council)
    initial = {"version": report.version if report else 0}
    if report:
        initial.update({"status": str(report.status_id or ""), "done_text": report.done_text,
                        "results": report.results, "problems": report.problems})
        for actual in report.actuals.all():
            initial[f"actual_{actual.indicator_id}"] = (
                actual.text if actual.value is None else format(actual.value.normalize(), "f"))
    form = ReportForm(request.POST or None, statuses=statuses, indicators=indicators, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.report_save(
                node=node, fiscal_year=period.fiscal_year, period=period.number, by=request.user,
                expected_version=form.cleaned_data["version"], actuals=form.actuals(), status=form.status_object(),
                done_text=form.cleaned_data["done_text"], results=form.cleaned_data["results"],
                problems=form.cleaned_data["problems"])
        except ValidationError as exc:
            _form_errors_from(exc, form)
        else:
            messages.success(request, _("%(period)sの進捗を保存しました。") % {"period": period.label})
            return redirect(reverse("plans:node", args=[plan.pk, node.pk]) + "#reports")
    return render(request, "progress/report_form.html", {
        "plan": plan, "perms_here": request.council_permissions, "node": node, "form": form, "report": report,
        "period": period, "periods": periods, "statuses": statuses})
