"""evaluation_reports URLs: the reports page and one download per format (all need evaluation.export)."""
from django.urls import path

from . import views_reports

app_name = "evaluation_reports"
urlpatterns = [
    path("<int:plan_id>/evaluation/reports/", views_reports.reports_page, name="page"),
    path("<int:plan_id>/evaluation/reports/sheet.xlsx", views_reports.report_download, {"fmt": "xlsx"}, name="xlsx"),
    path("<int:plan_id>/evaluation/reports/report.pdf", views_reports.report_download, {"fmt": "pdf"}, name="pdf"),
    path("<int:plan_id>/evaluation/reports/report.docx", views_reports.report_download, {"fmt": "docx"}, name="docx"),
    path("<int:plan_id>/evaluation/reports/figures.csv", views_reports.report_download, {"fmt": "csv"}, name="csv"),
]
