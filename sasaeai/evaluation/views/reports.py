"""Evaluation reports (評価シート・報告書): a page listing the downloads with filters (年度, 上半期 when
the plan reports half-yearly, goal, working group) and one download view per format. Everything
printed comes from ``reports.build_report`` (one row source); the writers only lay it out.

Bad query parameters never fail: a year outside the plan falls back to the default year, a bad period
to the whole year; an unknown goal or working group is a 404, like a foreign one.
"""

from urllib.parse import quote, urlencode

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sasaeai.accounts.decorators import plan_permission

from .. import export_csv, export_docx, export_pdf, export_xlsx, reports
from ..selectors import visible_stages

# format → (writer module, Japanese file name stem, ASCII file name stem)
FORMATS = {
    "xlsx": (export_xlsx, gettext_lazy("評価シート"), "evaluation-sheet"),
    "pdf": (export_pdf, gettext_lazy("事業評価報告書"), "evaluation-report"),
    "docx": (export_docx, gettext_lazy("事業評価報告書"), "evaluation-report"),
    "csv": (export_csv, gettext_lazy("評価データ"), "evaluation-figures"),
}


def content_disposition(name: str, ascii_name: str) -> str:
    """attachment with an ASCII file name for old clients and the Japanese one (RFC 5987 filename*)."""
    fallback = "".join(c for c in ascii_name if c.isascii() and c.isprintable() and c not in '"\\;')
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _filters(request, plan):
    choices = reports.report_choices(plan)
    return choices, reports.choose(choices, request.GET)


def _query(chosen):
    params = {"year": chosen["year"]}
    if chosen["period"]:
        params["period"] = chosen["period"]
    if chosen["goal"] is not None:
        params["goal"] = chosen["goal"].pk
    if chosen["group"] is not None:
        params["wg"] = chosen["group"].pk
    return urlencode(params)


@plan_permission("evaluation.export")
def reports_page(request, plan):
    choices, chosen = _filters(request, plan)
    perms = request.council_permissions
    stage_labels = _("・").join(reports.stage_short_label(s) for s in visible_stages(perms))
    return render(
        request,
        "evaluation/reports.html",
        {
            "plan": plan,
            "perms_here": perms,
            "choices": choices,
            "chosen": chosen,
            "query": _query(chosen),
            "stage_labels": stage_labels,
        },
    )


@plan_permission("evaluation.export")
def report_download(request, plan, fmt):
    if fmt not in FORMATS:
        raise Http404
    _choices, chosen = _filters(request, plan)
    report = reports.build_report(
        plan,
        chosen["year"],
        perms=request.council_permissions,
        period=chosen["period"],
        goal_id=chosen["goal"].pk if chosen["goal"] is not None else None,
        group=chosen["group"],
    )
    writer, stem, ascii_stem = FORMATS[fmt]
    response = HttpResponse(writer.build(report), content_type=writer.CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(
        report.filename(str(stem), fmt),
        report.ascii_filename(
            ascii_stem,
            fmt,
            goal_id=chosen["goal"].pk if chosen["goal"] else None,
            group_id=chosen["group"].pk if chosen["group"] else None,
        ),
    )
    response["Cache-Control"] = "no-store"
    return response
