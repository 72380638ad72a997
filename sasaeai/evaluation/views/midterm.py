"""Screens for 中間評価 (dated, read-only snapshots of a plan, compared with each other or with
today's plan) and for starting the next plan from a finished one.

Thin, like the other views: permission, form, one service, redirect. Snapshots are read by anyone
who may read evaluations (evaluation.view or, for committee members, evaluation.view_internal);
taking one needs evaluation.midterm; a user without them gets the same 404 as for a missing page.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sasaeai.accounts.decorators import plan_permission
from sasaeai.core import fiscal
from sasaeai.core.forms import EraDateField
from sasaeai.core.view_helpers import form_errors_from, plan_context
from sasaeai.plans.forms import FiscalYearField
from sasaeai.plans.models import Plan

from .. import midterm, nextplan, permissions
from ..models import PlanSnapshot
from ..selectors import visible_stages

READ_PERMISSIONS = permissions.READ


# --------------------------------------------------------------------------- forms (this screen only)


class SnapshotForm(forms.Form):
    title = forms.CharField(
        label=gettext_lazy("名称"), max_length=midterm.TITLE_LIMIT, help_text=gettext_lazy("例: 中間評価（令和10年度）")
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("種類"), choices=PlanSnapshot.Kind.choices, initial=PlanSnapshot.Kind.MIDTERM
    )
    taken_on = EraDateField(
        label=gettext_lazy("基準日"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("この日の時点の記録として残します。"),
    )
    fiscal_year = forms.TypedChoiceField(
        label=gettext_lazy("記録する年度"),
        coerce=int,
        help_text=gettext_lazy("計画の初年度からこの年度までの進捗・達成率と評価を記録します。"),
    )
    note = forms.CharField(
        label=gettext_lazy("メモ"),
        required=False,
        max_length=midterm.NOTE_LIMIT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, years, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fiscal_year"].choices = [(y, fiscal.format_fiscal_year(y)) for y in years]


class NextPlanForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("次期計画の名称"), max_length=nextplan.TITLE_LIMIT)
    generation = forms.CharField(
        label=gettext_lazy("期・次"), max_length=50, required=False, help_text=gettext_lazy("例: 第4次、第6期")
    )
    period_start = FiscalYearField(label=gettext_lazy("計画期間（開始年度）"), required=True)
    period_end = FiscalYearField(label=gettext_lazy("計画期間（終了年度）"), required=True)


# --------------------------------------------------------------------------- snapshots


@plan_permission(READ_PERMISSIONS)
def snapshot_list(request, plan):
    """The plan's snapshots, and (evaluation.midterm) the form to take one."""
    can_take = permissions.MIDTERM in request.council_permissions
    if request.method == "POST" and not can_take:
        raise Http404
    form = None
    if can_take:
        from sasaeai.progress.selectors import plan_years

        today = timezone.localdate()
        year = midterm.default_fiscal_year(plan, today)
        form = SnapshotForm(
            request.POST or None,
            years=plan_years(plan),
            initial={
                "title": _("中間評価（%(year)s）") % {"year": fiscal.format_fiscal_year(year, style="wareki")},
                "kind": PlanSnapshot.Kind.MIDTERM,
                "taken_on": today,
                "fiscal_year": year,
            },
        )
        if request.method == "POST" and form.is_valid():
            try:
                snapshot = midterm.snapshot_take(plan=plan, by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                messages.success(
                    request,
                    _("「%(title)s」を記録しました。この記録は後から変わりません。") % {"title": snapshot.title},
                )
                return redirect("midterm:snapshot", plan_id=plan.pk, snapshot_id=snapshot.pk)
    return render(
        request,
        "evaluation/midterm_list.html",
        plan_context(request, plan, snapshots=midterm.plan_snapshots(plan), form=form),
    )


@plan_permission(READ_PERMISSIONS)
def snapshot_detail(request, plan, snapshot_id):
    """A snapshot as it was: structure, targets, figures and evaluations of one recorded year."""
    snapshot = midterm.snapshot_get(plan, snapshot_id)
    years = snapshot.data.get("years") or [snapshot.fiscal_year]
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = snapshot.fiscal_year
    if year not in years:
        year = snapshot.fiscal_year if snapshot.fiscal_year in years else years[-1]
    stages = visible_stages(request.council_permissions)
    rows = midterm.snapshot_rows(snapshot.data, year, stages)
    others = [s for s in midterm.plan_snapshots(plan) if s.pk != snapshot.pk]
    return render(
        request,
        "evaluation/midterm_snapshot.html",
        plan_context(
            request,
            plan,
            snapshot=snapshot,
            data=snapshot.data,
            rows=rows,
            year=year,
            years=years,
            others=others,
            levels=snapshot.data.get("plan", {}).get("levels", []),
        ),
    )


@plan_permission(READ_PERMISSIONS)
def snapshot_compare(request, plan, snapshot_id):
    """What changed between a snapshot and today's plan (?with=current) or another snapshot (?with=<id>)."""
    snapshot = midterm.snapshot_get(plan, snapshot_id)
    other_id = request.GET.get("with", "current") or "current"
    if other_id == "current":
        old, old_label = snapshot, snapshot.title
        new_data = midterm.snapshot_data(plan, with_figures=False)
        changes = midterm.target_changes_between(plan, after=snapshot.created_at)
        new_label, other, new_snapshot = _("現在の計画"), None, None
    else:
        other = midterm.snapshot_get(plan, other_id)
        first, second = sorted([snapshot, other], key=lambda s: (s.taken_on, s.created_at, s.pk))
        old, old_label = first, first.title
        new_data, new_label = second.data, second.title
        changes = midterm.target_changes_between(plan, after=first.created_at, before=second.created_at)
        new_snapshot = second
    diff = midterm.diff_plans(old.data, new_data, changes)
    return render(
        request,
        "evaluation/midterm_compare.html",
        plan_context(
            request,
            plan,
            snapshot=snapshot,
            old=old,
            old_label=old_label,
            new_label=new_label,
            other=other,
            new_snapshot=new_snapshot,
            diff=diff,
            others=[s for s in midterm.plan_snapshots(plan) if s.pk != snapshot.pk],
        ),
    )


# --------------------------------------------------------------------------- next plan


@plan_permission("plans.create")
def next_plan(request, plan):
    """次期計画を作る: only from a finished plan; the new plan opens on its overview."""
    title, generation = nextplan.suggested_title(plan)
    start, end = nextplan.suggested_period(plan)
    finished = plan.status == Plan.Status.FINISHED
    form = NextPlanForm(
        request.POST or None,
        initial={"title": title, "generation": generation, "period_start": start, "period_end": end},
    )
    if request.method == "POST" and form.is_valid():
        try:
            new = nextplan.plan_next_generation(plan=plan, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(
                request,
                _("「%(title)s」を前計画から作りました（策定中）。指標と目標値は新しく設定してください。")
                % {"title": new.title},
            )
            return redirect("plans:overview", plan_id=new.pk)
    successors = list(plan.successors.order_by("-pk").only("pk", "title", "status"))
    return render(
        request,
        "evaluation/nextplan_form.html",
        plan_context(
            request,
            plan,
            form=form,
            finished=finished,
            successors=successors,
            node_count=plan.nodes.count(),
            issue_count=plan.issues.count(),
            overview_url=reverse("plans:overview", args=[plan.pk]),
        ),
    )
