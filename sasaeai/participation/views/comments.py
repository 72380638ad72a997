"""Staff pages of パブリックコメント (``participation.comments``: names and contacts are shown only here).
Thin: permission, form, one service, redirect."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sasaeai.accounts.decorators import plan_permission
from sasaeai.core.concurrency import ConcurrentEditError
from sasaeai.core.view_helpers import form_errors_from, plan_context

from ..forms_comments import BulkForm, CommentForm, PeriodForm
from ..models import PublicComment
from ..permissions import COMMENTS as PERM
from ..selectors import comments as comment_selectors
from ..services import comments


def _public_url(request, name, period):
    return request.build_absolute_uri(reverse(name, args=[period.public_key]))


@plan_permission(PERM)
def periods(request, plan):
    """The plan's comment periods, with their public addresses and counts."""
    return render(
        request,
        "participation/comment_periods.html",
        plan_context(request, plan, periods=comment_selectors.periods_for_plan(plan)),
    )


@plan_permission(PERM)
def period_form(request, plan, period_id=None):
    period = comment_selectors.period_get(plan, period_id) if period_id is not None else None
    initial = {"version": period.version, **{k: getattr(period, k) for k in comments.PERIOD_FIELDS}} if period else {}
    form = PeriodForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        try:
            if not form.is_valid():
                raise ValidationError(_("入力内容を確認してください。"))
            data = form.cleaned_data
            period = comments.period_save(
                plan=plan,
                by=request.user,
                period=period,
                expected_version=data.get("version"),
                title=data["title"],
                description=data["description"],
                opens_on=data["opens_on"],
                closes_on=data["closes_on"],
            )
        except ValidationError as exc:
            if not form.errors:  # a service error (the form's own are already next to the fields)
                form_errors_from(exc, form)
            status = 400
        else:
            messages.success(request, _("パブリックコメント「%(title)s」を保存しました。") % {"title": period.title})
            return redirect("comments:comments", plan_id=plan.pk, period_id=period.pk)
    return render(
        request,
        "participation/comment_period_form.html",
        plan_context(request, plan, form=form, period=period),
        status=status,
    )


def _list_url(plan, period, query=""):
    url = reverse("comments:comments", args=[plan.pk, period.pk])
    return f"{url}?{query}" if query else url


def _safe_query(value):
    """A list's query string carried through a form (re-encoded, so only parameters come back)."""
    return QueryDict(value or "").urlencode()


@plan_permission(PERM)
def comment_list(request, plan, period_id):
    """Every comment of a period, 50 per page, with filters; tick several to change them at once."""
    period = comment_selectors.period_get(plan, period_id)
    sections = comment_selectors.plan_sections(plan)
    filters = comment_selectors.CommentFilters.from_query(request.GET, sections)
    bulk = BulkForm(request.POST or None)
    status = 200
    if request.method == "POST":
        query = _safe_query(request.POST.get("back"))
        try:
            if not bulk.is_valid():
                raise ValidationError(_("入力内容を確認してください。"))
            data = bulk.cleaned_data
            n = comments.comments_bulk_update(
                period=period,
                by=request.user,
                ids=data["ids"],
                status=data["status"],
                group_label=data["group_label"],
                clear_group=data["clear_group"],
                reflection=data["reflection"],
                answer=data["answer"],
            )
        except ValidationError as exc:
            form_errors_from(exc, bulk)
            messages.error(request, " ".join(exc.messages))
            status = 400
        else:
            messages.success(request, _("%(n)s件の意見を変更しました。") % {"n": n})
            return redirect(_list_url(plan, period, query))
    page = comment_selectors.comment_page(period, filters, request.GET.get("page"))
    selected = set(bulk.cleaned_data.get("ids") or []) if bulk.is_bound and hasattr(bulk, "cleaned_data") else set()
    return render(
        request,
        "participation/comment_list.html",
        plan_context(
            request,
            plan,
            period=period,
            state=comments.period_state(period),
            page=page,
            filters=filters,
            query=filters.query(),
            sections=sections,
            counts=comment_selectors.status_counts(period),
            bulk=bulk,
            selected=selected,
            statuses=PublicComment.Status.choices,
            reflections=PublicComment.Reflection.choices,
            labels=comment_selectors.group_labels(period),
            public_url=_public_url(request, "public:comment", period),
            results_url=_public_url(request, "public:comment_results", period),
        ),
        status=status,
    )


@plan_permission(PERM)
def comment_edit(request, plan, period_id, number):
    """One comment: the text, who sent it (name, district, contact), and the council's answer."""
    period = comment_selectors.period_get(plan, period_id)
    comment = comment_selectors.comment_get(period, number)
    back = _safe_query(request.POST.get("back") if request.method == "POST" else request.GET.urlencode())
    form = CommentForm(
        request.POST or None,
        initial={
            "status": comment.status,
            "group_label": comment.group_label,
            "answer": comment.answer,
            "reflection": comment.reflection,
            "version": comment.version,
        },
    )
    status, conflict = 200, None
    if request.method == "POST":
        try:
            if not form.is_valid():
                raise ValidationError(_("入力内容を確認してください。"))
            data = form.cleaned_data
            comments.comment_update(
                comment=comment,
                by=request.user,
                expected_version=data.get("version"),
                status=data["status"],
                group_label=data["group_label"],
                answer=data["answer"],
                reflection=data["reflection"],
            )
        except ConcurrentEditError as exc:
            # Keep what was typed; show what is saved now, beside it.
            form.add_error(None, exc.messages)
            conflict = comment_selectors.comment_get(period, number)
            status = 409
        except ValidationError as exc:
            if not form.errors:
                form_errors_from(exc, form)
            status = 400
        else:
            messages.success(request, _("受付番号 %(n)s の意見を保存しました。") % {"n": comment.number})
            if request.POST.get("then") == "next":
                _prev, nxt = comment_selectors.neighbours(period, comment.number)
                if nxt is not None:
                    url = reverse("comments:comment", args=[plan.pk, period.pk, nxt])
                    return redirect(f"{url}?{back}" if back else url)
            return redirect(_list_url(plan, period, back))
    prev, nxt = comment_selectors.neighbours(period, comment.number)
    return render(
        request,
        "participation/comment_edit.html",
        plan_context(
            request,
            plan,
            period=period,
            comment=comment,
            form=form,
            conflict=conflict,
            back=back,
            prev=prev,
            nxt=nxt,
            labels=comment_selectors.group_labels(period),
        ),
        status=status,
    )


@require_POST
@plan_permission(PERM)
def publish(request, plan, period_id):
    period = comment_selectors.period_get(plan, period_id)
    publish_it = request.POST.get("publish") == "1"
    try:
        comments.period_publish(period=period, by=request.user, publish=publish_it)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("結果を公表しました。") if publish_it else _("結果の公表をやめました。"))
    return redirect("comments:comments", plan_id=plan.pk, period_id=period.pk)


@plan_permission(PERM)
def export(request, plan, period_id):
    """Every comment with names and contacts, for the board (CSV for Excel, or an Excel workbook)."""
    period = comment_selectors.period_get(plan, period_id)
    if request.GET.get("format") == "xlsx":
        body = comments.export_xlsx(period)
        content_type, ext = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"
    else:
        body = comments.export_csv(period)
        content_type, ext = "text/csv; charset=utf-8", "csv"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="public-comment-{period.pk}.{ext}"'
    response["Cache-Control"] = "no-store"
    return response
