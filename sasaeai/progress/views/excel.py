"""一括入力 (Excel): download a pre-filled workbook, fill it in Excel, upload it, check the
preview, confirm. Nothing is saved until confirmed, and then everything at once.

Like every import (``sasaeai.core.imports``): the uploaded file waits in the pending-upload store
(the session holds its token), and the confirm step checks the sha shown on the preview and parses
the workbook again before applying it.
"""

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from sasaeai.accounts.decorators import plan_permission
from sasaeai.core import fiscal
from sasaeai.core.imports import pending

from .. import excel, permissions, selectors, services


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("入力した Excel ファイル（.xlsx）"),
        help_text=gettext_lazy("この画面からダウンロードして入力したファイルを選んでください（%(mb)s MB まで）。")
        % {"mb": excel.MAX_BYTES // (1024 * 1024)},
    )
    year = forms.IntegerField(widget=forms.HiddenInput)
    period = forms.IntegerField(widget=forms.HiddenInput)


def _choose_period(plan, year, number):
    """The period (year, number) of the plan's calendar; None if it is not one."""
    try:
        year, number = int(year), int(number)
    except (TypeError, ValueError):
        return None
    if year not in selectors.plan_years(plan):
        return None
    return next((p for p in services.plan_periods(plan, year) if p.number == number), None)


def _period_from_get(request, plan):
    """?year=&period= if given (404 when not the plan's), else the period today falls in."""
    if "year" in request.GET or "period" in request.GET:
        period = _choose_period(plan, request.GET.get("year"), request.GET.get("period"))
        if period is None:
            raise Http404
        return period
    year = selectors.default_fiscal_year(plan)
    periods = services.plan_periods(plan, year)
    today = timezone.localdate()
    current = [p for p in periods if p.start <= today <= p.end]
    return current[0] if current else periods[-1]


def _allowed(request, plan):
    """Whether the user may use the plan workbook, and the groups whose workbook they may use."""
    perms = request.council_permissions
    can_plan = permissions.may_use_workbook(request.user, plan, None, perms)
    groups = permissions.workbook_groups(request.user, plan, perms)
    if not can_plan and not groups:
        raise Http404
    return can_plan, groups


def _page(request, plan, *, period, form=None, problems=None, status=200):
    can_plan, groups = _allowed(request, plan)
    prefix = fiscal.format_fiscal_year(period.fiscal_year, style="wareki")
    period_choices = [
        (p.number, p.label.removeprefix(prefix) or _("通年")) for p in services.plan_periods(plan, period.fiscal_year)
    ]
    form = form or UploadForm(initial={"year": period.fiscal_year, "period": period.number})
    return render(
        request,
        "progress/excel_page.html",
        {
            "plan": plan,
            "perms_here": request.council_permissions,
            "period": period,
            "years": selectors.plan_years(plan),
            "period_choices": period_choices,
            "can_plan": can_plan,
            "groups": groups,
            "form": form,
            "problems": problems,
            "max_rows": f"{excel.MAX_ROWS:,}",
            "max_mb": excel.MAX_BYTES // (1024 * 1024),
        },
        status=status,
    )


@plan_permission("progress.view")
def excel_page(request, plan):
    return _page(request, plan, period=_period_from_get(request, plan))


@plan_permission("progress.view")
def excel_download(request, plan):
    _allowed(request, plan)
    period = _period_from_get(request, plan)
    group = excel.group_get(plan, request.GET.get("group"))
    if group is False or not permissions.may_use_workbook(request.user, plan, group, request.council_permissions):
        raise Http404
    data = excel.build(plan=plan, fiscal_year=period.fiscal_year, period=period.number, group=group)
    response = HttpResponse(data, content_type=excel.CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, excel.download_filename(plan, period, group))
    response["Cache-Control"] = "no-store"
    return response


@plan_permission("progress.view")
@require_POST
def excel_upload(request, plan):
    _allowed(request, plan)
    form = UploadForm(request.POST, request.FILES)
    period = _choose_period(plan, request.POST.get("year"), request.POST.get("period"))
    if period is None:
        raise Http404
    if not form.is_valid():
        return _page(request, plan, period=period, form=form)
    upload = form.cleaned_data["file"]
    importer = excel.ProgressWorkbookImporter(
        plan=plan, user=request.user, fiscal_year=period.fiscal_year, period=period.number
    )
    raw = upload.read(importer.max_bytes() + 1)  # one byte more than allowed is enough to refuse it
    try:
        parsed = importer.check(raw, upload.name)
    except excel.ExcelError as exc:
        return _page(request, plan, period=period, form=form, problems=exc.messages())
    if not parsed.items:
        pending.discard(request, importer.kind)
        messages.info(
            request,
            _(
                "「%(name)s」を確認しました。今の内容と違うところはありませんでした（%(n)s 行）。"
                "保存するものはありません。"
            )
            % {"name": upload.name, "n": parsed.row_count},
        )
        return _page(request, plan, period=period)
    waiting = pending.save(
        request,
        kind=importer.kind,
        council_id=plan.council_id,
        raw=raw,
        filename=upload.name,
        extra={"plan": plan.pk, "year": period.fiscal_year, "period": period.number},
    )
    return render(
        request,
        "progress/excel_preview.html",
        {
            "plan": plan,
            "perms_here": request.council_permissions,
            "parsed": parsed,
            "period": period,
            "sha": waiting.sha,
        },
    )


@plan_permission("progress.view")
@require_POST
def excel_confirm(request, plan):
    _allowed(request, plan)
    waiting = pending.take(
        request, kind=excel.ProgressWorkbookImporter.kind, council_id=plan.council_id, sha=request.POST.get("sha")
    )
    if waiting is None or waiting.extra.get("plan") != plan.pk:
        messages.error(request, _("確認中の一括入力が見つかりません。もう一度ファイルを選んでください。"))
        return redirect("excel:plan", plan_id=plan.pk)
    period = _choose_period(plan, waiting.extra.get("year"), waiting.extra.get("period"))
    if period is None:
        messages.error(request, _("この計画の報告期間にない期間です。"))
        return redirect("excel:plan", plan_id=plan.pk)
    importer = excel.ProgressWorkbookImporter(
        plan=plan, user=request.user, fiscal_year=period.fiscal_year, period=period.number
    )
    try:
        parsed = importer.check(waiting.raw, waiting.filename)
        count = importer.apply(parsed, by=request.user)
    except excel.ExcelError as exc:
        return _page(request, plan, period=period, problems=exc.messages())
    if not count:
        messages.info(request, _("今の内容と違うところはありませんでした。保存するものはありません。"))
    else:
        messages.success(
            request,
            _("%(period)sの進捗を %(n)s 項目（%(fields)s か所）更新しました。")
            % {"period": period.label, "n": count, "fields": parsed.change_count},
        )
    return redirect(reverse("progress:plan", args=[plan.pk]) + f"?year={period.fiscal_year}")
