"""All URLs of evaluation, each group under its own namespace: ``evaluation:`` (stages, 総評, closing
a year, council settings), ``evaluation_reports:`` (the reports page and one download per format) and
``midterm:`` (中間評価 snapshots and their comparison, 次期計画), the last two under /plans/."""

from django.urls import include, path

from .views import evaluation, midterm, reports

evaluation_patterns = [
    path("plans/<int:plan_id>/evaluation/", evaluation.plan_evaluation, name="plan"),
    path("plans/<int:plan_id>/evaluation/projects/<int:node_id>/", evaluation.project_evaluation, name="project"),
    path("plans/<int:plan_id>/evaluation/opinion/", evaluation.opinion, name="opinion"),
    path("plans/<int:plan_id>/evaluation/close/", evaluation.close_year, name="close"),
    path("councils/<int:council_id>/evaluation-settings/", evaluation.settings_view, name="settings"),
]

report_patterns = [
    path("<int:plan_id>/evaluation/reports/", reports.reports_page, name="page"),
    path("<int:plan_id>/evaluation/reports/sheet.xlsx", reports.report_download, {"fmt": "xlsx"}, name="xlsx"),
    path("<int:plan_id>/evaluation/reports/report.pdf", reports.report_download, {"fmt": "pdf"}, name="pdf"),
    path("<int:plan_id>/evaluation/reports/report.docx", reports.report_download, {"fmt": "docx"}, name="docx"),
    path("<int:plan_id>/evaluation/reports/figures.csv", reports.report_download, {"fmt": "csv"}, name="csv"),
]

midterm_patterns = [
    path("<int:plan_id>/midterm/", midterm.snapshot_list, name="list"),
    path("<int:plan_id>/midterm/<int:snapshot_id>/", midterm.snapshot_detail, name="snapshot"),
    path("<int:plan_id>/midterm/<int:snapshot_id>/compare/", midterm.snapshot_compare, name="compare"),
    path("<int:plan_id>/next-plan/", midterm.next_plan, name="next_plan"),
]

urlpatterns = [
    path("", include((evaluation_patterns, "evaluation"))),
    path("plans/", include((report_patterns, "evaluation_reports"))),
    path("plans/", include((midterm_patterns, "midterm"))),
]
