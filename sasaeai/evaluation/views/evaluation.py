"""Screens for evaluation. Thin: permission, form, one service, redirect."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from sasaeai.accounts.decorators import council_permission, plan_permission
from sasaeai.core import fiscal
from sasaeai.core.view_helpers import form_errors_from, plan_context
from sasaeai.progress import selectors as progress_selectors
from sasaeai.progress.services import schedule_for

from .. import permissions, rendering, selectors, services
from ..forms import (
    CriterionFormSet,
    DirectionFormSet,
    GradeFormSet,
    OpinionForm,
    ReopenForm,
    ScaleForm,
    StageForm,
)
from ..models import STAGE_ORDER, Evaluation, Stage

READ = permissions.READ


def _year_period(request, plan):
    years = progress_selectors.plan_years(plan)
    source = request.POST if request.method == "POST" and "year" in request.POST else request.GET
    try:
        year = int(source.get("year", ""))
    except ValueError:
        year = None
    if year not in years:
        year = progress_selectors.default_fiscal_year(plan)
    periods = [(0, Evaluation.Period.YEAR.label)]
    if schedule_for(plan).frequency != "yearly":
        periods.append((1, Evaluation.Period.FIRST_HALF.label))
    try:
        period = int(source.get("period", "0"))
    except ValueError:
        period = 0
    if period not in dict(periods):
        period = 0
    return year, years, period, periods


def _not_set_up(request, council, plan=None):
    """A council created before its evaluation settings existed: say so (reading a page writes nothing)."""
    return render(
        request,
        "evaluation/not_set_up.html",
        {
            "council": council,
            "plan": plan,
            "perms_here": request.council_permissions,
            "can_set_up": permissions.SETTINGS in request.council_permissions,
            "base_template": "plans_base.html" if plan is not None else "base.html",
        },
    )


def _query(year, period):
    return f"?year={year}" + (f"&period={period}" if period else "")


@plan_permission(READ)
def plan_evaluation(request, plan):
    """All projects of a year: each stage's state, the current grade and direction, 達成率."""
    if selectors.scale_for(plan.council) is None:
        return _not_set_up(request, plan.council, plan)
    year, years, period, periods = _year_period(request, plan)
    goal_id = request.GET.get("goal")
    goal_id = int(goal_id) if goal_id and goal_id.isdigit() else None
    try:
        ev = selectors.plan_evaluation(
            plan, year, perms=request.council_permissions, period=period, goal_id=goal_id, with_text=False
        )
    except Http404:
        ev = selectors.plan_evaluation(plan, year, perms=request.council_permissions, period=period, with_text=False)
        goal_id = None
    goals = selectors.goals(plan) if goal_id else None
    counts = ev.stage_counts()
    grade_counts = ev.grade_counts()
    project_base = reverse("evaluation:project", args=[plan.pk, 0])[:-2]
    for section in ev.sections:
        section.html = rendering.project_rows(
            section.rows, stages=ev.stages, project_base=project_base, query=_query(year, period)
        )
    return render(
        request,
        "evaluation/plan.html",
        plan_context(
            request,
            plan,
            ev=ev,
            year=year,
            years=years,
            period=period,
            periods=periods,
            goal_id=goal_id,
            goals=goals or [s.goal for s in ev.sections],
            query=_query(year, period),
            stage_counts=[
                (Stage(s).label, counts[s][0], counts[s][1], len(ev.rows) - sum(counts[s])) for s in ev.stages
            ],
            grade_rows=[(g, grade_counts[g.pk]) for g in ev.grades],
            total=len(ev.rows),
            display=selectors.display_rate,
        ),
    )


def _stage_cards(request, plan, node, row, year, period):
    """Each visible stage with its entry, and a form where the user may act on it now."""
    perms = request.council_permissions
    council = plan.council
    grades, directions = selectors.grades_for(council), selectors.directions_for(council)
    criteria = selectors.criteria_for(council)
    closed = selectors.year_closing(plan, year) is not None
    next_stage = row.next_stage
    cards = []
    for stage in selectors.visible_stages(perms):
        entry = row.entries.get(stage)
        card = {
            "stage": stage,
            "label": Stage(stage).label,
            "entry": entry,
            "form": None,
            "reopen": None,
            "waiting": False,
        }
        can = not closed and stage == next_stage and permissions.can_enter(request.user, plan, node, year, stage, perms)
        if can:
            if entry is not None:
                initial = {
                    "grade": entry.grade_id,
                    "results": entry.results,
                    "comment": entry.comment,
                    "challenges": entry.challenges,
                    "improvements": entry.improvements,
                    "direction": entry.direction_id,
                    "version": entry.version,
                }
                initial.update({f"criterion_{k}": v for k, v in entry.criteria.items()})
            else:
                pre = services.prefill(row.evaluation, stage, row.report)
                initial = {k: v for k, v in pre.items() if k != "criteria"} | {"version": 0}
                initial.update({f"criterion_{k}": v for k, v in pre.get("criteria", {}).items()})
            card["form"] = StageForm(
                initial=initial, grades=grades, directions=directions, criteria=criteria, prefix=stage
            )
            if stage != Stage.SELF:
                card["form"].fields["results"].help_text = _("前の段階の内容が最初に入っています。")
        elif entry is None and not closed:
            card["waiting"] = STAGE_ORDER.index(stage) > STAGE_ORDER.index(next_stage) if next_stage else False
        if entry is not None and entry.is_submitted and not closed and permissions.REOPEN in perms:
            later = STAGE_ORDER[STAGE_ORDER.index(stage) + 1 :]
            if not any(row.entries.get(s) is not None and row.entries[s].is_submitted for s in later):
                card["reopen"] = ReopenForm(prefix=f"reopen-{stage}")
        cards.append(card)
    return cards


@plan_permission(READ)
def project_evaluation(request, plan, node_id):
    """One project: quantitative (indicators, 達成率) and qualitative (実績・成果) side by side with
    every stage; the stage the user may enter now is a form."""
    if selectors.scale_for(plan.council) is None:
        return _not_set_up(request, plan.council, plan)
    node = selectors.project_get(plan, node_id)
    year, years, period, periods = _year_period(request, plan)
    perms = request.council_permissions
    if request.method == "POST":
        return _project_post(request, plan, node, year, period)
    row = selectors.project_evaluation(plan, node, year, perms=perms, period=period)
    return _project_render(request, plan, node, row, year, years, period, periods)


def _project_render(request, plan, node, row, year, years, period, periods, bound=None, status=200):
    cards = _stage_cards(request, plan, node, row, year, period)
    if bound is not None:
        for card in cards:
            key = bound.prefix if isinstance(bound, StageForm) else (bound.prefix or "").removeprefix("reopen-")
            if card["stage"] == key:
                card["form" if isinstance(bound, StageForm) else "reopen"] = bound
    ancestors = selectors.ancestors(node)
    return render(
        request,
        "evaluation/project.html",
        plan_context(
            request,
            plan,
            node=node,
            row=row,
            cards=cards,
            year=year,
            years=years,
            period=period,
            periods=periods,
            query=_query(year, period),
            ancestors=ancestors,
            closing=selectors.year_closing(plan, year),
            display=selectors.display_rate,
            show_names=permissions.VIEW in request.council_permissions,
            criteria=selectors.criteria_for(plan.council),
        ),
        status=status,
    )


def _project_post(request, plan, node, year, period):
    perms = request.council_permissions
    council = plan.council
    action = request.POST.get("action", "")
    stage = request.POST.get("stage", "")
    if stage not in STAGE_ORDER:
        raise Http404
    url = reverse("evaluation:project", args=[plan.pk, node.pk]) + _query(year, period)
    try:
        if action == "reopen":
            form = ReopenForm(request.POST, prefix=f"reopen-{stage}")
            if not form.is_valid():
                raise ValidationError({"reason": _("差し戻す理由を入力してください。")})
            services.stage_reopen(
                node=node,
                fiscal_year=year,
                stage=stage,
                by=request.user,
                reason=form.cleaned_data["reason"],
                period=period,
            )
            messages.success(
                request, _("%(stage)sを差し戻しました。もう一度入力できます。") % {"stage": Stage(stage).label}
            )
            return redirect(url)
        form = StageForm(
            request.POST,
            grades=selectors.grades_for(council),
            directions=selectors.directions_for(council),
            criteria=selectors.criteria_for(council),
            prefix=stage,
        )
        if not form.is_valid():
            raise ValidationError(_("入力内容を確認してください。"))
        submit = action == "submit"
        services.stage_save(
            node=node,
            fiscal_year=year,
            stage=stage,
            by=request.user,
            submit=submit,
            period=period,
            expected_version=form.cleaned_data.get("version"),
            perms=perms,
            **form.values(),
        )
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        row = selectors.project_evaluation(plan, node, year, perms=perms, period=period)
        years = progress_selectors.plan_years(plan)
        _y, _ys, _p, periods = _year_period(request, plan)
        if action == "reopen":
            bound = ReopenForm(request.POST, prefix=f"reopen-{stage}")
        else:
            bound = StageForm(
                request.POST,
                grades=selectors.grades_for(council),
                directions=selectors.directions_for(council),
                criteria=selectors.criteria_for(council),
                prefix=stage,
            )
        bound.is_valid()
        form_errors_from(exc, bound)
        messages.error(request, " ".join(exc.messages))
        return _project_render(request, plan, node, row, year, years, period, periods, bound=bound, status=400)
    if submit:
        messages.success(request, _("%(stage)sを確定しました。") % {"stage": Stage(stage).label})
    else:
        messages.success(request, _("%(stage)sを下書き保存しました。") % {"stage": Stage(stage).label})
    return redirect(url)


@plan_permission(READ)
def opinion(request, plan):
    """評価委員会の総評・答申 for a year: the committee writes it, everyone who reads evaluations sees it."""
    year, years, _period, _periods = _year_period(request, plan)
    perms = request.council_permissions
    current = selectors.opinion_for(plan, year)
    closed = selectors.year_closing(plan, year) is not None
    can_edit = permissions.OPINION in perms and not closed and not (current and current.is_submitted)
    form = OpinionForm(
        request.POST or None,
        initial={"text": current.text if current else "", "version": current.version if current else 0},
    )
    reopen = (
        ReopenForm(request.POST or None)
        if (permissions.REOPEN in perms and current and current.is_submitted and not closed)
        else None
    )
    status = 200
    if request.method == "POST":
        try:
            if request.POST.get("action") == "reopen":
                if reopen is None or not reopen.is_valid():
                    raise ValidationError({"reason": _("差し戻す理由を入力してください。")})
                services.opinion_reopen(
                    plan=plan, fiscal_year=year, by=request.user, reason=reopen.cleaned_data["reason"]
                )
                messages.success(request, _("総評・答申を差し戻しました。"))
            else:
                if not form.is_valid():
                    raise ValidationError(_("入力内容を確認してください。"))
                services.opinion_save(
                    plan=plan,
                    fiscal_year=year,
                    by=request.user,
                    text=form.cleaned_data["text"],
                    submit=request.POST.get("action") == "submit",
                    expected_version=form.cleaned_data.get("version"),
                )
                messages.success(request, _("総評・答申を保存しました。"))
            return redirect(reverse("evaluation:opinion", args=[plan.pk]) + f"?year={year}")
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            form_errors_from(exc, reopen if request.POST.get("action") == "reopen" and reopen else form)
            status = 400
    return render(
        request,
        "evaluation/opinion.html",
        plan_context(
            request,
            plan,
            year=year,
            years=years,
            opinion=current,
            form=form if can_edit else None,
            reopen=reopen,
            closed=closed,
            show_names=permissions.VIEW in perms,
        ),
        status=status,
    )


@plan_permission("evaluation.close_year")
def close_year(request, plan):
    """年度を締める: a preview of what carries over, then one confirmed POST."""
    year, years, _period, _periods = _year_period(request, plan)
    closing = selectors.year_closing(plan, year)
    if request.method == "POST" and closing is None:
        try:
            closing = services.year_close(plan=plan, fiscal_year=year, by=request.user)
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            s = closing.summary
            messages.success(
                request,
                _(
                    "%(year)sを締めました。次年度へ引き継いだ事業 %(carried)s件（うち要検討 "
                    "%(attention)s件）、引き継がない事業 %(stopped)s件。"
                )
                % {
                    "year": fiscal.format_fiscal_year(year),
                    "carried": s["carried"],
                    "attention": s["attention"],
                    "stopped": s["stopped"],
                },
            )
            return redirect(reverse("evaluation:close", args=[plan.pk]) + f"?year={year}")
    elif request.method == "POST":
        messages.error(
            request,
            _("%(year)sはすでに締められています。年度を二度締めることはできません。")
            % {"year": fiscal.format_fiscal_year(year)},
        )
    preview = services.year_close_preview(plan, year) if closing is None else None
    return render(
        request,
        "evaluation/close.html",
        plan_context(
            request,
            plan,
            year=year,
            years=years,
            closing=closing,
            preview=preview,
            preview_groups=[
                ("carry", _("そのまま引き継ぐ")),
                ("attention", _("要検討の印を付けて引き継ぐ")),
                ("stop", _("引き継がない")),
                ("unevaluated", _("方向性が確定していない（継続として引き継ぐ）")),
            ],
            closed_years={c.fiscal_year for c in plan.year_closings.all()},
        ),
    )


@council_permission("evaluation.settings")
def settings_view(request, council):
    """The council's own scale, directions and criteria."""
    if request.method == "POST" and request.POST.get("part") == "setup":
        services.evaluation_setup(council)
        messages.success(request, _("標準の尺度と方向性で評価の設定を始めました。"))
        return redirect("evaluation:settings", council_id=council.pk)
    scale = selectors.scale_for(council)
    if scale is None:
        return _not_set_up(request, council)
    grades = selectors.grades_for(council)
    directions = selectors.directions_for(council)
    criteria = selectors.criteria_for(council)
    data = request.POST if request.method == "POST" else None
    part = request.POST.get("part") if data else None
    scale_form = ScaleForm(data if part == "scale" else None, initial={"name": scale.name, "version": scale.version})
    grade_set = GradeFormSet(
        data if part == "scale" else None,
        prefix="grades",
        initial=[{"id": g.pk, "code": g.code, "label": g.label, "score": g.score, "color": g.color} for g in grades],
    )
    direction_set = DirectionFormSet(
        data if part == "directions" else None,
        prefix="directions",
        initial=[{"id": d.pk, "name": d.name, "carry": d.carry} for d in directions],
    )
    criterion_set = CriterionFormSet(
        data if part == "criteria" else None,
        prefix="criteria",
        initial=[{"id": c.pk, "name": c.name, "description": c.description} for c in criteria],
    )
    errors = []
    status = 200
    lists = {
        "directions": (direction_set, services.directions_update, _("方向性の一覧を保存しました。")),
        "criteria": (criterion_set, services.criteria_update, _("評価の観点を保存しました。")),
    }
    if data:
        try:
            if part == "preset":
                services.scale_apply_preset(council=council, by=request.user, preset=request.POST.get("preset", ""))
                messages.success(request, _("評価の尺度を切り替えました。"))
            elif part == "scale":
                if not (scale_form.is_valid() and grade_set.is_valid()):
                    raise ValidationError(_("入力内容を確認してください。赤く示した項目に誤りがあります。"))
                services.scale_update(
                    council=council,
                    by=request.user,
                    name=scale_form.cleaned_data["name"],
                    rows=[f.cleaned_data for f in grade_set.forms if f.cleaned_data],
                    expected_version=scale_form.cleaned_data.get("version"),
                )
                messages.success(request, _("評価の尺度を保存しました。"))
            elif part in lists:
                formset, update, done = lists[part]
                if not formset.is_valid():
                    raise ValidationError(_("入力内容を確認してください。"))
                update(council=council, by=request.user, rows=[f.cleaned_data for f in formset.forms if f.cleaned_data])
                messages.success(request, done)
            else:
                raise ValidationError(_("保存する内容がわかりませんでした。"))
            return redirect("evaluation:settings", council_id=council.pk)
        except ValidationError as exc:
            errors = exc.messages
            status = 400
    return render(
        request,
        "evaluation/settings.html",
        {
            "council": council,
            "perms_here": request.council_permissions,
            "scale": scale,
            "scale_form": scale_form,
            "grade_set": grade_set,
            "direction_set": direction_set,
            "criterion_set": criterion_set,
            "errors": errors,
            "part": part,
            "presets": [(k, v[0], v[1]) for k, v in services.SCALE_PRESETS.items()],
        },
        status=status,
    )
